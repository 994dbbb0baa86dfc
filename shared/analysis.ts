/**
 * The one number a sweep's analysis ranks its cells by, chosen once per sweep and used by every
 * view of it (the sweep page, `sweep show` and its JSON, the CLI table, the PDF report), so that
 * they cannot give different verdicts for the same sweep. Pure: shared by main process and renderer.
 */
import { z } from 'zod';
import type { ValidationSpec } from './domain';

/** 'finalValAcc': validation accuracy after the last epoch; 'bestValAcc': at the best epoch. */
export const AnalysisMetric = z.enum(['finalValAcc', 'bestValAcc']);
export type AnalysisMetric = z.infer<typeof AnalysisMetric>;
export const DEFAULT_ANALYSIS_METRIC: AnalysisMetric = 'finalValAcc';

/**
 * The metric in words, for every heading: "final validation accuracy", or for a sweep that
 * validated on the test split, "final test accuracy (selected on the test split)".
 */
export function metricLabel(metric: AnalysisMetric, validation: ValidationSpec): string {
  const when = metric === 'finalValAcc' ? 'final' : 'best-epoch';
  return validation.split === 'test' ? `${when} test accuracy (selected on the test split)` : `${when} validation accuracy`;
}

/** The short form for table headers and toggles: "final val acc", "best val acc", "final test acc". */
export function metricShortLabel(metric: AnalysisMetric, validation: ValidationSpec): string {
  return `${metric === 'finalValAcc' ? 'final' : 'best'} ${validation.split === 'test' ? 'test' : 'val'} acc`;
}

/**
 * The accuracy difference the verdicts treat as meaningful: 1 point. Two cells are "tied" only when
 * the test had the power to see a difference this large (electron/sweeps/stats.ts).
 */
export const TIE_MARGIN = 0.01;

/** A cell's verdict against the best, in the same words on screen, in the CLI and in the PDF. */
export function verdictLabel(cmp: { verdict: 'best' | 'tied' | 'cant-tell' | 'worse' | 'untested'; n?: number | null | undefined }): string {
  switch (cmp.verdict) {
    case 'best':
      return 'best';
    case 'tied':
      return 'statistically tied';
    case 'cant-tell':
      return `can't tell with ${cmp.n ?? 'these'} seeds`;
    case 'worse':
      return 'worse';
    case 'untested':
      return 'untested (n < 2)';
  }
}

/** A p-value with three significant digits, so that 0.0498 and 0.0500 read differently. */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  if (p < 0.0001) return '< 0.0001';
  return p.toPrecision(3);
}
