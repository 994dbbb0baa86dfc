import type { Handlers } from './dispatch';
import type { ServiceContext } from './context';
import { ApiError } from '../../shared/errors';
import { removeUploadSessions, uploadsDir } from '../paths';
import { sweepSchedulerFor } from './sweeps';

export function datasetHandlers(ctx: ServiceContext): Pick<
  Handlers,
  'datasets.list' | 'datasets.get' | 'datasets.import' | 'datasets.download' | 'datasets.rename' | 'datasets.delete'
> {
  const lib = () => {
    if (!ctx.datasets) throw new ApiError('unavailable', 'Data-set import is not available in this build');
    return ctx.datasets;
  };
  return {
    'datasets.list': () => ctx.store.datasets.list(),
    'datasets.get': async ({ id, samplesPerClass }) => {
      const dataset = ctx.store.datasets.get(id);
      if (!dataset) throw new ApiError('not_found', `No data set with id ${id}`);
      const samples = samplesPerClass > 0 && ctx.datasets ? await ctx.datasets.samples(id, samplesPerClass) : [];
      return { dataset, samples };
    },
    'datasets.import': async (request) => {
      try {
        const dataset = await lib().importPaths(request.paths, {
          name: request.name,
          holdOut: request.holdOut,
          imageSize: request.imageSize,
          uploadRoots: [uploadsDir(ctx.dataDir)],
          onProgress: (p) => ctx.events.emit('dataset.progress', p),
        });
        ctx.events.emit('dataset.updated', dataset);
        return dataset;
      } finally {
        removeUploadSessions(ctx.dataDir, request.paths);
      }
    },
    'datasets.download': async ({ catalogId, name }) => {
      const dataset = await lib().download(catalogId, { name, onProgress: (p) => ctx.events.emit('dataset.progress', p) });
      ctx.events.emit('dataset.updated', dataset);
      return dataset;
    },
    'datasets.rename': async ({ id, name }) => {
      if (!ctx.store.datasets.get(id)) throw new ApiError('not_found', `No data set with id ${id}`);
      const dataset = await lib().rename(id, name);
      ctx.events.emit('dataset.updated', dataset);
      return dataset;
    },
    'datasets.delete': async ({ id, cascade }) => {
      if (!ctx.store.datasets.get(id)) throw new ApiError('not_found', `No data set with id ${id}`);
      const usage = ctx.store.datasets.usage(id);
      const goneRuns: string[] = [];
      if (cascade && (usage.runs || usage.sweeps)) {
        // Stop whatever trains on it first, and drop the checkpoints of what goes with it: the
        // rows alone going would leave trainers running and files behind.
        const scheduler = sweepSchedulerFor(ctx);
        for (const sweep of ctx.store.sweeps.list().filter((s) => s.datasetId === id)) await scheduler.delete(sweep.id);
        for (;;) {
          const page = ctx.store.runs.list({ datasetId: id, limit: 1000 });
          for (const run of page.items) {
            // A run another process trains is not cancelled from here: the rows going is what it
            // notices (it stops the trainer, drops the checkpoints and says so); a cancel first
            // would end it as 'cancelled' while its trainer still wrote checkpoints.
            const elsewhere = ctx.store.runs.ownedElsewhere(run.id);
            if ((run.status === 'running' || run.status === 'queued') && !elsewhere) await ctx.runner.cancel(run.id);
            await ctx.runner.forget(run.id);
            goneRuns.push(run.id);
          }
          if (page.items.length === page.total) break;
          // More than a page: delete what was handled so the next page is the rest.
          for (const run of page.items) ctx.store.runs.delete(run.id);
        }
      }
      await lib().delete(id, { cascade });
      // Open views drop each run that went with it (a sweep's trials are reported by its delete).
      for (const runId of goneRuns) ctx.events.emit('run.deleted', { id: runId });
      ctx.events.emit('dataset.deleted', { id });
      return { ok: true as const };
    },
  };
}
