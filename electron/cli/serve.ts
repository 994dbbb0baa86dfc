import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliContext } from './context';
import { startServer } from '../server';
import { appRoot } from '../paths';
import { ApiError } from '../../shared/errors';

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('browser mode: serve the app and its API on 127.0.0.1 with a random token')
    .option('--port <n>', 'port (0 picks a free one)', (v) => Number(v), 4827)
    .option(
      '--allow-path <dir>',
      'a server folder the browser may name paths in (import from, export to); repeatable. Without it, files travel only as uploads and downloads',
      (v: string, all: string[]) => [...all, resolve(v)],
      [] as string[],
    )
    .action(async (opts: { port: number; allowPath: string[] }) => {
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
        throw new ApiError('invalid_argument', `--port must be an integer from 0 to 65535, got ${opts.port}`);
      }
      const staticDir = join(appRoot(), 'out', 'renderer');
      if (!existsSync(join(staticDir, 'index.html'))) {
        throw new ApiError('unavailable', 'The renderer is not built: run `npm run build` first');
      }
      ctx.useCluster();
      const runtime = await ctx.open('browser');
      const server = await startServer({ service: runtime.service, events: runtime.events, dataDir: runtime.dataDir, staticDir, port: opts.port, allowPaths: opts.allowPath });
      if (ctx.options.json) process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, dataDir: runtime.dataDir })}\n`);
      else process.stdout.write(`Sweeplab is serving ${runtime.dataDir}\nOpen ${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
