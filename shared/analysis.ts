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
