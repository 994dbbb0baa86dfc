/** DatasetLibrary: duplicates, hold-out, rename, delete, crash recovery, cancel and kill atomicity. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetProgress } from '../../electron/datasets/library';
import { DatasetLibrary } from '../../electron/datasets/library';
import { MemoryDatasetRecords } from '../../electron/datasets/records';
import { readStoredDataset } from '../../electron/datasets/storage';
import { expectApiError, idxBytes, makeImages, makeLabels, tempDir, write, writeIdxPair } from './helpers';

let dir: ReturnType<typeof tempDir>;
let records: MemoryDatasetRecords;
let lib: DatasetLibrary;
const dataDir = () => join(dir.path, 'data');
const datasetsDir = () => join(dataDir(), 'datasets');
const src = (...parts: string[]) => join(dir.path, 'src', ...parts);
const entries = () => (existsSync(datasetsDir()) ? readdirSync(datasetsDir()).sort() : []);

beforeEach(() => {
  dir = tempDir();
  records = new MemoryDatasetRecords();
  lib = new DatasetLibrary({ dataDir: dataDir(), records });
});
afterEach(() => dir.remove());

function mnistLike(folder: string, train = 300, test = 50, gzip = false) {
  writeIdxPair(folder, { images: `train-images-idx3-ubyte${gzip ? '.gz' : ''}`, labels: `train-labels-idx1-ubyte${gzip ? '.gz' : ''}` }, makeLabels(train), { gzip });
  writeIdxPair(folder, { images: `t10k-images-idx3-ubyte${gzip ? '.gz' : ''}`, labels: `t10k-labels-idx1-ubyte${gzip ? '.gz' : ''}` }, makeLabels(test), { gzip });
  return folder;
}

describe('duplicates', () => {
  it('importing the same content again returns the existing data set, whatever the compression', async () => {
    const first = await lib.importPathsDetailed([mnistLike(src('plain'))], { name: 'Digits' });
    expect(first.reused).toBe(false);
    const progress: DatasetProgress[] = [];
    const again = await lib.importPathsDetailed([mnistLike(src('gz'), 300, 50, true)], { onProgress: (p) => progress.push(p) });
    expect(again).toEqual({ dataset: first.dataset, reused: true });
    expect(progress.at(-1)).toMatchObject({ phase: 'done', label: 'Already imported as “Digits”; reusing it' });
    expect(records.list()).toHaveLength(1);
    expect(entries()).toEqual([first.dataset.id]);
  });

  it('two imports of the same files at once make one data set', async () => {
    const folder = mnistLike(src());
    const [a, b] = await Promise.all([lib.importPathsDetailed([folder]), lib.importPathsDetailed([folder])]);
    expect(a.dataset.id).toBe(b.dataset.id);
    expect([a.reused, b.reused].sort()).toEqual([false, true]);
    expect(entries()).toEqual([a.dataset.id]);
  });

  it('a different hold-out size is a different data set; a row whose folder was lost is restored', async () => {
    const files = writeIdxPair(src(), { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, makeLabels(120));
    const a = await lib.importPaths([files.images, files.labels]);
    const b = await lib.importPaths([files.images, files.labels], { holdOut: 30 });
    expect(a.id).not.toBe(b.id);
    expect([a.counts.test, b.counts.test]).toEqual([20, 30]);
    const { rmSync } = await import('node:fs');
    rmSync(lib.dirFor(a.id), { recursive: true });
    expect((await lib.recover()).damaged).toEqual([a.id]);
    const restored = await lib.importPathsDetailed([files.images, files.labels]);
    expect(restored).toMatchObject({ reused: true, dataset: { id: a.id } });
    expect((await readStoredDataset(lib.dirFor(a.id))).test.count).toBe(20);
  });
});

describe('hold-out', () => {
  it('is stratified, seeded and the same for every import of the same files', async () => {
    const labels = Uint8Array.from({ length: 900 }, (_, i) => (i < 600 ? i % 2 : 2)); // 300/300/300, uneven order
    write(src('x-images.idx'), idxBytes([900, 28, 28], makeImages(labels)));
    write(src('x-labels.idx'), idxBytes([900], labels));
    const paths = [src('x-images.idx'), src('x-labels.idx')];
    const a = await lib.importPaths(paths);
    const other = new DatasetLibrary({ dataDir: join(dir.path, 'other'), records: new MemoryDatasetRecords() });
    const b = await other.importPaths(paths);
    expect(a).toMatchObject({ heldOut: true, counts: { train: 750, test: 150 } });
    expect(a.classCounts.test).toEqual([50, 50, 50]);
    expect(a.checksum).toBe(b.checksum);
    const sa = await readStoredDataset(lib.dirFor(a.id));
    const sb = await readStoredDataset(other.dirFor(b.id));
    expect(Buffer.from(sa.test.images).equals(Buffer.from(sb.test.images))).toBe(true);
    // A seeded shuffle, not the first or last samples of each class.
    const heldIndex = (s: number) => sa.test.images[s * 784 + 1]! | (sa.test.images[s * 784 + 2]! << 8);
    const indices = Array.from({ length: 150 }, (_, s) => heldIndex(s));
    expect(indices.some((i) => i > 100 && i < 500)).toBe(true);
  });

  it('is ignored when the files have a test split; out-of-range sizes are refused', async () => {
    const dataset = await lib.importPaths([mnistLike(src('a'))], { holdOut: 10 });
    expect(dataset).toMatchObject({ heldOut: false, counts: { train: 300, test: 50 } });
    const files = writeIdxPair(src('b'), { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, makeLabels(40));
    await expectApiError(lib.importPaths([files.images, files.labels], { holdOut: 40 }), 'invalid_argument', /between 1 and 39/);
  });
});

describe('rename, delete, dirFor', () => {
  it('renames the row and meta.json', async () => {
    const dataset = await lib.importPaths([mnistLike(src())]);
    const renamed = await lib.rename(dataset.id, '  My digits ');
    expect(renamed.name).toBe('My digits');
    expect(lib.get(dataset.id)!.name).toBe('My digits');
    expect(JSON.parse(readFileSync(join(lib.dirFor(dataset.id), 'meta.json'), 'utf8')).name).toBe('My digits');
    await expectApiError(lib.rename(dataset.id, '   '), 'invalid_argument', /1 to 200 characters/);
    await expectApiError(lib.rename('nope', 'x'), 'not_found', /No data set with id nope/);
  });

  it('refuses to delete a data set in use unless cascading', async () => {
    const dataset = await lib.importPaths([mnistLike(src())], { name: 'Digits' });
    records.setUsage(dataset.id, { runs: 3, sweeps: 1 });
    await expectApiError(lib.delete(dataset.id), 'conflict', /Data set “Digits” is used by 3 runs and 1 sweep; delete those first, or delete it together with them/);
    expect(entries()).toEqual([dataset.id]);
    await lib.delete(dataset.id, { cascade: true });
    expect(lib.get(dataset.id)).toBeNull();
    expect(entries()).toEqual([]);
  });

  it('dirFor refuses ids that could escape the data folder', () => {
    expect(() => lib.dirFor('../etc')).toThrow(/Invalid data-set id/);
    expect(lib.dirFor('abc_D-9')).toBe(join(datasetsDir(), 'abc_D-9'));
  });

  it('uses the injected id generator and validates its ids', async () => {
    const custom = new DatasetLibrary({ dataDir: dataDir(), records, newId: () => 'fixed_id-1' });
    expect((await custom.importPaths([mnistLike(src('a'))])).id).toBe('fixed_id-1');
    const broken = new DatasetLibrary({ dataDir: dataDir(), records, newId: () => 'bad/id' });
    await expectApiError(broken.importPaths([mnistLike(src('b'), 200)]), 'internal', /invalid id/);
    expect(entries()).toEqual(['fixed_id-1']);
  });
});

describe('crash recovery', () => {
  it('recover() removes unfinished imports, keeps live ones and never deletes a finished-looking folder', async () => {
    const kept = await lib.importPaths([mnistLike(src())]);
    mkdirSync(join(datasetsDir(), '.tmp-dead1'));
    writeFileSync(join(datasetsDir(), '.tmp-dead1', 'train-images.u8'), 'partial');
    mkdirSync(join(datasetsDir(), 'orphan42'));
    writeFileSync(join(datasetsDir(), 'orphan42', 'meta.json'), '{}');
    mkdirSync(join(datasetsDir(), '.downloads', 'kmnist'), { recursive: true });
    mkdirSync(join(datasetsDir(), 'not an id'));
    // A folder another live process is writing (its pid in .owner) must survive.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      mkdirSync(join(datasetsDir(), '.tmp-live1'));
      writeFileSync(join(datasetsDir(), '.tmp-live1', '.owner'), JSON.stringify({ pid: sleeper.pid, startedAt: new Date().toISOString() }));
      // …unless its owner file is days old: that pid is someone else's by now.
      mkdirSync(join(datasetsDir(), '.tmp-old1'));
      writeFileSync(join(datasetsDir(), '.tmp-old1', '.owner'), JSON.stringify({ pid: sleeper.pid, startedAt: '2020-01-01T00:00:00Z' }));
      // Leftovers of a process killed earlier are at least a minute old by the next start…
      const earlier = new Date(Date.now() - 120_000);
      for (const name of ['.tmp-dead1', 'orphan42']) utimesSync(join(datasetsDir(), name), earlier, earlier);
      // …while a folder made a moment ago without its .owner yet is another process's import starting.
      mkdirSync(join(datasetsDir(), '.tmp-fresh1'));
      const report = await lib.recover();
      expect(report.removed.sort()).toEqual(['.tmp-dead1', '.tmp-old1']);
      // A folder named like a data set without a readable meta.json is reported, not deleted.
      expect(report.damaged).toEqual(['orphan42']);
      expect(entries()).toEqual(['.downloads', '.tmp-fresh1', '.tmp-live1', kept.id, 'not an id', 'orphan42'].sort());
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('recover() registers finished data-set folders that lost their rows (a lost database)', async () => {
    const a = await lib.importPaths([mnistLike(src('a'))]);
    const fresh = new MemoryDatasetRecords();
    const again = new DatasetLibrary({ dataDir: dataDir(), records: fresh });
    const report = await again.recover();
    expect(report).toMatchObject({ registered: [a.id], removed: [], damaged: [] });
    expect(fresh.get(a.id)).toEqual(a);
    expect((await readStoredDataset(again.dirFor(a.id))).meta.checksum).toBe(a.checksum);
    // A second copy of content already registered (a commit race's loser) is the one thing removed.
    const { cpSync } = await import('node:fs');
    cpSync(again.dirFor(a.id), join(datasetsDir(), 'copy12345'), { recursive: true });
    const meta = JSON.parse(readFileSync(join(datasetsDir(), 'copy12345', 'meta.json'), 'utf8'));
    writeFileSync(join(datasetsDir(), 'copy12345', 'meta.json'), JSON.stringify({ ...meta, id: 'copy12345' }));
    const earlier = new Date(Date.now() - 120_000);
    utimesSync(join(datasetsDir(), 'copy12345'), earlier, earlier);
    expect(await again.recover()).toMatchObject({ registered: [], removed: ['copy12345'] });
  });

  it('an import cancelled while parsing or while storing leaves no row and no files', async () => {
    const folder = mnistLike(src(), 3000, 500, true);
    for (const phase of ['parse', 'store'] as const) {
      const controller = new AbortController();
      const events: DatasetProgress[] = [];
      const promise = lib.importPaths([folder], {
        signal: controller.signal,
        onProgress: (p) => {
          events.push(p);
          if (p.phase === phase && p.done > 0) controller.abort();
        },
      });
      await expectApiError(promise, 'cancelled', /Import cancelled/);
      expect(events.at(-1)).toMatchObject({ phase: 'failed', error: { code: 'cancelled' } });
      expect(records.list()).toEqual([]);
      expect(entries()).toEqual([]);
    }
  });

  /**
   * Runs an import in a child process that stops itself at `at` (while writing files, or inside
   * the row insert, after the folder was renamed into place); the test then SIGKILLs it, as a
   * crash or a power cut would, and checks what recover() does with the remains.
   */
  async function killMidway(at: 'store' | 'insert') {
    const folder = mnistLike(src(), 20_000, 100);
    const script = `
      import { DatasetLibrary } from ${JSON.stringify(join(import.meta.dirname, '../../electron/datasets/library.ts'))};
      import { MemoryDatasetRecords } from ${JSON.stringify(join(import.meta.dirname, '../../electron/datasets/records.ts'))};
      import { writeSync } from 'node:fs';
      const hang = () => { writeSync(1, 'KILL ME\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); };
      const records = new MemoryDatasetRecords();
      if (${JSON.stringify(at)} === 'insert') records.insert = hang;
      const lib = new DatasetLibrary({ dataDir: ${JSON.stringify(dataDir())}, records });
      await lib.importPaths([${JSON.stringify(folder)}], {
        onProgress: (p) => { if (${JSON.stringify(at)} === 'store' && p.phase === 'store' && p.done > 0) hang(); },
      });
      writeSync(1, 'FINISHED\\n');
    `;
    write(join(dir.path, 'child.mts'), script);
    const child = spawn(process.execPath, ['--import', 'tsx', join(dir.path, 'child.mts')], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ? -1 : code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('KILL ME')) resolve();
        if (d.toString().includes('FINISHED')) reject(new Error('the child finished before it could be killed'));
      });
      child.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe(-1);
    return entries();
  }

  it('an import killed (SIGKILL) while writing files leaves a .tmp folder that recover() removes', async () => {
    const left = await killMidway('store');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.tmp-/);
    const report = await lib.recover();
    expect(report.removed).toEqual(left);
    expect(entries()).toEqual([]);
    expect(records.list()).toEqual([]);
  });

  it('an import killed after the rename but before its row was inserted is registered by recover()', async () => {
    const left = await killMidway('insert');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^[0-9a-f]{20}$/);
    expect(existsSync(join(datasetsDir(), left[0]!, 'meta.json'))).toBe(true);
    // Its files are complete (renamed into place only once written): nothing is lost.
    expect(await lib.recover()).toMatchObject({ registered: left, removed: [] });
    expect(records.get(left[0]!)).toMatchObject({ id: left[0], counts: { train: expect.any(Number) } });
    expect(entries()).toEqual(left);
  });
});

it('load() reads what the trainer needs', async () => {
  const dataset = await lib.importPaths([mnistLike(src(), 120, 30, true)]);
  const stored = await lib.load(dataset.id);
  expect(stored.meta).toEqual(dataset);
  expect(stored.train.images.length).toBe(120 * 784);
  expect(stored.test.labels.length).toBe(30);
  writeFileSync(join(lib.dirFor(dataset.id), 'test-labels.u8'), 'short');
  await expectApiError(lib.load(dataset.id), 'bad_data', /damaged: test-labels\.u8 holds 5 bytes, meta\.json says 30/);
});
