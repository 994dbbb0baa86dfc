import type { Db } from './db';
import { Dataset } from '../../shared/domain';

interface Row {
  id: string;
  name: string;
  source: string;
  checksum: string;
  meta_json: string;
  created_at: string;
}

/** Data-set rows. The full metadata is one JSON column (validated on the way out). */
export function datasetsRepository(db: Db) {
  const toDataset = (row: Row): Dataset => Dataset.parse({ ...JSON.parse(row.meta_json), id: row.id, name: row.name });
  const byId = db.prepare<[string], Row>('SELECT * FROM datasets WHERE id = ?');
  const byChecksum = db.prepare<[string], Row>('SELECT * FROM datasets WHERE checksum = ?');
  const all = db.prepare<[], Row>('SELECT * FROM datasets ORDER BY created_at DESC, id');
  const insertRow = db.prepare(
    'INSERT INTO datasets (id, name, source, checksum, meta_json, created_at) VALUES (@id, @name, @source, @checksum, @meta_json, @created_at)',
  );
  const renameRow = db.prepare('UPDATE datasets SET name = ?, meta_json = json_set(meta_json, \'$.name\', ?) WHERE id = ?');
  const deleteRow = db.prepare('DELETE FROM datasets WHERE id = ?');
  const runCount = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM runs WHERE dataset_id = ?');
  const sweepCount = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM sweeps WHERE dataset_id = ?');
  const deleteRuns = db.prepare('DELETE FROM runs WHERE dataset_id = ?');
  const deleteSweeps = db.prepare('DELETE FROM sweeps WHERE dataset_id = ?');

  return {
    list(): Dataset[] {
      return all.all().map(toDataset);
    },
    get(id: string): Dataset | null {
      const row = byId.get(id);
      return row ? toDataset(row) : null;
    },
    findByChecksum(checksum: string): Dataset | null {
      const row = byChecksum.get(checksum);
      return row ? toDataset(row) : null;
    },
    insert(dataset: Dataset): void {
      const valid = Dataset.parse(dataset);
      insertRow.run({
        id: valid.id,
        name: valid.name,
        source: valid.source,
        checksum: valid.checksum,
        meta_json: JSON.stringify(valid),
        created_at: valid.createdAt,
      });
    },
    rename(id: string, name: string): void {
      renameRow.run(name, name, id);
    },
    usage(id: string): { runs: number; sweeps: number } {
      return { runs: runCount.get(id)!.n, sweeps: sweepCount.get(id)!.n };
    },
    /** Deletes the row; with `cascade`, the runs and sweeps that use it first (epochs follow by FK). */
    delete(id: string, cascade = false): void {
      db.transaction(() => {
        if (cascade) {
          deleteRuns.run(id);
          deleteSweeps.run(id);
        }
        deleteRow.run(id);
      })();
    },
  };
}
export type DatasetsRepository = ReturnType<typeof datasetsRepository>;
