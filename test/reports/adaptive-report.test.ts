/**
 * An adaptive sweep (a random search with ASHA, 2 seeds per configuration) read back through every
 * view that reports it: `sweep show --json` (sweeps.show), the CLI's text and the PDF must carry
 * the same method, early-termination figures, pruned trials with their reasons and best
 * configuration with its CI. Expected figures are recomputed here from the stored rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type Store } from '../../electron/store';
import { EventBus } from '../../electron/service/events';
import { SweepScheduler } from '../../electron/sweeps/scheduler';
import { sweepDetail } from '../../electron/service/sweeps';
import { buildReport } from '../../electron/reports';
import { loadSubject } from '../../electron/reports/subject';
import { cellsTable } from '../../electron/exports/tables';
import { adaptiveLines, statsReport } from '../../electron/cli/sweep';
import { SweepSpec, type SweepSpecInput } from '../../shared/domain';
import type { SweepDetail } from '../../shared/contract';
import type { ServiceContext } from '../../electron/service/context';
import { datasetRecord, tempDir, tinyModel } from '../support/fixtures';
import { epochRow, FakeExecutor, flush } from '../sweeps/fake-executor';

const hasPoppler = existsSync('/usr/bin/pdftotext');
const EPOCHS = 6;

describe('an adaptive sweep in every view', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let scheduler: SweepScheduler;
  let detail: SweepDetail;

  beforeAll(async () => {
    dir = tempDir('sweeplab-adaptive-report-');
    store = openStore(dir.path);
    const ds = datasetRecord();
    store.datasets.insert(ds);
    const events = new EventBus();
    const exec = new FakeExecutor(store);
    scheduler = new SweepScheduler({ store, events, executor: exec, cores: () => 2, pollMs: 20 });
    const input: SweepSpecInput = {
      name: 'search with ASHA',
      datasetId: ds.id,
      model: tinyModel,
      base: { lr: 0.001, epochs: EPOCHS },
      axes: { lr: { values: [0.001] }, clip: [0.5, 1.5, null] },
      method: 'random',
      trials: 6,
      repeats: 2,
      ranges: { lr: { min: 1e-4, max: 1e-1 } },
      prune: { rule: 'asha', grace: 1, eta: 3 },
    };
    const sweep = scheduler.create(SweepSpec.parse(input), { concurrency: 2 });
    scheduler.launch(sweep.id);
    // A known objective: accuracy peaks at lr 0.003 and grows with the epoch; seed 1 a bit lower.
    const acc = (runId: string, epoch: number) => {
      const run = store.runs.get(runId)!;
      return Math.max(0.1, 0.9 - 0.08 * Math.abs(Math.log10(run.config.lr / 0.003)) - 0.2 / epoch - 0.004 * run.config.seed);
    };
    // Trainers advance one epoch each in turn, as two real ones would.
    for (let guard = 0; exec.running.length && guard < 1000; guard++) {
      for (const t of [...exec.running]) {
        if (t.finished) continue;
        const epoch = store.runs.get(t.runId)!.epochsDone + 1;
        const metrics = epochRow(epoch, acc(t.runId, epoch));
        store.runs.addEpoch(t.runId, metrics);
        events.emit('run.epoch', { runId: t.runId, metrics });
        if (epoch === EPOCHS) exec.finish(t.runId);
        await flush();
      }
      await flush();
    }
    expect(store.sweeps.get(sweep.id)!.status).toBe('completed');
    detail = sweepDetail({ store, sweeps: scheduler } as unknown as ServiceContext, sweep.id);
  });
  afterAll(async () => {
    await scheduler.shutdown();
    store.close();
    dir.remove();
  });

  it('sweeps.show (sweep show --json) carries pruned trials, their reasons, epochs saved and the compared epoch', () => {
    const rows = store.sweeps.trials(detail.id);
    const pruned = rows.filter((t) => t.status === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    expect(rows.filter((t) => t.status === 'completed').length).toBeGreaterThan(0);
    const trained = rows.reduce((n, t) => n + t.epochsDone, 0);
    const saved = pruned.reduce((n, t) => n + EPOCHS - t.epochsDone, 0);
    const json = JSON.parse(JSON.stringify(detail)) as SweepDetail; // what --json prints
    expect(json.stats.adaptive).toMatchObject({ method: 'random', prune: 'asha', comparedAtEpoch: EPOCHS, prunedTrials: pruned.length, epochs: { trained, saved, full: trained + saved }, configurations: { budget: 6, proposed: 6 } });
    for (const t of pruned) {
      const shown = json.trials.find((x) => x.id === t.id)!;
      expect(shown.status).toBe('pruned');
      expect(shown.pruned).toEqual({ epoch: t.epochsDone, reason: t.error, resumedByHand: false });
      expect(shown.pruned!.reason).toMatch(new RegExp(`^ASHA: below the top-1/3 quantile at epoch ${t.epochsDone}: `));
    }
    // Cells: pruned seeds counted apart, only completed seeds in the means.
    for (const c of json.stats.cells) {
      const mine = rows.filter((t) => t.cellId === c.cellId);
      expect(c.trials.pruned).toBe(mine.filter((t) => t.status === 'pruned').length);
      expect(c.finalValAcc.n).toBe(mine.filter((t) => t.status === 'completed').length);
    }
  });

  it('the CLI text names the method, the rule, the epochs saved, every pruned trial and the best configuration with its CI', () => {
    const a = detail.stats.adaptive!;
    const text = [...adaptiveLines(detail), statsReport(detail)].join('\n');
    expect(text).toContain('random search, 6 configurations');
    expect(text).toContain('ASHA (grace 1, eta 3; best validation accuracy)');
    expect(text).toContain(`${a.epochs.trained} trained, ${a.epochs.saved} saved by pruning`);
    expect(text).toContain(a.note);
    const best = detail.stats.cells.find((c) => c.cellId === detail.analysis.bestCellId)!;
    expect(text).toContain(`Best configuration: ${best.label}: `);
    // The objective peaks near lr 0.003: the configuration closest to it keeps both seeds and has a CI.
    expect(best.finalValAcc.n).toBe(2);
    expect(text).toContain(`95% CI ${(best.finalValAcc.ci95![0] * 100).toFixed(2)}% – ${(best.finalValAcc.ci95![1] * 100).toFixed(2)}% over its 2 seeds`);
  });

  it('exports (the cells table) use the proposed configurations and count pruned seeds apart, with the epochs they stopped at', () => {
    // Reports and exports load the sweep themselves: the same configurations as sweeps.show.
    const cells = loadSubject(store, { sweepId: detail.id }).sweep!.stats.cells;
    expect(cells.map((c) => c.cellId).sort()).toEqual(detail.stats.cells.map((c) => c.cellId).sort());
    const { columns, rows } = cellsTable(cells);
    for (const c of detail.stats.cells) {
      const row = rows.find((r) => r[0] === c.cellId)!;
      expect(row[columns.indexOf('pruned')]).toBe(c.trials.pruned);
      expect(row[columns.indexOf('pruned_at_epochs')]).toBe(c.prunedAtEpochs.join(' '));
      expect(row[columns.indexOf('final_val_acc_mean')]).toBe(c.finalValAcc.mean);
    }
  });

  it.skipIf(!hasPoppler)('the PDF carries the same: method, rule, epochs saved, pruned trials with reasons, best configuration', async () => {
    const report = await buildReport(store, { sweepId: detail.id }, { appVersion: 'test' });
    const file = join(dir.path, 'adaptive.pdf');
    writeFileSync(file, report.bytes);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const a = detail.stats.adaptive!;
    expect(text).toContain('random search, 6 configurations');
    expect(text).toMatch(/Early termination\s+ASHA \(grace 1, eta 3; best validation accuracy\)/);
    expect(text).toContain(`${a.epochs.trained} trained, ${a.epochs.saved} saved by pruning`);
    expect(text).toMatch(new RegExp(`Pruned trials\\s+${a.prunedTrials} of ${detail.trials.length}`));
    expect(text.match(/ASHA: below the top-1\/3 quantile at epoch/g)?.length).toBe(a.prunedTrials);
    expect(text).toContain('against the learning rate (log axis)');
    expect(text).toContain('not a grid');
    const best = detail.stats.cells.find((c) => c.cellId === detail.analysis.bestCellId)!;
    expect(text).toMatch(new RegExp(`Best configuration\\s+${best.label.replace(/[.()]/g, '\\$&')}`));
    expect(text).toContain(`(95% CI ${(best.finalValAcc.ci95![0] * 100).toFixed(2)}–${(best.finalValAcc.ci95![1] * 100).toFixed(2)}%, 2 seeds)`);
  });
});
