import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRuntime } from '../support/runtime';
import { datasetRecord, tinyConfig, tinyModel } from '../support/fixtures';

describe('runs.resume refuses what it cannot resume faithfully', () => {
  let t: Awaited<ReturnType<typeof testRuntime>>;
  let datasetId: string;
  beforeAll(async () => {
    t = await testRuntime();
    const ds = datasetRecord();
    t.runtime.store.datasets.insert(ds);
    datasetId = ds.id;
  });
  afterAll(() => t.dispose());

  const epoch = { epoch: 1, loss: 1, trainAcc: 0.5, valAcc: 0.5, valLoss: 1, seconds: 1, gradNormMean: 1, gradNormMax: 1, clippedFraction: 0 };

  it('a run with stored epochs but no checkpoint here (imported) keeps its history', async () => {
    const { store } = t.runtime;
    const run = store.runs.create({ datasetId, model: tinyModel, config: tinyConfig, name: 'imported', status: 'interrupted' });
    store.runs.addEpoch(run.id, epoch);
    const result = await t.runtime.service.dispatch('runs.resume', { id: run.id });
    expect(result).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    expect((result as { error: { message: string } }).error.message).toMatch(/not trained on this machine/);
    expect(store.runs.epochs(run.id)).toHaveLength(1);
    expect(store.runs.get(run.id)?.status).toBe('interrupted');
  });

  it('a sweep trial is resumed through its sweep, not behind the scheduler', async () => {
    const { store } = t.runtime;
    const sweep = store.sweeps.create({
      name: 's',
      spec: { datasetId, model: tinyModel, base: tinyConfig, axes: { lr: { values: [0.01] }, clip: [null] }, repeats: 1 },
      concurrency: 1,
      status: 'interrupted',
    });
    const trial = store.runs.create({ datasetId, model: tinyModel, config: tinyConfig, sweepId: sweep.id, cellId: 'c', status: 'interrupted' });
    const result = await t.runtime.service.dispatch('runs.resume', { id: trial.id });
    expect(result).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    expect((result as { error: { message: string } }).error.message).toMatch(/trial of a sweep/);
  });
});
