import { describe, expect, it } from 'vitest';
import { defaultForm, runRequest, sweepRequest } from '../../renderer/src/lib/trainForm';
import { checkModel, insertLayer, layerSummary, moveLayer, removeLayer, updateLayer } from '../../renderer/src/lib/modelEditor';
import { fieldErrors } from '../../renderer/src/lib/validation';
import { SweepSpec, TrainConfig } from '../../shared/domain';
import { presetModel } from '../../shared/models';

const model = presetModel('both');

describe('train form', () => {
  it('builds a valid run request from the defaults', () => {
    const { errors, config } = runRequest({ ...defaultForm(), datasetId: 'd1' }, model);
    expect(errors).toEqual({});
    expect(TrainConfig.parse(config)).toMatchObject({ optimizer: 'adamw', lr: 0.001, clipNorm: 1.5, epochs: 16, batchSize: 64, subset: { size: 10000, mode: 'first' } });
  });

  it('says what is wrong per field, as the user types', () => {
    const { errors } = runRequest({ ...defaultForm(), datasetId: 'd1', lr: '0', epochs: '1.5', batchSize: '', clip: '-1', subset: 'abc' }, model);
    expect(errors).toEqual({ lr: 'must be greater than 0', epochs: 'must be a whole number', batchSize: 'required', clip: 'must be greater than 0', subset: 'must be a number' });
    expect(runRequest({ ...defaultForm(), datasetId: '' }, null).errors).toMatchObject({ datasetId: 'pick a data set', model: 'pick a model' });
    expect(runRequest({ ...defaultForm(), datasetId: 'd1', clipOn: false, clip: 'junk' }, model).errors).toEqual({});
  });

  it('expands sweep axes with a preview and builds the spec', () => {
    const r = sweepRequest({ ...defaultForm(), datasetId: 'd1', clipList: '1.5, none, 0.5' }, model);
    expect(r.errors).toEqual({});
    expect(r.preview.lrs).toEqual([0.0005, 0.001, 0.005, 0.01, 0.05, 0.1]);
    expect(r.preview.clips).toEqual([null, 0.5, 1.5]);
    expect(r.spec!.axes).toEqual({ lr: { values: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1] }, clip: [null, 0.5, 1.5] });
    expect(r.spec!.repeats).toBe(3);

    const range = sweepRequest({ ...defaultForm(), datasetId: 'd1', lrMode: 'range', lrMin: '0.0001', lrMax: '0.1', lrPoints: '4' }, model);
    expect(range.preview.lrs).toEqual([0.0001, 0.001, 0.01, 0.1]);
    expect(range.spec!.axes.lr).toEqual({ range: { min: 0.0001, max: 0.1, points: 4 } });
  });

  it('refuses bad axes with readable messages', () => {
    const r = sweepRequest({ ...defaultForm(), datasetId: 'd1', lrList: '0.1, x', clipList: '0', repeats: '0', concurrency: '100' }, model);
    expect(r.spec).toBeNull();
    expect(r.errors).toEqual({ lrList: '"x" is not a number', clipList: '0 must be greater than 0', repeats: 'must be at least 1', concurrency: 'a whole number from 1 to 64' });
    const range = sweepRequest({ ...defaultForm(), datasetId: 'd1', lrMode: 'range', lrMin: '0.1', lrMax: '0.01', lrPoints: '0' }, model);
    expect(range.errors).toMatchObject({ lrMax: 'must not be below the minimum', lrPoints: 'a whole number from 1 to 200' });
  });

  it('pack size: empty is automatic (no field in the spec), N caps it, 1 turns packing off', () => {
    expect(sweepRequest({ ...defaultForm(), datasetId: 'd1' }, model).spec).not.toHaveProperty('pack');
    expect(sweepRequest({ ...defaultForm(), datasetId: 'd1', pack: '6' }, model).spec!.pack).toBe(6);
    expect(sweepRequest({ ...defaultForm(), datasetId: 'd1', pack: '1' }, model).spec!.pack).toBe(1);
    const bad = sweepRequest({ ...defaultForm(), datasetId: 'd1', pack: '0.5' }, model);
    expect(bad.spec).toBeNull();
    expect(bad.errors).toEqual({ pack: 'empty (automatic) or a whole number from 1 to 64' });
  });

  it('maps zod issues to fields', () => {
    expect(fieldErrors(TrainConfig, { lr: -1, epochs: 0 })).toEqual({ lr: 'must be greater than 0', epochs: 'must be at least 1' });
    expect(fieldErrors(TrainConfig, { lr: 0.1 })).toEqual({});
  });
});

describe('train form: search and early termination', () => {
  it('a TPE search over an lr range and a clip range with "none", pruned by ASHA, parses as a spec', () => {
    const form = { ...defaultForm(), datasetId: 'd1', method: 'tpe' as const, trials: '30', tpeStartup: '8', lrMode: 'range' as const, lrMin: '1e-4', lrMax: '0.1', clipMode: 'range' as const, clipMin: '0.1', clipMax: '3', clipNone: true, prune: 'asha' as const, grace: '2', eta: '3' };
    const r = sweepRequest(form, model);
    expect(r.errors).toEqual({});
    const spec = SweepSpec.parse(r.spec);
    expect(spec).toMatchObject({
      method: 'tpe',
      trials: 30,
      tpe: { startupTrials: 8 },
      ranges: { lr: { min: 1e-4, max: 0.1, log: true }, clip: { min: 0.1, max: 3, log: false, none: true } },
      prune: { rule: 'asha', grace: 2, eta: 3, metric: { name: 'valAcc', mode: 'best' } },
    });
    // No points needed for a search range; a grid range still needs them.
    expect(sweepRequest({ ...form, lrPoints: '' }, model).errors).toEqual({});
    expect(sweepRequest({ ...form, method: 'grid', lrPoints: '' }, model).errors.lrPoints).toBe('a whole number from 1 to 200');
  });

  it('a grid with the median rule or Hyperband bands; bad settings are named per field', () => {
    const grid = { ...defaultForm(), datasetId: 'd1' };
    expect(SweepSpec.parse(sweepRequest({ ...grid, prune: 'median', pruneStartup: '4', warmup: '2' }, model).spec).prune).toMatchObject({ rule: 'median', startupTrials: 4, warmupEpochs: 2 });
    expect(SweepSpec.parse(sweepRequest({ ...grid, prune: 'hyperband', grace: '3', eta: '2', strict: true, pruneMetric: 'valLoss', pruneMode: 'last' }, model).spec).prune).toMatchObject({ rule: 'hyperband', minIter: 3, eta: 2, strict: true, metric: { name: 'valLoss', mode: 'last' } });
    expect(SweepSpec.parse(sweepRequest(grid, model).spec).prune).toBeUndefined();
    expect(sweepRequest({ ...grid, prune: 'asha', grace: '0', eta: '1' }, model).errors).toMatchObject({ grace: 'a whole number of epochs, at least 1', eta: 'from 1.5 to 100 (3: the top third go on)' });
    expect(sweepRequest({ ...grid, method: 'random', trials: '0' }, model).errors.trials).toBe('a whole number from 1 to 1000');
    expect(sweepRequest({ ...grid, method: 'random', clipMode: 'range', clipMin: '2', clipMax: '1' }, model).errors.clipMax).toBe('must not be below the minimum');
  });
});

describe('layer-stack editor', () => {
  it('adds, removes, reorders and edits layers, dropping the preset name', () => {
    let spec = insertLayer(model, 2, 'dropout');
    expect(spec.layers[2]).toEqual({ type: 'dropout', p: 0.5 });
    expect(spec.preset).toBeUndefined();
    spec = removeLayer(spec, 2);
    expect(spec.layers).toEqual(model.layers);
    spec = moveLayer(spec, 3, 2);
    expect(spec.layers.slice(1, 4).map((l) => l.type)).toEqual(['linear', 'relu', 'batchnorm1d']);
    spec = updateLayer(spec, 1, { units: 128 });
    expect(spec.layers[1]).toEqual({ type: 'linear', units: 128, bias: true });
    spec = updateLayer(spec, 1, { type: 'tanh' });
    expect(spec.layers[1]).toEqual({ type: 'tanh' });
    expect(removeLayer({ ...model, layers: [{ type: 'flatten' }] }, 0).layers).toHaveLength(1);
    expect(insertLayer(model, 99, 'linear').layers.at(-1)).toEqual({ type: 'linear', units: 10, bias: true });
  });

  it('counts parameters live and names the layer that cannot be built', () => {
    const ok = checkModel(model, [28, 28, 1], 10);
    expect(ok.ok && ok.description.totalParams).toBe(784 * 256 + 256 + 512 + 256 * 256 + 256 + 512 + 256 * 10 + 10);
    const noFlatten = checkModel({ ...model, layers: model.layers.slice(1) }, [28, 28, 1], 10);
    expect(noFlatten).toMatchObject({ ok: false, layer: 0 });
    const wrongOut = checkModel(model, [28, 28, 1], 26);
    expect(wrongOut.ok).toBe(false);
    expect(!wrongOut.ok && wrongOut.message).toMatch(/has 10 units but the data set has 26 classes/);
    expect(layerSummary(model)).toBe('256 · BN · ReLU · Drop 0.5 · 256 · BN · ReLU · 10');
  });
});
