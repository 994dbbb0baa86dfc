import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { CliContext } from './context';
import { numberOption } from './resolve';
import { formatTable, shortDate } from './output';
import { CatalogId } from '../../shared/contract';
import type { Dataset } from '../../shared/domain';
import { ApiError } from '../../shared/errors';

function summary(d: Dataset): string {
  const [h, w, c] = d.shape;
  return [
    `${d.name}  (${d.id})`,
    `source   ${d.source}`,
    `shape    ${h}×${w}×${c}, ${d.numClasses} classes`,
    `train    ${d.counts.train}`,
    `test     ${d.counts.test}${d.heldOut ? ' (seeded hold-out from the training files)' : ''}`,
    `checksum ${d.checksum}`,
  ].join('\n');
}

function classTable(d: Dataset): string {
  return formatTable(
    ['class', 'name', 'train', 'test'],
    d.classNames.map((name, i) => [i, name, d.classCounts.train[i] ?? 0, d.classCounts.test[i] ?? 0]),
  );
}

export function registerData(program: Command, ctx: CliContext): void {
  const data = program.command('data').description('import, download, list and remove data sets');

  /** Progress on stderr for people; nothing extra with --json. */
  const progress = async () => {
    const runtime = await ctx.open();
    if (ctx.options.json || !process.stderr.isTTY) return () => {};
    return runtime.events.on('dataset.progress', (p) => {
      const total = p.total ? ` ${Math.round((100 * p.done) / p.total)}%` : '';
      process.stderr.write(`\r\x1b[2K${p.phase} ${p.label}${total}`);
      if (p.phase === 'done' || p.phase === 'failed') process.stderr.write('\n');
    });
  };

  data
    .command('import <paths...>')
    .description('import IDX(.gz), CSV, NPZ/NPY files or image folders (one data set)')
    .option('--name <name>', 'name of the data set')
    .option('--hold-out <n>', 'test-split size when the files have none (default 1/6)', numberOption('--hold-out', true))
    .option('--image-size <n>', 'image folders: resize to N×N (default 28)', numberOption('--image-size', true))
    .action(async (paths: string[], opts: { name?: string; holdOut?: number; imageSize?: number }) => {
      const off = await progress();
      try {
        const dataset = await ctx.call('datasets.import', {
          paths: paths.map((p) => resolve(p)),
          name: opts.name,
          holdOut: opts.holdOut,
          imageSize: opts.imageSize,
        });
        ctx.print(summary(dataset), dataset);
      } finally {
        off();
      }
    });

  data
    .command('download <name>')
    .description(`download a catalog data set: ${CatalogId.options.join(', ')}`)
    .option('--name <name>', 'name of the data set')
    .action(async (name: string, opts: { name?: string }) => {
      const id = CatalogId.safeParse(name);
      if (!id.success) throw new ApiError('invalid_argument', `unknown catalog data set "${name}": choose ${CatalogId.options.join(', ')}`);
      const off = await progress();
      try {
        const dataset = await ctx.call('datasets.download', { catalogId: id.data, name: opts.name });
        ctx.print(summary(dataset), dataset);
      } finally {
        off();
      }
    });

  data
    .command('list')
    .description('list data sets')
    .action(async () => {
      const list = await ctx.call('datasets.list', {});
      if (ctx.options.json) {
        for (const d of list) process.stdout.write(`${JSON.stringify(d)}\n`);
        return;
      }
      if (!list.length) {
        process.stdout.write('No data sets yet. `sweeplab data import <files>` or `sweeplab data download kmnist`.\n');
        return;
      }
      process.stdout.write(
        `${formatTable(
          ['id', 'name', 'shape', 'classes', 'train', 'test', 'created'],
          list.map((d) => [d.id, d.name, d.shape.join('×'), d.numClasses, d.counts.train, d.counts.test, shortDate(d.createdAt)]),
        )}\n`,
      );
    });

  data
    .command('show <id>')
    .description('a data set with its per-class counts')
    .action(async (id: string) => {
      const { dataset } = await ctx.call('datasets.get', { id, samplesPerClass: 0 });
      ctx.print(`${summary(dataset)}\n\n${classTable(dataset)}`, dataset);
    });

  data
    .command('rm <id>')
    .description('delete a data set (refused while runs or sweeps use it, unless --cascade)')
    .option('--cascade', 'also delete the runs and sweeps that use it')
    .action(async (id: string, opts: { cascade?: boolean }) => {
      try {
        await ctx.call('datasets.delete', { id, cascade: Boolean(opts.cascade) });
      } catch (error) {
        // The service words it for every client; here the way to do it is a flag.
        if (error instanceof ApiError && error.code === 'conflict' && !opts.cascade) {
          throw new ApiError('conflict', `${error.message} (add --cascade)`, error.details);
        }
        throw error;
      }
      ctx.print(`Deleted data set ${id}`, { id, deleted: true });
    });

  data
    .command('rename <id> <name>')
    .description('rename a data set')
    .action(async (id: string, name: string) => {
      const dataset = await ctx.call('datasets.rename', { id, name });
      ctx.print(`Renamed ${id} to ${dataset.name}`, dataset);
    });
}
