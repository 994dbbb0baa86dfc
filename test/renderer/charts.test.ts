import { describe, expect, it } from 'vitest';
import { compareOption, gradientOption, runCurvesOption, runPoints } from '../../renderer/src/lib/curves';
import { adaptiveSummaryLines, bestConfig, fullDataEstimate, fullDataRun, heatmapOption, interactionOption, otherAxes, parallelOption, scatterOption, sliceCells, sortedClips, statsRows } from '../../renderer/src/lib/sweepCharts';
import { LIGHT } from '../../renderer/src/lib/palette';
import type { CellStats, SweepTrial } from '../../shared/contract';
import type { EpochMetrics } from '../../shared/domain';
import { SweepSpec } from '../../shared/domain';
import { presetModel } from '../../shared/models';

const ep = (epoch: number, valAcc: number, extra: Partial<EpochMetrics> = {}): EpochMetrics => ({
  epoch, loss: 1 / epoch, trainAcc: valAcc + 0.05, valAcc, valLoss: 0.5, seconds: 2, gradNormMean: 1, gradNormMax: 2, clippedFraction: 0.1, ...extra,
});
type Series = { name?: string; type: string; data: unknown[]; id?: string };
const series = (o: { series?: unknown }) => o.series as Series[];

const stats = (mean: number | null, n = 3, std: number | null = 0.01) => ({ n, mean, std, ci95: mean === null || std === null ? null : ([mean - 0.02, mean + 0.02] as [number, number]) });
const cmp = (verdict: 'best' | 'tied' | 'worse' | 'untested', pHolm: number | null = 0.5) => ({ verdict, diff: 0, t: null, df: null, p: pHolm, pHolm });
function cell(lr: number, clip: number | null, mean: number | null, verdict: 'best' | 'tied' | 'worse' | 'untested' = 'worse'): CellStats {
  return {
    cellId: `lr${lr}-c${clip}`, label: `lr ${lr} clip ${clip}`, lr, clip,
    trials: { total: 3, completed: 3, diverged: 0, failed: 0, pruned: 0, unfinished: 0 },
    prunedAtEpochs: [],
    bestValAcc: stats(mean), finalValAcc: stats(mean === null ? null : mean - 0.01), bestEpoch: stats(10), finalTrainAcc: stats(0.95), overfitRatio: stats(0.95),
    vsBest: { bestValAcc: cmp(verdict), finalValAcc: cmp(verdict) },
  };
}
const trial = (c: CellStats, seed: number, vals: number[]): SweepTrial => ({
  id: `t${c.cellId}${seed}`, cellId: c.cellId, lr: c.lr, clip: c.clip, seed, status: 'completed', error: null, backend: 'wasm', epochs: vals.map((v, i) => ep(i + 1, v)),
});

describe('run curves', () => {
  it('puts loss on the left axis and accuracies on the right, x fixed to all epochs', () => {
    const o = runCurvesOption([ep(1, 0.5), ep(2, 0.6)], 16, LIGHT);
    expect((o.xAxis as { max: number }).max).toBe(16);
    const s = series(o);
    expect(s.map((x) => x.name)).toEqual(['loss (left)', 'train acc', 'val acc']);
    expect(s[2]!.data).toEqual([[1, 0.5], [2, 0.6]]);
    expect((s[0] as unknown as { yAxisIndex: number }).yAxisIndex).toBe(0);
    expect((s[1] as unknown as { yAxisIndex: number }).yAxisIndex).toBe(1);
  });

  it('draws the clip threshold only for clipped runs', () => {
    const clipped = series(gradientOption([ep(1, 0.5, { gradNormMean: 2.5, clippedFraction: 0.7 })], 4, 1.5, LIGHT));
    expect(clipped[0]!.data).toEqual([[1, 0.7]]);
    expect((clipped[1] as unknown as { markLine: { data: unknown[] } }).markLine.data).toEqual([{ yAxis: 1.5 }]);
    expect('markLine' in series(gradientOption([ep(1, 0.5)], 4, null, LIGHT))[1]!).toBe(false);
  });
});

describe('compare chart', () => {
  const runs = [
    { id: 'a', name: 'a', epochs: [ep(1, 0.5, { seconds: 10 }), ep(2, 0.7, { seconds: 10 })], group: 'lr 0.001' },
    { id: 'b', name: 'b', epochs: [ep(1, 0.7, { seconds: 20 }), ep(2, 0.9, { seconds: 20 })], group: 'lr 0.001' },
    { id: 'c', name: 'c', epochs: [ep(1, 0.2)], group: 'lr 0.1' },
  ];
  const base = { metric: 'valAcc' as const, x: 'epoch' as const, logY: false, smoothing: 0, grouped: false };

  it('draws one line per run, by epoch or by elapsed time, smoothed', () => {
    const s = series(compareOption(runs, base, LIGHT));
    expect(s.map((x) => x.id)).toEqual(['a', 'b', 'c']);
    expect(s[1]!.data).toEqual([[1, 0.7], [2, 0.9]]);
    expect(runPoints(runs[1]!.epochs, { metric: 'valAcc', x: 'time', smoothing: 0 })).toEqual([[20, 0.7], [40, 0.9]]);
    const smoothed = runPoints(runs[0]!.epochs, { metric: 'valAcc', x: 'epoch', smoothing: 0.5 });
    expect(smoothed[1]![1]).toBeCloseTo((0.25 * 0.5 + 0.5 * 0.7) / 0.75, 12);
    expect((compareOption(runs, { ...base, logY: true }, LIGHT).yAxis as { type: string }).type).toBe('log');
  });

  it('draws a mean line and a ± std band per group', () => {
    const s = series(compareOption(runs, { ...base, grouped: true }, LIGHT));
    expect(s.map((x) => `${x.type}:${x.name}`)).toEqual(['custom:lr 0.001 (n=2)', 'line:lr 0.001 (n=2)', 'custom:lr 0.1 (n=1)', 'line:lr 0.1 (n=1)']);
    const mean = s[1]!.data as { value: [number, number]; std: number }[];
    expect(mean[0]!.value[0]).toBe(1);
    expect(mean[0]!.value[1]).toBeCloseTo(0.6, 12);
    expect(mean[0]!.std).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    const band = s[0]!.data as number[][];
    expect(band[1]![1]).toBeCloseTo(0.8 - Math.SQRT2 * 0.1, 12);
    expect(band[1]![2]).toBeCloseTo(0.8 + Math.SQRT2 * 0.1, 12);
  });

  it('hides the legend and uses item tooltips with 100 runs', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, name: `r${i}`, epochs: Array.from({ length: 30 }, (_, e) => ep(e + 1, 0.5 + e / 100)) }));
    const t0 = performance.now();
    const o = compareOption(many, base, LIGHT);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(series(o)).toHaveLength(100);
    expect((o.legend as { show: boolean }).show).toBe(false);
    expect((o.tooltip as { trigger: string }).trigger).toBe('item');
  });
});

describe('sweep analysis', () => {
  const cells = [
    cell(0.001, 1.5, 0.918, 'best'),
    cell(0.001, null, 0.915, 'tied'),
    cell(0.01, 1.5, 0.9, 'worse'),
    cell(0.01, null, 0.88, 'worse'),
    cell(0.1, 1.5, null, 'untested'),
  ];

  it('plots val acc against lr, one line per clip value, no-clip last', () => {
    const o = interactionOption(cells, 'bestValAcc', LIGHT);
    expect((o.xAxis as { type: string }).type).toBe('log');
    const s = series(o);
    expect(s.map((x) => x.name)).toEqual(['clip 1.5', 'no clip']);
    expect((s[0]!.data as { value: number[] }[]).map((d) => d.value)).toEqual([[0.001, 0.918], [0.01, 0.9]]);
    expect(sortedClips(cells)).toEqual([1.5, null]);
  });

  it('maps cells onto an lr × clip grid with the best and tied marked, seeds as dots', () => {
    const trials = [trial(cells[0]!, 0, [0.9, 0.92]), trial(cells[0]!, 1, [0.91, 0.916]), trial(cells[2]!, 0, [0.9])];
    const o = heatmapOption(cells, trials, 'bestValAcc', LIGHT);
    expect((o.xAxis as { data: string[] }).data).toEqual(['0.001', '0.01', '0.1']);
    expect((o.yAxis as { data: string[] }).data).toEqual(['1.5', 'none']);
    const [heat, dots] = series(o);
    const best = (heat!.data as { value: unknown[]; label: { formatter(): string } }[])[0]!;
    expect(best.value).toEqual([0, 0, 0.918]);
    expect(best.label.formatter()).toBe('91.8% ★');
    expect((heat!.data as { label: { formatter(): string } }[])[1]!.label.formatter()).toBe('91.5% =');
    expect((heat!.data as { value: unknown[] }[])[4]!.value).toEqual([2, 0, '-']);
    expect((dots!.data as { v: number }[]).map((d) => d.v)).toEqual([0.92, 0.916, 0.9]);
    expect((o.visualMap as { min: number; max: number }).min).toBe(0.88);
  });

  it('lays every trial along lr, clip, seed and its accuracy', () => {
    const trials = [trial(cells[0]!, 0, [0.9, 0.92]), trial(cells[3]!, 1, [0.85])];
    const o = parallelOption({ trials }, 'finalValAcc', LIGHT);
    expect((o.parallelAxis as { name: string }[]).map((a) => a.name)).toEqual(['lr', 'clip', 'seed', 'final val acc']);
    expect(series(o)[0]!.data).toEqual([[0.001, '1.5', 0, 0.92], [0.01, 'none', 1, 0.85]]);
    // The seed axis ticks on integers only, over the seeds used (not 0…1 in fractions).
    expect((o.parallelAxis as { name: string }[]).find((a) => a.name === 'seed')).toMatchObject({ minInterval: 1, min: 0, max: 1 });
  });

  it('ranks the statistics table and names the best configuration', () => {
    const rows = statsRows(cells, 'bestValAcc');
    expect(rows.map((r) => r.verdict)).toEqual(['best', 'tied', 'worse', 'worse', 'untested']);
    const detail = { stats: { alpha: 0.05, adaptive: null, cells, best: { bestValAcc: cells[0]!.cellId, finalValAcc: null }, anova: { bestValAcc: [], finalValAcc: [] } } };
    expect(bestConfig(detail, 'bestValAcc')!.summary).toBe('lr 0.001, clip 1.5: 91.80% ± 1.00% over 3 seeds (95% CI 89.80% – 93.80%); 1 other cell is statistically tied with it');
    expect(bestConfig(detail, 'finalValAcc')).toBeNull();
  });

  it('slices by the other swept axes', () => {
    const withPreset = [{ ...cells[0]!, preset: 'both' as const }, { ...cells[1]!, preset: 'shl' as const }];
    expect(otherAxes(withPreset)).toEqual([{ key: 'preset', values: ['both', 'shl'] }]);
    expect(sliceCells(withPreset, { preset: 'shl' }).map((c) => c.cellId)).toEqual([cells[1]!.cellId]);
    expect(otherAxes(cells)).toEqual([]);
  });

  it('turns the best cell into a full-data run', () => {
    const spec = SweepSpec.parse({ name: 'S', datasetId: 'd1', model: presetModel('both'), base: { lr: 0.001, epochs: 16, subset: { size: 10000 } }, axes: { lr: { values: [0.001] }, clip: [1.5] } });
    const request = fullDataRun({ name: 'S', datasetId: 'd1', spec }, { lr: 0.001, clip: 1.5 }, (p) => presetModel(p));
    expect(request.config).toMatchObject({ lr: 0.001, clipNorm: 1.5, subset: null, epochs: 16 });
    expect(request.model).toEqual(spec.model);
    expect(request.name).toBe('S: best (lr 0.001, clip 1.5) on full data');
    expect(fullDataRun({ name: 'S', datasetId: 'd1', spec }, { lr: 0.01, clip: null, preset: 'shl' }, (p) => presetModel(p)).model.preset).toBe('shl');
  });
});

describe('charts of exploding runs', () => {
  it('switch the loss and gradient axes to log scales with compact labels when values span decades', async () => {
    const { runCurvesOption, gradientOption, compactNumber } = await import('../../renderer/src/lib/curves');
    const theme = { text: '#000', muted: '#666', grid: '#eee', background: '#fff', dark: false } as never;
    const epoch = (n: number, loss: number, norm: number) => ({ epoch: n, loss, trainAcc: 0.1, valAcc: 0.1, valLoss: 2.3, seconds: 1, gradNormMean: norm, gradNormMax: norm, clippedFraction: 0 });
    const calm = runCurvesOption([epoch(1, 2.3, 1), epoch(2, 1.1, 1)], 2, theme) as { yAxis: { type: string }[] };
    expect(calm.yAxis[0]!.type).toBe('value');
    const blown = runCurvesOption([epoch(1, 2.3, 1), epoch(2, 8.6e20, 3e19)], 2, theme) as { yAxis: { type: string; min?: unknown; axisLabel: { formatter: (v: number) => string } }[] };
    expect(blown.yAxis[0]!.type).toBe('log');
    expect(blown.yAxis[0]!.axisLabel.formatter(8.6e20)).toBe('8.6e20');
    const grads = gradientOption([epoch(1, 2.3, 1), epoch(2, 8.6e20, 3e19)], 2, null, theme) as { yAxis: { type: string; min?: unknown }[] };
    expect(grads.yAxis[0]).toMatchObject({ type: 'log' });
    expect(grads.yAxis[0]!.min).toBeUndefined();
    expect([compactNumber(0.25), compactNumber(12.5), compactNumber(340000), compactNumber(0)]).toEqual(['0.25', '12.5', '3.4e5', '0']);
  });
});

describe('adaptive sweep views', () => {
  const prunedCell = (lr: number, clip: number | null, at: number[]): CellStats => ({
    ...cell(lr, clip, null, 'untested'),
    trials: { total: at.length, completed: 0, diverged: 0, failed: 0, pruned: at.length, unfinished: 0 },
    prunedAtEpochs: at,
    bestValAcc: stats(null, 0, null),
    finalValAcc: stats(null, 0, null),
  });
  const cells = [cell(0.001, 1.5, 0.918, 'best'), { ...cell(0.01, 1.5, 0.9, 'tied'), trials: { total: 3, completed: 2, diverged: 0, failed: 0, pruned: 1, unfinished: 0 }, prunedAtEpochs: [3] }, prunedCell(0.1, null, [1, 1, 3])];
  const prunedTrial = (c: CellStats, seed: number, vals: number[]): SweepTrial => ({ ...trial(c, seed, vals), status: 'pruned', pruned: { epoch: vals.length, reason: `ASHA: below … at epoch ${vals.length}`, resumedByHand: false } });

  it('shows pruned cells as such in the heatmap and the table', () => {
    const o = heatmapOption(cells, [], 'bestValAcc', LIGHT);
    const [heat, , labels] = series(o);
    expect((heat!.data as { label: { formatter(): string } }[])[1]!.label.formatter()).toBe('90.0% =\n✂1');
    // The empty cell is drawn by its own series (the heatmap leaves it blank and unlabelled).
    expect((heat!.data as { label: { formatter(): string } }[])[2]!.label.formatter()).toBe('');
    const marks = labels!.data as { value: number[]; cell: CellStats; text: string }[];
    expect(marks.map((m) => [m.value, m.text])).toEqual([[[2, 1], 'pruned\n@1,3']]);
    const rows = statsRows(cells, 'bestValAcc');
    expect(rows.find((r) => r.lr === 0.1)).toMatchObject({ pruned: 3, prunedText: '3 seeds pruned (at epochs 1, 3)', verdictText: 'pruned: left out', mean: null });
    expect(rows.find((r) => r.lr === 0.01)).toMatchObject({ pruned: 1, prunedText: '1 seed pruned (at epoch 3)' });
  });

  it('draws a search as the metric against each parameter (log lr), pruned trials apart, "no clip" marked', () => {
    const trials = [trial(cells[0]!, 0, [0.9, 0.92]), trial(cells[1]!, 0, [0.85, 0.9]), prunedTrial(cells[2]!, 0, [0.4])];
    const detail = { trials, stats: { alpha: 0.05, adaptive: null, cells, best: { bestValAcc: cells[0]!.cellId, finalValAcc: null }, anova: { bestValAcc: [], finalValAcc: [] } } };
    const lr = scatterOption(detail, 'lr', 'finalValAcc', LIGHT);
    expect((lr.xAxis as { type: string }).type).toBe('log');
    const [seeds, means, pruned] = series(lr);
    expect((seeds!.data as { value: number[] }[]).map((d) => d.value)).toEqual([[0.001, 0.92], [0.01, 0.9]]);
    expect((means!.data as { value: number[] }[]).map((d) => d.value)).toEqual([[0.001, 0.908], [0.01, 0.89]]);
    expect((pruned!.data as { value: number[] }[]).map((d) => d.value)).toEqual([[0.1, 0.4]]);
    const clip = scatterOption(detail, 'clip', 'finalValAcc', LIGHT);
    const noneAt = 1.5 * 1.15;
    expect((series(clip)[2]!.data as { value: number[] }[])[0]!.value[0]).toBeCloseTo(noneAt);
    expect((series(clip)[0] as unknown as { markLine: { data: { xAxis: number }[] } }).markLine.data[0]!.xAxis).toBeCloseTo(noneAt);
    // Parallel coordinates: pruned trials in their own grey series, outside the colour scale.
    const par = series(parallelOption({ trials }, 'finalValAcc', LIGHT));
    expect(par.map((s) => [s.name, s.data.length])).toEqual([['completed', 2], ['pruned', 1]]);
  });

  it('summarises what early termination did and which epoch the statistics compare', () => {
    const spec = SweepSpec.parse({ datasetId: 'd', model: presetModel('shl'), base: { lr: 0.001, epochs: 9 }, axes: { lr: { values: [0.001] } }, method: 'random', trials: 12, ranges: { lr: { min: 1e-4, max: 0.1 } }, prune: { rule: 'asha', grace: 1, eta: 3 } });
    const adaptive = { method: 'random' as const, prune: 'asha' as const, comparedAtEpoch: 9, note: 'Statistics compare only the 4 trials that reached epoch 9 (the last); 8 pruned trials are shown as pruned and left out.', configurations: { budget: 12, proposed: 12 }, params: ['lr' as const, 'clip' as const], prunedTrials: 8, epochs: { trained: 50, saved: 58, full: 108 } };
    const lines = adaptiveSummaryLines({ spec, stats: { alpha: 0.05, adaptive, cells: [], best: { bestValAcc: null, finalValAcc: null }, anova: { bestValAcc: [], finalValAcc: [] } } })!;
    expect(lines).toEqual({
      method: 'random search, 12 configurations: 12 proposed',
      prune: 'ASHA (grace 1, eta 3; best validation accuracy)',
      epochs: '50 trial-epochs trained, 58 saved by pruning (54% of 108); 8 trials pruned',
      note: adaptive.note,
    });
  });
});

describe('full-data run estimate', () => {
  const epoch = (seconds: number) => ({ epoch: 1, loss: 1, trainAcc: 0.5, valAcc: 0.5, valLoss: 1, seconds, gradNormMean: 1, gradNormMax: 1, clippedFraction: 0 });
  const trials = [
    { cellId: 'a', epochs: [epoch(2), epoch(4), epoch(3)] },
    { cellId: 'b', epochs: [epoch(10)] },
  ];
  it('scales the cell’s median epoch time by the samples and the epochs', () => {
    expect(fullDataEstimate(trials, 'a', { subset: 1000, full: 60000 }, 20)).toEqual({ seconds: 3 * 60 * 20, perEpoch: 180, scale: 60 });
    expect(fullDataEstimate(trials, 'a', { subset: null, full: 60000 }, 5)!.seconds).toBe(15);
  });
  it('falls back to every trial, and says nothing without a measured epoch', () => {
    expect(fullDataEstimate(trials, 'c', { subset: null, full: 10 }, 1)!.perEpoch).toBe(3.5);
    expect(fullDataEstimate([{ cellId: 'a', epochs: [] }], 'a', { subset: null, full: 10 }, 1)).toBeNull();
  });
});

describe('heatmap cells without a mean', () => {
  const stats0 = { n: 0, mean: null, std: null, ci95: null };
  const empty = (lr: number, trials: Partial<CellStats['trials']>, prunedAtEpochs: number[] = []): CellStats => {
    const full = cell(lr, null, 0.5);
    return {
      ...full,
      cellId: `empty${lr}`,
      trials: { total: 2, completed: 0, diverged: 0, failed: 0, pruned: 0, unfinished: 0, ...trials },
      prunedAtEpochs,
      bestValAcc: stats0,
      finalValAcc: stats0,
      vsBest: { bestValAcc: cmp('untested', null), finalValAcc: cmp('untested', null) },
    };
  };

  it('gets a grey square that says why: pruned (at which epochs), diverged, failed, or a dash', () => {
    const cells = [cell(0.001, null, 0.8, 'best'), empty(0.01, { pruned: 2 }, [1, 1]), empty(0.1, { diverged: 2 }), empty(0.2, { failed: 1, diverged: 1 }), empty(0.5, { unfinished: 2 })];
    const s = series(heatmapOption(cells, [], 'finalValAcc', LIGHT));
    const boxes = s[2]!.data as { value: number[]; text: string }[];
    expect(boxes.map((b) => [b.value[0], b.text])).toEqual([[1, 'pruned\n@1'], [2, 'diverged'], [3, '—'], [4, '—']]);
    // Drawn: a rect filling the cell and its text, in the cell's place on the grid.
    const render = (s[2] as unknown as { renderItem: (p: { dataIndex: number }, api: unknown) => { children: { type: string; shape?: { width: number }; style: { text?: string } }[] } }).renderItem;
    const api = { coord: ([x, y]: number[]) => [x! * 60 + 30, y! * 50 + 25], size: () => [60, 50] };
    const drawn = render({ dataIndex: 1 }, api);
    expect(drawn.children.map((c) => c.type)).toEqual(['rect', 'text']);
    expect(drawn.children[0]!.shape!.width).toBe(58);
    expect(drawn.children[1]!.style.text).toBe('diverged');
    // The heatmap's own labels stay empty there, so nothing is written twice.
    expect((s[0]!.data as { label: { formatter(): string } }[]).map((d) => d.label.formatter())).toEqual(['79.0% ★', '', '', '', '']);
  });
});

describe('tooltips with very long names', () => {
  it('stay inside their chart and wrap instead of running off the screen', () => {
    const options = [
      runCurvesOption([ep(1, 0.5), ep(2, 0.6)], 16, LIGHT),
      gradientOption([ep(1, 0.5)], 4, null, LIGHT),
      heatmapOption([cell(0.01, null, 0.9, 'best'), cell(0.1, null, 0.8)], [], 'bestValAcc', LIGHT),
    ] as { tooltip?: { confine?: boolean; extraCssText?: string } }[];
    for (const o of options) {
      expect(o.tooltip?.confine).toBe(true);
      expect(o.tooltip?.extraCssText).toMatch(/max-width/);
      expect(o.tooltip?.extraCssText).toMatch(/overflow-wrap: anywhere/);
    }
  });
});
