import AxeBuilder from '@axe-core/playwright';
import { test, expect, openEditor, setYaml, shot } from './fixtures';
import { ipBlockPolicy } from './large';

const SUMMARY = '[data-summary="egress-outside-cluster"]';
const LIST = '[data-peer-list="egress-outside-cluster"]';

async function seriousViolations(page: import('@playwright/test').Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

for (const width of [1280, 1920]) {
  test(`a 640-peer allow-list is one box that expands into a list (${width} wide)`, async ({ page, problems }) => {
    await page.setViewportSize({ width, height: 900 });
    await openEditor(page);
    await setYaml(page, ipBlockPolicy(640));
    const summary = page.locator(SUMMARY);
    await expect(summary).toContainText('640 CIDRs in 49.50.0.0/16');
    await expect(summary).toContainText('and 50.0.0.0/8');
    await expect(summary).toContainText('show all 640');
    // One box and one edge for the group; few SVG nodes.
    await expect(page.locator('[data-edge="group-egress-outside-cluster"]')).toHaveCount(1);
    await expect(page.locator('[data-edge-label="group-egress-outside-cluster"] title')).toHaveText('443/TCP');
    expect(await page.evaluate(() => document.querySelectorAll('svg.graph *').length)).toBeLessThan(2000);
    // The explanation summarises the list.
    await expect(page.getByTestId('explanation')).toContainText(
      'to 640 address ranges: 49.50.0.0/32, 49.50.0.2/32, 49.50.0.4/32, … and 637 more',
    );
    // Hovering the box explains the group.
    await summary.hover();
    await expect(page.getByTestId('explanation')).toHaveText(
      'Pods app=web in prod may connect to 640 CIDRs in 49.50.0.0/16 and 50.0.0.0/8 on 443/TCP.',
    );
    await shot(page, `large-group-collapsed-${width}`);

    // Keyboard: Enter expands; focus lands in the filter.
    await summary.focus();
    await page.keyboard.press('Enter');
    const list = page.locator(LIST);
    await expect(list).toBeVisible();
    await expect(list.locator('.peer-filter')).toBeFocused();
    await expect(list.locator('.peer-list-count')).toHaveText('640 peers');
    // Only a window of rows is in the DOM.
    const rows = await list.locator('.peer-row').count();
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(20);
    await shot(page, `large-group-expanded-${width}`);
    expect(await seriousViolations(page)).toEqual([]);

    // Arrow keys move through the rows, also past the ones drawn, and the
    // active row's sentence is the explanation.
    await page.keyboard.press('Tab');
    const listbox = list.getByRole('listbox');
    await expect(listbox).toBeFocused();
    await expect(page.getByTestId('explanation')).toContainText('49.50.0.0/32');
    for (let i = 0; i < 25; i++) await page.keyboard.press('ArrowDown');
    const active = await listbox.getAttribute('aria-activedescendant');
    await expect(page.locator(`#${active}`)).toContainText('49.50.0.50/32');
    await expect(page.getByTestId('explanation')).toContainText('addresses in 49.50.0.50/32 on 443/TCP');
    await page.keyboard.press('End');
    await expect(page.locator(`#${await listbox.getAttribute('aria-activedescendant')}`)).toContainText(
      '50.239.0.0/24',
    );
    // Enter opens the peer in the inspector.
    await page.keyboard.press('Enter');
    await expect(page.locator('.inspector .insp-title')).toContainText('50.239.0.0/24');

    // Searching narrows the list; hovering a row explains it.
    await list.locator('.peer-filter').fill('50.17.');
    await expect(list.locator('.peer-list-count')).toHaveText('1 of 640 peers match');
    await list.locator('.peer-row').first().hover();
    await expect(page.getByTestId('explanation')).toContainText('addresses in 50.17.0.0/24');
    await shot(page, `large-group-search-${width}`);

    // Delete removes the active peer; the box counts one fewer.
    await listbox.focus();
    await page.keyboard.press('Delete');
    await expect(list.locator('.peer-list-count')).toHaveText('0 of 639 peers match');
    expect(await page.locator('textarea.source').inputValue()).not.toContain('50.17.0.0/24');

    // Collapse goes back to one box, with focus on it.
    await list.getByRole('button', { name: 'Collapse' }).click();
    await expect(page.locator(SUMMARY)).toBeFocused();
    await expect(page.locator(SUMMARY)).toContainText('639 CIDRs');
  });
}
