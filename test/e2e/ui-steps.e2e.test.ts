/**
 * Per-step curves and a readable Compare, as a user sees them: a finished run's page switched to
 * "Per step" draws its stored points; Compare with 14 runs of two data sets warns, and grouping by lr
 * orders the groups numerically. Screenshots go to the temp folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasChromium } from '../support/browser';
import { openPage, tinyIdx, uiHarness, type UiHarness } from './ui-support';
import { presetModel } from '../../shared/models';
import { TrainConfig } from '../../shared/domain';
import { datasetRecord } from '../support/fixtures';

const shots = process.env.SWEEPLAB_SHOTS ?? join(tmpdir(), 'sweeplab-shots');

describe.skipIf(!hasChromium)('per-step curves and Compare in the UI', () => {
  let h: UiHarness;
  let page: Page;
  let datasetId: string;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    h = await uiHarness();
    const dir = join(h.t.dataDir, 'fixture-idx');
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(tinyIdx({ train: 600, test: 60 }))) writeFileSync(join(dir, name), bytes);
    datasetId = (await h.t.call('datasets.import', { paths: [dir], name: 'Steps fixture' })).id;
    page = await openPage(h, errors, '#/runs');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a run page switched to Per step draws the stored per-step points', async () => {
    const run = await h.t.call('runs.create', { datasetId, model: presetModel('shl', 3), config: { lr: 0.05, clipNorm: 0.5, epochs: 3, batchSize: 16 }, name: 'steps run' });
    await expect.poll(async () => (await h.t.call('runs.get', { id: run.id })).status, { timeout: 60_000 }).toBe('completed');
    const stored = await h.t.call('runs.steps', { id: run.id });
    const points = stored.reduce((n, s) => n + s.points.length, 0);
    expect(points).toBeGreaterThan(3);
    await page.evaluate((id) => (location.hash = `/runs/${id}`), run.id);
    await page.getByTestId('view-step').click();
    const charts = page.locator('[data-step-points]');
    await expect.poll(async () => Number(await charts.getAttribute('data-step-points')), { timeout: 10_000 }).toBe(points);
    expect(await page.locator('[data-testid="step-curves-chart"] canvas').count()).toBeGreaterThan(0);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'run-per-step.png'), fullPage: true });
    await page.getByTestId('view-epoch').click();
    await page.locator('[data-testid="curves-chart"] canvas').first().waitFor();
    expect(errors).toEqual([]);
  }, 90_000);

  it('Compare with 14 runs of two data sets warns, and groups by lr in numeric order', async () => {
    const store = h.t.runtime.store;
    const other = datasetRecord({ name: 'Other data', checksum: `other-${Date.now()}` });
    store.datasets.insert(other);
    const ids: string[] = [];
    for (let i = 0; i < 14; i++) {
      const config = TrainConfig.parse({ lr: [0.0005, 0.001, 0.01][i % 3]!, clipNorm: 1, seed: i, epochs: 5 });
      const run = store.runs.create({ name: `cmp ${i}`, datasetId: i === 13 ? other.id : datasetId, model: presetModel('shl', 3), config });
      for (let e = 1; e <= 5; e++) {
        const acc = 0.5 + i * 0.02 + e * 0.05;
        store.runs.addEpoch(run.id, { epoch: e, loss: 1 / e + i / 10, trainAcc: Math.min(1, acc + 0.02), valAcc: Math.min(1, acc), valLoss: 1 / e, seconds: 1, gradNormMean: 1, gradNormMax: 2, clippedFraction: 0 });
      }
      store.runs.update(run.id, { status: 'completed' });
      ids.push(run.id);
    }
    await page.evaluate((list) => (location.hash = `/compare?ids=${list.join(',')}`), ids);
    const warning = page.getByTestId('mixed-datasets');
    await warning.waitFor({ timeout: 10_000 });
    expect(await warning.textContent()).toContain('Other data');
    const chart = page.getByTestId('compare-chart');
    await chart.locator('canvas').first().waitFor();
    await page.waitForTimeout(300);
    // The tooltip's text (run, configuration) is checked on the chart option in test/reports/compare.test.ts.
    await page.screenshot({ path: join(shots, 'compare-warning.png'), fullPage: true });
    await page.getByTestId('group-by').selectOption('lr');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'compare-grouped.png'), fullPage: true });
    const rows = await page.locator('[data-testid="overfit-table"] tbody tr td:first-child').allTextContents();
    const lrs = rows.map((r) => Number(r.trim().replace(/^lr /, '')));
    expect(lrs).toEqual([0.0005, 0.001, 0.01]);
    expect(errors).toEqual([]);
  }, 90_000);
});
