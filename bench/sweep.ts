/**
 * Sweep benchmark: the notebook's learning-rate sweep run by Sweeplab's scheduler with a pool of
 * trainer processes vs one trial at a time, and vs the PyTorch reference loop run once per rate.
 *
 *   npm run bench:sweep -- [--epochs 16] [--rates 0.0005,0.001,0.005,0.01,0.05,0.1] [--subset 10000]
 *                          [--concurrency 2] [--threads 1] [--skip-serial] [--skip-torch]
 *
 * Defaults are the notebook's: 6 rates × 16 epochs on the first 10k Fashion-MNIST training images
 * (/usr/share/datasets/fashion-mnist; synthetic data of the same shape when absent), the `both`
 * model, clip 1.5, AdamW, batch 64, validation on the 10k test images. Both Sweeplab runs go
 * through the product path (a runtime on a temporary data folder, sweeps.create, the real run
 * executor and trainer processes) and are timed wall-clock from launch to the last trial's end.
 * PyTorch: the reference loop (--pytorch-loop FILE) per rate, sequentially, with --threads (default 1 =
 * what one trial of a 2-wide pool gets on 2 cores), when /usr/bin/python3 has torch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime } from '../electron/runtime';
import { presetModel } from '../shared/models';
import type { Sweep, SweepSpecInput } from '../shared/domain';
import { ApiError } from '../shared/errors';

import { arg, FASHION, PYTHON, SEED_LOOP, writeSyntheticIdx } from './common';
const flag = (name: string) => process.argv.includes(`--${name}`);

const epochs = Number(arg('epochs', '16'));
const rates = arg('rates', '0.0005,0.001,0.005,0.01,0.05,0.1').split(',').map(Number);
const subset = Number(arg('subset', '10000'));
const concurrency = Number(arg('concurrency', '2'));
const threads = Number(arg('threads', '1'));
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
if (!Number.isInteger(epochs) || epochs < 1) throw new Error('--epochs must be a positive integer');
if (!rates.length || rates.some((r) => !(r > 0))) throw new Error('--rates must be positive numbers, comma-separated');

async function call<T>(rt: Runtime, method: string, request: unknown): Promise<T> {
  const result = await rt.service.dispatch(method, request);
  if (!result.ok) throw ApiError.from(result.error);
  return result.value as T;
}

async function timeSweep(rt: Runtime, datasetId: string, pool: number): Promise<{ seconds: number; sweep: Sweep; finals: number[]; epochSeconds: number }> {
  const spec: SweepSpecInput = {
    name: `bench lr sweep, ${pool} at a time`,
    datasetId,
    model: presetModel('both'),
    base: { optimizer: 'adamw', lr: rates[0]!, clipNorm: 1.5, batchSize: 64, epochs, seed: 0, subset: { size: subset } },
    axes: { lr: { values: rates }, clip: [1.5] },
    repeats: 1,
  };
  const t0 = performance.now();
  const sweep = await call<Sweep>(rt, 'sweeps.create', { spec, concurrency: pool });
  const done = await rt.scheduler.waitUntilIdle(sweep.id);
  const seconds = (performance.now() - t0) / 1000;
  const detail = await call<{ trials: { lr: number; status: string; epochs: { valAcc: number; seconds: number }[] }[] }>(rt, 'sweeps.show', { id: sweep.id });
  const failed = detail.trials.filter((t) => t.status !== 'completed' && t.status !== 'diverged');
  if (failed.length) throw new Error(`${failed.length} trials did not complete: ${failed.map((t) => t.status).join(', ')}`);
  const finals = rates.map((lr) => detail.trials.find((t) => t.lr === lr)?.epochs.at(-1)?.valAcc ?? NaN);
  // Median seconds per epoch inside the trainers: if it doubles in the pool, the trainers were
  // fighting for one core (other load on the machine), not waiting on the scheduler.
  return { seconds, sweep: done, finals, epochSeconds: median(detail.trials.flatMap((t) => t.epochs.map((e) => e.seconds))) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function torchLoop(data: string): { seconds: number; finals: number[] } | string {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `skipped (${PYTHON} has no torch)`;
  if (!SEED_LOOP || !existsSync(SEED_LOOP)) return `skipped (${SEED_LOOP ? `no ${SEED_LOOP}` : 'no --pytorch-loop FILE given'})`;
  const t0 = performance.now();
  const finals: number[] = [];
  for (const lr of rates) {
    const r = spawnSync(
      PYTHON,
      [SEED_LOOP, '--data', data, '--model', 'both', '--subset', String(subset), '--epochs', String(epochs), '--lr', String(lr), '--clip', '1.5', '--threads', String(threads)],
      { encoding: 'utf8', maxBuffer: 16 << 20 },
    );
    if (r.status !== 0) return `failed: ${r.stderr.trim().split('\n').at(-1)}`;
    const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
    finals.push(last ? Number((JSON.parse(last) as { val_acc?: number; valAcc?: number }).val_acc ?? NaN) : NaN);
  }
  return { seconds: (performance.now() - t0) / 1000, finals };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'sweeplab-bench-sweep-'));
  const real = existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'));
  const source = real ? FASHION : writeSyntheticIdx(join(work, 'synthetic'), 60_000, 10_000);
  const rt = await createRuntime({ dataDir: join(work, 'home'), transport: 'browser' });
  try {
    const dataset = await call<{ id: string; name: string }>(rt, 'datasets.import', { paths: [source], name: real ? 'Fashion-MNIST' : 'synthetic' });
    console.log(
      `Sweep bench: ${rates.length} rates × ${epochs} epochs, ${subset} training images of ${real ? 'Fashion-MNIST' : 'synthetic data (no Fashion-MNIST)'}, model both, clip 1.5, AdamW`,
    );
    const pool = await timeSweep(rt, dataset.id, concurrency);
    const backend = rt.store.runs.list({ sweepId: pool.sweep.id, limit: 1 }).items[0]?.backend ?? '?';
    console.log(`  Sweeplab pool of ${concurrency} (${backend}): ${pool.seconds.toFixed(1)} s (median ${pool.epochSeconds.toFixed(2)} s per trial-epoch)`);
    let serial: Awaited<ReturnType<typeof timeSweep>> | null = null;
    if (!flag('skip-serial')) {
      serial = await timeSweep(rt, dataset.id, 1);
      console.log(`  Sweeplab one at a time:        ${serial.seconds.toFixed(1)} s (median ${serial.epochSeconds.toFixed(2)} s per trial-epoch)`);
      console.log(`  pool speed-up: ${(serial.seconds / pool.seconds).toFixed(2)}x (target ≥ 1.7x on 2 cores; load average now ${load()})`);
    }
    const torch = flag('skip-torch') ? 'skipped (--skip-torch)' : torchLoop(source);
    if (typeof torch === 'string') console.log(`  PyTorch loop per rate: ${torch}`);
    else {
      console.log(`  PyTorch loop per rate, --threads ${threads}: ${torch.seconds.toFixed(1)} s`);
      console.log(`  Sweeplab pool / PyTorch: ${(pool.seconds / torch.seconds).toFixed(2)}x the time`);
      if (serial) console.log(`  Sweeplab one at a time / PyTorch: ${(serial.seconds / torch.seconds).toFixed(2)}x the time`);
    }
    console.log(`  final val acc per rate (pool): ${rates.map((r, i) => `${r}: ${(pool.finals[i]! * 100).toFixed(2)}%`).join(', ')}`);
    if (typeof torch !== 'string') console.log(`  final val acc per rate (PyTorch): ${rates.map((r, i) => `${r}: ${(torch.finals[i]! * 100).toFixed(2)}%`).join(', ')}`);
  } finally {
    await rt.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
