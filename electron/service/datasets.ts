import type { Handlers } from './dispatch';
import type { ServiceContext } from './context';
import { ApiError } from '../../shared/errors';

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
      const dataset = await lib().importPaths(request.paths, {
        name: request.name,
        holdOut: request.holdOut,
        imageSize: request.imageSize,
        onProgress: (p) => ctx.events.emit('dataset.progress', p),
      });
      ctx.events.emit('dataset.updated', dataset);
      return dataset;
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
      await lib().delete(id, { cascade });
      ctx.events.emit('dataset.deleted', { id });
      return { ok: true as const };
    },
  };
}
