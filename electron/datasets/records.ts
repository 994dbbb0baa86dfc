/**
 * The rows the library keeps about data sets. The app implements this over SQLite
 * (electron/store/datasets.ts matches it); tests and tools use MemoryDatasetRecords. The library
 * treats a row as the commit point of an import: files without a row are leftovers that
 * DatasetLibrary.recover() removes.
 */
import type { Dataset } from '../../shared/domain';

export interface DatasetUsage {
  runs: number;
  sweeps: number;
}

export interface DatasetRecords {
  list(): Dataset[];
  get(id: string): Dataset | null;
  findByChecksum(checksum: string): Dataset | null;
  /** Must refuse a second row with the same checksum (SQLite: UNIQUE). */
  insert(dataset: Dataset): void;
  rename(id: string, name: string): void;
  /** How many runs and sweeps refer to the data set. */
  usage(id: string): DatasetUsage;
  /** Deletes the row; with `cascade`, the runs and sweeps that use it too. */
  delete(id: string, cascade: boolean): void;
}

/** In-memory records, for tests and for tools that need no database. */
export class MemoryDatasetRecords implements DatasetRecords {
  private readonly rows = new Map<string, Dataset>();
  private readonly usages = new Map<string, DatasetUsage>();

  list(): Dataset[] {
    return [...this.rows.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? -1 : 1));
  }
  get(id: string): Dataset | null {
    return this.rows.get(id) ?? null;
  }
  findByChecksum(checksum: string): Dataset | null {
    for (const row of this.rows.values()) if (row.checksum === checksum) return row;
    return null;
  }
  insert(dataset: Dataset): void {
    if (this.rows.has(dataset.id)) throw new Error(`duplicate id ${dataset.id}`);
    if (this.findByChecksum(dataset.checksum)) throw new Error(`duplicate checksum ${dataset.checksum}`);
    this.rows.set(dataset.id, structuredClone(dataset));
  }
  rename(id: string, name: string): void {
    const row = this.rows.get(id);
    if (row) this.rows.set(id, { ...row, name });
  }
  usage(id: string): DatasetUsage {
    return this.usages.get(id) ?? { runs: 0, sweeps: 0 };
  }
  delete(id: string, cascade: boolean): void {
    const usage = this.usage(id);
    if (!cascade && (usage.runs || usage.sweeps)) throw new Error(`data set ${id} is in use`);
    this.rows.delete(id);
    this.usages.delete(id);
  }
  /** Test helper: pretend runs and sweeps use a data set. */
  setUsage(id: string, usage: DatasetUsage): void {
    this.usages.set(id, usage);
  }
}
