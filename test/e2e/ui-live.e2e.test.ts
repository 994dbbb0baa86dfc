/**
 * Live training in the UI with real trainer processes: curves that grow epoch by epoch, a sweep
 * paused, resumed and cancelled from its controls, a single run cancelled from its page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasChromium } from '../support/browser';
import { openPage, tinyIdx, uiHarness, type UiHarness } from './ui-support';
import { presetModel } from '../../shared/models';

describe.skipIf(!hasChromium)('live training in the UI', () => {
  let h: UiHarness;
  let page: Page;
  let datasetId: string;
  const errors: string[] = [];

  beforeAll(async () => {
    h = await uiHarness();
    const dir = join(h.t.dataDir, 'fixture-idx');
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(tinyIdx({ train: 600, test: 60 }))) writeFileSync(join(dir, name), bytes);
    datasetId = (await h.t.call('datasets.import', { paths: [dir], name: 'Live fixture' })).id;
    page = await openPage(h, errors, '#/live');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('draws a sweep trial epoch by epoch, then pauses, resumes and cancels the sweep', async () => {
    const sweep = await h.t.call('sweeps.create', {
      spec: { name: 'long sweep', datasetId, model: presetModel('five', 3), base: { lr: 0.001, epochs: 400 }, axes: { lr: { values: [0.001, 0.003] }, clip: [1] }, repeats: 1 },
      concurrency: 1,
    });
    const card = page.locator('[data-testid^="live-run-"]').first();
    await card.waitFor({ timeout: 30_000 });
    const epochs = card.getByTestId('epoch-count');
    await expect.poll(async () => Number(await epochs.textContent()), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    const before = Number(await epochs.textContent());
    await expect.poll(async () => Number(await epochs.textContent()), { timeout: 30_000 }).toBeGreaterThan(before);
    expect(await card.locator('[data-testid="curves-chart"] canvas').count()).toBeGreaterThan(0);

    const controls = page.getByTestId(`sweep-progress-${sweep.id}`);
    await controls.getByTestId('pause-sweep').click();
    await expect.poll(async () => (await h.t.call('sweeps.get', { id: sweep.id })).status, { timeout: 30_000 }).toBe('paused');
    await expect.poll(() => controls.getByTestId('sweep-status').textContent()).toBe('paused');
    // The trial the pause stopped reads 'paused' (not 'interrupted', which reads like a crash).
    const [trial] = (await h.t.call('runs.list', { sweepId: sweep.id, status: ['interrupted'], limit: 5 })).items;
    expect(trial).toBeTruthy();
    await page.evaluate((id) => (location.hash = `/runs/${id}`), trial!.id);
    await expect.poll(() => page.getByTestId('run-status').textContent()).toBe('paused');
    await page.evaluate(() => (location.hash = '/live'));
    await controls.getByTestId('resume-sweep').click();
    await expect.poll(async () => (await h.t.call('sweeps.get', { id: sweep.id })).status, { timeout: 30_000 }).toBe('running');
    await controls.getByTestId('cancel-sweep').click();
    // Cancelling a whole sweep asks first; the dialog offers Pause instead.
    await page.getByTestId('cancel-sweep-text').waitFor();
    expect((await h.t.call('sweeps.get', { id: sweep.id })).status).toBe('running');
    await page.getByTestId('confirm-cancel-sweep').click();
    await expect.poll(async () => (await h.t.call('sweeps.get', { id: sweep.id })).status, { timeout: 30_000 }).toBe('cancelled');
    await page.getByTestId('latest-sweep').waitFor();
  }, 150_000);

  it('cancels a single run from its page', async () => {
    const run = await h.t.call('runs.create', { datasetId, model: presetModel('five', 3), config: { lr: 0.001, epochs: 400 }, name: 'long run' });
    await page.evaluate((id) => (location.hash = `/runs/${id}`), run.id);
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('running');
    await expect.poll(async () => Number(await page.getByTestId('epoch-count').textContent()), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await page.getByTestId('cancel-run').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('cancelled');
    expect((await h.t.call('runs.get', { id: run.id })).status).toBe('cancelled');
    expect(errors).toEqual([]);
  }, 90_000);
});
