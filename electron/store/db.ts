/**
 * Opens Sweeplab's SQLite database: WAL (readers never block the one writer, the main process),
 * foreign keys on, schema versioned by `PRAGMA user_version` (see migrations.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations';

export type Db = Database.Database;

export interface OpenOptions {
  /** Path of a better_sqlite3.node built for another ABI (Electron's, in development). */
  nativeBinding?: string;
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const nativeBinding = options.nativeBinding ?? process.env.SWEEPLAB_SQLITE_BINDING;
  const db = new Database(file, nativeBinding ? { nativeBinding } : {});
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // NORMAL is durable across application crashes in WAL mode (only an OS crash can lose the
  // last transactions), and much faster for the stream of per-epoch inserts.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
