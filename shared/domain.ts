/**
 * Domain types of Sweeplab, as zod schemas with their inferred TypeScript types.
 *
 * Pure TypeScript: no Node, no DOM, no Electron. Both ends of every transport (Electron IPC,
 * HTTP + WebSocket, CLI) validate with these schemas and derive their types from them.
 *
 * Defaults follow PyTorch (docs/engine.md, "Fidelity to PyTorch"): a user arriving from a
 * notebook gets the numbers they expect unless they pick otherwise.
 */
import { z } from 'zod';
import { AnalysisMetric, DEFAULT_ANALYSIS_METRIC } from './analysis';
import { neutraliseBidi } from './text';

/** Identifiers are short opaque strings made by the main process (see electron/store/ids.ts). */
export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -');
export type Id = z.infer<typeof Id>;

/** A finite number (zod 4 already rejects NaN and ±Infinity for z.number()). */
const finite = () => z.number();
const positive = () => finite().positive();
const name = () => z.string().overwrite(neutraliseBidi).trim().min(1).max(200);
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

/** 'webgpu': WebGPU through Dawn (Vulkan, Metal, D3D12), electron/engine/webgpu.ts. */
export const BackendName = z.enum(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendName>;
export const BackendChoice = z.union([z.literal('auto'), BackendName]);

/** Backends that train on a GPU: one trainer per GPU by default, and packing pays on them. */
export const GPU_BACKENDS: readonly BackendName[] = ['tensorflow-gpu', 'webgpu'];

/** A compute backend as found on this machine (`sweeplab backends`, the app's backend list). */
export const BackendState = z.strictObject({
  name: BackendName,
  available: z.boolean(),
  /** A CPU implementation of WebGPU (llvmpipe, SwiftShader…): available, never chosen by 'auto'. */
  software: z.boolean(),
  /** The GPU adapter or library it runs on, or why it is unavailable. */
  detail: z.string(),
  /** What 'auto' picks here. */
  auto: z.boolean(),
});
export type BackendState = z.infer<typeof BackendState>;
export type BackendChoice = z.infer<typeof BackendChoice>;

export const SubsetSpec = z.strictObject({
  size: z.number().int().min(1).max(100_000_000),
  /** 'first': the first N samples (the notebook's choice); 'random': a seeded random N. */
  mode: z.enum(['first', 'random']).default('first'),
});
export type SubsetSpec = z.infer<typeof SubsetSpec>;

/**
 * Where a run's per-epoch validation metrics (valAcc, valLoss) come from, and so where its best
 * epoch and a sweep's best configuration are selected:
 * - 'holdout' (the default): a stratified, seeded part of the training split that is never trained
 *   on. `size` below 1 is a fraction of the training split, 1 or more a sample count (as
 *   scikit-learn's test_size). The seed is the split's own, not the run's: every trial of a sweep is
 *   judged on the same validation samples whatever its training seed.
 * - 'test': the data set's test split, the notebook's practice. Selecting on the test split biases
 *   the winner's score upward; runs stored before validation splits existed mean this.
 */
export const ValidationSpec = z.discriminatedUnion('split', [
  z.strictObject({
    split: z.literal('holdout'),
    size: positive().max(100_000_000).default(0.1),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  }),
  z.strictObject({ split: z.literal('test') }),
]);
export type ValidationSpec = z.infer<typeof ValidationSpec>;
export const DEFAULT_VALIDATION: ValidationSpec = { split: 'holdout', size: 0.1, seed: 0 };

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
  validation: ValidationSpec.default(DEFAULT_VALIDATION),
  /**
   * Evaluate the test split once, after the last epoch: the test accuracy of a configuration chosen
   * on validation ("train the selected configuration on the full data"). Needs a 'holdout'
   * validation: with validation on the test split there is no untouched test left to report.
   */
  finalTest: z.boolean().default(false),
});
export type TrainConfig = z.infer<typeof TrainConfig>;
export type TrainConfigInput = z.input<typeof TrainConfig>;

/** True when a config selects on the test split (the notebook's practice, or a run stored before validation splits). */
export function selectsOnTest(config: Pick<TrainConfig, 'validation'>): boolean {
  return config.validation.split === 'test';
}

/**
 * How many samples of a training split of `count` a holdout validation takes: `size` below 1 is a
 * fraction, rounded up as scikit-learn's train_test_split does; 1 or more a count. May be out of
 * range (>= count): callers refuse that.
 */
export function validationCount(count: number, spec: Extract<ValidationSpec, { split: 'holdout' }>): number {
  return spec.size < 1 ? Math.ceil(spec.size * count) : Math.floor(spec.size);
}

/** One line for headings and reports: where a run's validation numbers come from. */
export function describeValidation(validation: ValidationSpec): string {
  if (validation.split === 'test') return 'the test split: selection on test, as the notebook does (best scores biased upward)';
  const size = validation.size < 1 ? `${+(validation.size * 100).toFixed(2)}%` : `${validation.size} samples`;
  return `${size} of the training split, held out (seed ${validation.seed})`;
}

/** Accuracy and mean loss of a trained model on the test split, measured once after training. */
export const TestResult = z.strictObject({ acc: z.number().min(0).max(1), loss: z.number() });
export type TestResult = z.infer<typeof TestResult>;

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

/**
 * Per-step curves, downsampled. Each epoch's steps are cut into at most `stepPointsPerEpoch(epochs)`
 * contiguous buckets of ceil(steps / budget) steps (the last may be shorter); a bucket keeps the mean
 * and the max of the loss and of the pre-clip gradient norm, the fraction of its steps that were
 * clipped and the smallest clip scale applied. Means weighted by `n` give back the epoch's own mean
 * loss and norm; maxima keep spikes. A bucket of one step holds that step's exact values.
 */
export const MAX_STEP_POINTS_PER_EPOCH = 50;
/** Budget of points per run: runs of more than 100 epochs keep fewer points per epoch (never under one). */
export const MAX_STEP_POINTS_PER_RUN = 5000;

/** How many points an epoch of a run of `epochs` epochs keeps: 50, fewer for long runs, at least 1. */
export function stepPointsPerEpoch(epochs: number): number {
  return Math.max(1, Math.min(MAX_STEP_POINTS_PER_EPOCH, Math.floor(MAX_STEP_POINTS_PER_RUN / Math.max(1, epochs))));
}

export const StepPoint = z.strictObject({
  /** The bucket's last step, counted from 1 within the epoch. */
  step: z.number().int().min(1),
  /** Steps in the bucket. */
  n: z.number().int().min(1),
  /** Training loss of the bucket's minibatches: mean and max. */
  loss: z.number(),
  lossMax: z.number(),
  /** Pre-clip global gradient norm: mean and max. */
  gradNorm: z.number().min(0),
  gradNormMax: z.number().min(0),
  /** Fraction of the bucket's steps whose norm exceeded clipNorm (for one step: the clipped flag). */
  clipped: z.number().min(0).max(1),
  /** Smallest clip_grad_norm_ factor applied in the bucket (1: not clipped). */
  clipScale: z.number().min(0).max(1),
});
export type StepPoint = z.infer<typeof StepPoint>;

export const EpochSteps = z.strictObject({
  epoch: z.number().int().min(1),
  /** Training steps the epoch took (the points cover them all). */
  steps: z.number().int().min(0),
  points: z.array(StepPoint).max(MAX_STEP_POINTS_PER_EPOCH),
});
export type EpochSteps = z.infer<typeof EpochSteps>;

/**
 * 'pruned': stopped early by the sweep's early-termination rule (ASHA, median, Hyperband): an
 * outcome, not an error; its `pruned` field says at which epoch and why. It can be resumed to full
 * length by hand (sweeps.resumeTrial).
 */
export const RunStatus = z.enum(['queued', 'running', 'completed', 'failed', 'diverged', 'cancelled', 'interrupted', 'pruned']);
export type RunStatus = z.infer<typeof RunStatus>;

export const Run = z.strictObject({
  id: Id,
  name: name(),
  datasetId: Id,
  datasetName: z.string().nullable(),
  model: ModelSpec,
  config: TrainConfig,
  status: RunStatus,
  /** Why a run failed, diverged or was pruned (for diverged: the epoch and what went non-finite). */
  error: z.string().nullable(),
  /**
   * Set when the sweep's early-termination rule stopped this trial: the epoch it was judged at and
   * the rule's reason. Kept when the trial is resumed to full length by hand (resumedByHand), so
   * its history still says it was pruned once.
   */
  pruned: z.strictObject({ epoch: z.number().int().min(1), reason: z.string(), resumedByHand: z.boolean() }).nullable().optional(),
  backend: BackendName.nullable(),
  /** The GPU it trained on (webgpu: the adapter's vendor, architecture and name); null otherwise. */
  device: z.string().nullable().optional(),
  /**
   * Seconds spent compiling GPU shaders (webgpu, once per kernel shape and process), kept apart from
   * the epochs' seconds; null or absent on backends that compile nothing.
   */
  compileSeconds: z.number().min(0).nullable().optional(),
  /**
   * How many trials one trainer trained together with this run when it last trained (itself
   * included): set when it ran in a pack, null or absent when it trained alone.
   */
  packSize: z.number().int().min(2).nullable().optional(),
  /** The cluster worker that trained it (its name); null or absent: the machine that owns the database. */
  worker: z.string().max(200).nullable().optional(),
  /** The test split's score after the last epoch, for runs trained with finalTest; null otherwise. */
  test: TestResult.nullable().optional(),
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
  classNames: z.array(z.string().overwrite(neutraliseBidi)),
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

export const SearchMethod = z.enum(['grid', 'random', 'tpe']);
export type SearchMethod = z.infer<typeof SearchMethod>;

/** A continuous range to draw from: uniform, or log-uniform (log: true, the usual choice for lr). */
export const SearchRange = z
  .strictObject({ min: positive().max(1e6), max: positive().max(1e6), log: z.boolean().default(true) })
  .refine((r) => r.min <= r.max, { message: 'min must not exceed max' });
export type SearchRange = z.infer<typeof SearchRange>;

/**
 * The number early termination watches: validation accuracy (higher is better) or loss (lower is
 * better), either its best so far ('best') or its latest value ('last').
 */
export const PruneMetric = z.strictObject({
  name: z.enum(['valAcc', 'valLoss']).default('valAcc'),
  mode: z.enum(['best', 'last']).default('best'),
});
export type PruneMetric = z.infer<typeof PruneMetric>;

const metricDefault = { name: 'valAcc', mode: 'best' } as const;

/**
 * Early-termination rules (electron/sweeps/prune.ts has the exact definitions):
 * - asha: Ray Tune's ASHA: rungs at grace·eta^k epochs; a trial reaching a rung below the top
 *   1/eta of every trial recorded there is stopped.
 * - median: Optuna's MedianPruner: after `startupTrials` completed trials and `warmupEpochs`, a
 *   trial worse than the median of the completed trials at the same epoch is stopped.
 * - hyperband: W&B's `early_terminate: hyperband` bands (minIter·eta^k, or maxIter/eta^i for
 *   i = 1..s); at each epoch past a band, a trial below the band's top 1/eta is stopped; `strict`
 *   compares its value at the band instead of its best so far.
 */
export const PruneSpec = z.discriminatedUnion('rule', [
  z.strictObject({
    rule: z.literal('asha'),
    metric: PruneMetric.default(metricDefault),
    /** Epochs before the first rung (Ray's grace_period). */
    grace: z.number().int().min(1).max(10_000).default(1),
    /** Reduction factor: the top 1/eta go on at each rung. */
    eta: finite().min(1.5).max(100).default(3),
    /** Last epoch that can be a rung (Ray's max_t); default the trials' epochs. */
    maxEpochs: z.number().int().min(1).max(10_000).optional(),
  }),
  z.strictObject({
    rule: z.literal('median'),
    metric: PruneMetric.default(metricDefault),
    /** No pruning until this many trials completed. */
    startupTrials: z.number().int().min(0).max(10_000).default(5),
    /** No pruning at or before this epoch. */
    warmupEpochs: z.number().int().min(0).max(10_000).default(0),
  }),
  z.strictObject({
    rule: z.literal('hyperband'),
    metric: PruneMetric.default(metricDefault),
    minIter: z.number().int().min(1).max(10_000).optional(),
    maxIter: z.number().int().min(1).max(10_000).optional(),
    /** With maxIter: the number of bands below it. */
    s: z.number().int().min(1).max(20).default(2),
    eta: finite().min(1.5).max(100).default(3),
    strict: z.boolean().default(false),
  }),
]);
export type PruneSpec = z.infer<typeof PruneSpec>;
export type PruneRule = PruneSpec['rule'];

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
  /**
   * The most trials one trainer trains together as a pack (shared/packing.ts). Absent: automatic
   * (packs on GPU backends, sized from memory). 1: never pack. N > 1: packs of up to N on any
   * backend, CPU ones included.
   */
  pack: z.number().int().min(1).max(64).optional(),
  /**
   * 'grid' (absent: grid): every combination of the axes. 'random' / 'tpe': `trials`
   * configurations drawn from `ranges` (continuous) and the axes given as lists (discrete choices),
   * each repeated over `repeats` seeds.
   */
  method: SearchMethod.optional(),
  /** Configurations a search sweep proposes (each run `repeats` times). */
  trials: z.number().int().min(1).max(1000).optional(),
  /** Continuous search ranges (search methods only); an axis with a range is drawn from it, not from its list. */
  ranges: z
    .strictObject({
      lr: SearchRange.optional(),
      /** `none: true`: "no clipping" is one more choice, drawn half the time. */
      clip: SearchRange.extend({ none: z.boolean().default(false) }).optional(),
      weightDecay: z
        .strictObject({ min: finite().min(0).max(10), max: finite().min(0).max(10), log: z.boolean().default(false) })
        .refine((r) => r.min <= r.max && (!r.log || r.min > 0), { message: 'min must not exceed max (and be > 0 on a log scale)' })
        .optional(),
    })
    .optional(),
  /** TPE settings (method 'tpe'); the defaults are Optuna's. */
  tpe: z
    .strictObject({
      /** Random proposals before the Parzen estimators take over. */
      startupTrials: z.number().int().min(1).max(1000).default(10),
      /** Candidates drawn from l(x) per proposal; the one with the highest l(x)/g(x) wins. */
      candidates: z.number().int().min(1).max(1000).default(24),
    })
    .optional(),
  /** Seed of the search's own random stream (default base.seed): the same spec proposes the same configurations. */
  searchSeed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  /** Early termination of unpromising trials; absent: every trial runs all its epochs. */
  prune: PruneSpec.optional(),
}).superRefine((spec, ctx) => {
  const method = spec.method ?? 'grid';
  if (method === 'grid') {
    if (spec.trials !== undefined) ctx.addIssue({ code: 'custom', path: ['trials'], message: 'a trial budget needs method random or tpe' });
    if (spec.ranges !== undefined) ctx.addIssue({ code: 'custom', path: ['ranges'], message: 'ranges need method random or tpe (a grid takes lists)' });
  } else if (spec.trials === undefined) {
    ctx.addIssue({ code: 'custom', path: ['trials'], message: `method ${method} needs a trial budget (trials)` });
  }
  if (spec.prune && spec.prune.rule === 'hyperband' && spec.prune.minIter === undefined && spec.prune.maxIter === undefined) {
    ctx.addIssue({ code: 'custom', path: ['prune'], message: 'hyperband needs minIter, or maxIter with s' });
  }
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
    /** Cancelled or paused part-way with epochs trained (kept, resumable): not 'done', not nothing. */
    stopped: z.number().int().default(0),
  }),
  concurrency: z.number().int().min(1).max(1024),
  /** The number this sweep's analysis ranks cells by, in every view (shared/analysis.ts). */
  analysisMetric: AnalysisMetric.default(DEFAULT_ANALYSIS_METRIC),
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
