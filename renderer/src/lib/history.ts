/** History filters as the user edits them, and their translation to a RunFilter. Pure. */
import type { RunFilter } from '../../../shared/contract';
import type { PresetName, RunStatus } from '../../../shared/domain';

export interface HistoryFilters {
  search: string;
  datasetId: string;
  status: RunStatus[];
  preset: (PresetName | 'custom')[];
  /** Text fields, so half-typed numbers do not fight the user. */
  lrMin: string;
  lrMax: string;
  clipMin: string;
  clipMax: string;
  noClip: '' | 'yes' | 'no';
  tags: string[];
  starred: boolean;
  /** yyyy-mm-dd from <input type=date>, local days. */
  from: string;
  to: string;
  scope: 'all' | 'standalone' | 'sweeps';
}

export type SortKey = NonNullable<RunFilter['sort']>;

export const emptyFilters = (): HistoryFilters => ({
  search: '',
  datasetId: '',
  status: [],
  preset: [],
  lrMin: '',
  lrMax: '',
  clipMin: '',
  clipMax: '',
  noClip: '',
  tags: [],
  starred: false,
  from: '',
  to: '',
  scope: 'all',
});

function num(text: string): number | undefined {
  if (!text.trim()) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Local-day bounds as ISO instants: `from` at 00:00, `to` at 23:59:59.999 of that day. */
export function dayBound(day: string, end: boolean): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const d = end ? new Date(+m[1]!, +m[2]! - 1, +m[3]!, 23, 59, 59, 999) : new Date(+m[1]!, +m[2]! - 1, +m[3]!);
  return d.toISOString();
}

/** Problems to show beside the fields (a number that is not one, min above max). */
export function filterProblems(f: HistoryFilters): Partial<Record<'lr' | 'clip' | 'date', string>> {
  const out: Partial<Record<'lr' | 'clip' | 'date', string>> = {};
  for (const key of ['lr', 'clip'] as const) {
    const lo = f[`${key}Min`];
    const hi = f[`${key}Max`];
    if ((lo.trim() && num(lo) === undefined) || (hi.trim() && num(hi) === undefined)) out[key] = 'not a number ≥ 0';
    else if (num(lo) !== undefined && num(hi) !== undefined && num(lo)! > num(hi)!) out[key] = 'min is above max';
  }
  if (f.from && f.to && f.from > f.to) out.date = 'from is after to';
  return out;
}

export function toRunFilter(f: HistoryFilters, sort: SortKey, order: 'asc' | 'desc'): RunFilter {
  const filter: RunFilter = { sort, order };
  if (f.search.trim()) filter.search = f.search.trim();
  if (f.datasetId) filter.datasetId = f.datasetId;
  if (f.status.length) filter.status = f.status;
  if (f.preset.length) filter.preset = f.preset;
  const lrMin = num(f.lrMin);
  const lrMax = num(f.lrMax);
  const clipMin = num(f.clipMin);
  const clipMax = num(f.clipMax);
  if (lrMin !== undefined) filter.lrMin = lrMin;
  if (lrMax !== undefined) filter.lrMax = lrMax;
  if (clipMin !== undefined) filter.clipMin = clipMin;
  if (clipMax !== undefined) filter.clipMax = clipMax;
  if (f.noClip) filter.noClip = f.noClip === 'yes';
  if (f.tags.length) filter.tags = f.tags;
  if (f.starred) filter.starred = true;
  const after = f.from ? dayBound(f.from, false) : undefined;
  const before = f.to ? dayBound(f.to, true) : undefined;
  if (after) filter.createdAfter = after;
  if (before) filter.createdBefore = before;
  if (f.scope === 'standalone') filter.inSweep = false;
  // A cancelled sweep's never-started trials are not history; asking for 'cancelled' shows them.
  if (!f.status.includes('cancelled')) filter.unstartedTrials = false;
  return filter;
}

/** How many filters are set (for the "Clear 3 filters" button). */
export function activeFilterCount(f: HistoryFilters): number {
  return (
    [f.search.trim(), f.datasetId, f.noClip, f.from, f.to].filter(Boolean).length +
    (f.status.length ? 1 : 0) +
    (f.preset.length ? 1 : 0) +
    (f.lrMin.trim() || f.lrMax.trim() ? 1 : 0) +
    (f.clipMin.trim() || f.clipMax.trim() ? 1 : 0) +
    (f.tags.length ? 1 : 0) +
    (f.starred ? 1 : 0)
  );
}

/** "a, b ,  c" → ['a','b','c'] without duplicates; what the tag editor stores. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))].map((t) => t.slice(0, 50));
}
