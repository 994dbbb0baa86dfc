/**
 * Reports and exports from the UI in Chromium: the Export menu's PDF arrives as a download (in the
 * desktop app Electron turns the same download into its save dialog), and a JSON export imported
 * through Runs → Import history brings a deleted run back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasChromium } from '../support/browser';
import { datasetRecord, tempDir } from '../support/fixtures';
import { openPage, uiHarness, type UiHarness } from './ui-support';
import { presetModel } from '../../shared/models';
import { TrainConfig } from '../../shared/domain';

describe.skipIf(!hasChromium)('reports and exports from the UI', () => {
  let h: UiHarness;
  let runId: string;
  const files = tempDir();
  const errors: string[] = [];

  beforeAll(async () => {
    h = await uiHarness();
    const { store } = h.t.runtime;
    const ds = datasetRecord({ name: 'Export digits' });
    store.datasets.insert(ds);
    const run = store.runs.create({ datasetId: ds.id, model: presetModel('both'), config: TrainConfig.parse({ lr: 0.001, clipNorm: 1.5, epochs: 2 }), name: 'exported run', status: 'completed' });
    for (const epoch of [1, 2]) {
      store.runs.addEpoch(run.id, { epoch, loss: 0.6 / epoch, trainAcc: 0.8 + epoch / 100, valAcc: 0.9123 + epoch / 1000, valLoss: 0.4, seconds: 3, gradNormMean: 1.2, gradNormMax: 3, clippedFraction: 0.25 });
    }
    runId = run.id;
  });
  afterAll(async () => {
    await h?.close();
    files.remove();
  });

  it('saves the PDF report of a run from its Export menu', async () => {
    const page = await openPage(h, errors, `#/runs/${runId}`);
    await page.getByTestId('export-menu').click();
    const download = page.waitForEvent('download');
    await page.getByTestId('export-pdf').click();
    const file = await download;
    const path = join(files.path, file.suggestedFilename());
    await file.saveAs(path);
    expect(file.suggestedFilename()).toMatch(/\.pdf$/);
    expect(readFileSync(path).subarray(0, 5).toString()).toBe('%PDF-');
    const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
    expect(text).toContain('exported run');
    expect(text).toContain('91.43%'); // best val acc, epoch 2
    expect(text).toContain('Export digits');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('imports a JSON export through Runs → Import history', async () => {
    const result = await h.t.call('exports.data', { subject: { runIds: [runId] }, format: 'json' });
    const bundle = join(files.path, 'history.json');
    writeFileSync(bundle, Buffer.from(result.base64!, 'base64'));
    await h.t.call('runs.delete', { id: runId });

    const page = await openPage(h, errors, '#/runs');
    await page.getByTestId('import-history').setInputFiles(bundle);
    await page.locator('tr', { hasText: 'exported run' }).waitFor({ timeout: 10_000 });
    expect(h.t.runtime.store.runs.get(runId)?.epochsDone).toBe(2);
    expect(errors).toEqual([]);
    await page.close();
  });
});
