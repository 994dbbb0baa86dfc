import type { Command } from 'commander';
import type { Run } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import type { CliContext } from './context';
import { formatTable, pct, shortDate } from './output';
import { hyper } from '../../shared/format';

export function registerRuns(program: Command, ctx: CliContext): void {
  const runs = program.command('runs').description('list and inspect training runs');

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--limit <n>', 'how many', (v) => Number(v), 50)
    .option('--status <status...>', 'only runs with these statuses')
    .option('--sweep <id>', 'only the runs of this sweep')
    .action(async (opts: { limit: number; status?: string[]; sweep?: string }) => {
      const page = await ctx.call('runs.list', {
        limit: opts.limit,
        status: opts.status as never,
        sweepId: opts.sweep,
      });
      if (ctx.options.json) {
        for (const run of page.items) process.stdout.write(`${JSON.stringify(run)}\n`);
        return;
      }
      if (!page.items.length) {
        process.stdout.write('No runs yet. Start one with `sweeplab train` or from the app.\n');
        return;
      }
      const table = formatTable(
        ['id', 'name', 'data set', 'model', 'status', 'epochs', 'best val', 'created'],
        page.items.map((r) => [r.id, r.name, r.datasetName, r.model.preset ?? 'custom', r.status, r.epochsDone, pct(r.bestValAcc), shortDate(r.createdAt)]),
      );
      process.stdout.write(`${table}\n${page.total > page.items.length ? `(${page.items.length} of ${page.total})\n` : ''}`);
    });

  runs
    .command('show <id>')
    .description('one run with its configuration and per-epoch metrics')
    .action(async (id: string) => {
      const run = await ctx.call('runs.get', { id });
      const epochs = await ctx.call('runs.epochs', { id });
      const steps = await ctx.call('runs.steps', { id });
      if (ctx.options.json) {
        // steps: the per-step curves, downsampled per epoch (shared/domain.ts EpochSteps).
        process.stdout.write(`${JSON.stringify({ ...run, epochs, steps })}\n`);
        return;
      }
      const c = run.config;
      const lines = [
        `${run.name}  (${run.id})`,
        `status     ${run.status}${run.error ? `: ${run.error}` : ''}`,
        `data set   ${run.datasetName ?? run.datasetId}`,
        `model      ${run.model.preset ?? 'custom'}, ${run.model.layers.length} layers, init ${run.model.init.kind}`,
        `optimizer  ${c.optimizer} lr ${hyper(c.lr)}, clip ${hyper(c.clipNorm)}, batch ${c.batchSize}, epochs ${c.epochs}, seed ${c.seed}`,
        `backend    ${run.backend ?? '—'}${run.device ? ` on ${run.device}` : ''}${run.compileSeconds ? ` (shader compilation ${run.compileSeconds.toFixed(1)} s, not in the epochs' seconds)` : ''}`,
        `best val   ${pct(run.bestValAcc)}${run.bestEpoch ? ` at epoch ${run.bestEpoch}` : ''}`,
        '',
      ];
      if (epochs.length) {
        lines.push(
          formatTable(
            ['epoch', 'loss', 'train acc', 'val acc', 'val loss', 'seconds', 'grad norm', 'clipped'],
            epochs.map((e) => [e.epoch, e.loss.toFixed(4), pct(e.trainAcc), pct(e.valAcc), e.valLoss.toFixed(4), e.seconds.toFixed(1), e.gradNormMean.toFixed(3), pct(e.clippedFraction)]),
          ),
        );
        const points = steps.reduce((n, e) => n + e.points.length, 0);
        if (points) lines.push('', `per-step curves: ${points} points over ${steps.length} epochs (loss, gradient norm, clipping; --json prints them as steps)`);
      } else lines.push('No epochs yet.');
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  runs
    .command('resume <id>')
    .description('continue a failed, cancelled or interrupted run from its last checkpoint, and wait for it')
    .action(async (id: string) => {
      const runtime = await ctx.open();
      const terminal = new Set(['completed', 'failed', 'diverged', 'cancelled', 'interrupted', 'pruned']);
      let off = () => {};
      const done = new Promise<Run>((resolve) => {
        off = runtime.events.on('run.updated', (run) => {
          if (run.id === id && terminal.has(run.status)) resolve(run);
        });
      });
      const onSigint = () => void ctx.call('runs.cancel', { id }).catch(() => {});
      process.on('SIGINT', onSigint);
      let run: Run;
      try {
        const started = await ctx.call('runs.resume', { id });
        run = terminal.has(started.status) ? started : await done;
      } finally {
        off();
        process.off('SIGINT', onSigint);
      }
      ctx.print(`Run ${run.id}: ${run.status} after ${run.epochsDone} epochs${run.error ? ` (${run.error})` : ''}`, run);
      if (run.status === 'failed') throw new ApiError('internal', `run ${run.id} failed: ${run.error ?? 'unknown reason'}`);
      if (run.status !== 'completed') process.exitCode = 1;
    });
}
