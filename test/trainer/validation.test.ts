/**
 * Validation splits: selection happens on a held-out part of the training split, never on the test
 * split, and the test split is read once, after training, only when asked (finalTest).
 */
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSplits } from '../../electron/datasets/holdout';
import { writeStoredDataset } from '../../electron/datasets/storage';
import { checkValidation } from '../../electron/service/configCheck';
import { migrate, migrations } from '../../electron/store/migrations';
import type { FromTrainer } from '../../electron/trainer/protocol';
import { runTrial } from '../../electron/trainer/runTrial';
import { ModelSpec, TrainConfig, validationCount, type Dataset } from '../../shared/domain';
import { blobs } from '../engine/helpers';

const data = blobs({ train: 600, test: 200, classes: 3, seed: 11 });
const features = 64;

describe('runSplits', () => {
  const config = TrainConfig.parse({ lr: 0.01 });

  it('holds out a stratified part of the training split (ceil of the fraction), disjoint from what is trained on', () => {
    expect(config.validation).toEqual({ split: 'holdout', size: 0.1, seed: 0 });
    const s = runSplits(data, config, features);
    expect(s.validation.count).toBe(60);
    expect(s.train.count).toBe(540);
    expect(s.test).toBeNull();
    const perClass = (labels: Uint8Array) => [0, 1, 2].map((c) => labels.filter((l) => l === c).length);
    const all = perClass(data.train.labels);
    const val = perClass(s.validation.labels);
    all.forEach((n, c) => expect(Math.abs(val[c]! - n / 10)).toBeLessThanOrEqual(1));
    // Every training sample lands on exactly one side: compare images as strings.
    const key = (split: typeof data.train, i: number) => split.images.subarray(i * features, (i + 1) * features).join();
    const seen = new Map<string, number>();
    for (let i = 0; i < data.train.count; i++) seen.set(key(data.train, i), (seen.get(key(data.train, i)) ?? 0) + 1);
    for (const split of [s.train, s.validation]) {
      for (let i = 0; i < split.count; i++) seen.set(key(split, i), seen.get(key(split, i))! - 1);
    }
    expect([...seen.values()].every((v) => v === 0)).toBe(true);
  });

  it('is the same for the same validation seed whatever the run seed, and differs for another', () => {
    const a = runSplits(data, TrainConfig.parse({ lr: 0.01, seed: 1 }), features);
    const b = runSplits(data, TrainConfig.parse({ lr: 0.01, seed: 2 }), features);
    const c = runSplits(data, TrainConfig.parse({ lr: 0.01, validation: { split: 'holdout', seed: 9 } }), features);
    expect(Buffer.from(b.validation.images).equals(Buffer.from(a.validation.images))).toBe(true);
    expect(Buffer.from(c.validation.images).equals(Buffer.from(a.validation.images))).toBe(false);
  });

  it('takes a count when size is 1 or more; validation on the test split uses the test split as is', () => {
    expect(runSplits(data, TrainConfig.parse({ lr: 0.01, validation: { split: 'holdout', size: 150 } }), features).validation.count).toBe(150);
    const onTest = runSplits(data, TrainConfig.parse({ lr: 0.01, validation: { split: 'test' } }), features);
    expect(onTest.validation).toBe(data.test);
    expect(onTest.train).toBe(data.train);
    expect(validationCount(60000, { split: 'holdout', size: 0.1, seed: 0 })).toBe(6000);
  });

  it('refuses sizes that leave nothing to train on, and finalTest without a holdout', () => {
    const ds = { name: 'tiny', counts: { train: 600, test: 200 } };
    expect(() => checkValidation(TrainConfig.parse({ lr: 0.01, validation: { split: 'holdout', size: 600 } }), ds)).toThrow(/at least one sample on each side/);
    expect(() => checkValidation(TrainConfig.parse({ lr: 0.01, validation: { split: 'test' }, finalTest: true }), ds)).toThrow(/held-out validation/);
    expect(() => checkValidation(TrainConfig.parse({ lr: 0.01, finalTest: true }), { name: 'x', counts: { train: 600, test: 0 } })).toThrow(/no test split/);
    expect(() => checkValidation(TrainConfig.parse({ lr: 0.01, finalTest: true }), ds)).not.toThrow();
  });
});

describe('a trial never selects on the test split', () => {
  const root = mkdtempSync(join(tmpdir(), 'sweeplab-validation-'));
  const datasetDir = join(root, 'dataset');
  const model = ModelSpec.parse({ layers: [{ type: 'flatten' }, { type: 'linear', units: 16 }, { type: 'relu' }, { type: 'linear', units: 3 }] });

  beforeAll(async () => {
    // The test split's labels are rotated (c → c+1): a model that learned the task scores ~0 there.
    // Per-epoch validation that read the test split would show it at once.
    const test = { ...data.test, labels: data.test.labels.map((l) => (l + 1) % 3) };
    mkdirSync(datasetDir);
    const meta: Dataset = {
      id: 'blobs', name: 'blobs', source: 'test', shape: data.shape, numClasses: 3, classNames: ['a', 'b', 'c'],
      counts: { train: data.train.count, test: test.count }, classCounts: { train: [0, 0, 0], test: [0, 0, 0] },
      heldOut: false, checksum: 'test', createdAt: new Date(0).toISOString(),
    };
    await writeStoredDataset(datasetDir, meta, data.train, test);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const run = async (config: object) => {
    const messages: FromTrainer[] = [];
    await runTrial(
      { runId: 'r1', model, config: TrainConfig.parse({ lr: 0.01, epochs: 3, batchSize: 32, backend: 'cpu', ...config }), datasetDir, checkpointDir: join(root, `ck${Math.random()}`) },
      { send: (m) => messages.push(m), shouldStop: () => false },
    );
    return { epochs: messages.flatMap((m) => (m.type === 'epoch' ? [m.metrics] : [])), finished: messages.find((m) => m.type === 'finished')! };
  };

  it('validates every epoch on the holdout and scores the test split once, after training', async () => {
    const { epochs, finished } = await run({ finalTest: true });
    expect(epochs).toHaveLength(3);
    expect(epochs.at(-1)!.valAcc).toBeGreaterThan(0.9);
    expect(finished).toMatchObject({ type: 'finished', status: 'completed' });
    const test = (finished as Extract<FromTrainer, { type: 'finished' }>).test!;
    expect(test.acc).toBeLessThan(0.1);
    expect(test.loss).toBeGreaterThan(epochs.at(-1)!.valLoss);
  });

  it('without finalTest reports no test score; selection on test (explicit) sees the test split', async () => {
    const plain = await run({});
    expect((plain.finished as Extract<FromTrainer, { type: 'finished' }>).test).toBeNull();
    const onTest = await run({ validation: { split: 'test' } });
    expect(onTest.epochs.at(-1)!.valAcc).toBeLessThan(0.1);
  });
});

describe('runs stored before validation splits', () => {
  it('keep their meaning: the migration marks their configs (and sweeps) as validated on the test split', () => {
    const db = new Database(':memory:');
    for (let v = 1; v <= 4; v++) db.exec(migrations[v - 1]!);
    db.pragma('user_version = 4');
    db.exec(`INSERT INTO datasets VALUES ('d1', 'd', 's', 'c', '{}', 't');
      INSERT INTO sweeps (id, name, dataset_id, spec_json, status, concurrency, created_at) VALUES ('s1', 's', 'd1', '{"base":{"lr":0.1}}', 'completed', 1, 't');
      INSERT INTO runs (id, name, dataset_id, model_json, config_json, lr, optimizer, seed, status, created_at)
        VALUES ('r1', 'r', 'd1', '{}', '{"lr":0.1,"epochs":3}', 0.1, 'adamw', 0, 'completed', 't');`);
    migrate(db);
    const run = db.prepare(`SELECT config_json FROM runs WHERE id = 'r1'`).get() as { config_json: string };
    expect(JSON.parse(run.config_json)).toEqual({ lr: 0.1, epochs: 3, validation: { split: 'test' } });
    const sweep = db.prepare(`SELECT spec_json FROM sweeps WHERE id = 's1'`).get() as { spec_json: string };
    expect(JSON.parse(sweep.spec_json).base.validation).toEqual({ split: 'test' });
    db.close();
  });
});
