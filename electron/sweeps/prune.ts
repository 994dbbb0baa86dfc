/**
 * Early termination of sweep trials: ASHA, the median rule and Hyperband-style bands. Pure
 * functions over the trials' stored per-epoch metric, so a decision can be recomputed from the
 * database at any time (after a crash, in a test, in another process) and gives the same answer.
 *
 * Definitions (epochs are 1-based, as stored):
 * - The watched score of a trial at epoch e is its metric at e ('last') or its best up to e
 *   ('best'); validation accuracy is better higher, validation loss lower.
 * - ASHA (Li et al. 2018, as Ray Tune's ASHAScheduler): rungs at grace·eta^k below the trials'
 *   last epoch. When a trial reaches a rung, every trial of the sweep that reached that epoch is
 *   on the rung (itself included); it goes on when its score is at least the (1 − 1/eta) quantile
 *   of their scores (linear interpolation, as numpy.percentile), else it stops. Judged once per
 *   rung, when the trial gets there: asynchronous, early trials are judged against fewer.
 * - Median (as Optuna's MedianPruner): once `startupTrials` trials completed and past
 *   `warmupEpochs`, a trial stops when its score at epoch e is below the median of the completed
 *   trials' scores at e.
 * - Hyperband bands (as W&B's `early_terminate: hyperband`): bands at minIter·eta^k, or
 *   ⌊maxIter/eta^i⌋ for i = 1..s. At every epoch at or past a band, the nearest band b below is
 *   checked: the threshold is the ⌊n/eta⌋-th best score at b over the n trials that reached b; a
 *   trial whose best score so far (strict: its score at b) is worse stops.
 *
 * Nothing is ever stopped at its last epoch (it has finished).
 */
import type { PruneMetric, PruneSpec } from '../../shared/domain';

export interface PruneTrial {
  id: string;
  /** Completed trials count for the median rule's startup and reference set. */
  completed: boolean;
  /** The watched metric's raw value at epochs 1, 2, … (index 0 is epoch 1). */
  values: readonly number[];
}

export type PruneDecision = { prune: false } | { prune: true; epoch: number; reason: string };

const KEEP: PruneDecision = { prune: false };

/** Higher is better internally: loss is negated. */
const better = (metric: PruneMetric) => (metric.name === 'valLoss' ? (x: number) => -x : (x: number) => x);

/** The trial's score at epoch e (1-based), higher is better; null before e. */
export function scoreAt(values: readonly number[], epoch: number, metric: PruneMetric): number | null {
  if (epoch < 1 || values.length < epoch) return null;
  const sign = better(metric);
  if (metric.mode === 'last') return sign(values[epoch - 1]!);
  let best = -Infinity;
  for (let i = 0; i < epoch; i++) best = Math.max(best, sign(values[i]!));
  return best;
}

/** numpy.percentile's default (linear interpolation between closest ranks), q in [0, 1]. */
export function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** ASHA's rungs: grace·eta^k for k = 0, 1, … below the last epoch. */
export function ashaRungs(grace: number, eta: number, epochs: number): number[] {
  const rungs: number[] = [];
  for (let k = 0; ; k++) {
    const r = Math.floor(grace * eta ** k + 1e-9);
    if (r >= epochs) break;
    if (!rungs.includes(r)) rungs.push(r);
  }
  return rungs;
}

/** W&B's bands (1-based epochs, below the last epoch), ascending. */
export function hyperbandBands(spec: Extract<PruneSpec, { rule: 'hyperband' }>, epochs: number): number[] {
  const bands = new Set<number>();
  if (spec.minIter !== undefined) {
    for (let k = 0; ; k++) {
      const b = Math.floor(spec.minIter * spec.eta ** k + 1e-9);
      if (b >= epochs) break;
      bands.add(b);
    }
  } else if (spec.maxIter !== undefined) {
    for (let i = 1; i <= spec.s; i++) {
      const b = Math.floor(spec.maxIter / spec.eta ** i + 1e-9);
      if (b >= 1 && b < epochs) bands.add(b);
    }
  }
  return [...bands].sort((a, b) => a - b);
}

const fraction = (eta: number) => `1/${Number.isInteger(eta) ? eta : Number(eta.toFixed(2))}`;

/** "0.712 < 0.731": three decimals, more when they would print equal. */
function comparison(value: number, bound: number, metric: PruneMetric): string {
  let digits = 3;
  while (digits < 8 && value.toFixed(digits) === bound.toFixed(digits)) digits++;
  const op = metric.name === 'valLoss' ? '>' : '<';
  return `${value.toFixed(digits)} ${op} ${bound.toFixed(digits)}`;
}

const metricLabel = (m: PruneMetric) => `${m.name === 'valLoss' ? 'validation loss' : 'validation accuracy'}, ${m.mode === 'best' ? 'best so far' : 'latest'}`;

/**
 * Whether `trial`, which has just stored its latest epoch, stops now. `others` are the sweep's
 * other trials (any status; the trial itself is ignored if present); `epochs` is the trials' length.
 */
export function pruneDecision(spec: PruneSpec, epochs: number, trial: PruneTrial, others: readonly PruneTrial[]): PruneDecision {
  const e = trial.values.length;
  if (e < 1 || e >= epochs) return KEEP;
  const metric = spec.metric;
  const raw = better(metric); // its own inverse
  const peers = others.filter((t) => t.id !== trial.id);
  switch (spec.rule) {
    case 'asha': {
      const maxT = Math.min(spec.maxEpochs ?? epochs, epochs);
      if (!ashaRungs(spec.grace, spec.eta, maxT).includes(e)) return KEEP;
      const own = scoreAt(trial.values, e, metric)!;
      const recorded = [own, ...peers.flatMap((t) => (t.values.length >= e ? [scoreAt(t.values, e, metric)!] : []))];
      const cutoff = quantile(recorded, 1 - 1 / spec.eta);
      if (own >= cutoff) return KEEP;
      return {
        prune: true,
        epoch: e,
        reason: `ASHA: below the top-${fraction(spec.eta)} quantile at epoch ${e}: ${comparison(raw(own), raw(cutoff), metric)} (${metricLabel(metric)}; ${recorded.length} trials reached epoch ${e})`,
      };
    }
    case 'median': {
      if (e <= spec.warmupEpochs) return KEEP;
      const completed = peers.filter((t) => t.completed);
      if (completed.length < Math.max(1, spec.startupTrials)) return KEEP;
      const reference = completed.flatMap((t) => (t.values.length >= e ? [scoreAt(t.values, e, metric)!] : []));
      if (!reference.length) return KEEP;
      const median = quantile(reference, 0.5);
      const own = scoreAt(trial.values, e, metric)!;
      if (own >= median) return KEEP;
      return {
        prune: true,
        epoch: e,
        reason: `median rule: below the median of ${reference.length} completed trials at epoch ${e}: ${comparison(raw(own), raw(median), metric)} (${metricLabel(metric)})`,
      };
    }
    case 'hyperband': {
      const band = hyperbandBands(spec, epochs)
        .filter((b) => b <= e)
        .pop();
      if (band === undefined) return KEEP;
      const atBand = [trial, ...peers].flatMap((t) => (t.values.length >= band ? [scoreAt(t.values, band, metric)!] : []));
      atBand.sort((a, b) => b - a);
      const threshold = atBand[Math.floor(atBand.length / spec.eta)]!;
      const own = spec.strict ? scoreAt(trial.values, band, metric)! : scoreAt(trial.values, e, { ...metric, mode: 'best' })!;
      if (own >= threshold) return KEEP;
      return {
        prune: true,
        epoch: e,
        reason: `Hyperband: below the top-${fraction(spec.eta)} threshold of band ${band} at epoch ${e}: ${comparison(raw(own), raw(threshold), metric)} (${spec.strict ? 'value at the band' : 'best so far'}; ${atBand.length} trials reached epoch ${band})`,
      };
    }
  }
}

/**
 * Trial-epochs a sweep of `trials` trials of `epochs` epochs is expected to train with this rule,
 * for the launch estimate: successive halving keeps 1/eta of the trials past each rung or band;
 * the median rule is assumed to stop half of the trials after the startup ones at the first
 * epoch it may. An estimate, said so wherever it is shown.
 */
export function expectedEpochs(spec: PruneSpec | undefined, trials: number, epochs: number): number {
  if (!spec || trials === 0) return trials * epochs;
  if (spec.rule === 'median') {
    const startup = Math.min(trials, spec.startupTrials);
    const rest = trials - startup;
    const stopAt = Math.min(epochs, spec.warmupEpochs + 1);
    return startup * epochs + Math.round(rest * ((epochs + stopAt) / 2));
  }
  const stops = spec.rule === 'asha' ? ashaRungs(spec.grace, spec.eta, Math.min(spec.maxEpochs ?? epochs, epochs)) : hyperbandBands(spec, epochs);
  let total = 0;
  let alive = trials;
  let from = 0;
  for (const stop of stops) {
    total += alive * (stop - from);
    from = stop;
    alive = Math.max(Math.min(1, trials), alive / spec.eta);
  }
  total += alive * (epochs - from);
  return Math.round(total);
}
