/**
 * Packed training against the solo engine: every preset, trials with different lr, clip norm and
 * seed, one of them diverging; a pack of one bit for bit; cancelling one trial; checkpoints that
 * resume alone. Prints the largest difference per metric (the figures quoted in docs/packing.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../electron/engine/backend';
import { readCheckpoint } from '../../electron/engine/checkpoint';
import { trainPacked } from '../../electron/engine/packedTrain';
import { packKey } from '../../shared/packing';
import { train, type TrainResult } from '../../electron/engine/train';
import { ModelSpec, PresetName, TrainConfig, type EpochMetrics, type TrainConfigInput } from '../../shared/domain';
import { presetModel } from '../../shared/models';
import { blobs } from './helpers';

const data = blobs({ train: 192, test: 96, classes: 4 });
const config = (over: Partial<TrainConfigInput>) => TrainConfig.parse({ epochs: 2, batchSize: 32, backend: 'wasm', ...over });
/** Three ordinary trials and one that diverges: decoupled decay of lr·wd = 1000 flips and grows every weight ×999 a step. */
const TRIALS: Partial<TrainConfigInput>[] = [
  { lr: 0.01, clipNorm: 1, seed: 1 },
  { lr: 0.001, clipNorm: null, seed: 2 },
  { lr: 100, weightDecay: 10, clipNorm: null, seed: 3 },
  { lr: 0.005, clipNorm: 0.5, seed: 1 },
];
const METRICS = ['loss', 'trainAcc', 'valAcc', 'valLoss', 'gradNormMean', 'gradNormMax', 'clippedFraction'] as const;
const noTime = (m: EpochMetrics[]) => m.map(({ seconds: _s, ...rest }) => rest);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sweeplab-packed-'));
  dirs.push(d);
  return d;
};

/** Largest |packed − solo| per metric over every epoch of every trial; statuses and errors must match exactly. */
function compare(solo: TrainResult[], packed: TrainResult[]): Record<string, number> {
  const worst: Record<string, number> = Object.fromEntries(METRICS.map((m) => [m, 0]));
  solo.forEach((s, k) => {
    const p = packed[k]!;
    expect({ status: p.status, error: p.error, lastEpoch: p.lastEpoch }).toEqual({ status: s.status, error: s.error, lastEpoch: s.lastEpoch });
    expect(p.epochs.map((e) => e.epoch)).toEqual(s.epochs.map((e) => e.epoch));
    s.epochs.forEach((e, i) => {
      for (const m of METRICS) worst[m] = Math.max(worst[m]!, Math.abs(e[m] - p.epochs[i]![m]));
    });
  });
  return worst;
}

/** Float tolerance: relative 1e-3 on losses and norms; accuracies within one sample. */
function expectClose(solo: TrainResult[], packed: TrainResult[]): void {
  solo.forEach((s, k) =>
    s.epochs.forEach((e, i) => {
      const p = packed[k]!.epochs[i]!;
      for (const m of ['loss', 'valLoss', 'gradNormMean', 'gradNormMax'] as const) expect(Math.abs(p[m] - e[m])).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(e[m])));
      expect(Math.abs(p.trainAcc - e.trainAcc)).toBeLessThanOrEqual(1 / data.train.count + 1e-9);
      expect(Math.abs(p.valAcc - e.valAcc)).toBeLessThanOrEqual(1 / data.test.count + 1e-9);
      expect(p.clippedFraction).toBeCloseTo(e.clippedFraction, 9);
    }),
  );
}

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('packed training equals solo training', () => {
  const table: string[] = [];
  const opsTable: string[] = [];
  afterAll(() => console.log(`largest |packed − solo| per metric (wasm, 4 trials × 2 epochs):\n${table.join('\n')}\nbatched matMuls (the GPU path), preset both:\n${opsTable.join('\n')}`));

  for (const preset of PresetName.options) {
    it(`preset ${preset}: same statuses, errors and metrics per trial; the diverging trial leaves, the others go on`, async () => {
      const model = presetModel(preset, 4);
      const configs = TRIALS.map(config);
      const solo: TrainResult[] = [];
      for (const c of configs) solo.push(await train({ model, config: c, data }));
      expect(solo.map((r) => r.status)).toEqual(['completed', 'completed', 'diverged', 'completed']);
      const packed = await trainPacked({ model, data, members: configs.map((c) => ({ config: c })) });
      const worst = compare(solo, packed);
      expectClose(solo, packed);
      // On wasm the pack runs the solo engine's own 2-D matMuls per trial: the same bits.
      packed.forEach((p, k) => expect(noTime(p.epochs)).toEqual(noTime(solo[k]!.epochs)));
      table.push(`${preset.padEnd(6)} ${METRICS.map((m) => `${m} ${worst[m]!.toExponential(1)}`).join('  ')}`);
    });
  }

  it('a pack of one is bit-identical to the solo engine (wasm, fused optimizer: what CPU sweeps run)', async () => {
    for (const preset of ['both', 'five'] as const) {
      const model = presetModel(preset, 4);
      const c = config({ lr: 0.01, clipNorm: 1, seed: 5, epochs: 2 });
      const solo = await train({ model, config: c, data });
      const [packed] = await trainPacked({ model, data, members: [{ config: c }] });
      expect(noTime(packed!.epochs)).toEqual(noTime(solo.epochs));
    }
  });

  it('a pack of one on the tfjs-ops path (GPU backends) matches solo within float rounding', async () => {
    // Not bit for bit: the pack sums the squared gradients pairwise (GPU-safe) where the solo path uses one addN.
    const model = presetModel('both', 4);
    const c = config({ lr: 0.01, clipNorm: 1, seed: 5, epochs: 2 });
    const solo = await train({ model, config: c, data, forceOpsOptimizer: true });
    const packed = await trainPacked({ model, data, members: [{ config: c }], forceOpsOptimizer: true });
    compare([solo], packed);
    expectClose([solo], packed);
  });

  it('tfjs-ops path (as on a GPU: batched matMuls): several trials match solo within float tolerance', async () => {
    const model = presetModel('both', 4);
    const configs = TRIALS.map(config);
    const solo: TrainResult[] = [];
    for (const c of configs) solo.push(await train({ model, config: c, data, forceOpsOptimizer: true }));
    const packed = await trainPacked({ model, data, members: configs.map((c) => ({ config: c })), forceOpsOptimizer: true });
    const worst = compare(solo, packed);
    expectClose(solo, packed);
    opsTable.push(`both   ${METRICS.map((m) => `${m} ${worst[m]!.toExponential(1)}`).join('  ')}`);
    // The batched kernel sums in another order: not bit for bit (the tolerance above is what holds).
    expect(METRICS.some((m) => worst[m]! > 0)).toBe(true);
  });
});

describe('packed trials stay separate', () => {
  const model = ModelSpec.parse({
    layers: [{ type: 'flatten' }, { type: 'linear', units: 16 }, { type: 'batchnorm1d' }, { type: 'relu' }, { type: 'dropout', p: 0.3 }, { type: 'linear', units: 4 }],
  });

  it('cancelling one trial mid-epoch leaves the others training to the end, as if alone', async () => {
    const configs = [config({ lr: 0.01, seed: 1, epochs: 3 }), config({ lr: 0.02, seed: 2, epochs: 3 }), config({ lr: 0.005, seed: 3, epochs: 3 })];
    let steps = 0;
    const seen: number[][] = [[], [], []];
    const packed = await trainPacked({
      model,
      data,
      hooks: { onStep: () => void steps++ },
      members: configs.map((c, k) => ({
        config: c,
        hooks: { shouldStop: () => k === 1 && steps >= 8, onEpoch: (m) => void seen[k]!.push(m.epoch) }, // 6 steps/epoch: stops in epoch 2
      })),
    });
    expect(packed.map((r) => r.status)).toEqual(['completed', 'cancelled', 'completed']);
    expect(seen).toEqual([[1, 2, 3], [1], [1, 2, 3]]);
    const alone = await train({ model, config: configs[2]!, data });
    compare([alone], [packed[2]!]);
    expectClose([alone], [packed[2]!]);
  });

  it('per-trial checkpoints in the solo format: a packed trial resumes alone and another in a new pack', async () => {
    const configs = [config({ lr: 0.01, seed: 1, epochs: 3 }), config({ lr: 0.003, clipNorm: 0.5, seed: 2, epochs: 3 })];
    const dirA = tmp();
    const dirB = tmp();
    let steps = 0;
    const first = await trainPacked({
      model,
      data,
      hooks: { onStep: () => void steps++ },
      members: configs.map((c, k) => ({ config: c, checkpointDir: [dirA, dirB][k], hooks: { shouldStop: () => steps >= 8 } })),
    });
    expect(first.map((r) => [r.status, r.lastEpoch])).toEqual([['cancelled', 1], ['cancelled', 1]]);
    expect(readCheckpoint(dirA)!.epoch).toBe(1);
    expect(readCheckpoint(dirB)!.optimizer.step).toBe(6);
    // Trial A goes on alone with the solo engine; trial B in a pack of one.
    const restA = await train({ model, config: configs[0]!, data, checkpointDir: dirA, resume: true });
    const [restB] = await trainPacked({ model, data, members: [{ config: configs[1]!, checkpointDir: dirB, resume: true }] });
    expect(restA.epochs.map((e) => e.epoch)).toEqual([2, 3]);
    expect(restB!.epochs.map((e) => e.epoch)).toEqual([2, 3]);
    const soloB = await train({ model, config: configs[1]!, data });
    const joinedB = { ...restB!, epochs: [...first[1]!.epochs, ...restB!.epochs] };
    compare([soloB], [joinedB]);
    expectClose([soloB], [joinedB]);
    expect(readCheckpoint(dirA)!.history.map((e) => e.epoch)).toEqual([1, 2, 3]);
  });

  it('trials resumed from different epochs train as consecutive packs', async () => {
    const configs = [config({ lr: 0.01, seed: 1, epochs: 2 }), config({ lr: 0.02, seed: 2, epochs: 2 })];
    const dirA = tmp();
    await train({ model, config: { ...configs[0]!, epochs: 1 }, data, checkpointDir: dirA }).catch(() => undefined);
    // A one-epoch run has another fingerprint only through `epochs`, which the fingerprint ignores.
    const results = await trainPacked({ model, data, members: [{ config: configs[0]!, checkpointDir: dirA, resume: true }, { config: configs[1]! }] });
    expect(results.map((r) => r.epochs.map((e) => e.epoch))).toEqual([[2], [1, 2]]);
  });

  it('refuses trials that cannot share a pack', async () => {
    await expect(trainPacked({ model, data, members: [{ config: config({ lr: 0.01 }) }, { config: config({ lr: 0.01, batchSize: 16 }) }] })).rejects.toThrow(/must share/);
    expect(packKey(model, config({ lr: 0.1, seed: 4, clipNorm: 2 }))).toBe(packKey(model, config({ lr: 0.01, seed: 9, clipNorm: null })));
  });
});
