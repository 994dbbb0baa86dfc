/**
 * The sweep statistics against exact closed forms and published reference values. Where a figure
 * comes from scipy 1.17.1 it was computed with the call named beside it; R gives the same digits.
 */
import { formatP, verdictLabel } from '../../shared/analysis';
import { describe, expect, it } from 'vitest';
import {
  computeSweepStats,
  fCdf,
  fSurvival,
  holm,
  incompleteBeta,
  logGamma,
  studentTCdf,
  studentTQuantile,
  summarize,
  twoWayAnova,
  welchTTest,
  type StatsCell,
  type StatsTrial,
} from '../../electron/sweeps/stats';

describe('special functions', () => {
  it('logGamma matches factorials and scipy.special.gammaln', () => {
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5723649429247, 12); // ln √π
    expect(logGamma(10)).toBeCloseTo(12.801827480081469, 11);
    expect(logGamma(123.4)).toBeCloseTo(469.3360974421906, 9);
  });

  it('incompleteBeta matches closed forms and scipy.special.betainc', () => {
    // I_x(a, 1) = x^a ; I_x(1, b) = 1 − (1 − x)^b ; I_½(a, a) = ½
    expect(incompleteBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 13);
    expect(incompleteBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 13);
    expect(incompleteBeta(0.5, 7.25, 7.25)).toBeCloseTo(0.5, 13);
    expect(incompleteBeta(0.3, 2.5, 3.5)).toBeCloseTo(0.29675298929566646, 12); // betainc(2.5, 3.5, 0.3)
    expect(incompleteBeta(0.1, 0.5, 0.5)).toBeCloseTo(0.20483276469913345, 12); // = (2/π) asin(√0.1)
    expect(incompleteBeta(0.45, 50, 60)).toBeCloseTo(0.4642352914306031, 11); // betainc(50, 60, 0.45)
    expect(incompleteBeta(0, 2, 3)).toBe(0);
    expect(incompleteBeta(1, 2, 3)).toBe(1);
  });
});

describe('Student t', () => {
  it('the CDF equals the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [-30, -2, -0.3, 0, 0.7, 4, 100]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12); // Cauchy
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
    expect(studentTCdf(-2.5, 7.3)).toBeCloseTo(0.019825117332800214, 12); // scipy.stats.t.cdf(-2.5, 7.3)
  });

  it('quantiles are R qt(0.975, df)', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174694, 9);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302652729749462, 10);
    expect(studentTQuantile(0.975, 5)).toBeCloseTo(2.5705818356363146, 10);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 10);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0422724563012378, 10);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.9623390808264083, 10);
    expect(studentTQuantile(0.995, 3)).toBeCloseTo(5.840909309733355, 9);
    expect(studentTQuantile(0.025, 5)).toBeCloseTo(-2.5705818356363146, 10);
  });
});

describe('F distribution', () => {
  it('matches the closed form of F(2, d2): P(F > f) = (1 + 2f/d2)^(−d2/2)', () => {
    for (const [f, d2] of [[0.5, 3], [4.1, 10], [12, 48]] as const) {
      expect(fSurvival(f, 2, d2)).toBeCloseTo((1 + (2 * f) / d2) ** (-d2 / 2), 13);
      expect(fCdf(f, 2, d2)).toBeCloseTo(1 - (1 + (2 * f) / d2) ** (-d2 / 2), 13);
    }
  });

  it('matches R pf / scipy.stats.f', () => {
    expect(fCdf(4.102821, 2, 10)).toBeCloseTo(0.95, 8); // qf(0.95, 2, 10) = 4.102821
    expect(fSurvival(3.765, 1, 48)).toBeCloseTo(0.05822224826022204, 12);
    expect(fSurvival(2.7, 3, 17)).toBeCloseTo(0.07827532662376958, 12);
  });
});

describe('tests and summaries', () => {
  // R's `sleep` data: t.test(extra ~ group, data = sleep) → t = −1.8608, df = 17.776, p = 0.07939.
  const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

  it('Welch t-test matches R t.test on the sleep data', () => {
    const r = welchTTest(g1, g2);
    expect(r.t).toBeCloseTo(-1.8608134674868526, 12);
    expect(r.df).toBeCloseTo(17.776473516178488, 10);
    expect(r.p).toBeCloseTo(0.0793941401873583, 12);
  });

  it('Welch t-test on accuracy-sized numbers (scipy ttest_ind equal_var=False)', () => {
    const r = welchTTest([0.91, 0.915, 0.912], [0.9, 0.899, 0.905, 0.902]);
    expect(r.t).toBeCloseTo(5.51322804291982, 9);
    expect(r.df).toBeCloseTo(4.588221325100927, 9);
    expect(r.p).toBeCloseTo(0.003504903960452917, 11);
  });

  it('Welch t-test with zero variance on both sides', () => {
    expect(welchTTest([0.9, 0.9], [0.9, 0.9]).p).toBe(1);
    expect(welchTTest([0.9, 0.9], [0.8, 0.8]).p).toBe(0);
    expect(() => welchTTest([0.9], [0.8, 0.7])).toThrow(RangeError);
  });

  it('summarize gives mean, sample std and the Student-t 95% interval', () => {
    const s = summarize(g1);
    expect(s.n).toBe(10);
    expect(s.mean).toBeCloseTo(0.75, 14);
    expect(s.std).toBeCloseTo(1.7890096577591623, 13);
    expect(s.ci95![0]).toBeCloseTo(-0.5297804135262318, 11); // R: t.test(sleep$extra[1:10])$conf.int
    expect(s.ci95![1]).toBeCloseTo(2.0297804135262316, 11);
    expect(summarize([0.5])).toEqual({ n: 1, mean: 0.5, std: null, ci95: null });
    expect(summarize([])).toEqual({ n: 0, mean: null, std: null, ci95: null });
  });

  it('Holm adjustment is R p.adjust(p, "holm")', () => {
    expect(holm([0.01, 0.02, 0.03, 0.04, 0.05]).map((p) => +p.toFixed(12))).toEqual([0.05, 0.08, 0.09, 0.09, 0.09]);
    // Input order is kept; caps at 1.
    expect(holm([0.04, 0.5, 0.001]).map((p) => +p.toFixed(12))).toEqual([0.08, 0.5, 0.003]);
    expect(holm([0.6, 0.7])).toEqual([1, 1]);
  });
});

describe('two-way ANOVA', () => {
  it('reproduces R summary(aov(breaks ~ wool * tension, data = warpbreaks))', () => {
    // R prints: wool Df 1 SS 450.7 F 3.765 p 0.058213; tension 2 2034.3 8.498 0.000693;
    // wool:tension 2 1002.8 4.189 0.021044; Residuals 48 5745.1. Full digits from numpy/scipy.
    const wb = {
      A: [[26, 30, 54, 25, 70, 52, 51, 26, 67], [18, 21, 29, 17, 12, 18, 35, 30, 36], [36, 21, 24, 18, 10, 43, 28, 15, 26]],
      B: [[27, 14, 29, 19, 29, 31, 41, 20, 44], [42, 26, 19, 16, 39, 28, 21, 39, 29], [20, 21, 24, 17, 13, 15, 15, 16, 28]],
    };
    const { terms } = twoWayAnova([wb.A, wb.B], ['lr', 'clip', 'lr:clip']);
    const [wool, tension, inter, resid] = terms;
    expect(wool).toMatchObject({ source: 'lr', df: 1 });
    expect(wool!.ss).toBeCloseTo(450.6666666666673, 8);
    expect(wool!.f).toBeCloseTo(3.765288361118638, 10);
    expect(wool!.p).toBeCloseTo(0.05821297595955964, 12);
    expect(tension).toMatchObject({ source: 'clip', df: 2 });
    expect(tension!.ss).toBeCloseTo(2034.259259259258, 8);
    expect(tension!.f).toBeCloseTo(8.49804664835802, 10);
    expect(tension!.p).toBeCloseTo(0.0006926209367134434, 13);
    expect(inter).toMatchObject({ source: 'lr:clip', df: 2 });
    expect(inter!.ss).toBeCloseTo(1002.7777777777779, 8);
    expect(inter!.f).toBeCloseTo(4.1890689668510435, 10);
    expect(inter!.p).toBeCloseTo(0.021044190727863028, 12);
    expect(resid).toMatchObject({ source: 'residual', df: 48, f: null, p: null });
    expect(resid!.ss).toBeCloseTo(5745.11111111111, 8);
  });

  it('refuses unbalanced or too small designs', () => {
    expect(() => twoWayAnova([[[1, 2], [3, 4]], [[1, 2], [3]]], ['lr', 'clip', 'lr:clip'])).toThrow(/unbalanced/);
    expect(() => twoWayAnova([[[1, 2], [3, 4]]], ['lr', 'clip', 'lr:clip'])).toThrow(/levels/);
  });
});

describe('computeSweepStats', () => {
  const cell = (cellId: string, lr: number, clip: number | null): StatsCell => ({ cellId, label: `lr ${lr}, clip ${clip}`, lr, clip });
  const curve = (vals: [number, number][]) => vals.map(([trainAcc, valAcc], i) => ({ epoch: i + 1, trainAcc, valAcc }));
  const trial = (cellId: string, seed: number, finals: [number, number][], status: StatsTrial['status'] = 'completed'): StatsTrial => ({
    cellId,
    seed,
    status,
    epochs: curve(finals),
  });

  it('summarizes cells, picks the best, Welch+Holm against it, marks ties and untested', () => {
    const cells = [cell('a', 0.001, 1), cell('b', 0.01, 1), cell('c', 0.1, 1), cell('d', 0.0005, 1)];
    const trials: StatsTrial[] = [
      // a: final val 0.91, 0.915, 0.912 (the best); its best epoch is the last.
      trial('a', 0, [[0.8, 0.85], [0.95, 0.91]]),
      trial('a', 1, [[0.8, 0.86], [0.96, 0.915]]),
      trial('a', 2, [[0.8, 0.84], [0.94, 0.912]]),
      // b: 0.9, 0.899, 0.905, 0.902 → clearly worse (Welch p = 0.0035 before Holm).
      trial('b', 0, [[0.9, 0.9], [0.92, 0.9]]),
      trial('b', 1, [[0.9, 0.899], [0.92, 0.899]]),
      trial('b', 2, [[0.9, 0.905], [0.92, 0.905]]),
      trial('b', 3, [[0.9, 0.902], [0.92, 0.902]]),
      // c: noisy around a → tied. Plus a diverged seed that must not count.
      trial('c', 0, [[0.9, 0.95], [0.9, 0.85]]),
      trial('c', 1, [[0.9, 0.95], [0.9, 0.97]]),
      trial('c', 2, [[0.9, 0.2], [0.1, 0.1]], 'diverged'),
      // d: one finished seed → untested; one still running.
      trial('d', 0, [[0.7, 0.7], [0.8, 0.8]]),
      { cellId: 'd', seed: 1, status: 'running', epochs: curve([[0.7, 0.7]]) },
    ];
    const stats = computeSweepStats(cells, trials);
    const byId = Object.fromEntries(stats.cells.map((c) => [c.cellId, c]));

    expect(byId.a!.finalValAcc.mean).toBeCloseTo((0.91 + 0.915 + 0.912) / 3, 14);
    expect(byId.a!.bestEpoch).toMatchObject({ n: 3, mean: 2, std: 0 });
    expect(byId.a!.overfitRatio.mean).toBeCloseTo((0.91 / 0.95 + 0.915 / 0.96 + 0.912 / 0.94) / 3, 14);
    expect(byId.c!.trials).toEqual({ total: 3, completed: 2, diverged: 1, failed: 0, pruned: 0, unfinished: 0 });
    expect(byId.d!.trials).toEqual({ total: 2, completed: 1, diverged: 0, failed: 0, pruned: 0, unfinished: 1 });
    // c's best epoch differs between seeds: epoch 1 (0.95) and epoch 2 (0.97).
    expect(byId.c!.bestValAcc.mean).toBeCloseTo(0.96, 14);
    expect(byId.c!.bestEpoch.mean).toBeCloseTo(1.5, 14);

    expect(stats.best.finalValAcc).toBe('a');
    expect(byId.a!.vsBest.finalValAcc.verdict).toBe('best');
    const b = byId.b!.vsBest.finalValAcc;
    expect(b.verdict).toBe('worse');
    expect(b.t).toBeCloseTo(-5.51322804291982, 9); // b − a: the sign flips relative to the reference test
    expect(b.p).toBeCloseTo(0.003504903960452917, 11);
    // Two cells tested (b, c): Holm multiplies the smallest p by 2.
    expect(b.pHolm).toBeCloseTo(2 * 0.003504903960452917, 11);
    // c is not distinguishable from a, but with 2 seeds the test could not have seen a 1-point
    // difference either: "can't tell", not "tied".
    expect(byId.c!.vsBest.finalValAcc).toMatchObject({ verdict: 'cant-tell', n: 2 });
    expect(byId.c!.vsBest.finalValAcc.mdd!).toBeGreaterThan(0.01);
    expect(byId.d!.vsBest.finalValAcc).toMatchObject({ verdict: 'untested', p: null });
    expect(byId.d!.vsBest.finalValAcc.diff).toBeCloseTo(0.8 - byId.a!.finalValAcc.mean!, 14);

    // By best-epoch accuracy, c (0.96) beats a (0.9123).
    expect(stats.best.bestValAcc).toBe('c');
    // One clip level: no two-way ANOVA, and it says why.
    expect(stats.anova.finalValAcc).toEqual([
      expect.objectContaining({ computed: false, reason: expect.stringMatching(/2 learning rates and 2 clip norms.*4 and 1/) }),
    ]);
  });

  it('runs the lr × clip ANOVA on a grid with repeats, balancing by the lowest seeds', () => {
    // warpbreaks as a 2 lr × 3 clip sweep of 9 seeds (values scaled to accuracies), plus a
    // tenth seed in one cell that balancing must drop.
    const wb = [
      [[26, 30, 54, 25, 70, 52, 51, 26, 67], [18, 21, 29, 17, 12, 18, 35, 30, 36], [36, 21, 24, 18, 10, 43, 28, 15, 26]],
      [[27, 14, 29, 19, 29, 31, 41, 20, 44], [42, 26, 19, 16, 39, 28, 21, 39, 29], [20, 21, 24, 17, 13, 15, 15, 16, 28]],
    ];
    const lrs = [0.001, 0.01];
    const clips = [0.5, 1, null];
    const cells: StatsCell[] = [];
    const trials: StatsTrial[] = [];
    lrs.forEach((lr, i) =>
      clips.forEach((clip, j) => {
        const id = `c${i}${j}`;
        cells.push(cell(id, lr, clip));
        wb[i]![j]!.forEach((v, seed) => trials.push(trial(id, seed, [[0.9, v / 100]])));
      }),
    );
    trials.push(trial('c00', 9, [[0.9, 0.99]]));
    const [table] = computeSweepStats(cells, trials).anova.finalValAcc;
    expect(table).toMatchObject({ computed: true, replicates: 9, droppedTrials: 1, slice: {} });
    expect(table!.reason).toMatch(/balanced to 9 seeds/);
    const [lr, clip, inter, resid] = table!.terms;
    // Scaling y by 1/100 scales SS by 1e-4 and leaves F and p as they were.
    expect(lr!.ss).toBeCloseTo(450.6666666666673e-4, 10);
    expect(lr!.p).toBeCloseTo(0.05821297595955964, 12);
    expect(clip!.f).toBeCloseTo(8.49804664835802, 9);
    expect(inter!.p).toBeCloseTo(0.021044190727863028, 12);
    expect(resid!.df).toBe(48);
  });

  it('explains why no ANOVA when a cell has fewer than two finished seeds, and slices by other axes', () => {
    const cells: StatsCell[] = [];
    const trials: StatsTrial[] = [];
    for (const preset of ['bn', 'both'] as const)
      for (const lr of [0.001, 0.01])
        for (const clip of [1, 2]) {
          const id = `${preset}-${lr}-${clip}`;
          cells.push({ ...cell(id, lr, clip), preset });
          const seeds = preset === 'bn' && lr === 0.01 && clip === 2 ? 1 : 2;
          for (let s = 0; s < seeds; s++) trials.push(trial(id, s, [[0.9, 0.8 + 0.01 * s + lr + clip / 100]]));
        }
    const tables = computeSweepStats(cells, trials).anova.bestValAcc;
    expect(tables.map((t) => t.slice)).toEqual([{ preset: 'bn' }, { preset: 'both' }]);
    expect(tables[0]).toMatchObject({ computed: false });
    expect(tables[0]!.reason).toMatch(/1 of 4 cells have fewer.*lr 0.01, clip 2/);
    expect(tables[1]).toMatchObject({ computed: true, replicates: 2, droppedTrials: 0 });
  });

  it('is empty but well-formed before any trial finishes', () => {
    const stats = computeSweepStats([cell('a', 0.001, null)], [trial('a', 0, [[0.5, 0.5]], 'running')]);
    expect(stats.best).toEqual({ bestValAcc: null, finalValAcc: null });
    expect(stats.cells[0]!.finalValAcc).toEqual({ n: 0, mean: null, std: null, ci95: null });
    expect(stats.cells[0]!.vsBest.finalValAcc.verdict).toBe('untested');
  });
});

describe('statistics with pruned cells', () => {
  it('compares only trials that reached the last epoch, shows pruned cells as such, and still tests the rest', async () => {
    const { sweepStats } = await import('../../electron/sweeps/stats');
    const { SweepSpec } = await import('../../shared/domain');
    const { expandCells } = await import('../../electron/sweeps/grid');
    const spec = SweepSpec.parse({
      datasetId: 'ds',
      model: { layers: [{ type: 'flatten' }, { type: 'linear', units: 10 }] },
      base: { lr: 0.01, epochs: 4 },
      axes: { lr: { values: [0.01, 0.1] }, clip: [1, null] },
      repeats: 3,
      prune: { rule: 'asha', grace: 1, eta: 2 },
    });
    const cells = expandCells(spec);
    const at = (lr: number, clip: number | null) => cells.find((c) => c.lr === lr && c.clip === clip)!.cellId;
    const curve = (n: number, top: number) => Array.from({ length: n }, (_, i) => ({ epoch: i + 1, trainAcc: top, valAcc: top - (n - 1 - i) * 0.01 }));
    const trials: StatsTrial[] = [
      // lr 0.01, clip 1: three completed seeds, the best.
      ...[0.9, 0.91, 0.92].map((v, seed) => ({ cellId: at(0.01, 1), seed, status: 'completed' as const, epochs: curve(4, v) })),
      // lr 0.01, no clip: three completed, close to the best.
      ...[0.89, 0.9, 0.915].map((v, seed) => ({ cellId: at(0.01, null), seed, status: 'completed' as const, epochs: curve(4, v) })),
      // lr 0.1, clip 1: all pruned (at epochs 1, 1, 2).
      ...[1, 1, 2].map((n, seed) => ({ cellId: at(0.1, 1), seed, status: 'pruned' as const, epochs: curve(n, 0.3) })),
      // lr 0.1, no clip: one completed seed, two pruned at epoch 2.
      { cellId: at(0.1, null), seed: 0, status: 'completed' as const, epochs: curve(4, 0.5) },
      ...[1, 2].map((seed) => ({ cellId: at(0.1, null), seed, status: 'pruned' as const, epochs: curve(2, 0.4) })),
    ];
    const stats = sweepStats(spec, trials);
    const cell = (lr: number, clip: number | null) => stats.cells.find((c) => c.cellId === at(lr, clip))!;
    expect(cell(0.1, 1).trials).toMatchObject({ total: 3, completed: 0, pruned: 3 });
    expect(cell(0.1, 1).prunedAtEpochs).toEqual([1, 1, 2]);
    expect(cell(0.1, 1).bestValAcc.mean).toBeNull();
    expect(cell(0.1, 1).vsBest.bestValAcc.verdict).toBe('untested');
    // The half-pruned cell: one completed seed, mean from it alone, no CI, untested.
    expect(cell(0.1, null).bestValAcc).toMatchObject({ n: 1, mean: 0.5, ci95: null });
    expect(cell(0.1, null).vsBest.bestValAcc.verdict).toBe('untested');
    // The two complete cells: CI and a Welch test (0.9033 vs 0.91, within noise, but 2 seeds cannot
    // resolve a 1-point difference at this spread: can't tell).
    expect(stats.best.bestValAcc).toBe(at(0.01, 1));
    expect(cell(0.01, 1).bestValAcc.mean).toBeCloseTo(0.91, 12);
    expect(cell(0.01, 1).bestValAcc.ci95).not.toBeNull();
    expect(cell(0.01, null).vsBest.bestValAcc.verdict).toBe('cant-tell');
    // ANOVA needs 2 completed seeds per cell: not computed, and says which cells lack them.
    const anova = stats.anova.bestValAcc[0]!;
    expect(anova.computed).toBe(false);
    expect(anova.reason).toMatch(/2 of 4 cells have fewer/);
    expect(stats.adaptive).toMatchObject({
      method: 'grid',
      prune: 'asha',
      comparedAtEpoch: 4,
      prunedTrials: 5,
      // stored: 3·4 + 3·4 + (1+1+2) + 4 + 2·2 = 36; saved: (3+3+2) + 2·2 = 12.
      epochs: { trained: 36, saved: 12, full: 48 },
    });
    expect(stats.adaptive!.note).toBe('Statistics compare only the 7 trials that reached epoch 4 (the last); 5 pruned trials are shown as pruned and left out.');
  });
});

describe('power: tied or can\'t tell', () => {
  it('quotes the minimum detectable difference with R\'s t quantiles', async () => {
    const { minimumDetectableDifference, seedsFor } = await import('../../electron/sweeps/stats');
    // qt(0.975, 2) + qt(0.8, 2) = 4.302653 + 1.060660; qt(0.975, 8) + qt(0.8, 8) = 2.306004 + 0.888900.
    expect(minimumDetectableDifference(1, 2, 0.05)).toBeCloseTo(5.363313, 5);
    expect(minimumDetectableDifference(0.01, 8, 0.05)).toBeCloseTo(0.0319490, 6);
    expect(minimumDetectableDifference(0, 8, 0.05)).toBe(0);
    // A spread of 0.5 points: n = 5 gives (2.306 + 0.889)·0.005·√(2/5) = 1.01 points, n = 6 0.89.
    expect(seedsFor(0.005, 0.01, 0.05)).toBe(6);
  });

  it('labels the same effect "can\'t tell with 2 seeds" at n = 2 and "tied" at n = 5', () => {
    const cells: StatsCell[] = [
      { cellId: 'a', label: 'a', lr: 0.001, clip: null },
      { cellId: 'b', label: 'b', lr: 0.01, clip: null },
    ];
    const trial = (cellId: string, seed: number, valAcc: number): StatsTrial => ({ cellId, seed, status: 'completed', epochs: [{ epoch: 1, trainAcc: 0.95, valAcc }] });
    // Means 0.900 and 0.898 (a 0.2-point effect), spread about 0.2 points within each cell.
    const a = [0.902, 0.898, 0.9, 0.902, 0.898];
    const b = [0.9, 0.896, 0.898, 0.9, 0.896];
    const run = (n: number) =>
      computeSweepStats(cells, [...a.slice(0, n).map((v, i) => trial('a', i, v)), ...b.slice(0, n).map((v, i) => trial('b', i, v))]);
    const two = run(2).cells.find((c) => c.cellId === 'b')!.vsBest.finalValAcc;
    const five = run(5).cells.find((c) => c.cellId === 'b')!.vsBest.finalValAcc;
    expect(two).toMatchObject({ verdict: 'cant-tell', n: 2 });
    expect(two.mdd!).toBeGreaterThan(0.01);
    expect(five).toMatchObject({ verdict: 'tied', n: 5 });
    expect(five.mdd!).toBeLessThan(0.01);
    expect(verdictLabel(two)).toBe("can't tell with 2 seeds");
    expect(verdictLabel(five)).toBe('statistically tied');
  });

  it('prints p-values with three significant digits', () => {
    expect([formatP(0.0498), formatP(0.05), formatP(0.5224), formatP(0.00004), formatP(null)]).toEqual(['0.0498', '0.0500', '0.522', '< 0.0001', '—']);
  });
});
