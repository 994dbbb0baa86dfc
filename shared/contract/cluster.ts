/**
 * The cluster contract: what travels through the broker (BullMQ on Redis) between a coordinator
 * (the process that owns the database) and the workers that train its trials. A job is data, never
 * code: a worker validates every job with TrialJob and refuses anything else with a logged reason.
 */
import { z } from 'zod';
import { BackendName, Id, ModelSpec, TrainConfig } from '../domain';
import { Empty, method } from './common';

/** A data set's content checksum (electron/datasets/storage.ts contentChecksum). */
export const DatasetChecksum = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a data set checksum (sha256:<64 hex>)');

/** One trial, as a coordinator enqueues it. */
export const TrialJob = z.strictObject({
  v: z.literal(1),
  runId: Id,
  /** Changes with every start of the run: messages of an older start are ignored by the coordinator. */
  nonce: z.string().regex(/^[0-9a-z-]{6,64}$/),
  model: ModelSpec,
  config: TrainConfig,
  /** The data set, fetched through the broker by its checksum and verified on arrival. */
  dataset: z.strictObject({ id: Id, checksum: DatasetChecksum }),
  /** Continue from the run's checkpoint in the broker when there is one. */
  resume: z.boolean(),
  /** The coordinator's Redis stream its messages go to. */
  reply: z.string().regex(/^sweeplab:events:[0-9a-z-]{6,64}$/),
});
export type TrialJob = z.infer<typeof TrialJob>;

/** What a worker publishes about itself every few seconds (`sweeplab workers`, the Workers view). */
export const WorkerInfo = z.strictObject({
  name: z.string().min(1).max(200),
  host: z.string().max(255),
  pid: z.number().int(),
  backend: z.union([BackendName, z.literal('auto')]),
  slots: z.number().int().min(1),
  running: z.array(Id),
  trialsDone: z.number().int().min(0),
  startedAt: z.string(),
  heartbeatAt: z.string(),
});
export type WorkerInfo = z.infer<typeof WorkerInfo>;

/** A worker as listed: its last report and whether it still heartbeats. */
export const WorkerStatus = WorkerInfo.extend({ lost: z.boolean(), secondsSinceHeartbeat: z.number() });
export type WorkerStatus = z.infer<typeof WorkerStatus>;

/** The cluster as the app shows it: the broker (password redacted) and its workers; broker null: none. */
export const ClusterWorkers = z.strictObject({
  broker: z.string().nullable(),
  workers: z.array(WorkerStatus),
  /** Why the list could not be read (the broker is unreachable…); null when it was. */
  error: z.string().nullable(),
});
export type ClusterWorkers = z.infer<typeof ClusterWorkers>;

export const clusterMethods = {
  'cluster.workers': method(Empty, ClusterWorkers),
} as const;
