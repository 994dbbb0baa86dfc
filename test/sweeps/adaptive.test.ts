import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../electron/store';
import { EventBus } from '../../electron/service/events';
import { SweepScheduler, type TrialHandle } from '../../electron/sweeps/scheduler';
import { sweepDetail } from '../../electron/service/sweeps';
import { SweepSpec, type SweepSpecInput } from '../../shared/domain';
import { datasetRecord, tempDir, tinyModel } from '../support/fixtures';
import { epochRow, FakeExecutor, flush } from './fake-executor';
import type { ServiceContext } from '../../electron/service/context';

describe('adaptive sweeps in the scheduler', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let events: EventBus;
  let exec: FakeExecutor;
  let scheduler: SweepScheduler;
  let datasetId: string;

  beforeEach(() => {
    dir = tempDir();
    store = openStore(dir.path);
    const ds = datasetRecord();
    store.datasets.insert(ds);
    datasetId = ds.id;
    events = new EventBus();
    exec = new FakeExecutor(store);
    scheduler = new SweepScheduler({ store, events, executor: exec, cores: () => 3, pollMs: 20 });
  });
  afterEach(async () => {
    await scheduler.shutdown();
    store.close();
    dir.remove();
  });

  const spec = (over: Partial<SweepSpecInput>, axes: Partial<SweepSpecInput['axes']> = {}) =>
    SweepSpec.parse({ datasetId, model: tinyModel, base: { lr: 0.001, epochs: 9 }, axes: { lr: { values: [0.001, 0.01, 0.1] }, clip: [1], ...axes }, ...over });

  /** Stores one epoch of a running trial and announces it, as the run executor does. */
  const step = (runId: string, epoch: number, valAcc: number) => {
    const metrics = epochRow(epoch, valAcc);
    store.runs.addEpoch(runId, metrics);
    events.emit('run.epoch', { runId, metrics });
  };
  const lrOf = (runId: string) => store.runs.get(runId)!.config.lr;
  const ctx = () => ({ store, sweeps: scheduler }) as unknown as ServiceContext;

  it('stops trials by ASHA with status pruned, the epoch and the reason, and counts them apart', async () => {
    const sweep = scheduler.create(spec({ prune: { rule: 'asha', grace: 1, eta: 3 } }), { concurrency: 3 });
    scheduler.launch(sweep.id);
    const byLr = new Map(exec.running.map((t) => [lrOf(t.runId), t.runId]));
    const [a, b, c] = [byLr.get(0.001)!, byLr.get(0.01)!, byLr.get(0.1)!];
    // One after the other (asynchronous, as solo trainers report): each judged against those before it.
    step(a, 1, 0.5); // alone on rung 1
    await flush();
    step(b, 1, 0.4); // below 0.4667
    await flush();
    step(c, 1, 0.3); // below 0.4333
    await flush();
    await flush();
    for (const id of [b, c]) {
      const run = store.runs.get(id)!;
      expect(run.status).toBe('pruned');
      expect(run.pruned).toMatchObject({ epoch: 1, resumedByHand: false });
      expect(run.error).toBe(run.pruned!.reason);
    }
    expect(store.runs.get(b)!.pruned!.reason).toBe('ASHA: below the top-1/3 quantile at epoch 1: 0.400 < 0.467 (validation accuracy, best so far; 2 trials reached epoch 1)');
    expect(store.runs.get(a)!.status).toBe('running');
    exec.finish(a);
    await flush();
    const done = store.sweeps.get(sweep.id)!;
    expect(done.status).toBe('completed');
    expect(done.trials).toMatchObject({ total: 3, done: 3, failed: 0 });

    const detail = sweepDetail(ctx(), sweep.id);
    const cell = detail.stats.cells.find((x) => x.lr === 0.01)!;
    expect(cell.trials).toMatchObject({ total: 1, completed: 0, pruned: 1, failed: 0, unfinished: 0 });
    expect(cell.prunedAtEpochs).toEqual([1]);
    expect(cell.bestValAcc.mean).toBeNull();
    expect(detail.stats.best.bestValAcc).toBe(detail.stats.cells.find((x) => x.lr === 0.001)!.cellId);
    expect(detail.stats.adaptive).toMatchObject({ method: 'grid', prune: 'asha', comparedAtEpoch: 9, prunedTrials: 2, epochs: { trained: 11, saved: 16, full: 27 } });
    expect(detail.stats.adaptive!.note).toBe('Statistics compare only the 1 trial that reached epoch 9 (the last); 2 pruned trials are shown as pruned and left out.');
  });

  it('trials that report an epoch together (a pack) are judged together, none of them alone on its rung', async () => {
    const sweep = scheduler.create(spec({ prune: { rule: 'asha', grace: 1, eta: 3 } }), { concurrency: 3 });
    scheduler.launch(sweep.id);
    const byLr = new Map(exec.running.map((t) => [lrOf(t.runId), t.runId]));
    const [a, b, c] = [byLr.get(0.001)!, byLr.get(0.01)!, byLr.get(0.1)!];
    // The worst reports first: judged one by one it would be alone on rung 1 and go on.
    step(c, 1, 0.3);
    step(b, 1, 0.4);
    step(a, 1, 0.5);
    await flush();
    await flush();
    // Hand-worked: the 2/3 quantile of {0.3, 0.4, 0.5} is 0.4 + (0.5 − 0.4)·(1.333 − 1) = 0.4333.
    expect(store.runs.get(c)!).toMatchObject({ status: 'pruned', pruned: { epoch: 1 } });
    expect(store.runs.get(c)!.pruned!.reason).toBe('ASHA: below the top-1/3 quantile at epoch 1: 0.300 < 0.433 (validation accuracy, best so far; 3 trials reached epoch 1)');
    expect(store.runs.get(b)!.pruned!.reason).toBe('ASHA: below the top-1/3 quantile at epoch 1: 0.400 < 0.433 (validation accuracy, best so far; 3 trials reached epoch 1)');
    expect(store.runs.get(a)!.status).toBe('running');
  });

  it('in a pack, a trial is judged once its pack mates reported the same epoch, however far apart their reports arrive', async () => {
    const packing = new (class extends FakeExecutor {
      startPack(runs: { runId: string; resume: boolean }[]): Map<string, TrialHandle> {
        return new Map(runs.map((r) => [r.runId, this.start(r.runId, r)]));
      }
    })(store);
    await scheduler.shutdown();
    exec = packing;
    scheduler = new SweepScheduler({ store, events, executor: packing, cores: () => 3, pollMs: 20 });
    const sweep = scheduler.create(spec({ pack: 3, prune: { rule: 'asha', grace: 1, eta: 3 } }), { concurrency: 1 });
    scheduler.launch(sweep.id);
    expect(packing.running).toHaveLength(3); // one trainer, three trials
    const byLr = new Map(packing.running.map((t) => [lrOf(t.runId), t.runId]));
    const [a, b, c] = [byLr.get(0.001)!, byLr.get(0.01)!, byLr.get(0.1)!];
    step(c, 1, 0.3); // the worst first, in its own turn: not yet judged (its mates are behind)
    await flush();
    await flush();
    expect(store.runs.get(c)!.status).toBe('running');
    step(b, 1, 0.4);
    await flush();
    await flush();
    expect(store.runs.get(b)!.status).toBe('running');
    step(a, 1, 0.5);
    await flush();
    await flush();
    for (const id of [b, c]) expect(store.runs.get(id)!.pruned!.reason).toMatch(/; 3 trials reached epoch 1\)$/);
    expect(store.runs.get(c)!.status).toBe('pruned');
    expect(store.runs.get(b)!.status).toBe('pruned');
    expect(store.runs.get(a)!.status).toBe('running');
  });

  it('judges a trial at the epoch it reported, even when its trainer stored the next one before the decision', async () => {
    const sweep = scheduler.create(spec({ prune: { rule: 'asha', grace: 1, eta: 3 } }, { lr: { values: [0.001, 0.01] } }), { concurrency: 2 });
    scheduler.launch(sweep.id);
    const byLr = new Map(exec.running.map((t) => [lrOf(t.runId), t.runId]));
    const [a, b] = [byLr.get(0.001)!, byLr.get(0.01)!];
    step(a, 1, 0.5);
    await flush();
    step(b, 1, 0.4);
    step(b, 2, 0.45); // epoch 2 is no rung: judged at 1 only, it would be missed
    await flush();
    await flush();
    expect(store.runs.get(b)!).toMatchObject({ status: 'pruned', pruned: { epoch: 1 } });
  });

  it('resumes a pruned trial to its full length by hand, and does not prune it again', async () => {
    const sweep = scheduler.create(spec({ prune: { rule: 'asha', grace: 1, eta: 3 } }, { lr: { values: [0.001, 0.01] } }), { concurrency: 2 });
    scheduler.launch(sweep.id);
    const byLr = new Map(exec.running.map((t) => [lrOf(t.runId), t.runId]));
    const [a, b] = [byLr.get(0.001)!, byLr.get(0.01)!];
    step(a, 1, 0.5);
    await flush();
    step(b, 1, 0.4);
    await flush();
    await flush();
    expect(store.runs.get(b)!.status).toBe('pruned');
    exec.finish(a);
    await flush();
    expect(store.sweeps.get(sweep.id)!.status).toBe('completed');

    scheduler.resumeTrial(sweep.id, b);
    const resumed = exec.running.find((t) => t.runId === b)!;
    expect(resumed.resume).toBe(true);
    expect(store.runs.get(b)!).toMatchObject({ status: 'running', error: null, pruned: { epoch: 1, resumedByHand: true } });
    for (let e = 2; e <= 8; e++) step(b, e, 0.1); // far below A at rung 3, yet left alone
    await flush();
    expect(store.runs.get(b)!.status).toBe('running');
    exec.finish(b);
    await flush();
    expect(store.runs.get(b)!).toMatchObject({ status: 'completed', epochsDone: 9 });
    expect(store.sweeps.get(sweep.id)!.status).toBe('completed');
    const detail = sweepDetail(ctx(), sweep.id);
    expect(detail.stats.cells.find((x) => x.lr === 0.01)!.trials).toMatchObject({ completed: 1, pruned: 0 });
    await expect(async () => scheduler.resumeTrial(sweep.id, a)).rejects.toThrow(/only a pruned trial/);
  });

  it('a random search proposes lazily, repeats every configuration over the seeds, and finishes its budget', async () => {
    const s = spec({ method: 'random', trials: 4, repeats: 2, ranges: { lr: { min: 1e-4, max: 1e-1 }, clip: { min: 0.1, max: 3, log: false } } });
    const sweep = scheduler.create(s, { concurrency: 2 });
    expect(sweep.trials.total).toBe(8);
    expect(store.sweeps.trials(sweep.id)).toHaveLength(0);
    scheduler.launch(sweep.id);
    // One configuration (2 seeds) fills the pool of 2.
    expect(store.sweeps.trials(sweep.id)).toHaveLength(2);
    while (exec.running.length) {
      exec.finish(exec.running[0]!.runId);
      await flush();
    }
    const trials = store.sweeps.trials(sweep.id);
    expect(trials).toHaveLength(8);
    const cells = new Set(trials.map((t) => t.cellId));
    expect(cells.size).toBe(4);
    for (const cellId of cells) expect(trials.filter((t) => t.cellId === cellId).map((t) => t.seed).sort()).toEqual([0, 1]);
    expect(store.sweeps.get(sweep.id)!.status).toBe('completed');
    const detail = sweepDetail(ctx(), sweep.id);
    expect(detail.stats.cells).toHaveLength(4);
    expect(detail.stats.cells.every((c) => c.trials.completed === 2 && c.bestValAcc.ci95 !== null)).toBe(true);
    expect(detail.stats.adaptive).toMatchObject({ method: 'random', prune: null, configurations: { budget: 4, proposed: 4 }, params: ['lr', 'clip'] });
    for (const t of detail.trials) {
      expect(t.lr).toBeGreaterThanOrEqual(1e-4);
      expect(t.clip).toBeLessThanOrEqual(3);
    }
  });

  it('a search sweep killed and resumed proposes no configuration twice, and the same ones as without the kill', async () => {
    const s = spec({ method: 'random', trials: 6, repeats: 1, ranges: { lr: { min: 1e-4, max: 1e-1 } } }, { clip: [0.5, 1.5, null] });
    const drive = async (sched: SweepScheduler, ex: FakeExecutor, stopAfter = Infinity) => {
      let finished = 0;
      while (ex.running.length && finished < stopAfter) {
        ex.finish(ex.running[0]!.runId);
        finished++;
        await flush();
      }
    };
    // Without a kill.
    const whole = scheduler.create(s, { concurrency: 2 });
    scheduler.launch(whole.id);
    await drive(scheduler, exec);
    const expected = store.sweeps.trials(whole.id).sort((x, y) => x.order - y.order).map((t) => t.cellId);
    expect(new Set(expected).size).toBe(6);

    // Killed after 3 trials: a new process resumes it.
    const killed = scheduler.create(s, { concurrency: 2 });
    scheduler.launch(killed.id);
    await drive(scheduler, exec, 3);
    await scheduler.shutdown();
    expect(store.sweeps.get(killed.id)!.status).toBe('interrupted');
    const before = store.sweeps.trials(killed.id).length;
    expect(before).toBeLessThan(6);
    const exec2 = new FakeExecutor(store);
    scheduler = new SweepScheduler({ store, events, executor: exec2, cores: () => 3, pollMs: 20 });
    scheduler.resume(killed.id);
    await drive(scheduler, exec2);
    const trials = store.sweeps.trials(killed.id).sort((x, y) => x.order - y.order);
    expect(trials.map((t) => t.cellId)).toEqual(expected);
    expect(trials.every((t) => t.status === 'completed')).toBe(true);
    expect(store.sweeps.get(killed.id)!.status).toBe('completed');
  });

  it('TPE waits for results: with one trainer, each proposal comes after the previous result', async () => {
    const s = spec({ method: 'tpe', trials: 5, tpe: { startupTrials: 2, candidates: 24 }, ranges: { lr: { min: 1e-4, max: 1e-1 } } });
    const sweep = scheduler.create(s, { concurrency: 1 });
    scheduler.launch(sweep.id);
    for (let k = 1; k <= 5; k++) {
      expect(store.sweeps.trials(sweep.id)).toHaveLength(k);
      const runId = exec.running[0]!.runId;
      // A peak at lr = 0.003: TPE's later proposals should move towards it.
      const acc = 0.9 - 0.1 * Math.abs(Math.log10(lrOf(runId)) - Math.log10(0.003));
      exec.epochs(runId, 9, () => acc);
      exec.finish(runId);
      await flush();
    }
    expect(store.sweeps.get(sweep.id)!.status).toBe('completed');
    expect(new Set(store.sweeps.trials(sweep.id).map((t) => t.cellId)).size).toBe(5);
  });
});
