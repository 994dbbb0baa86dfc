/**
 * One verdict everywhere: for one sweep, the sweep page's best configuration (renderer helpers),
 * `sweep show --json` (the service's SweepDetail), the CLI table and the PDF report name the same
 * best cell, by the same metric, under the same heading, for either choice of analysis metric.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statsReport } from '../../electron/cli/sweep';
import { buildReport } from '../../electron/reports';
import { createService, EventBus, type ServiceContext } from '../../electron/service';
import { SweepScheduler } from '../../electron/sweeps/scheduler';
import { seedsFor } from '../../electron/sweeps/stats';
import { bestConfig } from '../../renderer/src/lib/sweepCharts';
import { metricLabel, type AnalysisMetric } from '../../shared/analysis';
import type { MethodName, Request, Response } from '../../shared/contract';
import { ApiError } from '../../shared/errors';
import { makeHistory, type History } from './fixtures';

const hasPoppler = existsSync('/usr/bin/pdftotext');

describe.skipIf(!hasPoppler)('one verdict for a sweep', () => {
  let h: History;
  let call: <M extends MethodName>(method: M, request: Request<M>) => Promise<Response<M>>;

  beforeAll(() => {
    h = makeHistory();
    const events = new EventBus();
    const ctx = {
      dataDir: h.dataDir,
      transport: 'browser',
      store: h.store,
      events,
      datasets: null,
      sweeps: new SweepScheduler({ store: h.store, events, executor: { start: () => { throw new Error('no training here'); } } }),
      runner: { start: async () => { throw new Error('no training here'); }, cancel: async (id: string) => h.store.runs.get(id)!, forget: async () => {}, trainedHere: () => false },
      checkModel: () => {},
    } as unknown as ServiceContext;
    const service = createService(ctx, { version: '1.0.0', backends: () => ['cpu'] });
    // Make best-epoch and final accuracy disagree: one ordinary cell peaks at 99 % mid-run in each
    // seed, then ends where it ended before.
    const trials = h.store.sweeps.trials(h.sweepId).filter((t) => t.status === 'completed');
    const peaked = trials[5]!.cellId;
    for (const run of trials.filter((t) => t.cellId === peaked)) {
      const epochs = h.store.runs.epochs(run.id);
      h.store.runs.truncateEpochs(run.id, 0);
      for (const e of epochs) h.store.runs.addEpoch(run.id, e.epoch === 3 ? { ...e, valAcc: 0.99 } : e);
    }
    call = async (method, request) => {
      const result = await service.dispatch(method, request);
      if (!result.ok) throw ApiError.from(result.error);
      return result.value as never;
    };
  });
  afterAll(() => h.close());

  const bests = new Map<AnalysisMetric, string>();
  for (const metric of ['finalValAcc', 'bestValAcc'] as const) {
    it(`ranks by ${metric} in the UI, the JSON, the CLI table and the PDF`, async () => {
      const sweep = await call('sweeps.setAnalysisMetric', { id: h.sweepId, metric });
      expect(sweep.analysisMetric).toBe(metric);
      const detail = await call('sweeps.show', { id: h.sweepId });
      const label = metricLabel(metric, detail.spec.base.validation);
      expect(detail.analysis).toEqual({ metric, label, bestCellId: detail.stats.best[metric] });
      const best = detail.stats.cells.find((c) => c.cellId === detail.analysis.bestCellId)!;
      bests.set(metric, best.cellId);

      // The sweep page.
      const ui = bestConfig(detail, detail.analysisMetric)!;
      expect(ui.cell.cellId).toBe(best.cellId);

      // The CLI table: ranked by the metric, the best cell first and marked best.
      const table = statsReport(detail).split('\n');
      expect(table[0]).toContain(`${label[0]!.toUpperCase()}${label.slice(1)} per cell`);
      expect(table[3]).toContain(best.label);
      expect(table[3]).toMatch(/\bbest\b/);

      // The PDF: the best-configuration box names the same cell under the same metric.
      const report = await buildReport(h.store, { sweepId: h.sweepId }, { appVersion: '1.0.0' });
      const file = join(h.dataDir, `verdict-${metric}.pdf`);
      writeFileSync(file, report.bytes);
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
      const box = text.slice(text.indexOf('Best configuration'));
      expect(box.slice(0, 400)).toContain(best.label);
      expect(text).toContain(`Mean ${label} (%)`);
      expect(text).toContain(`Ranked by ${label}`);
    });
  }

  it('recommends seeds per cell from the spread between seeds of earlier sweeps of the model on the data set', async () => {
    const sweep = h.store.sweeps.get(h.sweepId)!;
    const plan = await call('sweeps.plan', { spec: sweep.spec });
    // Pooled within-cell variance of the final validation accuracy, from the stored epochs.
    const byCell = new Map<string, number[]>();
    for (const t of h.store.sweeps.trials(h.sweepId).filter((t) => t.status === 'completed')) {
      byCell.set(t.cellId, [...(byCell.get(t.cellId) ?? []), h.store.runs.epochs(t.id).at(-1)!.valAcc]);
    }
    let ss = 0;
    let df = 0;
    for (const v of byCell.values()) {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      ss += v.reduce((a, b) => a + (b - m) ** 2, 0);
      df += v.length - 1;
    }
    const std = Math.sqrt(ss / df);
    expect(plan.seedAdvice!.std).toBeCloseTo(std, 12);
    expect(plan.seedAdvice!.sweeps).toBe(1);
    expect(plan.seedAdvice!.seeds).toBe(seedsFor(std, 0.01, 0.05));
    expect(plan.seedAdvice!.seeds).toBeGreaterThanOrEqual(2);
    // Another data set has no history: no advice rather than a made-up one.
    const other = { ...sweep.spec, model: { ...sweep.spec.model, layers: sweep.spec.model.layers.slice(0, 1).concat(sweep.spec.model.layers.slice(-1)) } };
    expect((await call('sweeps.plan', { spec: other })).seedAdvice).toBeNull();
  });

  it('the two metrics pick different cells in this sweep, so the checks above tell them apart', () => {
    expect(bests.get('finalValAcc')).not.toBe(bests.get('bestValAcc'));
  });
});
