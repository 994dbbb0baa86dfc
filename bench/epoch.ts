/**
 * Epoch benchmark: Sweeplab's engine vs the PyTorch reference loop, same model and settings.
 *
 *   npm run bench -- [--epochs 1] [--backend auto|wasm|cpu|tensorflow|tensorflow-gpu] [--threads N]
 *
 * --threads is PyTorch's thread count (default: all CPUs, as the reference loop does). Ours is one thread:
 * tfjs-backend-wasm's multithreaded build is disabled in Node (tfjs issue #3830); forcing it takes a
 * patched init, and its pool is capped at logical cores / 2 (1 here). Measured on this machine with
 * 2 threads forced: no faster. Sweeps get their parallelism from one trainer process per core.
 *
 * The notebook's `both` model (BatchNorm + dropout), batch 64, AdamW lr 1e-3, clip 1.5, on the 60k
 * Fashion-MNIST training images from /usr/share/datasets/fashion-mnist (IDX .gz; a synthetic set of
 * the same shape when that folder is absent); train accuracy on the full 60k and validation on the
 * 10k test images, as the notebook did. Ours runs in a real trainer process (the product path);
 * the report gives seconds per epoch for training and evaluation, the trainer's peak RSS, and,
 * when /usr/bin/python3 has torch, the same figures for the PyTorch reference loop (--pytorch-loop) run in the
 * same invocation, and the ratio ours / PyTorch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIdx } from '../electron/datasets/idx';
import { writeStoredDataset } from '../electron/datasets/storage';
import { Rng } from '../electron/engine/rng';
import { nodeForkTrainer, startTrainer } from '../electron/trainer/host';
import { BackendChoice, TrainConfig, type Dataset, type EpochMetrics } from '../shared/domain';
import { presetModel } from '../shared/models';

import { arg, FASHION, PYTHON, SEED_LOOP } from './common';

const epochs = Number(arg('epochs', '1'));
const backend = BackendChoice.parse(arg('backend', 'auto'));
const threads = Number(arg('threads', String(cpus().length)));
if (!Number.isInteger(epochs) || epochs < 1) throw new Error('--epochs must be a positive integer');

interface Split {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

async function loadFashion(): Promise<{ train: Split; test: Split; real: boolean }> {
  if (existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'))) {
    const read = async (prefix: string) => {
      const [x, y] = await Promise.all([readIdx(join(FASHION, `${prefix}-images-idx3-ubyte.gz`)), readIdx(join(FASHION, `${prefix}-labels-idx1-ubyte.gz`))]);
      return { images: x.data, labels: y.data, count: y.data.length };
    };
    return { train: await read('train'), test: await read('t10k'), real: true };
  }
  // Same shape, random content: the timing is what matters then, not the accuracy.
  const rng = Rng.seeded(0, 0);
  const make = (count: number): Split => ({
    images: Uint8Array.from({ length: count * 784 }, () => rng.below(256)),
    labels: Uint8Array.from({ length: count }, () => rng.below(10)),
    count,
  });
  return { train: make(60000), test: make(10000), real: false };
}

function classCounts(labels: Uint8Array): number[] {
  const c = new Array<number>(10).fill(0);
  for (const l of labels) c[l]! += 1;
  return c;
}

interface EpochFigures {
  train_s: number;
  eval_s: number;
  loss: number;
  train_acc: number;
  val_acc: number;
}

async function runOurs(datasetDir: string, checkpointDir: string): Promise<{ epochs: EpochFigures[]; backend: string; maxRssBytes: number | null }> {
  const config = TrainConfig.parse({ optimizer: 'adamw', lr: 0.001, clipNorm: 1.5, batchSize: 64, epochs, seed: 0, trainAccOn: 'full', backend });
  const figures: EpochFigures[] = [];
  let used = '?';
  const handle = startTrainer(
    { runId: 'bench', model: presetModel('both', 10), config, datasetDir, checkpointDir, resume: false },
    {
      fork: nodeForkTrainer(),
      onMessage: (m) => {
        if (m.type === 'started') used = m.backend;
        if (m.type === 'log') console.log(`  [trainer ${m.level}] ${m.message}`);
        if (m.type === 'epoch') {
          const e: EpochMetrics = m.metrics;
          const f = { train_s: m.timing.trainSeconds, eval_s: m.timing.evalSeconds, loss: e.loss, train_acc: e.trainAcc, val_acc: e.valAcc };
          figures.push(f);
          console.log(`  ours    epoch ${e.epoch}: ${fmt(f)}`);
        }
      },
    },
  );
  const outcome = await handle.done;
  if (outcome.status !== 'completed') throw new Error(`our trainer ended ${outcome.status}: ${outcome.error}`);
  return { epochs: figures, backend: used, maxRssBytes: outcome.maxRssBytes };
}

function runPyTorch(threadCount: number): EpochFigures[] | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`  PyTorch: skipped (${PYTHON} has no torch)`);
    return null;
  }
  if (!SEED_LOOP || !existsSync(SEED_LOOP)) {
    console.log(`  PyTorch: skipped (${SEED_LOOP ? `${SEED_LOOP} not found` : 'no --pytorch-loop FILE given'})`);
    return null;
  }
  const args = [SEED_LOOP, '--data', FASHION, '--model', 'both', '--epochs', String(epochs), '--lr', '0.001', '--clip', '1.5', '--threads', String(threadCount)];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`the PyTorch loop failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rows = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as EpochFigures & { epoch: number });
  rows.forEach((row) => console.log(`  PyTorch (${threadCount} thread${threadCount > 1 ? 's' : ''}) epoch ${row.epoch}: ${fmt(row)}`));
  return rows;
}

function fmt(f: EpochFigures): string {
  return `train ${f.train_s.toFixed(2)} s + eval ${f.eval_s.toFixed(2)} s, loss ${f.loss.toFixed(4)}, train acc ${f.train_acc.toFixed(4)}, val acc ${f.val_acc.toFixed(4)}`;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  console.log(`bench: model both, batch 64, AdamW 1e-3, clip 1.5, ${epochs} epoch(s), backend ${backend}, PyTorch threads ${threads}, ${cpus().length} CPUs, Node ${process.version}`);
  const data = await loadFashion();
  console.log(`data: ${data.real ? FASHION : 'synthetic (Fashion-MNIST not found)'}: ${data.train.count} train, ${data.test.count} test`);
  const work = mkdtempSync(join(tmpdir(), 'sweeplab-bench-'));
  try {
    const datasetDir = join(work, 'dataset');
    mkdirSync(datasetDir);
    const meta: Dataset = {
      id: 'bench',
      name: 'Fashion-MNIST',
      source: data.real ? `idx:${FASHION}` : 'synthetic',
      shape: [28, 28, 1],
      numClasses: 10,
      classNames: Array.from({ length: 10 }, (_, i) => String(i)),
      counts: { train: data.train.count, test: data.test.count },
      classCounts: { train: classCounts(data.train.labels), test: classCounts(data.test.labels) },
      heldOut: false,
      checksum: 'bench',
      createdAt: new Date().toISOString(),
    };
    await writeStoredDataset(datasetDir, meta, data.train, data.test);

    const ours = await runOurs(datasetDir, join(work, 'checkpoint'));
    const torch = data.real ? runPyTorch(threads) : null;
    // Ours runs on one thread; on a small shared machine PyTorch's OpenMP threads can also cost
    // more than they bring, so its single-thread figure is printed as a second yardstick.
    const torch1 = data.real && torch && threads !== 1 ? runPyTorch(1) : null;

    const oTrain = mean(ours.epochs.map((e) => e.train_s));
    const oEval = mean(ours.epochs.map((e) => e.eval_s));
    console.log('');
    console.log(`ours (${ours.backend}): ${oTrain.toFixed(2)} s train + ${oEval.toFixed(2)} s eval = ${(oTrain + oEval).toFixed(2)} s per epoch; trainer peak RSS ${ours.maxRssBytes ? (ours.maxRssBytes / 2 ** 20).toFixed(0) : '?'} MiB`);
    for (const [rows, label] of [[torch, `${threads} threads`], [torch1, '1 thread']] as const) {
      if (!rows || !rows.length) continue;
      const tTrain = mean(rows.map((e) => e.train_s));
      const tEval = mean(rows.map((e) => e.eval_s));
      console.log(`PyTorch (${label}): ${tTrain.toFixed(2)} s train + ${tEval.toFixed(2)} s eval = ${(tTrain + tEval).toFixed(2)} s per epoch`);
      console.log(`ratio ours/PyTorch (${label}): ${((oTrain + oEval) / (tTrain + tEval)).toFixed(2)} (train only ${(oTrain / tTrain).toFixed(2)}, eval only ${(oEval / tEval).toFixed(2)})`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
