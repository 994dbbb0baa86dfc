import { join } from 'node:path';
import { openDatabase, type Db, type OpenOptions } from './db';
import { datasetsRepository } from './datasets';
import { runsRepository } from './runs';
import { sweepsRepository } from './sweeps';

/** The store: one database, one writer (the main process), a repository per aggregate. */
export function openStore(dataDir: string, options: OpenOptions = {}) {
  const db: Db = openDatabase(dataDir === ':memory:' ? ':memory:' : join(dataDir, 'sweeplab.db'), options);
  return {
    db,
    datasets: datasetsRepository(db),
    runs: runsRepository(db),
    sweeps: sweepsRepository(db),
    close(): void {
      if (db.open) db.close();
    },
  };
}
export type Store = ReturnType<typeof openStore>;
export { nowIso, newId } from './ids';
