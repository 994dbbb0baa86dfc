/** `sweeplab backends`: what each compute backend does on this machine, from a trainer process. */
import type { Command } from 'commander';
import type { CliContext } from './context';
import { formatTable } from './output';

export function registerBackends(program: Command, ctx: CliContext): void {
  program
    .command('backends')
    .description("the compute backends on this machine: each one's GPU adapter or library, or why it is unavailable, and what auto picks")
    .action(async () => {
      const { backends } = await ctx.call('app.backends', { refresh: true });
      const table = formatTable(
        ['backend', 'state', 'details'],
        backends.map((b) => [b.name, b.auto ? 'auto picks it' : b.available ? (b.software ? 'by name only' : 'available') : 'unavailable', b.detail]),
      );
      ctx.print(table, { backends });
    });
}
