#!/usr/bin/env node
/**
 * Smoke test of a packaged Sweeplab (what the release workflow runs on each OS, and what you can
 * run locally after `node scripts/release/build.mjs --dir`):
 *
 *   launch the packaged executable with Playwright's Electron support, wait for its window,
 *   import the tiny bundled set (resources/smoke/tiny-bands.csv) and train one epoch on it through
 *   the app's own API (window.sweeplab: the preload bridge → IPC → service → trainer process, the
 *   real trainer path), check the run completed with a stored epoch, quit.
 *
 * Usage: node scripts/release/smoke.mjs [path to the packaged executable]
 *   Without a path it looks in dist/ for the unpacked app electron-builder made for this OS
 *   (dist/linux-unpacked/sweeplab, dist/win-unpacked/Sweeplab.exe,
 *   dist/mac*\/Sweeplab.app/Contents/MacOS/Sweeplab).
 * Exit 0 when the app trained; 1 with the reason otherwise. A screenshot of the window is left in
 * dist/smoke-<platform>.png either way. The app's data goes to a temporary SWEEPLAB_HOME.
 */
import { _electron as electron } from 'playwright-core';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const dist = join(root, 'dist');

function findExecutable() {
  const candidates = [];
  if (process.platform === 'linux') candidates.push(join(dist, 'linux-unpacked', 'sweeplab'), join(dist, 'linux-arm64-unpacked', 'sweeplab'));
  if (process.platform === 'win32') candidates.push(join(dist, 'win-unpacked', 'Sweeplab.exe'), join(dist, 'win-arm64-unpacked', 'Sweeplab.exe'));
  if (process.platform === 'darwin' && existsSync(dist)) {
    for (const dir of readdirSync(dist).filter((d) => d.startsWith('mac'))) candidates.push(join(dist, dir, 'Sweeplab.app', 'Contents', 'MacOS', 'Sweeplab'));
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`no packaged app found (looked for ${candidates.join(', ') || 'nothing on this platform'}); build one with: node scripts/release/build.mjs --dir`);
  return found;
}

const executablePath = resolve(process.argv[2] ?? findExecutable());
const home = mkdtempSync(join(tmpdir(), 'sweeplab-smoke-'));
const set = join(home, 'tiny-bands.csv');
copyFileSync(join(root, 'resources', 'smoke', 'tiny-bands.csv'), set);
const step = (text) => console.log(`[smoke] ${text}`);

let app;
let page;
let failure = null;
try {
  step(`launching ${executablePath}`);
  app = await electron.launch({
    executablePath,
    // Linux CI runners have no GPU and run as a user without a sandbox helper.
    args: process.platform === 'linux' ? ['--no-sandbox', '--disable-gpu'] : [],
    env: { ...process.env, SWEEPLAB_HOME: home, ELECTRON_ENABLE_LOGGING: '1' },
    timeout: 120_000,
  });
  app.process().stderr?.on('data', (d) => process.stderr.write(d));
  page = await app.firstWindow({ timeout: 60_000 });
  await page.waitForFunction(() => Boolean(window.sweeplab), null, { timeout: 60_000 });
  step(`window open: ${await page.title()}`);

  const result = await page.evaluate(
    async ({ path }) => {
      const api = window.sweeplab;
      const dataset = await api.call('datasets.import', { paths: [path], name: 'smoke tiny bands' });
      const run = await api.call('runs.create', {
        datasetId: dataset.id,
        name: 'smoke: one epoch',
        model: { init: { kind: 'kaiming_uniform' }, layers: [{ type: 'flatten' }, { type: 'linear', units: 16 }, { type: 'relu' }, { type: 'linear', units: dataset.numClasses }] },
        config: { lr: 0.01, epochs: 1, batchSize: 32, seed: 1 },
      });
      const deadline = Date.now() + 180_000;
      for (;;) {
        const now = await api.call('runs.get', { id: run.id });
        if (!['queued', 'running'].includes(now.status)) return { status: now.status, error: now.error, epochs: now.epochsDone, backend: now.backend, acc: now.bestValAcc };
        if (Date.now() > deadline) return { status: 'timeout', error: 'the run did not end within 3 minutes', epochs: now.epochsDone, backend: now.backend, acc: null };
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    { path: set },
  );
  step(`run ended ${result.status} after ${result.epochs} epoch(s) on ${result.backend}, validation accuracy ${result.acc}`);
  if (result.status !== 'completed' || result.epochs !== 1) failure = `the run ended ${result.status}: ${result.error ?? 'no error recorded'}`;
} catch (error) {
  failure = error instanceof Error ? error.message : String(error);
} finally {
  if (page) await page.screenshot({ path: join(dist, `smoke-${process.platform}.png`) }).catch(() => undefined);
  if (app) await app.close().catch(() => undefined);
  rmSync(home, { recursive: true, force: true, maxRetries: 3 });
}
if (failure) {
  console.error(`[smoke] FAILED: ${failure}`);
  process.exit(1);
}
step('ok: launched, opened the window, trained one epoch, quit');
