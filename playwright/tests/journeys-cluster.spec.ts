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
