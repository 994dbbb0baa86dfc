/**
 * The PDF reports, read back the way a person reads them: the text (pdftotext) holds the numbers
 * and names the store holds, and every page renders (pdftoppm). Expected figures are computed here
 * from the stored epochs, independently of the report code.
 */
import { SweepScheduler } from '../../electron/sweeps/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport } from '../../electron/reports';
import { loadSubject } from '../../electron/reports/subject';
import { createService, EventBus, type ServiceContext } from '../../electron/service';
import { ApiError } from '../../shared/errors';
import type { MethodName, Request, Response } from '../../shared/contract';
import { makeHistory, type History } from './fixtures';

const hasPoppler = existsSync('/usr/bin/pdftotext') && existsSync('/usr/bin/pdftoppm');

function pdfText(bytes: Uint8Array, dir: string, name: string): string {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, bytes);
  // -layout keeps table rows on one line, so a row's cells can be matched together.
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

/** Renders every page to PNG (kept under the temp folder for a person to look at) and returns the files. */
function renderPages(bytes: Uint8Array, dir: string, name: string): string[] {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, bytes);
  const out = join(dir, 'png');
  mkdirSync(out, { recursive: true });
  execFileSync('pdftoppm', ['-r', '40', '-png', file, join(out, name)]);
  return readdirSync(out)
    .filter((f) => f.startsWith(`${name}-`) && f.endsWith('.png'))
    .sort()
    .map((f) => join(out, f));
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.skipIf(!hasPoppler)('PDF reports', () => {
  let h: History;
  let dir: string;

  beforeAll(() => {
    h = makeHistory();
    dir = join(h.dataDir, 'out');
    mkdirSync(dir);
  });
  afterAll(() => h.close());

  it('a run report names the data set and model and holds the run’s numbers', async () => {
    const run = h.runs[0]!;
    const epochs = h.store.runs.epochs(run.id);
    const report = await buildReport(h.store, { runIds: [run.id] }, { appVersion: '9.8.7' });
    const text = pdfText(report.bytes, dir, 'run');

    expect(report.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(text).toContain(`Run: ${run.name}`);
    expect(text).toContain('Kuzushiji-MNIST');
    expect(text).toContain('28 × 28 × 1');
    expect(text).toContain('60,000 training, 10,000 test');
    // The 'both' preset on 28×28×1, 10 classes: 784·256+256 + 2·256 + 256·256+256 + 2·256 + 256·10+10.
    expect(text).toMatch(/Total trainable parameters\s+270,346/);
    const best = epochs.reduce((a, b) => (b.valAcc > a.valAcc ? b : a));
    expect(text).toMatch(new RegExp(`Best validation accuracy\\s+${pct(best.valAcc)} at epoch ${best.epoch}`));
    const last = epochs[epochs.length - 1]!;
    expect(text).toContain(`${pct(last.valAcc)} after epoch ${last.epoch} of 12`);
    // Configuration, per-epoch table, environment, page numbers.
    expect(text).toMatch(/Learning rate\s+0\.001/);
    expect(text).toContain('max-norm 1.5');
    expect(text).toMatch(new RegExp(`\\n\\s*${last.epoch}\\s+${last.loss.toFixed(4)}\\s+${last.valLoss.toFixed(4)}\\s+${pct(last.trainAcc)}\\s+${pct(last.valAcc)}`));
    expect(text).toMatch(/Compute backend\s+wasm/);
    expect(text).toMatch(/Sweeplab version\s+9\.8\.7/);
    expect(text).toContain(`Page 1 of ${report.pages}`);
    expect(text).toContain('Baseline for the paper');
    // The charts are vector text, not images: their titles, axis names and legends are in the text.
    expect(text).toContain('Accuracy');
    expect(text).toContain('Loss (cross-entropy)');
    expect(text).toContain('Global gradient norm');
    expect(text).toMatch(/validation[\s\S]*training/);

    const pages = renderPages(report.bytes, dir, 'run');
    expect(pages).toHaveLength(report.pages);
    for (const page of pages) expect(statSync(page).size).toBeGreaterThan(5_000);
  });

  it('a sweep report gives the best configuration, its statistics, ties, ANOVA and overfitting', async () => {
    const report = await buildReport(h.store, { sweepId: h.sweepId }, { appVersion: '9.8.7' });
    const text = pdfText(report.bytes, dir, 'sweep');

    // The best cell by mean final validation accuracy, computed here from the stored trials.
    const trials = h.store.runs.list({ sweepId: h.sweepId, limit: 1000 }).items.filter((r) => r.status === 'completed');
    const cells = new Map<string, { lr: number; clip: number | null; finals: number[] }>();
    for (const run of trials) {
      const epochs = h.store.runs.epochs(run.id);
      const entry = cells.get(run.cellId!) ?? { lr: run.config.lr, clip: run.config.clipNorm, finals: [] };
      entry.finals.push(epochs[epochs.length - 1]!.valAcc);
      cells.set(run.cellId!, entry);
    }
    const best = [...cells.values()].reduce((a, b) => (mean(b.finals) > mean(a.finals) ? b : a));
    expect(best).toMatchObject({ lr: 0.001, clip: 1.5 });

    expect(text).toContain('Sweep: KMNIST lr × clip');
    expect(text).toMatch(/Best configuration\s+lr 0\.001, clip 1\.5/);
    expect(text).toContain(`Final validation accuracy ${pct(mean(best.finals))}`);
    expect(text).toMatch(/lr 0\.001, clip 1\.5\s+3\s+\d+\.\d\d% ± \d\.\d\d\s+\d+\.\d\d – \d+\.\d\d\s+—\s+—\s+best/);
    // Seeds agree to 0.1–0.3 points here: 3 of them resolve a 1-point difference, so "tied" is earned.
    expect(text).toMatch(/statistically\s+[\d.]+% ± [\d.]+\s+tied/); // the verdict column wraps
    expect(text).toContain('Statistically tied with the best');
    // The diverged trial: counted as 2 of 3 seeds in its cell and listed with its reason.
    expect(text).toMatch(/lr 0\.1, clip 2\.5\s+2\/3/);
    expect(text).toContain('epoch 3: loss became NaN');
    // Heatmap (cell labels are its text), interaction plot, ANOVA, overfitting, data set, model.
    expect(text).toContain('Mean final validation accuracy (%)');
    expect(text).toContain((mean(best.finals) * 100).toFixed(1));
    expect(text).toContain('learning rate (log scale)');
    expect(text).toMatch(/clip 0\.5[\s\S]*clip 2\.5/);
    expect(text).toMatch(/lr × clip interaction\s+15\s/);
    expect(text).toContain('Overfitting');
    expect(text).toContain('Kuzushiji-MNIST');
    expect(text).toMatch(/Total trainable parameters\s+270,346/);
    // The 24-row statistics table starts low on page 2 and runs onto page 3 with its header repeated.
    const headerRows = text.split('\n').filter((l) => /^\s*Cell\s+n\s+Final val acc\s+95% CI/.test(l));
    expect(headerRows.length).toBeGreaterThanOrEqual(2);
    expect(text).toContain(`Page ${report.pages} of ${report.pages}`);

    const pages = renderPages(report.bytes, dir, 'sweep');
    expect(pages).toHaveLength(report.pages);
  });

  it('a comparison lists every run and what differs between them', async () => {
    const report = await buildReport(h.store, { runIds: h.runs.map((r) => r.id) }, { appVersion: '9.8.7' });
    const text = pdfText(report.bytes, dir, 'comparison');
    expect(text).toContain('Comparison of 3 runs');
    for (const run of h.runs) {
      expect(text).toContain(run.name);
      expect(text).toContain(pct(run.bestValAcc!));
    }
    expect(text).toContain('Shared by all runs');
    expect(text).toContain('Different between runs');
    // Three presets: three layer tables, the single hidden layer one smaller.
    expect(text).toMatch(/Total trainable parameters\s+270,346/);
    expect(text).toMatch(/Total trainable parameters\s+204,042/);
    expect(text).toContain('Validation accuracy');
    expect(renderPages(report.bytes, dir, 'comparison')).toHaveLength(report.pages);
  });

  it('reports.pdf writes to a path or returns base64, through the service', async () => {
    const events = new EventBus();
    const ctx: ServiceContext = {
      dataDir: h.dataDir,
      transport: 'browser',
      store: h.store,
      events,
      datasets: null,
      // sweeps.show below reads statistics only: a scheduler whose executor never trains.
      sweeps: new SweepScheduler({ store: h.store, events, executor: { start: () => { throw new Error('no training here'); } } }),
      runner: { start: async () => { throw new Error('no training here'); }, cancel: async (id) => h.store.runs.get(id)!, forget: async () => {}, trainedHere: () => false },
      checkModel: () => {},
    } as ServiceContext;
    const service = createService(ctx, { version: '9.8.7', backends: () => ['cpu'] });
    const call = async <M extends MethodName>(method: M, request: Request<M>): Promise<Response<M>> => {
      const result = await service.dispatch(method, request);
      if (!result.ok) throw ApiError.from(result.error);
      return result.value as Response<M>;
    };

    const inline = await call('reports.pdf', { subject: { runIds: [h.runs[1]!.id] } });
    expect(inline.path).toBeNull();
    expect(inline.fileName).toBe('Run-bn-lr-0.001-clip-1.5.pdf');
    expect(Buffer.from(inline.base64!, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    expect(Buffer.from(inline.base64!, 'base64').length).toBe(inline.bytes);

    const path = join(dir, 'saved.pdf');
    const saved = await call('reports.pdf', { subject: { runIds: [h.runs[1]!.id] }, title: 'For Prof. Tanaka', path });
    expect(saved).toMatchObject({ path, base64: null, fileName: 'saved.pdf' });
    expect(readFileSync(path).length).toBe(saved.bytes);
    expect(pdfText(readFileSync(path), dir, 'saved-copy')).toContain('For Prof. Tanaka');

    await expect(call('reports.pdf', { subject: { runIds: [h.runs[1]!.id] }, path })).rejects.toMatchObject({ code: 'conflict' });
    await expect(call('reports.pdf', { subject: { runIds: [h.runs[1]!.id] }, path, overwrite: true })).resolves.toMatchObject({ path });
    await expect(call('reports.pdf', { subject: { runIds: [h.runs[1]!.id] }, path: 'relative.pdf' })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(call('reports.pdf', { subject: { runIds: ['nope'] } })).rejects.toMatchObject({ code: 'not_found' });
    await expect(call('reports.pdf', { subject: { runIds: [h.runs[1]!.id] }, path: join(dir, 'no-such-folder', 'x.pdf') })).rejects.toMatchObject({ code: 'not_found' });

    // The report's sweep statistics are the app's sweep view's, number for number.
    const shown = await call('sweeps.show', { id: h.sweepId });
    expect(loadSubject(h.store, { sweepId: h.sweepId }).sweep!.stats).toEqual(shown.stats);
  });
});
