/**
 * Opens Sweeplab's SQLite database: WAL (readers never block the one writer, the main process),
 * foreign keys on, schema versioned by `PRAGMA user_version` (see migrations.ts).
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate, migrationCount } from './migrations';
import { ApiError } from '../../shared/errors';

export type Db = Database.Database;

export interface OpenOptions {
  /** Path of a better_sqlite3.node built for another ABI (Electron's, in development). */
  nativeBinding?: string;
  /**
   * The data folder cannot be written (a read-only mount, a colleague's shared folder): SQLite
   * cannot open a WAL database where it cannot make its -shm file, so a snapshot copy is opened
   * read-only instead and writes fail with SQLITE_READONLY (see openStore).
   */
  readOnly?: boolean;
}

/**
 * A database that SQLite cannot read, or that fails `PRAGMA quick_check`, is not repaired or
 * replaced silently: a copy is kept beside it (the file and its -wal) and the user gets one line
 * naming the file and what to do. Data-set folders survive a fresh database (they are registered
 * again from their meta.json at start).
 */
function damaged(file: string, problem: string): ApiError {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const backup = `${file}.damaged-${stamp}`;
  let kept = '';
  try {
    copyFileSync(file, backup);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${backup}-wal`);
    kept = ` A copy is kept at ${backup}.`;
  } catch {
    kept = '';
  }
  return new ApiError(
    'unavailable',
    `The database ${file} is damaged (${problem}).${kept} Move it away to start with a fresh history (imported data sets are kept), or restore it from a backup.`,
  );
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const nativeBinding = options.nativeBinding ?? process.env.SWEEPLAB_SQLITE_BINDING;
  let db: Db;
  try {
    db = new Database(file, { ...(nativeBinding ? { nativeBinding } : {}), ...(options.readOnly ? { readonly: true, fileMustExist: true } : {}) });
  } catch (error) {
    throw openError(file, error);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw Object.assign(new Error(String(check).split('\n')[0]), { code: 'SQLITE_CORRUPT' });
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') throw damaged(file, (error as Error).message);
    throw openError(file, error);
  }
  if (options.readOnly) {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== migrationCount()) {
      db.close();
      throw new ApiError('permission_denied', `The database ${file} needs an upgrade (schema ${version}) but its folder is read-only: open it once where it can be written`);
    }
    return db;
  }
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // NORMAL is durable across application crashes in WAL mode (only an OS crash can lose the
  // last transactions), and much faster for the stream of per-epoch inserts.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** SQLite's own errors name neither the file nor the cause: say both, in one line. */
function openError(file: string, error: unknown): ApiError {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'SQLITE_CANTOPEN') return new ApiError('unavailable', `Cannot open the database ${file}: its folder is missing or not readable`);
  if (code === 'SQLITE_READONLY') return new ApiError('permission_denied', `The database ${file} is read-only`);
  // SQLite reports a full disk while opening (it cannot create the -wal or -shm file) as a plain
  // "disk I/O error": say what it is when the folder's file system has no room left.
  if (code === 'SQLITE_FULL' || (code.startsWith('SQLITE_IOERR') && nearlyFull(dirname(file)))) {
    return new ApiError('unavailable', `Disk full: cannot open the database ${file} (free some space on its disk)`);
  }
  return new ApiError('unavailable', `Cannot open the database ${file}: ${(error as Error).message}`);
}

/** Whether the file system holding `dir` has less than 1 MiB free (too little for SQLite's -wal and -shm). */
function nearlyFull(dir: string): boolean {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < 1 << 20;
  } catch {
    return false;
  }
}
