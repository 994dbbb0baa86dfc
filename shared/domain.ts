/**
 * Domain types of Sweeplab, as zod schemas with their inferred TypeScript types.
 *
 * Pure TypeScript: no Node, no DOM, no Electron. Both ends of every transport (Electron IPC,
 * HTTP + WebSocket, CLI) validate with these schemas and derive their types from them.
 *
 * Defaults follow PyTorch (see ../shared/DESIGN.md "Fidelity to PyTorch"): a user arriving from a
 * notebook gets the numbers they expect unless they pick otherwise.
 */
import { z } from 'zod';

/** Identifiers are short opaque strings made by the main process (see electron/store/ids.ts). */
export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -');
export type Id = z.infer<typeof Id>;

/** A finite number (zod 4 already rejects NaN and ±Infinity for z.number()). */
const finite = () => z.number();
const positive = () => finite().positive();
const name = () => z.string().trim().min(1).max(200);
const isoDate = () => z.string().max(40);

// ---------------------------------------------------------------------------------------------
// Models

export const InitKind = z.enum([
  'kaiming_uniform', // PyTorch kaiming_uniform_(a=0, mode='fan_in'): U(±sqrt(6/fan_in)); the notebook's choice
  'kaiming_normal', // N(0, 2/fan_in)
  'xavier_uniform', // U(±sqrt(6/(fan_in+fan_out)))
  'xavier_normal', // N(0, 2/(fan_in+fan_out))
  'normal', // N(0, std²)
  'torch_default', // nn.Linear's own reset_parameters: kaiming_uniform_(a=sqrt(5)) = U(±1/sqrt(fan_in))
]);
export type InitKind = z.infer<typeof InitKind>;

/** nn.init.normal_'s own default (std=1.0), used when an Init of kind 'normal' gives no std. */
export const NORMAL_INIT_DEFAULT_STD = 1;

export const Init = z.strictObject({
  kind: InitKind,
  /** Only for kind 'normal'. */
  std: positive().max(10).optional(),
});
export type Init = z.infer<typeof Init>;

export const Activation = z.enum(['relu', 'leaky_relu', 'tanh', 'sigmoid', 'gelu']);
export type Activation = z.infer<typeof Activation>;

export const LayerSpec = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('flatten') }),
  z.strictObject({
    type: z.literal('linear'),
    units: z.number().int().min(1).max(65536),
    bias: z.boolean().default(true),
    /** Weight initialisation of this layer; the model's `init` when absent. Bias is always PyTorch's Linear default. */
    init: Init.optional(),
  }),
  z.strictObject({
    type: z.literal('batchnorm1d'),
    eps: positive().max(1).default(1e-5),
    /** PyTorch's sense: running = (1 - momentum) * running + momentum * batch. */
    momentum: finite().gt(0).max(1).default(0.1),
  }),
  z.strictObject({ type: z.literal('dropout'), p: finite().min(0).lt(1).default(0.5) }),
  z.strictObject({ type: z.literal('relu') }),
  z.strictObject({ type: z.literal('leaky_relu'), negativeSlope: finite().min(0).max(1).default(0.01) }),
  z.strictObject({ type: z.literal('tanh') }),
  z.strictObject({ type: z.literal('sigmoid') }),
  z.strictObject({ type: z.literal('gelu') }),
]);
export type LayerSpec = z.infer<typeof LayerSpec>;
export type LayerType = LayerSpec['type'];

export const PresetName = z.enum(['plain', 'drop', 'bn', 'both', 'five', 'shl']);
export type PresetName = z.infer<typeof PresetName>;

export const ModelSpec = z.strictObject({
  /** The preset this spec came from, if any (informational: `layers` is what is built). */
  preset: PresetName.optional(),
  /** Default weight initialisation for Linear layers. */
  init: Init.default({ kind: 'kaiming_uniform' }),
  layers: z.array(LayerSpec).min(1).max(64),
});
export type ModelSpec = z.infer<typeof ModelSpec>;
export type ModelSpecInput = z.input<typeof ModelSpec>;

// ---------------------------------------------------------------------------------------------
// Training

export const OptimizerName = z.enum(['sgd', 'momentum', 'adam', 'adamw']);
export type OptimizerName = z.infer<typeof OptimizerName>;

export const BackendName = z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendName>;
export const BackendChoice = z.union([z.literal('auto'), BackendName]);
export type BackendChoice = z.infer<typeof BackendChoice>;

export const SubsetSpec = z.strictObject({
  size: z.number().int().min(1).max(100_000_000),
  /** 'first': the first N samples (the notebook's choice); 'random': a seeded random N. */
  mode: z.enum(['first', 'random']).default('first'),
});
export type SubsetSpec = z.infer<typeof SubsetSpec>;

export const TrainConfig = z.strictObject({
  optimizer: OptimizerName.default('adamw'),
  lr: positive().max(100),
  /** SGD momentum (optimizer 'momentum'); PyTorch's default for the notebook's SGD+momentum is 0.9. */
  momentum: finite().min(0).lt(1).default(0.9),
  nesterov: z.boolean().default(false),
  /** AdamW: decoupled, default 0.01 (PyTorch). SGD/Adam: L2 added to the gradient, default 0. */
  weightDecay: finite().min(0).max(10).optional(),
  beta1: finite().min(0).lt(1).default(0.9),
  beta2: finite().min(0).lt(1).default(0.999),
  eps: positive().max(1).default(1e-8),
  /** Global L2 norm clipping as torch.nn.utils.clip_grad_norm_; null: no clipping. */
  clipNorm: positive().max(1e6).nullable().default(null),
  batchSize: z.number().int().min(1).max(65536).default(64),
  epochs: z.number().int().min(1).max(10_000).default(10),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  subset: SubsetSpec.nullable().default(null),
  /** 'trained': accuracy on the samples trained on; 'full': on the full training split, as the notebook did. */
  trainAccOn: z.enum(['trained', 'full']).default('trained'),
  backend: BackendChoice.default('auto'),
});
export type TrainConfig = z.infer<typeof TrainConfig>;
export type TrainConfigInput = z.input<typeof TrainConfig>;

/** The weight decay a config means, with PyTorch's per-optimizer default. */
export function effectiveWeightDecay(config: Pick<TrainConfig, 'optimizer' | 'weightDecay'>): number {
  return config.weightDecay ?? (config.optimizer === 'adamw' ? 0.01 : 0);
}

export const EpochMetrics = z.strictObject({
  epoch: z.number().int().min(1),
  /** Mean training loss over the epoch's minibatches. */
  loss: z.number(),
  trainAcc: z.number().min(0).max(1),
  valAcc: z.number().min(0).max(1),
  valLoss: z.number(),
  /** Wall-clock seconds of the epoch (training and evaluation). */
  seconds: z.number().min(0),
  /** Pre-clip global gradient norm, mean and max over the epoch's steps. */
  gradNormMean: z.number().min(0),
  gradNormMax: z.number().min(0),
  /** Fraction of steps whose norm exceeded clipNorm (0 without clipping). */
  clippedFraction: z.number().min(0).max(1),
});
export type EpochMetrics = z.infer<typeof EpochMetrics>;

export const RunStatus = z.enum(['queued', 'running', 'completed', 'failed', 'diverged', 'cancelled', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatus>;

export const Run = z.strictObject({
  id: Id,
  name: name(),
  datasetId: Id,
  datasetName: z.string().nullable(),
  model: ModelSpec,
  config: TrainConfig,
  status: RunStatus,
  /** Why a run failed or diverged (for diverged: the epoch and what went non-finite). */
  error: z.string().nullable(),
  backend: BackendName.nullable(),
  sweepId: Id.nullable(),
  cellId: z.string().nullable(),
  epochsDone: z.number().int().min(0),
  bestValAcc: z.number().nullable(),
  bestEpoch: z.number().int().nullable(),
  lastValAcc: z.number().nullable(),
  lastTrainAcc: z.number().nullable(),
  starred: z.boolean(),
  tags: z.array(z.string()),
  notes: z.string(),
  createdAt: isoDate(),
  startedAt: isoDate().nullable(),
  finishedAt: isoDate().nullable(),
});
export type Run = z.infer<typeof Run>;

// ---------------------------------------------------------------------------------------------
// Data sets

export const DatasetSplitName = z.enum(['train', 'test']);
export type DatasetSplitName = z.infer<typeof DatasetSplitName>;

export const Dataset = z.strictObject({
  id: Id,
  name: name(),
  /** Where it came from: 'catalog:kmnist', 'idx:/path', 'csv:/path', 'folder:/path', 'npz:/path'. */
  source: z.string().max(4096),
  /** [height, width, channels]; images are stored as u8. */
  shape: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]),
  /** Labels are stored as u8, so at most 256 classes. */
  numClasses: z.number().int().min(2).max(256),
  classNames: z.array(z.string()),
  counts: z.strictObject({ train: z.number().int().min(0), test: z.number().int().min(0) }),
  classCounts: z.strictObject({ train: z.array(z.number().int()), test: z.array(z.number().int()) }),
  /** True when the test split is a seeded hold-out carved from the training data. */
  heldOut: z.boolean(),
  checksum: z.string(),
  createdAt: isoDate(),
});
export type Dataset = z.infer<typeof Dataset>;

// ---------------------------------------------------------------------------------------------
// Sweeps

export const LrAxis = z.union([
  z.strictObject({ values: z.array(positive().max(100)).min(1).max(200) }),
  /** Log-spaced from min to max inclusive (points = 1: min alone), as numpy.logspace. */
  z.strictObject({
    range: z
      .strictObject({ min: positive().max(100), max: positive().max(100), points: z.number().int().min(1).max(200) })
      .refine((r) => r.min <= r.max, { message: 'min must not exceed max' }),
  }),
]);
export type LrAxis = z.infer<typeof LrAxis>;

export const SweepSpec = z.strictObject({
  name: name().optional(),
  datasetId: Id,
  model: ModelSpec,
  base: TrainConfig,
  axes: z.strictObject({
    lr: LrAxis,
    /** Clip norms; null means no clipping. */
    clip: z.array(positive().max(1e6).nullable()).min(1).max(200).default([null]),
    batchSize: z.array(z.number().int().min(1).max(65536)).min(1).max(20).optional(),
    optimizer: z.array(OptimizerName).min(1).max(4).optional(),
    weightDecay: z.array(finite().min(0).max(10)).min(1).max(20).optional(),
    preset: z.array(PresetName).min(1).max(6).optional(),
  }),
  /** Seeds per cell: base.seed, base.seed+1, … */
  repeats: z.number().int().min(1).max(100).default(1),
});
export type SweepSpec = z.infer<typeof SweepSpec>;
export type SweepSpecInput = z.input<typeof SweepSpec>;

export const SweepStatus = z.enum(['draft', 'running', 'paused', 'completed', 'cancelled', 'interrupted', 'failed']);
export type SweepStatus = z.infer<typeof SweepStatus>;

export const Sweep = z.strictObject({
  id: Id,
  name: name(),
  datasetId: Id,
  spec: SweepSpec,
  status: SweepStatus,
  trials: z.strictObject({
    total: z.number().int(),
    done: z.number().int(),
    running: z.number().int(),
    failed: z.number().int(),
  }),
  concurrency: z.number().int().min(1).max(64),
  createdAt: isoDate(),
  finishedAt: isoDate().nullable(),
  /**
   * Seconds until every unfinished trial is done at the current concurrency: from this sweep's own
   * measured epoch times once it has some, else from the launch plan. Null when nothing is left or
   * no estimate exists; absent where the sender did not compute it (list views).
   */
  etaSeconds: z.number().min(0).nullable().optional(),
});
export type Sweep = z.infer<typeof Sweep>;
