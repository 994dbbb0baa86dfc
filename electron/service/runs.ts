import type { Handlers } from './dispatch';
import type { ServiceContext } from './context';
import { checkValidation } from './configCheck';
import { ApiError } from '../../shared/errors';
import type { Run } from '../../shared/domain';

function mustGet(ctx: ServiceContext, id: string): Run {
  const run = ctx.store.runs.get(id);
  if (!run) throw new ApiError('not_found', `No run with id ${id}`);
  return run;
}

export function runHandlers(ctx: ServiceContext): Pick<
  Handlers,
  | 'runs.list'
  | 'runs.get'
  | 'runs.epochs'
  | 'runs.steps'
  | 'runs.epochsMany'
  | 'runs.tags'
  | 'runs.create'
  | 'runs.update'
  | 'runs.cancel'
  | 'runs.resume'
  | 'runs.delete'
> {
  return {
    'runs.list': (filter) => ctx.store.runs.list(filter),
    'runs.get': ({ id }) => mustGet(ctx, id),
    'runs.epochs': ({ id }) => {
      mustGet(ctx, id);
      return ctx.store.runs.epochs(id);
    },
    'runs.steps': ({ id }) => {
      mustGet(ctx, id);
      return ctx.store.runs.steps(id);
    },
    'runs.epochsMany': ({ ids }) => ctx.store.runs.epochsMany(ids),
    'runs.tags': () => ctx.store.runs.tags(),
    'runs.create': async (request) => {
      const dataset = ctx.store.datasets.get(request.datasetId);
      if (!dataset) throw new ApiError('not_found', `No data set with id ${request.datasetId}`);
      ctx.checkModel(request.model, dataset);
      checkValidation(request.config, dataset);
      const run = ctx.store.runs.create({ name: request.name, datasetId: dataset.id, model: request.model, config: request.config });
      ctx.events.emit('run.updated', run);
      if (request.start) return ctx.runner.start(run.id);
      return run;
    },
    'runs.update': ({ id, ...patch }) => {
      mustGet(ctx, id);
      const run = ctx.store.runs.update(id, patch)!;
      ctx.events.emit('run.updated', run);
      return run;
    },
    'runs.cancel': async ({ id }) => {
      mustGet(ctx, id);
      return ctx.runner.cancel(id);
    },
    'runs.resume': async ({ id }) => {
      const run = mustGet(ctx, id);
      if (run.sweepId) {
        // The sweep's scheduler owns its trials; training one behind its back would race it.
        throw new ApiError('failed_precondition', `Run ${run.name} is a trial of a sweep: resume the sweep, or rerun the trial from the sweep`);
      }
      if (run.epochsDone > 0 && !ctx.runner.trainedHere(id)) {
        throw new ApiError(
          'failed_precondition',
          `Run ${run.name} was not trained on this machine (imported?) and has no checkpoint here: start a new run with the same settings instead`,
        );
      }
      if (!['interrupted', 'cancelled', 'failed'].includes(run.status)) {
        throw new ApiError('failed_precondition', `Run ${run.name} is ${run.status}; only interrupted, cancelled or failed runs can be resumed`);
      }
      return ctx.runner.start(id, { resume: true });
    },
    'runs.delete': async ({ id }) => {
      const run = mustGet(ctx, id);
      if (run.status === 'running' || run.status === 'queued') await ctx.runner.cancel(id);
      ctx.store.runs.delete(id);
      await ctx.runner.forget(id);
      ctx.events.emit('run.deleted', { id });
      return { ok: true as const };
    },
  };
}
