/**
 * Grid expansion of a SweepSpec: the cells (one per combination of axis values) and the trials
 * (cell × seed), in the order the scheduler launches them.
 *
 * Cell ids are a short hash of the cell's axis values, not an index: the same spec always gives the
 * same ids (so a re-created or resumed sweep matches its stored trials), and adding a value to an
 * axis does not renumber the other cells (so runs from an older sweep can be compared cell by cell).
 */
import { createHash } from 'node:crypto';
import type { ModelSpec, OptimizerName, PresetName, SweepSpec, TrainConfig } from '../../shared/domain';
import { ApiError } from '../../shared/errors';

export interface Cell {
  cellId: string;
  lr: number;
  /** null: no clipping. */
  clip: number | null;
  /** Present only where the spec sweeps that axis. */
  batchSize?: number;
  optimizer?: OptimizerName;
  weightDecay?: number;
  preset?: PresetName;
  /** Launch priority of the cell within one seed (0 first); see spreadOrder. */
  rank: number;
}

export interface TrialPlan {
  cell: Cell;
  /** 0 for base.seed, 1 for base.seed + 1, … */
  repeat: number;
  seed: number;
  /** Position in launch order over the whole sweep (0 first). */
  order: number;
}

import { lrValues } from '../../shared/axes';
import { hyper } from '../../shared/format';

export { lrValues };

function dedupe<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/**
 * A coarse-to-fine order of n positions: both ends first, then the midpoints of the widest gaps
 * (0, n-1, mid, quarter points, …). Used per axis so the first trials of a sweep already span the
 * range of every axis; a sweep stopped early still shows the extremes and the middle.
 */
export function spreadOrder(n: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [0];
  const order = [0, n - 1];
  let gaps: [number, number][] = [[0, n - 1]];
  while (order.length < n) {
    const next: [number, number][] = [];
    // Widest gaps first; ties left to right, so the order is deterministic.
    gaps.sort((a, b) => b[1] - b[0] - (a[1] - a[0]) || a[0] - b[0]);
    for (const [lo, hi] of gaps) {
      if (hi - lo < 2) continue;
      const mid = Math.floor((lo + hi) / 2);
      order.push(mid);
      next.push([lo, mid], [mid, hi]);
    }
    gaps = next;
  }
  return order;
}

/** Short, stable id of a cell from its axis values (only the axes the spec sweeps). */
export function cellIdOf(values: Omit<Cell, 'cellId' | 'rank'>): string {
  const parts = [`lr=${values.lr}`, `clip=${values.clip === null ? 'none' : values.clip}`];
  if (values.batchSize !== undefined) parts.push(`batch=${values.batchSize}`);
  if (values.optimizer !== undefined) parts.push(`opt=${values.optimizer}`);
  if (values.weightDecay !== undefined) parts.push(`wd=${values.weightDecay}`);
  if (values.preset !== undefined) parts.push(`preset=${values.preset}`);
  return createHash('sha256').update(parts.join('|')).digest('base64url').slice(0, 10).replace(/[^A-Za-z0-9]/g, 'x');
}

/** The most trials one sweep may have: beyond this the grid is a mistake, not a plan. */
export const MAX_TRIALS = 5000;

/**
 * Cells and trials of a spec, counted from the axis lengths without expanding anything: the schema
 * allows axes whose product is billions, so sizes are checked before any expansion.
 */
export function gridSize(spec: SweepSpec): { cells: number; trials: number } {
  // A search (random, TPE) proposes `trials` configurations, each run `repeats` times.
  if ((spec.method ?? 'grid') !== 'grid') return { cells: spec.trials ?? 0, trials: (spec.trials ?? 0) * spec.repeats };
  const axes = spec.axes;
  const count = (values: readonly unknown[] | undefined) => (values ? new Set(values).size : 1);
  const cells =
    lrValues(axes.lr).length * count(axes.clip) * count(axes.batchSize) * count(axes.optimizer) * count(axes.weightDecay) * count(axes.preset);
  return { cells, trials: cells * spec.repeats };
}

/** Throws 'invalid_argument' when the spec has more than MAX_TRIALS trials (grid or search). */
export function assertGridSize(spec: SweepSpec): void {
  const { cells, trials } = gridSize(spec);
  if (trials > MAX_TRIALS) {
    throw new ApiError(
      'invalid_argument',
      `This sweep has ${trials.toLocaleString('en-US')} trials (${cells.toLocaleString('en-US')} cells × ${spec.repeats} repeats); the most one sweep may have is ${MAX_TRIALS.toLocaleString('en-US')}`,
    );
  }
}

/**
 * Every cell of the grid, ordered by launch priority. A cell's priority comes from each of its
 * axis values' position in spreadOrder: cells whose worst position is earliest go first (all
 * corners of the grid before any midpoint), ties by the sum, then by grid position.
 */
export function expandCells(spec: SweepSpec): Cell[] {
  assertGridSize(spec);
  const axes = spec.axes;
  const lrs = lrValues(axes.lr);
  const clips = dedupe(axes.clip);
  const batches = axes.batchSize ? dedupe(axes.batchSize) : [undefined];
  const optimizers = axes.optimizer ? dedupe(axes.optimizer) : [undefined];
  const decays = axes.weightDecay ? dedupe(axes.weightDecay) : [undefined];
  const presets = axes.preset ? dedupe(axes.preset) : [undefined];
  const lists = [lrs, clips, batches, optimizers, decays, presets] as const;
  const positions = lists.map((list) => {
    const pos = new Array<number>(list.length);
    spreadOrder(list.length).forEach((index, p) => (pos[index] = p));
    return pos;
  });

  const cells: (Cell & { key: number[]; index: number })[] = [];
  let index = 0;
  for (const [ip, preset] of presets.entries())
    for (const [io, optimizer] of optimizers.entries())
      for (const [iw, weightDecay] of decays.entries())
        for (const [ib, batchSize] of batches.entries())
          for (const [il, lr] of lrs.entries())
            for (const [ic, clip] of clips.entries()) {
              const values: Omit<Cell, 'cellId' | 'rank'> = { lr, clip };
              if (batchSize !== undefined) values.batchSize = batchSize;
              if (optimizer !== undefined) values.optimizer = optimizer;
              if (weightDecay !== undefined) values.weightDecay = weightDecay;
              if (preset !== undefined) values.preset = preset;
              const key = [il, ic, ib, io, iw, ip].map((i, axis) => positions[axis]![i]!);
              cells.push({ ...values, cellId: cellIdOf(values), rank: 0, key, index: index++ });
            }
  cells.sort((a, b) => Math.max(...a.key) - Math.max(...b.key) || sum(a.key) - sum(b.key) || a.index - b.index);
  return cells.map(({ key: _key, index: _index, ...cell }, rank) => ({ ...cell, rank }));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * All trials in launch order: seed-major (every cell's first seed before any cell's second), so
 * that early results cover the whole grid and repeats only refine it.
 */
export function expandTrials(spec: SweepSpec): TrialPlan[] {
  const cells = expandCells(spec);
  const trials: TrialPlan[] = [];
  for (let repeat = 0; repeat < spec.repeats; repeat++) {
    for (const cell of cells) trials.push({ cell, repeat, seed: spec.base.seed + repeat, order: trials.length });
  }
  return trials;
}

/** The training config of one trial: the base config with the cell's axis values and the seed. */
export function trialConfig(spec: SweepSpec, cell: Cell, seed: number): TrainConfig {
  const config: TrainConfig = { ...spec.base, lr: cell.lr, clipNorm: cell.clip, seed };
  if (cell.batchSize !== undefined) config.batchSize = cell.batchSize;
  if (cell.optimizer !== undefined) config.optimizer = cell.optimizer;
  if (cell.weightDecay !== undefined) config.weightDecay = cell.weightDecay;
  return config;
}

/**
 * The model of one trial: the spec's model, or the preset named by the cell's preset axis.
 * `presetModel` comes from shared/models.ts (the engine's presets); injected so that grid expansion
 * does not depend on the engine.
 */
export function trialModel(spec: SweepSpec, cell: Cell, presetModel: (name: PresetName) => ModelSpec): ModelSpec {
  return cell.preset === undefined ? spec.model : presetModel(cell.preset);
}

/** Axis values of a cell for display: `lr 0.001, clip 1.5, batch 64`. */
export function describeCell(cell: Omit<Cell, 'cellId' | 'rank'>): string {
  const parts = [`lr ${hyper(cell.lr)}`, `clip ${hyper(cell.clip)}`];
  if (cell.batchSize !== undefined) parts.push(`batch ${cell.batchSize}`);
  if (cell.optimizer !== undefined) parts.push(cell.optimizer);
  if (cell.weightDecay !== undefined) parts.push(`wd ${cell.weightDecay}`);
  if (cell.preset !== undefined) parts.push(cell.preset);
  return parts.join(', ');
}
