/**
 * The run executor with real trainer processes on a tiny data set: epochs stored as they arrive
 * and exactly once, cancel then resume, a crashing trainer, an app shutdown mid-run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { testRuntime } from '../support/runtime';
import { tempDir } from '../support/fixtures';
import { writeTinyCsv } from '../support/data';
import { createRuntime } from '../../electron/runtime';
import { nodeForkTrainer } from '../../electron/trainer/host';
import { presetModel } from '../../shared/models';
import type { Dataset, EpochMetrics, Run } from '../../shared/domain';
import type { TrainConfigInput } from '../../shared/domain';

const model = () => ({
  init: { kind: 'kaiming_uniform' as const },
  layers: [{ type: 'flatten' as const }, { type: 'linear' as const, units: 16 }, { type: 'batchnorm1d' as const }, { type: 'relu' as const }, { type: 'dropout' as const, p: 0.2 }, { type: 'linear' as const, units: 3 }],
});
const config = (epochs: number): TrainConfigInput => ({ lr: 0.01, clipNorm: 1, epochs, batchSize: 32, seed: 7 });

const strip = (e: EpochMetrics) => ({ ...e, seconds: 0 });

describe('run executor', () => {
  let t: Awaited<ReturnType<typeof testRuntime>>;
  let dataset: Dataset;
  const files = tempDir();

  beforeAll(async () => {
    t = await testRuntime();
    dataset = await t.call('datasets.import', { paths: [writeTinyCsv(files.path)], name: 'tiny bands' });
  });
  afterAll(async () => {
    await t.dispose();
    files.remove();
  });

  const waitForStatus = (runId: string, statuses: string[]) =>
    new Promise<Run>((resolve) => {
      const current = t.runtime.store.runs.get(runId);
      if (current && statuses.includes(current.status)) return resolve(current);
      const off = t.runtime.events.on('run.updated', (run) => {
        if (run.id === runId && statuses.includes(run.status)) {
          off();
          resolve(run);
        }
      });
    });

  it('trains a run, storing and announcing each epoch as it ends', async () => {
    const seen: number[] = [];
    const announcedSteps: number[] = [];
    const off = t.runtime.events.on('run.epoch', ({ metrics, steps }) => {
      seen.push(metrics.epoch);
      if (steps) announcedSteps.push(steps.epoch);
    });
    const run = await t.call('runs.create', { datasetId: dataset.id, model: model(), config: config(3), name: 'straight' });
    const done = await waitForStatus(run.id, ['completed', 'failed']);
    off();
    expect(done.error).toBeNull();
    expect(done.status).toBe('completed');
    expect(done.backend).toMatch(/wasm|cpu|tensorflow/);
    expect(seen).toEqual([1, 2, 3]);
    const epochs = t.runtime.store.runs.epochs(run.id);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(done.epochsDone).toBe(3);
    expect(done.bestValAcc).toBe(Math.max(...epochs.map((e) => e.valAcc)));
    expect(epochs[2]!.valAcc).toBeGreaterThan(0.8);
    expect(existsSync(join(t.dataDir, 'checkpoints', run.id, 'checkpoint.bin'))).toBe(true);
    // Per-step curves come with each epoch from the trainer, are announced and stored bounded.
    expect(announcedSteps).toEqual([1, 2, 3]);
    const steps = await t.call('runs.steps', { id: run.id });
    expect(steps.map((s) => s.epoch)).toEqual([1, 2, 3]);
    for (const [i, s] of steps.entries()) {
      expect(s.points.length).toBeGreaterThan(0);
      expect(s.points.length).toBeLessThanOrEqual(50);
      expect(s.points.reduce((n, p) => n + p.n, 0)).toBe(s.steps);
      expect(s.points.reduce((sum, p) => sum + p.loss * p.n, 0) / s.steps).toBeCloseTo(epochs[i]!.loss, 5);
    }
  });

  it('cancels a run, resumes it from its checkpoint, and ends with the metrics of an uninterrupted run', async () => {
    const reference = await t.call('runs.create', { datasetId: dataset.id, model: model(), config: config(4), name: 'reference' });
    await waitForStatus(reference.id, ['completed']);
    const expected = t.runtime.store.runs.epochs(reference.id).map(strip);

    const run = await t.call('runs.create', { datasetId: dataset.id, model: model(), config: config(4), name: 'interrupted' });
    await new Promise<void>((resolve) => {
      const off = t.runtime.events.on('run.epoch', ({ runId, metrics }) => {
        if (runId === run.id && metrics.epoch === 2) {
          off();
          resolve();
        }
      });
    });
    const cancelled = await t.call('runs.cancel', { id: run.id });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.epochsDone).toBeGreaterThanOrEqual(2);
    expect(cancelled.epochsDone).toBeLessThan(4);

    await t.call('runs.resume', { id: run.id });
    const finished = await waitForStatus(run.id, ['completed', 'failed']);
    expect(finished.status).toBe('completed');
    expect(t.runtime.store.runs.epochs(run.id).map(strip)).toEqual(expected);
    // One curve per epoch after the resume, the same as the uninterrupted run's.
    const steps = t.runtime.store.runs.steps(run.id);
    expect(steps.map((s) => s.epoch)).toEqual([1, 2, 3, 4]);
    expect(steps).toEqual(t.runtime.store.runs.steps(reference.id));
  });

  it('pausing a sweep writes its running trials interrupted once: never cancelled first', async () => {
    const statuses = new Map<string, string[]>();
    const off = t.runtime.events.on('run.updated', (run) => {
      if (run.sweepId) statuses.set(run.id, [...(statuses.get(run.id) ?? []), run.status]);
    });
    const sweep = await t.call('sweeps.create', {
      spec: { datasetId: dataset.id, model: model(), base: config(50), axes: { lr: { values: [0.01] }, clip: [1] }, repeats: 1 },
      start: true,
    });
    const trialId = await new Promise<string>((resolve) => {
      const offEpoch = t.runtime.events.on('run.epoch', ({ runId, metrics }) => {
        if (metrics.epoch === 1 && t.runtime.store.runs.get(runId)?.sweepId === sweep.id) {
          offEpoch();
          resolve(runId);
        }
      });
    });
    const paused = await t.call('sweeps.pause', { id: sweep.id });
    off();
    expect(paused.status).toBe('paused');
    const run = t.runtime.store.runs.get(trialId)!;
    expect(run.status).toBe('interrupted');
    expect(run.finishedAt).toBeNull();
    const seen = statuses.get(trialId)!;
    expect(seen).not.toContain('cancelled');
    // running (start, then each epoch) … then interrupted, announced once, last.
    expect(seen.filter((s) => s === 'interrupted')).toHaveLength(1);
    expect(seen.at(-1)).toBe('interrupted');
    await t.call('sweeps.cancel', { id: sweep.id });
  });

  it('marks a run whose trainer crashes as failed, with the reason', async () => {
    const crashing = await createRuntime({
      dataDir: t.dataDir,
      transport: 'browser',
      fork: nodeForkTrainer({ env: { ...process.env, SWEEPLAB_TRAINER_TEST_CRASH: 'exit:3@1:2' } }),
    });
    try {
      const result = await crashing.service.dispatch('runs.create', { datasetId: dataset.id, model: model(), config: config(2), name: 'crashes' });
      expect(result.ok).toBe(true);
      const id = (result as { value: Run }).value.id;
      const run = await new Promise<Run>((resolve) => {
        const off = crashing.events.on('run.updated', (r) => {
          if (r.id === id && r.status === 'failed') {
            off();
            resolve(r);
          }
        });
      });
      expect(run.error).toMatch(/exited with code 3/);
    } finally {
      await crashing.close();
    }
  });

  it('leaves runs interrupted when the app closes mid-run; a new start resumes them without storing an epoch twice', async () => {
    const first = await createRuntime({ dataDir: t.dataDir, transport: 'browser' });
    const created = await first.service.dispatch('runs.create', { datasetId: dataset.id, model: presetModel('shl', 3), config: config(4), name: 'closed mid-run' });
    const id = (created as { value: Run }).value.id;
    await new Promise<void>((resolve) => {
      const off = first.events.on('run.epoch', ({ runId }) => {
        if (runId === id) {
          off();
          resolve();
        }
      });
    });
    await first.close();
    const second = await createRuntime({ dataDir: t.dataDir, transport: 'browser' });
    try {
      const stopped = second.store.runs.get(id)!;
      expect(stopped.status).toBe('interrupted');
      const resumed = await second.service.dispatch('runs.resume', { id });
      expect(resumed.ok).toBe(true);
      const done = await new Promise<Run>((resolve) => {
        const check = (r: Run) => r.id === id && ['completed', 'failed'].includes(r.status) && resolve(r);
        second.events.on('run.updated', check);
      });
      expect(done.status).toBe('completed');
      expect(second.store.runs.epochs(id).map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
      expect(second.store.runs.steps(id).map((s) => s.epoch)).toEqual([1, 2, 3, 4]);
    } finally {
      await second.close();
    }
  });
});

describe('run executor, a process that died between a checkpoint and storing its epoch', () => {
  it('stores the missing epochs from the checkpoint when the run resumes', async () => {
    const t = await testRuntime();
    const files = tempDir();
    try {
      const dataset = await t.call('datasets.import', { paths: [writeTinyCsv(files.path)] });
      let runId = '';
      const donePromise = new Promise<Run>((resolve) => {
        const off = t.runtime.events.on('run.updated', (r) => {
          if (r.id === runId && r.status === 'completed') {
            off();
            resolve(r);
          }
        });
      });
      const run = await t.call('runs.create', { datasetId: dataset.id, model: model(), config: config(3), name: 'lost epoch' });
      runId = run.id;
      const done = await donePromise;
      const all = t.runtime.store.runs.epochs(run.id);
      expect(done.epochsDone).toBe(3);
      // As if the main process died after the trainer checkpointed epoch 3 but before epoch 3 was stored.
      t.runtime.store.runs.truncateEpochs(run.id, 2);
      t.runtime.store.runs.update(run.id, { status: 'interrupted' });
      const resumedPromise = new Promise<Run>((resolve) => {
        const off = t.runtime.events.on('run.updated', (r) => {
          if (r.id === run.id && ['completed', 'failed'].includes(r.status)) {
            off();
            resolve(r);
          }
        });
      });
      await t.call('runs.resume', { id: run.id });
      const resumed = await resumedPromise;
      expect(resumed.status).toBe('completed');
      expect(t.runtime.store.runs.epochs(run.id)).toEqual(all);
    } finally {
      await t.dispose();
      files.remove();
    }
  });
});
