/**
 * `sweeplab report <runId|sweepId> [<runId>…] -o file.pdf`: the same PDF as the app's Export
 * report, written by the same service method.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { CliContext } from './context';
import type { ReportSubject } from '../../shared/contract';
import { ApiError } from '../../shared/errors';
import { deliver } from '../files';

/** One id may be a sweep or a run; several ids are runs to compare. */
export async function resolveSubject(ctx: CliContext, ids: string[]): Promise<ReportSubject> {
  const runtime = await ctx.open();
  const sweeps = ids.filter((id) => runtime.store.sweeps.get(id) !== null);
  if (sweeps.length) {
    if (ids.length > 1) throw new ApiError('invalid_argument', `${sweeps[0]} is a sweep: a sweep report takes the sweep id alone`);
    return { sweepId: sweeps[0]! };
  }
  return { runIds: ids };
}

/** The service says "overwrite"; on the command line that is --force. */
export async function withForceHint<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const e = ApiError.from(error);
    if (e.code === 'conflict') throw new ApiError('conflict', `${e.message.replace(/ \(choose another .*\)$/, '')}: pass --force to overwrite`, e.details);
    throw error;
  }
}

function kib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report <ids...>')
    .description('PDF report of a run, a comparison of runs, or a sweep')
    .option('-o, --output <file>', 'the PDF to write (default: a name from the title, in the current folder)')
    .option('--title <title>', 'the report title (default: from the run or sweep name)')
    .option('-f, --force', 'overwrite the output file if it exists')
    .action(async (ids: string[], opts: { output?: string; title?: string; force?: boolean }) => {
      const subject = await resolveSubject(ctx, ids);
      const overwrite = opts.force ?? false;
      const result = await withForceHint(async () => {
        if (opts.output) return ctx.call('reports.pdf', { subject, title: opts.title, path: resolve(opts.output), overwrite });
        // No -o: take the bytes and the suggested name, and write them here as -o would have.
        const bytes = await ctx.call('reports.pdf', { subject, title: opts.title });
        const written = deliver(Buffer.from(bytes.base64!, 'base64'), bytes, { path: resolve(bytes.fileName), overwrite });
        return { ...written, pages: bytes.pages };
      });
      ctx.print(`Wrote ${result.path} (${result.pages} page${result.pages === 1 ? '' : 's'}, ${kib(result.bytes)})`, result);
    });
}
