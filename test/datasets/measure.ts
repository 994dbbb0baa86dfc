/**
 * Import and load timings on the real Fashion-MNIST (Debian's dataset-fashion-mnist):
 *
 *   npx tsx test/datasets/measure.ts [folder] [runs]
 *
 * Imports the four IDX .gz files (60k + 10k) into a fresh temp data folder `runs` times, then
 * loads the stored set with readStoredDataset, and prints the best and median of each.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetLibrary } from '../../electron/datasets/library';
import { MemoryDatasetRecords } from '../../electron/datasets/records';
import { readStoredDataset } from '../../electron/datasets/storage';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface Timings {
  importMs: number[];
  loadMs: number[];
}

export async function measure(folder = FASHION_MNIST_DIR, runs = 3): Promise<Timings> {
  const timings: Timings = { importMs: [], loadMs: [] };
  for (let run = 0; run < runs; run++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'sweeplab-measure-'));
    try {
      const lib = new DatasetLibrary({ dataDir, records: new MemoryDatasetRecords() });
      let t = performance.now();
      const dataset = await lib.importPaths([folder]);
      timings.importMs.push(performance.now() - t);
      t = performance.now();
      const stored = await readStoredDataset(lib.dirFor(dataset.id));
      timings.loadMs.push(performance.now() - t);
      if (stored.train.count !== 60000 || stored.test.count !== 10000) throw new Error(`unexpected counts ${stored.train.count}/${stored.test.count}`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return timings;
}

export function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `best ${sorted[0]!.toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const folder = process.argv[2] ?? FASHION_MNIST_DIR;
  if (!existsSync(folder)) {
    console.log(`${folder} not found (install Debian's dataset-fashion-mnist); nothing to measure`);
  } else {
    const t = await measure(folder, Number(process.argv[3] ?? 5));
    console.log(`import Fashion-MNIST IDX .gz (60k + 10k): ${summary(t.importMs)}`);
    console.log(`readStoredDataset (60k + 10k):           ${summary(t.loadMs)}`);
  }
}
