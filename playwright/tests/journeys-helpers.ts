import type { Page } from '@playwright/test';

/** The workspace's policy texts, as the page stores them. */
export async function workspaceTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const raw = localStorage.getItem('palisade.workspace.v1');
    if (!raw) return [];
    return (JSON.parse(raw).docs as { text: string }[]).map((d) => d.text);
  });
}

/** Drops network-error console lines the browser prints for expected 4xx answers. */
export function dropExpectedHttpErrors(problems: string[]) {
  for (let i = problems.length - 1; i >= 0; i--) {
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(problems[i])) problems.splice(i, 1);
  }
}

/** Opens a journey panel from the side rail. */
export async function openJourney(page: Page, name: 'Tutorials' | 'Flows' | 'Cluster' | 'Policy graph') {
  await page.locator(`button.rail-entry[data-journey="${name}"]`).click();
}
