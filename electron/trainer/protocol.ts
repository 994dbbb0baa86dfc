/**
 * The messages between the main process and a trainer process, as zod schemas. Both ends derive
 * their types from the two maps below (one entry per message type), and both validate what they
 * receive: a trainer is a separate program, so nothing it sends is trusted blindly.
 */
import { z } from 'zod';
import { BackendName, BackendState, EpochMetrics, EpochSteps, Id, ModelSpec, TestResult, TrainConfig } from '../../shared/domain';
import { ErrorShape } from '../../shared/errors';
import { MAX_PACK } from '../../shared/packing';

/** One trial: what a trainer process is asked to run. */
export const Trial = z.strictObject({
  runId: Id,
  model: ModelSpec,
  config: TrainConfig,
  /** A stored data set folder (electron/datasets/storage.ts). */
  datasetDir: z.string().min(1),
  /** Where checkpoint.bin goes (one folder per run). */
  checkpointDir: z.string().min(1),
  /** Continue from the checkpoint in checkpointDir when there is one. */
  resume: z.boolean().default(false),
});
export type Trial = z.infer<typeof Trial>;
export type TrialInput = z.input<typeof Trial>;

/** Main process → trainer. */
export const ToTrainerMessages = {
  start: { trial: Trial },
  /**
   * Several trials of one model, batch size and data set, trained as one pack (engine/packedTrain.ts).
   * Every message back about one of them carries its runId.
   */
  startPack: { trials: z.array(Trial).min(1).max(MAX_PACK) },
  /** Report what each compute backend would do in this process ('backends'), then exit. */
  probe: {},
  /** Stop after the current batch (one trial of a pack when runId is given); the last checkpoint stays as it is. */
  cancel: { runId: Id.optional() },
} as const;

export const TrainerFinishStatus = z.enum(['completed', 'diverged', 'cancelled']);
export type TrainerFinishStatus = z.infer<typeof TrainerFinishStatus>;

/** Which trial of a pack a message is about; absent from a single trial's trainer. */
const member = { runId: Id.optional() };

/** Trainer → main process. */
export const FromTrainerMessages = {
  started: {
    ...member,
    backend: BackendName,
    /** The GPU adapter, one line (webgpu: vendor, architecture, name); null on other backends. */
    device: z.string().max(500).nullable().default(null),
    /** Epochs already done (from a checkpoint); the next epoch is startEpoch + 1. */
    startEpoch: z.number().int().min(0),
    totalParams: z.number().int().min(0),
    /**
     * The metrics of epochs 1..startEpoch, from the checkpoint. A process that died after a
     * checkpoint was written but before its epoch message was stored would otherwise lose them.
     */
    history: z.array(EpochMetrics),
  },
  epoch: {
    ...member,
    metrics: EpochMetrics,
    /** The epoch's seconds split into training and evaluation. */
    timing: z.strictObject({
      trainSeconds: z.number().min(0),
      evalSeconds: z.number().min(0),
      /** WebGPU shader compilation during the epoch, left out of the two above and of metrics.seconds. */
      compileSeconds: z.number().min(0).default(0),
    }),
    /** The epoch's per-step curve, downsampled (shared/domain.ts); absent from older trainers. */
    steps: EpochSteps.optional(),
  },
  log: { ...member, level: z.enum(['info', 'warn']), message: z.string() },
  finished: {
    ...member,
    status: TrainerFinishStatus,
    /** For 'diverged': the epoch and what went non-finite. */
    error: z.string().nullable(),
    /** The test split's score after the last epoch (configs with finalTest that completed); null otherwise. */
    test: TestResult.nullable().default(null),
    /** The trainer's peak resident memory. */
    maxRssBytes: z.number().min(0),
    /** webgpu: the most GPU memory tfjs held at an epoch boundary; null elsewhere. */
    peakGpuBytes: z.number().min(0).nullable().default(null),
  },
  failed: { error: ErrorShape },
  backends: { ...member, states: z.array(BackendState) },
} as const;

type Shapes = Record<string, z.ZodRawShape>;
type Union<M extends Shapes> = { [K in keyof M & string]: z.ZodObject<{ type: z.ZodLiteral<K> } & M[K]> }[keyof M & string];

function unionOf<M extends Shapes>(map: M) {
  const members = Object.entries(map).map(([type, shape]) => z.strictObject({ type: z.literal(type), ...shape }));
  return z.discriminatedUnion('type', members as unknown as [Union<M>, ...Union<M>[]]);
}

export const ToTrainer = unionOf(ToTrainerMessages);
export type ToTrainer = z.infer<typeof ToTrainer>;
export const FromTrainer = unionOf(FromTrainerMessages);
export type FromTrainer = z.infer<typeof FromTrainer>;
export type FromTrainerType = FromTrainer['type'];
export type FromTrainerOf<K extends FromTrainerType> = Extract<FromTrainer, { type: K }>;
