import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../electron/server';
import { testRuntime } from '../support/runtime';
import { datasetRecord, tinyModel } from '../support/fixtures';
import { hasChromium, launchChromium } from '../support/browser';
import { appRoot } from '../../electron/paths';

const staticDir = join(appRoot(), 'out', 'renderer');

describe.skipIf(!hasChromium)('browser mode in Chromium', () => {
  let t: Awaited<ReturnType<typeof testRuntime>>;
  let server: RunningServer;
  let browser: Browser;
  let datasetId: string;

  beforeAll(async () => {
    if (!existsSync(join(staticDir, 'index.html'))) throw new Error('out/renderer is not built: `npm test` builds it first (scripts/pretest.mjs)');
    t = await testRuntime();
    const ds = datasetRecord({ name: 'Fixture digits' });
    t.runtime.store.datasets.insert(ds);
    datasetId = ds.id;
    server = await startServer({ service: t.runtime.service, events: t.runtime.events, dataDir: t.dataDir, staticDir, port: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.dispose();
  });

  it('refuses the page without the token', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`http://127.0.0.1:${server.port}/`);
    expect(response?.status()).toBe(401);
    await page.close();
  });

  it('shows a run created through the API in the list without a reload', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.getByTestId('runs-empty').waitFor();
    // The token left the address bar once the cookie was set.
    expect(page.url()).not.toContain('token=');

    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await t.call('runs.create', { datasetId, model: tinyModel, config: { lr: 0.005, clipNorm: 1 }, name: 'appears live', start: false });
    const row = page.locator('tr', { hasText: 'appears live' });
    await row.waitFor({ timeout: 5000 });
    expect(await row.textContent()).toContain('Fixture digits');
    expect(await row.textContent()).toContain('queued');
    expect(await page.getByTestId('runs-total').textContent()).toBe('1 run');
    expect(navigations).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
