/**
 * The real Fashion-MNIST as Debian installs it (/usr/share/datasets/fashion-mnist, four IDX .gz
 * files re-packed by Debian: same payload as the published ones, other gzip wrappers). Skipped,
 * with a note, where the package is not installed. Also prints the import and load timings.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetLibrary } from '../../electron/datasets/library';
import { MemoryDatasetRecords } from '../../electron/datasets/records';
import { readStoredDataset } from '../../electron/datasets/storage';
import { tempDir } from './helpers';
import { FASHION_MNIST_DIR, measure, summary } from './measure';

const present = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
if (!present) console.warn(`Skipping the real Fashion-MNIST tests: ${FASHION_MNIST_DIR} is absent (apt install dataset-fashion-mnist)`);

describe.skipIf(!present)('real Fashion-MNIST', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir.remove());

  it('imports 60000 + 10000 images, 6000 and 1000 per class, with the known first labels', async () => {
    const lib = new DatasetLibrary({ dataDir: dir.path, records: new MemoryDatasetRecords() });
    const dataset = await lib.importPaths([FASHION_MNIST_DIR]);
    expect(dataset).toMatchObject({
      name: 'fashion-mnist',
      source: `idx:${FASHION_MNIST_DIR}`,
      shape: [28, 28, 1],
      numClasses: 10,
      counts: { train: 60000, test: 10000 },
      classCounts: { train: Array(10).fill(6000), test: Array(10).fill(1000) },
      heldOut: false,
      // Recognised as the catalog's Fashion-MNIST by its file names, shape and split sizes.
      classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    });
    const stored = await readStoredDataset(lib.dirFor(dataset.id));
    expect(Array.from(stored.train.labels.subarray(0, 5))).toEqual([9, 0, 0, 3, 0]);
    expect(Array.from(stored.test.labels.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
    expect(stored.train.images.length).toBe(60000 * 784);
    // The same files again: recognised by content, not stored twice.
    expect(await lib.importPathsDetailed([FASHION_MNIST_DIR])).toEqual({ dataset, reused: true });
  });

  it('imports in a few seconds and loads in well under a second', async () => {
    const t = await measure(FASHION_MNIST_DIR, 2);
    console.log(`Fashion-MNIST import (IDX .gz, 60k + 10k): ${summary(t.importMs)}; readStoredDataset: ${summary(t.loadMs)}`);
    // Generous bounds for a loaded CI machine; the figures printed above are what to compare.
    expect(Math.min(...t.importMs)).toBeLessThan(5000);
    expect(Math.min(...t.loadMs)).toBeLessThan(1000);
  });
});
