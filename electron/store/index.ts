import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { isDiskFull } from '../../shared/errors';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db, type OpenOptions } from './db';
import { registerDatabase } from './handle';
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
  const reserve = file === ':memory:' || options.readOnly ? null : join(dataDir, RESERVE_FILE);
  if (reserve) keepReserve(reserve);
  const store = {
    readOnly: Boolean(options.readOnly),
    /**
     * Runs a write that must land even on a full disk (a run's or sweep's final 'failed' status
     * with "Disk full"): when it fails for lack of room, the data folder's reserve file is given
     * up (its space is SQLite's to use) and the write is tried once more. The reserve comes back
     * at the next start where there is room.
     */
    evenIfFull<T>(fn: () => T): T {
      try {
        return fn();
      } catch (error) {
        if (!reserve || !isDiskFull(error) || !existsSync(reserve)) throw error;
        rmSync(reserve, { force: true });
        return fn();
      }
    },
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
  registerDatabase(store, db);
  return store;
}

/**
 * A file of zeros kept in the data folder so that, once the disk is full, there is still room to
 * record why runs stopped (see evenIfFull). Hand-written: no library does this small thing.
 */
export const RESERVE_FILE = '.sweeplab-reserve';
const RESERVE_BYTES = 1 << 20;

function keepReserve(path: string): void {
  try {
    if (existsSync(path)) return;
    const fs = statfsSync(join(path, '..'));
    // Only where it costs little: never the last space of a nearly full disk.
    if (fs.bavail * fs.bsize < 8 * RESERVE_BYTES) return;
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, Buffer.alloc(RESERVE_BYTES));
    } finally {
      closeSync(fd);
    }
  } catch {
    rmSync(path, { force: true });
  }
}

export type Store = ReturnType<typeof openStore>;
export { nowIso, newId } from './ids';
