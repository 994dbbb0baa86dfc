/** Series arithmetic for curves: smoothing, cumulative time, group mean ± std. Pure. */
import type { EpochMetrics } from '../../../shared/domain';

export type Metric = 'loss' | 'valLoss' | 'trainAcc' | 'valAcc' | 'gradNormMean' | 'gradNormMax' | 'clippedFraction';

export const METRIC_LABELS: Record<Metric, string> = {
  loss: 'Training loss',
  valLoss: 'Validation loss',
  trainAcc: 'Train accuracy',
  valAcc: 'Validation accuracy',
  gradNormMean: 'Gradient norm (mean)',
  gradNormMax: 'Gradient norm (max)',
  clippedFraction: 'Clipped steps',
};

export const isAccuracy = (m: Metric) => m === 'trainAcc' || m === 'valAcc' || m === 'clippedFraction';

/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the first points are not
 * pulled towards zero. weight 0 returns the values unchanged; non-finite values pass through.
 */
export function smooth(values: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return values.slice();
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}

/** Seconds since the run started at the end of each epoch. */
export function cumulativeSeconds(epochs: readonly EpochMetrics[]): number[] {
  let t = 0;
  return epochs.map((e) => (t += e.seconds));
}

export interface Band {
  x: number[];
  mean: number[];
  /** Sample std (n−1), 0 where only one run has that epoch. */
  std: number[];
  /** How many runs contributed to each point. */
  n: number[];
}

/**
 * Mean ± std across runs, epoch by epoch (runs of different lengths: each epoch averages the runs
 * that reached it). x is the epoch, or the mean cumulative time at that epoch when `time`.
 */
export function groupBand(runs: readonly (readonly EpochMetrics[])[], metric: Metric, smoothing = 0, time = false): Band {
  const length = Math.max(0, ...runs.map((r) => r.length));
  const ys = runs.map((r) => smooth(r.map((e) => e[metric]), smoothing));
  const ts = runs.map((r) => cumulativeSeconds(r));
  const band: Band = { x: [], mean: [], std: [], n: [] };
  for (let i = 0; i < length; i++) {
    const values: number[] = [];
    const times: number[] = [];
    ys.forEach((y, r) => {
      const v = y[i];
      if (v !== undefined && Number.isFinite(v)) {
        values.push(v);
        times.push(ts[r]![i]!);
      }
    });
    if (!values.length) continue;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
    band.x.push(time ? times.reduce((a, b) => a + b, 0) / times.length : i + 1);
    band.mean.push(mean);
    band.std.push(Math.sqrt(variance));
    band.n.push(values.length);
  }
  return band;
}

export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, n: v.length };
}
