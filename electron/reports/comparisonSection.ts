/** The comparison report's section: results, what differs between the runs, grouping, smoothing, overfitting. */
import type { Content } from 'pdfmake/interfaces';
import type { EpochMetrics, ModelSpec, Run } from '../../shared/domain';
import { lineChart, PALETTE, type Series } from './charts';
import { clipLabel, duration, hyper, MISSING, pct } from '../../shared/format';
import type { LoadedSubject, RunWithEpochs } from './subject';
import { groupRuns, mixedDatasets, MIXED_DATASETS_WARNING, overfitRows, type GroupField } from '../../shared/compare';
import { CONTENT_WIDTH, CHART_HEIGHT, heading, note, table, keyValues, chart, keepTogether, finalEpoch, totalSeconds, datasetSection, modelLayerTable, configPairs } from './blocks';

/** The label of run k in legends: the name while few runs share a chart, else its number. */
export function runLabel(k: number, run: Run, many: boolean): string {
  if (many) return `#${k + 1}`;
  const name = run.name.length > 28 ? `${run.name.slice(0, 27)}…` : run.name;
  return `#${k + 1} ${name}`;
}

export const GROUP_NAMES: Record<GroupField, string> = {
  none: 'no grouping',
  lr: 'learning rate',
  clip: 'clip norm',
  model: 'model',
  optimizer: 'optimizer',
  batchSize: 'batch size',
  dataset: 'data set',
  sweep: 'sweep',
  epochs: 'epochs',
};

/**
 * Exponential moving average with bias correction, as the Compare view smooths its curves
 * (a few lines, not worth a dependency).
 */
export function smoothValues(values: readonly number[], weight: number): number[] {
  if (weight <= 0) return values.slice();
  let avg = 0;
  return values.map((v, i) => {
    avg = avg * weight + (1 - weight) * v;
    return avg / (1 - weight ** (i + 1));
  });
}

export function comparisonContent(subject: LoadedSubject, view: { groupBy: GroupField; smoothing: number }): Content[] {
  const runs = subject.runs;
  const many = runs.length > 5;
  const mixed = mixedDatasets(runs.map(({ run }) => run));
  const out: Content[] = [];
  if (mixed.length) out.push({ text: `Warning: ${MIXED_DATASETS_WARNING(mixed)}`, bold: true, color: '#9a5b00', margin: [0, 0, 0, 8] });
  out.push(
    note(
      `As on screen: ${view.groupBy === 'none' ? 'one line per run' : `grouped by ${GROUP_NAMES[view.groupBy]} (mean per group)`}; ${view.smoothing > 0 ? `curves smoothed (moving average weight ${view.smoothing.toFixed(2)})` : 'curves not smoothed'}.`,
    ),
  );
  out.push(heading('Results'));
  out.push(
    table(
      ['#', 'Run', 'Model', 'lr', 'Clip', 'Seed', 'Epochs', 'Best val acc', 'Final val', 'Final train', 'Time'],
      runs.map(({ run, epochs }, k) => {
        const last = finalEpoch(epochs);
        return [
          k + 1,
          run.name,
          run.model.preset ?? 'custom',
          hyper(run.config.lr),
          clipLabel(run.config.clipNorm),
          run.config.seed,
          `${epochs.length}/${run.config.epochs}`,
          run.bestValAcc === null ? MISSING : `${pct(run.bestValAcc)} (ep ${run.bestEpoch})`,
          last ? pct(last.valAcc) : MISSING,
          last ? pct(last.trainAcc) : MISSING,
          duration(totalSeconds(epochs)),
        ];
      }),
      [12, '*', 30, 32, 26, 22, 30, 60, 38, 38, 46],
      { alignRight: [0, 3, 4, 5, 6, 7, 8, 9, 10], highlight: (r) => (!mixed.length && bestRunIndex(runs) === r ? '#eaf4ea' : null) },
    ),
  );
  // The highest run is named within one data set only: accuracies on different data are not comparable.
  const byDataset = new Map<string, number[]>();
  runs.forEach(({ run }, k) => byDataset.set(run.datasetId, [...(byDataset.get(run.datasetId) ?? []), k]));
  for (const indices of byDataset.values()) {
    const best = bestRunIndex(indices.map((k) => runs[k]!));
    if (best === null) continue;
    const k = indices[best]!;
    const { run } = runs[k]!;
    const where = mixed.length ? ` on ${run.datasetName ?? run.datasetId}` : '';
    out.push(note(`Highest best-epoch validation accuracy${where}: #${k + 1} ${run.name}, ${pct(run.bestValAcc)} at epoch ${run.bestEpoch}.`));
  }

  // The overfitting table, per run or per group as on screen.
  const epochsById = Object.fromEntries(runs.map(({ run, epochs }) => [run.id, epochs]));
  const rows = overfitRows(runs.map(({ run }) => run), epochsById, view.groupBy, hyper);
  const indexOf = new Map(runs.map(({ run }, k) => [run.id, k + 1]));
  out.push(
    heading('Overfitting'),
    note('Validation accuracy / training accuracy after the last epoch (1.0: no gap), the gap in points, and the best epoch.'),
    table(
      [view.groupBy === 'none' ? 'Run' : 'Group', 'Runs', 'Final val', 'Final train', 'Val / train', 'Gap', 'Best val', 'Best epoch'],
      rows.map((r) => [
        view.groupBy === 'none' ? `#${indexOf.get(r.key) ?? '?'} ${r.label}` : r.label,
        r.n,
        r.finalVal === null ? '–' : pct(r.finalVal),
        r.finalTrain === null ? '–' : pct(r.finalTrain),
        r.ratio === null ? '–' : `${r.ratio.toFixed(3)}${r.ratioStd !== null ? ` ± ${r.ratioStd.toFixed(3)}` : ''}`,
        r.gap === null ? '–' : `${(r.gap * 100).toFixed(2)} pt`,
        r.bestVal === null ? '–' : pct(r.bestVal),
        r.bestEpoch ?? '–',
      ]),
      ['*', 26, 40, 40, 56, 40, 40, 36],
      { alignRight: [1, 2, 3, 4, 5, 6, 7] },
    ),
  );

  // Settings: the ones all runs share once, the ones that differ per run.
  const perRun = runs.map(({ run }) => new Map(configPairs(run)));
  const keys = configPairs(runs[0]!.run).map(([k]) => k);
  for (const m of perRun.slice(1)) for (const k of m.keys()) if (!keys.includes(k)) keys.push(k);
  const differing = keys.filter((k) => new Set(perRun.map((m) => m.get(k) ?? MISSING)).size > 1);
  const shared = keys.filter((k) => !differing.includes(k));
  out.push(heading('Training configuration'));
  if (shared.length) out.push({ text: 'Shared by all runs', style: 'h3' }, keyValues(shared.map((k) => [k, perRun[0]!.get(k)!])));
  if (differing.length) {
    out.push({ text: 'Different between runs', style: 'h3' });
    // At most five settings per table so columns stay readable; more settings, more tables.
    for (let i = 0; i < differing.length; i += 5) {
      const cols = differing.slice(i, i + 5);
      out.push(
        table(
          ['#', ...cols],
          perRun.map((m, k) => [k + 1, ...cols.map((c) => m.get(c) ?? MISSING)]),
          [14, ...cols.map(() => '*')],
        ),
      );
    }
  }

  // Data sets and models: each distinct one once, with the runs that use it.
  const datasetIds = [...new Set(runs.map(({ run }) => run.datasetId))];
  out.push(
    ...datasetSection(
      datasetIds.flatMap((id) => (subject.datasets.has(id) ? [subject.datasets.get(id)!] : [])),
      datasetIds.filter((id) => !subject.datasets.has(id)),
    ),
  );
  const models = new Map<string, { model: ModelSpec; datasetId: string; runs: number[] }>();
  runs.forEach(({ run }, k) => {
    const key = JSON.stringify(run.model);
    if (!models.has(key)) models.set(key, { model: run.model, datasetId: run.datasetId, runs: [] });
    models.get(key)!.runs.push(k + 1);
  });
  out.push(heading(models.size > 1 ? 'Models' : 'Model'));
  for (const { model, datasetId, runs: used } of models.values()) {
    if (models.size > 1) out.push({ text: `Used by run${used.length > 1 ? 's' : ''} ${used.map((k) => `#${k}`).join(', ')}`, style: 'h3' });
    out.push(...modelLayerTable(model, subject.datasets.get(datasetId)));
  }

  // Curves: one chart per metric, a line per run (or the mean line of each group), smoothed as on screen.
  const withEpochs = runs.map((r, k) => ({ ...r, k })).filter((r) => r.epochs.length > 0);
  if (withEpochs.length) {
    const groups = view.groupBy === 'none' ? [] : groupRuns(withEpochs.map((r) => ({ ...r.run, entry: r })), view.groupBy, hyper);
    const series = (f: (e: EpochMetrics) => number): Series[] =>
      view.groupBy === 'none'
        ? withEpochs.map(({ run, epochs, k }) => {
            const ys = smoothValues(epochs.map(f), view.smoothing);
            return {
              name: runLabel(k, run, many),
              points: epochs.map((e, i) => [e.epoch, ys[i]!] as [number, number]),
              color: PALETTE[k % PALETTE.length],
              // Past the palette's nine colours, lines repeat a colour but not its dash.
              dashed: Math.floor(k / PALETTE.length) % 2 === 1,
            };
          })
        : groups.map((g, gi) => {
            const longest = Math.max(...g.runs.map((r) => r.entry.epochs.length));
            const mean: [number, number][] = [];
            for (let i = 0; i < longest; i++) {
              const vals = g.runs.flatMap((r) => (r.entry.epochs[i] ? [f(r.entry.epochs[i]!)] : []));
              mean.push([i + 1, vals.reduce((a, b) => a + b, 0) / vals.length]);
            }
            const ys = smoothValues(mean.map((p) => p[1]), view.smoothing);
            return { name: `${g.label} (n=${g.runs.length})`, points: mean.map((p, i) => [p[0], ys[i]!] as [number, number]), color: PALETTE[gi % PALETTE.length], dashed: Math.floor(gi / PALETTE.length) % 2 === 1 };
          });
    const common = { xName: 'epoch', width: CONTENT_WIDTH, height: CHART_HEIGHT };
    out.push(
      keepTogether(heading('Curves'), chart(lineChart({ ...common, title: 'Validation accuracy', yName: 'accuracy', yFormat: 'pct', series: series((e) => e.valAcc) }))),
      chart(lineChart({ ...common, title: 'Training accuracy', yName: 'accuracy', yFormat: 'pct', series: series((e) => e.trainAcc) })),
      chart(lineChart({ ...common, title: 'Training loss', yName: 'loss', yFormat: 'num', logY: true, series: series((e) => e.loss) })),
    );
    if (many) out.push(note(`Lines are numbered as in the results table${runs.length > PALETTE.length ? '; after nine runs colours repeat with dashed lines' : ''}.`));
  }
  return out;
}

export function bestRunIndex(runs: RunWithEpochs[]): number | null {
  let best: number | null = null;
  runs.forEach(({ run }, k) => {
    if (run.bestValAcc !== null && (best === null || run.bestValAcc > runs[best]!.run.bestValAcc!)) best = k;
  });
  return best;
}

// ---------------------------------------------------------------------------------------------
// A sweep
