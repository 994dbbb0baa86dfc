/**
 * `sweeplab`: headless commands over the same service the desktop app and browser mode use.
 * Errors are one line on stderr and a non-zero exit; `--debug` adds the stack.
 */
import { Command, CommanderError, Option } from 'commander';
import { appVersion } from '../runtime';
import { CliContext } from './context';
import { ApiError } from '../../shared/errors';
import type { MethodName, Request, Response } from '../../shared/contract';
import { registerServe } from './serve';
import { registerRuns } from './runs';
import { registerTrain } from './train';
import { registerData } from './data';
import { registerSweep } from './sweep';
import { registerReport } from './report';
import { registerExport } from './export';
import { registerCluster } from './cluster';
import { registerBackends } from './backends';

export { CliContext, type GlobalOptions } from './context';

export function buildProgram(): { program: Command; ctx: CliContext } {
  const program = new Command('sweeplab');
  const ctx = new CliContext(program);
  program
    .description('Learning-rate and gradient-clipping sweeps for small image classifiers')
    .version(appVersion())
    .addOption(new Option('--data-dir <dir>', 'where the database, data sets and checkpoints live (default: SWEEPLAB_HOME or the app-data folder)'))
    .addOption(new Option('--broker <url>', 'train sweeps on cluster workers through this Redis broker: redis://[:password@]host:port[/db] or rediss://… (default: SWEEPLAB_BROKER)'))
    .addOption(new Option('--local-slots <n>', 'with --broker: trials this machine trains too (default: its cores less one)').argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new ApiError('invalid_argument', `--local-slots must be a whole number ≥ 0, got ${v}`);
      return n;
    }))
    .option('--json', 'machine-readable output: JSON, one object per line')
    .option('--debug', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError('(add --help for usage)');
  registerServe(program, ctx);
  registerRuns(program, ctx);
  registerTrain(program, ctx);
  registerData(program, ctx);
  registerSweep(program, ctx);
  registerReport(program, ctx);
  registerExport(program, ctx);
  registerCluster(program, ctx);
  registerBackends(program, ctx);
  return { program, ctx };
}

export async function main(argv: string[]): Promise<number> {
  const { program, ctx } = buildProgram();
  // A reader that stops early (`sweeplab runs list --json | head -1`) closes the pipe: end quietly,
  // as Unix tools do, instead of dying on an unhandled EPIPE with a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    void ctx.close().finally(() => process.exit(0));
  });
  try {
    await program.parseAsync(argv);
    // A command may set process.exitCode itself (a cancelled run exits 1 after its summary).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit with 0; usage errors were already printed by commander.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    }
    const apiError = ApiError.from(error);
    const line = apiError.message.split('\n')[0];
    process.stderr.write(`sweeplab: ${line}\n`);
    if (ctx.options.debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return apiError.code === 'invalid_argument' ? 2 : 1;
  } finally {
    await ctx.close();
  }
}
