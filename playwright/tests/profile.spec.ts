import * as fs from 'node:fs';
import { test, ARTIFACTS } from './fixtures';
import { ipBlockPolicy, workspace } from './large';

/**
 * CPU profiles of the page on large inputs, for finding hot spots: not a
 * test (skipped unless PALISADE_PROFILE=1). Build the page with
 * `PALISADE_WASM_NAMES=1 cargo xtask build-web` so wasm functions keep
 * their names. For each case it records Chromium's profiler (CDP
 * `Profiler.start`/`stop`) over the paste and over 20 keystrokes, prints
 * the functions with the most self time, and saves the `.cpuprofile`
 * files (open them in DevTools' Performance panel) to artifacts/.
 */
test.skip(process.env.PALISADE_PROFILE !== '1', 'set PALISADE_PROFILE=1 to profile');

type Node = { id: number; callFrame: { functionName: string; url: string }; hitCount?: number };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

/** Self time per function name, in ms, largest first. */
function top(profile: Profile, n = 15): [string, number][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const name = node?.callFrame.functionName || '(anonymous)';
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

/** Waits until the page has done its work for the change and drawn a frame. */
const settled = () =>
  new Promise<void>((resolve) =>
    requestAnimationFrame(() => setTimeout(() => requestAnimationFrame(() => resolve()), 0)),
  );

/** Name, input, and where a keystroke edits it: a regex whose second group is the number typed. */
const CASES: [string, () => string, string][] = [
  ['ipblocks-640', () => ipBlockPolicy(640), '(port: )(\\d+)(\\n)'],
  ['workspace-20x50', () => workspace(20, 50), '(port: )(\\d+)(\\n  egress:)'],
];

for (const [name, make, keyed] of CASES) {
  test(`profile: ${name}`, async ({ page }) => {
    test.setTimeout(300_000);
    await page.goto('/');
    await page.waitForSelector('html[data-ready="true"]');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    const text = make();

    await cdp.send('Profiler.start');
    const paste = await page.evaluate(async (text) => {
      const ta = document.querySelector('textarea.source') as HTMLTextAreaElement;
      const t0 = performance.now();
      ta.value = text;
      ta.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
      await new Promise<void>((r) =>
        requestAnimationFrame(() => setTimeout(() => requestAnimationFrame(() => r()), 0)),
      );
      return performance.now() - t0;
    }, text);
    const pasteProfile = (await cdp.send('Profiler.stop')).profile as unknown as Profile;

    await cdp.send('Profiler.start');
    const keys = await page.evaluate(async (source) => {
      const ta = document.querySelector('textarea.source') as HTMLTextAreaElement;
      const re = new RegExp(source);
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        // A real edit: select the number and type over it.
        const m = re.exec(ta.value);
        if (!m) throw new Error(`no match for ${source}`);
        const start = m.index + m[1].length;
        ta.focus();
        ta.setSelectionRange(start, start + m[2].length);
        const t0 = performance.now();
        document.execCommand('insertText', false, String(20000 + i));
        await new Promise<void>((r) =>
          requestAnimationFrame(() => setTimeout(() => requestAnimationFrame(() => r()), 0)),
        );
        out.push(performance.now() - t0);
      }
      return out;
    }, keyed);
    const keyProfile = (await cdp.send('Profiler.stop')).profile as unknown as Profile;

    fs.writeFileSync(`${ARTIFACTS}/profile-${name}-paste.cpuprofile`, JSON.stringify(pasteProfile));
    fs.writeFileSync(`${ARTIFACTS}/profile-${name}-keys.cpuprofile`, JSON.stringify(keyProfile));
    const svgNodes = await page.evaluate(() => document.querySelectorAll('svg.graph *').length);
    const sorted = [...keys].sort((a, b) => a - b);
    console.log(
      `PROFILE ${name}: paste ${paste.toFixed(0)} ms, keystroke median ${sorted[10].toFixed(1)} ms, max ${sorted[19].toFixed(1)} ms, ${svgNodes} SVG nodes`,
    );
    for (const [label, profile] of [
      ['paste', pasteProfile],
      ['keystrokes', keyProfile],
    ] as const) {
      console.log(`  top self time, ${label}:`);
      for (const [fn, ms] of top(profile)) console.log(`    ${ms.toFixed(1).padStart(8)} ms  ${fn}`);
    }
    void settled;
  });
}
