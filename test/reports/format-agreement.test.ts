/**
 * One formatting for the app, the CLI and the PDF: a run at lr 5e-5 (clip 2.5) reads "5e-5" on
 * screen (renderer/src/lib/format.ts), in `runs show` (the CLI) and in its PDF report, never
 * "0.00005" in one of them.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ui from '../../renderer/src/lib/format';
import * as shared from '../../shared/format';
import { buildReport } from '../../electron/reports';
import { addRun, makeHistory } from './fixtures';
import { heatmapChart } from '../../electron/reports/charts';
import { heatmapOption } from '../../renderer/src/lib/sweepCharts';
import { LIGHT } from '../../renderer/src/lib/palette';
import { HEATMAP_COLORS } from '../../shared/heatmap';
import type { CellStats } from '../../shared/contract';
import { appRoot } from '../../electron/paths';

describe('UI, CLI and PDF format numbers alike', () => {
  it('the app formats with shared/format.ts itself', () => {
    for (const name of ['hyper', 'percent', 'duration', 'count', 'num', 'pValue'] as const) expect(ui[name]).toBe(shared[name]);
    expect([5e-5, 0.0005, 0.001, 1.5, 1e-7, 2e6, null].map(shared.hyper)).toEqual(['5e-5', '0.0005', '0.001', '1.5', '1e-7', '2e6', 'none']);
    expect(ui.dateTime('2025-11-29T08:12:00Z')).toMatch(/^2025-11-(29|28|30) \d\d:\d2$/);
    expect(shared.dateTime('2025-11-29T08:12:00Z')).toBe('2025-11-29 08:12 UTC');
  });

  it.skipIf(!existsSync('/usr/bin/pdftotext'))('a run at lr 5e-5 reads the same in the PDF and in the CLI', async () => {
    const h = makeHistory();
    try {
      const run = addRun(h.store, h.dataset.id, { name: 'tiny lr', preset: 'both', lr: 5e-5, clip: 2.5, seed: 0, epochs: 3, plateau: 0.8 });
      const report = await buildReport(h.store, { runIds: [run.id] }, { appVersion: '0.0.0' });
      const file = join(h.dataDir, 'tiny.pdf');
      writeFileSync(file, report.bytes);
      const pdf = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      expect(pdf).toContain(shared.hyper(5e-5));
      expect(pdf).not.toContain('0.00005');
      h.store.close();
      const stdout = execFileSync(process.execPath, [join(appRoot(), 'bin', 'sweeplab.mjs'), '--data-dir', h.dataDir, 'runs', 'show', run.id], { encoding: 'utf8' });
      expect(stdout).toContain(`lr ${ui.hyper(5e-5)}, clip ${ui.hyper(2.5)}`);
      expect(stdout).not.toContain('0.00005');
    } finally {
      h.close();
    }
  });

  it('the app and the PDF draw the heatmap alike: lr across, clip up, one viridis scale, one label colour', () => {
    const stats = (mean: number | null) => ({ n: 3, mean, std: 0.01, ci95: null });
    const cmp = { verdict: 'worse' as const, diff: 0, t: null, df: null, p: 0.5, pHolm: 0.5 };
    const cell = (lr: number, clip: number | null, mean: number | null): CellStats => ({
      cellId: `${lr}-${clip}`, label: '', lr, clip,
      trials: { total: 3, completed: 3, diverged: 0, failed: 0, pruned: 0, unfinished: 0 },
      prunedAtEpochs: [],
      bestValAcc: stats(mean), finalValAcc: stats(mean), bestEpoch: stats(3), finalTrainAcc: stats(0.95), overfitRatio: stats(0.95),
      vsBest: { bestValAcc: cmp, finalValAcc: cmp },
    });
    const lrs = [5e-5, 0.01, 0.1];
    const clips = [1, null];
    const values = [[0.9, 0.8], [0.85, null], [0.7, 0.75]];
    const cells = lrs.flatMap((lr, i) => clips.map((clip, j) => cell(lr, clip, values[i]![j]!)));
    const ui = heatmapOption(cells, [], 'bestValAcc', LIGHT);
    const svg = heatmapChart({ title: 't', lrs, clips, values, best: [0, 0], width: 400, height: 200 });
    const texts = [...svg.matchAll(/<text[^>]*transform="translate\(([\d.]+) ([\d.]+)\)"[^>]*>([^<]*)<\/text>/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), text: m[3]! }));
    const at = (text: string) => texts.find((t) => t.text === text)!;
    // Same axis titles and category labels, lr on x.
    expect((ui.xAxis as { name: string; data: string[] }).name).toBe('learning rate');
    expect((ui.xAxis as { data: string[] }).data).toEqual(['5e-5', '0.01', '0.1']);
    expect((ui.yAxis as { data: string[] }).data).toEqual(['1', 'none']);
    expect(svg).toContain('>learning rate<');
    // In the PDF the lr labels run left to right along one row, the clip labels up one column.
    expect(at('5e-5').y).toBe(at('0.1').y);
    expect(at('5e-5').x).toBeLessThan(at('0.01').x);
    expect(at('1').x).toBe(at('none').x);
    expect(at('1').y).toBeGreaterThan(at('none').y);
    // Cell 90.0% (lr 5e-5, clip 1) sits in the first column, bottom row; 75.0% in the last column, top row.
    expect(at('90.0').x).toBe(at('5e-5').x);
    expect(at('75.0').x).toBe(at('0.1').x);
    expect(at('90.0').y).toBe(at('1').y);
    // One colour scale.
    expect((ui.visualMap as { inRange: { color: string[] } }).inRange.color).toEqual([...HEATMAP_COLORS]);
    expect(svg.toLowerCase()).toMatch(/#440154|rgb\(68,\s*1,\s*84\)/);
    // The same label colour for the same cell.
    const uiLabel = (ui.series as { data: { value: unknown[]; label: { color: string } }[] }[])[0]!.data.find((d) => d.value[2] === 0.7)!.label.color;
    expect(svg).toMatch(new RegExp(`translate\\(${at('70.0').x} ${at('70.0').y}\\)" fill="${uiLabel}"`));
  });
});
