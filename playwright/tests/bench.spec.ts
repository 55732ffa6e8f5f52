import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Page } from '@playwright/test';
import { test, expect, shot } from './fixtures';
import { ipBlockPolicy, workspace } from './large';

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

/**
 * Pastes `text` into the YAML pane and returns the time until `probe`
 * (an element whose text starts with `want`) is drawn and the frame after
 * it has run: the graph and the problems list come from the same update.
 */
async function paste(page: Page, text: string, probe: string, want: string, orProbe = '', orWant = ''): Promise<number> {
  return page.evaluate(
    async ([text, probe, want, orProbe, orWant]) => {
      const ta = document.querySelector('textarea.source') as HTMLTextAreaElement;
      const shows = (sel: string, w: string) => {
        const el = sel ? document.querySelector(sel) : null;
        return el !== null && (el.getAttribute('aria-label') ?? el.textContent ?? '').startsWith(w);
      };
      const ready = () => shows(probe, want) || shows(orProbe, orWant);
      const t0 = performance.now();
      ta.value = text;
      ta.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
      if (!ready()) {
        await new Promise<void>((resolve) => {
          const obs = new MutationObserver(() => {
            if (ready()) {
              obs.disconnect();
              resolve();
            }
          });
          obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        });
      }
      await new Promise((r) => requestAnimationFrame(r));
      return performance.now() - t0;
    },
    [text, probe, want, orProbe, orWant] as const,
  );
}

/**
 * Types `count` edits, each selecting the second group of the first match
 * of `pattern` in the YAML and typing `prefix + (20000 + i)` over it, as a
 * user would (an editing command, not a rewrite of the whole value). Each
 * is timed until `probe`'s text starts with what `want(i)` says and style
 * and layout are up to date. Returns the times in ms.
 */
async function keystrokes(
  page: Page,
  pattern: string,
  probe: string,
  want: (n: string) => string,
  count = 40,
  prefix = '',
): Promise<number[]> {
  const typed = Array.from({ length: count }, (_, i) => `${prefix}${20000 + i}`);
  const wants = typed.map(want);
  return page.evaluate(
    async ([pattern, probe, wants, typed]) => {
      const ta = document.querySelector('textarea.source') as HTMLTextAreaElement;
      const re = new RegExp(pattern, 'm');
      const out: number[] = [];
      for (let i = 0; i < wants.length; i++) {
        const m = re.exec(ta.value);
        if (!m) throw new Error(`no match for ${pattern}`);
        const start = m.index + m[1].length;
        ta.focus();
        ta.setSelectionRange(start, start + m[2].length);
        const ready = () => (document.querySelector(probe)?.getAttribute('aria-label') ?? document.querySelector(probe)?.textContent ?? '').startsWith(wants[i]);
        const done = new Promise<void>((resolve) => {
          const obs = new MutationObserver(() => {
            if (ready()) {
              obs.disconnect();
              resolve();
            }
          });
          obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        });
        const t0 = performance.now();
        document.execCommand('insertText', false, typed[i]);
        await done;
        // Style and layout of the updated page, as the next frame needs them.
        document.querySelector('svg.graph')?.getBoundingClientRect();
        out.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 5));
      }
      return out;
    },
    [pattern, probe, wants, typed] as const,
  );
}

function p95(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length * 0.95) - 1];
}

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

test('bench: keystroke to updated graph on a 100-rule policy', async ({ page, problems }, info) => {
  // 40 timed keystrokes: on a loaded CI machine that can take longer than
  // the default 30 s; the budget below is what the test asserts.
  test.setTimeout(120_000);
  await page.goto('/');
  await page.waitForSelector('html[data-ready="true"]');
  await page.locator('textarea.source').fill(bigPolicy(100));
  // 100 peers in one group: one box that says so.
  await expect(page.locator('[data-summary="ingress-in-namespace"]')).toContainText('100 pod selectors');
  // The first rule's port leads the group edge's label.
  const times = await keystrokes(
    page,
    '(port: )(\\d+)(\\n)',
    '[data-edge-label="group-ingress-in-namespace"] title',
    (n) => `${n}/TCP and 99 other port sets`,
  );
  info.annotations.push({ type: 'keystroke-p95-ms', description: p95(times).toFixed(2) });
  console.log(`BENCH keystroke -> graph (100 rules): median ${median(times).toFixed(2)} ms, p95 ${p95(times).toFixed(2)} ms`);
  await shot(page, 'bench-100-rules');
  expect(p95(times)).toBeLessThanOrEqual(budget(16));
});

test('bench: a 640-peer ipBlock allow-list', async ({ page, problems }, info) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await page.waitForSelector('html[data-ready="true"]');
  const pasted = await paste(
    page,
    ipBlockPolicy(640),
    '[data-summary="egress-outside-cluster"] .peer-title',
    '640 CIDRs in',
  );
  await expect(page.locator('[data-summary="egress-outside-cluster"]')).toContainText('49.50.0.0/16 and');
  await expect(page.locator('[data-summary="egress-outside-cluster"]')).toContainText('50.0.0.0/8');
  // The port of the allow-list rule is the group edge's label.
  const times = await keystrokes(
    page,
    '(port: )(\\d+)(\\n)',
    '[data-edge-label="group-egress-outside-cluster"] title',
    (n) => `${n}/TCP`,
  );
  const svgNodes = await page.evaluate(() => document.querySelectorAll('svg.graph *').length);
  info.annotations.push({ type: 'ipblocks-640', description: `paste ${pasted.toFixed(1)} ms, keystroke p95 ${p95(times).toFixed(2)} ms, ${svgNodes} SVG nodes` });
  console.log(
    `BENCH 640 ipBlock peers: paste -> drawn ${pasted.toFixed(1)} ms; keystroke median ${median(times).toFixed(2)} ms, p95 ${p95(times).toFixed(2)} ms; ${svgNodes} SVG nodes`,
  );
  expect(svgNodes).toBeLessThan(2000);
  expect(pasted).toBeLessThanOrEqual(budget(200));
  expect(p95(times)).toBeLessThanOrEqual(budget(16));
});

test('bench: a workspace of 20 policies and 1,000 rules', async ({ page, problems }, info) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await page.waitForSelector('html[data-ready="true"]');
  const pasted = await paste(page, workspace(20, 50), '.yaml-pane .pane-meta', '20 policies');
  await expect(page.locator('[data-summary="ingress-in-namespace"]')).toContainText('40 pod selectors');
  // The first policy's last egress rule (its own box and edge) gets a new port.
  const times = await keystrokes(
    page,
    '(port: )(\\d+)(\\n---)',
    '[data-edge-label="egress-0-9-peer-0"] title',
    (n) => `${n}/TCP`,
  );
  info.annotations.push({ type: 'workspace-20x50', description: `paste ${pasted.toFixed(1)} ms, keystroke p95 ${p95(times).toFixed(2)} ms` });
  console.log(
    `BENCH workspace 20 policies / 1,000 rules: paste -> drawn ${pasted.toFixed(1)} ms; keystroke median ${median(times).toFixed(2)} ms, p95 ${p95(times).toFixed(2)} ms`,
  );
  expect(pasted).toBeLessThanOrEqual(budget(300));
  expect(p95(times)).toBeLessThanOrEqual(budget(16));
});

/** The policy samples (Kubernetes recipes and Cilium examples) kept in policy-core's test data. */
function samples(): string[] {
  const root = path.join(__dirname, '../../policy-core/tests/data');
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.yaml')) out.push(p);
    }
  };
  walk(path.join(root, 'recipes'));
  walk(path.join(root, 'cilium'));
  return out.sort();
}

/**
 * Every sample file, then the largest public multi-policy file found
 * (netpol-analyzer's acs-security-demos policies, 14 NetworkPolicies; see
 * fixtures/netpol-analyzer/SOURCES.md): pasted, then renamed keystroke by
 * keystroke (the centre box names the policy).
 */
test('bench: every sample file and the largest public multi-policy file', async ({ page, problems }, info) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await page.waitForSelector('html[data-ready="true"]');
  const files = [...samples(), path.join(__dirname, '../fixtures/netpol-analyzer/acs_netpols.yaml')];
  expect(files.length).toBeGreaterThan(30);
  const rows: string[] = [];
  let worstPaste = 0;
  let worstP95 = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const name = /^metadata:\n(?:[ ].*\n)*?[ ]{2}name: ["']?([A-Za-z0-9.-]+)/m.exec(text)?.[1];
    expect(name, file).toBeTruthy();
    // A different policy first, so the timed paste has something to change.
    await paste(page, 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: bench-reset\nspec:\n  podSelector: {}\n', '[data-centre]', 'bench-reset selects');
    // Drawn: the centre names the policy, or, for a file with errors
    // (two Cilium samples), the problems and the stale-graph notice show.
    const pasted = await paste(page, text, '[data-centre]', `${name} selects`, '.stale', 'YAML has errors');
    const stale = (await page.locator('.stale').count()) > 0;
    if (!stale) {
      await expect(page.locator('[data-centre]')).toHaveAttribute('aria-label', new RegExp(`^${name!.replace(/[.]/g, '\\.')} selects`));
    }
    // Renaming: the centre box follows; with errors, the workspace list.
    const times = await keystrokes(
      page,
      `^(metadata:\\n(?:[ ].*\\n)*?[ ]{2}name: ["']?)([A-Za-z0-9.-]+)`,
      stale ? '.doc-item.active .doc-name' : '[data-centre]',
      (n) => (stale ? n : `${n} selects`),
      20,
      'k',
    );
    worstPaste = Math.max(worstPaste, pasted);
    worstP95 = Math.max(worstP95, p95(times));
    rows.push(`${path.relative(path.join(__dirname, '../..'), file)}: paste ${pasted.toFixed(1)} ms, keystroke p95 ${p95(times).toFixed(2)} ms`);
  }
  info.annotations.push({ type: 'samples', description: `worst paste ${worstPaste.toFixed(1)} ms, worst keystroke p95 ${worstP95.toFixed(2)} ms` });
  console.log(`BENCH ${files.length} sample files: worst paste ${worstPaste.toFixed(1)} ms, worst keystroke p95 ${worstP95.toFixed(2)} ms\n  ${rows.join('\n  ')}`);
  expect(worstPaste).toBeLessThanOrEqual(budget(100));
  expect(worstP95).toBeLessThanOrEqual(budget(16));
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
  // The size budget does not depend on the machine, so it is always
  // enforced. It was 700 KiB gzip until the large-group list, incremental
  // check, reserved identities, manifest import and live flows landed
  // together at 762 KiB (577 KiB brotli as sent); 800 KiB holds the line
  // while the bundle is trimmed back, and growing past it means trimming
  // something first.
  expect(gz).toBeLessThanOrEqual(800 * 1024);
});
