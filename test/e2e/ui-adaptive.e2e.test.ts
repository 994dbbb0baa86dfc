/**
 * Adaptive sweeps in the UI (Chromium, browser mode): a random search with ASHA set up in the New
 * sweep form (the plan says how many trial-epochs early termination is expected to leave), launched
 * and watched to the end; its page shows what the search and early termination did, the metric
 * against each parameter, and one statistics row per proposed configuration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasChromium } from '../support/browser';
import { openPage, tinyIdx, uiHarness, type UiHarness } from './ui-support';

describe.skipIf(!hasChromium)('adaptive sweeps in the UI', () => {
  let h: UiHarness;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    h = await uiHarness();
    const folder = join(h.t.dataDir, 'tiny-idx');
    mkdirSync(folder);
    for (const [name, bytes] of Object.entries(tinyIdx())) writeFileSync(join(folder, name), bytes);
    await h.t.call('datasets.import', { paths: [folder], name: 'tiny' });
    page = await openPage(h, errors, '#/sweeps/new');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sets up a random search with ASHA, sees the expected trial-epochs, launches it and reads its analysis', async () => {
    await page.getByTestId('field-method').selectOption('random');
    await page.getByTestId('field-trials').fill('4');
    await page.getByTestId('lr-mode-range').click();
    await page.getByTestId('field-lr-min').fill('0.000001');
    await page.getByTestId('field-lr-max').fill('0.1');
    await page.getByTestId('field-clip-list').fill('1, none');
    await page.getByTestId('field-repeats').fill('1');
    await page.getByTestId('field-epochs').fill('3');
    await page.getByTestId('field-subset').fill('');
    await page.getByTestId('field-prune').selectOption('asha');
    await page.getByTestId('field-name').fill('UI search');
    await expect.poll(() => page.getByTestId('trial-count').textContent(), { timeout: 10_000 }).toBe('4');
    // ASHA, grace 1, eta 3 on 3 epochs: rung 1 keeps a third: 4 + 2·(4/3) = 6.67 → about 7 of 12.
    await expect.poll(() => page.getByTestId('plan-epochs').textContent(), { timeout: 10_000 }).toMatch(/about 7 of 12 trial-epochs with early termination/);
    await page.getByTestId('launch').click();
    await page.waitForURL((u) => /#\/sweeps\/[A-Za-z0-9_-]+$/.test(u.href) && !u.href.endsWith('/new'));
    const sweepId = page.url().split('/').pop()!;
    await expect.poll(() => page.getByTestId('sweep-status').textContent(), { timeout: 180_000, interval: 500 }).toBe('completed');

    const detail = await h.t.call('sweeps.show', { id: sweepId });
    expect(detail.spec).toMatchObject({ method: 'random', trials: 4, ranges: { lr: { min: 0.000001, max: 0.1, log: true } }, prune: { rule: 'asha', grace: 1, eta: 3 } });
    const a = detail.stats.adaptive!;
    await expect.poll(() => page.getByTestId('compared-note').textContent(), { timeout: 15_000 }).toBe(a.note);
    expect(await page.getByTestId('adaptive-method').textContent()).toBe('random search, 4 configurations: 4 proposed');
    expect(await page.getByTestId('epochs-saved').textContent()).toContain(`${a.epochs.trained} trial-epochs trained, ${a.epochs.saved} saved by pruning`);
    const pruned = detail.trials.filter((t) => t.status === 'pruned');
    expect(await page.locator('[data-testid="pruned-trials"] tr').count()).toBe(pruned.length);
    if (detail.stats.cells.some((c) => c.finalValAcc.mean !== null)) {
      await page.locator('[data-testid="scatter-lr"] canvas').first().waitFor();
      await page.locator('[data-testid="scatter-clip"] canvas').first().waitFor();
      expect(await page.getByTestId('heatmap-chart').count()).toBe(0); // a search is not a grid
    }
    expect(await page.locator('[data-testid="stats-table"] tbody tr').count()).toBe(4);
    expect(errors).toEqual([]);
  }, 240_000);
});
