import { test, expect, openEditor, shot, yamlText } from './fixtures';

test('the page loads with the shell, a sample drawn and its YAML', async ({ page, problems }) => {
  await openEditor(page);
  await expect(page.locator('header.topbar')).toBeVisible();
  await expect(page.locator('.brand-name')).toHaveText('Palisade');
  await expect(page.getByRole('group', { name: 'Policy flavour' })).toBeVisible();
  for (const name of ['New', 'Open', 'Download', 'Share']) {
    await expect(page.getByRole('button', { name, exact: true })).toBeVisible();
  }
  await expect(page.getByRole('region', { name: 'YAML' })).toBeVisible();
  expect(await yamlText(page)).toContain('kind: NetworkPolicy');
  // The sample's peers are drawn.
  await expect(page.locator('g.peer')).toHaveCount(5);
  await expect(page.locator('g.centre')).toContainText('app=web');
  await shot(page, 'smoke-1440x900');
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, 'smoke-1280x800');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.getByRole('button', { name: /dark theme/ }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.waitForTimeout(300);
  await shot(page, 'smoke-1920x1080-dark');
  expect(problems).toEqual([]);
});
