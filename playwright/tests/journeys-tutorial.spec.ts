import { test, expect, openEditor, setYaml, shot } from './fixtures';
import { openJourney } from './journeys-helpers';

const AND_PEER = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow-prometheus
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          team: ops
      podSelector:
        matchLabels:
          app: prometheus
    ports:
    - port: 8080
`;

const MONITORING_TO_WEB = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-allow-monitoring
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
    ports:
    - port: 80
`;

test('complete the AND/OR trap tutorial from start to end by editing YAML', async ({ page, problems }) => {
  await openEditor(page);
  await openJourney(page, 'Tutorials');
  await expect(page.locator('.tutorial-card')).toHaveCount(6);
  await shot(page, 'journeys-tutorials-list');
  await page.locator('.tutorial-card[data-tutorial="across-namespaces"] button').click();

  const panel = page.locator('section.tutorials');
  await expect(panel).toHaveAttribute('data-step', '0');
  // The starting workspace has the trap: Grafana gets in.
  await expect(page.locator('.doc-item')).toHaveCount(2);
  const goals = panel.locator('.tut-goal');
  await expect(goals).toHaveCount(3);
  await expect(panel.locator('.tut-goal[data-met="false"]')).toHaveCount(1);
  await expect(panel.locator('.tut-goal[data-met="false"]')).toContainText('monitoring/grafana-1 → shop/api-1');
  const next = panel.getByRole('button', { name: 'Next step' });
  await expect(next).toBeDisabled();
  await panel.getByRole('button', { name: 'Show a hint' }).click();
  await expect(panel.locator('.tut-hint')).toHaveCount(1);
  await shot(page, 'journeys-tutorial-step1-start');

  // Fix the trap in the second policy: one peer with both selectors.
  await page.locator('.doc-item').filter({ hasText: 'api-allow-prometheus' }).click();
  await expect(page.locator('textarea.source')).toHaveValue(/api-allow-prometheus/);
  await setYaml(page, AND_PEER);
  await expect(panel.locator('.tut-goal[data-met="true"]')).toHaveCount(3);
  await expect(panel.locator('.tut-goals-title')).toHaveText('Goals: 3 of 3 met');
  await shot(page, 'journeys-tutorial-step1-done');
  await next.click();

  await expect(panel).toHaveAttribute('data-step', '1');
  await expect(panel.locator('.tut-goal')).toHaveCount(5);
  await expect(panel.locator('.tut-goal[data-met="false"]')).toHaveCount(2);
  // A half-done edit (the policy without its namespace) does not pass.
  await page.locator('.sidebar').getByRole('button', { name: '+ Add' }).click();
  await setYaml(page, MONITORING_TO_WEB.replace('  namespace: shop\n', ''));
  await expect(panel.locator('.tut-goal[data-met="false"]')).toHaveCount(2);
  await setYaml(page, MONITORING_TO_WEB);
  await expect(panel.locator('.tut-goal[data-met="true"]')).toHaveCount(5);
  await expect(panel.locator('.tut-complete')).toContainText('Tutorial complete');
  await expect(panel.locator('.tut-pip.done')).toHaveCount(2);
  await shot(page, 'journeys-tutorial-complete');
  expect(problems).toEqual([]);
});

for (const width of [1280, 1440, 1920]) {
  test(`tutorial Start buttons fit inside their cards at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await openEditor(page);
    await openJourney(page, 'Tutorials');
    const cards = page.locator('.tutorial-card');
    await expect(cards).toHaveCount(6);
    await shot(page, `journeys-tutorials-cards-${width}`);
    for (let i = 0; i < 6; i++) {
      const card = cards.nth(i);
      const cardBox = (await card.boundingBox())!;
      const button = card.locator('button');
      await button.scrollIntoViewIfNeeded();
      const box = (await button.boundingBox())!;
      const id = await card.getAttribute('data-tutorial');
      // The button lies within the card's border box (1 px for rounding).
      expect(box.x, `${id}: left edge`).toBeGreaterThanOrEqual(cardBox.x - 1);
      expect(box.x + box.width, `${id}: right edge`).toBeLessThanOrEqual(cardBox.x + cardBox.width + 1);
      expect(box.y + box.height, `${id}: bottom edge`).toBeLessThanOrEqual(cardBox.y + cardBox.height + 1);
      // And its text is not clipped inside the button.
      const clipped = await button.evaluate((b) => b.scrollWidth > b.clientWidth + 1);
      expect(clipped, `${id}: label clipped`).toBe(false);
    }
  });
}
