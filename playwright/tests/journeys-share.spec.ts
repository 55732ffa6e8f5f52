import { test, expect, openEditor, setYaml, shot } from './fixtures';
import { dropExpectedHttpErrors, workspaceTexts } from './journeys-helpers';

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: shared-db-allow-api
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
      protocol: TCP
`;

const norm = (texts: string[]) => texts.map((t) => t.trim());

test('share the workspace, then open the link in a fresh browser and get the same workspace', async ({ page, browser, problems }) => {
  await openEditor(page);
  await setYaml(page, POLICY);
  await expect.poll(async () => (await workspaceTexts(page)).some((t) => t.includes('shared-db-allow-api'))).toBe(true);
  const original = await workspaceTexts(page);
  expect(original.length).toBeGreaterThan(1);

  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Share this workspace' });
  await expect(dialog).toBeVisible();
  const link = dialog.getByRole('textbox', { name: 'Share link' });
  await expect(link).toHaveValue(/\/\?id=[A-Za-z0-9]+$/);
  const url = await link.inputValue();
  await shot(page, 'journeys-share-dialog');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  // A new context has its own, empty localStorage: what it shows comes from the link.
  const other = await browser.newContext();
  const page2 = await other.newPage();
  const errors: string[] = [];
  page2.on('pageerror', (e) => errors.push(e.message));
  await page2.goto(url);
  await page2.waitForSelector('html[data-ready="true"]');
  await expect.poll(async () => norm(await workspaceTexts(page2))).toEqual(norm(original));
  await expect(page2.locator('.doc-item')).toHaveCount(original.length);
  // It is an editable copy.
  await page2.locator('.doc-item').filter({ hasText: 'shared-db-allow-api' }).click();
  await expect(page2.locator('textarea.source')).toHaveValue(/shared-db-allow-api/);
  await page2.locator('textarea.source').fill(POLICY.replace('shared-db-allow-api', 'edited-copy'));
  await expect.poll(async () => (await workspaceTexts(page2)).some((t) => t.includes('edited-copy'))).toBe(true);
  await shot(page2, 'journeys-share-opened');
  expect(errors).toEqual([]);
  await other.close();
  expect(problems).toEqual([]);
});

test('unknown share ids and failing policy URLs say so clearly', async ({ page, problems }) => {
  await page.goto('/?id=AAAAAAAAAAAAAAAA');
  await page.waitForSelector('html[data-ready="true"]');
  const notice = page.locator('.link-notice');
  await expect(notice).toContainText('No shared workspace has the id “AAAAAAAAAAAAAAAA”');
  await shot(page, 'journeys-share-unknown');
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await expect(notice).toBeHidden();

  await page.goto('/?id=not*an*id');
  await expect(page.locator('.link-notice')).toContainText('is not a valid share id');

  // Loopback targets are refused by the server's SSRF guard.
  await page.goto('/?policy-url=' + encodeURIComponent('http://127.0.0.1:1/policy.yaml'));
  await expect(page.locator('.link-notice')).toContainText('Could not load http://127.0.0.1:1/policy.yaml');
  await shot(page, 'journeys-policy-url-refused');

  await page.goto('/?policy-tutorial=no-such-tutorial');
  await expect(page.locator('.link-notice')).toContainText('There is no tutorial “no-such-tutorial”');
  await page.goto('/?policy-tutorial=egress-dns');
  await expect(page.locator('section.tutorials')).toHaveAttribute('data-tutorial', 'egress-dns');
  dropExpectedHttpErrors(problems);
});
