/**
 * Sweeps (issue 5): a learning-rate × clip-norm grid (plus optional batch size, optimizer, weight
 * decay and preset axes) repeated over seeds, run as trials (rows of `runs`) by a pool of trainer
 * processes, with statistics over the seeds of each cell.
 */
import { z } from 'zod';
import { AnalysisMetric } from '../analysis';
import { BackendName, EpochMetrics, Id, OptimizerName, PresetName, RunStatus, SearchMethod, Sweep, SweepSpec } from '../domain';
import { ById, Empty, method } from './common';

// Up to 1024: a cluster sweep queues this many trials at once for its workers.
const Concurrency = z.number().int().min(1).max(1024);

/** What launching a spec would mean, before it is launched. */
export const SweepPlan = z.strictObject({
  cells: z.number().int(),
  trials: z.number().int(),
  epochsPerTrial: z.number().int(),
  /** Trial-epochs in all: trials × epochs, or with early termination the expected number (an estimate). */
  epochs: z.number().int(),
  /** Trial-epochs without early termination (trials × epochs). */
  epochsFull: z.number().int(),
  /** How the expected epochs with early termination were estimated; null without it. */
  pruneBasis: z.string().nullable(),
  /** The learning rates the lr axis expands to (a range becomes its log-spaced points). */
  lrValues: z.array(z.number()),
  concurrency: Concurrency,
  /** Seconds one epoch of one trial is expected to take. */
  secondsPerEpoch: z.number().min(0),
  etaSeconds: z.number().min(0),
  /** 'measured': median of stored epochs of matching runs; 'estimate': parameter count × samples heuristic. */
  etaSource: z.enum(['measured', 'estimate']),
  /** One line on where the figure comes from, for the UI and CLI to show beside it. */
  basis: z.string(),
  /**
   * Seeds per cell that tell a 1-point difference apart (80 % power), from the spread between seeds
   * in earlier sweeps of this model on this data set; null when there are none to learn from.
   */
  seedAdvice: z.strictObject({ seeds: z.number().int(), std: z.number(), sweeps: z.number().int(), basis: z.string() }).nullable().optional(),
});
export type SweepPlan = z.infer<typeof SweepPlan>;

const cellAxes = {
  lr: z.number(),
  clip: z.number().nullable(),
  batchSize: z.number().int().optional(),
  optimizer: OptimizerName.optional(),
  weightDecay: z.number().optional(),
  preset: PresetName.optional(),
};

/** One trial of a sweep (a run row) with its stored epochs. */
export const SweepTrial = z.strictObject({
  id: Id,
  cellId: z.string(),
  ...cellAxes,
  seed: z.number().int(),
  status: RunStatus,
  error: z.string().nullable(),
  backend: BackendName.nullable(),
  /** Set when early termination stopped it: the epoch, the rule's reason, and whether it was resumed by hand since (Run.pruned). */
  pruned: z.strictObject({ epoch: z.number().int().min(1), reason: z.string(), resumedByHand: z.boolean() }).nullable().optional(),
  epochs: z.array(EpochMetrics),
});
export type SweepTrial = z.infer<typeof SweepTrial>;

/** mean ± std and a Student-t 95% confidence interval over a cell's finished seeds. */
export const SummaryStats = z.strictObject({
  n: z.number().int(),
  mean: z.number().nullable(),
  /** Sample standard deviation (n − 1); null when n < 2. */
  std: z.number().nullable(),
  /** mean ± t(0.975, n−1)·std/√n; null when n < 2. */
  ci95: z.tuple([z.number(), z.number()]).nullable(),
});
export type SummaryStats = z.infer<typeof SummaryStats>;

/**
 * A cell against the best cell of the same metric: Welch's t-test, p Holm-corrected over all the
 * cells tested. 'worse': distinguishable from the best at α. Not distinguishable splits in two by
 * the test's power (`mdd`, the smallest difference it detects 80 % of the time at this n and
 * spread): 'tied' when it would have caught a difference of TIE_MARGIN (1 point of accuracy),
 * 'cant-tell' when it could not (too few seeds for the spread: more seeds may separate them).
 * 'untested': fewer than 2 finished seeds on either side; 'best': the best cell itself.
 */
export const Comparison = z.strictObject({
  verdict: z.enum(['best', 'tied', 'cant-tell', 'worse', 'untested']),
  /** This cell's mean minus the best cell's mean. */
  diff: z.number().nullable(),
  t: z.number().nullable(),
  df: z.number().nullable(),
  p: z.number().nullable(),
  pHolm: z.number().nullable(),
  /** Minimum detectable difference (80 % power, two-sided α) for this pair's n and spread; null untested. */
  mdd: z.number().nullable().optional(),
  /** Seeds in the smaller of the two samples compared (for "can't tell with N seeds"). */
  n: z.number().int().nullable().optional(),
});
export type Comparison = z.infer<typeof Comparison>;

export const CellStats = z.strictObject({
  cellId: z.string(),
  label: z.string(),
  ...cellAxes,
  trials: z.strictObject({
    total: z.number().int(),
    /** Finished all their epochs: the seeds the statistics use. */
    completed: z.number().int(),
    /** Stopped on a non-finite loss; counted apart so a cell that diverges on some seeds is visible. */
    diverged: z.number().int(),
    failed: z.number().int(),
    /** Stopped early by the sweep's early-termination rule: left out of the statistics, shown as pruned. */
    pruned: z.number().int(),
    /** Queued, running, paused, interrupted or cancelled. */
    unfinished: z.number().int(),
  }),
  /** The epochs its pruned trials were stopped at, ascending. */
  prunedAtEpochs: z.array(z.number().int()),
  /** Best validation accuracy over a trial's epochs. */
  bestValAcc: SummaryStats,
  /** Validation accuracy after the last epoch. */
  finalValAcc: SummaryStats,
  /** The epoch at which validation accuracy peaked. */
  bestEpoch: SummaryStats,
  finalTrainAcc: SummaryStats,
  /** The notebook's overfitting ratio: final validation accuracy / final training accuracy. */
  overfitRatio: SummaryStats,
  vsBest: z.strictObject({ bestValAcc: Comparison, finalValAcc: Comparison }),
});
export type CellStats = z.infer<typeof CellStats>;

export const AnovaTerm = z.strictObject({
  source: z.enum(['lr', 'clip', 'lr:clip', 'residual']),
  df: z.number().int(),
  ss: z.number(),
  ms: z.number(),
  f: z.number().nullable(),
  p: z.number().nullable(),
});
export type AnovaTerm = z.infer<typeof AnovaTerm>;

/** Two-way ANOVA of one metric on lr × clip, for one combination of the other swept axes. */
export const Anova = z.strictObject({
  /** Values of the other swept axes (batchSize, optimizer, weightDecay, preset) this table is for. */
  slice: z.record(z.string(), z.union([z.string(), z.number()])),
  computed: z.boolean(),
  /** Why it was not computed (computed = false), or a note on how it was balanced. */
  reason: z.string().nullable(),
  /** Seeds per cell used (the design is balanced to this). */
  replicates: z.number().int(),
  /** Finished trials left out to balance the design (the highest seeds of the larger cells). */
  droppedTrials: z.number().int(),
  terms: z.array(AnovaTerm),
});
export type Anova = z.infer<typeof Anova>;

/**
 * What an adaptive sweep (a search, or any sweep with early termination) did and how its
 * statistics stay honest: only trials that reached `comparedAtEpoch` (the last epoch) enter the
 * means, CIs, tied badges and ANOVA; pruned trials are counted apart and shown as pruned.
 */
export const AdaptiveSummary = z.strictObject({
  method: SearchMethod,
  /** The early-termination rule; null: none. */
  prune: z.enum(['asha', 'median', 'hyperband']).nullable(),
  comparedAtEpoch: z.number().int(),
  /** One sentence saying which trials the statistics compare, for every view to print as is. */
  note: z.string(),
  /** Search sweeps: the budget of configurations, and how many were proposed so far. */
  configurations: z.strictObject({ budget: z.number().int().nullable(), proposed: z.number().int() }),
  /** Search sweeps: the parameters drawn, in the order of the space (lr, clip, …). */
  params: z.array(z.enum(['lr', 'clip', 'batchSize', 'optimizer', 'weightDecay', 'preset'])),
  prunedTrials: z.number().int(),
  epochs: z.strictObject({
    /** Trial-epochs stored. */
    trained: z.number().int(),
    /** What the trials stopped early would have trained on to their last epoch. */
    saved: z.number().int(),
    /** trained + saved: the cost without early termination. */
    full: z.number().int(),
  }),
});
export type AdaptiveSummary = z.infer<typeof AdaptiveSummary>;

export const SweepStats = z.strictObject({
  alpha: z.number(),
  /** Present for search sweeps and sweeps with early termination. */
  adaptive: AdaptiveSummary.nullable(),
  cells: z.array(CellStats),
  /** Cell id of the highest mean, per metric; null before any trial finished. */
  best: z.strictObject({ bestValAcc: z.string().nullable(), finalValAcc: z.string().nullable() }),
  anova: z.strictObject({ bestValAcc: z.array(Anova), finalValAcc: z.array(Anova) }),
});
export type SweepStats = z.infer<typeof SweepStats>;

export const SweepDetail = z.strictObject({
  ...Sweep.shape,
  trials: z.array(SweepTrial),
  stats: SweepStats,
  /**
   * The verdict every view gives: the metric ranked by (the sweep's analysisMetric), in words, and
   * the best cell by it. `stats` holds both metrics; readers of the JSON should use this one.
   */
  analysis: z.strictObject({ metric: AnalysisMetric, label: z.string(), bestCellId: z.string().nullable() }),
});
export type SweepDetail = z.infer<typeof SweepDetail>;

const ByIdAndTrial = z.strictObject({ id: Id, trialId: Id });

export const sweepMethods = {
  'sweeps.list': method(Empty, z.array(Sweep)),
  'sweeps.get': method(ById, Sweep),
  /** A sweep with its trials, their epochs and the statistics. */
  'sweeps.show': method(ById, SweepDetail),
  'sweeps.plan': method(z.strictObject({ spec: SweepSpec, concurrency: Concurrency.optional() }), SweepPlan),
  'sweeps.create': method(
    z.strictObject({ spec: SweepSpec, concurrency: Concurrency.optional(), start: z.boolean().default(true) }),
    Sweep,
  ),
  /** Starts a draft sweep. */
  'sweeps.launch': method(ById, Sweep),
  /** Stops the running trials (they resume from their last checkpoint) and launches no new ones. */
  'sweeps.pause': method(ById, Sweep),
  /** Continues a paused, interrupted or cancelled sweep: unfinished trials from their last checkpoint. */
  'sweeps.resume': method(ById, Sweep),
  /** Kills the running trials and marks every unfinished trial cancelled. */
  'sweeps.cancel': method(ById, Sweep),
  /** Runs the failed trials again from scratch (and the diverged ones with includeDiverged). */
  'sweeps.rerunFailed': method(z.strictObject({ id: Id, includeDiverged: z.boolean().default(false) }), Sweep),
  'sweeps.setConcurrency': method(z.strictObject({ id: Id, concurrency: Concurrency }), Sweep),
  /** The number the sweep's analysis ranks cells by, in the app, the CLI and reports alike. */
  'sweeps.setAnalysisMetric': method(z.strictObject({ id: Id, metric: AnalysisMetric }), Sweep),
  'sweeps.cancelTrial': method(ByIdAndTrial, Sweep),
  /** Resumes a pruned trial to its full length, from its last checkpoint; early termination then leaves it alone. */
  'sweeps.resumeTrial': method(ByIdAndTrial, Sweep),
  /** Runs one trial again from scratch, whatever its status. */
  'sweeps.rerunTrial': method(ByIdAndTrial, Sweep),
  /** Cancels it if running, then deletes it with its trials and their epochs. */
  'sweeps.delete': method(ById, z.strictObject({ ok: z.literal(true) })),
} as const;

export const sweepEvents = {
  /** Status, trial counts or ETA of a sweep changed. Trial progress also arrives as run.updated / run.epoch. */
  'sweep.updated': Sweep,
  'sweep.deleted': ById,
} as const;
