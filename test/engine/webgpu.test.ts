/**
 * The webgpu backend against wasm, on whatever WebGPU adapter this machine has: in CI a software
 * one (Mesa's llvmpipe through Vulkan, installed by scripts/ci/install-debian.sh), which 'auto'
 * never picks but an explicit 'webgpu' does. Skipped, with the reason, where Dawn finds no adapter.
 *
 * Same seed, same data: every preset's losses, gradient norms, accuracies and final weights agree
 * with wasm to float tolerance; so do the optimizers with and without clipping; a checkpoint
 * resumes; an explosion is caught as divergence; the gradient norm over many tensors is right (the
 * addN trap); and a real WebGPU error ends the trial with its message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { initBackend } from '../../electron/engine/backend';
import { readCheckpoint } from '../../electron/engine/checkpoint';
import { train, type TrainResult } from '../../electron/engine/train';
import { sumPairwise } from '../../electron/engine/sum';
import { adapterLine, compileMilliseconds, injectGpuErrorForTests, probeAdapter } from '../../electron/engine/webgpu';
import { TrainConfig, type ModelSpec, type PresetName, type TrainConfigInput } from '../../shared/domain';
import { PRESET_NAMES, presetModel } from '../../shared/models';
import { tempDir } from '../support/fixtures';
import { blobs } from './helpers';

const probe = await probeAdapter();
const skip = typeof probe === 'string' ? probe : null;
if (typeof probe === 'string') console.warn(`Skipping the WebGPU engine tests: ${probe}`);
else console.log(`WebGPU adapter: ${adapterLine(probe)}`);

// 28×28 like the presets' data; 3 batches of 64 and 96 validation samples keep shader work small.
const data = blobs({ train: 192, test: 96, h: 28, w: 28, classes: 10, seed: 3 });

describe.skipIf(skip !== null)('webgpu backend vs wasm', () => {
  let dir: ReturnType<typeof tempDir>;
  let n = 0;
  beforeAll(() => {
    dir = tempDir('sweeplab-webgpu-');
  });
  afterAll(() => dir.remove());

  async function run(model: ModelSpec, input: TrainConfigInput, backend: 'webgpu' | 'wasm', extra: { resume?: string } = {}) {
    await initBackend(backend);
    const config = TrainConfig.parse({ batchSize: 64, seed: 11, validation: { split: 'test' }, ...input, backend });
    const checkpointDir = extra.resume ?? join(dir.path, `run-${n++}`);
    const result = await train({ model, config, data, checkpointDir, resume: extra.resume !== undefined });
    return { result, checkpoint: readCheckpoint(checkpointDir) };
  }

  function expectClose(model: ModelSpec, lr: number, adaptive: boolean, gpu: { result: TrainResult; checkpoint: ReturnType<typeof readCheckpoint> }, cpu: typeof gpu, label: string) {
    expect(gpu.result.status, label).toBe(cpu.result.status);
    expect(gpu.result.backend).toBe('webgpu');
    expect(gpu.result.epochs.length).toBe(cpu.result.epochs.length);
    gpu.result.epochs.forEach((g, i) => {
      const c = cpu.result.epochs[i]!;
      for (const key of ['loss', 'valLoss', 'gradNormMean', 'gradNormMax'] as const) {
        expect(Math.abs(g[key] - c[key]), `${label} epoch ${g.epoch} ${key}: ${g[key]} vs ${c[key]}`).toBeLessThan(2e-4 * Math.max(1, Math.abs(c[key])));
      }
      // Accuracies may differ by a sample whose two top logits tie to float precision.
      expect(Math.abs(g.valAcc - c.valAcc), `${label} valAcc`).toBeLessThanOrEqual(2 / data.test.count);
      expect(Math.abs(g.trainAcc - c.trainAcc), `${label} trainAcc`).toBeLessThanOrEqual(2 / data.train.count);
      expect(g.clippedFraction).toBe(c.clippedFraction);
    });
    let maxDiff = 0;
    let far = 0;
    let total = 0;
    const compare = (a: Float32Array, b: Float32Array) =>
      a.forEach((v, j) => {
        const d = Math.abs(v - b[j]!);
        maxDiff = Math.max(maxDiff, d);
        total += 1;
        if (d > 1e-4) far += 1;
      });
    // A Linear bias right before BatchNorm has a gradient that is exactly zero in exact arithmetic
    // (BatchNorm subtracts the batch mean), so what each backend computes for it is rounding noise,
    // which Adam divides by its own square root: such a bias wanders by up to lr per step on any
    // device (PyTorch's too). It is held to that bound; every other weight to float tolerance.
    const noiseOnly = new Set(model.layers.flatMap((l, i) => (l.type === 'linear' && model.layers[i + 1]?.type === 'batchnorm1d' ? [`${i}.bias`] : [])));
    gpu.checkpoint!.params.forEach((p, i) => {
      const other = cpu.checkpoint!.params[i]!.values;
      if (!noiseOnly.has(p.name)) return compare(p.values, other);
      const steps = Math.ceil(data.train.count / 64) * gpu.result.epochs.length;
      p.values.forEach((v, j) => expect(Math.abs(v - other[j]!)).toBeLessThanOrEqual(2 * lr * steps + 1e-6));
    });
    gpu.checkpoint!.buffers.forEach((b, i) => compare(b.values, cpu.checkpoint!.buffers[i]!.values));
    console.log(`${label}: weights differ by up to ${maxDiff.toExponential(2)}; ${far} of ${total} by more than 1e-4`);
    if (adaptive) {
      // Adam's step is lr·m/(√v + ε): for weights whose gradients are tiny (units a ReLU rarely
      // opens) it divides float noise by float noise, so a few weights drift apart by a fraction
      // of lr per step on any two implementations. The bulk must agree; none may drift far.
      const steps = Math.ceil(data.train.count / 64) * gpu.result.epochs.length;
      expect(far / total, `${label}: share of weights off by more than 1e-4`).toBeLessThan(0.01);
      expect(maxDiff, `${label}: largest weight difference`).toBeLessThan(0.25 * lr * steps);
    } else {
      expect(maxDiff, `${label}: largest weight difference`).toBeLessThan(1e-5);
    }
    return maxDiff;
  }

  it.each(PRESET_NAMES.map((p) => [p]))('preset %s trains like wasm (losses, norms, weights)', async (preset) => {
    const model = presetModel(preset as PresetName);
    const cfg = { lr: 0.01, clipNorm: 1, epochs: 1, optimizer: 'adamw' as const };
    const gpu = await run(model, cfg, 'webgpu');
    const cpu = await run(model, cfg, 'wasm');
    const diff = expectClose(model, cfg.lr, true, gpu, cpu, preset);
    console.log(`${preset}: largest weight difference webgpu vs wasm ${diff.toExponential(2)}`);
  }, 120_000);

  it.each([
    ['sgd', null],
    ['momentum', 0.5],
    ['adam', 2],
    ['adamw', null],
  ] as const)('optimizer %s (clip %s) trains like wasm over two epochs, weight decay included', async (optimizer, clipNorm) => {
    const model = presetModel('both');
    const cfg = { lr: optimizer === 'sgd' || optimizer === 'momentum' ? 0.05 : 0.002, clipNorm, epochs: 2, optimizer, weightDecay: 0.01 };
    expectClose(model, cfg.lr, optimizer === 'adam' || optimizer === 'adamw', await run(model, cfg, 'webgpu'), await run(model, cfg, 'wasm'), `${optimizer}`);
  }, 120_000);

  it('resumes from a checkpoint to the same metrics as an uninterrupted run', async () => {
    const model = presetModel('both');
    const whole = await run(model, { lr: 0.005, clipNorm: 1.5, epochs: 2 }, 'webgpu');
    const first = await run(model, { lr: 0.005, clipNorm: 1.5, epochs: 1 }, 'webgpu');
    const resumeDir = join(dir.path, `run-${n - 1}`);
    const rest = await run(model, { lr: 0.005, clipNorm: 1.5, epochs: 2 }, 'webgpu', { resume: resumeDir });
    expect(first.result.epochs).toHaveLength(1);
    expect(rest.result.epochs.map((e) => e.epoch)).toEqual([2]);
    const a = whole.result.epochs[1]!;
    const b = rest.result.epochs[0]!;
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    expect(Math.abs(a.valLoss - b.valLoss)).toBeLessThan(1e-5);
  }, 120_000);

  it('stops an explosion as diverged, as on wasm', async () => {
    const model = presetModel('plain');
    const cfg = { lr: 50, clipNorm: null, epochs: 2, optimizer: 'sgd' as const };
    const gpu = await run(model, cfg, 'webgpu');
    const cpu = await run(model, cfg, 'wasm');
    expect(gpu.result.status).toBe('diverged');
    expect(cpu.result.status).toBe('diverged');
    expect(gpu.result.lastEpoch).toBe(cpu.result.lastEpoch);
  }, 120_000);

  it('sums a long list of tensors right (tf.addN over > 7 inputs was the trap)', async () => {
    await initBackend('webgpu');
    const values = Array.from({ length: 20 }, (_, i) => Float32Array.from({ length: 50 }, (_, j) => Math.sin(i * 7 + j)));
    const expected = values.reduce((sum, v) => sum + v.reduce((s, x) => s + x * x, 0), 0);
    const got = tf.tidy(() => sumPairwise(values.map((v) => tf.sum(tf.square(tf.tensor1d(v))))));
    expect(Math.abs((await got.data())[0]! - expected)).toBeLessThan(1e-3);
    got.dispose();
  });

  it('counts shader compilation apart from training', () => {
    expect(compileMilliseconds()).toBeGreaterThan(0);
  });

  // Last: a fault is sticky for the device, as a lost GPU would be.
  it('ends the trial with the WebGPU error when one is raised mid-epoch', async () => {
    await initBackend('webgpu');
    const config = TrainConfig.parse({ lr: 0.01, clipNorm: 1, epochs: 1, batchSize: 64, seed: 1, backend: 'webgpu', validation: { split: 'test' } });
    const attempt = train({
      model: presetModel('plain'),
      config,
      data,
      hooks: { onStep: (_e, step) => step === 2 && injectGpuErrorForTests() },
    });
    await expect(attempt).rejects.toThrow(/WebGPU error: .*resume it from its last checkpoint/);
  }, 60_000);
});
