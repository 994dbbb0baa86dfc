/**
 * What a new user hit in browser mode: the favicon, the browser's own Ctrl/⌘ shortcuts, and
 * deletes that must reach every open tab (a data set deleted with its runs while its sweep trains
 * leaves no ghost queued trials on Live, and a deleted run's link gets a page with a way back).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasChromium } from '../support/browser';
import { openPage, tinyIdx, uiHarness, type UiHarness } from './ui-support';
import { presetModel } from '../../shared/models';

describe.skipIf(!hasChromium)('a new user in browser mode', () => {
  let h: UiHarness;
  const errors: string[] = [];

  beforeAll(async () => {
    h = await uiHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('serves the favicon the page links to, and the page loads without a failed request', async () => {
    const base = `http://127.0.0.1:${h.server.port}`;
    const index = await fetch(`${base}/?token=${h.server.token}`);
    const html = await index.text();
    const href = /<link rel="icon"[^>]*href="([^"]+)"/.exec(html)?.[1];
    expect(href).toBeTruthy();
    const icon = await fetch(new URL(href!, `${base}/`), { headers: { authorization: `Bearer ${h.server.token}` } });
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await icon.text()).toContain('<svg');

    const page = await h.browser.newPage();
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') failed.push(m.text());
    });
    await page.goto(h.server.url);
    await page.getByTestId('datasets-empty').waitFor();
    await page.waitForLoadState('networkidle');
    expect(failed).toEqual([]);
    await page.close();
  });

  it('leaves Ctrl+N, Ctrl+O and Ctrl+1 to the browser, and offers plain keys instead', async () => {
    const page = await openPage(h, errors, '#/runs');
    await page.getByRole('heading', { name: 'Runs' }).first().waitFor();
    // What the page does with the key: not claimed (defaultPrevented stays false), no navigation.
    const claimed = (key: string, init: { ctrlKey?: boolean; metaKey?: boolean; shiftKey?: boolean }): Promise<boolean> =>
      page.evaluate((arg: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }) => {
        const e = new KeyboardEvent('keydown', { ...arg, bubbles: true, cancelable: true });
        window.dispatchEvent(e);
        return e.defaultPrevented;
      }, { key, ctrlKey: !!init.ctrlKey, metaKey: !!init.metaKey, shiftKey: !!init.shiftKey });
    for (const [key, init] of [['n', { ctrlKey: true }], ['o', { ctrlKey: true }], ['N', { ctrlKey: true, shiftKey: true }], ['1', { ctrlKey: true }], ['n', { metaKey: true }]] as const) {
      expect(await claimed(key, init)).toBe(false);
    }
    expect(await page.evaluate(() => location.hash)).toBe('#/runs');
    await page.keyboard.press('n');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/runs/new');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('g');
    await page.keyboard.press('d');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/datasets');
    await page.keyboard.press('?');
    expect(await page.locator('table.shortcuts').textContent()).not.toContain('Ctrl');
    await page.close();
  });

  it('drops the trials of a data set deleted with its runs from Live in every open tab; a deleted run gets a way back', async () => {
    const dir = join(h.t.dataDir, 'fixture-idx');
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(tinyIdx({ train: 600, test: 60 }))) writeFileSync(join(dir, name), bytes);
    const datasetId = (await h.t.call('datasets.import', { paths: [dir], name: 'Doomed' })).id;
    const sweep = await h.t.call('sweeps.create', {
      spec: { name: 'doomed sweep', datasetId, model: presetModel('five', 3), base: { lr: 0.001, epochs: 400 }, axes: { lr: { values: [0.001, 0.002, 0.003, 0.004, 0.005] }, clip: [1] }, repeats: 1 },
      concurrency: 1,
    });
    const tabs: Page[] = [await openPage(h, errors, '#/live'), await openPage(h, errors, '#/live')];
    for (const tab of tabs) {
      await expect.poll(() => tab.locator('.page-head .sub').textContent(), { timeout: 30_000 }).toMatch(/1 training · 4 queued/);
    }
    const trials = await h.t.call('runs.list', { sweepId: sweep.id, limit: 10 });
    const queuedId = trials.items.find((r) => r.status === 'queued')!.id;
    // A third tab has one of the queued trials open.
    const trialTab = await openPage(h, errors, `#/runs/${queuedId}`);
    await trialTab.getByTestId('run-view').waitFor();

    await h.t.call('datasets.delete', { id: datasetId, cascade: true });
    for (const tab of tabs) {
      await expect.poll(() => tab.locator('.page-head .sub').textContent(), { timeout: 15_000 }).toMatch(/0 training · 0 queued/);
      expect(await tab.locator('.queued .chip').count()).toBe(0);
    }
    // The open trial says it went, with a way back.
    await trialTab.getByTestId('run-missing').waitFor();
    expect(await trialTab.getByTestId('run-missing').textContent()).toContain('deleted');
    // A stale link to it: a page with a way back, not a bare error.
    await trialTab.evaluate(() => (location.hash = '/live'));
    await trialTab.evaluate((id) => (location.hash = `/runs/${id}`), queuedId);
    const missing = trialTab.getByTestId('run-missing');
    await missing.waitFor();
    await missing.getByRole('button', { name: /All runs/ }).click();
    await expect.poll(() => trialTab.evaluate(() => location.hash)).toBe('#/runs');
    await trialTab.evaluate((id) => (location.hash = `/sweeps/${id}`), sweep.id);
    await trialTab.getByTestId('sweep-missing').waitFor();
    expect(errors).toEqual([]);
  }, 120_000);
});
