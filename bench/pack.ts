/**
 * Packing benchmark: the notebook's learning-rate sweep trained as one pack vs one trial after
 * another, on the same backend in the same process; trials per hour for each and the ratio.
 *
 *   npm run bench:pack -- [--quick] [--backends wasm,webgpu] [--rates 0.0005,…] [--seeds 3]
 *                         [--epochs 16] [--subset 10000] [--test 10000] [--pack 18]
 *
 * Defaults are the notebook's sweep: 6 rates × 3 seeds = 18 trials, 16 epochs on the first 10k
 * Fashion-MNIST training images (synthetic data of the same shape when the Debian package is
 * absent), the `both` model, clip 1.5, AdamW, batch 64, validation on the 10k test images.
 * --quick: the same 18 trials (the pack size is what the ratio depends on) for 1 epoch on 2000
 * training and 1000 test images: minutes instead of hours.
 * Backends: wasm, plus every other one named in --backends that loads here (webgpu where the
 * engine has it: asked for by name, so a software adapter such as Mesa's llvmpipe is used when
 * there is no GPU, and the line says so); a backend that cannot load is reported and skipped.
 * Each mode runs the same trials with the same seeds; the final validation accuracies of the two
 * are printed too (they agree to float rounding). On webgpu, shader compilation (once per kernel
 * shape, so once per mode) is timed apart and the rates are also given without it, as a long
 * sweep sees them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { readIdx } from '../electron/datasets/idx';
import { initBackend } from '../electron/engine/backend';
import type { TrainingData } from '../electron/engine/data';
import { trainPacked } from '../electron/engine/packedTrain';
import { deviceLine, train } from '../electron/engine/train';
import { compileMilliseconds, currentAdapter } from '../electron/engine/webgpu';
import { BackendName, TrainConfig } from '../shared/domain';
import { presetModel } from '../shared/models';
import { arg, FASHION } from './common';

const quick = process.argv.includes('--quick');
const rates = arg('rates', '0.0005,0.001,0.005,0.01,0.05,0.1').split(',').map(Number);
const seeds = Number(arg('seeds', '3'));
const epochs = Number(arg('epochs', quick ? '1' : '16'));
const subset = Number(arg('subset', quick ? '2000' : '10000'));
const testCount = Number(arg('test', quick ? '1000' : '10000'));
const backends = arg('backends', 'wasm,webgpu').split(',');
const trials = rates.flatMap((lr) => Array.from({ length: seeds }, (_, s) => ({ lr, seed: s })));
const packCap = Number(arg('pack', String(trials.length)));

async function loadData(): Promise<{ data: TrainingData; source: string }> {
  if (existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'))) {
    const [ti, tl, vi, vl] = await Promise.all(
      ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map((f) => readIdx(join(FASHION, f))),
    );
    const n = Math.min(testCount, vl!.dims[0]!);
    return {
      source: `Fashion-MNIST (${FASHION})`,
      data: {
        shape: [28, 28, 1],
        numClasses: 10,
        train: { images: ti!.data, labels: tl!.data, count: tl!.dims[0]! },
        test: { images: vi!.data.subarray(0, n * 784), labels: vl!.data.subarray(0, n), count: n },
      },
    };
  }
  let s = 1;
  const byte = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
  const split = (count: number) => ({ images: Uint8Array.from({ length: count * 784 }, byte), labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count });
  return { source: 'synthetic data of Fashion-MNIST’s shape', data: { shape: [28, 28, 1], numClasses: 10, train: split(Math.max(subset, 1000)), test: split(testCount) } };
}

async function main(): Promise<void> {
  const { data, source } = await loadData();
  const model = presetModel('both', 10);
  const config = (t: { lr: number; seed: number }, backend: BackendName) =>
    TrainConfig.parse({ lr: t.lr, seed: t.seed, clipNorm: 1.5, optimizer: 'adamw', batchSize: 64, epochs, subset: { size: subset, mode: 'first' }, backend });
  console.log(`packing benchmark: ${trials.length} trials (${rates.length} rates × ${seeds} seeds), ${epochs} epochs, ${subset} training images, ${data.test.count} test images, model both; ${source}`);
  for (const name of backends) {
    const backend = BackendName.safeParse(name);
    if (!backend.success) {
      console.log(`  ${name}: not a backend this engine has; skipped`);
      continue;
    }
    try {
      await initBackend(backend.data);
    } catch (error) {
      console.log(`  ${name}: cannot load here (${(error as Error).message.split('\n')[0]}); skipped`);
      continue;
    }
    const configs = trials.map((t) => config(t, backend.data));
    const adapter = currentAdapter();
    const where = backend.data === 'webgpu' && adapter ? `${deviceLine('webgpu')}${adapter.software ? ' — a CPU implementation of WebGPU, not a GPU' : ''}` : `tfjs ${tf.getBackend()}`;
    const c0 = compileMilliseconds();
    const t0 = performance.now();
    const solo: number[] = [];
    for (const c of configs) solo.push((await train({ model, config: c, data })).epochs.at(-1)?.valAcc ?? NaN);
    const t1 = performance.now();
    const c1 = compileMilliseconds();
    const packed: number[] = [];
    for (let i = 0; i < configs.length; i += packCap) {
      const results = await trainPacked({ model, data, members: configs.slice(i, i + packCap).map((c) => ({ config: c })) });
      packed.push(...results.map((r) => r.epochs.at(-1)?.valAcc ?? NaN));
    }
    const t2 = performance.now();
    const c2 = compileMilliseconds();
    const perHour = (ms: number) => (trials.length * 3_600_000) / ms;
    const [soloRate, packedRate] = [perHour(t1 - t0), perHour(t2 - t1)];
    const agree = Math.max(...solo.map((v, i) => Math.abs(v - packed[i]!)));
    console.log(`  ${name} (${where}):`);
    console.log(`    one at a time: ${((t1 - t0) / 1000).toFixed(1)} s = ${soloRate.toFixed(1)} trials/h`);
    console.log(`    packs of ≤ ${packCap}: ${((t2 - t1) / 1000).toFixed(1)} s = ${packedRate.toFixed(1)} trials/h`);
    console.log(`    packed / one at a time: ${(packedRate / soloRate).toFixed(2)}x the trials per hour; largest final val-acc difference ${agree.toExponential(1)}`);
    if (c2 > c0) {
      const [soloWarm, packedWarm] = [perHour(t1 - t0 - (c1 - c0)), perHour(t2 - t1 - (c2 - c1))];
      console.log(
        `    without shader compilation (${((c1 - c0) / 1000).toFixed(1)} s one at a time, ${((c2 - c1) / 1000).toFixed(1)} s packed): ` +
          `${soloWarm.toFixed(1)} vs ${packedWarm.toFixed(1)} trials/h = ${(packedWarm / soloWarm).toFixed(2)}x`,
      );
    }
    console.log(`    load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  }
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
