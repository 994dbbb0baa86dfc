import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rawDatabase } from '../../electron/store/testing';
import { openStore, type Store } from '../../electron/store';
import { datasetRecord, tempDir, tinyConfig, tinyModel } from '../support/fixtures';
import type { EpochMetrics } from '../../shared/domain';
import { presetModel } from '../../shared/models';

const epoch = (n: number, valAcc: number): EpochMetrics => ({
  epoch: n, loss: 1 / n, trainAcc: valAcc + 0.01, valAcc, valLoss: 0.5 / n, seconds: n, gradNormMean: 0.8, gradNormMax: 2.5, clippedFraction: 0.25,
});

describe('runs repository: History queries', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let ids: string[];

  beforeEach(() => {
    dir = tempDir();
    store = openStore(dir.path);
    const ds = datasetRecord();
    store.datasets.insert(ds);
    const make = (lr: number, clipNorm: number | null, preset: 'both' | 'shl' | null, name: string) => {
      const model = preset ? presetModel(preset) : tinyModel;
      const run = store.runs.create({ datasetId: ds.id, name, model: preset ? model : { ...model, preset: undefined }, config: { ...tinyConfig, lr, clipNorm } });
      return run.id;
    };
    ids = [make(0.0005, 0.5, 'both', 'a'), make(0.001, 1.5, 'both', 'b'), make(0.01, null, 'shl', 'c'), make(0.1, 3, null, 'd')];
    store.runs.update(ids[0]!, { tags: ['baseline', 'kmnist'] });
    store.runs.update(ids[1]!, { tags: ['kmnist'] });
    rawDatabase(store).prepare('UPDATE runs SET created_at = ? WHERE id = ?').run('2024-01-10T10:00:00.000Z', ids[0]);
    rawDatabase(store).prepare('UPDATE runs SET created_at = ? WHERE id = ?').run('2024-02-10T10:00:00.000Z', ids[1]);
    store.runs.addEpoch(ids[1]!, epoch(1, 0.7));
    store.runs.addEpoch(ids[1]!, epoch(2, 0.9));
    store.runs.addEpoch(ids[2]!, epoch(1, 0.8));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  const names = (filter: Parameters<Store['runs']['list']>[0]) => store.runs.list(filter).items.map((r) => r.name).sort();

  it('filters by lr and clip ranges, no clipping, presets, tags and dates', () => {
    expect(names({ lrMin: 0.001, lrMax: 0.01 })).toEqual(['b', 'c']);
    expect(names({ clipMin: 1, clipMax: 3 })).toEqual(['b', 'd']);
    expect(names({ noClip: true })).toEqual(['c']);
    expect(names({ noClip: false })).toEqual(['a', 'b', 'd']);
    expect(names({ preset: ['both'] })).toEqual(['a', 'b']);
    expect(names({ preset: ['shl', 'custom'] })).toEqual(['c', 'd']);
    expect(names({ tags: ['kmnist'] })).toEqual(['a', 'b']);
    expect(names({ tags: ['kmnist', 'baseline'] })).toEqual(['a']);
    expect(names({ createdAfter: '2024-01-01T00:00:00.000Z', createdBefore: '2024-01-31T23:59:59.999Z' })).toEqual(['a']);
    expect(names({ inSweep: false })).toEqual(['a', 'b', 'c', 'd']);
    expect(names({ inSweep: true })).toEqual([]);
    expect(store.runs.list({ lrMin: 0.001, limit: 1 }).total).toBe(3);
  });

  it('sorts by lr, clip and last val acc with empty values last', () => {
    expect(store.runs.list({ sort: 'lr', order: 'asc' }).items.map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(store.runs.list({ sort: 'clipNorm', order: 'desc' }).items.map((r) => r.name)).toEqual(['d', 'b', 'a', 'c']);
    expect(store.runs.list({ sort: 'lastValAcc', order: 'desc' }).items.map((r) => r.name).slice(0, 2)).toEqual(['b', 'c']);
  });

  it('reads epochs of many runs in the order asked, leaving unknown ids out', () => {
    const many = store.runs.epochsMany([ids[2]!, 'nope', ids[1]!, ids[0]!]);
    expect(many.map((m) => [m.runId, m.epochs.map((e) => e.valAcc)])).toEqual([
      [ids[2], [0.8]],
      [ids[1], [0.7, 0.9]],
      [ids[0], []],
    ]);
  });

  it('counts tags', () => {
    expect(store.runs.tags()).toEqual([
      { tag: 'kmnist', count: 2 },
      { tag: 'baseline', count: 1 },
    ]);
  });
});
