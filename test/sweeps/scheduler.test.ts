import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { openStore, type Store } from '../../electron/store';
import { EventBus } from '../../electron/service/events';
import { SweepScheduler } from '../../electron/sweeps/scheduler';
import { recoverInterruptedSweeps } from '../../electron/sweeps/recovery';
import { expandTrials } from '../../electron/sweeps/grid';
import { SweepSpec, type Sweep } from '../../shared/domain';
import { datasetRecord, tempDir, tinyModel } from '../support/fixtures';
import { FakeExecutor, flush } from './fake-executor';

describe('SweepScheduler', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let events: EventBus;
  let exec: FakeExecutor;
  let scheduler: SweepScheduler;
  let spec: SweepSpec;
  let updates: Sweep[];

  beforeEach(() => {
    dir = tempDir();
    store = openStore(dir.path);
    const ds = datasetRecord();
    store.datasets.insert(ds);
    events = new EventBus();
    updates = [];
    events.on('sweep.updated', (s) => updates.push(s));
    exec = new FakeExecutor(store);
    scheduler = new SweepScheduler({ store, events, executor: exec, cores: () => 2, pollMs: 20 });
    spec = SweepSpec.parse({
      datasetId: ds.id,
      model: tinyModel,
      base: { lr: 0.001, epochs: 3 },
      axes: { lr: { values: [0.001, 0.01, 0.1] }, clip: [1, null] },
      repeats: 2,
    });
  });
  afterEach(async () => {
    await scheduler.shutdown();
    store.close();
    dir.remove();
  });

  const statusOf = (id: string) => store.runs.get(id)!.status;
  const trialsByStatus = (sweepId: string) => {
    const counts: Record<string, number> = {};
    for (const t of store.sweeps.trials(sweepId)) counts[t.status] = (counts[t.status] ?? 0) + 1;
    return counts;
  };

  it('creates every trial up front with the cell values and seeds, and the default concurrency', () => {
    const sweep = scheduler.create(spec);
    expect(sweep).toMatchObject({ status: 'draft', concurrency: 2, trials: { total: 12, done: 0, running: 0, failed: 0 } });
    const runs = store.runs.list({ sweepId: sweep.id, limit: 100 }).items;
    expect(runs).toHaveLength(12);
    const cells = new Set(runs.map((r) => r.cellId));
    expect(cells.size).toBe(6);
    expect(runs.map((r) => r.config.seed).sort()).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    const r = runs.find((x) => x.config.lr === 0.1 && x.config.clipNorm === null && x.config.seed === 1)!;
    expect(r.config).toMatchObject({ epochs: 3, optimizer: 'adamw', batchSize: 64 });
    expect(new SweepScheduler({ store, events, executor: exec, gpu: () => true }).defaultConcurrency(spec)).toBe(1);
  });

  it('keeps the pool at its concurrency, in launch order, and follows concurrency changes', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    const order = expandTrials(spec).map((p) => `${p.cell.cellId}/${p.seed}`);
    const keyOf = (runId: string) => {
      const r = store.runs.get(runId)!;
      return `${r.cellId}/${r.config.seed}`;
    };
    expect(exec.running.map((t) => keyOf(t.runId))).toEqual(order.slice(0, 2));
    expect(store.sweeps.get(sweep.id)!.status).toBe('running');

    exec.finish(exec.running[0]!.runId);
    await flush();
    expect(exec.running).toHaveLength(2);
    expect(exec.started.map((t) => keyOf(t.runId))).toEqual(order.slice(0, 3));

    scheduler.setConcurrency(sweep.id, 4);
    expect(exec.running).toHaveLength(4);
    scheduler.setConcurrency(sweep.id, 1);
    // Lowering lets running trials finish: nothing is killed, nothing new starts until below 1.
    expect(exec.running).toHaveLength(4);
    for (let i = 0; i < 3; i++) {
      exec.finish(exec.running[0]!.runId);
      await flush();
      expect(exec.running).toHaveLength(3 - i);
    }
    exec.finish(exec.running[0]!.runId);
    await flush();
    expect(exec.running).toHaveLength(1);
    while (exec.running.length) {
      exec.finish(exec.running[0]!.runId);
      await flush();
    }
    expect(exec.started.map((t) => keyOf(t.runId))).toEqual(order);
    expect(exec.maxRunning).toBe(4);
    expect(exec.started.every((t) => !t.resume)).toBe(true);
    const done = store.sweeps.get(sweep.id)!;
    expect(done).toMatchObject({ status: 'completed', trials: { total: 12, done: 12, running: 0, failed: 0 } });
    expect(done.finishedAt).not.toBeNull();
    expect(updates.at(-1)).toMatchObject({ status: 'completed', etaSeconds: null });
    expect(await scheduler.waitUntilIdle(sweep.id)).toMatchObject({ status: 'completed' });
  });

  it('a failing or diverging trial is stored with its reason and the sweep goes on; rerunFailed runs it again', async () => {
    const sweep = scheduler.create(spec, { concurrency: 3 });
    scheduler.launch(sweep.id);
    const [a, b, c] = exec.running.map((t) => t.runId);
    exec.finish(a!, 'failed', 'trainer exited with code 134 (out of memory)');
    exec.running.find((t) => t.runId === b)!.reject(new Error('could not load the data set'));
    exec.epochs(c!, 2);
    exec.finish(c!, 'diverged', 'loss became NaN at epoch 2');
    await flush();
    expect(store.runs.get(a!)).toMatchObject({ status: 'failed', error: 'trainer exited with code 134 (out of memory)' });
    expect(store.runs.get(b!)).toMatchObject({ status: 'failed', error: 'could not load the data set' });
    expect(store.runs.get(c!)).toMatchObject({ status: 'diverged', epochsDone: 2 });
    expect(exec.running).toHaveLength(3);
    while (exec.running.length) {
      exec.finish(exec.running[0]!.runId);
      await flush();
    }
    expect(store.sweeps.get(sweep.id)).toMatchObject({ status: 'completed', trials: { done: 10, failed: 2 } });

    // Rerun: only the failed ones (diverged is a result), from scratch, and the sweep runs again.
    scheduler.rerunFailed(sweep.id);
    expect(store.sweeps.get(sweep.id)!.status).toBe('running');
    expect(exec.running.map((t) => t.runId).sort()).toEqual([a!, b!].sort());
    expect(exec.running.every((t) => !t.resume)).toBe(true);
    expect(store.runs.get(a!)).toMatchObject({ status: 'running', error: null });
    exec.finish(a!);
    exec.finish(b!);
    await flush();
    expect(store.sweeps.get(sweep.id)).toMatchObject({ status: 'completed', trials: { done: 12, failed: 0 } });
    expect(() => scheduler.rerunFailed(sweep.id)).toThrow(/no failed trials/);
    scheduler.rerunFailed(sweep.id, true);
    expect(exec.running.map((t) => t.runId)).toEqual([c!]);
    expect(store.runs.get(c!)!.epochsDone).toBe(0);
  });

  it('an executor that cannot start a trainer fails that trial only', async () => {
    let calls = 0;
    const flaky = {
      start: (runId: string, o: { resume: boolean }) => {
        if (calls++ === 0) throw new Error('no trainer binary');
        return exec.start(runId, o);
      },
    };
    const s2 = new SweepScheduler({ store, events, executor: flaky, pollMs: 20 });
    const sweep = s2.create(spec, { concurrency: 2 });
    s2.launch(sweep.id);
    await flush();
    expect(exec.running).toHaveLength(2);
    expect(trialsByStatus(sweep.id)).toMatchObject({ failed: 1, running: 2 });
    await s2.shutdown();
  });

  it('cancel kills the trainers and marks running and queued trials cancelled', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    exec.finish(exec.running[0]!.runId);
    await flush();
    const running = exec.running.map((t) => t.runId);
    exec.epochs(running[0]!, 1);
    const cancelled = await scheduler.cancel(sweep.id);
    expect(exec.started.filter((t) => t.cancelled).map((t) => t.runId).sort()).toEqual([...running].sort());
    // One trial done, one stopped part-way with its epoch kept (not "1 of 12 done" and nothing else).
    expect(cancelled).toMatchObject({ status: 'cancelled', trials: { total: 12, done: 1, running: 0, stopped: 1 } });
    expect(trialsByStatus(sweep.id)).toEqual({ completed: 1, cancelled: 11 });
    expect(scheduler.isRunningHere(sweep.id)).toBe(false);
    // The finished trial keeps its epochs; the cancelled one keeps what it had.
    expect(store.runs.get(running[0]!)!.epochsDone).toBe(1);

    // Resume continues: cancelled trials with epochs from their checkpoint, the rest from scratch.
    scheduler.resume(sweep.id);
    expect(exec.running).toHaveLength(2);
    const resumed = exec.running.find((t) => t.runId === running[0]);
    expect(resumed?.resume).toBe(true);
  });

  it('pause stops trainers (trials interrupted) and resume restarts them from their checkpoints', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    const first = exec.running.map((t) => t.runId);
    exec.epochs(first[0]!, 2);
    const paused = await scheduler.pause(sweep.id);
    expect(paused.status).toBe('paused');
    expect(first.map(statusOf)).toEqual(['interrupted', 'interrupted']);
    expect(trialsByStatus(sweep.id)).toEqual({ interrupted: 2, queued: 10 });
    expect(paused.etaSeconds).toBeGreaterThan(0);

    scheduler.resume(sweep.id);
    const again = exec.running;
    expect(again.map((t) => t.runId)).toEqual(first);
    expect(again.every((t) => t.resume)).toBe(true);
    expect(store.runs.get(first[0]!)!.epochsDone).toBe(2);
  });

  it('tells the executor why it stops a trial, so the final status is written once (pause: interrupted; cancel: cancelled)', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    const first = exec.running.map((t) => t.runId);
    const written: string[] = [];
    const original = store.runs.update.bind(store.runs);
    store.runs.update = (id, patch) => {
      if (first.includes(id) && patch.status) written.push(`${id}:${patch.status}`);
      return original(id, patch);
    };
    await scheduler.pause(sweep.id);
    expect(exec.cancelReasons.map((c) => c.reason)).toEqual(['interrupted', 'interrupted']);
    expect(written.sort()).toEqual(first.map((id) => `${id}:interrupted`).sort());
    scheduler.resume(sweep.id);
    written.length = 0;
    await scheduler.cancel(sweep.id);
    expect(exec.cancelReasons.slice(2).map((c) => c.reason)).toEqual(['cancelled', 'cancelled']);
    expect(written.filter((w) => w.endsWith(':cancelled'))).toHaveLength(2);
    expect(written.filter((w) => !w.endsWith(':cancelled') && !w.endsWith(':running'))).toEqual([]);
    store.runs.update = original;
  });

  it('cancels and reruns single trials while the sweep goes on', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    const [a, b] = exec.running.map((t) => t.runId);
    await scheduler.cancelTrial(sweep.id, a!);
    expect(statusOf(a!)).toBe('cancelled');
    expect(exec.running).toHaveLength(2); // the next trial took its place
    exec.epochs(b!, 2);
    await scheduler.rerunTrial(sweep.id, b!);
    expect(store.runs.get(b!)!.epochsDone).toBe(0);
    const restarted = exec.running.find((t) => t.runId === b);
    expect(restarted).toMatchObject({ resume: false });
    // A queued trial can be cancelled before it starts.
    const queued = store.sweeps.trials(sweep.id).find((t) => t.status === 'queued')!;
    await scheduler.cancelTrial(sweep.id, queued.id);
    expect(statusOf(queued.id)).toBe('cancelled');
    await expect(scheduler.cancelTrial(sweep.id, queued.id)).rejects.toThrow(/nothing to cancel/);
  });

  it('reports an ETA from the sweep’s own epoch times once it has some', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    exec.epochs(exec.running[0]!.runId, 1); // 0.5 s per epoch (fake)
    const eta = scheduler.get(sweep.id).etaSeconds!;
    // 12 trials × 3 epochs − 1 done = 35 epochs × 0.5 s over 2 at a time.
    expect(eta).toBeCloseTo((35 * 0.5) / 2, 10);
  });

  it('startup recovery marks a dead process’s sweep and running trials interrupted, and leaves live owners alone', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    const running = exec.running.map((t) => t.runId);
    exec.epochs(running[0]!, 1);
    // Simulate the owner dying: a pid that has exited, heartbeat fresh.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    store.sweeps.setOwner(sweep.id, dead);
    const result = recoverInterruptedSweeps(store, { pid: 999_999_999 });
    expect(result).toEqual({ sweeps: [sweep.id], trials: 2 });
    expect(store.sweeps.get(sweep.id)!.status).toBe('interrupted');
    expect(running.map(statusOf)).toEqual(['interrupted', 'interrupted']);
    expect(store.sweeps.owner(sweep.id)).toEqual({ pid: null, heartbeatAt: null });

    // A sweep run by another live process (here: this test process, seen from another pid) is left alone.
    const other = scheduler.create(spec);
    store.sweeps.update(other.id, { status: 'running' });
    store.sweeps.setOwner(other.id, process.pid);
    expect(recoverInterruptedSweeps(store, { pid: 999_999_999 }).sweeps).toEqual([]);
    expect(store.sweeps.get(other.id)!.status).toBe('running');
    // …unless its heartbeat is stale (the pid may have been reused).
    expect(recoverInterruptedSweeps(store, { pid: 999_999_999, now: Date.now() + 60_000 }).sweeps).toEqual([other.id]);
  });

  it('notices a cancel written by another process and stops its trainers', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    const running = exec.running.map((t) => t.runId);
    // Another process: its own store handle and scheduler, not owning the sweep.
    const otherStore = openStore(dir.path);
    const other = new SweepScheduler({ store: otherStore, events: new EventBus(), executor: new FakeExecutor(otherStore), pid: process.pid + 1 });
    expect(() => other.resume(sweep.id)).toThrow(/running in another Sweeplab process/);
    await other.cancel(sweep.id);
    expect(trialsByStatus(sweep.id)).toEqual({ running: 2, cancelled: 10 });
    const idle = await scheduler.waitUntilIdle(sweep.id);
    expect(idle.status).toBe('cancelled');
    expect(exec.started.filter((t) => t.cancelled).map((t) => t.runId).sort()).toEqual([...running].sort());
    expect(trialsByStatus(sweep.id)).toEqual({ cancelled: 12 });
    await other.shutdown();
    otherStore.close();
  });

  it('a cancel under way when the process shuts down still ends cancelled, not interrupted', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    exec.cancelDelayMs = 50; // trainers that take a while to die after cancel()
    const slow = exec.running.map((t) => t.runId);
    const cancelling = scheduler.cancel(sweep.id);
    const closing = scheduler.shutdown();
    await Promise.all([cancelling, closing]);
    expect(store.sweeps.get(sweep.id)!.status).toBe('cancelled');
    expect(slow.map(statusOf)).toEqual(['cancelled', 'cancelled']);
    expect(trialsByStatus(sweep.id)).toEqual({ cancelled: 12 });
  });

  it('shutdown leaves running sweeps interrupted for the next start', async () => {
    const sweep = scheduler.create(spec, { concurrency: 2 });
    scheduler.launch(sweep.id);
    await scheduler.shutdown();
    expect(store.sweeps.get(sweep.id)!.status).toBe('interrupted');
    expect(trialsByStatus(sweep.id)).toEqual({ interrupted: 2, queued: 10 });
    expect(() => scheduler.resume(sweep.id)).toThrow(/shutting down/);
  });

  it('stops cleanly when another process deletes the running sweep (a cascade delete)', async () => {
    const forgotten: string[] = [];
    (exec as unknown as { forget: (id: string) => void }).forget = (id) => forgotten.push(id);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sweep = scheduler.create(spec);
      scheduler.launch(sweep.id);
      await flush();
      expect(exec.running).toHaveLength(2);
      const idle = scheduler.waitUntilIdle(sweep.id);
      const trialIds = store.sweeps.trials(sweep.id).map((t) => t.id);
      // Another process: the sweep row, its trials and their epochs go (ON DELETE CASCADE).
      const other = openStore(dir.path);
      other.sweeps.delete(sweep.id);
      other.close();
      // A trainer that ends on its own right then must not crash anything either.
      exec.running[0]!.resolve('completed');
      const last = await idle;
      expect(last).toMatchObject({ id: sweep.id, status: 'cancelled' });
      expect(exec.running).toHaveLength(0);
      expect(scheduler.isRunningHere(sweep.id)).toBe(false);
      // Every trial's checkpoint is dropped.
      expect(trialIds).toHaveLength(12);
      expect(new Set(forgotten)).toEqual(new Set(trialIds));
      await flush();
      expect(unhandled).toEqual([]);
      // The scheduler keeps serving: a new sweep runs.
      const next = scheduler.create(spec);
      scheduler.launch(next.id);
      await flush();
      expect(exec.running.length).toBe(2);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
