import type { Store } from '../store';
import type { SweepScheduler } from '../sweeps/scheduler';
import type { EventBus } from './events';
import type { Dataset, ModelSpec, Run } from '../../shared/domain';
import type { AppInfo } from '../../shared/contract';
import type { EventPayload, WorkerStatus } from '../../shared/contract';

/** Starts, cancels and resumes training runs (trainer processes); see electron/runs/executor.ts. */
export interface RunRunner {
  start(runId: string, options?: { resume?: boolean }): Promise<Run>;
  cancel(runId: string): Promise<Run>;
  /** Drops checkpoints and other files of a deleted run. */
  forget(runId: string): Promise<void>;
  /**
   * Whether the run was trained on this machine (its checkpoint folder exists). A run imported
   * from another machine was not: resuming it would retrain from scratch over its history.
   */
  trainedHere(runId: string): boolean;
}

/** The data-set library (electron/datasets/library.ts), as the handlers use it. */
export interface DatasetService {
  importPaths(
    paths: string[],
    options: { name?: string; holdOut?: number; imageSize?: number; uploadRoots?: readonly string[]; onProgress?: (p: EventPayload<'dataset.progress'>) => void },
  ): Promise<Dataset>;
  download(catalogId: string, options: { name?: string; onProgress?: (p: EventPayload<'dataset.progress'>) => void }): Promise<Dataset>;
  samples(id: string, perClass: number): Promise<string[][]>;
  rename(id: string, name: string): Promise<Dataset>;
  delete(id: string, options: { cascade: boolean }): Promise<void>;
}

/** Everything the handlers compose; built once per process by createAppContext. */
export interface ServiceContext {
  dataDir: string;
  transport: AppInfo['transport'];
  store: Store;
  events: EventBus;
  runner: RunRunner;
  datasets: DatasetService | null;
  /** The sweep scheduler (electron/sweeps/scheduler.ts): owns every sweep's state changes. */
  sweeps: SweepScheduler | null;
  /** The cluster this process coordinates (a broker given): its redacted URL and its workers. */
  cluster?: { broker: string; workers(): Promise<WorkerStatus[]> } | null;
  /** Throws ApiError('invalid_argument') when the model cannot be built for the data set. */
  checkModel(model: ModelSpec, dataset: Dataset): void;
}
