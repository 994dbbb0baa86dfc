/**
 * Adaptive sweeps benchmark: the notebook's lr × clip grid (6 × 7, 3 seeds, 16 epochs, 10k
 * Fashion-MNIST training images, model `both`, AdamW, batch 64) run in full and with ASHA early
 * termination; then random search and TPE given the epoch budget ASHA used, over 3 sweep seeds.
 *
 *   npm run bench:adaptive -- [--quick] [--epochs 16] [--seeds 3] [--subset 10000]
 *                             [--concurrency 2] [--grace 1] [--eta 3] [--sweep-seeds 3]
 *
 * --quick: the same 6 × 7 grid with 2 seeds, 6 epochs and 2000 training images (minutes, not hours).
 *
 * What it prints, all measured in this one invocation through the product path (a runtime on a
 * temporary data folder, sweeps.create, the real run executor and trainer processes):
 * - full grid vs ASHA: trial-epochs trained, wall time, and the best cell (by final validation
 *   accuracy, mean over seeds) of each; whether ASHA's best is the full grid's best cell or, in the
 *   full grid's own statistics (Welch + Holm against its best), statistically tied with it;
 * - random search and TPE with ASHA's epoch budget (⌊budget / (seeds × epochs)⌋ configurations,
 *   each over the same seeds, drawn from lr log-uniform 0.0005–0.1 and clip uniform 0.1–3): the
 *   best configuration's mean final validation accuracy, averaged over the sweep seeds.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime } from '../electron/runtime';
import { presetModel } from '../shared/models';
import type { Sweep, SweepSpecInput } from '../shared/domain';
import type { SweepDetail } from '../shared/contract/sweeps';
import { ApiError } from '../shared/errors';
import { arg, FASHION } from './common';

const quick = process.argv.includes('--quick');
const rates = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1];
const clips = [0.1, 0.5, 1, 1.5, 2, 2.5, 3];
const seeds = Number(arg('seeds', quick ? '2' : '3'));
const epochs = Number(arg('epochs', quick ? '6' : '16'));
const subset = Number(arg('subset', quick ? '2000' : '10000'));
const concurrency = Number(arg('concurrency', '2'));
const grace = Number(arg('grace', '1'));
const eta = Number(arg('eta', '3'));
const sweepSeeds = Number(arg('sweep-seeds', '3'));
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

async function call<T>(rt: Runtime, method: string, request: unknown): Promise<T> {
  const result = await rt.service.dispatch(method, request);
  if (!result.ok) throw ApiError.from(result.error);
  return result.value as T;
}

interface Outcome {
  detail: SweepDetail;
  seconds: number;
  epochs: number;
  /** Seconds the trainers spent in epochs (training and validation), summed over trials. */
  epochSeconds: number;
  best: SweepDetail['stats']['cells'][number] | null;
}

async function run(rt: Runtime, datasetId: string, name: string, extra: Partial<SweepSpecInput>): Promise<Outcome> {
  const spec: SweepSpecInput = {
    name,
    datasetId,
    model: presetModel('both'),
    base: { optimizer: 'adamw', lr: rates[0]!, batchSize: 64, epochs, seed: 0, subset: { size: subset } },
    axes: { lr: { values: rates }, clip: clips },
    repeats: seeds,
    ...extra,
  };
  const t0 = performance.now();
  const sweep = await call<Sweep>(rt, 'sweeps.create', { spec, concurrency, start: true });
  const done = await rt.scheduler.waitUntilIdle(sweep.id);
  const seconds = (performance.now() - t0) / 1000;
  if (done.status !== 'completed') throw new Error(`${name}: sweep ended ${done.status}`);
  const detail = await call<SweepDetail>(rt, 'sweeps.show', { id: sweep.id });
  const failed = detail.trials.filter((t) => t.status === 'failed');
  if (failed.length) throw new Error(`${name}: ${failed.length} trials failed: ${failed[0]!.error}`);
  const trained = detail.trials.reduce((n, t) => n + t.epochs.length, 0);
  const epochSeconds = detail.trials.reduce((n, t) => n + t.epochs.reduce((a, e) => a + e.seconds, 0), 0);
  const best = detail.stats.cells.find((c) => c.cellId === detail.stats.best.finalValAcc) ?? null;
  console.log(`  ${name}: ${seconds.toFixed(1)} s, ${trained} trial-epochs, best ${best ? `${best.label} ${pct(best.finalValAcc.mean)}` : 'none'} (load average ${load()})`);
  return { detail, seconds, epochs: trained, epochSeconds, best };
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(2)}%`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

async function main(): Promise<void> {
  if (!existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'))) throw new Error(`needs Fashion-MNIST at ${FASHION} (Debian's dataset-fashion-mnist)`);
  const work = mkdtempSync(join(tmpdir(), 'sweeplab-bench-adaptive-'));
  const rt = await createRuntime({ dataDir: join(work, 'home'), transport: 'browser' });
  try {
    const dataset = await call<{ id: string }>(rt, 'datasets.import', { paths: [FASHION], name: 'Fashion-MNIST' });
    console.log(
      `Adaptive bench${quick ? ' (--quick)' : ''}: lr ${rates.join(',')} × clip ${clips.join(',')}, ${seeds} seeds, ${epochs} epochs, ` +
        `${subset} Fashion-MNIST training images (10% held out for validation), model both, AdamW, batch 64, ${concurrency} trainers`,
    );
    const full = await run(rt, dataset.id, 'full grid', {});
    const asha = await run(rt, dataset.id, `grid with ASHA (grace ${grace}, eta ${eta})`, { prune: { rule: 'asha', grace, eta } });

    const fullBest = full.best!;
    const ashaBest = asha.best!;
    const inFull = full.detail.stats.cells.find((c) => c.cellId === ashaBest.cellId)!;
    const verdict = inFull.vsBest.finalValAcc;
    const same =
      ashaBest.cellId === fullBest.cellId
        ? 'the same cell'
        : `${verdict.verdict === 'tied' ? 'statistically tied with it' : verdict.verdict === 'cant-tell' ? `not told apart from it (can't tell with ${verdict.n} seeds)` : 'worse than it'} in the full grid's statistics (Δ ${((verdict.diff ?? 0) * 100).toFixed(2)} pp, Holm p ${verdict.pHolm?.toPrecision(3) ?? '–'})`;
    console.log('');
    console.log(`Full grid vs ASHA`);
    console.log(`  trial-epochs trained: ${full.epochs} vs ${asha.epochs} (ASHA trains ${((100 * asha.epochs) / full.epochs).toFixed(1)}%, ${asha.detail.stats.adaptive?.prunedTrials ?? 0} of ${asha.detail.trials.length} trials pruned)`);
    console.log(`  wall time: ${full.seconds.toFixed(1)} s vs ${asha.seconds.toFixed(1)} s (ratio ${(asha.seconds / full.seconds).toFixed(2)})`);
    // Where the wall time goes: epochs inside the trainers vs starting a trainer per trial (and
    // handing over between trials), which pruning does not save.
    const overhead = (o: Outcome) => Math.max(0, (o.seconds * concurrency - o.epochSeconds) / o.detail.trials.length);
    console.log(
      `  trainer time in epochs: ${full.epochSeconds.toFixed(0)} s vs ${asha.epochSeconds.toFixed(0)} s (ratio ${(asha.epochSeconds / full.epochSeconds).toFixed(2)}); ` +
        `the rest, per trial (trainer start-up, data load, hand-over): ${overhead(full).toFixed(1)} s vs ${overhead(asha).toFixed(1)} s`,
    );
    console.log(
      `  best cell: full ${fullBest.label} ${pct(fullBest.finalValAcc.mean)} (${fullBest.finalValAcc.n} seeds); ASHA ${ashaBest.label} ${pct(ashaBest.finalValAcc.mean)} (${ashaBest.finalValAcc.n} completed seed${ashaBest.finalValAcc.n === 1 ? '' : 's'}): ${same}`,
    );

    // Search with ASHA's budget, without pruning: each configuration trains in full over the seeds.
    const trials = Math.max(1, Math.floor(asha.epochs / (seeds * epochs)));
    const startup = Math.max(2, Math.ceil(trials / 3));
    const ranges = { lr: { min: 0.0005, max: 0.1, log: true }, clip: { min: 0.1, max: 3, log: false } };
    console.log('');
    console.log(`Search with ASHA's budget: ${trials} configurations × ${seeds} seeds × ${epochs} epochs = ${trials * seeds * epochs} trial-epochs; TPE with ${startup} random startup trials`);
    const results: Record<'random' | 'tpe', number[]> = { random: [], tpe: [] };
    for (const method of ['random', 'tpe'] as const) {
      for (let s = 0; s < sweepSeeds; s++) {
        const r = await run(rt, dataset.id, `${method} search, sweep seed ${s}`, {
          method,
          trials,
          ranges,
          searchSeed: s,
          ...(method === 'tpe' ? { tpe: { startupTrials: startup, candidates: 24 } } : {}),
        });
        results[method].push(r.best?.finalValAcc.mean ?? NaN);
      }
    }
    console.log('');
    console.log(`Best configuration's mean final validation accuracy over its completed seeds (searches: mean ± sd over ${sweepSeeds} sweep seeds):`);
    console.log(`  full grid (${full.epochs} trial-epochs):   ${pct(fullBest.finalValAcc.mean)} (${fullBest.finalValAcc.n} seeds)`);
    console.log(`  grid + ASHA (${asha.epochs} trial-epochs): ${pct(ashaBest.finalValAcc.mean)} (${ashaBest.finalValAcc.n} seeds)`);
    for (const method of ['random', 'tpe'] as const) {
      const xs = results[method];
      console.log(`  ${method === 'tpe' ? 'TPE   ' : 'random'} (${trials * seeds * epochs} trial-epochs): ${pct(mean(xs))} ± ${(sd(xs) * 100).toFixed(2)} pp (${xs.map((x) => pct(x)).join(', ')})`);
    }
  } finally {
    await rt.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
