import AxeBuilder from '@axe-core/playwright';
import * as fs from 'node:fs';
import { test, expect, openEditor, setYaml, shot, yamlText } from './fixtures';

const peers = (page, group: string) => page.locator(`g.peer[data-group="${group}"]`);

test('the sample shows the right peers in the right groups', async ({ page, problems }) => {
  await openEditor(page);
  await expect(peers(page, 'ingress-in-namespace')).toHaveCount(1);
  await expect(peers(page, 'ingress-in-namespace')).toContainText('app=frontend');
  await expect(peers(page, 'ingress-in-cluster')).toContainText('app=prometheus');
  await expect(peers(page, 'ingress-in-cluster')).toContainText('namespace monitoring');
  await expect(peers(page, 'egress-in-namespace')).toContainText('app=postgres');
  await expect(peers(page, 'egress-outside-cluster')).toContainText('203.0.113.0/24');
  await expect(peers(page, 'egress-outside-cluster')).toContainText('except 203.0.113.8/29');
  await expect(peers(page, 'egress-dns')).toContainText('k8s-app=kube-dns');
  await expect(page.locator('g.edge-label').first()).toContainText('80/TCP');
  await expect(page.locator('g.centre')).toContainText('ingress · rules only');
  // Hover shows the explanation in the footer.
  await peers(page, 'ingress-in-namespace').hover();
  await expect(page.getByTestId('explanation')).toHaveText(
    'Pods app=frontend in prod may connect to pods app=web in prod on 80/TCP.',
  );
  // So do hovering over an edge, its label, and focusing the label.
  const ingressSentence = 'Pods app=prometheus in namespace monitoring may connect to pods app=web in prod on 9090/TCP.';
  await page.mouse.move(0, 0);
  // A point a third along the second ingress edge, in page coordinates.
  const point = await page.locator('g.edge-line path.edge').nth(1).evaluate((el) => {
    const path = el as SVGPathElement;
    const p = path.getPointAtLength(path.getTotalLength() / 3);
    const m = path.getScreenCTM()!;
    return { x: p.x * m.a + p.y * m.c + m.e, y: p.x * m.b + p.y * m.d + m.f };
  });
  await page.mouse.move(point.x, point.y);
  await expect(page.getByTestId('explanation')).toHaveText(ingressSentence);
  await page.mouse.move(0, 0);
  await expect(page.getByTestId('explanation')).not.toHaveText(ingressSentence);
  await page.locator('g.edge-label').nth(1).hover();
  await expect(page.getByTestId('explanation')).toHaveText(ingressSentence);
  await page.mouse.move(0, 0);
  await page.locator('g.edge-label').first().focus();
  await expect(page.getByTestId('explanation')).toHaveText(
    'Pods app=frontend in prod may connect to pods app=web in prod on 80/TCP.',
  );
  await shot(page, 'editor-sample');
});

test('adding an ingress peer visually writes it into the YAML', async ({ page, problems }) => {
  await openEditor(page);
  await page.getByRole('button', { name: 'Add outside cluster peer (ingress)' }).click();
  await page.locator('#a-cidr').fill('192.168.0.0/16');
  await page.locator('#a-except').fill('192.168.1.0/24');
  await page.locator('#a-ports').fill('443/TCP');
  await page.getByRole('button', { name: 'Add peer' }).click();
  await expect(peers(page, 'ingress-outside-cluster')).toContainText('192.168.0.0/16');
  const yaml = await yamlText(page);
  expect(yaml).toContain('cidr: 192.168.0.0/16');
  expect(yaml).toContain('- 192.168.1.0/24');
  expect(yaml).toMatch(/port: 443\n\s+protocol: TCP|protocol: TCP\n\s+port: 443/);
  // The inspector now shows the new peer.
  await expect(page.locator('.inspector')).toContainText('ingress peer: 192.168.0.0/16');
  await shot(page, 'editor-add-peer');
});

test('editing the YAML updates the graph', async ({ page, problems }) => {
  await openEditor(page);
  const yaml = await yamlText(page);
  await setYaml(page, yaml.replace('app: frontend', 'app: gateway').replace('port: 80\n', 'port: 8443\n'));
  await expect(peers(page, 'ingress-in-namespace')).toContainText('app=gateway');
  await expect(page.locator('g.edge-label').first()).toContainText('8443/TCP');
  await shot(page, 'editor-yaml-edit');
});

test('invalid YAML shows the error at its line and keeps the last graph', async ({ page, problems }) => {
  await openEditor(page);
  const lines = (await yamlText(page)).split('\n');
  lines[4] = '  namespace: prod: oops';
  await setYaml(page, lines.join('\n'));
  await expect(page.locator('.ln.err')).toHaveCount(1);
  await expect(page.locator('.ln.err')).toHaveAttribute('data-line', '5');
  const problem = page.locator('.problem.error').first();
  await expect(problem).toContainText(/^.*5:\d+/);
  await expect(page.locator('.stale')).toBeVisible();
  await expect(page.locator('g.peer')).toHaveCount(5);
  // Clicking the problem puts the caret on that line.
  await problem.locator('.problem-jump').click();
  const caretLine = await page.locator('textarea.source').evaluate(
    (t: HTMLTextAreaElement) => t.value.slice(0, t.selectionStart).split('\n').length,
  );
  expect(caretLine).toBe(5);
  await shot(page, 'editor-invalid-yaml');
});

test('deleting peers from the keyboard keeps focus in their group', async ({ page, problems }) => {
  await openEditor(page);
  const yaml = await yamlText(page);
  const withAdmin = yaml.replace(
    '          app: frontend\n',
    '          app: frontend\n    - podSelector:\n        matchLabels:\n          app: admin\n',
  );
  expect(withAdmin).not.toBe(yaml);
  await setYaml(page, withAdmin);
  const group = peers(page, 'ingress-in-namespace');
  await expect(group).toHaveCount(2);
  await group.first().focus();
  await page.keyboard.press('Delete');
  await expect(group).toHaveCount(1);
  // Focus moved to the peer now in that place, so Delete can go on.
  await expect(group.first()).toBeFocused();
  await expect(group.first()).toContainText('app=admin');
  await page.keyboard.press('Delete');
  await expect(group).toHaveCount(0);
  // The group is empty: focus is on its add button, and Enter opens the form.
  const add = page.getByRole('button', { name: 'Add in namespace peer (ingress)' });
  await expect(add).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Add peer' })).toBeVisible();
});

test('undo and redo, by button and keyboard', async ({ page, problems }) => {
  await openEditor(page);
  const original = await yamlText(page);
  const peer = peers(page, 'ingress-in-namespace');
  await peer.focus();
  await page.keyboard.press('Delete');
  await expect(peers(page, 'ingress-in-namespace')).toHaveCount(0);
  const edited = await yamlText(page);
  expect(edited).not.toContain('app: frontend');
  await page.keyboard.press('Control+z');
  await expect(peers(page, 'ingress-in-namespace')).toHaveCount(1);
  expect(await yamlText(page)).toBe(original);
  await page.keyboard.press('Control+Shift+z');
  await expect(peers(page, 'ingress-in-namespace')).toHaveCount(0);
  expect(await yamlText(page)).toBe(edited);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(peers(page, 'ingress-in-namespace')).toHaveCount(1);
  await shot(page, 'editor-undo');
});

test('the downloaded file is exactly the YAML', async ({ page, problems }) => {
  await openEditor(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download', exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('web-allow-frontend.yaml');
  const file = await download.path();
  expect(fs.readFileSync(file, 'utf8')).toBe(await yamlText(page));
});

test('a reload restores the workspace', async ({ page, problems }) => {
  await openEditor(page);
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(page.locator('.doc-item')).toHaveCount(3);
  const yaml = (await yamlText(page)).replace(/name: new-policy-3/, 'name: restored-policy');
  await setYaml(page, yaml);
  await expect(page.locator('.doc-item.active')).toHaveText('restored-policy');
  await page.reload();
  await page.waitForSelector('html[data-ready="true"]');
  await expect(page.locator('.doc-item')).toHaveCount(3);
  await expect(page.locator('.doc-item.active')).toHaveText('restored-policy');
  expect(await yamlText(page)).toBe(yaml);
  await shot(page, 'editor-restored');
});

test('the flavour switch converts, and refuses with a reason', async ({ page, problems }) => {
  await openEditor(page);
  await page.getByRole('button', { name: 'Cilium', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Cilium', exact: true })).toHaveAttribute('aria-pressed', 'true');
  expect(await yamlText(page)).toContain('kind: CiliumNetworkPolicy');
  await expect(page.locator('g.peer')).toHaveCount(5);
  await expect(peers(page, 'ingress-in-cluster')).toContainText('app=prometheus');
  // The L7 sample cannot become a NetworkPolicy.
  await page.locator('.doc-item', { hasText: 'api-l7' }).click();
  await page.getByRole('button', { name: 'NetworkPolicy', exact: true }).click();
  await expect(page.locator('.toast.error')).toContainText('L7 rules');
  expect(await yamlText(page)).toContain('kind: CiliumNetworkPolicy');
  await shot(page, 'editor-convert-refused');
});

test('importing a multi-document file adds one policy per document', async ({ page, problems }) => {
  await openEditor(page);
  const docs = ['web', 'db']
    .map((n) => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${n}-deny\n  namespace: x\nspec:\n  podSelector: {}\n`)
    .join('---\n');
  await page.locator('input[type=file]').setInputFiles({ name: 'two.yaml', mimeType: 'text/yaml', buffer: Buffer.from(docs) });
  await expect(page.locator('.doc-item')).toHaveCount(4);
  await expect(page.locator('.doc-item.active')).toHaveText('db-deny');
  await expect(page.locator('g.centre')).toContainText('ingress · deny all');
});

test('no serious accessibility violations', async ({ page, problems }) => {
  await openEditor(page);
  await page.locator('g.peer').first().click();
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious).toEqual([]);
  await page.getByRole('button', { name: /dark theme/ }).click();
  await page.waitForTimeout(300);
  const dark = await new AxeBuilder({ page }).analyze();
  const seriousDark = dark.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(seriousDark).toEqual([]);
  await shot(page, 'editor-axe-dark');
});

test('a lint fix applies with one click', async ({ page, problems }) => {
  await openEditor(page);
  await setYaml(page, (await yamlText(page)).replace('cidr: 203.0.113.0/24', 'cidr: 203.0.113.7/24'));
  const problem = page.locator('.problem', { hasText: 'PA015' });
  await expect(problem).toBeVisible();
  const line = await problem.locator('.problem-jump').getAttribute('data-line');
  expect((await yamlText(page)).split('\n')[Number(line) - 1]).toContain('203.0.113.7/24');
  await shot(page, 'editor-lint-before-fix');
  await problem.getByRole('button', { name: /^Fix: / }).click();
  await expect(page.locator('.problem', { hasText: 'PA015' })).toHaveCount(0);
  expect(await yamlText(page)).toContain('cidr: 203.0.113.0/24');
  // The fix is one undo step.
  await page.keyboard.press('Control+z');
  await expect(page.locator('.problem', { hasText: 'PA015' })).toHaveCount(1);
});


// Issue 12: `egress: []` without policyTypes does not isolate egress. The
// graph, the toggle and the explanation say so, and lint PA019 says why.
const EGRESS_EMPTY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-empty, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - podSelector: {}
  egress: []
`;

test('egress: [] without policyTypes shows egress open, and PA019 explains why', async ({ page, problems }) => {
  await openEditor(page);
  await setYaml(page, EGRESS_EMPTY);
  await expect(page.locator('g.centre')).toContainText('egress · open');
  await expect(page.locator('g.centre')).toContainText('ingress · rules only');
  await expect(page.getByRole('button', { name: /Egress default deny/ })).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByTestId('explanation')).toContainText('Their egress is not restricted');
  const pa019 = page.locator('.problem', { hasText: 'PA019' });
  await expect(pa019).toHaveCount(1);
  await expect(pa019).toContainText('does not restrict egress');
  await shot(page, 'editor-egress-empty-list');
});

// A policy named like one in another document of the workspace is flagged
// (PA020), as `palisade check` flags it across the files it is given.
test('a name taken by another document of the workspace is PA020', async ({ page, problems }) => {
  await openEditor(page);
  const first = await yamlText(page);
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await expect(page.locator('.doc-item')).toHaveCount(3);
  await expect(page.locator('.problem', { hasText: 'PA020' })).toHaveCount(0);
  await setYaml(page, first);
  const pa020 = page.locator('.problem', { hasText: 'PA020' });
  await expect(pa020).toHaveCount(1);
  await expect(pa020).toContainText('2 NetworkPolicies are named');
  // The selected pods' form follows the YAML pane.
  await expect(page.locator('#f-name')).toHaveValue(first.match(/name: ([\w-]+)/)![1]);
  await expect(page.locator('.inspector .sentence')).not.toContainText('namespace default');
  await shot(page, 'editor-duplicate-name');
  await setYaml(page, first.replace(/name: ([\w-]+)/, 'name: $1-copy'));
  await expect(page.locator('.problem', { hasText: 'PA020' })).toHaveCount(0);
});
