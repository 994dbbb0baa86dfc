/**
 * How many seeds per cell a new sweep needs, learned from the spread between seeds in earlier
 * sweeps of the same model on the same data set: the pooled within-cell standard deviation of
 * final validation accuracy, turned into the smallest n whose test detects a TIE_MARGIN (1 point)
 * difference with 80 % power. With 2 seeds almost every difference is invisible; this says so
 * before the compute is spent.
 */
import type { Store } from '../store';
import type { SweepPlan } from '../../shared/contract/sweeps';
import type { SweepSpec } from '../../shared/domain';
import { TIE_MARGIN } from '../../shared/analysis';
import { seedsFor, variance } from './stats';

/** Earlier sweeps looked at: the most recent ones are the best guide to this machine's setup. */
const MAX_SWEEPS = 5;

export function seedAdvice(store: Store, spec: SweepSpec, alpha = 0.05): NonNullable<SweepPlan['seedAdvice']> | null {
  const layers = JSON.stringify(spec.model.layers);
  const earlier = store.sweeps
    .list()
    .filter((s) => s.datasetId === spec.datasetId && JSON.stringify(s.spec.model.layers) === layers)
    .slice(0, MAX_SWEEPS);
  let ss = 0;
  let df = 0;
  let used = 0;
  for (const sweep of earlier) {
    const finals = new Map<string, number[]>();
    for (const trial of store.sweeps.trials(sweep.id)) {
      if (trial.status !== 'completed') continue;
      const acc = store.runs.get(trial.id)?.lastValAcc;
      if (acc === null || acc === undefined) continue;
      finals.set(trial.cellId, [...(finals.get(trial.cellId) ?? []), acc]);
    }
    let contributed = false;
    for (const values of finals.values()) {
      if (values.length < 2) continue;
      ss += variance(values) * (values.length - 1);
      df += values.length - 1;
      contributed = true;
    }
    if (contributed) used++;
  }
  if (df === 0) return null;
  const std = Math.sqrt(ss / df);
  const seeds = seedsFor(std, TIE_MARGIN, alpha);
  return {
    seeds,
    std,
    sweeps: used,
    basis: `seeds of a cell differed by ${(std * 100).toFixed(2)} points (standard deviation) in ${used} earlier sweep${used === 1 ? '' : 's'} of this model on this data set; ${seeds} seeds per cell tell a 1-point difference apart 80% of the time`,
  };
}
