/** The training loop end to end on a small generated set (wasm backend, as the app runs it). */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../electron/engine/backend';
import { readCheckpoint } from '../../electron/engine/checkpoint';
import { train, type TrainOptions } from '../../electron/engine/train';
import { ModelSpec, TrainConfig, type EpochMetrics, type TrainConfigInput } from '../../shared/domain';
import { blobs } from './helpers';

const data = blobs({ train: 1200, test: 300, classes: 4 });
const model = ModelSpec.parse({
  layers: [{ type: 'flatten' }, { type: 'linear', units: 32 }, { type: 'batchnorm1d' }, { type: 'relu' }, { type: 'dropout', p: 0.3 }, { type: 'linear', units: 4 }],
});
const config = (over: Partial<TrainConfigInput> = {}) => TrainConfig.parse({ lr: 0.01, clipNorm: 1, epochs: 3, batchSize: 32, seed: 11, backend: 'wasm', ...over });
const noTime = (m: EpochMetrics[]) => m.map(({ seconds: _s, ...rest }) => rest);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sweeplab-train-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('train', () => {
  it('learns a small problem and reports complete, sane metrics', async () => {
    const seen: EpochMetrics[] = [];
    const r = await train({ model, config: config(), data, hooks: { onEpoch: (m) => void seen.push(m) } });
    expect(r.status).toBe('completed');
    expect(r.backend).toBe('wasm');
    expect(seen).toEqual(r.epochs);
    expect(r.epochs.map((m) => m.epoch)).toEqual([1, 2, 3]);
    const last = r.epochs.at(-1)!;
    expect(last.valAcc).toBeGreaterThan(0.9);
    expect(last.trainAcc).toBeGreaterThan(0.9);
    expect(last.loss).toBeLessThan(r.epochs[0]!.loss);
    expect(last.valLoss).toBeGreaterThan(0);
    for (const m of r.epochs) {
      expect(m.gradNormMax).toBeGreaterThanOrEqual(m.gradNormMean);
      expect(m.clippedFraction).toBeGreaterThanOrEqual(0);
      expect(m.clippedFraction).toBeLessThanOrEqual(1);
      expect(m.seconds).toBeGreaterThan(0);
    }
  });

  it('is deterministic: same seed → identical metrics; another seed differs', async () => {
    const a = await train({ model, config: config({ epochs: 2 }), data });
    const b = await train({ model, config: config({ epochs: 2 }), data });
    const c = await train({ model, config: config({ epochs: 2, seed: 12 }), data });
    expect(noTime(b.epochs)).toEqual(noTime(a.epochs));
    expect(noTime(c.epochs)).not.toEqual(noTime(a.epochs));
  });

  it('cancel mid-epoch, then resume from the checkpoint: same metrics as an uninterrupted run', async () => {
    const full = await train({ model, config: config({ epochs: 3 }), data });
    const dir = tmp();
    let steps = 0;
    const first = await train({
      model,
      config: config({ epochs: 3 }),
      data,
      checkpointDir: dir,
      hooks: { onStep: () => void steps++, shouldStop: () => steps >= 50 }, // 38 steps/epoch: stops in epoch 2
    });
    expect(first.status).toBe('cancelled');
    expect(first.lastEpoch).toBe(1);
    expect(readCheckpoint(dir)!.epoch).toBe(1);
    expect(readdirSync(dir)).toEqual(['checkpoint.bin']); // no temp files left behind
    const rest = await train({ model, config: config({ epochs: 3 }), data, checkpointDir: dir, resume: true });
    expect(rest.status).toBe('completed');
    expect(rest.epochs.map((m) => m.epoch)).toEqual([2, 3]);
    expect(noTime([...first.epochs, ...rest.epochs])).toEqual(noTime(full.epochs));
    expect(readCheckpoint(dir)!.history.map((m) => m.epoch)).toEqual([1, 2, 3]);
  });

  it('refuses to resume a checkpoint of another config', async () => {
    const dir = tmp();
    await train({ model, config: config({ epochs: 1 }), data, checkpointDir: dir });
    await expect(train({ model, config: config({ epochs: 2, lr: 0.02 }), data, checkpointDir: dir, resume: true })).rejects.toThrow(/different model or training config/);
  });

  it('subset, trainAccOn and an injected clock', async () => {
    let t = 0;
    const noisy = blobs({ train: 1200, test: 300, classes: 4, noise: 600, seed: 3 });
    const opts: TrainOptions = {
      model,
      config: config({ epochs: 1, subset: { size: 320, mode: 'random' }, trainAccOn: 'full' }),
      data: noisy,
      hooks: { now: () => (t += 250) },
    };
    const r = await train(opts);
    // 10 steps + eval: clock reads are deterministic, so seconds is too
    expect(r.epochs[0]!.seconds).toBeGreaterThan(0);
    const again = await train({ ...opts, hooks: { now: (() => { let u = 0; return () => (u += 250); })() } });
    expect(again.epochs[0]!.seconds).toBe(r.epochs[0]!.seconds);
    const trained = await train({ ...opts, config: config({ epochs: 1, subset: { size: 320, mode: 'random' }, trainAccOn: 'trained' }) });
    expect(trained.epochs[0]!.loss).toBe(r.epochs[0]!.loss);
    const [full, sub] = [r.epochs[0]!.trainAcc, trained.epochs[0]!.trainAcc];
    expect(sub).not.toBe(full);
    expect(Math.round(sub * 320) / 320).toBeCloseTo(sub, 12); // counted over the 320 trained samples
    expect(Math.round(full * 1200) / 1200).toBeCloseTo(full, 12);
  });

  it('ends as diverged, naming the epoch, when training blows up', async () => {
    // A chain of Linear layers is a polynomial in the weights: SGD at lr 10 overflows within steps.
    const chain = ModelSpec.parse({ layers: [{ type: 'flatten' }, { type: 'linear', units: 32 }, { type: 'linear', units: 32 }, { type: 'linear', units: 4 }] });
    const cfg = config({ optimizer: 'sgd', lr: 10, clipNorm: null, epochs: 3 });
    const fused = await train({ model: chain, config: cfg, data });
    expect(fused).toMatchObject({ status: 'diverged', lastEpoch: 0, epochs: [] });
    expect(fused.error).toMatch(/^epoch 1, step \d+: the gradient norm became NaN/);
    // the portable path finds it at the end of the epoch
    const ops = await train({ model: chain, config: cfg, data, forceOpsOptimizer: true });
    expect(ops.status).toBe('diverged');
    expect(ops.error).toMatch(/^epoch 1: /);
  });
});

describe('optimizer paths', () => {
  it('the fused optimizer and the portable tfjs-ops one train alike', async () => {
    const cfg = config({ epochs: 1 });
    const fused = await train({ model, config: cfg, data });
    const ops = await train({ model, config: cfg, data, forceOpsOptimizer: true });
    const [a, b] = [fused.epochs[0]!, ops.epochs[0]!];
    expect(b.loss).toBeCloseTo(a.loss, 3);
    expect(b.gradNormMean).toBeCloseTo(a.gradNormMean, 2);
    expect(b.clippedFraction).toBeCloseTo(a.clippedFraction, 1);
    expect(Math.abs(b.valAcc - a.valAcc)).toBeLessThan(0.02);
  });
});
