/** Compare view helpers: grouping runs by a config field and the overfitting table. Pure. */
import type { EpochMetrics, Run } from '../../../shared/domain';
import { hyper } from './format';
import { meanStd } from './series';

export type GroupField = 'none' | 'lr' | 'clip' | 'model' | 'optimizer' | 'batchSize' | 'dataset' | 'sweep' | 'epochs';

export const GROUP_FIELDS: { value: GroupField; label: string }[] = [
  { value: 'none', label: 'no grouping' },
  { value: 'lr', label: 'learning rate' },
  { value: 'clip', label: 'clip norm' },
  { value: 'model', label: 'model' },
  { value: 'optimizer', label: 'optimizer' },
  { value: 'batchSize', label: 'batch size' },
  { value: 'dataset', label: 'data set' },
  { value: 'sweep', label: 'sweep' },
];

export function groupKey(run: Run, field: GroupField): string {
  switch (field) {
    case 'lr':
      return `lr ${hyper(run.config.lr)}`;
    case 'clip':
      return run.config.clipNorm === null ? 'no clip' : `clip ${hyper(run.config.clipNorm)}`;
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
export function overfitRows(runs: readonly Run[], epochs: Readonly<Record<string, readonly EpochMetrics[]>>, field: GroupField): OverfitRow[] {
  const groups = new Map<string, Run[]>();
  for (const run of runs) {
    const key = field === 'none' ? run.id : groupKey(run, field);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.entries()].map(([key, members]) => {
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

/** Compare URLs carry run ids: "?ids=a,b,c". */
export function parseIds(value: unknown): string[] {
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '';
  return [...new Set(text.split(',').map((s) => s.trim()).filter((s) => /^[A-Za-z0-9_-]{1,64}$/.test(s)))];
}
