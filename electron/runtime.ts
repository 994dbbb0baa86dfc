/**
 * Builds one running Sweeplab back end (store, events, data sets, runs) for a process: the
 * Electron main process, `sweeplab serve`, or a CLI command. Domain code only; no transport here.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { openStore, type Store } from './store';
import { createService, EventBus, type Service, type ServiceContext } from './service';
import { appRoot } from './paths';
import type { AppInfo } from '../shared/contract';
import { DatasetLibrary } from './datasets/library';
import { describeModel } from '../shared/models';
import { RunExecutor, RunManager } from './runs/executor';
import { probeBackendsInTrainer, type ForkTrainer } from './trainer/host';
import { SweepScheduler } from './sweeps/scheduler';
import { recoverInterruptedSweeps } from './sweeps/recovery';
import { GPU_BACKENDS, type BackendName, type BackendState } from '../shared/domain';
import { ApiError } from '../shared/errors';
import { ClusterCoordinator } from './cluster/coordinator';
import { ClusterWorker } from './cluster/worker';
import { listWorkers } from './cluster/workers';
import type { TrialExecutor } from './sweeps/scheduler';
import { hostname } from 'node:os';

export interface RuntimeOptions {
  dataDir: string;
  transport: AppInfo['transport'];
  /** How trainer processes start: child_process.fork + tsx by default; Electron passes utilityProcess. */
  fork?: ForkTrainer;
  /**
   * A broker (redis://… or rediss://…): sweeps train on the cluster's workers (electron/cluster/).
   * Single runs still train here.
   */
  broker?: string;
  /** With a broker: trials this machine trains too, as a worker (default: its cores less one). */
  localSlots?: number;
}

export interface Runtime {
  dataDir: string;
  store: Store;
  events: EventBus;
  service: Service;
  executor: RunExecutor;
  scheduler: SweepScheduler;
  /** The cluster side, when started with a broker. */
  cluster: ClusterCoordinator | null;
  /** What each backend does here, from a trainer process (cached; `refresh` probes again). */
  probeBackends(refresh?: boolean): Promise<BackendState[]>;
  close(): Promise<void>;
}

/**
 * The compute backends this install has, best first, found without loading them: loading
 * libtensorflow into the main process only to list it would cost memory the trainers want.
 * A tfjs-node package counts only with its native binding built (tfjs_binding.node under lib/napi-vN):
 * its install downloads libtensorflow, and where that failed the package is there but unusable.
 */
export function installedBackends(): BackendName[] {
  const resolvePackage = createRequire(import.meta.url).resolve;
  const usable = (pkg: string) => {
    try {
      const lib = join(dirname(resolvePackage(`${pkg}/package.json`)), 'lib');
      return readdirSync(lib).some((d) => d.startsWith('napi-v') && existsSync(join(lib, d, 'tfjs_binding.node')));
    } catch {
      return false;
    }
  };
  return [
    ...(usable('@tensorflow/tfjs-node-gpu') ? (['tensorflow-gpu'] as const) : []),
    ...(usable('@tensorflow/tfjs-node') ? (['tensorflow'] as const) : []),
    'wasm',
    'cpu',
  ];
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Makes the data folder; a path that is a file (or under one) is one clear line, not an OS error. */
function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new ApiError('invalid_argument', `The data folder ${dir} is a file, not a folder: pick a folder with --data-dir or SWEEPLAB_HOME`);
    }
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
      throw new ApiError('permission_denied', `Cannot create the data folder ${dir} (${code}): pick a writable place with --data-dir or SWEEPLAB_HOME`);
    }
    throw error;
  }
}

/** Whether this process may write in the data folder (a read-only mount or a folder not ours: no). */
function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  ensureDataDir(options.dataDir);
  const readOnly = !writable(options.dataDir);
  const store = openStore(options.dataDir, { readOnly });
  const events = new EventBus();
  const datasets = new DatasetLibrary({ dataDir: options.dataDir, records: store.datasets });
  // Unfinished imports from a process that died are removed before anything else runs (a
  // read-only folder is only read: nothing to recover there).
  if (!readOnly) await datasets.recover();
  const executor = new RunExecutor({
    store,
    events,
    dataDir: options.dataDir,
    datasetDir: (id) => datasets.dirFor(id),
    fork: options.fork,
  });
  const backends = installedBackends();
  // A GPU is known once the backend probe ran (the app and `serve` start it, the CLI before a
  // sweep or run with backend auto); until then, only an installed tfjs-node-gpu says so.
  let gpu = backends[0] === 'tensorflow-gpu';
  let webgpuSoftware = false;
  let probed: Promise<BackendState[]> | null = null;
  const probeBackends = (refresh = false): Promise<BackendState[]> => {
    if (!probed || refresh) {
      probed = probeBackendsInTrainer({ fork: options.fork });
      probed.then(
        (states) => {
          gpu = GPU_BACKENDS.includes(states.find((s) => s.auto)?.name ?? 'cpu');
          webgpuSoftware = states.some((s) => s.name === 'webgpu' && s.available && s.software);
        },
        () => (probed = null),
      );
    }
    return probed;
  };
  // One trainer per core on CPU backends (each trainer is single-threaded), one on a GPU.
  const runner = new RunManager(executor, store, events, () => (gpu ? 1 : availableParallelism()));
  // Whatever was running when the last process died is marked interrupted (resumable), not left 'running'.
  if (!readOnly) {
    store.runs.markInterrupted();
    recoverInterruptedSweeps(store);
  }
  let cluster: ClusterCoordinator | null = null;
  let localWorker: ClusterWorker | null = null;
  let sweepExecutor: TrialExecutor = executor;
  if (options.broker) {
    if (readOnly) throw new ApiError('failed_precondition', `The data folder ${options.dataDir} is read-only: it cannot coordinate a cluster sweep`);
    cluster = new ClusterCoordinator({ broker: options.broker, store, dataDir: options.dataDir });
    // Sweeps go to the workers through the broker; no packing there (each job is one trial).
    const remote = new RunExecutor({ store, events, dataDir: options.dataDir, datasetDir: (id) => datasets.dirFor(id), launch: cluster.launch });
    const coordinator = cluster;
    sweepExecutor = {
      start: (runId, o) => remote.start(runId, o),
      forget: (runId) => {
        remote.forget(runId);
        void coordinator.forget(runId);
      },
    };
    await cluster.open(remote);
    // What workers reported while no coordinator listened is stored before anything restarts.
    await cluster.drain();
    cluster.startConsuming();
    const slots = options.localSlots ?? Math.max(0, availableParallelism() - 1);
    if (slots > 0) {
      localWorker = new ClusterWorker({ broker: options.broker, dataDir: join(options.dataDir, 'worker'), slots, name: `${hostname()}-coordinator-${process.pid}`, fork: options.fork });
      await localWorker.start();
    }
  }
  // With a broker, a sweep's concurrency is how many of its trials wait in the queue at once.
  const scheduler = new SweepScheduler({ store, events, executor: sweepExecutor, gpu: () => gpu && !cluster, webgpuSoftware: () => webgpuSoftware, cores: cluster ? () => 256 : undefined });
  const ctx: ServiceContext = {
    dataDir: options.dataDir,
    transport: options.transport,
    store,
    events,
    datasets,
    runner,
    sweeps: scheduler,
    cluster: cluster && options.broker ? { broker: cluster.brokerLabel, workers: () => listWorkers(options.broker!) } : null,
    checkModel: (model, dataset) => {
      describeModel(model, dataset.shape, dataset.numClasses);
    },
  };
  const service = createService(ctx, { version: appVersion(), backends: () => backends, probeBackends });
  return {
    dataDir: options.dataDir,
    store,
    events,
    service,
    executor,
    scheduler,
    cluster,
    probeBackends,
    async close() {
      // Trainers are stopped first and their runs left 'interrupted' (resumable from checkpoints).
      await scheduler.shutdown();
      await executor.shutdown();
      await localWorker?.stop('the coordinator is closing', false);
      await cluster?.close();
      store.close();
    },
  };
}
