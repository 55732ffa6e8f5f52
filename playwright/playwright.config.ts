import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// Playwright never downloads browsers here: we use the system Chromium.
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

// 8099 by default; PALISADE_E2E_PORT moves it when several suites share a machine.
const PORT = Number(process.env.PALISADE_E2E_PORT ?? 8099);
// PALISADE_BASE_URL points the tests at an already running page (dev loop);
// otherwise the real server binary is started with a throwaway data dir.
const external = process.env.PALISADE_BASE_URL;
const baseURL = external ?? `http://127.0.0.1:${PORT}`;
const bin = process.env.PALISADE_BIN ?? '../target/debug/palisade';
const dataDir = external ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-e2e-'));

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    },
  },
  webServer: external
    ? undefined
    : {
        command: `${bin} serve --addr 127.0.0.1:${PORT} --data-dir ${dataDir}`,
        url: `http://127.0.0.1:${PORT}/healthz`,
        reuseExistingServer: false,
        timeout: 30_000,
        stdout: 'ignore',
        stderr: 'pipe',
      },
});
