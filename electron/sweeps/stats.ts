/**
 * Statistics of a sweep, from its stored epochs: per-cell summaries over seeds, every cell tested
 * against the best (Welch, Holm-corrected), and a two-way ANOVA of lr × clip. Pure functions.
 *
 * The t and F distributions are computed here from the regularized incomplete beta function
 * (continued fraction evaluated with the modified Lentz method, as in Numerical Recipes §6.4).
 * Why by hand: no small, maintained npm package provides these CDFs with TypeScript types
 * (jstat is untyped and unmaintained; simple-statistics has a t-test statistic but no t or F
 * distribution). About sixty lines, checked in test/sweeps/stats.test.ts against closed forms and
 * scipy/R values.
 */
import { sortedClips, sortedLrs } from '../../shared/axes';
import { describeCell, expandCells, type Cell } from './grid';
import type { AdaptiveSummary, Anova, AnovaTerm, CellStats, Comparison, SummaryStats, SweepStats } from '../../shared/contract/sweeps';
import { searchSpace } from './search';
import type { EpochMetrics, RunStatus, SweepSpec } from '../../shared/domain';
import { TIE_MARGIN } from '../../shared/analysis';
import { hyper } from '../../shared/format';

// ---------------------------------------------------------------------------------------------
// Special functions and distributions

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of I_x(a, b) by the modified Lentz method (Numerical Recipes `betacf`). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  const EPS = 1e-15;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    // Even step.
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) return h;
  }
  return h; // converged to ~1e-15 long before 10,000 steps for any a, b this module passes
}

/** The regularized incomplete beta function I_x(a, b), a, b > 0, 0 ≤ x ≤ 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incompleteBeta needs a, b > 0 (got ${a}, ${b})`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with df degrees of freedom (df may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5); // P(T > |t|)
  return t > 0 ? 1 - tail : tail;
}

/** Two-sided p-value of a t statistic: P(|T| ≥ |t|). */
export function studentTTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The p-quantile of Student's t (R's qt(p, df)), by bisection on the CDF to ~1e-12. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile needs 0 < p < 1 (got ${p})`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(F ≤ f) for the F distribution with (d1, d2) degrees of freedom. */
export function fCdf(f: number, d1: number, d2: number): number {
  if (f <= 0) return 0;
  if (f === Infinity) return 1;
  return incompleteBeta((d1 * f) / (d1 * f + d2), d1 / 2, d2 / 2);
}

/** P(F > f), computed directly (not 1 − cdf) so small p-values keep their digits. */
export function fSurvival(f: number, d1: number, d2: number): number {
  if (f <= 0) return 1;
  if (f === Infinity) return 0;
  return incompleteBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

// ---------------------------------------------------------------------------------------------
// Tests and summaries

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample variance (n − 1). */
export function variance(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}

export function summarize(values: readonly number[]): SummaryStats {
  const n = values.length;
  if (n === 0) return { n, mean: null, std: null, ci95: null };
  const m = mean(values);
  if (n < 2) return { n, mean: m, std: null, ci95: null };
  const std = Math.sqrt(variance(values));
  const half = (studentTQuantile(0.975, n - 1) * std) / Math.sqrt(n);
  return { n, mean: m, std, ci95: [m - half, m + half] };
}

export interface WelchResult {
  t: number;
  df: number;
  p: number;
}

/**
 * Welch's unequal-variance t-test of mean(a) − mean(b) (R's t.test default), both samples n ≥ 2.
 * With zero variance on both sides the t statistic is 0/0 or ±∞: equal means give p = 1,
 * different ones p = 0 (the samples are then perfectly separated).
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult {
  if (a.length < 2 || b.length < 2) throw new RangeError('Welch t-test needs at least 2 values per sample');
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  const diff = mean(a) - mean(b);
  const se2 = va + vb;
  if (se2 === 0) {
    return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: a.length + b.length - 2, p: diff === 0 ? 1 : 0 };
  }
  const t = diff / Math.sqrt(se2);
  const df = se2 ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return { t, df, p: studentTTwoSided(t, df) };
}

/** The power the minimum detectable difference is quoted at. */
export const POWER = 0.8;

/**
 * The smallest true difference of means a two-sided Welch test at `alpha` detects with 80 % power,
 * for a standard error `se` on `df` degrees of freedom: (t(1−α/2, df) + t(0.8, df))·se, the usual
 * shifted-central-t approximation of the noncentral t (as G*Power's and pwr's approximations).
 */
export function minimumDetectableDifference(se: number, df: number, alpha: number): number {
  if (se === 0) return 0;
  return (studentTQuantile(1 - alpha / 2, df) + studentTQuantile(POWER, df)) * se;
}

/**
 * Seeds per cell for two cells with spread `std` each to tell `margin` apart at 80 % power: the
 * smallest n (2…100) whose minimum detectable difference is at most margin; 100 if none is.
 */
export function seedsFor(std: number, margin: number, alpha: number): number {
  for (let n = 2; n < 100; n++) {
    if (minimumDetectableDifference(std * Math.sqrt(2 / n), 2 * n - 2, alpha) <= margin) return n;
  }
  return 100;
}

/** Holm's step-down adjustment (R's p.adjust(p, "holm")), in the input order. */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

export interface TwoWayAnovaResult {
  terms: AnovaTerm[];
}

/**
 * Two-way ANOVA with interaction for a balanced design: y[i][j] holds the r replicates of level i
 * of factor A and level j of factor B (every cell the same r ≥ 2). Sums of squares as in any
 * textbook (Montgomery, Design and Analysis of Experiments, §5.3).
 */
export function twoWayAnova(y: readonly (readonly (readonly number[])[])[], names: [AnovaTerm['source'], AnovaTerm['source'], AnovaTerm['source']]): TwoWayAnovaResult {
  const a = y.length;
  const b = y[0]!.length;
  const r = y[0]![0]!.length;
  for (const row of y) {
    if (row.length !== b) throw new RangeError('twoWayAnova: ragged design');
    for (const cell of row) if (cell.length !== r) throw new RangeError('twoWayAnova: unbalanced design');
  }
  if (a < 2 || b < 2 || r < 2) throw new RangeError('twoWayAnova needs ≥2 levels per factor and ≥2 replicates');
  const cellMean = y.map((row) => row.map((cell) => mean(cell)));
  const grand = mean(cellMean.flat());
  const aMean = cellMean.map((row) => mean(row));
  const bMean = Array.from({ length: b }, (_, j) => mean(cellMean.map((row) => row[j]!)));
  let ssA = 0;
  let ssB = 0;
  let ssAB = 0;
  let ssE = 0;
  for (let i = 0; i < a; i++) ssA += b * r * (aMean[i]! - grand) ** 2;
  for (let j = 0; j < b; j++) ssB += a * r * (bMean[j]! - grand) ** 2;
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++) {
      ssAB += r * (cellMean[i]![j]! - aMean[i]! - bMean[j]! + grand) ** 2;
      for (const v of y[i]![j]!) ssE += (v - cellMean[i]![j]!) ** 2;
    }
  const dfA = a - 1;
  const dfB = b - 1;
  const dfAB = dfA * dfB;
  const dfE = a * b * (r - 1);
  const msE = ssE / dfE;
  const term = (source: AnovaTerm['source'], ss: number, df: number): AnovaTerm => {
    const ms = ss / df;
    // Zero residual variance (identical seeds): F is undefined, not infinite evidence.
    const f = msE > 0 ? ms / msE : null;
    return { source, df, ss, ms, f, p: f === null ? null : fSurvival(f, df, dfE) };
  };
  return {
    terms: [term(names[0], ssA, dfA), term(names[1], ssB, dfB), term(names[2], ssAB, dfAB), { source: 'residual', df: dfE, ss: ssE, ms: msE, f: null, p: null }],
  };
}

// ---------------------------------------------------------------------------------------------
// A sweep's statistics

/** A grid cell as the statistics see it: its axis values and a label for tables. */
export type StatsCell = Omit<Cell, 'rank'> & { label: string };

export interface StatsTrial {
  cellId: string;
  seed: number;
  status: RunStatus;
  epochs: readonly Pick<EpochMetrics, 'epoch' | 'trainAcc' | 'valAcc'>[];
}

type Metric = 'bestValAcc' | 'finalValAcc';
const METRICS: Metric[] = ['bestValAcc', 'finalValAcc'];

interface TrialValues {
  seed: number;
  bestValAcc: number;
  finalValAcc: number;
  bestEpoch: number;
  finalTrainAcc: number;
}

function trialValues(trial: StatsTrial): TrialValues | null {
  if (trial.status !== 'completed' || trial.epochs.length === 0) return null;
  const sorted = [...trial.epochs].sort((x, y) => x.epoch - y.epoch);
  let best = sorted[0]!;
  for (const e of sorted) if (e.valAcc > best.valAcc) best = e; // first epoch reaching the peak, as the store does
  const last = sorted[sorted.length - 1]!;
  return { seed: trial.seed, bestValAcc: best.valAcc, finalValAcc: last.valAcc, bestEpoch: best.epoch, finalTrainAcc: last.trainAcc };
}

const UNTESTED: Comparison = { verdict: 'untested', diff: null, t: null, df: null, p: null, pHolm: null };

/**
 * Everything the sweep views and reports show. Only completed trials count as seeds: a diverged
 * trial has no meaningful final accuracy, a failed one none at all; both are counted per cell so
 * the UI can flag a cell that looks good only because its bad seeds dropped out.
 */
/**
 * A sweep's statistics from its spec's grid and its trials: what the sweep view, `sweep show` and
 * the PDF report all show, computed in one place.
 */
export function sweepStats(spec: SweepSpec, trials: readonly StatsTrial[], searched?: readonly Omit<Cell, 'rank'>[]): SweepStats {
  // A search sweep's cells are the configurations it proposed (stored trials), not a grid.
  const source = searched ?? expandCells(spec);
  const cells: StatsCell[] = source.map(({ rank: _rank, ...cell }: Omit<Cell, 'rank'> & { rank?: number }) => ({ ...cell, label: describeCell(cell) }));
  const stats = computeSweepStats(cells, trials);
  if (searched) {
    // Proposed configurations are scattered points, not the levels of a factorial design.
    const reason = `not a grid: a ${spec.method === 'tpe' ? 'TPE' : 'random'} search's configurations are not crossed levels of lr × clip (see the scatter of the metric against each parameter)`;
    const none = [{ slice: {}, computed: false, reason, replicates: 0, droppedTrials: 0, terms: [] }];
    stats.anova = { bestValAcc: none, finalValAcc: none };
  }
  return { ...stats, adaptive: adaptiveSummary(spec, trials, cells.length) };
}

/** What an adaptive sweep did and which trials its statistics compare (null for a plain grid). */
export function adaptiveSummary(spec: SweepSpec, trials: readonly StatsTrial[], configurations: number): AdaptiveSummary | null {
  const method = spec.method ?? 'grid';
  if (method === 'grid' && !spec.prune) return null;
  const last = spec.base.epochs;
  const pruned = trials.filter((t) => t.status === 'pruned');
  const trained = trials.reduce((n, t) => n + t.epochs.length, 0);
  const saved = pruned.reduce((n, t) => n + Math.max(0, last - t.epochs.length), 0);
  const completed = trials.filter((t) => t.status === 'completed').length;
  const note = spec.prune
    ? `Statistics compare only the ${completed} trial${completed === 1 ? '' : 's'} that reached epoch ${last} (the last); ${pruned.length} pruned trial${pruned.length === 1 ? ' is' : 's are'} shown as pruned and left out.`
    : `Statistics compare the ${completed} completed trial${completed === 1 ? '' : 's'} at epoch ${last}.`;
  return {
    method,
    prune: spec.prune?.rule ?? null,
    comparedAtEpoch: last,
    note,
    configurations: { budget: method === 'grid' ? null : (spec.trials ?? null), proposed: configurations },
    params: method === 'grid' ? [] : searchSpace(spec).map((p) => p.name),
    prunedTrials: pruned.length,
    epochs: { trained, saved, full: trained + saved },
  };
}

export function computeSweepStats(cells: readonly StatsCell[], trials: readonly StatsTrial[], alpha = 0.05): SweepStats {
  const byCell = new Map<string, { trials: StatsTrial[]; values: TrialValues[] }>();
  for (const cell of cells) byCell.set(cell.cellId, { trials: [], values: [] });
  for (const trial of trials) {
    const entry = byCell.get(trial.cellId);
    if (!entry) continue; // a trial of a cell the spec no longer has: ignore rather than guess
    entry.trials.push(trial);
    const v = trialValues(trial);
    if (v) entry.values.push(v);
  }
  for (const entry of byCell.values()) entry.values.sort((x, y) => x.seed - y.seed);

  const cellStats: CellStats[] = cells.map((cell) => {
    const { trials: ts, values } = byCell.get(cell.cellId)!;
    const count = (s: RunStatus[]) => ts.filter((t) => s.includes(t.status)).length;
    return {
      ...cell,
      trials: {
        total: ts.length,
        completed: values.length,
        diverged: count(['diverged']),
        failed: count(['failed']),
        pruned: count(['pruned']),
        unfinished: count(['queued', 'running', 'interrupted', 'cancelled']),
      },
      prunedAtEpochs: ts.filter((t) => t.status === 'pruned').map((t) => t.epochs.length).sort((a, b) => a - b),
      bestValAcc: summarize(values.map((v) => v.bestValAcc)),
      finalValAcc: summarize(values.map((v) => v.finalValAcc)),
      bestEpoch: summarize(values.map((v) => v.bestEpoch)),
      finalTrainAcc: summarize(values.map((v) => v.finalTrainAcc)),
      overfitRatio: summarize(values.filter((v) => v.finalTrainAcc > 0).map((v) => v.finalValAcc / v.finalTrainAcc)),
      vsBest: { bestValAcc: UNTESTED, finalValAcc: UNTESTED },
    };
  });

  const best: SweepStats['best'] = { bestValAcc: null, finalValAcc: null };
  for (const metric of METRICS) {
    // The best cell: highest mean; ties go to the cell launched first (earlier in `cells`).
    let bestIndex = -1;
    cellStats.forEach((c, i) => {
      const m = c[metric].mean;
      if (m !== null && (bestIndex < 0 || m > cellStats[bestIndex]![metric].mean!)) bestIndex = i;
    });
    if (bestIndex < 0) continue;
    const bestCell = cellStats[bestIndex]!;
    best[metric] = bestCell.cellId;
    const bestValues = byCell.get(bestCell.cellId)!.values.map((v) => v[metric]);
    const tested: { index: number; result: WelchResult; diff: number; mdd: number; n: number }[] = [];
    cellStats.forEach((c, i) => {
      if (i === bestIndex) {
        c.vsBest[metric] = { verdict: 'best', diff: 0, t: null, df: null, p: null, pHolm: null };
        return;
      }
      const values = byCell.get(c.cellId)!.values.map((v) => v[metric]);
      if (values.length < 2 || bestValues.length < 2) {
        c.vsBest[metric] = { ...UNTESTED, diff: c[metric].mean === null ? null : c[metric].mean! - bestCell[metric].mean! };
        return;
      }
      const se = Math.sqrt(variance(values) / values.length + variance(bestValues) / bestValues.length);
      const result = welchTTest(values, bestValues);
      tested.push({ index: i, result, diff: c[metric].mean! - bestCell[metric].mean!, mdd: minimumDetectableDifference(se, result.df, alpha), n: Math.min(values.length, bestValues.length) });
    });
    const adjusted = holm(tested.map((x) => x.result.p));
    tested.forEach(({ index, result, diff, mdd, n }, k) => {
      const pHolm = adjusted[k]!;
      const verdict = pHolm < alpha ? 'worse' : mdd > TIE_MARGIN ? 'cant-tell' : 'tied';
      cellStats[index]!.vsBest[metric] = { verdict, diff, t: result.t, df: result.df, p: result.p, pHolm, mdd, n };
    });
  }

  const anova = { bestValAcc: [] as Anova[], finalValAcc: [] as Anova[] };
  for (const metric of METRICS) anova[metric] = anovaSlices(cells, byCell, metric);
  return { alpha, adaptive: null, cells: cellStats, best, anova };
}

const OTHER_AXES = ['batchSize', 'optimizer', 'weightDecay', 'preset'] as const;

/** One lr × clip ANOVA per combination of the other swept axes. */
function anovaSlices(
  cells: readonly StatsCell[],
  byCell: Map<string, { values: TrialValues[] }>,
  metric: Metric,
): Anova[] {
  const slices = new Map<string, { slice: Record<string, string | number>; cells: StatsCell[] }>();
  for (const cell of cells) {
    const slice: Record<string, string | number> = {};
    for (const axis of OTHER_AXES) if (cell[axis] !== undefined) slice[axis] = cell[axis]!;
    const key = JSON.stringify(slice);
    if (!slices.has(key)) slices.set(key, { slice, cells: [] });
    slices.get(key)!.cells.push(cell);
  }
  return [...slices.values()].map(({ slice, cells: sliceCells }) => {
    const lrs = sortedLrs(sliceCells);
    const clips = sortedClips(sliceCells);
    const notComputed = (reason: string): Anova => ({ slice, computed: false, reason, replicates: 0, droppedTrials: 0, terms: [] });
    if (lrs.length < 2 || clips.length < 2) {
      return notComputed(`needs at least 2 learning rates and 2 clip norms (this grid has ${lrs.length} and ${clips.length})`);
    }
    const grid = lrs.map((lr) => clips.map((clip) => sliceCells.find((c) => c.lr === lr && c.clip === clip)));
    const counts = grid.map((row) => row.map((c) => (c ? byCell.get(c.cellId)!.values.length : 0)));
    const short = grid.flatMap((row, i) =>
      row.flatMap((c, j) => (!c || counts[i]![j]! < 2 ? [c?.label ?? `lr ${hyper(lrs[i])}, clip ${hyper(clips[j])}`] : [])),
    );
    if (short.length) {
      return notComputed(
        `needs at least 2 completed seeds in every lr × clip cell; ${short.length} of ${lrs.length * clips.length} cells have fewer (${short.slice(0, 3).join('; ')}${short.length > 3 ? '; …' : ''})`,
      );
    }
    // Balance by keeping the lowest r seeds of each cell: the balanced formulas stay exact, and
    // which trials were dropped is deterministic and reported.
    const r = Math.min(...counts.flat());
    const total = counts.flat().reduce((x, y) => x + y, 0);
    const y = grid.map((row) => row.map((c) => byCell.get(c!.cellId)!.values.slice(0, r).map((v) => v[metric])));
    const { terms } = twoWayAnova(y, ['lr', 'clip', 'lr:clip']);
    const dropped = total - r * lrs.length * clips.length;
    return {
      slice,
      computed: true,
      reason: dropped > 0 ? `balanced to ${r} seeds per cell: ${dropped} completed trials with higher seeds left out` : null,
      replicates: r,
      droppedTrials: dropped,
      terms,
    };
  });
}
