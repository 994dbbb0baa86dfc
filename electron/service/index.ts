/**
 * The service: the shared contract implemented over the store, the data-set library and the run
 * manager. Transports (IPC, HTTP/WebSocket, CLI) only ever call `dispatch` and subscribe to `events`.
 */
import { createDispatcher, type Dispatcher, type Handlers } from './dispatch';
import type { ServiceContext } from './context';
import { runHandlers } from './runs';
import { datasetHandlers } from './datasets';
import { sweepHandlers } from './sweeps';
import { reportHandlers } from './reports';
import type { AppInfo } from '../../shared/contract';
import { ApiError } from '../../shared/errors';
import type { BackendName, BackendState } from '../../shared/domain';

export interface Service extends Dispatcher {
  readonly context: ServiceContext;
}

export function createService(
  ctx: ServiceContext,
  info: { version: string; backends: () => BackendName[]; probeBackends?: (refresh: boolean) => Promise<BackendState[]> },
): Service {
  const handlers: Handlers = {
    'app.info': (): AppInfo => ({
      version: info.version,
      backends: info.backends(),
      dataDir: ctx.dataDir,
      platform: `${process.platform}-${process.arch}`,
      transport: ctx.transport,
    }),
    'app.backends': async ({ refresh }: { refresh: boolean }) => {
      if (!info.probeBackends) throw new ApiError('unavailable', 'this process cannot start trainer processes to probe backends');
      try {
        return { backends: await info.probeBackends(refresh) };
      } catch (error) {
        throw new ApiError('unavailable', `could not probe the compute backends: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    ...runHandlers(ctx),
    ...datasetHandlers(ctx),
    ...sweepHandlers(ctx),
    ...reportHandlers(ctx),
    'cluster.workers': async () => {
      if (!ctx.cluster) return { broker: null, workers: [], error: null };
      try {
        return { broker: ctx.cluster.broker, workers: await ctx.cluster.workers(), error: null };
      } catch (error) {
        return { broker: ctx.cluster.broker, workers: [], error: ApiError.from(error).message };
      }
    },
  };
  const dispatcher = createDispatcher(handlers, {
    onInternalError: (error) => console.error('[sweeplab] internal error:', error),
    translate: (error) => {
      const code = (error as { code?: unknown })?.code;
      if (code === 'SQLITE_READONLY' || code === 'EROFS' || (ctx.store.readOnly && (code === 'EACCES' || code === 'EPERM'))) {
        return new ApiError('permission_denied', `The data folder ${ctx.dataDir} is read-only: listing and reports work, but this needs to write to it`);
      }
      if (code === 'SQLITE_FULL' || code === 'ENOSPC') return new ApiError('unavailable', `Disk full: could not write to ${ctx.dataDir}`);
      return null;
    },
  });
  return { ...dispatcher, context: ctx };
}

export type { ServiceContext, RunRunner, DatasetService } from './context';
export { EventBus } from './events';
