import * as path from 'node:path';
import { test, expect, openEditor, setYaml, shot } from './fixtures';
import { openJourney, workspaceTexts } from './journeys-helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'hubble');

const DENY_BOOKINFO = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: bookinfo
spec:
  podSelector: {}
  policyTypes:
  - Ingress
  - Egress
`;

test('upload a real Hubble log, generate a policy, and the impact preview allows every observed forwarded flow', async ({ page, problems }) => {
  await openEditor(page);
  // Start from a default deny in bookinfo, so the preview has something to show.
  await setYaml(page, DENY_BOOKINFO);
  await openJourney(page, 'Flows');
  await page.locator('input.flow-file').setInputFiles(path.join(FIXTURES, 'basic-sample-10-flows.json'));
  const rows = page.locator('tr.flow-row');
  await expect(page.locator('.flows-meta')).toContainText('basic-sample-10-flows.json: 10 flows');
  await expect(rows.first()).toBeVisible();
  const forwarded = page.locator('tr.flow-row[data-verdict="FORWARDED"][data-reply="false"]');
  const n = await forwarded.count();
  expect(n).toBeGreaterThan(0);
  // Under default deny, some observed traffic would now be dropped.
  await expect(page.locator('tr.flow-row[data-allowed="false"]').first()).toBeVisible();
  await shot(page, 'journeys-flows-before');

  const before = (await workspaceTexts(page)).length;
  const generate = page.getByRole('button', { name: /Generate a policy from \d+ ticked flows/ });
  await expect(generate).toHaveText(`Generate a policy from ${n} ticked flows`);
  await generate.click();
  await expect.poll(async () => (await workspaceTexts(page)).length).toBeGreaterThan(before);
  const texts = await workspaceTexts(page);
  expect(texts.some((t) => t.includes('palisade.dev/generated'))).toBe(true);

  // Every observed, evaluable forwarded flow is allowed now, and the change is highlighted.
  await expect(page.locator('tr.flow-row[data-allowed="false"]')).toHaveCount(0);
  const evaluated = page.locator('tr.flow-row[data-verdict="FORWARDED"][data-reply="false"][data-allowed="true"]');
  expect(await evaluated.count()).toBeGreaterThan(0);
  for (const row of await forwarded.all()) {
    await expect(row).not.toHaveAttribute('data-allowed', 'false');
  }
  await expect(page.locator('tr.flow-row.changed').first()).toBeVisible();
  await expect(page.locator('.impact-summary')).toContainText('0 denied');
  await shot(page, 'journeys-flows-after');

  // The generated policy is in the workspace and drawn.
  await openJourney(page, 'Policy graph');
  await expect(page.locator('svg.graph')).toBeVisible();
  expect(problems).toEqual([]);
});

test('HTTP flows show their L7 request and generate a Cilium policy with an HTTP rule', async ({ page, problems }) => {
  await openEditor(page);
  await openJourney(page, 'Flows');
  await page.locator('input.flow-file').setInputFiles(path.join(FIXTURES, 'basic-sample-5-http-flows.json'));
  await expect(page.locator('td.flow-l7').filter({ hasText: /^HTTP / }).first()).toBeVisible();
  await page.getByRole('combobox', { name: 'Policy flavor' }).selectOption('cilium');
  await page.getByRole('button', { name: /Generate a policy from \d+ ticked flows/ }).click();
  await expect.poll(async () => (await workspaceTexts(page)).some((t) => t.includes('kind: CiliumNetworkPolicy') && t.includes('http:'))).toBe(true);
  await expect(page.locator('tr.flow-row[data-allowed="false"]')).toHaveCount(0);
  await shot(page, 'journeys-flows-http-cilium');
  expect(problems).toEqual([]);
});

test('a flow log over 16 MB is uploaded to the server with progress, and its policies can be added', async ({ page, problems }) => {
  await openEditor(page);
  await openJourney(page, 'Flows');
  // 1,400 copies of the real 10-flow sample: about 18 MB, over the in-browser limit.
  const sample = require('node:fs').readFileSync(path.join(FIXTURES, 'basic-sample-10-flows.json'), 'utf8').trimEnd() + '\n';
  const big = Buffer.from(sample.repeat(1400));
  expect(big.length).toBeGreaterThan(16 * 1024 * 1024);
  const before = (await workspaceTexts(page)).length;
  await page.locator('input.flow-file').setInputFiles({ name: 'big-flows.json', mimeType: 'application/json', buffer: big });
  const done = page.locator('.upload-progress');
  await expect(done).toContainText('big-flows.json: 14000 flows; the server generated', { timeout: 20_000 });
  await shot(page, 'journeys-flows-large-upload');
  await done.getByRole('button', { name: 'Add them to the workspace' }).click();
  await expect.poll(async () => (await workspaceTexts(page)).length).toBeGreaterThan(before);
  expect((await workspaceTexts(page)).some((t) => t.includes('palisade.dev/generated'))).toBe(true);
  expect(problems).toEqual([]);
});
