/**
 * CSV and JSON exports read back, and the JSON bundle imported into another Sweeplab: the values
 * that come back are the values the store holds, to the last bit; duplicates are skipped and
 * counted; unknown data sets become placeholders, known ones are matched by checksum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../electron/store';
import { exportData } from '../../electron/exports';
import { importBundle, importBundleInSlices, readBundle } from '../../electron/exports/import';
import { ExportBundle } from '../../electron/exports/bundle';
import { DataExportRequest } from '../../shared/contract';
import { datasetRecord, tempDir } from '../support/fixtures';
import { addRun, makeHistory, SWEEP_CLIPS, SWEEP_LRS, type History } from './fixtures';

/** A strict RFC 4180 reader for the test: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  expect(field).toBe('');
  expect(row).toEqual([]);
  return rows;
}

function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  for (const r of rows) expect(r).toHaveLength(header!.length);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

const request = (r: Parameters<typeof DataExportRequest.parse>[0]) => DataExportRequest.parse(r);

describe('data exports', () => {
  let h: History;
  beforeAll(() => {
    h = makeHistory();
    // A name and notes that need quoting.
    h.store.runs.update(h.runs[2]!.id, { name: 'shl, "narrow" run', notes: 'line one\nline two, with a comma' });
    h.store.runs.update(h.runs[1]!.id, { packSize: 4 });
  });
  afterAll(() => h.close());

  it('runs as CSV: one row per run, values exactly the stored ones', () => {
    const result = exportData(h.store, request({ subject: { runIds: h.runs.map((r) => r.id) }, format: 'csv' }), '1.0.0');
    expect(result).toMatchObject({ fileName: '3-runs.csv', mimeType: 'text/csv', path: null });
    const rows = records(Buffer.from(result.base64!, 'base64').toString('utf8'));
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const run = h.store.runs.get(row.run_id!)!;
      const epochs = h.store.runs.epochs(run.id);
      expect(row.name).toBe(run.name);
      expect(row.notes).toBe(run.notes);
      expect(row.dataset).toBe('Kuzushiji-MNIST');
      expect(row.dataset_checksum).toBe(h.dataset.checksum);
      expect(Number(row.lr)).toBe(run.config.lr);
      expect(Number(row.clip_norm)).toBe(run.config.clipNorm);
      expect(Number(row.best_val_acc)).toBe(run.bestValAcc);
      expect(Number(row.best_epoch)).toBe(run.bestEpoch);
      expect(Number(row.final_val_acc)).toBe(epochs[epochs.length - 1]!.valAcc);
      expect(Number(row.final_loss)).toBe(epochs[epochs.length - 1]!.loss);
      expect(row.weight_decay).toBe('0.01');
      expect(row.backend).toBe('wasm');
      expect(row.pack_size).toBe(run.packSize ? String(run.packSize) : '');
      expect(row.sweep_id).toBe('');
    }
    expect(rows.find((r) => r.run_id === h.runs[0]!.id)!.parameters).toBe('270346');
    expect(rows.find((r) => r.run_id === h.runs[2]!.id)!.parameters).toBe('204042');
  });

  it('epochs as CSV: long format, every stored epoch once', () => {
    const result = exportData(h.store, request({ subject: { runIds: h.runs.map((r) => r.id) }, format: 'csv', table: 'epochs' }), '1.0.0');
    const rows = records(Buffer.from(result.base64!, 'base64').toString('utf8'));
    const stored = h.runs.flatMap((run) => h.store.runs.epochs(run.id).map((e) => ({ run, e })));
    expect(rows).toHaveLength(stored.length);
    stored.forEach(({ run, e }, i) => {
      const row = rows[i]!;
      expect(row.run_id).toBe(run.id);
      expect(Number(row.epoch)).toBe(e.epoch);
      expect(Number(row.lr)).toBe(run.config.lr);
      expect(Number(row.seed)).toBe(run.config.seed);
      for (const [column, key] of [['loss', 'loss'], ['train_acc', 'trainAcc'], ['val_acc', 'valAcc'], ['val_loss', 'valLoss'], ['seconds', 'seconds'], ['grad_norm_mean', 'gradNormMean'], ['clipped_fraction', 'clippedFraction']] as const) {
        expect(Number(row[column])).toBe(e[key]);
      }
    });
  });

  it('sweep cells as CSV: one row per lr × clip cell with mean, std and CI over seeds', () => {
    const result = exportData(h.store, request({ subject: { sweepId: h.sweepId }, format: 'csv' }), '1.0.0');
    expect(result.fileName).toBe('KMNIST-lr-clip-cells.csv');
    const rows = records(Buffer.from(result.base64!, 'base64').toString('utf8'));
    expect(rows).toHaveLength(SWEEP_LRS.length * SWEEP_CLIPS.length);
    const best = rows.find((r) => r.verdict_final_val_acc === 'best')!;
    expect(best).toMatchObject({ lr: '0.001', clip_norm: '1.5', completed: '3' });
    // Recompute the best cell's mean and sample std from its trials' final epochs.
    const finals = h.store.runs
      .list({ sweepId: h.sweepId, limit: 1000 })
      .items.filter((r) => r.cellId === best.cell_id)
      .map((r) => h.store.runs.epochs(r.id).at(-1)!.valAcc);
    const m = finals.reduce((a, b) => a + b, 0) / finals.length;
    const sd = Math.sqrt(finals.reduce((a, b) => a + (b - m) ** 2, 0) / (finals.length - 1));
    expect(Number(best.final_val_acc_mean)).toBeCloseTo(m, 12);
    expect(Number(best.final_val_acc_std)).toBeCloseTo(sd, 12);
    // t(0.975, 2) = 4.302652729911275.
    expect(Number(best.final_val_acc_ci_high) - m).toBeCloseTo((4.302652729911275 * sd) / Math.sqrt(3), 8);
    const diverged = rows.find((r) => r.lr === '0.1' && r.clip_norm === '2.5')!;
    expect(diverged).toMatchObject({ trials: '3', completed: '2', diverged: '1' });
  });

  it('refuses a cells table without a sweep, and writes to a path when given one', () => {
    expect(() => exportData(h.store, request({ subject: { runIds: [h.runs[0]!.id] }, format: 'csv', table: 'cells' }), '1')).toThrow(/per sweep/);
    const path = join(h.dataDir, 'runs.csv');
    const result = exportData(h.store, request({ subject: { runIds: [h.runs[0]!.id] }, format: 'csv', path }), '1');
    expect(result).toMatchObject({ path, base64: null });
    expect(records(readFileSync(path, 'utf8'))[0]!.run_id).toBe(h.runs[0]!.id);
  });

  it('JSON: a bundle that parses with its own schema and holds every run, epoch and cell', () => {
    const result = exportData(h.store, request({ subject: { sweepId: h.sweepId }, format: 'json' }), '1.2.3');
    expect(result.fileName).toBe('KMNIST-lr-clip.sweeplab.json');
    const bundle = ExportBundle.parse(JSON.parse(Buffer.from(result.base64!, 'base64').toString('utf8')));
    expect(bundle).toMatchObject({ format: 'sweeplab-export', version: 2, app: { name: 'Sweeplab', version: '1.2.3' } });
    expect(bundle.runs[0]!.config.validation).toEqual({ split: 'holdout', size: 0.1, seed: 0 });
    // A version 1 bundle predates validation splits: its runs and sweeps read as validated on test.
    const v1 = JSON.parse(Buffer.from(result.base64!, 'base64').toString('utf8'));
    v1.version = 1;
    for (const r of v1.runs) delete r.config.validation;
    for (const s of v1.sweeps) delete s.spec.base.validation;
    const old = ExportBundle.parse(v1);
    expect(old.runs.every((r) => r.config.validation.split === 'test')).toBe(true);
    expect(old.sweeps[0]!.spec.base.validation).toEqual({ split: 'test' });
    expect(bundle.datasets).toEqual([h.dataset]);
    expect(bundle.sweeps.map((s) => s.id)).toEqual([h.sweepId]);
    expect(bundle.runs).toHaveLength(72);
    expect(bundle.cells).toHaveLength(24);
    const sample = bundle.runs[5]!;
    expect(sample.epochs).toEqual(h.store.runs.epochs(sample.id));
    const { epochs: _epochs, ...run } = sample;
    expect(run).toEqual(h.store.runs.get(sample.id));
  });
});

describe('importing a JSON export into another Sweeplab', () => {
  let source: History;
  let bundlePath: string;
  beforeAll(() => {
    source = makeHistory();
    // A run trained in a pack keeps saying so through export and import.
    source.store.runs.update(source.runs[0]!.id, { packSize: 6 });
    source.runs[0] = source.store.runs.get(source.runs[0]!.id)!;
    bundlePath = join(source.dataDir, 'history.sweeplab.json');
    const sweep = exportData(source.store, request({ subject: { sweepId: source.sweepId }, format: 'json' }), '1.0.0');
    const runs = exportData(source.store, request({ subject: { runIds: source.runs.map((r) => r.id) }, format: 'json' }), '1.0.0');
    // One file with both, as a lab mate might hand over: the sweep export plus the stand-alone runs.
    const a = ExportBundle.parse(JSON.parse(Buffer.from(sweep.base64!, 'base64').toString('utf8')));
    const b = ExportBundle.parse(JSON.parse(Buffer.from(runs.base64!, 'base64').toString('utf8')));
    writeFileSync(bundlePath, JSON.stringify({ ...a, runs: [...a.runs, ...b.runs] }));
  });
  afterAll(() => source.close());

  it('imports runs, epochs and the sweep; an unknown data set becomes a placeholder; a second import skips all', () => {
    const dir = tempDir();
    const store = openStore(dir.path);
    try {
      const { result, runIds, sweepIds } = importBundle(store, readBundle(bundlePath));
      expect(result).toMatchObject({ runs: { imported: 75, duplicates: 0 }, sweeps: { imported: 1, skipped: 0 }, datasets: { matched: 0, placeholders: 1 } });
      expect(runIds).toHaveLength(75);
      expect(sweepIds).toEqual([source.sweepId]);
      expect(result.epochs).toBe(72 * 8 - 5 + 12 + 12 + 10);

      const placeholder = store.datasets.findByChecksum(source.dataset.checksum)!;
      expect(placeholder).toMatchObject({ name: 'Kuzushiji-MNIST', shape: [28, 28, 1], source: 'placeholder:catalog:kmnist' });
      for (const original of source.runs) {
        const copy = store.runs.get(original.id)!;
        expect({ ...copy, datasetId: original.datasetId }).toEqual(original);
        if (original === source.runs[0]) expect(copy.packSize).toBe(6);
        expect(store.runs.epochs(copy.id)).toEqual(source.store.runs.epochs(original.id));
      }
      const sweep = store.sweeps.get(source.sweepId)!;
      expect(sweep.trials).toMatchObject({ total: 72, failed: 0 });
      expect(sweep.spec.datasetId).toBe(placeholder.id);

      const again = importBundle(store, readBundle(bundlePath)).result;
      expect(again).toMatchObject({ runs: { imported: 0, duplicates: 75 }, sweeps: { imported: 0, skipped: 1 }, epochs: 0 });
      expect(store.runs.list({ limit: 1000 }).total).toBe(75);
    } finally {
      store.close();
      dir.remove();
    }
  });

  it('matches a data set already here by checksum, and skips the same run under another id', () => {
    const dir = tempDir();
    const store = openStore(dir.path);
    try {
      // The same data set imported here under its own id and name.
      const local = datasetRecord({ checksum: source.dataset.checksum, name: 'kmnist (mine)' });
      store.datasets.insert(local);
      // A run here with exactly the content of one of the lab mate's runs, under a new id.
      const original = source.runs[0]!;
      const twin = store.runs.create({ name: 'my copy', datasetId: local.id, model: original.model, config: original.config });
      for (const e of source.store.runs.epochs(original.id)) store.runs.addEpoch(twin.id, e);
      // And one that differs only in its last epoch: not a duplicate.
      const near = addRun(store, local.id, { name: 'near', preset: 'bn', lr: 0.001, clip: 1.5, seed: 0, epochs: 12, plateau: 0.5 });

      const { result } = importBundle(store, readBundle(bundlePath));
      expect(result.datasets).toEqual({ matched: 1, placeholders: 0 });
      expect(result.runs).toEqual({ imported: 74, duplicates: 1 });
      expect(store.runs.get(original.id)).toBeNull();
      expect(store.runs.get(near.id)).not.toBeNull();
      expect(store.runs.get(source.runs[1]!.id)!.datasetId).toBe(local.id);
      expect(store.runs.get(source.runs[1]!.id)!.datasetName).toBe('kmnist (mine)');
      expect(store.datasets.list()).toHaveLength(1);
    } finally {
      store.close();
      dir.remove();
    }
  });

  it('refuses what is not a Sweeplab export, or one from a newer Sweeplab, and leaves no trace', () => {
    const dir = tempDir();
    const store = openStore(dir.path);
    try {
      const notJson = join(dir.path, 'a.json');
      writeFileSync(notJson, '{ nope');
      expect(() => readBundle(notJson)).toThrow(/not JSON/);
      const other = join(dir.path, 'b.json');
      writeFileSync(other, JSON.stringify({ runs: [] }));
      expect(() => readBundle(other)).toThrow(/not a Sweeplab export/);
      const newer = join(dir.path, 'c.json');
      writeFileSync(newer, JSON.stringify({ format: 'sweeplab-export', version: 99 }));
      expect(() => readBundle(newer)).toThrow(/newer Sweeplab/);
      const damaged = join(dir.path, 'd.json');
      const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
      bundle.runs[3].epochs[0].valAcc = 'high';
      writeFileSync(damaged, JSON.stringify(bundle));
      expect(() => readBundle(damaged)).toThrow(/damaged Sweeplab export: runs\.3\.epochs\.0\.valAcc/);
      expect(() => readBundle(join(dir.path, 'missing.json'))).toThrow(/Cannot read/);

      // A failure half-way (a run whose sweep row cannot be written) rolls everything back.
      const broken = JSON.parse(readFileSync(bundlePath, 'utf8'));
      broken.runs.push({ ...broken.runs[0], id: 'zz-late', epochs: [broken.runs[0].epochs[0], broken.runs[0].epochs[0]] });
      expect(() => importBundle(store, ExportBundle.parse(broken))).toThrow(/The export is damaged: run .+ \(zz-late\) has epoch 1 twice/);
      expect(store.runs.list({ limit: 10 }).total).toBe(0);
      expect(store.datasets.list()).toHaveLength(0);
    } finally {
      store.close();
      dir.remove();
    }
  });

  it('imports 20k runs in slices: linear in the bundle size, other work runs between slices, a late failure leaves no trace', async () => {
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as { runs: { id: string; sweepId: string | null; config: { seed: number }; epochs: unknown[] }[]; sweeps: unknown[] };
    const template = bundle.runs.find((r) => r.sweepId === null)!;
    /** n distinct stand-alone runs (their seeds differ, so none is a duplicate of another). */
    const sized = (n: number) =>
      ExportBundle.parse({
        ...bundle,
        sweeps: [],
        runs: Array.from({ length: n }, (_, i) => ({ ...template, id: `bulk-${n}-${i}`, config: { ...template.config, seed: 1000 + i } })),
      });
    const timed = async (n: number) => {
      const dir = tempDir();
      const store = openStore(dir.path);
      try {
        const input = sized(n);
        // Counts turns of the event loop other work got while the import ran.
        let turns = 0;
        let running = true;
        const other = (async () => {
          while (running) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            turns++;
          }
        })();
        const started = performance.now();
        const { result } = await importBundleInSlices(store, input);
        const seconds = (performance.now() - started) / 1000;
        running = false;
        await other;
        expect(result.runs).toEqual({ imported: n, duplicates: 0 });
        expect(store.runs.list({ limit: 1 }).total).toBe(n);
        return { seconds, turns };
      } finally {
        store.close();
        dir.remove();
      }
    };
    const small = await timed(2_000);
    const large = await timed(20_000);
    console.log(`[import] 2k runs ${small.seconds.toFixed(2)} s, 20k runs ${large.seconds.toFixed(2)} s (${large.turns} turns for other work)`);
    // Linear: ten times the runs, about ten times the time (quadratic was a hundred times).
    expect(large.seconds / small.seconds).toBeLessThan(25);
    expect(large.turns).toBeGreaterThanOrEqual(20_000 / 500 - 1);

    // A failure after some slices were written removes what they wrote: the bundle imports whole
    // or not at all. Here another writer deletes the imported sweep between slices, so the later
    // slice of that sweep's trials cannot be stored.
    const dir = tempDir();
    const store = openStore(dir.path);
    try {
      const trial = bundle.runs.find((r) => r.sweepId !== null)!;
      const input = ExportBundle.parse({
        ...bundle,
        runs: [
          ...Array.from({ length: 1_000 }, (_, i) => ({ ...template, id: `alone-${i}`, config: { ...template.config, seed: 5000 + i } })),
          ...Array.from({ length: 1_000 }, (_, i) => ({ ...trial, id: `trial-${i}`, config: { ...trial.config, seed: 7000 + i } })),
        ],
      });
      const importing = importBundleInSlices(store, input);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(store.runs.list({ limit: 1 }).total).toBeGreaterThan(0); // a first slice is in
      store.sweeps.delete(trial.sweepId!);
      await expect(importing).rejects.toThrow();
      expect(store.runs.list({ limit: 1 }).total).toBe(0);
      expect(store.datasets.list()).toHaveLength(0);
    } finally {
      store.close();
      dir.remove();
    }
  }, 120_000);

  it('refuses epochs with gaps, and never adds a foreign run to a sweep already here', () => {
    const dir = tempDir();
    const store = openStore(dir.path);
    try {
      const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
      const gap = structuredClone(bundle);
      gap.runs[2].epochs.splice(1, 1);
      expect(() => importBundle(store, ExportBundle.parse(gap))).toThrow(new RegExp(`run .+ \\(${gap.runs[2].id}\\) has no epoch 2 \\(its epochs jump to 3\\)`));
      expect(store.runs.list({ limit: 10 }).total).toBe(0);

      const first = importBundle(store, readBundle(bundlePath)).result;
      const sweepId = source.sweepId;
      const trialsBefore = store.sweeps.trials(sweepId).length;
      expect(first.sweeps.imported).toBe(1);
      // Another machine's run claiming to be a trial of that (now local) sweep.
      const foreign = structuredClone(bundle);
      const trial = foreign.runs.find((r: { sweepId: string | null }) => r.sweepId === sweepId);
      foreign.runs = [{ ...trial, id: 'foreign-trial-1', config: { ...trial.config, seed: 99 } }];
      const second = importBundle(store, ExportBundle.parse(foreign)).result;
      expect(second.runs.imported).toBe(1);
      expect(store.sweeps.trials(sweepId)).toHaveLength(trialsBefore);
      expect(store.runs.get('foreign-trial-1')!.sweepId).toBeNull();
      expect(second.notes.join(' ')).toContain(`is not one of sweep ${sweepId}'s trials here: imported as a stand-alone run`);
    } finally {
      store.close();
      dir.remove();
    }
  });

  it('imports a bundle of 20,000 runs of one configuration group in linear time', () => {
    const dir = tempDir();
    const store = openStore(dir.path);
    try {
      const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
      const template = bundle.runs.find((r: { sweepId: string | null }) => r.sweepId === null);
      // Same data set, lr, seed and epoch count: every run is a duplicate candidate of every other.
      bundle.runs = Array.from({ length: 20_000 }, (_, i) => ({
        ...template,
        id: `bulk-${i}`,
        sweepId: null,
        epochs: template.epochs.slice(0, 2).map((e: { loss: number }, k: number) => ({ ...e, loss: e.loss + i * 1e-6 + k })),
      }));
      bundle.sweeps = [];
      const parsed = ExportBundle.parse(bundle);
      const started = performance.now();
      const { result } = importBundle(store, parsed);
      const seconds = (performance.now() - started) / 1000;
      expect(result.runs).toEqual({ imported: 20_000, duplicates: 0 });
      expect(store.runs.list({ limit: 1 }).total).toBe(20_000);
      // 28 s before (quadratic); a few seconds now even on a loaded 2-core machine.
      expect(seconds).toBeLessThan(15);
      // Importing it again: every run found as already here, by id.
      expect(importBundle(store, parsed).result.runs).toEqual({ imported: 0, duplicates: 20_000 });
    } finally {
      store.close();
      dir.remove();
    }
  }, 60_000);
});
