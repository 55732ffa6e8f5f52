import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, expect, openEditor, setYaml, shot } from './fixtures';
import { dropExpectedHttpErrors, openJourney, workspaceTexts } from './journeys-helpers';

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
  // The workspace is saved a tick after the new document appears: poll until the generated text is there.
  await expect
    .poll(async () => (await workspaceTexts(page)).some((t) => t.includes('palisade.dev/generated')))
    .toBe(true);

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

/** 1,400 copies of the real 10-flow sample: about 18 MB, over the in-browser limit. */
function bigFlowLog() {
  const sample = fs.readFileSync(path.join(FIXTURES, 'basic-sample-10-flows.json'), 'utf8').trimEnd() + '\n';
  const copies = 1400;
  const buffer = Buffer.from(sample.repeat(copies));
  expect(buffer.length).toBeGreaterThan(16 * 1024 * 1024);
  return { buffer, flows: sample.trimEnd().split('\n').length * copies };
}

test('a flow log over 16 MB is uploaded with progress, then its flows are tabled, ticked and turned into a policy', async ({ page, problems }) => {
  test.setTimeout(120_000);
  await openEditor(page);
  await setYaml(page, DENY_BOOKINFO);
  await openJourney(page, 'Flows');
  const big = bigFlowLog();

  // Hold the upload at the network until the progress bar has been seen:
  // over loopback the bytes leave in milliseconds.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let uploaded = 0;
  await page.route('**/api/flows', async (route) => {
    uploaded = route.request().postDataBuffer()?.length ?? -1;
    await released;
    await route.continue();
  });
  // Every label the progress bar shows, as it changes.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { progressLabels: string[] }).progressLabels = seen;
    new MutationObserver(() => {
      const label = document.querySelector('.upload-progress label')?.textContent;
      if (label && seen[seen.length - 1] !== label) seen.push(label);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.locator('input.flow-file').setInputFiles({ name: 'big-flows.json', mimeType: 'application/json', buffer: big.buffer });
  const progress = page.locator('.upload-progress progress');
  await expect(progress).toBeAttached();
  await expect(page.locator('.upload-progress')).toContainText(/(Uploading big-flows\.json… \d+%|Uploaded big-flows\.json \(100%\))/);
  // The whole file is the request's raw body.
  await expect.poll(() => uploaded).toBe(big.buffer.length);
  await shot(page, 'journeys-flows-large-upload-progress');
  release();

  // The server's aggregates fill the same table as a small file's.
  await expect(page.locator('.flows-meta')).toContainText(`big-flows.json: ${big.flows} flows, 10 distinct`, { timeout: 60_000 });
  await expect(progress).toHaveCount(0);
  await expect(page.locator('.upload-progress')).toHaveCount(0);
  // The bar went from 0% to 100% (XHR reports the end of the body at least).
  const labels = await page.evaluate(() => (window as unknown as { progressLabels: string[] }).progressLabels);
  expect(labels[0]).toBe('Uploading big-flows.json… 0%');
  expect(labels).toContain('Uploaded big-flows.json (100%); the server is reading it…');
  const rows = page.locator('tr.flow-row');
  const forwarded = page.locator('tr.flow-row[data-verdict="FORWARDED"][data-reply="false"]');
  const n = await forwarded.count();
  expect(n).toBeGreaterThan(0);
  // Replies are hidden by default; the filter shows all 10 distinct flows.
  await expect(rows).toHaveCount(n);
  await page.getByLabel('Hide replies').uncheck();
  await expect(rows).toHaveCount(10);
  await page.getByLabel('Hide replies').check();
  await expect(rows).toHaveCount(n);
  // Each row counts 1,400 flows.
  for (const count of await page.locator('tr.flow-row td.num').allTextContents()) expect(count).toBe('1400');
  // The impact preview runs: under default deny some observed traffic would be dropped.
  await expect(page.locator('tr.flow-row[data-allowed="false"]').first()).toBeVisible();

  // Ticking: untick one flow and tick it again.
  const generate = page.getByRole('button', { name: /Generate a policy from \d+ ticked flows/ });
  await expect(generate).toHaveText(`Generate a policy from ${n} ticked flows`);
  const firstTick = forwarded.first().getByRole('checkbox', { name: 'Use this flow' });
  await firstTick.uncheck();
  await expect(generate).toHaveText(`Generate a policy from ${n - 1} ticked flows`);
  await firstTick.check();
  await expect(generate).toHaveText(`Generate a policy from ${n} ticked flows`);

  const before = (await workspaceTexts(page)).length;
  await generate.click();
  await expect.poll(async () => (await workspaceTexts(page)).length).toBeGreaterThan(before);
  expect((await workspaceTexts(page)).some((t) => t.includes('palisade.dev/generated'))).toBe(true);

  // Every observed forwarded request is allowed by the workspace now.
  await expect(page.locator('tr.flow-row[data-allowed="false"]')).toHaveCount(0);
  for (const row of await forwarded.all()) {
    await expect(row).toHaveAttribute('data-allowed', 'true');
  }
  await expect(page.locator('tr.flow-row.changed').first()).toBeVisible();
  await expect(page.locator('.impact-summary')).toContainText('0 denied');
  await shot(page, 'journeys-flows-large-upload');
  expect(problems).toEqual([]);
});

test('a large upload the server refuses says so, with the HTTP status and the server\'s message', async ({ page, problems }) => {
  await openEditor(page);
  await openJourney(page, 'Flows');
  await page.route('**/api/flows', (route) =>
    route.fulfill({
      status: 413,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'payload-too-large', message: 'the upload is over the limit of 1000 bytes' } }),
    }),
  );
  await page.locator('input.flow-file').setInputFiles({ name: 'big-flows.json', mimeType: 'application/json', buffer: bigFlowLog().buffer });
  const error = page.locator('.flows .cv-error[role="alert"]');
  await expect(error).toContainText('big-flows.json: HTTP 413: the upload is over the limit of 1000 bytes');
  await expect(page.locator('.upload-progress')).toHaveCount(0);
  await expect(page.locator('tr.flow-row')).toHaveCount(0);
  await shot(page, 'journeys-flows-large-upload-refused');
  dropExpectedHttpErrors(problems);
  expect(problems).toEqual([]);
});
