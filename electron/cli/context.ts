/** The context every CLI command gets (cli/index.ts builds it; the subcommands take it). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { createRuntime, type Runtime } from '../runtime';
import { defaultDataDir } from '../paths';
import { ApiError } from '../../shared/errors';
import type { MethodName, Request, Response } from '../../shared/contract';

export interface GlobalOptions {
  dataDir?: string;
  broker?: string;
  localSlots?: number;
  json?: boolean;
  debug?: boolean;
}

/** What every command gets: the parsed global options, a lazily opened runtime, typed calls. */
export class CliContext {
  private runtime: Runtime | null = null;
  private cluster = false;

  constructor(private readonly program: Command) {}

  get options(): GlobalOptions {
    return this.program.opts<GlobalOptions>();
  }

  get dataDir(): string {
    return this.options.dataDir ? resolve(this.options.dataDir) : defaultDataDir();
  }

  /** The broker from --broker or SWEEPLAB_BROKER; null: none. */
  get broker(): string | null {
    return this.options.broker || process.env.SWEEPLAB_BROKER || null;
  }

  /** Commands that train sweeps call this first: with a broker, their sweeps go to the cluster. */
  useCluster(): void {
    this.cluster = true;
  }

  async open(transport: 'browser' | 'electron' = 'browser'): Promise<Runtime> {
    const broker = this.cluster ? this.broker : null;
    this.runtime ??= await createRuntime({ dataDir: this.dataDir, transport, ...(broker ? { broker, localSlots: this.options.localSlots } : {}) });
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
