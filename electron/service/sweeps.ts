import type { Handlers } from './dispatch';
import type { ServiceContext } from './context';
import { ApiError } from '../../shared/errors';

export function sweepHandlers(ctx: ServiceContext): Pick<Handlers, 'sweeps.list' | 'sweeps.get' | 'sweeps.create'> {
  return {
    'sweeps.list': () => ctx.store.sweeps.list(),
    'sweeps.get': ({ id }) => {
      const sweep = ctx.store.sweeps.get(id);
      if (!sweep) throw new ApiError('not_found', `No sweep with id ${id}`);
      return sweep;
    },
    'sweeps.create': ({ spec, concurrency }) => {
      if (!ctx.store.datasets.get(spec.datasetId)) throw new ApiError('not_found', `No data set with id ${spec.datasetId}`);
      const sweep = ctx.store.sweeps.create({ name: spec.name ?? 'Sweep', spec, concurrency: concurrency ?? 1 });
      ctx.events.emit('sweep.updated', sweep);
      return sweep;
    },
  };
}
