/**
 * A new user's path through the UI in Chromium against browser mode: an empty app → a data set
 * dropped on the window → a model built (preset, editor, pasted PyTorch) → a tiny sweep launched
 * from the form and watched to the end → its analysis → two runs compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium } from '../support/browser';
import { dropFiles, openPage, tinyIdx, uiHarness, type UiHarness } from './ui-support';
import { describeModel, presetModel } from '../../shared/models';

const REPR = `Sequential(
  (0): Flatten(start_dim=1, end_dim=-1)
  (1): Linear(in_features=64, out_features=32, bias=True)
  (2): BatchNorm1d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (3): ReLU()
  (4): Dropout(p=0.25, inplace=False)
  (5): Linear(in_features=32, out_features=3, bias=True)
)`;

describe.skipIf(!hasChromium)('UI main paths in Chromium (browser mode)', () => {
  let h: UiHarness;
  let page: Page;
  const errors: string[] = [];
  let sweepId = '';

  beforeAll(async () => {
    h = await uiHarness();
    page = await openPage(h, errors);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends a new user to Data sets and imports files dropped anywhere on the window', async () => {
    await page.getByTestId('datasets-empty').waitFor();
    expect(await page.getByTestId('getting-started').textContent()).toContain('Add a data set');
    await dropFiles(page, tinyIdx());
    const detail = page.getByTestId('dataset-detail');
    await detail.waitFor({ timeout: 30_000 });
    const text = await detail.textContent();
    expect(text).toContain('8 × 8 × 1');
    expect(text).toContain('240');
    // A grid of sample images per class, as PNG data URLs.
    await page.locator('[data-testid="samples"] img').first().waitFor();
    const sources = await page.locator('[data-testid="samples"] img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).src));
    expect(sources.length).toBeGreaterThanOrEqual(3);
    expect(sources.every((s) => s.startsWith('data:image/png;base64,'))).toBe(true);
    const [ds] = await h.t.call('datasets.list', {});
    expect(ds!.shape).toEqual([8, 8, 1]);
    expect(ds!.counts).toEqual({ train: 240, test: 60 });
  });

  it('builds a model: preset, editor, pasted PyTorch, live parameter count', async () => {
    await page.getByTestId('nav-models').click();
    await page.getByTestId('preset-shl').click();
    const expected = describeModel(presetModel('shl', 3), [8, 8, 1], 3).totalParams;
    await expect.poll(() => page.getByTestId('model-check').textContent()).toContain(expected.toLocaleString('en-US'));

    // An edit that cannot be built says which layer and why.
    await page.locator('[data-testid="layer-0"] select').first().selectOption('relu');
    await expect.poll(() => page.getByTestId('model-check').textContent()).toMatch(/needs a flat input.*add a Flatten/);
    await page.locator('[data-testid="layer-0"] select').first().selectOption('flatten');

    await page.getByTestId('paste-pytorch').click();
    await page.getByTestId('paste-text').fill(REPR);
    await expect.poll(() => page.getByTestId('paste-preview').textContent()).toContain('6 layers');
    await page.getByTestId('paste-apply').click();
    const params = 64 * 32 + 32 + 2 * 32 + 32 * 3 + 3;
    await expect.poll(() => page.getByTestId('model-check').textContent()).toContain(params.toLocaleString('en-US'));
    await page.getByTestId('add-dropout').click();
    await expect.poll(() => page.locator('[data-testid^="layer-"]').count()).toBe(7);

    // Copy as PyTorch shows the nn.Sequential code of what is in the editor.
    await page.locator('button[title="Show the code"]').click();
    const code = await page.getByTestId('pytorch-code').textContent();
    expect(code).toContain('nn.Linear(64, 32)');
    expect(code).toContain('nn.Dropout(p=0.25)');
    await page.keyboard.press('Escape');

    await page.getByTestId('save-model').click();
    await page.getByTestId('use-model').click();
    await page.waitForURL(/#\/sweeps\/new\?model=saved/);
  });

  it('launches a tiny sweep from the form, validating as you type, and watches it finish', async () => {
    // Validation as you type: lr list with a bad value.
    await page.getByTestId('field-lr-list').fill('0.01, abc');
    await expect.poll(() => page.locator('.field-error').allTextContents()).toContain('"abc" is not a number');
    await page.getByTestId('field-lr-list').fill('0.003 0.03');
    await page.getByTestId('lr-mode-range').click();
    await page.getByTestId('field-lr-min').fill('0.003');
    await page.getByTestId('field-lr-max').fill('0.03');
    await page.getByTestId('field-lr-points').fill('2');
    expect(await page.getByTestId('lr-preview').textContent()).toBe('0.0030.03');
    await page.getByTestId('field-clip-list').fill('1, none');
    await page.getByTestId('field-repeats').fill('1');
    await page.getByTestId('field-epochs').fill('2');
    await page.getByTestId('field-subset').fill('');
    await page.getByTestId('field-name').fill('UI sweep');
    await expect.poll(() => page.getByTestId('trial-count').textContent(), { timeout: 10_000 }).toBe('4');
    // The plan from sweeps.plan: an ETA before launch.
    await expect.poll(() => page.getByTestId('sweep-plan').textContent(), { timeout: 10_000 }).toMatch(/about .* at \d+ at a time/);
    await page.getByTestId('launch').click();
    await page.waitForURL(/#\/sweeps\/[A-Za-z0-9_-]+$/);
    sweepId = page.url().split('/').pop()!;
    await expect.poll(() => page.getByTestId('sweep-status').textContent(), { timeout: 180_000, interval: 500 }).toBe('completed');
    const sweep = await h.t.call('sweeps.get', { id: sweepId });
    expect(sweep.trials).toMatchObject({ total: 4, done: 4 });
  }, 240_000);

  it('opens the analysis: best configuration, interaction plot, heatmap, statistics', async () => {
    await page.getByTestId('best-config').waitFor({ timeout: 15_000 });
    const detail = await h.t.call('sweeps.show', { id: sweepId });
    const best = detail.stats.cells.find((c) => c.cellId === detail.stats.best.bestValAcc)!;
    const bestText = await page.getByTestId('best-config').textContent();
    expect(bestText).toContain(`lr ${best.lr}`);
    expect(bestText).toContain(`${(best.bestValAcc.mean! * 100).toFixed(2)}%`);
    for (const chart of ['interaction-chart', 'heatmap-chart', 'parallel-chart']) {
      await page.locator(`[data-testid="${chart}"] canvas`).first().waitFor();
    }
    expect(await page.locator('[data-testid="stats-table"] tbody tr').count()).toBe(4);
    expect(await page.getByTestId('verdict-best').count()).toBe(1);

    // The best cell trained on the full data, after a confirmation that says how long it takes.
    await page.getByTestId('train-full').click();
    expect(await page.getByTestId('full-data-text').textContent()).toContain('all 240 training samples');
    expect(await page.getByTestId('full-data-estimate').textContent()).toMatch(/About \d/);
    expect(await h.t.call('runs.list', { inSweep: false, limit: 5 })).toMatchObject({ total: 0 });
    await page.getByTestId('confirm-train-full').click();
    await page.waitForURL(/#\/runs\/[A-Za-z0-9_-]+$/);
    const runId = page.url().split('/').pop()!;
    const run = await h.t.call('runs.get', { id: runId });
    expect(run.config).toMatchObject({ lr: best.lr, clipNorm: best.clip, subset: null });
    await page.getByTestId('run-view').waitFor();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 120_000, interval: 500 }).toBe('completed');
    await expect.poll(async () => Number(await page.getByTestId('epoch-count').textContent())).toBe(2);
  }, 180_000);

  it('compares two runs from the history', async () => {
    await page.getByTestId('nav-runs').click();
    await page.locator('[data-testid="runs-table"] tbody tr[data-run-id]').first().waitFor();
    expect(await page.getByTestId('runs-total').textContent()).toBe('5 runs');
    const boxes = page.locator('[data-testid="runs-table"] tbody tr[data-run-id] input[type="checkbox"]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByTestId('compare-selected').click();
    await page.waitForURL(/#\/compare\?ids=/);
    await page.locator('[data-testid="compare-chart"] canvas').first().waitFor();
    await expect.poll(() => page.locator('[data-testid="overfit-table"] tbody tr').count()).toBe(2);
    const ratios = await page.locator('[data-testid="overfit-table"] tbody tr td:nth-child(4)').allTextContents();
    ratios.forEach((r) => expect(Number(r.split(' ')[0])).toBeGreaterThan(0));
    await page.getByTestId('group-by').selectOption('dataset');
    await expect.poll(() => page.locator('[data-testid="overfit-table"] tbody tr').count()).toBe(1);
    await page.getByTestId('log-y').check();
    await page.getByTestId('x-time').click();
    expect(errors).toEqual([]);
  });

  it('stars, tags and filters runs in History; shortcuts navigate', async () => {
    // Browser mode: g then r (Ctrl+4 is the browser's: its fourth tab).
    await page.keyboard.press('g');
    await page.keyboard.press('r');
    await page.waitForURL(/#\/runs$/);
    const rows = page.locator('[data-testid="runs-table"] tbody tr[data-run-id]');
    await rows.first().waitFor();
    const firstId = (await rows.first().getAttribute('data-run-id'))!;
    await rows.first().locator('button.star').click();
    await expect.poll(async () => (await h.t.call('runs.get', { id: firstId })).starred).toBe(true);
    await rows.nth(0).locator('input[type="checkbox"]').check();
    await rows.nth(1).locator('input[type="checkbox"]').check();
    await page.getByTestId('tag-selected').click();
    await page.getByTestId('tag-input').fill('keep, ui');
    await page.getByTestId('tag-apply').click();
    await expect.poll(async () => (await h.t.call('runs.list', { tags: ['keep', 'ui'] })).total).toBe(2);
    // Filters: starred only, then a tag.
    await page.locator('.filters button.chip', { hasText: 'starred' }).click();
    await expect.poll(() => page.getByTestId('runs-total').textContent()).toBe('1 run');
    await page.getByTestId('clear-filters').click();
    await expect.poll(() => page.getByTestId('runs-total').textContent()).toBe('5 runs');
    await page.keyboard.press('/');
    await page.keyboard.type('full data');
    await expect.poll(() => page.getByTestId('runs-total').textContent()).toBe('1 run');
    await page.keyboard.press('Escape');
  });

  it('refuses to delete a data set that runs use, and offers to delete them too', async () => {
    // Plain-key shortcuts are typed into a focused text field: out of the search box first.
    await page.locator('h1').first().click();
    await page.keyboard.press('g');
    await page.keyboard.press('d');
    await page.waitForURL(/#\/datasets/);
    await page.getByTestId('dataset-detail').waitFor();
    await page.locator('[data-testid="dataset-detail"] button', { hasText: 'Delete…' }).click();
    // The first question says what goes with it, in the user's words.
    await expect.poll(() => page.getByTestId('delete-usage').textContent()).toMatch(/is used by \d+ runs? in 1 sweep/);
    expect(await page.locator('.dialog').textContent()).not.toMatch(/cascade/i);
    await page.getByTestId('delete-cascade').click();
    await page.getByTestId('datasets-empty').waitFor();
    expect((await h.t.call('runs.list', {})).total).toBe(0);
    expect(errors).toEqual([]);
  });
});
