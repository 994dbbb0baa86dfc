/**
 * The TF.js model export, end to end: a real (tiny, one-epoch) training by the engine writes its
 * checkpoint; the export turns it into model.json + weights.bin; tfjs-layers' loadLayersModel
 * loads them; and the loaded model's predictions equal the engine's own eval-mode forward pass on
 * the same images. The model uses every layer type, BatchNorm (whose running statistics and
 * momentum convention are the easy things to get wrong) and multi-channel images (which pin the
 * flatten order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { train } from '../../electron/engine/train';
import { readCheckpoint } from '../../electron/engine/checkpoint';
import { Network } from '../../electron/engine/model';
import { Rng } from '../../electron/engine/rng';
import type { TrainingData } from '../../electron/engine/data';
import { exportModel, runCheckpointDir } from '../../electron/exports';
import { ModelExportRequest } from '../../shared/contract';
import { ModelSpec, TrainConfig } from '../../shared/domain';
import { openStore, type Store } from '../../electron/store';
import { allLayersModel, datasetRecord, tempDir } from '../support/fixtures';

const SHAPE: [number, number, number] = [4, 5, 2];
const FEATURES = 40;
const CLASSES = 3;

/** Images whose brightness pattern depends on the class, so one epoch moves the weights somewhere. */
function split(count: number, seed: number) {
  const rng = Rng.seeded(seed, 9);
  const images = new Uint8Array(count * FEATURES);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % CLASSES;
    labels[i] = label;
    for (let f = 0; f < FEATURES; f++) images[i * FEATURES + f] = Math.min(255, (rng.nextU32() % 120) + (f % CLASSES === label ? 120 : 0));
  }
  return { images, labels, count };
}

const model = allLayersModel(CLASSES);

describe('TF.js model export', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let runId: string;
  const data: TrainingData = { shape: SHAPE, numClasses: CLASSES, train: split(96, 1), test: split(30, 2) };

  beforeAll(async () => {
    dir = tempDir();
    store = openStore(dir.path);
    const dataset = datasetRecord({ shape: SHAPE, numClasses: CLASSES, classNames: ['a', 'b', 'c'], counts: { train: 96, test: 30 }, classCounts: { train: [32, 32, 32], test: [10, 10, 10] } });
    store.datasets.insert(dataset);
    const config = TrainConfig.parse({ lr: 0.01, epochs: 1, batchSize: 16, clipNorm: 1, seed: 3, backend: 'cpu' });
    const run = store.runs.create({ name: 'tiny all-layers', datasetId: dataset.id, model, config });
    runId = run.id;
    const result = await train({ model, config, data, checkpointDir: runCheckpointDir(dir.path, run.id) });
    expect(result.status).toBe('completed');
    for (const e of result.epochs) store.runs.addEpoch(run.id, e);
  });
  afterAll(() => {
    store.close();
    dir.remove();
  });

  it('loads with tf.loadLayersModel and predicts what the engine predicts', async () => {
    const out = join(dir.path, 'export');
    const result = exportModel({ store, dataDir: dir.path }, ModelExportRequest.parse({ runId, dir: out }), '1.0.0');
    expect(result).toMatchObject({ dir: out, epoch: 1 });
    expect(result.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin']);

    // What tfjs-node's file:// handler does: model.json, then the weight files it names.
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const weightSpecs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
    const bin = readFileSync(join(out, json.weightsManifest[0].paths[0]));
    const loaded = await tfl.loadLayersModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
        format: json.format,
        generatedBy: json.generatedBy,
        userDefinedMetadata: json.userDefinedMetadata,
      }),
    });
    expect(loaded.inputs[0]!.shape).toEqual([null, ...SHAPE]);
    expect(loaded.countParams()).toBe(json.userDefinedMetadata.sweeplab.parameters + 2 * 24); // + BatchNorm's moving statistics

    // The engine's network with the checkpoint's weights, in eval mode.
    const checkpoint = readCheckpoint(runCheckpointDir(dir.path, runId))!;
    const net = new Network(model, SHAPE, CLASSES, Rng.seeded(0, 1));
    checkpoint.params.forEach((p, i) => net.setParam(i, tf.tensor(p.values, p.shape)));
    checkpoint.buffers.forEach((b, i) => net.setBuffer(i, tf.tensor(b.values, b.shape)));
    // The running statistics moved away from their initial 0 / 1 in training: the test means something.
    expect(Math.max(...checkpoint.buffers[0]!.values.map(Math.abs))).toBeGreaterThan(0.01);

    const x = Float32Array.from(data.test.images, (v) => v / 255);
    const engine = tf.tidy(() => net.forward(tf.tensor2d(x, [data.test.count, FEATURES]), { training: false }).arraySync()) as number[][];
    const exported = tf.tidy(() => (loaded.predict(tf.tensor4d(x, [data.test.count, ...SHAPE])) as tf.Tensor).arraySync()) as number[][];
    let maxDiff = 0;
    engine.forEach((row, i) => row.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - exported[i]![j]!)))));
    expect(maxDiff).toBeLessThan(1e-5);
    const argmax = (rows: number[][]) => rows.map((r) => r.indexOf(Math.max(...r)));
    expect(argmax(exported)).toEqual(argmax(engine));
    net.dispose();
    loaded.dispose();
  });

  it('writes the BatchNorm momentum in Keras convention and refuses to overwrite without asking', () => {
    const out = join(dir.path, 'export');
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const bn = json.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'BatchNormalization');
    expect(bn.config).toMatchObject({ momentum: 0.7, epsilon: 1e-5 });
    expect(() => exportModel({ store, dataDir: dir.path }, ModelExportRequest.parse({ runId, dir: out }), '1')).toThrow(/already holds model\.json, weights\.bin/);
    const again = exportModel({ store, dataDir: dir.path }, ModelExportRequest.parse({ runId, dir: out, overwrite: true }), '1');
    expect(again.files[1]!.bytes).toBe(readFileSync(join(out, 'weights.bin')).length);
  });

  it('exports the model as PyTorch code, and returns base64 files when no folder is given', () => {
    const result = exportModel({ store, dataDir: dir.path }, ModelExportRequest.parse({ runId, format: 'pytorch' }), '1');
    expect(result.dir).toBeNull();
    const code = Buffer.from(result.files[0]!.base64!, 'base64').toString('utf8');
    expect(result.files[0]!.name).toBe('model.py');
    expect(code).toContain('nn.Linear(40, 24)');
    expect(code).toContain('nn.BatchNorm1d(24');
    expect(code).toContain('nn.GELU()');
    expect(code).toContain('[batch, 4, 5, 2]');
  });

  it('says why when a run has no weights', () => {
    const other = store.runs.create({ name: 'never trained', datasetId: store.runs.get(runId)!.datasetId, model, config: TrainConfig.parse({ lr: 0.1 }) });
    expect(() => exportModel({ store, dataDir: dir.path }, ModelExportRequest.parse({ runId: other.id }), '1')).toThrow(/has not finished an epoch/);
  });
});
