/**
 * Builds one running Sweeplab back end (store, events, data sets, runs) for a process: the
 * Electron main process, `sweeplab serve`, or a CLI command. Domain code only; no transport here.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type Store } from './store';
import { createService, EventBus, type Service, type ServiceContext } from './service';
import { appRoot } from './paths';
import type { AppInfo } from '../shared/contract';
import { ApiError } from '../shared/errors';
import { DatasetLibrary } from './datasets/library';
import { describeModel } from '../shared/models';

export interface RuntimeOptions {
  dataDir: string;
  transport: AppInfo['transport'];
}

export interface Runtime {
  dataDir: string;
  store: Store;
  events: EventBus;
  service: Service;
  close(): Promise<void>;
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  mkdirSync(options.dataDir, { recursive: true });
  const store = openStore(options.dataDir);
  const events = new EventBus();
  const datasets = new DatasetLibrary({ dataDir: options.dataDir, records: store.datasets });
  // Unfinished imports from a process that died are removed before anything else runs.
  await datasets.recover();
  const ctx: ServiceContext = {
    dataDir: options.dataDir,
    transport: options.transport,
    store,
    events,
    datasets,
    runner: {
      start: async () => {
        throw new ApiError('unavailable', 'Training is not available in this build');
      },
      cancel: async (id) => store.runs.get(id)!,
      forget: async () => {},
    },
    checkModel: (model, dataset) => {
      describeModel(model, dataset.shape, dataset.numClasses);
    },
  };
  const service = createService(ctx, { version: appVersion(), backends: () => ['wasm', 'cpu'] });
  return {
    dataDir: options.dataDir,
    store,
    events,
    service,
    async close() {
      store.close();
    },
  };
}
