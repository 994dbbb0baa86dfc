/**
 * `sweeplab`: headless commands over the same service the desktop app and browser mode use.
 * Errors are one line on stderr and a non-zero exit; `--debug` adds the stack.
 */
import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { createRuntime, appVersion, type Runtime } from '../runtime';
import { defaultDataDir } from '../paths';
import { ApiError } from '../../shared/errors';
import type { MethodName, Request, Response } from '../../shared/contract';
import { registerServe } from './serve';
import { registerRuns } from './runs';
import { registerTrain } from './train';
import { registerData } from './data';
import { registerSweep } from './sweep';
import { registerReport } from './report';
import { registerExport } from './export';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
  debug?: boolean;
}

/** What every command gets: the parsed global options, a lazily opened runtime, typed calls. */
export class CliContext {
  private runtime: Runtime | null = null;

  constructor(private readonly program: Command) {}

  get options(): GlobalOptions {
    return this.program.opts<GlobalOptions>();
  }

  get dataDir(): string {
    return this.options.dataDir ? resolve(this.options.dataDir) : defaultDataDir();
  }

  async open(transport: 'browser' | 'electron' = 'browser'): Promise<Runtime> {
    this.runtime ??= await createRuntime({ dataDir: this.dataDir, transport });
    return this.runtime;
  }

  /** Calls a contract method through the service (validation included) and unwraps the result. */
  async call<M extends MethodName>(method: M, request: Request<M>): Promise<Response<M>> {
    const runtime = await this.open();
    const result = await runtime.service.dispatch(method, request);
    if (!result.ok) throw ApiError.from(result.error);
    return result.value as Response<M>;
  }

  print(human: string, json: unknown): void {
    process.stdout.write(this.options.json ? `${JSON.stringify(json)}\n` : `${human}\n`);
  }

  async close(): Promise<void> {
    await this.runtime?.close();
    this.runtime = null;
  }
}

export function buildProgram(): { program: Command; ctx: CliContext } {
  const program = new Command('sweeplab');
  const ctx = new CliContext(program);
  program
    .description('Learning-rate and gradient-clipping sweeps for small image classifiers')
    .version(appVersion())
    .addOption(new Option('--data-dir <dir>', 'where the database, data sets and checkpoints live (default: SWEEPLAB_HOME or the app-data folder)'))
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
