import { describe, expect, it } from 'vitest';
import { proposeRandom, proposeTpe, rankObservations, searchSpace, spaceSize, tpeGamma, type CellValues, type Observation } from '../../electron/sweeps/search';
import { cellIdOf } from '../../electron/sweeps/grid';
import { SweepSpec, type SweepSpecInput } from '../../shared/domain';
import { tinyModel } from '../support/fixtures';

const spec = (over: Partial<SweepSpecInput> = {}, axes: Partial<SweepSpecInput['axes']> = {}): SweepSpec =>
  SweepSpec.parse({
    datasetId: 'ds1',
    model: tinyModel,
    base: { lr: 0.001, epochs: 3, seed: 7 },
    axes: { lr: { values: [0.001] }, clip: [1.5], ...axes },
    method: 'random',
    trials: 30,
    ranges: { lr: { min: 1e-4, max: 1e-1 }, clip: { min: 0.1, max: 3, log: false } },
    ...over,
  });

/** k proposals in a row, each one taken before the next (as the scheduler stores them). */
function run(s: SweepSpec, n: number, objective?: (v: CellValues) => number): { values: CellValues[]; best: number } {
  const taken = new Set<string>();
  const obs: Observation[] = [];
  const values: CellValues[] = [];
  for (let k = 0; k < n; k++) {
    const v = s.method === 'tpe' ? proposeTpe(s, k, obs, taken) : proposeRandom(s, k, taken);
    if (!v) break;
    taken.add(cellIdOf(v));
    values.push(v);
    if (objective) obs.push({ values: v, score: objective(v), complete: true, epochs: 3 });
  }
  return { values, best: Math.max(...obs.map((o) => o.score)) };
}

/** A known synthetic objective: a smooth peak at lr = 10^-2.5, clip = 1.2. */
const objective = (v: CellValues) => 0.9 - 0.05 * (Math.log10(v.lr) + 2.5) ** 2 - 0.02 * ((v.clip ?? 5) - 1.2) ** 2;

describe('search space', () => {
  it('takes ranges as continuous, lists as choices, single values as fixed', () => {
    const s = spec({}, { optimizer: ['adam', 'adamw'], batchSize: [32, 64, 128], preset: ['bn'] });
    expect(searchSpace(s).map((p) => `${p.name}:${p.kind}`)).toEqual(['lr:float', 'clip:float', 'batchSize:choice', 'optimizer:choice', 'preset:choice']);
    expect(spaceSize(spec({ ranges: undefined }, { lr: { values: [0.01, 0.1] }, clip: [1, null] }))).toBe(4);
  });
});

describe('random search', () => {
  it('is deterministic for a seed, different for another, and stays in range (lr log-uniform)', () => {
    const a = run(spec(), 200).values;
    expect(run(spec(), 200).values).toEqual(a);
    expect(run(spec({ searchSeed: 8 }), 200).values).not.toEqual(a);
    for (const v of a) {
      expect(v.lr).toBeGreaterThanOrEqual(1e-4);
      expect(v.lr).toBeLessThanOrEqual(1e-1);
      expect(v.clip).toBeGreaterThanOrEqual(0.1);
      expect(v.clip).toBeLessThanOrEqual(3);
      expect(Number(v.lr.toPrecision(3))).toBe(v.lr);
    }
    // Log-uniform: each decade holds about a third of the draws (a uniform draw would put 90% in the last).
    const decades = [1e-3, 1e-2, 1e-1].map((hi) => a.filter((v) => v.lr <= hi && v.lr > hi / 10).length / a.length);
    for (const f of decades) expect(f).toBeGreaterThan(0.2);
    // Uniform clip: about half the draws below the middle.
    expect(a.filter((v) => v.clip! < 1.55).length / a.length).toBeGreaterThan(0.38);
    expect(new Set(a.map(cellIdOf)).size).toBe(a.length);
  });

  it('draws "no clipping" when the range allows it, and discrete choices', () => {
    const s = spec({ ranges: { lr: { min: 1e-4, max: 1e-1, log: true }, clip: { min: 0.1, max: 3, log: true, none: true } } }, { optimizer: ['sgd', 'adamw'] });
    const values = run(s, 100).values;
    const none = values.filter((v) => v.clip === null).length;
    expect(none).toBeGreaterThan(25);
    expect(none).toBeLessThan(75);
    expect(new Set(values.map((v) => v.optimizer))).toEqual(new Set(['sgd', 'adamw']));
  });

  it('never proposes a configuration twice and stops when a discrete space is exhausted', () => {
    const s = spec({ ranges: undefined }, { lr: { values: [0.01, 0.1] }, clip: [1, null] });
    const values = run(s, 10).values;
    expect(values).toHaveLength(4);
    expect(new Set(values.map(cellIdOf)).size).toBe(4);
  });
});

describe('TPE', () => {
  it('ranks completed before pruned (deeper first) and uses Optuna\'s gamma', () => {
    const o = (score: number, complete: boolean, epochs: number): Observation => ({ values: { lr: score, clip: null }, score, complete, epochs });
    expect(rankObservations([o(0.9, false, 2), o(0.5, true, 9), o(0.7, false, 5), o(0.6, true, 9)]).map((x) => x.score)).toEqual([0.6, 0.5, 0.7, 0.9]);
    expect([1, 10, 11, 100, 400].map(tpeGamma)).toEqual([1, 1, 2, 10, 25]);
  });

  it('is deterministic for a seed given the same results', () => {
    const s = spec({ method: 'tpe', tpe: { startupTrials: 5, candidates: 24 } });
    const a = run(s, 25, objective).values;
    expect(run(s, 25, objective).values).toEqual(a);
    expect(run({ ...s, searchSeed: 99 }, 25, objective).values).not.toEqual(a);
    // Its startup proposals are the random search's.
    expect(a.slice(0, 5)).toEqual(run({ ...s, method: 'random' }, 5).values);
  });

  it('beats random search on a known objective, on average over seeds', () => {
    const seeds = Array.from({ length: 12 }, (_, i) => i);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const best = (method: 'random' | 'tpe') => mean(seeds.map((seed) => run(spec({ method, searchSeed: seed }), 30, objective).best));
    const tpe = best('tpe');
    const random = best('random');
    // Regret from the peak (0.9) at least a third smaller.
    expect(0.9 - tpe).toBeLessThan((0.9 - random) * 0.67);
  });
});
