/**
 * `sweeplab export runs|sweep|model …` and `sweeplab import <file.json>`: the data exports and the
 * history import, through the same service methods as the app.
 */
import type { Command } from 'commander';
import { extname, resolve } from 'node:path';
import type { CliContext } from './context';
import { resolveSubject, withForceHint } from './report';
import { ExportTable, type ReportSubject } from '../../shared/contract';
import { ApiError } from '../../shared/errors';

type Format = 'csv' | 'json';

/** --format, else the output's extension (.csv / .json). */
function formatOf(option: string | undefined, output: string): Format {
  const value = option ?? extname(output).slice(1).toLowerCase();
  if (value === 'csv' || value === 'json') return value;
  throw new ApiError('invalid_argument', option ? `--format must be csv or json, got ${option}` : 'give --format csv|json (or an output file ending in .csv or .json)');
}

function tableOf(option: string | undefined): ExportTable | undefined {
  if (option === undefined) return undefined;
  const parsed = ExportTable.safeParse(option);
  if (!parsed.success) throw new ApiError('invalid_argument', `--table must be one of ${ExportTable.options.join(', ')}, got ${option}`);
  return parsed.data;
}

interface DataOptions {
  output: string;
  format?: string;
  table?: string;
  force?: boolean;
}

async function exportData(ctx: CliContext, subject: ReportSubject, opts: DataOptions): Promise<void> {
  const format = formatOf(opts.format, opts.output);
  const result = await withForceHint(() =>
    ctx.call('exports.data', {
      subject,
      format,
      table: format === 'csv' ? tableOf(opts.table) : undefined,
      path: resolve(opts.output),
      overwrite: opts.force ?? false,
    }),
  );
  ctx.print(`Wrote ${result.path} (${result.bytes.toLocaleString('en-US')} bytes)`, result);
}

export function registerExport(program: Command, ctx: CliContext): void {
  const exp = program.command('export').description('export runs, a sweep or a trained model');
  const dataCommand = (name: string, description: string) =>
    exp
      .command(name)
      .description(description)
      .requiredOption('-o, --output <file>', 'the file to write')
      .option('--format <format>', 'csv or json (default: from the file extension)')
      .option('--table <table>', `CSV only: ${ExportTable.options.join(', ')} (default: runs for runs, cells for a sweep)`)
      .option('-f, --force', 'overwrite the output file if it exists');

  dataCommand('runs <ids...>', 'runs as CSV (one table) or as a JSON export that `sweeplab import` reads').action(
    async (ids: string[], opts: DataOptions) => exportData(ctx, { runIds: ids }, opts),
  );
  dataCommand('sweep <id>', 'a sweep: its cells (mean, std, 95% CI over seeds), runs or epochs as CSV, or everything as JSON').action(
    async (id: string, opts: DataOptions) => {
      const subject = await resolveSubject(ctx, [id]);
      if (!('sweepId' in subject)) throw new ApiError('not_found', `No sweep with id ${id}`);
      await exportData(ctx, subject, opts);
    },
  );

  exp
    .command('model <runId>')
    .description('a trained model: TF.js layers files (model.json + weights.bin) or PyTorch (model.py that loads model.safetensors)')
    .requiredOption('-o, --output <dir>', 'the folder to write into (created if missing)')
    .option('--format <format>', 'tfjs or pytorch', 'tfjs')
    .option('-f, --force', 'overwrite files of the same names in the folder')
    .action(async (runId: string, opts: { output: string; format: string; force?: boolean }) => {
      if (opts.format !== 'tfjs' && opts.format !== 'pytorch') throw new ApiError('invalid_argument', `--format must be tfjs or pytorch, got ${opts.format}`);
      const format = opts.format;
      const result = await withForceHint(() => ctx.call('exports.model', { runId, format, dir: resolve(opts.output), overwrite: opts.force ?? false }));
      const files = result.files.map((f) => `${f.name} (${f.bytes.toLocaleString('en-US')} bytes)`).join(', ');
      ctx.print(`Wrote ${files} to ${result.dir}${result.epoch !== null ? ` (weights after epoch ${result.epoch})` : ''}`, result);
    });

  program
    .command('import <file>')
    .description('merge a JSON export (from `sweeplab export … --format json`, here or on another machine) into this history')
    .action(async (file: string) => {
      const result = await ctx.call('imports.history', { path: resolve(file) });
      const lines = [
        `Imported ${result.runs.imported} run${result.runs.imported === 1 ? '' : 's'} (${result.epochs} epochs) and ${result.sweeps.imported} sweep${result.sweeps.imported === 1 ? '' : 's'}.`,
        ...(result.runs.duplicates || result.sweeps.skipped ? [`Skipped as already here: ${result.runs.duplicates} runs, ${result.sweeps.skipped} sweeps.`] : []),
        ...(result.datasets.matched || result.datasets.placeholders
          ? [`Data sets: ${result.datasets.matched} matched by checksum, ${result.datasets.placeholders} recorded as placeholders.`]
          : []),
        ...result.notes.filter((n) => !n.endsWith('already here and skipped.')),
      ];
      ctx.print(lines.join('\n'), result);
    });
}
