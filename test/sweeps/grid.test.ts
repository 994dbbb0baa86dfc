import { describe, expect, it } from 'vitest';
import { cellIdOf, expandCells, expandTrials, gridSize, lrValues, MAX_TRIALS, spreadOrder, trialConfig } from '../../electron/sweeps/grid';
import { SweepSpec, type SweepSpecInput } from '../../shared/domain';
import { tinyModel } from '../support/fixtures';

const spec = (over: Partial<SweepSpecInput> = {}, axes: Partial<SweepSpecInput['axes']> = {}): SweepSpec =>
  SweepSpec.parse({
    datasetId: 'ds1',
    model: tinyModel,
    base: { lr: 0.001, epochs: 3, seed: 7, subset: { size: 500 } },
    axes: { lr: { values: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1] }, clip: [0.1, 0.5, 1, 1.5, 2, 2.5, 3], ...axes },
    repeats: 1,
    ...over,
  });

describe('grid expansion', () => {
  it('expands a log-spaced lr range like numpy.logspace, endpoints exact', () => {
    expect(lrValues({ range: { min: 1e-4, max: 1e-1, points: 4 } })).toEqual([1e-4, 0.001, 0.01, 0.1]);
    // numpy.logspace(-4, -1, 7) = 1e-4, 3.16228e-4, 1e-3, 3.16228e-3, 1e-2, 3.16228e-2, 1e-1
    expect(lrValues({ range: { min: 1e-4, max: 1e-1, points: 7 } })).toEqual([1e-4, 0.000316228, 0.001, 0.00316228, 0.01, 0.0316228, 0.1]);
    expect(lrValues({ range: { min: 0.01, max: 0.01, points: 3 } })).toEqual([0.01]);
    expect(lrValues({ range: { min: 0.02, max: 0.5, points: 1 } })).toEqual([0.02]);
    expect(lrValues({ values: [0.1, 0.01, 0.1] })).toEqual([0.1, 0.01]);
    expect(() => spec({}, { lr: { range: { min: 0.1, max: 0.01, points: 3 } } })).toThrow(/min must not exceed max/);
  });

  it('makes one cell per combination with stable, distinct ids', () => {
    const cells = expandCells(spec());
    expect(cells).toHaveLength(42);
    expect(new Set(cells.map((c) => c.cellId)).size).toBe(42);
    // Same spec, same ids; ids depend on the values, not on the grid around them.
    expect(expandCells(spec()).map((c) => c.cellId)).toEqual(cells.map((c) => c.cellId));
    const smaller = expandCells(spec({}, { lr: { values: [0.001, 0.1] }, clip: [1.5, null] }));
    const inBig = cells.find((c) => c.lr === 0.001 && c.clip === 1.5)!;
    expect(smaller.find((c) => c.lr === 0.001 && c.clip === 1.5)!.cellId).toBe(inBig.cellId);
    expect(inBig.cellId).toBe(cellIdOf({ lr: 0.001, clip: 1.5 }));
    expect(inBig.cellId).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(cellIdOf({ lr: 0.001, clip: null })).not.toBe(cellIdOf({ lr: 0.001, clip: 1.5 }));
    // Only swept axes enter the id: sweeping batch size gives different ids per batch size.
    const batched = expandCells(spec({}, { lr: { values: [0.001] }, clip: [1], batchSize: [32, 64] }));
    expect(batched.map((c) => c.batchSize).sort()).toEqual([32, 64]);
    expect(batched[0]!.cellId).not.toBe(batched[1]!.cellId);
  });

  it('orders each axis coarse to fine: ends, then midpoints of the widest gaps', () => {
    expect(spreadOrder(1)).toEqual([0]);
    expect(spreadOrder(2)).toEqual([0, 1]);
    expect(spreadOrder(6)).toEqual([0, 5, 2, 3, 1, 4]); // [2,5] is wider than [0,2]
    expect(spreadOrder(7)).toEqual([0, 6, 3, 1, 4, 2, 5]);
    for (let n = 1; n < 30; n++) expect([...spreadOrder(n)].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
  });

  it('launches the grid corners first, then midpoints, and every cell once per seed, seed-major', () => {
    const s = spec({ repeats: 3 });
    const trials = expandTrials(s);
    expect(trials).toHaveLength(126);
    const corners = trials.slice(0, 4).map((t) => [t.cell.lr, t.cell.clip]);
    expect(corners).toEqual([
      [0.0005, 0.1],
      [0.0005, 3],
      [0.1, 0.1],
      [0.1, 3],
    ]);
    // Seed-major: the first 42 trials are seed 7, every cell once; then seed 8, then 9.
    expect(new Set(trials.slice(0, 42).map((t) => t.cell.cellId)).size).toBe(42);
    expect(trials.slice(0, 42).every((t) => t.seed === 7 && t.repeat === 0)).toBe(true);
    expect(trials.slice(42, 84).every((t) => t.seed === 8)).toBe(true);
    expect(trials.slice(84).every((t) => t.seed === 9)).toBe(true);
    expect(trials.map((t) => t.order)).toEqual([...Array(126).keys()]);
    // The middle of both axes comes within the first 9 trials (3 × 3 coarse grid).
    const first9 = trials.slice(0, 9).map((t) => `${t.cell.lr}/${t.cell.clip}`);
    expect(first9).toContain('0.005/1.5');
  });

  it('builds each trial config from the base plus the cell and seed', () => {
    const s = spec({}, { lr: { values: [0.01] }, clip: [null], optimizer: ['sgd'], weightDecay: [0.1] });
    const [t] = expandTrials(s);
    expect(trialConfig(s, t!.cell, t!.seed)).toEqual({ ...s.base, lr: 0.01, clipNorm: null, seed: 7, optimizer: 'sgd', weightDecay: 0.1 });
    expect(s.base.subset).toEqual({ size: 500, mode: 'first' });
  });

  it('counts a grid from its axes and refuses one over the cap before expanding it', () => {
    const dupes = spec({ repeats: 3 }, { lr: { values: [0.1, 0.1, 0.2] }, clip: [1, 1, null], batchSize: [32, 64] });
    expect(gridSize(dupes)).toEqual({ cells: 8, trials: 24 });
    expect(expandTrials(dupes)).toHaveLength(24);
    const huge = spec(
      { repeats: 100 },
      { lr: { range: { min: 1e-4, max: 1, points: 200 } }, clip: Array.from({ length: 200 }, (_, i) => i + 1), batchSize: Array.from({ length: 20 }, (_, i) => i + 1) },
    );
    expect(gridSize(huge).trials).toBe(80_000_000);
    const started = performance.now();
    expect(() => expandCells(huge)).toThrow(/80,000,000 trials .* the most one sweep may have is 5,000/);
    expect(performance.now() - started).toBeLessThan(1000);
    const edge = spec({ repeats: 1 }, { lr: { range: { min: 1e-4, max: 1, points: 50 } }, clip: Array.from({ length: 100 }, (_, i) => i + 1) });
    expect(expandTrials(edge)).toHaveLength(MAX_TRIALS);
    expect(() => expandTrials({ ...edge, repeats: 2 })).toThrow(/10,000 trials/);
  });
});
