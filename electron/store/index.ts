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
  const store = {
    readOnly: Boolean(options.readOnly),
    datasets: datasetsRepository(db),
    runs: runsRepository(db),
    sweeps: sweepsRepository(db),
    /** Runs `fn` in one database transaction (nested calls join the outer one) and returns its result. */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
    close(): void {
      if (db.open) db.close();
      if (snapshot) rmSync(snapshot, { recursive: true, force: true });
    },
  };
  databases.set(store, db);
  return store;
}

/**
 * The store's connection, for tests that inspect or seed tables directly (store/testing.ts).
 * The store does not hand it out: SQL lives in the repositories of this folder.
 */
const databases = new WeakMap<object, Db>();
/** @internal */
export function storeDatabase(store: Store): Db {
  return databases.get(store)!;
}
export type Store = ReturnType<typeof openStore>;
export { nowIso, newId } from './ids';
