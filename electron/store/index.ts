import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db, type OpenOptions } from './db';
import { datasetsRepository } from './datasets';
import { runsRepository } from './runs';
import { sweepsRepository } from './sweeps';

/** The store: one database, one writer (the main process), a repository per aggregate. */
export function openStore(dataDir: string, options: OpenOptions = {}) {
  let snapshot: string | null = null;
  let file = dataDir === ':memory:' ? ':memory:' : join(dataDir, 'sweeplab.db');
  if (options.readOnly) {
    // A snapshot of the database (and its -wal) in a temporary folder, opened read-only.
    snapshot = mkdtempSync(join(tmpdir(), 'sweeplab-readonly-'));
    for (const suffix of ['', '-wal']) if (existsSync(file + suffix)) copyFileSync(file + suffix, join(snapshot, `sweeplab.db${suffix}`));
    file = join(snapshot, 'sweeplab.db');
  }
  let db: Db;
  try {
    db = openDatabase(file, options);
  } catch (error) {
    if (snapshot) rmSync(snapshot, { recursive: true, force: true });
    throw error;
  }
  return {
    readOnly: Boolean(options.readOnly),
    db,
    datasets: datasetsRepository(db),
    runs: runsRepository(db),
    sweeps: sweepsRepository(db),
    close(): void {
      if (db.open) db.close();
      if (snapshot) rmSync(snapshot, { recursive: true, force: true });
    },
  };
}
export type Store = ReturnType<typeof openStore>;
export { nowIso, newId } from './ids';
