import { z } from 'zod';
import { EpochMetrics, EpochSteps, Id, ModelSpec, PresetName, Run, RunStatus, TrainConfig } from '../domain';
import { ById, Empty, Ok, Page, method } from './common';
import { neutraliseBidi } from '../text';

export const RunFilter = z.strictObject({
  ...Page,
  status: z.array(RunStatus).max(10).optional(),
  datasetId: Id.optional(),
  sweepId: Id.optional(),
  search: z.string().max(200).optional(),
  starred: z.boolean().optional(),
  /** Learning rate within [lrMin, lrMax] (inclusive; either side may be absent). */
  lrMin: z.number().min(0).optional(),
  lrMax: z.number().min(0).optional(),
  /** Clip norm within [clipMin, clipMax]; runs without clipping match neither bound. */
  clipMin: z.number().min(0).optional(),
  clipMax: z.number().min(0).optional(),
  /** true: only runs without clipping; false: only clipped runs. */
  noClip: z.boolean().optional(),
  /** Runs carrying every one of these tags. */
  tags: z.array(z.string().min(1).max(50)).max(20).optional(),
  /** Created at or after / before these ISO times. */
  createdAfter: z.string().max(40).optional(),
  createdBefore: z.string().max(40).optional(),
  /** Model presets; 'custom' matches runs whose model is not a preset. */
  preset: z.array(z.union([PresetName, z.literal('custom')])).max(7).optional(),
  /** true: only runs of some sweep; false: only stand-alone runs. */
  inSweep: z.boolean().optional(),
  /**
   * false: leave out sweep trials cancelled before they trained an epoch (a cancelled sweep's
   * never-started trials: nothing to look at, listed on the sweep's page).
   */
  unstartedTrials: z.boolean().optional(),
  sort: z.enum(['createdAt', 'name', 'bestValAcc', 'lastValAcc', 'status', 'lr', 'clipNorm', 'epochsDone']).default('createdAt'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type RunFilter = z.input<typeof RunFilter>;

export const CreateRun = z.strictObject({
  name: z.string().overwrite(neutraliseBidi).trim().min(1).max(200).optional(),
  datasetId: Id,
  model: ModelSpec,
  config: TrainConfig,
  /** Start training now (default). False stores a queued run only. */
  start: z.boolean().default(true),
});
export type CreateRun = z.input<typeof CreateRun>;

export const UpdateRun = z.strictObject({
  id: Id,
  name: z.string().overwrite(neutraliseBidi).trim().min(1).max(200).optional(),
  starred: z.boolean().optional(),
  tags: z.array(z.string().overwrite(neutraliseBidi).trim().min(1).max(50)).max(50).optional(),
  notes: z.string().max(20_000).optional(),
});

export const runMethods = {
  'runs.list': method(RunFilter, z.strictObject({ items: z.array(Run), total: z.number().int() })),
  'runs.get': method(ById, Run),
  'runs.epochs': method(ById, z.array(EpochMetrics)),
  /** Per-step curves (downsampled, one entry per epoch that has one); never part of lists. */
  'runs.steps': method(ById, z.array(EpochSteps)),
  'runs.create': method(CreateRun, Run),
  'runs.update': method(UpdateRun, Run),
  'runs.cancel': method(ById, Run),
  'runs.resume': method(ById, Run),
  'runs.delete': method(ById, Ok),
  /** Epochs of many runs at once (overlaid curves); unknown ids are left out. */
  'runs.epochsMany': method(
    z.strictObject({ ids: z.array(Id).min(1).max(500) }),
    z.array(z.strictObject({ runId: Id, epochs: z.array(EpochMetrics) })),
  ),
  /** Every tag in use with how many runs carry it, most used first. */
  'runs.tags': method(Empty, z.array(z.strictObject({ tag: z.string(), count: z.number().int() }))),
} as const;

export const runEvents = {
  /** A run was created or changed (status, name, best accuracy…). */
  'run.updated': Run,
  'run.deleted': ById,
  /** A run finished an epoch; sent as soon as the epoch is stored. */
  'run.epoch': z.strictObject({ runId: Id, metrics: EpochMetrics, steps: EpochSteps.optional() }),
  'run.log': z.strictObject({ runId: Id, level: z.enum(['info', 'warn', 'error']), message: z.string() }),
} as const;
