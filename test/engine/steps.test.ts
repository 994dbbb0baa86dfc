/**
 * Per-step curves: the downsampling rule (bounded points, means that add back up to the epoch's,
 * maxima kept), and the engine's curves against its own epoch metrics and across its two
 * independent step implementations (host loss + fused optimizer vs tfjs ops on the device), solo
 * and packed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../electron/engine/backend';
import { clipScale } from '../../electron/engine/optim';
import { trainPacked } from '../../electron/engine/packedTrain';
import { downsample } from '../../electron/engine/steps';
import { train } from '../../electron/engine/train';
import { EpochSteps, MAX_STEP_POINTS_PER_EPOCH, ModelSpec, stepPointsPerEpoch, TrainConfig, type EpochMetrics, type TrainConfigInput } from '../../shared/domain';
import { blobs } from './helpers';

const model = ModelSpec.parse({ layers: [{ type: 'flatten' }, { type: 'linear', units: 16 }, { type: 'relu' }, { type: 'linear', units: 4 }] });
const config = (over: Partial<TrainConfigInput> = {}) => TrainConfig.parse({ lr: 0.05, clipNorm: 0.5, epochs: 2, batchSize: 32, seed: 3, backend: 'wasm', ...over });
const small = blobs({ train: 192, test: 64, classes: 4 });

type Run = { metrics: EpochMetrics[]; curves: EpochSteps[] };
async function solo(cfg: TrainConfig, data = small, forceOpsOptimizer = false): Promise<Run> {
  const out: Run = { metrics: [], curves: [] };
  const r = await train({ model, config: cfg, data, forceOpsOptimizer, hooks: { onEpoch: (m, _t, s) => void (out.metrics.push(m), out.curves.push(s)) } });
  expect(r.status).toBe('completed');
  return out;
}

/** The curve's n-weighted means and its maxima against the epoch's own metrics. */
function expectConsistent(curve: EpochSteps, m: EpochMetrics): void {
  expect(EpochSteps.parse(curve)).toEqual(curve);
  expect(curve.epoch).toBe(m.epoch);
  expect(curve.points.reduce((n, p) => n + p.n, 0)).toBe(curve.steps);
  const mean = (key: 'loss' | 'gradNorm') => curve.points.reduce((sum, p) => sum + p[key] * p.n, 0) / curve.steps;
  expect(mean('loss')).toBeCloseTo(m.loss, 5);
  expect(mean('gradNorm')).toBeCloseTo(m.gradNormMean, 4);
  expect(Math.max(...curve.points.map((p) => p.gradNormMax))).toBeCloseTo(m.gradNormMax, 4);
  expect(curve.points.reduce((sum, p) => sum + p.clipped * p.n, 0) / curve.steps).toBeCloseTo(m.clippedFraction, 6);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('downsampling rule', () => {
  it('cuts an epoch into at most the budget of contiguous buckets: mean and max per bucket', () => {
    const loss = Array.from({ length: 470 }, (_, i) => 2 + Math.sin(i / 7) + (i === 333 ? 40 : 0));
    const norm = Array.from({ length: 470 }, (_, i) => 1 + (i % 13) / 10 + (i === 100 ? 50 : 0));
    const c = downsample(4, loss, norm, 1.5, 50);
    expect(c.steps).toBe(470);
    expect(c.points.length).toBeLessThanOrEqual(50);
    expect(c.points.every((p, i) => p.n === (i < c.points.length - 1 ? 10 : 470 - 10 * (c.points.length - 1)))).toBe(true);
    expect(c.points.at(-1)!.step).toBe(470);
    // The spikes survive in the maxima and in the smallest clip scale.
    expect(Math.max(...c.points.map((p) => p.lossMax))).toBeCloseTo(42 + Math.sin(333 / 7), 9);
    expect(Math.max(...c.points.map((p) => p.gradNormMax))).toBe(Math.max(...norm));
    expect(Math.min(...c.points.map((p) => p.clipScale))).toBeCloseTo(clipScale(Math.max(...norm), 1.5), 9);
    const weighted = c.points.reduce((s, p) => s + p.loss * p.n, 0) / 470;
    expect(weighted).toBeCloseTo(loss.reduce((a, b) => a + b, 0) / 470, 9);
    const clippedSteps = norm.filter((g) => g > 1.5).length;
    expect(c.points.reduce((s, p) => s + p.clipped * p.n, 0)).toBeCloseTo(clippedSteps, 9);
    // Fewer steps than the budget: one point per step, exact.
    const few = downsample(1, [3, 2, 1], [0.5, 2, 1], null, 50);
    expect(few.points).toEqual([
      { step: 1, n: 1, loss: 3, lossMax: 3, gradNorm: 0.5, gradNormMax: 0.5, clipped: 0, clipScale: 1 },
      { step: 2, n: 1, loss: 2, lossMax: 2, gradNorm: 2, gradNormMax: 2, clipped: 0, clipScale: 1 },
      { step: 3, n: 1, loss: 1, lossMax: 1, gradNorm: 1, gradNormMax: 1, clipped: 0, clipScale: 1 },
    ]);
  });

  it('bounds a run: 50 points an epoch, fewer past 100 epochs, never under one', () => {
    expect(stepPointsPerEpoch(3)).toBe(MAX_STEP_POINTS_PER_EPOCH);
    expect(stepPointsPerEpoch(100)).toBe(50);
    expect(stepPointsPerEpoch(1000)).toBe(5);
    expect(stepPointsPerEpoch(10_000)).toBe(1);
    for (const epochs of [1, 7, 100, 101, 999, 10_000]) expect(stepPointsPerEpoch(epochs) * epochs).toBeLessThanOrEqual(Math.max(5000, epochs));
    expect(() => EpochSteps.parse({ epoch: 1, steps: 60, points: downsample(1, new Array(60).fill(1), new Array(60).fill(1), null, 60).points })).toThrow();
  });
});

describe('engine per-step curves', () => {
  it('a tiny run: one exact point per step whose values add up to the epoch metrics', async () => {
    const r = await solo(config());
    expect(r.curves.map((c) => [c.epoch, c.steps, c.points.length])).toEqual([
      [1, 6, 6],
      [2, 6, 6],
    ]);
    r.curves.forEach((c, i) => expectConsistent(c, r.metrics[i]!));
    for (const p of r.curves.flatMap((c) => c.points)) {
      expect(p.n).toBe(1);
      expect(p.clipped).toBe(p.gradNorm > 0.5 ? 1 : 0);
      expect(p.clipScale).toBeCloseTo(clipScale(p.gradNorm, 0.5), 6);
    }
    expect(r.curves.flatMap((c) => c.points).some((p) => p.clipped === 1)).toBe(true);
  });

  it('the host path and the device (tfjs ops) path record the same steps', async () => {
    const cfg = config({ epochs: 1 });
    const [fused, ops] = [await solo(cfg), await solo(cfg, small, true)];
    const a = fused.curves[0]!.points;
    const b = ops.curves[0]!.points;
    expect(b.length).toBe(a.length);
    a.forEach((p, i) => {
      expect(b[i]!.loss).toBeCloseTo(p.loss, 4);
      expect(b[i]!.gradNorm).toBeCloseTo(p.gradNorm, 3);
    });
    expectConsistent(ops.curves[0]!, ops.metrics[0]!);
  });

  it('more steps than the budget: bounded, still adding up (150 steps → 50 points of 3)', async () => {
    const r = await solo(config({ epochs: 1, batchSize: 8 }), blobs({ train: 1200, test: 64, classes: 4 }));
    const c = r.curves[0]!;
    expect(c.steps).toBe(150);
    expect(c.points.length).toBe(50);
    expect(c.points.every((p) => p.n === 3)).toBe(true);
    expectConsistent(c, r.metrics[0]!);
  });

  it('packed trials record the same curves as solo runs (host and device paths)', async () => {
    const configs = [config({ seed: 1 }), config({ seed: 2, lr: 0.01, clipNorm: null })];
    for (const forceOpsOptimizer of [false, true]) {
      const curves: EpochSteps[][] = configs.map(() => []);
      await trainPacked({
        model,
        data: small,
        forceOpsOptimizer,
        members: configs.map((c, k) => ({ config: c, hooks: { onEpoch: (_m, _t, s) => void curves[k]!.push(s) } })),
      });
      for (const [k, c] of configs.entries()) {
        const alone = await solo(c, small, forceOpsOptimizer);
        expect(curves[k]!.map((e) => e.points.length)).toEqual(alone.curves.map((e) => e.points.length));
        curves[k]!.forEach((e, i) => {
          expectConsistent(e, alone.metrics[i]!);
          e.points.forEach((p, j) => {
            expect(p.loss).toBeCloseTo(alone.curves[i]!.points[j]!.loss, 4);
            expect(p.gradNorm).toBeCloseTo(alone.curves[i]!.points[j]!.gradNorm, 3);
          });
        });
      }
    }
  });
});
