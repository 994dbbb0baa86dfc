/** Which trials the scheduler packs into one trainer, how many, and when it does not. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../electron/store';
import { EventBus } from '../../electron/service/events';
import { SweepScheduler, type TrialHandle } from '../../electron/sweeps/scheduler';
import { SweepSpec, type SweepSpecInput } from '../../shared/domain';
import { GPU_PACK_BUDGET, packBudgetBytes, packMemberBytes, packSize, packsByDefault, WASM_PACK_BUDGET } from '../../shared/packing';
import { presetModel } from '../../shared/models';
import { datasetRecord, tempDir, tinyModel } from '../support/fixtures';
import { FakeExecutor, flush } from './fake-executor';

/** The fake executor, plus packs: each member is an ordinary fake trial; the packs are recorded. */
class PackingExecutor extends FakeExecutor {
  readonly packs: string[][] = [];
  startPack(runs: { runId: string; resume: boolean }[]): Map<string, TrialHandle> {
    this.packs.push(runs.map((r) => r.runId));
    return new Map(runs.map((r) => [r.runId, this.start(r.runId, r)]));
  }
}

describe('packing in the sweep scheduler', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let exec: PackingExecutor;
  let scheduler: SweepScheduler;
  let datasetId: string;
  let gpu = false;
  const make = (over: Partial<SweepSpecInput> = {}, options: { packBudgetBytes?: number; freeMemory?: () => number; webgpuSoftware?: () => boolean } = {}) => {
    scheduler = new SweepScheduler({ store, events: new EventBus(), executor: exec, cores: () => 2, gpu: () => gpu, pollMs: 20, ...options });
    const spec = SweepSpec.parse({
      datasetId,
      model: tinyModel,
      base: { lr: 0.001, epochs: 2, backend: 'wasm' },
      axes: { lr: { values: [0.001, 0.01] }, clip: [1, null] },
      repeats: 2,
      ...over,
    });
    return scheduler.create(spec, { concurrency: 1 });
  };
  /** Finishes every running trial, round after round, until the sweep is done. */
  const drain = async () => {
    for (let round = 0; exec.running.length && round < 50; round++) {
      for (const t of exec.running) exec.finish(t.runId);
      await flush();
    }
  };

  beforeEach(() => {
    dir = tempDir();
    store = openStore(dir.path);
    const ds = datasetRecord();
    store.datasets.insert(ds);
    datasetId = ds.id;
    exec = new PackingExecutor(store);
    gpu = false;
  });
  afterEach(async () => {
    await scheduler.shutdown();
    store.close();
    dir.remove();
  });

  it('wasm: no packing unless asked for', async () => {
    const sweep = make();
    scheduler.launch(sweep.id);
    await drain();
    expect(exec.packs).toEqual([]);
    expect(exec.started).toHaveLength(8);
    expect(store.sweeps.get(sweep.id)!.status).toBe('completed');
  });

  it('--pack 3 on wasm: balanced packs of consecutive trials, one trainer at concurrency 1', async () => {
    const sweep = make({ pack: 3 });
    scheduler.launch(sweep.id);
    await flush();
    // 8 pending, at most 3 per pack: ceil(8 / ceil(8 / 3)) = 3 now, then 3 of 5, then the last 2.
    expect(exec.packs.map((p) => p.length)).toEqual([3]);
    expect(exec.running).toHaveLength(3);
    await drain();
    expect(exec.packs.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(exec.maxRunning).toBe(3); // concurrency counts trainers, each trains its pack
    const order = new Map(store.sweeps.trials(sweep.id).map((t) => [t.id, t]));
    expect(exec.packs.flat().every((id) => order.get(id)!.status === 'completed')).toBe(true);
  });

  it('GPU backends pack automatically, sized by memory; --pack 1 turns it off', async () => {
    gpu = true;
    const all = make({ base: { lr: 0.001, epochs: 2, backend: 'auto' } });
    scheduler.launch(all.id);
    await flush();
    expect(exec.packs.map((p) => p.length)).toEqual([8]);
    await drain();
    await scheduler.shutdown();

    // A budget for 3 trials of this model gives balanced packs of at most 3.
    const member = packMemberBytes(tinyModel, [28, 28, 1], 10, 64);
    exec = new PackingExecutor(store);
    const tight = make({ base: { lr: 0.001, epochs: 2, backend: 'tensorflow-gpu' } }, { packBudgetBytes: 3 * member + 1 });
    scheduler.launch(tight.id);
    await drain();
    expect(exec.packs.map((p) => p.length)).toEqual([3, 3, 2]);
    await scheduler.shutdown();

    exec = new PackingExecutor(store);
    const off = make({ base: { lr: 0.001, epochs: 2, backend: 'tensorflow-gpu' }, pack: 1 });
    scheduler.launch(off.id);
    await drain();
    expect(exec.packs).toEqual([]);
    expect(exec.started).toHaveLength(8);
  });

  it('webgpu packs automatically, except on a software adapter (unless asked)', async () => {
    const sweep = make({ base: { lr: 0.001, epochs: 2, backend: 'webgpu' } }, { webgpuSoftware: () => true });
    scheduler.launch(sweep.id);
    await drain();
    expect(exec.packs).toEqual([]);
    await scheduler.shutdown();
    exec = new PackingExecutor(store);
    const asked = make({ base: { lr: 0.001, epochs: 2, backend: 'webgpu' }, pack: 4 }, { webgpuSoftware: () => true });
    scheduler.launch(asked.id);
    await drain();
    expect(exec.packs.map((p) => p.length)).toEqual([4, 4]);
    await scheduler.shutdown();
    exec = new PackingExecutor(store);
    const hardware = make({ base: { lr: 0.001, epochs: 2, backend: 'webgpu' } }, { webgpuSoftware: () => false });
    scheduler.launch(hardware.id);
    await drain();
    expect(exec.packs.map((p) => p.length)).toEqual([8]);
  });

  it('on CPU backends the pack size follows free host memory', async () => {
    const member = packMemberBytes(tinyModel, [28, 28, 1], 10, 64);
    // Half of what is free goes to packs: room for 3 trials of this model.
    let free = 2 * (3 * member + 1);
    const sweep = make({ pack: 8 }, { freeMemory: () => free });
    scheduler.launch(sweep.id);
    await flush();
    expect(exec.packs.map((p) => p.length)).toEqual([3]);
    free = 2 * (8 * member + 1); // memory freed meanwhile: the remaining 5 go as one pack
    await drain();
    expect(exec.packs.map((p) => p.length)).toEqual([3, 5]);
  });

  it('only trials of one model and resume point share a pack', async () => {
    gpu = true;
    const sweep = make({ model: presetModel('plain'), base: { lr: 0.001, epochs: 2, backend: 'auto' }, axes: { lr: { values: [0.001, 0.01] }, clip: [null], preset: ['plain', 'bn'] }, repeats: 1 });
    scheduler.launch(sweep.id);
    await drain();
    const trials = new Map(store.sweeps.trials(sweep.id).map((t) => [t.id, store.runs.get(t.id)!.model.preset]));
    expect(exec.packs).toHaveLength(2);
    for (const pack of exec.packs) expect(new Set(pack.map((id) => trials.get(id))).size).toBe(1);
  });
});

describe('pack sizes', () => {
  it('the cap, the memory budget and balance', () => {
    expect(packSize({ pending: 18, cap: 16, memberBytes: 1, budgetBytes: 1e9 })).toBe(9);
    expect(packSize({ pending: 5, cap: 16, memberBytes: 1, budgetBytes: 1e9 })).toBe(5);
    expect(packSize({ pending: 100, cap: 64, memberBytes: 10, budgetBytes: 45 })).toBe(4);
    expect(packSize({ pending: 100, cap: 64, memberBytes: 10, budgetBytes: 5 })).toBe(1);
    expect(packSize({ pending: 200, cap: 200, memberBytes: 1, budgetBytes: 1e9 })).toBe(50); // never above 64: 4 packs of 50
  });

  it('automatic packing on GPU backends and the cpu backend, not wasm', () => {
    expect(packsByDefault('tensorflow-gpu', false)).toBe(true);
    expect(packsByDefault('auto', true)).toBe(true);
    expect(packsByDefault('auto', false)).toBe(false);
    expect(packsByDefault('wasm', true)).toBe(false);
    expect(packsByDefault('cpu', false)).toBe(true); // measured: a pack shares the cpu backend's per-op cost
    expect(packsByDefault('webgpu', false)).toBe(true);
    expect(packsByDefault('webgpu', false, true)).toBe(false); // a software adapter: measured 0.44x
  });

  it('the memory budget: fixed on a GPU, half the free host memory on CPU backends, shared by the trainers at once', () => {
    const host = (freeBytes: number, trainers: number) => ({ freeBytes, trainers });
    expect(packBudgetBytes('webgpu', false, host(1e12, 1))).toBe(GPU_PACK_BUDGET);
    expect(packBudgetBytes('tensorflow-gpu', true, host(1e12, 2))).toBe(GPU_PACK_BUDGET / 2);
    expect(packBudgetBytes('auto', true, host(1e3, 1))).toBe(GPU_PACK_BUDGET);
    expect(packBudgetBytes('cpu', false, host(8e9, 2))).toBe(2e9);
    expect(packBudgetBytes('tensorflow', false, host(64e9, 1))).toBe(32e9);
    expect(packBudgetBytes('wasm', false, host(64e9, 1))).toBe(WASM_PACK_BUDGET); // wasm32 heap
    expect(packBudgetBytes('wasm', false, host(1e9, 4))).toBe(1.25e8);
  });

  it('memory per trial grows with the model and the batch', () => {
    const both = presetModel('both');
    // 269,322 parameters ×5 floats dominate; activations add per row of the batch and of the eval batch.
    const bytes = packMemberBytes(both, [28, 28, 1], 10, 64);
    expect(bytes).toBeGreaterThan(4 * 5 * 269_322);
    expect(packMemberBytes(both, [28, 28, 1], 10, 128)).toBeGreaterThan(bytes);
  });
});
