/** The sweep report's sections: heatmap, interaction plot, statistics, ANOVA, overfitting, early termination, search scatters. */
import { metricLabel, metricShortLabel, verdictLabel, type AnalysisMetric } from '../../shared/analysis';
import { sortedClips, sortedLrs } from '../../shared/axes';
import type { Content } from 'pdfmake/interfaces';
import type { EpochMetrics, Run } from '../../shared/domain';
import { describeValidation } from '../../shared/domain';
import type { Anova, CellStats } from '../../shared/contract';
import { PRESET_DESCRIPTIONS } from '../../shared/models';
import { heatmapChart, interactionChart, lineChart, PALETTE, scatterChart, type Series } from './charts';
import { describeMethod, describePrune, describeSpace } from '../../shared/adaptive';
import { clipLabel, dateTime, deltaPp, hyper, int, MISSING, pp, pValue } from '../../shared/format';
import type { SweepSubject } from './subject';
import { CONTENT_WIDTH, heading, note, table, keyValues, chart, keepTogether, statsText, ciText, ratioText, datasetSection, modelLayerTable, configPairs } from './blocks';

export const OTHER_AXES = ['batchSize', 'optimizer', 'weightDecay', 'preset'] as const;

export function sliceKey(cell: CellStats): string {
  return OTHER_AXES.map((a) => (cell[a] === undefined ? '' : `${a}=${cell[a]}`)).join('|');
}

export function sliceLabel(cell: CellStats): string {
  const parts: string[] = [];
  if (cell.batchSize !== undefined) parts.push(`batch ${cell.batchSize}`);
  if (cell.optimizer !== undefined) parts.push(cell.optimizer);
  if (cell.weightDecay !== undefined) parts.push(`weight decay ${cell.weightDecay}`);
  if (cell.preset !== undefined) parts.push(`model ${cell.preset}`);
  return parts.join(', ');
}

export function verdictText(cell: CellStats, m: AnalysisMetric): string {
  return verdictLabel(cell.vsBest[m]);
}

export function anovaTable(a: Anova): Content {
  if (!a.computed) return note(`Two-way ANOVA not computed: ${a.reason ?? 'not enough data'}.`);
  const names: Record<string, string> = { lr: 'learning rate', clip: 'clip norm', 'lr:clip': 'lr × clip interaction', residual: 'residual (seeds)' };
  return {
    stack: [
      table(
        ['Source', 'df', 'Sum of squares', 'Mean square', 'F', 'p'],
        a.terms.map((t) => [names[t.source] ?? t.source, t.df, t.ss.toExponential(3), t.ms.toExponential(3), t.f === null ? MISSING : t.f.toFixed(2), pValue(t.p)]),
        ['*', 30, 80, 80, 50, 50],
        { alignRight: [1, 2, 3, 4, 5] },
      ),
      note(a.reason ? `${a.reason[0]!.toUpperCase()}${a.reason.slice(1)}.` : `${a.replicates} seeds per cell.`),
    ],
  };
}

/** Heatmap, interaction plot, statistics, ANOVA, overfitting and the best cell's curves. */
export function sweepResults(subject: SweepSubject, cells: CellStats[], bestCell: CellStats | null): Content[] {
  const { sweep, stats } = subject.sweep;
  const spec = sweep.spec;
  // Every ranking below uses the sweep's own analysis metric: the app and the CLI use it too.
  const m = sweep.analysisMetric;
  const metricName = metricLabel(m, spec.base.validation);
  const alt: AnalysisMetric = m === 'finalValAcc' ? 'bestValAcc' : 'finalValAcc';
  const out: Content[] = [];
  // Heatmap and interaction plot, one of each per combination of the other swept axes.
  const slices = new Map<string, CellStats[]>();
  for (const c of cells) {
    const key = sliceKey(c);
    if (!slices.has(key)) slices.set(key, []);
    slices.get(key)!.push(c);
  }
  const search = (spec.method ?? 'grid') !== 'grid';
  if (search) out.push(...searchScatters(subject, cells, m, metricName));
  for (const sliceCells of search ? [] : slices.values()) {
    const label = sliceLabel(sliceCells[0]!);
    const sLrs = sortedLrs(sliceCells);
    const sClips = sortedClips(sliceCells);
    const at = (lr: number, clip: number | null) => sliceCells.find((c) => c.lr === lr && c.clip === clip);
    const values = sLrs.map((lr) => sClips.map((clip) => at(lr, clip)?.[m].mean ?? null));
    let best: [number, number] | null = null;
    if (bestCell && sliceCells.includes(bestCell)) best = [sLrs.indexOf(bestCell.lr), sClips.indexOf(bestCell.clip)];
    const suffix = label ? ` (${label})` : '';
    const heatHeight = Math.min(360, Math.max(170, 70 + 26 * sClips.length));
    out.push(
      keepTogether(
        heading(`Learning rate × clip norm${suffix}`),
        chart(heatmapChart({ title: `Mean ${metricName} (%)`, lrs: sLrs, clips: sClips, values, best, width: CONTENT_WIDTH, height: heatHeight })),
        note(
          `Each cell: mean over its completed seeds. Outlined: the best cell. "–": no seed completed${spec.prune ? ' (every seed pruned, or unfinished: see Early termination)' : ''}.`,
        ),
      ),
      keepTogether(
        chart(
          interactionChart({
            title: `Interaction: mean ${metricName} against learning rate`,
            lrs: sLrs,
            lines: sClips.map((clip) => ({ clip, means: sLrs.map((lr) => at(lr, clip)?.[m].mean ?? null) })),
            width: CONTENT_WIDTH,
            height: 240,
          }),
        ),
        note('Parallel lines: the best clip norm does not depend on the learning rate. Crossing or fanning lines: it does (an lr × clip interaction).'),
      ),
    );
  }

  // The statistics, best first.
  const ranked = [...cells].sort((a, b) => (b[m].mean ?? -1) - (a[m].mean ?? -1));
  out.push(
    heading(search ? 'Statistics per configuration' : 'Statistics per cell'),
    ...(stats.adaptive ? [note(stats.adaptive.note)] : []),
    note(
      `Mean ± standard deviation over completed seeds, Student-t 95% confidence interval (in %). Each cell is compared with the best by Welch's t-test; p-values are Holm-corrected over the ${cells.filter((c) => c.vsBest[m].pHolm !== null).length} comparisons, on ${metricName}. Statistically tied (green): not distinguishable from the best at α = ${stats.alpha}, with a test that would have seen a 1-point difference 80% of the time; can't tell: not distinguishable, but the test could not have seen 1 point at this number of seeds and spread.`,
    ),
    table(
      ['Cell', 'n', metricShortLabel(m, spec.base.validation).replace(/^./, (c) => c.toUpperCase()), '95% CI', 'vs best', 'p (Holm)', 'Verdict', metricShortLabel(alt, spec.base.validation).replace(/^./, (c) => c.toUpperCase())],
      ranked.map((c) => [
        c.label + (c.trials.pruned ? ` (${c.trials.pruned} pruned at epoch ${[...new Set(c.prunedAtEpochs)].join(', ')})` : ''),
        c.trials.completed + (c.trials.total > c.trials.completed ? `/${c.trials.total}` : ''),
        statsText(c[m]),
        ciText(c[m]),
        c.vsBest[m].verdict === 'best' ? MISSING : deltaPp(c.vsBest[m].diff),
        pValue(c.vsBest[m].pHolm),
        c.vsBest[m].verdict === 'best' ? { text: 'best', bold: true } : c[m].n === 0 && c.trials.pruned ? 'pruned: left out' : verdictText(c, m),
        statsText(c[alt]),
      ]),
      ['*', 22, 68, 60, 46, 38, 52, 68],
      {
        alignRight: [1, 2, 3, 4, 5, 7],
        highlight: (r) => {
          const v = ranked[r]!.vsBest[m].verdict;
          return v === 'best' ? '#d9eed9' : v === 'tied' ? '#eef7ee' : null;
        },
      },
    ),
  );

  const anovas = stats.anova[m];
  if (anovas.length) {
    out.push(heading(`Two-way ANOVA of ${metricName}: learning rate × clip norm`));
    for (const a of anovas) {
      const names: Record<string, string> = { batchSize: 'batch', optimizer: 'optimizer', weightDecay: 'weight decay', preset: 'model' };
      const label = Object.entries(a.slice)
        .map(([k, v]) => `${names[k] ?? k} ${v}`)
        .join(', ');
      if (label) out.push({ text: label, style: 'h3' });
      out.push(anovaTable(a));
    }
  }

  // Overfitting: per model first (when models were swept), then per cell.
  out.push(heading('Overfitting'));
  out.push(note('Ratio = final validation accuracy / final training accuracy, per seed, then averaged. Below 1: the model does better on data it trained on.'));
  if (spec.axes.preset?.length) {
    const perModel = spec.axes.preset.map((preset) => {
      const mine = cells.filter((c) => c.preset === preset && c[m].mean !== null);
      const top = mine.sort((a, b) => b[m].mean! - a[m].mean!)[0];
      return [preset, top ? top.label : MISSING, top ? statsText(top.finalTrainAcc) : MISSING, top ? statsText(top.finalValAcc) : MISSING, top ? ratioText(top.overfitRatio) : MISSING];
    });
    out.push({ text: 'Per model, at its best cell', style: 'h3' }, table(['Model', 'Best cell', 'Train acc', 'Val acc', 'Val / train'], perModel, [40, '*', 80, 80, 80], { alignRight: [2, 3, 4] }), { text: 'Per cell', style: 'h3' });
  }
  const gridOrder = [...cells].sort((a, b) => a.lr - b.lr || (a.clip ?? Infinity) - (b.clip ?? Infinity) || sliceKey(a).localeCompare(sliceKey(b)));
  out.push(
    table(
      ['Cell', 'Final train acc', 'Final val acc', 'Gap (pp)', 'Val / train'],
      gridOrder.map((c) => [
        c.label,
        statsText(c.finalTrainAcc),
        statsText(c.finalValAcc),
        c.finalTrainAcc.mean === null || c.finalValAcc.mean === null ? MISSING : pp(c.finalTrainAcc.mean - c.finalValAcc.mean),
        ratioText(c.overfitRatio),
      ]),
      ['*', 90, 90, 50, 80],
      { alignRight: [1, 2, 3, 4] },
    ),
  );

  // The best cell's own curves, a line per seed: how stable the winner is.
  if (bestCell) {
    const trials = subject.runs.filter(({ run }) => run.cellId === bestCell.cellId && run.status === 'completed');
    if (trials.length) {
      const common = { xName: 'epoch', width: CONTENT_WIDTH, height: 200 };
      const perSeed = (f: (e: EpochMetrics) => number): Series[] =>
        trials.map(({ run, epochs }, k) => ({ name: `seed ${run.config.seed}`, points: epochs.map((e) => [e.epoch, f(e)] as [number, number]), color: PALETTE[k % PALETTE.length] }));
      out.push(
        keepTogether(
          heading(`Curves of the best cell (${bestCell.label})`),
          chart(lineChart({ ...common, title: 'Validation accuracy', yName: 'accuracy', yFormat: 'pct', series: perSeed((e) => e.valAcc) })),
        ),
        chart(lineChart({ ...common, title: 'Training accuracy', yName: 'accuracy', yFormat: 'pct', series: perSeed((e) => e.trainAcc) })),
        chart(lineChart({ ...common, title: 'Training loss', yName: 'loss', yFormat: 'num', logY: true, series: perSeed((e) => e.loss) })),
      );
    }
  }

  return out;
}

export function sweepContent(subject: SweepSubject): Content[] {
  const { sweep, stats } = subject.sweep;
  const spec = sweep.spec;
  const out: Content[] = [];
  const cells = stats.cells;
  const m = sweep.analysisMetric;
  const alt: AnalysisMetric = m === 'finalValAcc' ? 'bestValAcc' : 'finalValAcc';
  const label = metricLabel(m, spec.base.validation);
  const bestCell = cells.find((c) => c.cellId === stats.best[m]) ?? null;
  const bestByAlt = cells.find((c) => c.cellId === stats.best[alt]) ?? null;

  // Overview and the answer first: a supervisor reads the best configuration before the method.
  const lrs = sortedLrs(cells);
  const clips = sortedClips(cells);
  const other = OTHER_AXES.filter((a) => spec.axes[a]?.length);
  out.push(
    heading('Sweep'),
    keyValues([
      ['Status', `${sweep.status}; ${sweep.trials.done} of ${cells.length * spec.repeats} trials done${sweep.trials.failed ? `, ${sweep.trials.failed} failed` : ''}`],
      ...((spec.method ?? 'grid') === 'grid'
        ? ([
            ['Learning rates', lrs.map(hyper).join(', ')],
            ['Clip max-norms', clips.map(clipLabel).join(', ')],
          ] as [string, string][])
        : []),
      ...other.map((a): [string, string] => [{ batchSize: 'Batch sizes', optimizer: 'Optimizers', weightDecay: 'Weight decays', preset: 'Models' }[a], (spec.axes[a] as unknown[]).join(', ')]),
      ...(stats.adaptive
        ? ([
            ['Method', describeMethod(spec)],
            ...(stats.adaptive.method !== 'grid' ? [['Search space', describeSpace(spec).join('; ')] as [string, string]] : []),
            ['Early termination', describePrune(spec.prune)],
          ] as [string, string][])
        : []),
      ['Seeds per cell', `${spec.repeats} (seeds ${spec.base.seed}–${spec.base.seed + spec.repeats - 1})`],
      ['Cells × seeds', `${cells.length} × ${spec.repeats} = ${cells.length * spec.repeats} trials of ${spec.base.epochs} epochs`],
      ['Created', `${dateTime(sweep.createdAt)}${sweep.finishedAt ? `, finished ${dateTime(sweep.finishedAt)}` : ''}`],
    ]),
    keyValues([
      ['Validation', describeValidation(spec.base.validation)],
      ['Ranked by', `${label}, the mean over the completed seeds of a cell (the sweep's analysis metric: the app and the CLI rank by it too)`],
    ]),
  );

  out.push(heading('Best configuration'));
  if (!bestCell) {
    out.push(note('No trial has completed yet, so there is no best configuration.'));
  } else {
    const f = bestCell[m];
    const tied = cells.filter((c) => c.vsBest[m].verdict === 'tied');
    const cantTell = cells.filter((c) => c.vsBest[m].verdict === 'cant-tell');
    const untested = cells.filter((c) => c.vsBest[m].verdict === 'untested' && c.cellId !== bestCell.cellId && c[m].mean !== null);
    const body: Content[] = [
      { text: bestCell.label, style: 'bestLabel' },
      {
        text: [
          { text: `${label[0]!.toUpperCase()}${label.slice(1)} `, color: '#333333' },
          { text: statsText(f), bold: true },
          f.ci95 ? ` (95% CI ${pp(f.ci95[0])}–${pp(f.ci95[1])}%, ${f.n} seeds)` : ` (${f.n} seed${f.n === 1 ? '' : 's'}; a confidence interval needs 2)`,
        ],
      },
      {
        text: `Best-epoch validation accuracy ${statsText(bestCell.bestValAcc)}, peaking at epoch ${bestCell.bestEpoch.mean === null ? MISSING : bestCell.bestEpoch.mean.toFixed(1)} on average; final training accuracy ${statsText(bestCell.finalTrainAcc)}.`,
      },
      {
        text: tied.length
          ? `Statistically tied with the best (Welch's t-test, Holm-corrected, α = ${stats.alpha}; each test would have seen a 1-point difference): ${tied.map((c) => c.label).join('; ')}.`
          : cantTell.length || untested.length
            ? 'No other cell is shown to be tied with it.'
            : `Every other cell is worse at α = ${stats.alpha} (Welch's t-test, Holm-corrected).`,
      },
      ...(cantTell.length
        ? [{ text: `Can't be told apart from the best with these seeds (the test would miss a 1-point difference at this spread; more seeds may separate them): ${cantTell.map((c) => `${c.label} (${verdictLabel(c.vsBest[m])})`).join('; ')}.` }]
        : []),
      ...(untested.length ? [{ text: 'Too few seeds to test some cells at all (each needs 2 completed seeds).' }] : []),
    ];
    if (bestByAlt && bestByAlt.cellId !== bestCell.cellId) {
      body.push({ text: `By ${metricLabel(alt, spec.base.validation)} instead, the best cell is ${bestByAlt.label} (${statsText(bestByAlt[alt])}).` });
    }
    out.push({
      table: { widths: ['*'], body: [[{ stack: body, margin: [6, 5, 6, 5] }]] },
      layout: { hLineColor: () => '#2e7d32', vLineColor: () => '#2e7d32', fillColor: () => '#f1f8f1' },
      style: 'table',
    });
  }

  if (stats.adaptive && spec.prune) out.push(...earlyTermination(subject));

  const anyResult = cells.some((c) => c[m].mean !== null);
  if (anyResult) out.push(...sweepResults(subject, cells, bestCell));
  else out.push(note('The heatmap, the interaction plot and the statistics appear once trials complete.'));

  // Trials that did not finish normally, so a reader knows what the statistics leave out.
  const troubled = subject.runs.filter(({ run }) => run.status === 'failed' || run.status === 'diverged');
  if (troubled.length) {
    out.push(
      heading('Diverged and failed trials'),
      note('Left out of the statistics above (a diverged trial has no meaningful final accuracy).'),
      table(
        ['Cell', 'Seed', 'Status', 'Reason'],
        troubled.map(({ run }) => [cells.find((c) => c.cellId === run.cellId)?.label ?? run.cellId ?? MISSING, run.config.seed, run.status, run.error ?? MISSING]),
        [130, 30, 50, '*'],
      ),
    );
  }

  // What every trial shares: data set, model(s), the base configuration.
  const dataset = subject.datasets.get(sweep.datasetId);
  out.push(...datasetSection(dataset ? [dataset] : [], dataset ? [] : [sweep.datasetId]));
  if (spec.axes.preset?.length) {
    out.push(heading('Models'));
    for (const preset of spec.axes.preset) {
      const trial = subject.runs.find(({ run }) => run.model.preset === preset);
      out.push({ text: `Model ${preset}`, style: 'h3' });
      if (trial) out.push(...modelLayerTable(trial.run.model, dataset));
      else out.push(note(`${PRESET_DESCRIPTIONS[preset]} (no trial started yet).`));
    }
  } else {
    out.push(heading('Model'), ...modelLayerTable(spec.model, dataset));
  }
  const baseRun: Run = {
    ...(subject.runs[0]?.run ?? ({} as Run)),
    config: spec.base,
    backend: subject.runs.find(({ run }) => run.backend)?.run.backend ?? null,
  };
  const swept = new Set(['Learning rate', 'Gradient clipping', 'Seed', ...(spec.axes.batchSize ? ['Batch size'] : []), ...(spec.axes.optimizer ? ['Optimizer', 'Betas, eps', 'Momentum'] : []), ...(spec.axes.weightDecay ? ['Weight decay'] : [])]);
  out.push(
    heading('Training configuration (shared by all trials)'),
    keyValues(configPairs(baseRun).filter(([k]) => !swept.has(k))),
    note('The swept settings (learning rate, clip norm and any other axis above) and the seed vary by trial.'),
  );
  return out;
}

/** What early termination did: epochs trained and saved, and every pruned trial with its reason. */
export function earlyTermination(subject: SweepSubject): Content[] {
  const { sweep, stats } = subject.sweep;
  const a = stats.adaptive!;
  const pruned = subject.runs.filter(({ run }) => run.status === 'pruned');
  const label = (run: Run) => stats.cells.find((c) => c.cellId === run.cellId)?.label ?? run.cellId ?? MISSING;
  const out: Content[] = [
    heading('Early termination'),
    keyValues([
      ['Rule', describePrune(sweep.spec.prune)],
      ['Trial-epochs', `${int(a.epochs.trained)} trained, ${int(a.epochs.saved)} saved by pruning (${a.epochs.full ? Math.round((100 * a.epochs.saved) / a.epochs.full) : 0}% of the ${int(a.epochs.full)} a full run would train)`],
      ['Pruned trials', `${a.prunedTrials} of ${subject.runs.length}`],
    ]),
    note(a.note),
  ];
  if (pruned.length) {
    out.push(
      table(
        ['Configuration', 'Seed', 'Stopped at', 'Reason'],
        pruned.map(({ run }) => [label(run), run.config.seed, `epoch ${run.pruned?.epoch ?? run.epochsDone}`, run.pruned?.reason ?? run.error ?? MISSING]),
        [120, 28, 48, '*'],
      ),
    );
  }
  const resumed = subject.runs.filter(({ run }) => run.pruned?.resumedByHand);
  if (resumed.length) out.push(note(`Resumed to full length by hand after being pruned: ${resumed.map(({ run }) => `${label(run)}, seed ${run.config.seed} (pruned at epoch ${run.pruned!.epoch})`).join('; ')}.`));
  return out;
}

/** A search sweep: the metric against each searched parameter, a point per trial. */
export function searchScatters(subject: SweepSubject, cells: CellStats[], m: AnalysisMetric, metricName: string): Content[] {
  const { stats } = subject.sweep;
  const value = (epochs: EpochMetrics[]) => (m === 'bestValAcc' ? Math.max(...epochs.map((e) => e.valAcc)) : epochs[epochs.length - 1]!.valAcc);
  const ran = subject.runs.filter(({ run, epochs }) => epochs.length > 0 && (run.status === 'completed' || run.status === 'pruned'));
  const clips = ran.map(({ run }) => run.config.clipNorm).filter((c): c is number => c !== null);
  const noneAt = ran.some(({ run }) => run.config.clipNorm === null) ? (clips.length ? Math.max(...clips) * 1.15 : 1) : null;
  const out: Content[] = [heading(`${metricName[0]!.toUpperCase()}${metricName.slice(1)} against each parameter`)];
  for (const param of stats.adaptive?.params ?? []) {
    if (param !== 'lr' && param !== 'clip' && param !== 'weightDecay') continue; // discrete choices read better in the table
    const xRun = (run: Run) => (param === 'lr' ? run.config.lr : param === 'clip' ? (run.config.clipNorm ?? noneAt!) : (run.config.weightDecay ?? 0));
    const xCell = (c: CellStats) => (param === 'lr' ? c.lr : param === 'clip' ? (c.clip ?? noneAt!) : (c.weightDecay ?? 0));
    out.push(
      chart(
        scatterChart({
          title: `${metricName} against ${param === 'lr' ? 'the learning rate (log axis)' : param === 'clip' ? 'the clip norm' : 'weight decay'}`,
          xName: param === 'lr' ? 'learning rate' : param === 'clip' ? 'clip norm' : 'weight decay',
          logX: param === 'lr',
          noneAt: param === 'clip' ? noneAt : null,
          groups: [
            { name: 'seeds (completed)', points: ran.filter(({ run }) => run.status === 'completed').map(({ run, epochs }) => [xRun(run), value(epochs)]) },
            { name: 'configuration mean', symbol: 'diamond', points: cells.filter((c) => c[m].mean !== null).map((c) => [xCell(c), c[m].mean!]) },
            { name: 'pruned (at its last epoch)', hollow: true, color: '#999999', points: ran.filter(({ run }) => run.status === 'pruned').map(({ run, epochs }) => [xRun(run), value(epochs)]) },
          ],
          width: CONTENT_WIDTH,
          height: 220,
        }),
      ),
    );
  }
  out.push(note('A point per trial; diamonds: the mean over a configuration\'s completed seeds. Pruned trials stopped early: their value is at the epoch they stopped, not comparable with the others.'));
  return out;
}
