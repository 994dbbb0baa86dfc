/**
 * Cluster benchmark (a local redis-server on a free loopback port, started and stopped here):
 *
 * 1. The notebook's 6-rate sweep (`both`, clip 1.5, AdamW, batch 64, 16 epochs, 10k training
 *    images) on the local pool of 2 trainers vs on the cluster: 2 `sweeplab worker --slots 1`
 *    processes (empty data folders) and a coordinator with no local slots. Wall time of each,
 *    their ratio (the broker's overhead), dispatch latency per trial (enqueue → the worker's first
 *    message stored) and epoch-to-database latency (the worker's stream entry → stored).
 * 2. Scale: one coordinator and 100 simulated workers (fake trainers that report an epoch every
 *    few milliseconds, through the real broker, worker supervisor and stream): epochs stored per
 *    second, none lost or duplicated, and the coordinator process's CPU.
 *
 *   npm run bench:cluster -- [--quick] [--skip-real] [--skip-scale] [--epochs 16] [--subset 10000]
 *                            [--workers 100] [--trials 300] [--sim-epochs 20] [--epoch-ms 20]
 *
 * --quick: 2 epochs on 2,000 images for part 1, 30 simulated workers for part 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createRuntime, type Runtime } from '../electron/runtime';
import { ClusterWorker } from '../electron/cluster/worker';
import type { TrainerChild } from '../electron/trainer/host';
import type { ToTrainer } from '../electron/trainer/protocol';
import { presetModel } from '../shared/models';
import type { Sweep, SweepSpecInput } from '../shared/domain';
import { ApiError } from '../shared/errors';
import { arg, FASHION, repoRoot, writeSyntheticIdx } from './common';

const flag = (name: string) => process.argv.includes(`--${name}`);
const quick = flag('quick');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => ((out += d), out.includes('Ready to accept') && resolve()));
    child.once('exit', (c) => reject(new Error(`redis-server exited ${c}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

async function call<T>(rt: Runtime, method: string, request: unknown): Promise<T> {
  const result = await rt.service.dispatch(method as never, request as never);
  if (!result.ok) throw ApiError.from(result.error);
  return result.value as T;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN;
};

async function runSweep(rt: Runtime, spec: SweepSpecInput, concurrency: number): Promise<{ seconds: number; sweep: Sweep }> {
  const t0 = performance.now();
  const sweep = await call<Sweep>(rt, 'sweeps.create', { spec, concurrency });
  const done = await rt.scheduler.waitUntilIdle(sweep.id);
  const seconds = (performance.now() - t0) / 1000;
  const trials = rt.store.runs.list({ sweepId: sweep.id, limit: 1000 }).items;
  const bad = trials.filter((t) => t.status !== 'completed' && t.status !== 'diverged');
  if (bad.length) throw new Error(`${bad.length} trials did not complete: ${bad.map((t) => `${t.status} ${t.error ?? ''}`).join('; ')}`);
  return { seconds, sweep: done };
}

const BIN = join(repoRoot, 'bin', 'sweeplab.mjs');

async function realComparison(work: string): Promise<void> {
  const epochs = Number(arg('epochs', quick ? '2' : '16'));
  const subset = Number(arg('subset', quick ? '2000' : '10000'));
  const rates = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1];
  const real = existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'));
  const source = real ? FASHION : writeSyntheticIdx(join(work, 'synthetic'), 60_000, 10_000);
  const spec = (datasetId: string): SweepSpecInput => ({
    datasetId,
    model: presetModel('both'),
    base: { optimizer: 'adamw', lr: rates[0]!, clipNorm: 1.5, batchSize: 64, epochs, seed: 0, subset: { size: subset } },
    axes: { lr: { values: rates }, clip: [1.5] },
    repeats: 1,
  });
  console.log(`Part 1: ${rates.length} rates × ${epochs} epochs, ${subset} images of ${real ? 'Fashion-MNIST' : 'synthetic data'}, model both (${cpus().length} cores)`);

  const local = await createRuntime({ dataDir: join(work, 'local'), transport: 'browser' });
  let pool: { seconds: number };
  try {
    const ds = await call<{ id: string }>(local, 'datasets.import', { paths: [source] });
    pool = await runSweep(local, spec(ds.id), 2);
    console.log(`  local pool of 2 trainers:           ${pool.seconds.toFixed(1)} s`);
  } finally {
    await local.close();
  }

  const redis = await startRedis();
  const workers = ['a', 'b'].map((n) =>
    spawn(process.execPath, [BIN, '--data-dir', join(work, `worker-${n}`), 'worker', '--broker', redis.url, '--slots', '1', '--name', `bench-${n}`], { stdio: ['ignore', 'ignore', 'pipe'] }),
  );
  const coordinator = await createRuntime({ dataDir: join(work, 'coordinator'), transport: 'browser', broker: redis.url, localSlots: 0 });
  try {
    const ds = await call<{ id: string }>(coordinator, 'datasets.import', { paths: [source] });
    const cluster = await runSweep(coordinator, spec(ds.id), 64);
    const stats = coordinator.cluster!.stats;
    console.log(`  cluster, 2 workers × 1 slot:        ${cluster.seconds.toFixed(1)} s  (${((cluster.seconds / pool.seconds - 1) * 100).toFixed(1)} % vs the pool; target within 10 %)`);
    console.log(`  dispatch latency per trial (enqueue → worker's first message stored; the second wave waits for a free slot):`);
    console.log(`    first wave median ${median(stats.dispatchSeconds.slice(0, 2)).toFixed(3)} s; all: median ${median(stats.dispatchSeconds).toFixed(2)} s, max ${Math.max(...stats.dispatchSeconds).toFixed(2)} s`);
    console.log(`  epoch-to-database latency: median ${(median(stats.epochToDbSeconds) * 1000).toFixed(1)} ms, p95 ${(pct(stats.epochToDbSeconds, 0.95) * 1000).toFixed(1)} ms over ${stats.epochToDbSeconds.length} epochs`);
    const byWorker = new Map<string, number>();
    for (const t of coordinator.store.runs.list({ sweepId: cluster.sweep.id, limit: 100 }).items) byWorker.set(t.worker ?? '?', (byWorker.get(t.worker ?? '?') ?? 0) + 1);
    console.log(`  trials per worker: ${[...byWorker].map(([w, n]) => `${w} ${n}`).join(', ')}`);
  } finally {
    await coordinator.close();
    for (const w of workers) w.kill('SIGTERM');
    redis.child.kill('SIGTERM');
  }
}

/** A trainer child that trains nothing: it reports `epochs` epochs, `epochMs` apart, with checkpoints. */
function fakeFork(epochMs: number) {
  let pids = 100_000;
  return (): TrainerChild => {
    const listeners = { message: [] as ((m: unknown) => void)[], exit: [] as ((c: number | null, s: string | null) => void)[] };
    let stopped = false;
    let exited = false;
    const emit = (m: unknown) => listeners.message.forEach((l) => l(m));
    const exit = (code: number | null, signal: string | null) => {
      if (exited) return;
      exited = true;
      listeners.exit.forEach((l) => l(code, signal));
    };
    const run = async (trial: Extract<ToTrainer, { type: 'start' }>['trial']) => {
      const magic = Buffer.from('SWEEPLAB-CKPT 1\n');
      emit({ type: 'started', backend: 'cpu', device: null, startEpoch: 0, totalParams: 0, history: [] });
      for (let epoch = 1; epoch <= trial.config.epochs; epoch++) {
        await new Promise((r) => setTimeout(r, epochMs));
        if (stopped) return emit({ type: 'finished', status: 'cancelled', error: null, test: null, maxRssBytes: 0 });
        const header = Buffer.from(JSON.stringify({ epoch }));
        const len = Buffer.alloc(4);
        len.writeUInt32LE(header.length);
        mkdirSync(trial.checkpointDir, { recursive: true });
        writeFileSync(join(trial.checkpointDir, 'checkpoint.bin'), Buffer.concat([magic, len, header]));
        const v = 0.5 + epoch / 100;
        emit({
          type: 'epoch',
          metrics: { epoch, loss: 1 / epoch, trainAcc: v, valAcc: v, valLoss: 1 / epoch, seconds: epochMs / 1000, gradNormMean: 1, gradNormMax: 2, clippedFraction: 0 },
          timing: { trainSeconds: epochMs / 1000, evalSeconds: 0, compileSeconds: 0 },
        });
      }
      emit({ type: 'finished', status: 'completed', error: null, test: null, maxRssBytes: 0 });
    };
    const pid = pids++;
    return {
      pid,
      send: (m: ToTrainer) => {
        if (m.type === 'start') void run(m.trial).then(() => setImmediate(() => exit(0, null)));
        else if (m.type === 'cancel') stopped = true;
      },
      kill: () => setImmediate(() => exit(null, 'SIGKILL')),
      onMessage: (l) => listeners.message.push(l),
      onExit: (l) => listeners.exit.push(l),
      onError: () => undefined,
      onStderr: () => undefined,
    };
  };
}

/** `--sim-host N --broker URL --dir D`: hosts N simulated workers in this process (part 2). */
async function simHost(): Promise<void> {
  const n = Number(arg('sim-host', '25'));
  const broker = arg('broker', '');
  const dir = arg('dir', '');
  const epochMs = Number(arg('epoch-ms', '20'));
  const offset = Number(arg('offset', '0'));
  const workers = Array.from({ length: n }, (_, i) => new ClusterWorker({ broker, dataDir: join(dir, `sim-${offset + i}`), slots: 1, name: `sim-${offset + i}`, fork: fakeFork(epochMs), log: () => undefined }));
  await Promise.all(workers.map((w) => w.start()));
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await Promise.all(workers.map((w) => w.stop('bench over', false)));
  process.exit(0);
}

async function scale(work: string): Promise<void> {
  const nWorkers = Number(arg('workers', quick ? '30' : '100'));
  const trials = Number(arg('trials', quick ? '90' : '300'));
  const epochs = Number(arg('sim-epochs', '20'));
  const epochMs = Number(arg('epoch-ms', '20'));
  console.log(`Part 2: 1 coordinator, ${nWorkers} simulated workers (fake trainers, one epoch per ${epochMs} ms), ${trials} trials × ${epochs} epochs`);
  const redis = await startRedis();
  const hosts: ChildProcess[] = [];
  const perHost = 25;
  for (let offset = 0; offset < nWorkers; offset += perHost) {
    const n = Math.min(perHost, nWorkers - offset);
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'cluster.ts'), '--sim-host', String(n), '--offset', String(offset), '--broker', redis.url, '--dir', join(work, 'sim'), '--epoch-ms', String(epochMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    hosts.push(child);
    await new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('ready') && resolve()));
  }
  const rt = await createRuntime({ dataDir: join(work, 'scale-coordinator'), transport: 'browser', broker: redis.url, localSlots: 0 });
  try {
    const ds = await call<{ id: string }>(rt, 'datasets.import', { paths: [writeSyntheticIdx(join(work, 'tiny'), 100, 20)] });
    // The grid allows 200 learning rates: more trials take several clip norms.
    const clips = Math.ceil(trials / 200);
    const lrs = Array.from({ length: trials }, (_, i) => Number((1e-4 * (1 + i)).toPrecision(6)));
    const spec: SweepSpecInput = {
      datasetId: ds.id,
      model: presetModel('shl'),
      base: { lr: lrs[0]!, epochs, batchSize: 32 },
      axes: { lr: { values: lrs.slice(0, Math.ceil(trials / clips)) }, clip: [null, ...Array.from({ length: clips - 1 }, (_, i) => i + 1)] },
      repeats: 1,
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { sweep } = await runSweep(rt, spec, Math.min(1024, nWorkers * 2));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const runs = rt.store.runs.list({ sweepId: sweep.id, limit: 1000 }).items;
    const stored = rt.store.runs.epochsMany(runs.map((r) => r.id));
    let total = 0;
    let wrong = 0;
    for (const { epochs: es } of stored) {
      total += es.length;
      if (es.length !== epochs || es.some((e, i) => e.epoch !== i + 1)) wrong++;
    }
    const expected = runs.length * epochs;
    const stats = rt.cluster!.stats;
    console.log(`  ${runs.length} trials, ${total} of ${expected} epochs stored in ${seconds.toFixed(1)} s: ${(total / seconds).toFixed(0)} epochs/s`);
    console.log(`  lost: ${expected - total}, trials with missing or extra epochs: ${wrong}, duplicate deliveries ignored by the store check: ${stats.duplicatesIgnored}`);
    console.log(`  coordinator CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${seconds.toFixed(1)} s wall = ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)} % of one core`);
    console.log(`  epoch-to-database latency: median ${(median(stats.epochToDbSeconds) * 1000).toFixed(0)} ms, p95 ${(pct(stats.epochToDbSeconds, 0.95) * 1000).toFixed(0)} ms`);
  } finally {
    await rt.close();
    for (const h of hosts) h.kill('SIGTERM');
    await Promise.all(hosts.map((h) => new Promise((r) => (h.exitCode !== null ? r(null) : h.once('exit', r)))));
    redis.child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--sim-host')) return simHost();
  const work = mkdtempSync(join(tmpdir(), 'sweeplab-bench-cluster-'));
  try {
    if (!flag('skip-real')) await realComparison(work);
    if (!flag('skip-scale')) await scale(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}

await main();
