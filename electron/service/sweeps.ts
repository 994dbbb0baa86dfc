/**
 * The sweeps part of the contract: validation happened in dispatch; this checks references and
 * delegates to the SweepScheduler (electron/sweeps/scheduler.ts), which owns every state change.
 */
import type { Handlers } from './dispatch';
import { metricLabel } from '../../shared/analysis';
import type { ServiceContext } from './context';
import type { sweepMethods, SweepDetail } from '../../shared/contract/sweeps';
import { checkValidation } from './configCheck';
import { seedAdvice } from '../sweeps/seeds';
import { ApiError } from '../../shared/errors';
import type { SweepScheduler } from '../sweeps/scheduler';
import { expandCells, type Cell } from '../sweeps/grid';
import { cellValuesOf, isSearch } from '../sweeps/scheduler';
import type { TrialRow } from '../store/sweeps';
import type { SweepSpec } from '../../shared/domain';
import { sweepStats } from '../sweeps/stats';
import { planSweep } from '../sweeps/eta';

/** Replaces the process's scheduler (tests give it a fake trial executor). */
export function attachSweepScheduler(ctx: ServiceContext, scheduler: SweepScheduler): void {
  ctx.sweeps = scheduler;
}

/** The process's scheduler (built in electron/runtime.ts with the real run executor). */
export function sweepSchedulerFor(ctx: ServiceContext): SweepScheduler {
  if (!ctx.sweeps) throw new ApiError('unavailable', 'Sweeps are not available in this process');
  return ctx.sweeps;
}

/** A sweep with its trials, their epochs and its statistics. */
export function sweepDetail(ctx: ServiceContext, id: string): SweepDetail {
  const sweep = sweepSchedulerFor(ctx).get(id);
  const rows = ctx.store.sweeps.trials(id);
  const cells = sweepCells(sweep.spec, rows);
  const byCell = new Map(cells.map((c) => [c.cellId, c]));
  const epochs = new Map(ctx.store.runs.epochsMany(rows.map((r) => r.id)).map((e) => [e.runId, e.epochs]));
  const trials = rows
    .filter((r) => byCell.has(r.cellId))
    .map((r) => {
      const { cellId: _c, rank: _r, ...axes } = byCell.get(r.cellId)!;
      return {
        id: r.id,
        cellId: r.cellId,
        ...axes,
        seed: r.seed,
        status: r.status,
        error: r.error,
        backend: r.backend as SweepDetail['trials'][number]['backend'],
        pruned: r.pruned ?? null,
        epochs: epochs.get(r.id) ?? [],
      };
    });
  const stats = sweepStats(
    sweep.spec,
    trials.map((t) => ({ cellId: t.cellId, seed: t.seed, status: t.status, epochs: t.epochs })),
    isSearch(sweep.spec) ? cells : undefined,
  );
  const metric = sweep.analysisMetric;
  return { ...sweep, trials, stats, analysis: { metric, label: metricLabel(metric, sweep.spec.base.validation), bestCellId: stats.best[metric] } };
}

/** A grid's cells, or the configurations a search sweep proposed (in the order it proposed them). */
export function sweepCells(spec: SweepSpec, rows: readonly TrialRow[]): Cell[] {
  if (!isSearch(spec)) return expandCells(spec);
  const cells = new Map<string, Cell>();
  for (const r of [...rows].sort((a, b) => a.order - b.order)) {
    if (!cells.has(r.cellId)) cells.set(r.cellId, { ...cellValuesOf(r, spec), cellId: r.cellId, rank: cells.size });
  }
  return [...cells.values()];
}

export function sweepHandlers(ctx: ServiceContext): Pick<Handlers, keyof typeof sweepMethods> {
  const scheduler = () => sweepSchedulerFor(ctx);
  const dataset = (id: string) => {
    const ds = ctx.store.datasets.get(id);
    if (!ds) throw new ApiError('not_found', `No data set with id ${id}`);
    return ds;
  };
  return {
    'sweeps.list': () => ctx.store.sweeps.list(),
    'sweeps.get': ({ id }) => scheduler().get(id),
    'sweeps.show': ({ id }) => sweepDetail(ctx, id),
    'sweeps.plan': ({ spec, concurrency }) => {
      const ds = dataset(spec.datasetId);
      ctx.checkModel(spec.model, ds);
      checkValidation(spec.base, ds);
      return { ...planSweep(ctx.store, spec, ds, concurrency ?? scheduler().defaultConcurrency(spec)), seedAdvice: seedAdvice(ctx.store, spec) };
    },
    'sweeps.create': async ({ spec, concurrency, start }) => {
      const ds = dataset(spec.datasetId);
      ctx.checkModel(spec.model, ds);
      checkValidation(spec.base, ds);
      // Stored in slices: thousands of trials never hold up other clients (browser mode).
      const sweep = await scheduler().createInSlices(spec, { concurrency });
      return start ? scheduler().launch(sweep.id) : sweep;
    },
    'sweeps.launch': ({ id }) => scheduler().launch(id),
    'sweeps.pause': ({ id }) => scheduler().pause(id),
    'sweeps.resume': ({ id }) => scheduler().resume(id),
    'sweeps.cancel': ({ id }) => scheduler().cancel(id),
    'sweeps.rerunFailed': ({ id, includeDiverged }) => scheduler().rerunFailed(id, includeDiverged),
    'sweeps.setConcurrency': ({ id, concurrency }) => scheduler().setConcurrency(id, concurrency),
    'sweeps.setAnalysisMetric': ({ id, metric }) => scheduler().setAnalysisMetric(id, metric),
    'sweeps.cancelTrial': ({ id, trialId }) => scheduler().cancelTrial(id, trialId),
    'sweeps.rerunTrial': ({ id, trialId }) => scheduler().rerunTrial(id, trialId),
    'sweeps.resumeTrial': ({ id, trialId }) => scheduler().resumeTrial(id, trialId),
    'sweeps.delete': async ({ id }) => {
      await scheduler().delete(id);
      return { ok: true as const };
    },
  };
}
