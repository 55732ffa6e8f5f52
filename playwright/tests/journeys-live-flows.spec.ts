import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, expect, openEditor, shot } from './fixtures';
import { openJourney, workspaceTexts } from './journeys-helpers';

// "Read live flows for 30 s": a second `palisade serve --hubble-relay`, on a
// free port, reading from the recorded Observer (server/examples/recorded_relay.rs,
// a stand-in for Hubble Relay that streams the real hubble-otel capture).
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.resolve(process.env.PALISADE_BIN ?? path.join(ROOT, 'target', 'debug', 'palisade'));
const RELAY_BIN = path.join(path.dirname(BIN), 'examples', 'recorded_relay');
const CAPTURE = path.join(ROOT, 'policy-core', 'tests', 'data', 'hubble', 'basic-sample-400-tcp-flows.json');

/** Starts `command` and resolves with the first match of `pattern` in its stdout. */
function startAndRead(command: string, args: string[], pattern: RegExp): Promise<[ChildProcess, string]> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RUST_LOG: 'info' } });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${command}: no ${pattern} in 20 s: ${seen}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve([child, match[1]]);
      }
    });
    child.on('exit', (code) => reject(new Error(`${command} exited (${code}): ${seen}`)));
  });
}

let relay: ChildProcess | undefined;
let server: ChildProcess | undefined;
let liveBase = '';

test.beforeAll(async () => {
  test.setTimeout(300_000);
  if (!fs.existsSync(RELAY_BIN)) {
    execFileSync('cargo', ['build', '-p', 'server', '--example', 'recorded_relay'], { cwd: ROOT, stdio: 'inherit' });
  }
  // 20 ms between records: the 400 flows arrive over ~8 s, so progress shows.
  const [relayChild, relayAddr] = await startAndRead(
    RELAY_BIN,
    ['--addr', '127.0.0.1:0', '--pace-ms', '20', CAPTURE],
    /listening on (\S+)/,
  );
  relay = relayChild;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-e2e-live-'));
  const [serverChild, addr] = await startAndRead(
    BIN,
    ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--hubble-relay', relayAddr],
    /palisade listening on (http:\/\/\S+)/,
  );
  server = serverChild;
  liveBase = addr;
});

test.afterAll(() => {
  server?.kill('SIGTERM');
  relay?.kill('SIGTERM');
});

test('read live flows for 30 s through the server, with progress, then generate from them', async ({ page, problems }) => {
  test.setTimeout(120_000);
  await page.goto(`${liveBase}/`);
  await page.waitForSelector('html[data-ready="true"]');
  await openJourney(page, 'Flows');
  const start = page.getByRole('button', { name: 'Read live flows for 30 s' });
  await start.click();
  await expect(start).toBeDisabled();
  const progress = page.locator('.live-progress');
  await expect(progress).toContainText(/Reading live flows from Hubble Relay… \d+ s of 30, [1-9]\d* flows so far/, { timeout: 10_000 });
  await shot(page, 'journeys-live-flows-reading');
  // The flows arrive in ~8 s; the reading lasts the full 30 s.
  await expect(progress).toContainText('400 flows so far', { timeout: 20_000 });
  await expect(page.locator('.flows-meta')).toContainText('Live flows (30 s): 400 flows', { timeout: 35_000 });
  await expect(progress).toHaveCount(0);
  await expect(start).toBeEnabled();
  const rows = page.locator('tr.flow-row');
  expect(await rows.count()).toBeGreaterThan(10);
  await shot(page, 'journeys-live-flows-loaded');

  const before = (await workspaceTexts(page)).length;
  await page.getByRole('button', { name: /Generate a policy from \d+ ticked flows/ }).click();
  await expect.poll(async () => (await workspaceTexts(page)).length).toBeGreaterThan(before);
  await expect(page.locator('tr.flow-row[data-allowed="false"]')).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('a server without Hubble Relay says how to connect one', async ({ page, problems }) => {
  await openEditor(page);
  await openJourney(page, 'Flows');
  await page.getByRole('button', { name: 'Read live flows for 30 s' }).click();
  await expect(page.locator('.live-flows [role="alert"]')).toHaveText(
    'Live flows: HTTP 503: this server reads no live flows: start it with `palisade serve --hubble-relay HOST:PORT`',
  );
  await shot(page, 'journeys-live-flows-no-relay');
  // The browser logs the 503 it was answered; that is the expected answer here.
  for (let i = problems.length - 1; i >= 0; i--) {
    if (/status of 503/.test(problems[i])) problems.splice(i, 1);
  }
  expect(problems).toEqual([]);
});
