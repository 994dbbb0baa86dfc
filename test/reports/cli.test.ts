/**
 * The CLI commands of issue 7 in-process (main(argv)), over a history made through the store:
 * `report`, `export runs|sweep`, and `import` into a second data folder.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../electron/cli';
import { openStore } from '../../electron/store';
import { tempDir } from '../support/fixtures';
import { makeHistory, type History } from './fixtures';

/** Runs the CLI, capturing stdout and stderr. Ids go after `--`: a generated id may start with '-'. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    const code = await main(['node', 'sweeplab', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('sweeplab report / export / import', () => {
  let h: History;
  let other: ReturnType<typeof tempDir>;
  beforeAll(() => {
    h = makeHistory();
    // The CLI opens the database itself; the fixture's handle must not hold it.
    h.store.close();
    other = tempDir();
  });
  afterAll(() => {
    h.close();
    other.remove();
  });

  it('writes a sweep report, and refuses to overwrite it without --force', async () => {
    const file = join(h.dataDir, 'sweep.pdf');
    const first = await cli(['--data-dir', h.dataDir, 'report', '-o', file, '--', h.sweepId]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^Wrote .*sweep\.pdf \(\d+ pages, [\d.]+ KiB\)\n$/);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    const again = await cli(['--data-dir', h.dataDir, 'report', '-o', file, '--', h.sweepId]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already exists: pass --force to overwrite');
    const mixed = await cli(['--data-dir', h.dataDir, 'report', '-o', join(h.dataDir, 'x.pdf'), '--', h.sweepId, h.runs[0]!.id]);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('a sweep report takes the sweep id alone');
  });

  it('exports a sweep as CSV and runs as JSON, and imports the JSON elsewhere', async () => {
    const csv = join(h.dataDir, 'cells.csv');
    const exported = await cli(['--data-dir', h.dataDir, 'export', 'sweep', '-o', csv, '--', h.sweepId]);
    expect(exported.code).toBe(0);
    expect(readFileSync(csv, 'utf8').split('\r\n')[0]).toMatch(/^cell_id,label,lr,clip_norm,/);

    const json = join(h.dataDir, 'runs.json');
    const runs = await cli(['--data-dir', h.dataDir, '--json', 'export', 'runs', '-o', json, '--', ...h.runs.map((r) => r.id)]);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.out)).toMatchObject({ path: json, mimeType: 'application/json' });

    const imported = await cli(['--data-dir', other.path, 'import', json]);
    expect(imported.code).toBe(0);
    expect(imported.out).toContain('Imported 3 runs (34 epochs) and 0 sweeps.');
    expect(imported.out).toContain('1 recorded as placeholders');
    const twice = await cli(['--data-dir', other.path, '--json', 'import', json]);
    expect(JSON.parse(twice.out).runs).toEqual({ imported: 0, duplicates: 3 });

    const store = openStore(other.path);
    try {
      expect(store.runs.list().items.map((r) => r.id).sort()).toEqual(h.runs.map((r) => r.id).sort());
    } finally {
      store.close();
    }
    const bad = await cli(['--data-dir', other.path, 'export', 'runs', '-o', join(h.dataDir, 'r.txt'), '--', h.runs[0]!.id]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format csv|json');
    expect(existsSync(join(h.dataDir, 'r.txt'))).toBe(false);
  });
});
