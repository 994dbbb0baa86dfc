/**
 * Reports and exports (issue 7): PDF reports of a run, a comparison of runs or a sweep; runs,
 * epochs and sweep cells as CSV or JSON; a trained model as a TF.js layers model or PyTorch code;
 * and the import of a JSON export into another Sweeplab (merging a lab mate's history).
 *
 * Every producing method has one code path and two ways out, so the three front ends share it:
 *
 * - `path` given: the main process writes the file (or folder) there. The desktop app passes what
 *   its save dialog returned (with `overwrite: true`: the dialog already asked), the CLI its `-o`.
 * - `path` omitted: the bytes come back base64-encoded in the response, for browser mode to hand to
 *   the browser as a download (`new Blob([bytes], {type: mimeType})`, named `fileName`).
 *
 * Paths are on the machine that runs the main process and must be absolute.
 */
import { z } from 'zod';
import { Id } from '../domain';
import { method } from './common';
import { neutraliseBidi } from '../text';
import { GROUP_FIELD_NAMES } from '../compare';

const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), { message: 'must be an absolute path' });

const Output = {
  /** Where to write (absolute, on the main process's machine); omitted: returned as base64. */
  path: AbsolutePath.optional(),
  /** Replace an existing file; without it an existing file is a 'conflict' error. */
  overwrite: z.boolean().default(false),
};

/** What a report or export is about: some runs (1 = a run report, 2+ = a comparison) or one sweep. */
export const ReportSubject = z.union([
  z.strictObject({ runIds: z.array(Id).min(1).max(50) }),
  z.strictObject({ sweepId: Id }),
]);
export type ReportSubject = z.infer<typeof ReportSubject>;

/** A produced file: written to `path`, or carried back in `base64`. */
export const FileResult = z.strictObject({
  /** The suggested file name (for a save dialog's default or a browser download). */
  fileName: z.string(),
  mimeType: z.string(),
  bytes: z.number().int().min(0),
  /** Where it was written; null when returned as base64. */
  path: z.string().nullable(),
  base64: z.string().nullable(),
});
export type FileResult = z.infer<typeof FileResult>;

/** How a comparison is shown (the Compare view's choices), reproduced by its PDF. */
export const ComparisonOptions = z.strictObject({
  /** Runs grouped by this config field: one mean line per group and the overfitting table per group. */
  groupBy: z.enum(GROUP_FIELD_NAMES).default('none'),
  /** Exponential moving average weight applied to the curves (0: raw). */
  smoothing: z.number().min(0).max(0.99).default(0),
});
export type ComparisonOptions = z.input<typeof ComparisonOptions>;

export const PdfRequest = z.strictObject({
  subject: ReportSubject,
  /** For a comparison (2+ runs): the grouping and smoothing shown on screen; ignored otherwise. */
  comparison: ComparisonOptions.optional(),
  /** Overrides the generated title ("Run kmnist both lr 0.001 …", "Sweep …", "Comparison of 3 runs"). */
  title: z.string().overwrite(neutraliseBidi).trim().min(1).max(200).optional(),
  ...Output,
});
export type PdfRequest = z.input<typeof PdfRequest>;

export const PdfResult = z.strictObject({ ...FileResult.shape, pages: z.number().int().min(1) });
export type PdfResult = z.infer<typeof PdfResult>;

/**
 * Tabular exports. CSV holds one table ('runs': one row per run; 'epochs': one row per run × epoch,
 * long format with the run's lr/clip/seed beside each epoch, ready for pandas or R; 'cells': one row
 * per sweep cell with mean, std and 95% CI over seeds). JSON is the Sweeplab export bundle (runs with
 * their epochs, the sweeps, the data-set records and, for a sweep, its cells), which `imports.history`
 * reads back; `table` is ignored for JSON.
 */
export const ExportTable = z.enum(['runs', 'epochs', 'cells']);
export type ExportTable = z.infer<typeof ExportTable>;

export const DataExportRequest = z.strictObject({
  subject: ReportSubject,
  format: z.enum(['csv', 'json']),
  /** CSV only; default 'cells' for a sweep, 'runs' for runs. 'cells' needs a sweep. */
  table: ExportTable.optional(),
  ...Output,
});
export type DataExportRequest = z.input<typeof DataExportRequest>;

export const ModelExportRequest = z.strictObject({
  runId: Id,
  /**
   * 'tfjs': model.json + weights.bin in TF.js layers format (`tf.loadLayersModel`), from the run's
   * latest checkpoint. 'pytorch': model.safetensors (the state_dict of the spec's nn.Sequential, from
   * the latest checkpoint) and model.py, the nn.Sequential's code that loads it.
   */
  format: z.enum(['tfjs', 'pytorch']).default('tfjs'),
  /** A folder to write the files into (created if missing); omitted: the files come back as base64. */
  dir: AbsolutePath.optional(),
  /** Replace files of the same names already in `dir`. */
  overwrite: z.boolean().default(false),
});
export type ModelExportRequest = z.input<typeof ModelExportRequest>;

export const ModelExportResult = z.strictObject({
  /** The folder written to; null when the files come back as base64. */
  dir: z.string().nullable(),
  files: z.array(z.strictObject({ name: z.string(), mimeType: z.string(), bytes: z.number().int(), base64: z.string().nullable() })),
  /** The checkpoint's epoch the weights come from; null for code-only exports. */
  epoch: z.number().int().nullable(),
});
export type ModelExportResult = z.infer<typeof ModelExportResult>;

const Counted = z.strictObject({ imported: z.number().int(), skipped: z.number().int() });

export const ImportResult = z.strictObject({
  runs: z.strictObject({
    imported: z.number().int(),
    /** Already here: the same run id, or the same content (data set, model, config, every epoch) under another id. */
    duplicates: z.number().int(),
  }),
  epochs: z.number().int(),
  sweeps: Counted,
  datasets: z.strictObject({
    /** Matched to a data set already here by checksum (whatever its id or name). */
    matched: z.number().int(),
    /**
     * Unknown here: recorded as a placeholder row (source 'placeholder:…', same checksum and
     * metadata) so the runs keep their data-set name and shape. Their curves, reports and exports
     * work; training on it needs the real files, which a later import with the same checksum fills in.
     */
    placeholders: z.number().int(),
  }),
  /** One line per thing worth telling the user (a placeholder created, a run left out and why). */
  notes: z.array(z.string()),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const reportMethods = {
  /** The PDF report of a run, a comparison of runs or a sweep. */
  'reports.pdf': method(PdfRequest, PdfResult),
  /** Runs, epochs or sweep cells as CSV, or everything as the JSON export bundle. */
  'exports.data': method(DataExportRequest, FileResult),
  /** A trained model as TF.js layers files or as PyTorch code. */
  'exports.model': method(ModelExportRequest, ModelExportResult),
  /** Merges a JSON export bundle (from `exports.data`, here or on another machine) into this history. */
  'imports.history': method(z.strictObject({ path: AbsolutePath }), ImportResult),
} as const;

export const reportEvents = {} as const;
