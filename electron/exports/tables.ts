/**
 * Runs, epochs and sweep cells as flat tables, and CSV text of them. Column names are snake_case
 * and stable (scripts read them); numbers are written in full precision (String(x) round-trips a
 * double exactly), accuracies as fractions in [0, 1] rather than percentages, so that
 * `pandas.read_csv` gives back the very values the app shows; an empty field is a missing value.
 *
 * The epochs table is long format, one row per run × epoch with the run's lr, clip and seed beside
 * it: one `groupby` away from any plot.
 */
import type { Dataset } from '../../shared/domain';
import { effectiveWeightDecay } from '../../shared/domain';
import type { CellStats, ExportTable } from '../../shared/contract';
import { parameterCount, type LoadedSubject } from '../reports/subject';

export type CellValue = string | number | boolean | null;

export interface Table {
  columns: string[];
  rows: CellValue[][];
}

export function runsTable(subject: LoadedSubject): Table {
  const columns = [
    'run_id', 'name', 'status', 'error', 'dataset', 'dataset_checksum', 'model', 'parameters', 'optimizer', 'lr', 'clip_norm',
    'batch_size', 'epochs', 'seed', 'weight_decay', 'subset_size', 'backend', 'pack_size', 'sweep_id', 'cell_id', 'epochs_done',
    'best_val_acc', 'best_epoch', 'final_val_acc', 'final_train_acc', 'final_loss', 'final_val_loss', 'train_seconds',
    'created_at', 'started_at', 'finished_at', 'starred', 'tags', 'notes',
  ];
  const rows = subject.runs.map(({ run, epochs }) => {
    const dataset: Dataset | undefined = subject.datasets.get(run.datasetId);
    const last = epochs.length ? epochs[epochs.length - 1]! : null;
    const c = run.config;
    return [
      run.id, run.name, run.status, run.error, dataset?.name ?? run.datasetName, dataset?.checksum ?? null, run.model.preset ?? 'custom',
      parameterCount(run.model, dataset), c.optimizer, c.lr, c.clipNorm, c.batchSize, c.epochs, c.seed, effectiveWeightDecay(c),
      c.subset?.size ?? null, run.backend, run.packSize ?? null, run.sweepId, run.cellId, run.epochsDone, run.bestValAcc, run.bestEpoch, last?.valAcc ?? null,
      last?.trainAcc ?? null, last?.loss ?? null, last?.valLoss ?? null, epochs.reduce((s, e) => s + e.seconds, 0),
      run.createdAt, run.startedAt, run.finishedAt, run.starred, run.tags.join(';'), run.notes,
    ];
  });
  return { columns, rows };
}

export function epochsTable(subject: LoadedSubject): Table {
  const columns = [
    'run_id', 'run_name', 'sweep_id', 'cell_id', 'model', 'optimizer', 'lr', 'clip_norm', 'batch_size', 'seed', 'epoch', 'loss',
    'train_acc', 'val_acc', 'val_loss', 'seconds', 'grad_norm_mean', 'grad_norm_max', 'clipped_fraction',
  ];
  const rows = subject.runs.flatMap(({ run, epochs }) =>
    epochs.map((e) => [
      run.id, run.name, run.sweepId, run.cellId, run.model.preset ?? 'custom', run.config.optimizer, run.config.lr, run.config.clipNorm,
      run.config.batchSize, run.config.seed, e.epoch, e.loss, e.trainAcc, e.valAcc, e.valLoss, e.seconds, e.gradNormMean, e.gradNormMax,
      e.clippedFraction,
    ]),
  );
  return { columns, rows };
}

/** One row per sweep cell: the sweeps module's statistics, flattened. */
export function cellsTable(cells: readonly CellStats[]): Table {
  const stat = (prefix: string) => [`${prefix}_mean`, `${prefix}_std`, `${prefix}_ci_low`, `${prefix}_ci_high`];
  const columns = [
    'cell_id', 'label', 'lr', 'clip_norm', 'batch_size', 'optimizer', 'weight_decay', 'preset', 'trials', 'completed', 'diverged',
    'failed', 'pruned', 'pruned_at_epochs', 'unfinished', ...stat('final_val_acc'), ...stat('best_val_acc'), ...stat('final_train_acc'), ...stat('overfit_ratio'),
    'best_epoch_mean', 'verdict_final_val_acc', 'diff_final_val_acc', 'p_holm_final_val_acc', 'verdict_best_val_acc', 'p_holm_best_val_acc',
  ];
  const s = (x: CellStats['finalValAcc']) => [x.mean, x.std, x.ci95?.[0] ?? null, x.ci95?.[1] ?? null];
  const rows = cells.map((c) => [
    c.cellId, c.label, c.lr, c.clip, c.batchSize ?? null, c.optimizer ?? null, c.weightDecay ?? null, c.preset ?? null, c.trials.total,
    c.trials.completed, c.trials.diverged, c.trials.failed, c.trials.pruned, c.prunedAtEpochs.join(' '), c.trials.unfinished, ...s(c.finalValAcc), ...s(c.bestValAcc),
    ...s(c.finalTrainAcc), ...s(c.overfitRatio), c.bestEpoch.mean, c.vsBest.finalValAcc.verdict, c.vsBest.finalValAcc.diff,
    c.vsBest.finalValAcc.pHolm, c.vsBest.bestValAcc.verdict, c.vsBest.bestValAcc.pHolm,
  ]);
  return { columns, rows };
}

export function tableOf(subject: LoadedSubject, which: ExportTable): Table {
  if (which === 'runs') return runsTable(subject);
  if (which === 'epochs') return epochsTable(subject);
  return cellsTable(subject.sweep?.stats.cells ?? []);
}

function csvField(value: CellValue): string {
  if (value === null) return '';
  const raw = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'boolean' ? String(value) : value;
  // A text cell starting like a formula (a run named "=HYPERLINK(…)") would run as one in a
  // spreadsheet: a leading apostrophe keeps it text (OWASP's CSV-injection advice). Numbers are
  // written as numbers, so a negative value stays a number.
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${raw}` : raw;
  // RFC 4180: quote fields holding a comma, quote, CR or LF; double the quotes inside.
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header row and CRLF line ends (what Excel, pandas and R all read). */
export function toCsv(table: Table): string {
  return [table.columns, ...table.rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
