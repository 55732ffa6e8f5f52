import * as zlib from 'node:zlib';
import { test, expect, shot } from './fixtures';

/**
 * Budgets from the product card. The timing budgets are enforced with
 * PALISADE_BENCH_STRICT=1; otherwise (shared, loaded CI machines) the
 * numbers are reported and only a regression ceiling of 5x the budget fails
 * the run. The bundle-size budget is always enforced.
 */
const STRICT = process.env.PALISADE_BENCH_STRICT === '1';
const budget = (ms: number) => (STRICT ? ms : ms * 5);

/** A NetworkPolicy with `n` ingress rules, one peer and one port each. */
function bigPolicy(n: number): string {
  let out = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: big\n  namespace: prod\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes:\n  - Ingress\n  ingress:\n';
  for (let i = 0; i < n; i++) {
    out += `  - from:\n    - podSelector:\n        matchLabels:\n          app: client-${i}\n    ports:\n    - protocol: TCP\n      port: ${1000 + i}\n`;
  }
  return out;
}

test('bench: navigation to an interactive editor', async ({ page, problems }, info) => {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.goto('/');
    await page.waitForSelector('html[data-ready="true"]');
    await expect(page.locator('g.peer').first()).toBeVisible();
    // The page marks `palisade-ready` when the editor is interactive;
    // marks count from navigation start.
    samples.push(await page.evaluate(() => performance.getEntriesByName('palisade-ready')[0].startTime));
  }
  info.annotations.push({ type: 'navigation-to-interactive-ms', description: samples.map((s) => s.toFixed(0)).join(', ') });
  console.log(
    `BENCH navigation -> interactive: first visit ${samples[0].toFixed(1)} ms, then ${samples.slice(1).map((s) => s.toFixed(1)).join(' / ')} ms (cached)`,
  );
  // The budget holds for the first visit, in a fresh browser context with
  // an empty HTTP cache, not only for the cached reloads after it.
  expect(samples[0]).toBeLessThanOrEqual(budget(500));
  expect(Math.max(...samples)).toBeLessThanOrEqual(budget(500));
});

test('bench: keystroke to updated graph on a 100-rule policy', async ({ page, problems }, info) => {
  // 60 timed keystrokes: on a loaded CI machine that can take longer than
  // the default 30 s; the budget below is what the test asserts.
  test.setTimeout(120_000);
  await page.goto('/');
  await page.waitForSelector('html[data-ready="true"]');
  await page.locator('textarea.source').fill(bigPolicy(100));
  await expect(page.locator('g.peer')).toHaveCount(100);
  const times: number[] = await page.evaluate(async () => {
    const ta = document.querySelector('textarea.source') as HTMLTextAreaElement;
    const canvas = document.querySelector('.canvas-scroll') as HTMLElement;
    const out: number[] = [];
    for (let i = 0; i < 60; i++) {
      const port = 20000 + i;
      const text = ta.value.replace(/port: \d+\n$/, `port: ${port}\n`);
      const want = `${port}/TCP`;
      const done = new Promise<void>((resolve) => {
        const check = () => {
          const labels = canvas.querySelectorAll('g.edge-label text');
          const last = labels[labels.length - 1];
          return last && last.textContent === want;
        };
        const obs = new MutationObserver(() => {
          if (check()) {
            obs.disconnect();
            resolve();
          }
        });
        obs.observe(canvas, { subtree: true, childList: true, characterData: true });
      });
      const t0 = performance.now();
      ta.value = text;
      ta.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: '1' }));
      await done;
      out.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
    return out;
  });
  const sorted = [...times].sort((a, b) => a - b);
  const p95 = sorted[Math.ceil(sorted.length * 0.95) - 1];
  const median = sorted[Math.floor(sorted.length / 2)];
  info.annotations.push({ type: 'keystroke-p95-ms', description: p95.toFixed(2) });
  console.log(`BENCH keystroke -> graph (100 rules): median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms`);
  await shot(page, 'bench-100-rules');
  expect(p95).toBeLessThanOrEqual(budget(16));
});

test('bench: WASM bundle size', async ({ page, request, problems }, info) => {
  await page.goto('/');
  await page.waitForSelector('html[data-ready="true"]');
  const wasmUrl = await page.evaluate(
    () => performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.endsWith('.wasm')) ?? '',
  );
  expect(wasmUrl).not.toBe('');
  const body = await (await request.get(wasmUrl, { headers: { 'accept-encoding': 'identity' } })).body();
  const gz = zlib.gzipSync(body, { level: 9 }).length;
  // What a browser is sent: the server's precompressed brotli variant.
  const sent = await request.get(wasmUrl, { headers: { 'accept-encoding': 'br' } });
  expect(sent.headers()['content-encoding']).toBe('br');
  const br = Number(sent.headers()['content-length'] ?? (await sent.body()).length);
  info.annotations.push({ type: 'wasm-bytes', description: `${body.length} raw, ${gz} gzip, ${br} brotli as sent` });
  console.log(
    `BENCH wasm: ${(body.length / 1024).toFixed(0)} KiB raw, ${(gz / 1024).toFixed(0)} KiB gzip, ${(br / 1024).toFixed(0)} KiB brotli (as sent)`,
  );
  // The size budget (700 KiB gzip) does not depend on the machine, so it is
  // always enforced; growing past it means trimming something first.
  expect(gz).toBeLessThanOrEqual(700 * 1024);
});
