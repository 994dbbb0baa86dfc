/** Trainer processes for real (child_process.fork + tsx): messages, crashes, cancel and resume. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStoredDataset } from '../../electron/datasets/storage';
import { nodeForkTrainer, startTrainer, type TrainerChild } from '../../electron/trainer/host';
import type { FromTrainer, TrialInput } from '../../electron/trainer/protocol';
import { ModelSpec, TrainConfig, type Dataset, type EpochMetrics } from '../../shared/domain';
import { blobs } from '../engine/helpers';

const root = mkdtempSync(join(tmpdir(), 'sweeplab-trainer-'));
const datasetDir = join(root, 'dataset');
const model = ModelSpec.parse({ layers: [{ type: 'flatten' }, { type: 'linear', units: 16 }, { type: 'batchnorm1d' }, { type: 'relu' }, { type: 'dropout' }, { type: 'linear', units: 3 }] });
const config = TrainConfig.parse({ lr: 0.01, clipNorm: 1, epochs: 3, batchSize: 32, seed: 5, backend: 'wasm' });
let n = 0;
const trial = (over: Partial<TrialInput> = {}): TrialInput => ({
  runId: `run${++n}`,
  model,
  config,
  datasetDir,
  checkpointDir: join(root, `ckpt${n}`),
  resume: false,
  ...over,
});
const noTime = (m: EpochMetrics[]) => m.map(({ seconds: _s, ...rest }) => rest);

beforeAll(async () => {
  const data = blobs({ train: 640, test: 160, classes: 3 });
  mkdirSync(datasetDir);
  const meta: Dataset = {
    id: 'blobs',
    name: 'blobs',
    source: 'test',
    shape: data.shape,
    numClasses: 3,
    classNames: ['a', 'b', 'c'],
    counts: { train: data.train.count, test: data.test.count },
    classCounts: { train: [0, 0, 0], test: [0, 0, 0] },
    heldOut: false,
    checksum: 'test',
    createdAt: new Date(0).toISOString(),
  };
  await writeStoredDataset(datasetDir, meta, data.train, data.test);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('startTrainer', () => {
  it('runs a trial in a child process and streams typed messages', async () => {
    const messages: FromTrainer[] = [];
    const handle = startTrainer(trial(), { onMessage: (m) => messages.push(m) });
    expect(handle.pid).toBeGreaterThan(0);
    const outcome = await handle.done;
    expect(outcome).toMatchObject({ status: 'completed', error: null, backend: 'wasm', lastEpoch: 3, exit: { code: 0, signal: null } });
    expect(outcome.maxRssBytes).toBeGreaterThan(10e6);
    expect(messages[0]).toMatchObject({ type: 'started', backend: 'wasm', startEpoch: 0 });
    const epochs = messages.filter((m) => m.type === 'epoch');
    expect(epochs.map((m) => m.metrics.epoch)).toEqual([1, 2, 3]);
    expect(epochs.at(-1)!.metrics.valAcc).toBeGreaterThan(0.8);
    expect(messages.at(-1)).toMatchObject({ type: 'finished', status: 'completed' });
  });

  it('a crashing trainer (exit 3 mid-epoch) is a failed outcome with the reason', async () => {
    const fork = nodeForkTrainer({ env: { ...process.env, SWEEPLAB_TRAINER_TEST_CRASH: 'exit:3@2:4' } });
    const outcome = await startTrainer(trial(), { fork }).done;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/exited with code 3 before finishing/);
    expect(outcome.lastEpoch).toBe(1);
    expect(outcome.exit).toEqual({ code: 3, signal: null });
  });

  it('an aborting trainer reports the signal and its stderr', async () => {
    const fork = nodeForkTrainer({ env: { ...process.env, SWEEPLAB_TRAINER_TEST_CRASH: 'abort@1:2' } });
    const outcome = await startTrainer(trial(), { fork }).done;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/SIGABRT|code 134/);
  });

  it('a bad data set folder is a failed outcome with the trainer\'s own error', async () => {
    const outcome = await startTrainer(trial({ datasetDir: join(root, 'missing') })).done;
    expect(outcome.status).toBe('failed');
    expect(outcome.code).not.toBe('internal');
    expect(outcome.error).toBeTruthy();
  });

  it('cancel, then resume in a new process: same metrics as one uninterrupted run', async () => {
    const whole: EpochMetrics[] = [];
    await startTrainer(trial(), { onMessage: (m) => m.type === 'epoch' && whole.push(m.metrics) }).done;

    const t = trial();
    const parts: EpochMetrics[] = [];
    // 20 steps of ≥10 ms per epoch: the cancel sent after epoch 1 lands inside epoch 2.
    const slow = nodeForkTrainer({ env: { ...process.env, SWEEPLAB_TRAINER_TEST_STEP_MS: '10' } });
    const first = startTrainer(t, {
      fork: slow,
      onMessage: (m) => {
        if (m.type === 'epoch') {
          parts.push(m.metrics);
          if (m.metrics.epoch === 1) first.cancel();
        }
      },
    });
    const cancelled = await first.done;
    expect(cancelled).toMatchObject({ status: 'cancelled', lastEpoch: 1 });
    const resumed = await startTrainer({ ...t, resume: true }, { onMessage: (m) => m.type === 'epoch' && parts.push(m.metrics) }).done;
    expect(resumed.status).toBe('completed');
    expect(noTime(parts)).toEqual(noTime(whole));
  });

  it('a trainer that never answers a cancel is killed after the grace period', async () => {
    const fake = fakeChild({ ignoreCancel: true });
    const handle = startTrainer(trial(), { fork: () => fake.child, cancelGraceMs: 50 });
    handle.cancel();
    const outcome = await handle.done;
    expect(fake.killed).toEqual(['SIGKILL']);
    expect(outcome.status).toBe('cancelled');
  });

  it('a trainer that exits silently, or cannot start, fails instead of hanging', async () => {
    const silent = fakeChild({ exitAtStart: 0 });
    const o1 = await startTrainer(trial(), { fork: () => silent.child }).done;
    expect(o1).toMatchObject({ status: 'failed', code: 'internal' });
    expect(o1.error).toMatch(/exited before finishing \(exit code 0\); stderr: boom/);
    const dead = fakeChild({ spawnError: true });
    const o2 = await startTrainer(trial(), { fork: () => dead.child }).done;
    expect(o2).toMatchObject({ status: 'failed', code: 'unavailable' });
  });
});

/** An in-memory TrainerChild for the host's own logic. */
function fakeChild(opts: { ignoreCancel?: boolean; exitAtStart?: number; spawnError?: boolean }) {
  const listeners = { message: [] as ((m: unknown) => void)[], exit: [] as ((c: number | null, s: string | null) => void)[], error: [] as ((e: Error) => void)[], stderr: [] as ((s: string) => void)[] };
  const killed: string[] = [];
  const exit = (code: number | null, signal: string | null) => setTimeout(() => listeners.exit.forEach((l) => l(code, signal)), 1);
  const child: TrainerChild = {
    pid: opts.spawnError ? undefined : 4242,
    send(m) {
      if (m.type === 'start') {
        if (opts.spawnError) setTimeout(() => listeners.error.forEach((l) => l(new Error('spawn ENOENT'))), 1);
        else if (opts.exitAtStart !== undefined) {
          listeners.stderr.forEach((l) => l('boom\n'));
          exit(opts.exitAtStart, null);
        }
      }
      if (m.type === 'cancel' && !opts.ignoreCancel) exit(0, null);
    },
    kill(signal) {
      killed.push(signal);
      exit(null, signal);
    },
    onMessage: (l) => listeners.message.push(l),
    onExit: (l) => listeners.exit.push(l),
    onError: (l) => listeners.error.push(l),
    onStderr: (l) => listeners.stderr.push(l),
  };
  return { child, killed };
}
