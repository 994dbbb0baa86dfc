/**
 * The Sweeplab export bundle: the JSON file a researcher sends a lab mate, and that
 * `imports.history` merges into another Sweeplab. It is self-describing (format name and version
 * first) and complete enough to rebuild the history rows: every run with all its epochs, the sweeps
 * they belong to, and the data-set records they reference (matched on import by checksum, since a
 * data set's id differs from machine to machine). A sweep export also carries its per-cell
 * statistics, for readers of the JSON; the importer recomputes them rather than trusting them.
 *
 * Model weights are not in the bundle: they are per-run checkpoints, exported with `exports.model`.
 */
import { z } from 'zod';
import { Dataset, EpochMetrics, EpochSteps, Run, Sweep } from '../../shared/domain';
import { CellStats } from '../../shared/contract';
import type { LoadedSubject } from '../reports/subject';

export const BUNDLE_FORMAT = 'sweeplab-export';
/** 2: configs carry `validation` (version 1 bundles predate validation splits: upgraded on read). */
export const BUNDLE_VERSION = 2;

/** steps: the per-step curves (downsampled per epoch); absent from bundles written before them. */
export const BundleRun = z.strictObject({ ...Run.shape, epochs: z.array(EpochMetrics), steps: z.array(EpochSteps).optional() });
export type BundleRun = z.infer<typeof BundleRun>;

/**
 * Version 1 bundles were written before validation splits: every run in them validated (and so
 * selected) on the test split. Say so in their configs before the current schemas, whose default
 * is a held-out validation split, read them.
 */
function upgradeVersion1(raw: unknown): unknown {
  const bundle = raw as { version?: unknown; runs?: unknown; sweeps?: unknown };
  if (!bundle || typeof bundle !== 'object' || bundle.version !== 1) return raw;
  const mark = (config: unknown) =>
    config && typeof config === 'object' && !('validation' in config) ? { ...config, validation: { split: 'test' } } : config;
  const each = (list: unknown, fn: (item: Record<string, unknown>) => unknown) =>
    Array.isArray(list) ? list.map((item) => (item && typeof item === 'object' ? fn(item as Record<string, unknown>) : item)) : list;
  return {
    ...bundle,
    runs: each(bundle.runs, (run) => ({ ...run, config: mark(run.config) })),
    sweeps: each(bundle.sweeps, (sweep) => {
      const spec = sweep.spec as Record<string, unknown> | undefined;
      return spec && typeof spec === 'object' ? { ...sweep, spec: { ...spec, base: mark(spec.base) } } : sweep;
    }),
  };
}

/** The bundle as read: the header strictly, the payload with the app's own domain schemas. */
export const ExportBundle = z.preprocess(upgradeVersion1, z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.number().int(),
  exportedAt: z.string(),
  app: z.object({ name: z.string(), version: z.string() }),
  datasets: z.array(Dataset),
  sweeps: z.array(Sweep),
  runs: z.array(BundleRun),
  cells: z.array(CellStats).optional(),
}));
export type ExportBundle = z.infer<typeof ExportBundle>;

export function buildBundle(subject: LoadedSubject, appVersion: string, now = new Date(), stepsOf: (runId: string) => EpochSteps[] = () => []): ExportBundle {
  const datasetIds = new Set(subject.runs.map(({ run }) => run.datasetId));
  if (subject.sweep) datasetIds.add(subject.sweep.sweep.datasetId);
  const bundle: ExportBundle = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exportedAt: now.toISOString(),
    app: { name: 'Sweeplab', version: appVersion },
    datasets: [...datasetIds].flatMap((id) => (subject.datasets.has(id) ? [subject.datasets.get(id)!] : [])),
    sweeps: subject.sweep ? [subject.sweep.sweep] : [],
    runs: subject.runs.map(({ run, epochs }) => {
      const steps = stepsOf(run.id);
      return { ...run, epochs, ...(steps.length ? { steps } : {}) };
    }),
  };
  if (subject.sweep) bundle.cells = subject.sweep.stats.cells;
  return bundle;
}

/** Stable, readable JSON: two-space indent, so a diff of two exports is readable too. */
export function bundleJson(bundle: ExportBundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}
