/** A closed pipe (`sweeplab runs list | head -1`) ends the CLI quietly, as Unix tools do. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('exits 0 without a stack trace when its reader has gone', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sweeplab-epipe-'));
  try {
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'sweeplab.mjs'), '--data-dir', dataDir, 'runs', 'list'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader leaves before the CLI has written anything: its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
