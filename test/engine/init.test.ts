import { describe, expect, it } from 'vitest';
import { initBias, initDistribution, initWeights } from '../../electron/engine/init';
import { Rng } from '../../electron/engine/rng';

function stats(a: Float32Array) {
  let sum = 0, sq = 0, max = 0;
  for (const v of a) {
    sum += v;
    sq += v * v;
    max = Math.max(max, Math.abs(v));
  }
  const mean = sum / a.length;
  return { mean, std: Math.sqrt(sq / a.length - mean * mean), max };
}

describe('weight init (fan_in 784, fan_out 512: 401k draws)', () => {
  const fanIn = 784, fanOut = 512;
  const draw = (kind: Parameters<typeof initWeights>[0]) => stats(initWeights(kind, fanIn, fanOut, Rng.seeded(1, 1)));

  it('kaiming_uniform_: U(±√(6/fan_in)), the notebook default', () => {
    const bound = Math.sqrt(6 / fanIn);
    const s = draw({ kind: 'kaiming_uniform' });
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.max).toBeGreaterThan(bound * 0.999);
    expect(s.std).toBeCloseTo(bound / Math.sqrt(3), 3);
    expect(Math.abs(s.mean)).toBeLessThan(1e-3);
  });
  it('kaiming_normal_: std √(2/fan_in)', () => {
    expect(draw({ kind: 'kaiming_normal' }).std / Math.sqrt(2 / fanIn)).toBeCloseTo(1, 2);
  });
  it('xavier uniform and normal', () => {
    const bound = Math.sqrt(6 / (fanIn + fanOut));
    const u = draw({ kind: 'xavier_uniform' });
    expect(u.max).toBeLessThanOrEqual(bound);
    expect(u.std / (bound / Math.sqrt(3))).toBeCloseTo(1, 2);
    expect(draw({ kind: 'xavier_normal' }).std / Math.sqrt(2 / (fanIn + fanOut))).toBeCloseTo(1, 2);
  });
  it('normal(std) and nn.Linear default U(±1/√fan_in)', () => {
    expect(draw({ kind: 'normal', std: 0.05 }).std / 0.05).toBeCloseTo(1, 2);
    const t = draw({ kind: 'torch_default' });
    expect(t.max).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
    expect(t.std / (1 / Math.sqrt(fanIn) / Math.sqrt(3))).toBeCloseTo(1, 2);
    expect(initDistribution({ kind: 'normal' }, 3, 3)).toEqual({ kind: 'normal', std: 1 });
  });
  it('bias: U(±1/√fan_in)', () => {
    const b = stats(initBias(16, 100_000, Rng.seeded(2, 1)));
    expect(b.max).toBeLessThanOrEqual(0.25);
    expect(b.max).toBeGreaterThan(0.249);
  });
  it('is reproducible from the seed', () => {
    const a = initWeights({ kind: 'kaiming_uniform' }, 10, 10, Rng.seeded(5, 1));
    expect(initWeights({ kind: 'kaiming_uniform' }, 10, 10, Rng.seeded(5, 1))).toEqual(a);
    expect(initWeights({ kind: 'kaiming_uniform' }, 10, 10, Rng.seeded(6, 1))).not.toEqual(a);
  });
});
