/**
 * Slurm as a launcher: an sbatch job array whose tasks each start `sweeplab worker --until-empty`
 * against the sweep's broker (as `wandb agent --count 1` is run on Slurm). Slurm only allocates;
 * the queue in the broker decides which task trains which trial. The broker URL is not written
 * into the script (it may hold a password): sbatch passes the submitting shell's environment, and
 * the script reads SWEEPLAB_BROKER from it.
 */
import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ApiError } from '../../shared/errors';

export interface SlurmOptions {
  sweepId: string;
  tasks: number;
  partition?: string;
  time?: string;
  gpusPerTask?: number;
  slotsPerTask?: number;
  /** node and bin/sweeplab.mjs as the cluster nodes see them (a shared install). */
  node: string;
  cli: string;
  /** Where each task's worker data folder and the logs go (default: $HOME/.sweeplab-worker). */
  workDir?: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function slurmScript(o: SlurmOptions): string {
  if (!Number.isInteger(o.tasks) || o.tasks < 1 || o.tasks > 10_000) throw new ApiError('invalid_argument', `--tasks must be a whole number from 1 to 10000, got ${o.tasks}`);
  if (o.time !== undefined && !/^(\d+-)?\d{1,3}:\d{2}:\d{2}$/.test(o.time)) throw new ApiError('invalid_argument', `--time must be HH:MM:SS (or D-HH:MM:SS), got ${o.time}`);
  if (o.partition !== undefined && !/^[\w.,-]+$/.test(o.partition)) throw new ApiError('invalid_argument', `--partition: "${o.partition}" is not a partition name`);
  if (o.gpusPerTask !== undefined && (!Number.isInteger(o.gpusPerTask) || o.gpusPerTask < 0)) throw new ApiError('invalid_argument', '--gpus-per-task must be a whole number');
  const slots = o.slotsPerTask ?? 1;
  const work = o.workDir ? quote(o.workDir) : '"${HOME}/.sweeplab-worker"';
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=sweeplab-${o.sweepId}`,
    `#SBATCH --array=1-${o.tasks}`,
    `#SBATCH --cpus-per-task=${slots}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.gpusPerTask ? [`#SBATCH --gpus-per-task=${o.gpusPerTask}`] : []),
    `#SBATCH --output=sweeplab-${o.sweepId}-%A_%a.out`,
    '# Each task is one Sweeplab worker: it takes trials of the queue until it is empty.',
    '# The broker URL comes from the environment sbatch was called in (never written here).',
    'set -euo pipefail',
    ': "${SWEEPLAB_BROKER:?export SWEEPLAB_BROKER=redis://… before sbatch}"',
    `WORK=${work}/task-"\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"`,
    'mkdir -p "$WORK"',
    [
      'exec',
      quote(o.node),
      quote(o.cli),
      '--data-dir "$WORK"',
      'worker --until-empty',
      `--slots ${slots}`,
      ...(o.gpusPerTask ? ['--backend tensorflow-gpu'] : []),
      '--name "slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}@$(hostname)"',
    ].join(' '),
    '',
  ];
  return lines.join('\n');
}

/**
 * Submits the script with sbatch (the broker passed in the environment); returns the job id.
 * `cwd`: where sbatch runs, so where the tasks start and write their .out files (the work dir).
 */
export function submitSlurm(script: string, broker: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): string {
  if (cwd) mkdirSync(cwd, { recursive: true });
  const result = spawnSync('sbatch', ['--parsable'], { input: script, encoding: 'utf8', env: { ...env, SWEEPLAB_BROKER: broker }, ...(cwd ? { cwd } : {}) });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new ApiError('unavailable', code === 'ENOENT' ? 'sbatch is not installed here: run this on a Slurm login node (or use --dry-run and submit the script yourself)' : `sbatch failed: ${result.error.message}`);
  }
  if (result.status !== 0) throw new ApiError('unavailable', `sbatch refused the job: ${(result.stderr || result.stdout).trim().split('\n').pop()}`);
  return result.stdout.trim().split(';')[0]!;
}
