/** Compare view helpers: grouping runs by a config field and the overfitting table. Pure. */
import type { EpochMetrics, Run } from '../../../shared/domain';
import { hyper } from './format';

import { groupKey as sharedGroupKey, overfitRows as sharedOverfitRows, type GroupField, type OverfitRow } from '../../../shared/compare';

export type { GroupField, OverfitRow };

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
  return sharedGroupKey(run, field, hyper);
}

/** One row per run (or per group, mean over its runs), from the last stored epoch of each (shared/compare.ts). */
export function overfitRows(runs: readonly Run[], epochs: Readonly<Record<string, readonly EpochMetrics[]>>, field: GroupField): OverfitRow[] {
  return sharedOverfitRows(runs, epochs, field, hyper);
}

/** Compare URLs carry run ids: "?ids=a,b,c". */
export function parseIds(value: unknown): string[] {
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '';
  return [...new Set(text.split(',').map((s) => s.trim()).filter((s) => /^[A-Za-z0-9_-]{1,64}$/.test(s)))];
}
