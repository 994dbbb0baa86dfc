/**
 * Loads what a report or export is about (some runs, or a sweep with its trials and statistics)
 * from the store, once, in the shape both the PDF and the tabular exports read.
 */
import type { Dataset, EpochMetrics, ModelSpec, Run, Sweep } from '../../shared/domain';
import { describeModel } from '../../shared/models';
import type { ReportSubject, SweepStats } from '../../shared/contract';
import { ApiError } from '../../shared/errors';
import type { Store } from '../store';
import { sweepStats } from '../sweeps/stats';
import { cellValuesOf, isSearch } from '../sweeps/scheduler';

export interface RunWithEpochs {
  run: Run;
  epochs: EpochMetrics[];
}

interface SubjectRuns {
  runs: RunWithEpochs[];
  /** The data sets the runs and the sweep use, by id; a run whose row is gone has no entry. */
  datasets: Map<string, Dataset>;
}

/** A sweep's report or export: its runs and its statistics. */
export type SweepSubject = SubjectRuns & { kind: 'sweep'; sweep: { sweep: Sweep; stats: SweepStats } };

/** What a report or export is about: one run, runs compared, or a sweep (only a sweep has `sweep`). */
export type LoadedSubject = (SubjectRuns & { kind: 'run'; sweep: null }) | (SubjectRuns & { kind: 'comparison'; sweep: null }) | SweepSubject;

/** Every run of a sweep, paging through the store's 1000-row limit. */
export function sweepRuns(store: Store, sweepId: string): Run[] {
  const runs: Run[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = store.runs.list({ sweepId, limit: 1000, offset, sort: 'createdAt', order: 'asc' });
    runs.push(...page.items);
    if (runs.length >= page.total || page.items.length === 0) return runs;
  }
}

/**
 * The sweep's statistics from its spec's grid and its stored trials, with the sweeps module's own
 * code (the numbers in the report are the numbers in the app's sweep view).
 */
export function statsOfSweep(sweep: Sweep, runs: readonly RunWithEpochs[]): SweepStats {
  const trials = runs
    .filter(({ run }) => run.cellId !== null)
    .map(({ run, epochs }) => ({ cellId: run.cellId!, seed: run.config.seed, status: run.status, epochs }));
  return sweepStats(sweep.spec, trials, isSearch(sweep.spec) ? searchedCells(sweep.spec, runs) : undefined);
}

/** A search sweep's configurations, as its trials (oldest first) proposed them: what its statistics compare. */
function searchedCells(spec: Sweep['spec'], runs: readonly RunWithEpochs[]) {
  const cells = new Map<string, ReturnType<typeof cellValuesOf> & { cellId: string }>();
  for (const { run } of [...runs].sort((a, b) => a.run.createdAt.localeCompare(b.run.createdAt))) {
    if (run.cellId === null || cells.has(run.cellId)) continue;
    const c = run.config;
    cells.set(run.cellId, { ...cellValuesOf({ lr: c.lr, clip: c.clipNorm, batchSize: c.batchSize, optimizer: c.optimizer, weightDecay: c.weightDecay ?? null, preset: run.model.preset ?? null }, spec), cellId: run.cellId });
  }
  return [...cells.values()];
}

export function loadSubject(store: Store, subject: ReportSubject): LoadedSubject {
  const datasets = new Map<string, Dataset>();
  const addDataset = (id: string) => {
    if (datasets.has(id)) return;
    const dataset = store.datasets.get(id);
    if (dataset) datasets.set(id, dataset);
  };
  if ('sweepId' in subject) {
    const sweep = store.sweeps.get(subject.sweepId);
    if (!sweep) throw new ApiError('not_found', `No sweep with id ${subject.sweepId}`);
    const trialRuns = sweepRuns(store, sweep.id);
    const epochsById = new Map(store.runs.epochsMany(trialRuns.map((r) => r.id)).map((e) => [e.runId, e.epochs]));
    const runs = trialRuns.map((run) => ({ run, epochs: epochsById.get(run.id) ?? [] }));
    addDataset(sweep.datasetId);
    for (const { run } of runs) addDataset(run.datasetId);
    return { kind: 'sweep', runs, datasets, sweep: { sweep, stats: statsOfSweep(sweep, runs) } };
  }
  const ids = [...new Set(subject.runIds)];
  const runs = ids.map((id) => {
    const run = store.runs.get(id);
    if (!run) throw new ApiError('not_found', `No run with id ${id}`);
    addDataset(run.datasetId);
    return { run, epochs: store.runs.epochs(id) };
  });
  return { kind: runs.length === 1 ? 'run' : 'comparison', runs, datasets, sweep: null };
}

/** Total trainable parameters, or null when the data set (input shape) is unknown or does not fit. */
export function parameterCount(model: ModelSpec, dataset: Dataset | undefined): number | null {
  if (!dataset) return null;
  try {
    return describeModel(model, dataset.shape, dataset.numClasses).totalParams;
  } catch {
    return null;
  }
}
