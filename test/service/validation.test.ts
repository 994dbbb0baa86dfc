import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRuntime } from '../support/runtime';
import { datasetRecord, tinyModel } from '../support/fixtures';

describe('service input validation', () => {
  let t: Awaited<ReturnType<typeof testRuntime>>;
  let datasetId: string;

  beforeAll(async () => {
    t = await testRuntime();
    const ds = datasetRecord();
    t.runtime.store.datasets.insert(ds);
    datasetId = ds.id;
  });
  afterAll(() => t.dispose());

  const dispatch = (method: unknown, payload: unknown) => t.runtime.service.dispatch(method, payload);
  const validRun = () => ({ datasetId, model: tinyModel, config: { lr: 0.001 }, start: false });

  it('accepts a valid request and fills PyTorch defaults', async () => {
    const result = await dispatch('runs.create', validRun());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const run = result.value as { config: Record<string, unknown>; status: string };
    expect(run.status).toBe('queued');
    expect(run.config).toMatchObject({ optimizer: 'adamw', batchSize: 64, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: null });
  });

  it.each([
    ['a wrong type', { ...validRun(), config: { lr: '0.001' } }, 'config.lr'],
    ['NaN', { ...validRun(), config: { lr: Number.NaN } }, 'config.lr'],
    ['Infinity', { ...validRun(), config: { lr: Number.POSITIVE_INFINITY } }, 'config.lr'],
    ['a negative learning rate', { ...validRun(), config: { lr: -1 } }, 'config.lr'],
    ['a negative batch size', { ...validRun(), config: { lr: 0.1, batchSize: -64 } }, 'config.batchSize'],
    ['a fractional epoch count', { ...validRun(), config: { lr: 0.1, epochs: 2.5 } }, 'config.epochs'],
    ['an unknown field', { ...validRun(), turbo: true }, 'Unrecognized key'],
    ['an unknown nested field', { ...validRun(), config: { lr: 0.1, learningRate: 0.1 } }, 'Unrecognized key'],
    ['an oversized string', { ...validRun(), name: 'x'.repeat(10_000) }, 'name'],
    ['an unknown layer type', { ...validRun(), model: { layers: [{ type: 'conv2d' }] } }, 'model.layers.0'],
    ['a dropout p of 1', { ...validRun(), model: { layers: [{ type: 'dropout', p: 1 }] } }, 'model.layers.0.p'],
    ['a malformed id', { ...validRun(), datasetId: '../../etc/passwd' }, 'datasetId'],
    ['no payload', undefined, 'datasetId'],
    ['an array payload', [1, 2], ''],
  ])('rejects %s with the error shape', async (_label, payload, mention) => {
    const result = await dispatch('runs.create', payload);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid_argument');
    expect(result.error.message).toMatch(/^Invalid request for runs\.create: /);
    expect(result.error.message).toContain(mention);
    expect(Array.isArray((result.error.details as { issues: unknown[] }).issues)).toBe(true);
    expect(t.runtime.store.runs.list().total).toBe(1);
  });

  it('rejects unknown methods and missing records with their own codes', async () => {
    expect(await dispatch('runs.explode', {})).toMatchObject({ ok: false, error: { code: 'not_found', message: 'Unknown method: runs.explode' } });
    expect(await dispatch('__proto__', {})).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await dispatch('runs.get', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found', message: 'No run with id nope' } });
    expect(await dispatch('runs.create', { ...validRun(), datasetId: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('emits run.updated when a run is created', async () => {
    const seen: string[] = [];
    const off = t.runtime.events.on('run.updated', (run) => seen.push(run.name));
    await t.call('runs.create', { ...validRun(), name: 'evented' });
    off();
    expect(seen).toEqual(['evented']);
  });
});
