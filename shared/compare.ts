/**
 * Comparing runs, the parts the Compare view and the comparison PDF must agree on: grouping runs
 * by a config field, the order of the groups (numeric where the field is a number: lr 0.0005 <
 * 0.001 < 0.01, never as text), a one-line configuration per run for tooltips, and whether the
 * runs come from more than one data set (then no run is "highest" across them).
 */
import type { EpochMetrics, Run } from './domain';

export type GroupField = 'none' | 'lr' | 'clip' | 'model' | 'optimizer' | 'batchSize' | 'dataset' | 'sweep' | 'epochs';
export const GROUP_FIELD_NAMES = ['none', 'lr', 'clip', 'model', 'optimizer', 'batchSize', 'dataset', 'sweep', 'epochs'] as const;

type Num = (value: number | null | undefined) => string;
type GroupRun = Pick<Run, 'name' | 'config' | 'model' | 'datasetId' | 'datasetName' | 'sweepId'>;

/** The group a run falls in; `num` formats hyperparameters (the caller's shared number format). */
export function groupKey(run: GroupRun, field: GroupField, num: Num): string {
  switch (field) {
    case 'lr':
      return `lr ${num(run.config.lr)}`;
    case 'clip':
      return run.config.clipNorm === null ? 'no clip' : `clip ${num(run.config.clipNorm)}`;
    case 'model':
      return run.model.preset ?? 'custom';
    case 'optimizer':
      return run.config.optimizer;
    case 'batchSize':
      return `batch ${run.config.batchSize}`;
    case 'dataset':
      return run.datasetName ?? run.datasetId;
    case 'sweep':
      return run.sweepId ? `sweep ${run.sweepId}` : 'single runs';
    case 'epochs':
      return `${run.config.epochs} epochs`;
    default:
      return run.name;
  }
}

/** The number a group sorts by, for numeric fields; null otherwise ("no clip" sorts last, as +∞). */
export function groupSortValue(run: GroupRun, field: GroupField): number | null {
  switch (field) {
    case 'lr':
      return run.config.lr;
    case 'clip':
      return run.config.clipNorm ?? Number.POSITIVE_INFINITY;
    case 'batchSize':
      return run.config.batchSize;
    case 'epochs':
      return run.config.epochs;
    default:
      return null;
  }
}

/**
 * Runs grouped by `field`, groups in order: numerically by the field's value where it has one,
 * else by label with numbers inside labels compared as numbers ("run 2" < "run 10"). Runs keep
 * their order within a group. field 'none': one group per run, in the given order.
 */
export function groupRuns<R extends GroupRun>(runs: readonly R[], field: GroupField, num: Num, idOf: (run: R, index: number) => string = (_r, i) => String(i)): { key: string; label: string; runs: R[] }[] {
  if (field === 'none') return runs.map((r, i) => ({ key: idOf(r, i), label: r.name, runs: [r] }));
  const groups = new Map<string, { key: string; label: string; runs: R[]; value: number | null }>();
  for (const run of runs) {
    const key = groupKey(run, field, num);
    const g = groups.get(key) ?? { key, label: key, runs: [], value: groupSortValue(run, field) };
    g.runs.push(run);
    groups.set(key, g);
  }
  return [...groups.values()].sort(compareGroups).map(({ key, label, runs: members }) => ({ key, label, runs: members }));
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

function compareGroups(a: { label: string; value: number | null }, b: { label: string; value: number | null }): number {
  if (a.value !== null && b.value !== null && a.value !== b.value) return a.value - b.value;
  return collator.compare(a.label, b.label);
}

/** One line naming a run's configuration: what a tooltip shows next to its name. */
export function runConfigLine(run: GroupRun, num: Num): string {
  const c = run.config;
  return [
    run.model.preset ?? 'custom model',
    `${c.optimizer} lr ${num(c.lr)}`,
    c.clipNorm === null ? 'no clip' : `clip ${num(c.clipNorm)}`,
    `batch ${c.batchSize}`,
    `seed ${c.seed}`,
    run.datasetName ?? run.datasetId,
  ].join(' · ');
}

/** The data sets of the runs (name or id), when there is more than one; empty otherwise. */
export function mixedDatasets(runs: readonly GroupRun[]): string[] {
  const names = new Map<string, string>();
  for (const r of runs) names.set(r.datasetId, r.datasetName ?? r.datasetId);
  return names.size > 1 ? [...names.values()] : [];
}

export const MIXED_DATASETS_WARNING = (names: readonly string[]) =>
  `These runs trained on ${names.length} different data sets (${names.join(', ')}): their accuracies are not comparable, and no run is ranked against runs of another data set.`;

export interface OverfitRow {
  key: string;
  label: string;
  n: number;
  finalVal: number | null;
  finalTrain: number | null;
  /** val acc / train acc after the last epoch: the notebook's overfitting ratio (1 = no gap). */
  ratio: number | null;
  ratioStd: number | null;
  gap: number | null;
  bestVal: number | null;
  bestEpoch: number | null;
}

/** One row per run (or per group, mean over its runs), from the last stored epoch of each. */
export function overfitRows(
  runs: readonly (GroupRun & { id: string })[],
  epochs: Readonly<Record<string, readonly EpochMetrics[]>>,
  field: GroupField,
  num: Num,
): OverfitRow[] {
  // Groups in numeric order of their field (shared/compare.ts), as the chart's legend.
  return groupRuns(runs, field, num, (r) => r.id).map(({ key, runs: members }) => {
    const finals = members
      .map((r) => epochs[r.id] ?? [])
      .filter((e) => e.length)
      .map((e) => ({ last: e[e.length - 1]!, best: e.reduce((a, b) => (b.valAcc > a.valAcc ? b : a)) }));
    const val = meanStd(finals.map((f) => f.last.valAcc));
    const train = meanStd(finals.map((f) => f.last.trainAcc));
    const ratio = meanStd(finals.filter((f) => f.last.trainAcc > 0).map((f) => f.last.valAcc / f.last.trainAcc));
    const best = meanStd(finals.map((f) => f.best.valAcc));
    const bestEpoch = meanStd(finals.map((f) => f.best.epoch));
    return {
      key,
      label: field === 'none' ? members[0]!.name : key,
      n: finals.length,
      finalVal: val?.mean ?? null,
      finalTrain: train?.mean ?? null,
      ratio: ratio?.mean ?? null,
      ratioStd: ratio && ratio.n > 1 ? ratio.std : null,
      gap: val && train ? train.mean - val.mean : null,
      bestVal: best?.mean ?? null,
      bestEpoch: bestEpoch ? Math.round(bestEpoch.mean * 10) / 10 : null,
    };
  });
}


function meanStd(values: readonly number[]): { mean: number; std: number; n: number } | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, n: v.length };
}
