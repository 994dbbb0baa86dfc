import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rawDatabase } from '../../electron/store/testing';
import { openStore, type Store } from '../../electron/store';
import { SCHEMA_VERSION } from '../../electron/store/migrations';
import { datasetRecord, tempDir, tinyConfig, tinyModel } from '../support/fixtures';
import type { EpochMetrics } from '../../shared/domain';

const epoch = (n: number, valAcc: number): EpochMetrics => ({
  epoch: n,
  loss: 1 / n,
  trainAcc: valAcc + 0.01,
  valAcc,
  valLoss: 0.5 / n,
  seconds: 1.25 * n,
  gradNormMean: 0.8,
  gradNormMax: 2.5,
  clippedFraction: 0.25,
});

describe('store', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;

  beforeEach(() => {
    dir = tempDir();
    store = openStore(dir.path);
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  it('migrates an empty database to the current schema, in WAL mode with foreign keys on', () => {
    expect(rawDatabase(store).pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(rawDatabase(store).pragma('journal_mode', { simple: true })).toBe('wal');
    expect(rawDatabase(store).pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = rawDatabase(store).prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['datasets', 'epoch_steps', 'epochs', 'runs', 'sweeps']);
  });

  it('round-trips a data set, finds it by checksum, renames it', () => {
    const ds = datasetRecord({ name: 'Kuzushiji' });
    store.datasets.insert(ds);
    expect(store.datasets.get(ds.id)).toEqual(ds);
    expect(store.datasets.findByChecksum(ds.checksum)?.id).toBe(ds.id);
    store.datasets.rename(ds.id, 'KMNIST');
    expect(store.datasets.get(ds.id)?.name).toBe('KMNIST');
    expect(() => store.datasets.insert({ ...ds, id: 'other' })).toThrow(/UNIQUE/);
  });

  it('round-trips a run and its epochs, keeping the summary in step with the epochs', () => {
    const ds = datasetRecord();
    store.datasets.insert(ds);
    const run = store.runs.create({ datasetId: ds.id, model: tinyModel, config: tinyConfig });
    expect(run).toMatchObject({ status: 'queued', datasetName: ds.name, epochsDone: 0, bestValAcc: null, starred: false, tags: [] });
    expect(run.model).toEqual(tinyModel);
    expect(run.config).toEqual(tinyConfig);

    store.runs.addEpoch(run.id, epoch(1, 0.8));
    store.runs.addEpoch(run.id, epoch(2, 0.9));
    store.runs.addEpoch(run.id, epoch(3, 0.85));
    expect(store.runs.epochs(run.id)).toEqual([epoch(1, 0.8), epoch(2, 0.9), epoch(3, 0.85)]);
    expect(store.runs.get(run.id)).toMatchObject({ epochsDone: 3, bestValAcc: 0.9, bestEpoch: 2, lastValAcc: 0.85, lastTrainAcc: 0.86 });

    // An epoch is stored once: a second insert of the same epoch is refused.
    expect(() => store.runs.addEpoch(run.id, epoch(3, 0.5))).toThrow(/UNIQUE|PRIMARY/);
    store.runs.truncateEpochs(run.id, 1);
    expect(store.runs.get(run.id)).toMatchObject({ epochsDone: 1, bestValAcc: 0.8, bestEpoch: 1 });

    // Per-step curves ride along with their epoch, are dropped with it, and never stored twice.
    const curve = (n: number, loss: number) => ({
      epoch: n,
      steps: 2,
      points: [
        { step: 1, n: 1, loss, lossMax: loss, gradNorm: 1.5, gradNormMax: 1.5, clipped: 1, clipScale: 1 / 1.5 },
        { step: 2, n: 1, loss: loss / 2, lossMax: loss / 2, gradNorm: 0.5, gradNormMax: 0.5, clipped: 0, clipScale: 1 },
      ],
    });
    store.runs.addEpoch(run.id, epoch(2, 0.9), curve(2, 2.25));
    store.runs.addEpoch(run.id, epoch(3, 0.9), curve(3, 1.5));
    expect(() => store.runs.addEpoch(run.id, epoch(3, 0.9), curve(3, 9))).toThrow(/UNIQUE|PRIMARY/);
    const stored = store.runs.steps(run.id);
    expect(stored.map((s) => s.epoch)).toEqual([2, 3]);
    expect(stored[1]!.points[0]!.loss).toBe(1.5);
    expect(stored[0]!.points[0]!.clipScale).toBeCloseTo(1 / 1.5, 6);
    store.runs.truncateEpochs(run.id, 2);
    store.runs.addEpoch(run.id, epoch(3, 0.8), curve(3, 1.25));
    expect(store.runs.steps(run.id).map((s) => [s.epoch, s.points[0]!.loss])).toEqual([
      [2, 2.25],
      [3, 1.25],
    ]);
    // Lists never carry them.
    expect(JSON.stringify(store.runs.list({}))).not.toContain('gradNormMax":1.5');
    store.runs.truncateEpochs(run.id, 1);

    const updated = store.runs.update(run.id, { starred: true, tags: ['baseline'], notes: 'first try', status: 'completed' });
    expect(updated).toMatchObject({ starred: true, tags: ['baseline'], notes: 'first try', status: 'completed' });
  });

  it('persists across reopen and cascades epochs on run delete', () => {
    const ds0 = datasetRecord();
    store.datasets.insert(ds0);
    const other = store.runs.create({ datasetId: ds0.id, model: tinyModel, config: tinyConfig });
    store.runs.addEpoch(other.id, epoch(1, 0.5), { epoch: 1, steps: 1, points: [{ step: 1, n: 1, loss: 1, lossMax: 1, gradNorm: 1, gradNormMax: 1, clipped: 0, clipScale: 1 }] });
    store.runs.delete(other.id);
    expect(rawDatabase(store).prepare('SELECT count(*) AS n FROM epoch_steps').get()).toEqual({ n: 0 });
    const ds = datasetRecord();
    store.datasets.insert(ds);
    const run = store.runs.create({ datasetId: ds.id, model: tinyModel, config: tinyConfig, name: 'keep me' });
    store.runs.addEpoch(run.id, epoch(1, 0.7));
    store.close();
    store = openStore(dir.path);
    expect(store.runs.get(run.id)?.name).toBe('keep me');
    expect(store.runs.epochs(run.id)).toHaveLength(1);
    expect(store.runs.delete(run.id)).toBe(true);
    expect(rawDatabase(store).prepare('SELECT count(*) FROM epochs').pluck().get()).toBe(0);
  });

  it('refuses a run on a missing data set (foreign key) and reports usage before deletes', () => {
    expect(() => store.runs.create({ datasetId: 'missing', model: tinyModel, config: tinyConfig })).toThrow(/FOREIGN KEY/);
    const ds = datasetRecord();
    store.datasets.insert(ds);
    store.runs.create({ datasetId: ds.id, model: tinyModel, config: tinyConfig });
    expect(store.datasets.usage(ds.id)).toEqual({ runs: 1, sweeps: 0 });
    expect(() => store.datasets.delete(ds.id)).toThrow(/FOREIGN KEY/);
    store.datasets.delete(ds.id, true);
    expect(store.datasets.get(ds.id)).toBeNull();
    expect(store.runs.list().total).toBe(0);
  });

  it('filters, sorts and pages runs', () => {
    const ds = datasetRecord();
    store.datasets.insert(ds);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = store.runs.create({ datasetId: ds.id, model: tinyModel, config: { ...tinyConfig, lr: 0.001 * (i + 1) }, name: `run ${i}` });
      store.runs.addEpoch(run.id, epoch(1, 0.5 + i / 10));
      ids.push(run.id);
    }
    store.runs.update(ids[1]!, { status: 'failed', starred: true });
    const best = store.runs.list({ sort: 'bestValAcc', order: 'desc', limit: 2 });
    expect(best.total).toBe(5);
    expect(best.items.map((r) => r.name)).toEqual(['run 4', 'run 3']);
    expect(store.runs.list({ status: ['failed'] }).items.map((r) => r.id)).toEqual([ids[1]]);
    expect(store.runs.list({ starred: true }).total).toBe(1);
    expect(store.runs.list({ search: 'run 2' }).items.map((r) => r.id)).toEqual([ids[2]]);
    expect(store.runs.list({ search: '100%' }).total).toBe(0);
    expect(store.runs.list({ sort: 'name', order: 'asc', offset: 3 }).items.map((r) => r.name)).toEqual(['run 3', 'run 4']);
  });

  it('round-trips a sweep with trial counts derived from its runs', () => {
    const ds = datasetRecord();
    store.datasets.insert(ds);
    const spec = {
      datasetId: ds.id,
      model: tinyModel,
      base: tinyConfig,
      axes: { lr: { values: [0.001, 0.01] }, clip: [null, 1] },
      repeats: 2,
    };
    const sweep = store.sweeps.create({ name: 'lr sweep', spec, concurrency: 2 });
    expect(sweep).toMatchObject({ name: 'lr sweep', status: 'draft', concurrency: 2, trials: { total: 0, done: 0, running: 0, failed: 0 } });
    const run = store.runs.create({ datasetId: ds.id, model: tinyModel, config: tinyConfig, sweepId: sweep.id, cellId: 'c1' });
    store.runs.update(run.id, { status: 'completed' });
    expect(store.sweeps.get(sweep.id)?.trials).toEqual({ total: 1, done: 1, running: 0, failed: 0, stopped: 0 });
    // A trial cancelled before its first epoch is left out of History (unstartedTrials: false);
    // one cancelled after training some epochs is history.
    const never = store.runs.create({ datasetId: ds.id, model: tinyModel, config: tinyConfig, sweepId: sweep.id, cellId: 'c2' });
    const partway = store.runs.create({ datasetId: ds.id, model: tinyModel, config: tinyConfig, sweepId: sweep.id, cellId: 'c3' });
    store.runs.update(never.id, { status: 'cancelled' });
    store.runs.addEpoch(partway.id, { epoch: 1, loss: 1, trainAcc: 0.5, valAcc: 0.5, valLoss: 1, seconds: 1, gradNormMean: 1, gradNormMax: 1, clippedFraction: 0 });
    store.runs.update(partway.id, { status: 'cancelled' });
    const listed = (f: { unstartedTrials?: boolean }) => store.runs.list({ sweepId: sweep.id, ...f }).items.map((r) => r.id).sort();
    expect(listed({ unstartedTrials: false })).toEqual([run.id, partway.id].sort());
    expect(listed({})).toEqual([run.id, never.id, partway.id].sort());
    expect(store.sweeps.get(sweep.id)?.trials).toMatchObject({ total: 3, done: 1, stopped: 1 });
    expect(store.sweeps.update(sweep.id, { status: 'running' })?.status).toBe('running');
  });
});

describe('ids', () => {
  it('are 12 letters and digits, never starting with a dash, and do not repeat', async () => {
    const { newId } = await import('../../electron/store/ids');
    const ids = Array.from({ length: 5000 }, () => newId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('interrupted runs on start', () => {
  it('marks only runs whose owning process is gone', async () => {
    const { spawn } = await import('node:child_process');
    const dir = tempDir();
    const store = openStore(dir.path);
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    try {
      const ds = datasetRecord();
      store.datasets.insert(ds);
      const make = (name: string, owner: number | null) => {
        const run = store.runs.create({ datasetId: ds.id, model: tinyModel, config: tinyConfig, name, status: 'running' });
        store.runs.setOwner(run.id, owner);
        return run.id;
      };
      const byLive = make('trained by the app', live.pid!);
      const byDead = make('its process died', dead.pid!);
      const noOwner = make('no owner recorded', null);
      const oldSelf = make('an earlier process with our pid', process.pid);
      expect(store.runs.markInterrupted(process.pid).sort()).toEqual([byDead, noOwner, oldSelf].sort());
      expect(store.runs.get(byLive)?.status).toBe('running');
      expect(store.runs.get(byDead)?.status).toBe('interrupted');
    } finally {
      live.kill();
      store.close();
      dir.remove();
    }
  });
});
