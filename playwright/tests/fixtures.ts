import { test as base, expect, type Page } from '@playwright/test';

/** Screenshots land here; `cargo xtask test` keeps them as artifacts. */
export const ARTIFACTS = 'artifacts';

/** Console errors and page errors seen during a test. */
export type Problems = string[];

/** A page that records console errors and fails the test on any. */
export const test = base.extend<{ problems: Problems }>({
  problems: async ({ page }, use) => {
    const problems: Problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await use(problems);
    expect(problems, 'no console errors').toEqual([]);
  },
});

export { expect };

/** Opens the page and waits until the editor is interactive. */
export async function openEditor(page: Page) {
  await page.goto('/');
  await page.waitForSelector('html[data-ready="true"]');
  await expect(page.locator('svg.graph')).toBeVisible();
}

/** The YAML pane's text. */
export async function yamlText(page: Page): Promise<string> {
  return page.locator('textarea.source').inputValue();
}

/** Replaces the YAML pane's text as if typed/pasted. */
export async function setYaml(page: Page, text: string) {
  await page.locator('textarea.source').fill(text);
}

/** Saves a screenshot into the artifacts folder. */
export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png` });
}
