/**
 * Cluster commands: `worker` (take trials from a broker), `workers` (who is there, who is lost),
 * `slurm` (an sbatch job array of workers for a sweep). The broker comes from --broker or
 * SWEEPLAB_BROKER and is only ever printed redacted.
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { CliContext } from './context';
import { formatTable } from './output';
import { ApiError } from '../../shared/errors';
import { BackendName } from '../../shared/domain';
import { appRoot } from '../paths';
import { parseBrokerUrl, redactBrokerUrl } from '../cluster/broker';
import { ClusterWorker } from '../cluster/worker';
import { listWorkers } from '../cluster/workers';
import { slurmScript, submitSlurm } from '../cluster/slurm';

const whole = (name: string, min = 1) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ApiError('invalid_argument', `${name} must be a whole number ≥ ${min}, got ${v}`);
  return n;
};

function needBroker(ctx: CliContext): string {
  const broker = ctx.broker;
  if (!broker) throw new ApiError('invalid_argument', 'give the broker: --broker redis://[:password@]host:port[/db] (or set SWEEPLAB_BROKER)');
  parseBrokerUrl(broker);
  return broker;
}

export function registerCluster(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('take trials from the broker and train them here (no database needed: starts from an empty data folder)')
    .option('--slots <n>', 'trials at once (default: one per core on CPU backends, one on a GPU)', whole('--slots'))
    .addOption(new Option('--backend <name>', 'train with this backend whatever the sweep asked').choices([...BackendName.options, 'auto']))
    .option('--name <name>', 'how this worker is listed (default: host-pid)')
    .option('--until-empty', 'stop when the queue has nothing left to take')
    .option('--max-trials <n>', 'stop after this many trials', whole('--max-trials'))
    .action(async (opts: { slots?: number; backend?: BackendName | 'auto'; name?: string; untilEmpty?: boolean; maxTrials?: number }) => {
      const broker = needBroker(ctx);
      const worker = new ClusterWorker({
        broker,
        dataDir: ctx.dataDir,
        slots: opts.slots,
        backend: opts.backend,
        name: opts.name,
        untilEmpty: opts.untilEmpty,
        maxTrials: opts.maxTrials,
      });
      await worker.start();
      const stop = (signal: string) => void worker.stop(`${signal}: running trials are left to the broker (they resume elsewhere from their checkpoints)`, false);
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      await worker.done;
    });

  program
    .command('workers')
    .description("the broker's workers: name, host, backend, slots, running trials, last heartbeat (lost when it stopped)")
    .action(async () => {
      const broker = needBroker(ctx);
      const workers = await listWorkers(broker);
      if (ctx.options.json) {
        process.stdout.write(`${JSON.stringify({ broker: redactBrokerUrl(broker), workers })}\n`);
        return;
      }
      if (!workers.length) {
        process.stdout.write(`No workers have reported to ${redactBrokerUrl(broker)}.\n`);
        return;
      }
      const rows = workers.map((w) => [
        w.name,
        w.host,
        w.backend,
        w.slots,
        w.running.length ? w.running.join(', ') : '—',
        w.trialsDone,
        `${w.secondsSinceHeartbeat}s ago`,
        w.lost ? 'LOST' : 'ok',
      ]);
      process.stdout.write(`${formatTable(['worker', 'host', 'backend', 'slots', 'running', 'done', 'heartbeat', 'state'], rows)}\n`);
    });

  program
    .command('slurm <sweepId>')
    .description("submit a Slurm job array whose tasks are workers of the sweep's broker (sbatch; --dry-run prints the script)")
    .requiredOption('--tasks <n>', 'array tasks, one worker each', whole('--tasks'))
    .option('--partition <name>', 'Slurm partition')
    .option('--time <HH:MM:SS>', 'time limit per task')
    .option('--gpus-per-task <n>', 'GPUs per task (the workers then train on tensorflow-gpu)', whole('--gpus-per-task', 0))
    .option('--slots <n>', 'trials per task (and CPUs asked per task)', whole('--slots'), 1)
    .option('--work-dir <dir>', "the tasks' data folders and logs on the nodes (default: $HOME/.sweeplab-worker)")
    .option('--dry-run', 'print the sbatch script, submit nothing')
    .action(async (sweepId: string, opts: { tasks: number; partition?: string; time?: string; gpusPerTask?: number; slots: number; workDir?: string; dryRun?: boolean }) => {
      const broker = needBroker(ctx);
      const sweep = await ctx.call('sweeps.get', { id: sweepId });
      const script = slurmScript({
        sweepId: sweep.id,
        tasks: opts.tasks,
        partition: opts.partition,
        time: opts.time,
        gpusPerTask: opts.gpusPerTask,
        slotsPerTask: opts.slots,
        node: process.execPath,
        cli: join(appRoot(), 'bin', 'sweeplab.mjs'),
        workDir: opts.workDir,
      });
      if (opts.dryRun) {
        process.stdout.write(ctx.options.json ? `${JSON.stringify({ sweepId: sweep.id, broker: redactBrokerUrl(broker), script })}\n` : script);
        return;
      }
      const jobId = submitSlurm(script, broker, process.env, opts.workDir);
      ctx.print(
        `Submitted Slurm job ${jobId}: ${opts.tasks} worker task${opts.tasks === 1 ? '' : 's'} for sweep ${sweep.name} on ${redactBrokerUrl(broker)}.\n` +
          `The sweep's trials must be queued by its coordinator: sweeplab sweep resume ${sweep.id} --broker … (or launched with --broker).`,
        { jobId, sweepId: sweep.id, tasks: opts.tasks, broker: redactBrokerUrl(broker) },
      );
    });
}
