import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, expect, openEditor, setYaml, shot } from './fixtures';
import { openJourney, workspaceTexts } from './journeys-helpers';

const DUMP = path.join(__dirname, '..', 'fixtures', 'cluster-dump.yaml');
const BIN = path.resolve(__dirname, '..', process.env.PALISADE_BIN ?? '../target/debug/palisade');

const POLICIES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
  - Ingress
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-allow-frontend-and-monitoring
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: frontend
    - namespaceSelector:
        matchLabels:
          team: ops
      podSelector:
        matchLabels:
          app: prometheus
    ports:
    - port: 80
    - port: metrics
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-allow-api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: api
    ports:
    - port: 5432
`;

type Cell = { from: string; to: string; port: string; allowed: boolean };

async function readCells(page: import('@playwright/test').Page): Promise<Cell[]> {
  return page.locator('button.hm-cell').evaluateAll((els) =>
    els.map((e) => ({
      from: e.getAttribute('data-from')!,
      to: e.getAttribute('data-to')!,
      port: e.getAttribute('data-port')!,
      allowed: e.getAttribute('data-allowed') === 'true',
    })),
  );
}

test('import a cluster dump: the heat map equals `palisade probe`, cells explain themselves, edits show a live diff', async ({ page, problems }) => {
  await openEditor(page);
  // One workspace policy text holding three documents; the sample next to it stays.
  await setYaml(page, POLICIES);
  await openJourney(page, 'Cluster');
  await page.locator('input[aria-label="Import a cluster dump"]').setInputFiles(DUMP);
  await expect(page.locator('.cluster-name')).toHaveText('cluster-dump.yaml: 4 namespaces, 9 pods');
  await shot(page, 'journeys-cluster-heatmap');

  // Ask the CLI the same question, on exactly the page's workspace.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-heat-'));
  const policyFile = path.join(dir, 'workspace.yaml');
  // The workspace is saved a tick after an edit: wait for the policies typed above.
  await expect
    .poll(async () => (await workspaceTexts(page)).join('\n').includes('db-allow-api'))
    .toBe(true);
  fs.writeFileSync(policyFile, (await workspaceTexts(page)).join('\n---\n'));

  const ports = await page.locator('select.cv-port option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(ports).toEqual(expect.arrayContaining(['80/TCP', '5432/TCP', '8080/TCP', '9102/TCP', '53/UDP']));
  let compared = 0;
  let allowedSeen = 0;
  for (const port of ports) {
    await page.locator('select.cv-port').selectOption(port);
    await expect(page.locator('button.hm-cell').first()).toHaveAttribute('data-port', port);
    const cells = await readCells(page);
    expect(cells.length).toBe(9 * 8);
    const out = execFileSync(BIN, ['probe', '--cluster', DUMP, '--policies', policyFile, '--port', port, '--output', 'json'], {
      encoding: 'utf8',
    });
    const results: { from: string; to: string; port: number; protocol: string; allowed: boolean }[] = JSON.parse(out).results;
    const cli = new Map(results.filter((r) => !r.to.startsWith('ip:') && !r.from.startsWith('ip:')).map((r) => [`${r.from}|${r.to}|${r.port}/${r.protocol}`, r.allowed]));
    expect(cli.size).toBe(cells.length);
    for (const c of cells) {
      const key = `${c.from}|${c.to}|${c.port}`;
      expect(cli.has(key), key).toBe(true);
      expect(c.allowed, key).toBe(cli.get(key));
      compared++;
      if (c.allowed) allowedSeen++;
    }
  }
  expect(compared).toBe(ports.length * 72);
  expect(allowedSeen).toBeGreaterThan(0);
  expect(allowedSeen).toBeLessThan(compared);

  // Why: a denied cell names the isolating policy.
  await page.locator('select.cv-port').selectOption('5432/TCP');
  await page.locator('button.hm-cell[data-from="shop/web-1"][data-to="shop/db-1"]').click();
  const why = page.getByRole('region', { name: 'Why' });
  await expect(why).toContainText('shop/web-1 → shop/db-1 on 5432/TCP: denied');
  await expect(why).toContainText('NetworkPolicy shop/db-allow-api');
  await page.locator('button.hm-cell[data-from="shop/api-1"][data-to="shop/db-1"]').click();
  await expect(why).toContainText('allowed');
  await expect(why).toContainText('spec.ingress[0]');

  // Filters narrow the axes.
  await page.getByRole('combobox', { name: 'Namespace filter' }).selectOption('shop');
  await expect(page.locator('th.hm-row')).toHaveCount(5);
  await page.getByRole('textbox', { name: 'Label filter' }).fill('app=web');
  await expect(page.locator('th.hm-row')).toHaveCount(2);
  await page.getByRole('textbox', { name: 'Label filter' }).fill('');
  await page.getByRole('combobox', { name: 'Namespace filter' }).selectOption('');

  // Posture: shop has a default deny for ingress only.
  await expect(page.locator('.posture-score')).toHaveText(/^\d+\/100$/);
  await expect(page.locator('.posture-reasons')).toContainText('pods are not isolated for ingress');

  // Live diff: dropping the default deny opens connections and closes none.
  await setYaml(page, POLICIES.split('---\n').slice(1).join('---\n'));
  await expect(page.locator('.cv-diff-sentence')).toHaveText(/^The latest edit opens \d+ connections? and closes 0\.$/);
  const opened = Number((await page.locator('.cv-diff-sentence').textContent())!.match(/opens (\d+)/)![1]);
  expect(opened).toBeGreaterThan(0);
  await shot(page, 'journeys-cluster-diff');
  // And putting it back closes exactly as many.
  await setYaml(page, POLICIES);
  await expect(page.locator('.cv-diff-sentence')).toHaveText(`The latest edit opens 0 connections and closes ${opened}.`);
  await expect(page.locator('button.hm-cell.closed').first()).toBeVisible();
  await shot(page, 'journeys-cluster-diff-closed');
  expect(problems).toEqual([]);
});

// A cluster too large to draw pod by pod: 4 namespaces × 30 pods.
const BIG_NAMESPACES: Record<string, Record<string, string>> = {
  shop: { team: 'shop' },
  payments: { team: 'payments' },
  monitoring: { team: 'ops' },
  batch: { team: 'data' },
};
const BIG_APPS: Record<string, string[]> = {
  shop: ['web', 'api', 'db'],
  payments: ['ledger', 'gateway'],
  monitoring: ['prometheus', 'grafana', 'alertmanager'],
  batch: ['worker'],
};

function bigDump(): string {
  const items: string[] = [];
  for (const [ns, labels] of Object.entries(BIG_NAMESPACES)) {
    const l = Object.entries({ 'kubernetes.io/metadata.name': ns, ...labels }).map(([k, v]) => `${k}: ${v}`).join(', ');
    items.push(`- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: ${ns}\n    labels: {${l}}`);
  }
  let ip = 0;
  for (const ns of Object.keys(BIG_NAMESPACES)) {
    const apps = BIG_APPS[ns];
    for (let i = 0; i < 30; i++) {
      const app = apps[i % apps.length];
      const tier = i % 4 === 0 ? 'restricted' : 'open';
      ip++;
      items.push(
        `- apiVersion: v1\n  kind: Pod\n  metadata: {name: ${app}-${i}, namespace: ${ns}, labels: {app: ${app}, tier: ${tier}}}\n` +
          `  spec:\n    containers:\n    - name: main\n      ports: [{containerPort: 80, name: http}]\n` +
          `  status: {phase: Running, podIP: 10.1.${Math.floor(ip / 250)}.${(ip % 250) + 1}, hostIP: 192.168.1.1}`,
      );
    }
  }
  return `apiVersion: v1\nkind: List\nitems:\n${items.join('\n')}\n`;
}

// shop isolates ingress (web from ops, api from web); payments' restricted
// pods may only talk to monitoring; batch and monitoring stay open.
const BIG_POLICIES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
  - Ingress
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-from-ops
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          team: ops
    ports:
    - port: 80
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-from-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
    ports:
    - port: http
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: restricted-to-monitoring
  namespace: payments
spec:
  podSelector:
    matchLabels:
      tier: restricted
  policyTypes:
  - Egress
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
`;

type NsCell = { from: string; to: string; allowed: number; total: number };

async function readNsCells(page: import('@playwright/test').Page): Promise<NsCell[]> {
  return page.locator('button.ns-cell').evaluateAll((els) =>
    els.map((e) => ({
      from: e.getAttribute('data-from-ns')!,
      to: e.getAttribute('data-to-ns')!,
      allowed: Number(e.getAttribute('data-allowed')),
      total: Number(e.getAttribute('data-total')),
    })),
  );
}

test('a cluster over 60 pods lands on the namespace view; its counts equal `palisade probe` summed by namespace; cells drill into pods', async ({ page, problems }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-heat-big-'));
  const dumpFile = path.join(dir, 'big-cluster.yaml');
  fs.writeFileSync(dumpFile, bigDump());

  await openEditor(page);
  await setYaml(page, BIG_POLICIES);
  await openJourney(page, 'Cluster');
  await page.locator('input[aria-label="Import a cluster dump"]').setInputFiles(dumpFile);
  await expect(page.locator('.cluster-name')).toHaveText('big-cluster.yaml: 4 namespaces, 120 pods');

  // 120 pods > 60 per axis: the namespace view is chosen by itself.
  const axis = page.getByRole('group', { name: 'Heat map rows and columns' });
  await expect(axis.getByRole('button', { name: 'Namespaces' })).toHaveAttribute('aria-pressed', 'true');
  await expect(axis.getByRole('button', { name: 'Pods' })).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('select.cv-port')).toHaveValue('80/TCP');
  await expect(page.locator('button.ns-cell')).toHaveCount(16);
  await shot(page, 'journeys-cluster-namespaces');

  // The CLI on the same workspace and dump, summed by namespace.
  const policyFile = path.join(dir, 'workspace.yaml');
  // The workspace is saved a tick after an edit: wait for the policies typed above.
  await expect
    .poll(async () => (await workspaceTexts(page)).join('\n').includes('api-from-web'))
    .toBe(true);
  fs.writeFileSync(policyFile, (await workspaceTexts(page)).join('\n---\n'));
  const out = execFileSync(BIN, ['probe', '--cluster', dumpFile, '--policies', policyFile, '--port', '80/TCP', '--output', 'json'], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  const results: { from: string; to: string; allowed: boolean }[] = JSON.parse(out).results;
  const cli = new Map<string, { allowed: number; total: number }>();
  for (const r of results) {
    if (r.from.startsWith('ip:') || r.to.startsWith('ip:')) continue;
    const key = `${r.from.split('/')[0]}|${r.to.split('/')[0]}`;
    const c = cli.get(key) ?? { allowed: 0, total: 0 };
    c.total++;
    if (r.allowed) c.allowed++;
    cli.set(key, c);
  }
  expect(cli.size).toBe(16);
  const cells = await readNsCells(page);
  expect(cells.length).toBe(16);
  for (const c of cells) {
    const key = `${c.from}|${c.to}`;
    expect(cli.get(key), key).toEqual({ allowed: c.allowed, total: c.total });
    // The text says the same.
    await expect(page.locator(`button.ns-cell[data-from-ns="${c.from}"][data-to-ns="${c.to}"]`)).toHaveText(`${c.allowed}/${c.total}`);
  }
  // All three kinds of cell are there.
  const kind = (c: NsCell) => (c.allowed === c.total ? 'all' : c.allowed === 0 ? 'none' : 'partial');
  expect(new Set(cells.map(kind))).toEqual(new Set(['all', 'none', 'partial']));
  expect(cells.find((c) => c.from === 'shop' && c.to === 'shop')).toEqual({ from: 'shop', to: 'shop', allowed: 100, total: 870 });
  await expect(page.locator('button.ns-cell[data-from-ns="batch"][data-to-ns="shop"]')).toHaveClass(/\bnone\b/);
  await expect(page.locator('button.ns-cell[data-from-ns="batch"][data-to-ns="payments"]')).toHaveClass(/\ball\b/);

  // The pod view keeps its cap and says what it hides.
  await axis.getByRole('button', { name: 'Pods' }).click();
  await expect(page.locator('th.hm-row')).toHaveCount(60);
  await expect(page.locator('.cv-hidden')).toContainText('Showing 60 of 120 pods: 60 pods are hidden.');
  await shot(page, 'journeys-cluster-pods-capped');
  await page.locator('.cv-hidden').getByRole('button', { name: 'See them all by namespace' }).click();
  await expect(page.locator('button.ns-cell')).toHaveCount(16);

  // A cell drills into its pods: monitoring → shop, 30 × 30.
  const mon = cells.find((c) => c.from === 'monitoring' && c.to === 'shop')!;
  expect(mon.allowed).toBeGreaterThan(0);
  expect(mon.allowed).toBeLessThan(mon.total);
  await page.locator('button.ns-cell[data-from-ns="monitoring"][data-to-ns="shop"]').click();
  await expect(axis.getByRole('button', { name: 'Pods' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('.cv-focus')).toContainText('Pods of monitoring → pods of shop');
  await expect(page.locator('th.hm-row')).toHaveCount(30);
  await expect(page.locator('.cv-hidden')).toHaveCount(0);
  await expect(page.locator('button.hm-cell')).toHaveCount(900);
  await expect(page.locator('button.hm-cell[data-allowed="true"]')).toHaveCount(mon.allowed);
  await page.locator('button.hm-cell[data-from="monitoring/prometheus-0"][data-to="shop/web-0"]').click();
  await expect(page.getByRole('region', { name: 'Why' })).toContainText('monitoring/prometheus-0 → shop/web-0 on 80/TCP: allowed');
  await shot(page, 'journeys-cluster-namespace-drill');
  await page.getByRole('button', { name: '← Back to namespaces' }).click();
  await expect(page.locator('button.ns-cell')).toHaveCount(16);

  // Narrowing the filter under the cap goes back to pods by itself only when
  // no view was picked; a fresh import forgets the pick.
  await page.locator('input[aria-label="Import a cluster dump"]').setInputFiles(dumpFile);
  await page.getByRole('combobox', { name: 'Namespace filter' }).selectOption('batch');
  await expect(axis.getByRole('button', { name: 'Pods' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('th.hm-row')).toHaveCount(30);
  await page.getByRole('combobox', { name: 'Namespace filter' }).selectOption('');
  await expect(page.locator('button.ns-cell')).toHaveCount(16);

  // Dark theme.
  await page.getByRole('button', { name: /dark theme/ }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.waitForTimeout(300);
  await shot(page, 'journeys-cluster-namespaces-dark');
  expect(problems).toEqual([]);
});

test('the cluster import takes several files at once, workload manifests included, as `palisade probe` does', async ({ page, problems }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-manifests-'));
  const apps = path.join(dir, 'apps.yaml');
  fs.writeFileSync(apps, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{containerPort: 80, name: http}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80}]}
`);
  const db = path.join(dir, 'db.yaml');
  fs.writeFileSync(db, `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, ports: [{containerPort: 5432}]}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: ops}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: backup}}
        spec: {containers: [{name: backup}]}
`);
  await openEditor(page);
  await setYaml(page, POLICIES);
  await openJourney(page, 'Cluster');
  await page.locator('input[aria-label="Import a cluster dump"]').setInputFiles([apps, db]);
  // Three workloads, each one pod of the model; the Service is skipped and counted.
  await expect(page.locator('.cluster-name')).toHaveText('apps.yaml + 1 more file: 2 namespaces, 3 pods');
  await expect(page.locator('.toast')).toContainText('3 pods (1 object of another kind skipped)');
  await page.locator('select.cv-port').selectOption('5432/TCP');
  const cells = await readCells(page);
  expect(cells.length).toBe(3 * 2);
  const policyFile = path.join(dir, 'workspace.yaml');
  // The workspace is saved a tick after an edit: wait for the policies typed above.
  await expect
    .poll(async () => (await workspaceTexts(page)).join('\n').includes('db-allow-api'))
    .toBe(true);
  fs.writeFileSync(policyFile, (await workspaceTexts(page)).join('\n---\n'));
  const out = execFileSync(BIN, ['probe', '--cluster', dir, '--policies', policyFile, '--port', '5432/TCP', '--output', 'json'], { encoding: 'utf8' });
  const results: { from: string; to: string; allowed: boolean }[] = JSON.parse(out).results;
  for (const c of cells) {
    const r = results.find((x) => x.from === c.from && x.to === c.to);
    expect(r, `${c.from} -> ${c.to}`).toBeTruthy();
    expect(c.allowed, `${c.from} -> ${c.to}`).toBe(r!.allowed);
  }
  await shot(page, 'journeys-cluster-manifests');
});
