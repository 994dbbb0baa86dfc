/**
 * Trained weights for PyTorch: a run trained by the engine on real Fashion-MNIST images is exported
 * as model.py + model.safetensors; Debian's PyTorch runs model.py as it is (it builds the
 * nn.Sequential and load_state_dict's the file strictly, so every name, shape and dtype must be
 * PyTorch's own) and predicts the same logits as the engine's eval-mode forward pass on a batch of
 * real test images. A multi-channel model with every layer type pins the flatten order.
 *
 * Skipped, with the reason printed, where /usr/bin/python3 has no torch (python3-torch) or the
 * Fashion-MNIST package is absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { train } from '../../electron/engine/train';
import { readCheckpoint } from '../../electron/engine/checkpoint';
import { Network } from '../../electron/engine/model';
import { Rng } from '../../electron/engine/rng';
import type { TrainingData } from '../../electron/engine/data';
import { readIdx } from '../../electron/datasets/idx';
import { exportModel, runCheckpointDir } from '../../electron/exports';
import { encodeSafetensors } from '../../electron/exports/safetensors';
import { ModelExportRequest } from '../../shared/contract';
import { ModelSpec, TrainConfig } from '../../shared/domain';
import { presetModel } from '../../shared/models';
import { openStore, type Store } from '../../electron/store';
import { allLayersModel, datasetRecord, tempDir } from '../support/fixtures';

const PYTHON = '/usr/bin/python3';
const FASHION = '/usr/share/datasets/fashion-mnist';
const probe = existsSync(PYTHON) ? spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }) : null;
const torchMissing = !probe ? `${PYTHON} is absent` : probe.status !== 0 ? `${PYTHON} cannot import torch (apt install python3-torch)` : null;
const dataMissing = existsSync(join(FASHION, 't10k-images-idx3-ubyte.gz')) ? null : `${FASHION} is absent (apt install dataset-fashion-mnist)`;
const skip = torchMissing ?? dataMissing;
if (skip) console.warn(`Skipping the PyTorch weight-export tests: ${skip}`);

/** Runs the exported model.py in PyTorch on float32 images [n, ...shape] and returns its logits. */
function pytorchLogits(dir: string, images: Float32Array, shape: number[], classes: number): Float32Array {
  const input = join(dir, 'input.f32');
  const output = join(dir, 'output.f32');
  writeFileSync(input, Buffer.from(images.buffer, images.byteOffset, images.byteLength));
  const script = [
    'import runpy, sys, torch',
    'torch.set_num_threads(1)',
    `ns = runpy.run_path(${JSON.stringify(join(dir, 'model.py'))})`,
    'model = ns["model"]',
    'assert not model.training',
    `x = torch.frombuffer(bytearray(open(${JSON.stringify(input)}, "rb").read()), dtype=torch.float32).reshape(-1, ${shape.join(', ')})`,
    'with torch.no_grad():',
    '    y = model(x)',
    `assert y.shape[1] == ${classes}, y.shape`,
    `open(${JSON.stringify(output)}, "wb").write(y.contiguous().numpy().astype("<f4").tobytes())`,
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`PyTorch failed: ${run.stderr || run.stdout}`);
  const bytes = readFileSync(output);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** The engine's eval-mode logits from the run's checkpoint. */
function engineLogits(model: ModelSpec, shape: [number, number, number], classes: number, checkpointDir: string, images: Float32Array): Float32Array {
  const checkpoint = readCheckpoint(checkpointDir)!;
  const net = new Network(model, shape, classes, Rng.seeded(0, 1));
  checkpoint.params.forEach((p, i) => net.setParam(i, tf.tensor(p.values, p.shape)));
  checkpoint.buffers.forEach((b, i) => net.setBuffer(i, tf.tensor(b.values, b.shape)));
  const features = shape[0] * shape[1] * shape[2];
  const out = tf.tidy(() => net.forward(tf.tensor2d(images, [images.length / features, features]), { training: false }).dataSync() as Float32Array);
  net.dispose();
  return Float32Array.from(out);
}

function compare(engine: Float32Array, torch: Float32Array, classes: number) {
  expect(torch.length).toBe(engine.length);
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < engine.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(engine[i]! - torch[i]!));
    maxAbs = Math.max(maxAbs, Math.abs(engine[i]!));
  }
  const argmax = (v: Float32Array) => Array.from({ length: v.length / classes }, (_, r) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (v[r * classes + c]! > v[r * classes + best]!) best = c;
    return best;
  });
  const a = argmax(engine);
  const b = argmax(torch);
  const agree = a.filter((x, i) => x === b[i]).length;
  return { maxDiff, maxAbs, agree, total: a.length };
}

describe('safetensors encoding', () => {
  it('writes the 8-byte header size, an 8-byte-aligned JSON header and the tensors in order', () => {
    const f = Buffer.alloc(8);
    f.writeFloatLE(1.5, 0);
    f.writeFloatLE(-2, 4);
    const i = Buffer.alloc(8);
    i.writeBigInt64LE(7n);
    const file = encodeSafetensors(
      [
        { name: '1.weight', dtype: 'F32', shape: [1, 2], data: f },
        { name: '2.num_batches_tracked', dtype: 'I64', shape: [], data: i },
      ],
      { format: 'pt' },
    );
    const size = Number(file.readBigUInt64LE(0));
    expect(size % 8).toBe(0);
    const header = JSON.parse(file.subarray(8, 8 + size).toString('utf8'));
    expect(header).toEqual({
      __metadata__: { format: 'pt' },
      '1.weight': { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] },
      '2.num_batches_tracked': { dtype: 'I64', shape: [], data_offsets: [8, 16] },
    });
    expect(file.length).toBe(8 + size + 16);
    expect(file.readFloatLE(8 + size + 4)).toBe(-2);
    expect(file.readBigInt64LE(8 + size + 8)).toBe(7n);
    expect(() => encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [3], data: f }])).toThrow(/8 bytes for shape \[3\]/);
  });
});

describe.skipIf(skip !== null)('PyTorch weight export, loaded by PyTorch', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  beforeAll(() => {
    dir = tempDir();
    store = openStore(dir.path);
  });
  afterAll(() => {
    store.close();
    dir.remove();
  });

  async function trainAndExport(model: ModelSpec, data: TrainingData, config: TrainConfig, name: string) {
    const dataset = datasetRecord({
      shape: data.shape,
      numClasses: data.numClasses,
      classNames: Array.from({ length: data.numClasses }, (_, c) => `c${c}`),
      counts: { train: data.train.count, test: data.test.count },
      classCounts: { train: Array(data.numClasses).fill(0), test: Array(data.numClasses).fill(0) },
    });
    store.datasets.insert(dataset);
    const run = store.runs.create({ name, datasetId: dataset.id, model, config });
    const result = await train({ model, config, data, checkpointDir: runCheckpointDir(dir.path, run.id) });
    expect(result.status).toBe('completed');
    for (const e of result.epochs) store.runs.addEpoch(run.id, e);
    const out = join(dir.path, `export-${run.id}`);
    const exported = exportModel({ store, dataDir: dir.path }, ModelExportRequest.parse({ runId: run.id, format: 'pytorch', dir: out }), '1.0.0');
    expect(exported.files.map((f) => f.name)).toEqual(['model.py', 'model.safetensors']);
    expect(exported.epoch).toBe(config.epochs);
    return { out, checkpointDir: runCheckpointDir(dir.path, run.id) };
  }

  it('gives the same predictions as the engine on real Fashion-MNIST images (preset both: BatchNorm + dropout)', async () => {
    const images = await readIdx(join(FASHION, 't10k-images-idx3-ubyte.gz'));
    const labels = await readIdx(join(FASHION, 't10k-labels-idx1-ubyte.gz'));
    const px = 28 * 28;
    const split = (from: number, count: number) => ({
      images: images.data.subarray(from * px, (from + count) * px),
      labels: labels.data.subarray(from, from + count),
      count,
    });
    const data: TrainingData = { shape: [28, 28, 1], numClasses: 10, train: split(0, 1024), test: split(1024, 256) };
    const model = presetModel('both');
    const config = TrainConfig.parse({ lr: 0.001, epochs: 1, batchSize: 64, clipNorm: 1.5, seed: 5, backend: 'cpu', optimizer: 'adamw' });
    const { out, checkpointDir } = await trainAndExport(model, data, config, 'fashion both');

    const batch = Float32Array.from(images.data.subarray(2000 * px, 2200 * px), (v) => v / 255);
    const engine = engineLogits(model, [28, 28, 1], 10, checkpointDir, batch);
    const torch = pytorchLogits(out, batch, [28, 28, 1], 10);
    const { maxDiff, maxAbs, agree, total } = compare(engine, torch, 10);
    console.log(`PyTorch vs Sweeplab logits on 200 real images: max |diff| ${maxDiff.toExponential(2)} (logits up to ${maxAbs.toFixed(2)}), argmax agrees ${agree}/${total}`);
    expect(maxAbs).toBeGreaterThan(1); // trained: the logits are not all near zero
    expect(maxDiff).toBeLessThan(1e-4 * Math.max(1, maxAbs));
    expect(agree).toBe(total);

    // BatchNorm's step counter came along as PyTorch's int64 0-dim num_batches_tracked (16 steps of 64).
    const file = readFileSync(join(out, 'model.safetensors'));
    const size = Number(file.readBigUInt64LE(0));
    const header = JSON.parse(file.subarray(8, 8 + size).toString('utf8'));
    expect(header['2.num_batches_tracked']).toMatchObject({ dtype: 'I64', shape: [] });
    expect(file.readBigInt64LE(8 + size + header['2.num_batches_tracked'].data_offsets[0])).toBe(16n);
    expect(header['1.weight']).toMatchObject({ dtype: 'F32', shape: [256, 784] });
  }, 180_000);

  it('keeps the flatten order of multi-channel images and every layer type', async () => {
    const shape: [number, number, number] = [4, 5, 2];
    const features = 40;
    const make = (count: number, seed: number) => {
      const rng = Rng.seeded(seed, 9);
      const imgs = new Uint8Array(count * features);
      const labs = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        labs[i] = i % 3;
        for (let f = 0; f < features; f++) imgs[i * features + f] = Math.min(255, (rng.nextU32() % 120) + (f % 3 === labs[i] ? 120 : 0));
      }
      return { images: imgs, labels: labs, count };
    };
    const model = allLayersModel(3, { momentum: 0.3, eps: 1e-3 });
    const data: TrainingData = { shape, numClasses: 3, train: make(96, 1), test: make(30, 2) };
    const config = TrainConfig.parse({ lr: 0.01, epochs: 2, batchSize: 16, clipNorm: 1, seed: 3, backend: 'cpu' });
    const { out, checkpointDir } = await trainAndExport(model, data, config, 'all layers');
    const x = Float32Array.from(data.test.images, (v) => v / 255);
    const { maxDiff, agree, total } = compare(engineLogits(model, shape, 3, checkpointDir, x), pytorchLogits(out, x, shape, 3), 3);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(agree).toBe(total);
  }, 180_000);
});
