/**
 * Comparisons that stay readable: groups in numeric order, a configuration line per run for
 * tooltips, the mixed-data-set warning, and the comparison PDF carrying the on-screen grouping,
 * smoothing and overfitting table without naming one "highest" run across data sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport } from '../../electron/reports';
import { groupRuns, mixedDatasets, overfitRows, runConfigLine } from '../../shared/compare';
import { compareOption } from '../../renderer/src/lib/curves';
import { hyper } from '../../renderer/src/lib/format';
import { datasetRecord } from '../support/fixtures';
import { addRun, makeHistory, type History } from './fixtures';
import type { Run } from '../../shared/domain';

const hasPoppler = existsSync('/usr/bin/pdftotext');
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

describe('comparison helpers and chart', () => {
  let h: History;
  let lrRuns: Run[];
  beforeAll(() => {
    h = makeHistory();
    // Added out of order, and with labels whose text order is wrong: "lr 0.01" < "lr 0.0005" as text.
    lrRuns = [0.01, 0.0005, 0.1, 0.001, 0.0005].map((lr, i) =>
      addRun(h.store, h.dataset.id, { name: `lr run ${i}`, preset: 'shl', lr, clip: i === 2 ? null : 1, seed: i, epochs: 3, plateau: 0.8 }),
    );
  });
  afterAll(() => h.close());

  it('sorts groups numerically (lr 0.0005 < 0.001 < 0.01 < 0.1; no clip last), runs kept within a group', () => {
    const groups = groupRuns(lrRuns, 'lr', hyper, (r) => r.id);
    expect(groups.map((g) => g.runs.map((r) => r.config.lr)[0])).toEqual([0.0005, 0.001, 0.01, 0.1]);
    expect(groups[0]!.runs.map((r) => r.name)).toEqual(['lr run 1', 'lr run 4']);
    expect(groupRuns(lrRuns, 'clip', hyper).map((g) => g.label)).toEqual(['clip 1', 'no clip']);
    const names = groupRuns([...lrRuns].reverse(), 'none', hyper).map((g) => g.label);
    expect(names).toEqual(lrRuns.map((r) => r.name).reverse());
    const rows = overfitRows(lrRuns, Object.fromEntries(lrRuns.map((r) => [r.id, h.store.runs.epochs(r.id)])), 'lr', hyper);
    expect(rows.map((r) => [r.label, r.n])).toEqual([
      [groupRuns(lrRuns, 'lr', hyper)[0]!.label, 2],
      ['lr 0.001', 1],
      ['lr 0.01', 1],
      ['lr 0.1', 1],
    ]);
  });

  it('names run and configuration in the tooltip of every line, beyond 12 lines', () => {
    const many = Array.from({ length: 20 }, (_, i) => lrRuns[i % lrRuns.length]!);
    const curveRuns = many.map((r, i) => ({ id: `${r.id}${i}`, name: `${r.name} #${i}`, epochs: h.store.runs.epochs(r.id), config: runConfigLine(r, hyper) }));
    const option = compareOption(curveRuns, { metric: 'valAcc', x: 'epoch', logY: false, smoothing: 0, grouped: false }, { text: '#000', muted: '#666', grid: '#ddd', axis: '#999' } as never);
    const series = option.series as { name: string; tooltip: { formatter(p: unknown): string } }[];
    expect(series).toHaveLength(20);
    const html = series[17]!.tooltip.formatter({ seriesName: series[17]!.name, value: [2, 0.8] });
    expect(html).toContain('lr run 2 #17');
    expect(html).toContain(`${lrRuns[2]!.config.optimizer} lr 0.1`);
    expect(html).toContain('no clip');
    expect(html).toContain('seed 2');
    expect(html).toContain('Kuzushiji-MNIST');
  });

  it('grouped legends take the lines’ colours: the band series shares its line’s colour', () => {
    const curveRuns = lrRuns.map((r) => ({ id: r.id, name: r.name, epochs: h.store.runs.epochs(r.id), group: `lr ${hyper(r.config.lr)}` }));
    const option = compareOption(curveRuns, { metric: 'valAcc', x: 'epoch', logY: false, smoothing: 0, grouped: true }, { text: '#000', muted: '#666', grid: '#ddd', axis: '#999' } as never);
    const series = option.series as { name: string; type: string; color?: string }[];
    const byName = new Map<string, string[]>();
    for (const s of series) byName.set(s.name, [...(byName.get(s.name) ?? []), String(s.color)]);
    for (const colours of byName.values()) {
      expect(colours).toHaveLength(2);
      expect(colours[0]).toBe(colours[1]);
    }
  });

  it('finds mixed data sets', () => {
    expect(mixedDatasets(lrRuns)).toEqual([]);
    const other = { ...lrRuns[0]!, datasetId: 'other', datasetName: 'Fashion-MNIST' };
    expect(mixedDatasets([...lrRuns, other])).toEqual(['Kuzushiji-MNIST', 'Fashion-MNIST']);
  });
});

describe.skipIf(!hasPoppler)('comparison PDF', () => {
  let h: History;
  let dir: string;
  beforeAll(() => {
    h = makeHistory();
    dir = join(h.dataDir, 'out');
    mkdirSync(dir);
  });
  afterAll(() => h.close());
  const text = (bytes: Uint8Array, name: string) => {
    const file = join(dir, `${name}.pdf`);
    writeFileSync(file, bytes);
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  };

  it('carries the grouping, smoothing and overfitting table; warns and ranks per data set when data sets mix', async () => {
    const fashion = datasetRecord({ name: 'Fashion-MNIST', checksum: `fashion-${Math.random()}` });
    h.store.datasets.insert(fashion);
    // The Fashion run has the highest accuracy of all, but on other data.
    const f = addRun(h.store, fashion.id, { name: 'fashion lr 0.01', preset: 'shl', lr: 0.01, clip: 1, seed: 0, epochs: 6, plateau: 0.97 });
    const runs = [...h.runs, f];
    const report = await buildReport(h.store, { runIds: runs.map((r) => r.id) }, { appVersion: '1', comparison: { groupBy: 'lr', smoothing: 0.6 } });
    const t = text(report.bytes, 'mixed');
    expect(t).toMatch(/Warning: These runs trained on 2 different data\s+sets/);
    expect(t).toContain('grouped by learning rate');
    expect(t).toContain('moving average weight 0.60');
    expect(t).toContain('Overfitting');
    expect(t).toMatch(/lr 0\.001\s+3\s/);
    expect(t).toMatch(/lr 0\.01\s+1\s/);
    // No run is "highest" across data sets: one per data set, each named with its data set.
    const highest = t.split('\n').filter((l) => l.includes('Highest'));
    expect(highest).toHaveLength(2);
    expect(t).toContain('Highest best-epoch validation accuracy on Kuzushiji-MNIST');
    expect(t).toContain('Highest best-epoch validation accuracy on Fashion-MNIST');
    expect(t).not.toMatch(/Highest best-epoch validation accuracy: /);
    // The lr 0.001 group's val/train ratio, computed here from the stored epochs.
    const ratios = h.runs.map((r) => {
      const e = h.store.runs.epochs(r.id).at(-1)!;
      return e.valAcc / e.trainAcc;
    });
    expect(t).toContain((ratios.reduce((a, b) => a + b, 0) / ratios.length).toFixed(3));

    const single = await buildReport(h.store, { runIds: h.runs.map((r) => r.id) }, { appVersion: '1' });
    const s = text(single.bytes, 'single');
    expect(s).not.toContain('Warning');
    expect(s).toContain('one line per run');
    expect(s).toContain('curves not smoothed');
    const best = [...h.runs].sort((a, b) => b.bestValAcc! - a.bestValAcc!)[0]!;
    expect(s).toContain(`Highest best-epoch validation accuracy: #${h.runs.indexOf(best) + 1} ${best.name}, ${pct(best.bestValAcc!)}`);
  });
});

describe('per-step curves in the JSON export bundle', () => {
  it('a run exported as JSON carries its steps, and importing the bundle stores them', async () => {
    const { exportData } = await import('../../electron/exports');
    const { importBundle, readBundle } = await import('../../electron/exports/import');
    const { ExportBundle } = await import('../../electron/exports/bundle');
    const { DataExportRequest } = await import('../../shared/contract');
    const { openStore } = await import('../../electron/store');
    const { tempDir } = await import('../support/fixtures');
    const h = makeHistory();
    const other = tempDir();
    const target = openStore(other.path);
    try {
      const source = h.runs[0]!;
      const run = h.store.runs.create({ name: 'with steps', datasetId: h.dataset.id, model: source.model, config: source.config });
      h.store.runs.epochs(source.id).slice(0, 2).forEach((e) =>
        h.store.runs.addEpoch(run.id, e, { epoch: e.epoch, steps: 3, points: [1, 2, 3].map((s) => ({ step: s, n: 1, loss: e.loss + s / 10, lossMax: e.loss + s / 10, gradNorm: s, gradNormMax: s, clipped: s > 1.5 ? 1 : 0, clipScale: s > 1.5 ? 1.5 / (s + 1e-6) : 1 })) }),
      );
      const result = exportData(h.store, DataExportRequest.parse({ subject: { runIds: [run.id] }, format: 'json' }), '1');
      const text = Buffer.from(result.base64!, 'base64').toString('utf8');
      const bundle = ExportBundle.parse(JSON.parse(text));
      expect(bundle.runs[0]!.steps).toEqual(h.store.runs.steps(run.id));
      expect(bundle.runs[0]!.steps!.map((s) => s.epoch)).toEqual([1, 2]);
      const file = `${other.path}/bundle.json`;
      writeFileSync(file, text);
      importBundle(target, readBundle(file));
      expect(target.runs.steps(run.id)).toEqual(h.store.runs.steps(run.id));
    } finally {
      target.close();
      other.remove();
      h.close();
    }
  });
});
