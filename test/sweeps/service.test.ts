import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testRuntime } from '../support/runtime';
import { datasetRecord, tinyModel } from '../support/fixtures';
import { attachSweepScheduler } from '../../electron/service/sweeps';
import { SweepScheduler } from '../../electron/sweeps/scheduler';
import { parameterCount } from '../../electron/sweeps/eta';
import { SweepDetail, type SweepPlan } from '../../shared/contract/sweeps';
import type { SweepSpecInput } from '../../shared/domain';
import { FakeExecutor, epochRow, flush } from './fake-executor';

describe('sweeps service', () => {
  let rt: Awaited<ReturnType<typeof testRuntime>>;
  let exec: FakeExecutor;
  let datasetId: string;
  let spec: SweepSpecInput;

  beforeEach(async () => {
    rt = await testRuntime();
    const ds = datasetRecord({ counts: { train: 2000, test: 500 } });
    rt.runtime.store.datasets.insert(ds);
    datasetId = ds.id;
    exec = new FakeExecutor(rt.runtime.store);
    attachSweepScheduler(rt.runtime.service.context, new SweepScheduler({ store: rt.runtime.store, events: rt.runtime.events, executor: exec, cores: () => 2 }));
    spec = { datasetId, model: tinyModel, base: { lr: 0.001, epochs: 2, subset: { size: 500 } }, axes: { lr: { values: [0.001, 0.01] }, clip: [1, null] }, repeats: 2 };
  });
  afterEach(() => rt.dispose());

  it('plans from a heuristic, then from measured epochs of matching past runs', async () => {
    const first: SweepPlan = await rt.call('sweeps.plan', { spec, concurrency: 2 });
    expect(first).toMatchObject({ cells: 4, trials: 8, epochsPerTrial: 2, epochs: 16, lrValues: [0.001, 0.01], concurrency: 2, etaSource: 'estimate' });
    // 784·16 + 16 + 16·10 + 10 parameters; 6 FLOP per parameter per training sample, 2 per test sample.
    expect(parameterCount(tinyModel, 784)).toBe(12_730);
    expect(first.secondsPerEpoch).toBeCloseTo((6 * 12_730 * 500 + 2 * 12_730 * 500) / 9e9, 12);
    expect(first.basis).toMatch(/^12,730 parameters × 500 samples/);

    // A past run of the same layers and batch size on 1000 samples: epochs of 2, 3 and 40 s.
    const store = rt.runtime.store;
    const past = store.runs.create({ datasetId, model: tinyModel, config: { ...(await planConfig()), subset: { size: 1000, mode: 'first' } } });
    [2, 3, 40].forEach((s, i) => store.runs.addEpoch(past.id, { ...epochRow(i + 1), seconds: s }));
    store.runs.update(past.id, { status: 'completed', backend: 'wasm' });
    // A run of another model must not count.
    const other = store.runs.create({ datasetId, model: { ...tinyModel, layers: tinyModel.layers.slice(0, 2) }, config: await planConfig() });
    store.runs.addEpoch(other.id, { ...epochRow(1), seconds: 1000 });
    store.runs.update(other.id, { status: 'completed', backend: 'wasm' });

    const measured = await rt.call('sweeps.plan', { spec, concurrency: 2 });
    // Median 3 s per 1000 samples → 1.5 s per epoch at 500; 16 trial-epochs over 2 at a time.
    expect(measured).toMatchObject({ etaSource: 'measured', secondsPerEpoch: 1.5, etaSeconds: 12 });
    expect(measured.basis).toMatch(/median of 3 epochs of 1 past run .*\(wasm\), scaled to 500/);
    await expect(rt.call('sweeps.plan', { spec: { ...spec, datasetId: 'nope' } })).rejects.toThrow(/No data set/);

    async function planConfig() {
      const { TrainConfig } = await import('../../shared/domain');
      return TrainConfig.parse({ lr: 0.01 });
    }
  });

  it('creates, runs and shows a sweep with trials, epochs and statistics in the contract shape', async () => {
    const sweep = await rt.call('sweeps.create', { spec, concurrency: 2 });
    expect(sweep).toMatchObject({ status: 'running', concurrency: 2, trials: { total: 8 } });
    expect(sweep.etaSeconds).toBeGreaterThan(0);
    // Every trial finishes; cell lr 0.01/clip 1 does clearly better on every seed.
    while (exec.running.length) {
      const t = exec.running[0]!;
      const run = rt.runtime.store.runs.get(t.runId)!;
      const good = run.config.lr === 0.01 && run.config.clipNorm === 1;
      exec.epochs(t.runId, 2, (e) => (good ? 0.9 : 0.7) + e / 100 + run.config.seed / 1000);
      exec.finish(t.runId);
      await flush();
    }
    const detail = await rt.call('sweeps.show', { id: sweep.id });
    expect(() => SweepDetail.parse(detail)).not.toThrow();
    expect(detail.status).toBe('completed');
    expect(detail.trials).toHaveLength(8);
    const t0 = detail.trials.find((t) => t.lr === 0.01 && t.clip === 1 && t.seed === 1)!;
    expect(t0.epochs.map((e) => e.valAcc)).toEqual([0.911, 0.921]);
    expect(t0.status).toBe('completed');
    const bestCell = detail.stats.cells.find((c) => c.cellId === detail.stats.best.finalValAcc)!;
    expect(bestCell).toMatchObject({ lr: 0.01, clip: 1, label: 'lr 0.01, clip 1' });
    expect(bestCell.finalValAcc.mean).toBeCloseTo(0.9205, 12);
    expect(bestCell.finalValAcc.std).toBeCloseTo(Math.SQRT1_2 / 1000, 12);
    expect(detail.stats.cells.filter((c) => c.vsBest.finalValAcc.verdict === 'worse')).toHaveLength(3);
    expect(detail.stats.anova.finalValAcc[0]).toMatchObject({ computed: true, replicates: 2 });

    expect((await rt.call('sweeps.list', {})).map((s) => s.id)).toEqual([sweep.id]);
    await expect(rt.call('sweeps.launch', { id: sweep.id })).rejects.toThrow(/only a draft/);
    await expect(rt.call('sweeps.setConcurrency', { id: sweep.id, concurrency: 0 })).rejects.toThrow(/Invalid request/);
    await rt.call('sweeps.delete', { id: sweep.id });
    expect(rt.runtime.store.runs.list({ sweepId: sweep.id }).total).toBe(0);
  });

  it('expands a preset axis to the engine presets', async () => {
    const sweep = await rt.call('sweeps.create', { spec: { ...spec, axes: { ...spec.axes, preset: ['shl', 'both'] } }, start: false });
    expect(sweep).toMatchObject({ status: 'draft', trials: { total: 16 } });
    const runs = rt.runtime.store.runs.list({ sweepId: sweep.id, limit: 100 }).items;
    expect(new Set(runs.map((r) => r.model.preset))).toEqual(new Set(['shl', 'both']));
    expect(runs.find((r) => r.model.preset === 'shl')!.model.layers.filter((l) => l.type === 'linear')).toHaveLength(2);
  });
});
