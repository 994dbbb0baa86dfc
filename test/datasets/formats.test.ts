/** Each input format, end to end through DatasetLibrary.importPaths and back via readStoredDataset. */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetLibrary } from '../../electron/datasets/library';
import { MemoryDatasetRecords } from '../../electron/datasets/records';
import { readStoredDataset } from '../../electron/datasets/storage';
import { readIdx } from '../../electron/datasets/idx';
import { csvText, idxBytes, makeImages, makeLabels, npyBytes, tempDir, write, writeIdxPair, zipBytes, writeImageFolder } from './helpers';

let dir: ReturnType<typeof tempDir>;
let lib: DatasetLibrary;
let records: MemoryDatasetRecords;

beforeEach(() => {
  dir = tempDir();
  records = new MemoryDatasetRecords();
  lib = new DatasetLibrary({ dataDir: join(dir.path, 'data'), records });
});
afterEach(() => dir.remove());

const src = (...parts: string[]) => join(dir.path, 'src', ...parts);

describe('IDX', () => {
  it('readIdx reads plain and gzip files', async () => {
    const labels = makeLabels(50);
    const images = makeImages(labels);
    write(src('a.idx'), idxBytes([50, 28, 28], images));
    write(src('a.idx.gz'), gzipSync(idxBytes([50, 28, 28], images)));
    for (const file of ['a.idx', 'a.idx.gz']) {
      const array = await readIdx(src(file));
      expect(array.dims).toEqual([50, 28, 28]);
      expect(Buffer.from(array.data).equals(Buffer.from(images))).toBe(true);
    }
  });

  it('imports a folder of MNIST-named .gz files with train and test splits, pairing each images file with its labels', async () => {
    const train = writeIdxPair(src(), { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' }, makeLabels(120), { gzip: true });
    const testLabels = makeLabels(30, 10).map((v) => 9 - v);
    const test = writeIdxPair(src(), { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' }, testLabels, { gzip: true });
    const dataset = await lib.importPaths([src()]);
    expect(dataset).toMatchObject({ shape: [28, 28, 1], numClasses: 10, counts: { train: 120, test: 30 }, heldOut: false, name: 'src' });
    expect(dataset.source).toBe(`idx:${src()}`);
    expect(dataset.classCounts.train).toEqual(Array(10).fill(12));
    const stored = await readStoredDataset(lib.dirFor(dataset.id));
    expect(Buffer.from(stored.train.images).equals(Buffer.from(train.data))).toBe(true);
    expect(Buffer.from(stored.test.images).equals(Buffer.from(test.data))).toBe(true);
    expect(Array.from(stored.test.labels.subarray(0, 3))).toEqual([9, 8, 7]);
  });

  it('pairs EMNIST-style and plain uncompressed names given as separate files', async () => {
    const a = writeIdxPair(src(), { images: 'emnist-letters-train-images-idx3-ubyte', labels: 'emnist-letters-train-labels-idx1-ubyte' }, makeLabels(60, 27));
    const b = writeIdxPair(src(), { images: 'emnist-letters-test-images-idx3-ubyte', labels: 'emnist-letters-test-labels-idx1-ubyte' }, makeLabels(27, 27));
    const dataset = await lib.importPaths([b.labels, a.images, b.images, a.labels]);
    expect(dataset).toMatchObject({ numClasses: 27, counts: { train: 60, test: 27 }, name: 'emnist-letters' });
  });

  it('imports a single pair without a test split and holds out a stratified, seeded 1/6', async () => {
    writeIdxPair(src(), { images: 'digits-images.idx', labels: 'digits-labels.idx' }, makeLabels(600));
    const dataset = await lib.importPaths([src('digits-images.idx'), src('digits-labels.idx')]);
    expect(dataset).toMatchObject({ heldOut: true, counts: { train: 500, test: 100 }, name: 'digits' });
    expect(dataset.classCounts.test).toEqual(Array(10).fill(10));
    const stored = await readStoredDataset(lib.dirFor(dataset.id));
    // Every sample kept its own label, and each side keeps the files' order.
    for (const split of [stored.train, stored.test]) {
      let previous = -1;
      for (let s = 0; s < split.count; s++) {
        const img = split.images.subarray(s * 784, (s + 1) * 784);
        expect(img[0]).toBe(split.labels[s]);
        const index = img[1]! | (img[2]! << 8);
        expect(index).toBeGreaterThan(previous);
        previous = index;
      }
    }
  });
});

describe('CSV', () => {
  it('reads mnist_train.csv-style files (no header, label first) and Kaggle-style files with a header', async () => {
    const trainLabels = makeLabels(40);
    const testLabels = makeLabels(20);
    const trainImages = makeImages(trainLabels, 8, 8);
    const testImages = makeImages(testLabels, 8, 8);
    write(src('mnist_train.csv'), csvText(trainLabels, trainImages));
    write(src('mnist_test.csv'), csvText(testLabels, testImages, { header: true }).replace(/\n/g, '\r\n'));
    const dataset = await lib.importPaths([src('mnist_train.csv'), src('mnist_test.csv')]);
    expect(dataset).toMatchObject({ shape: [8, 8, 1], counts: { train: 40, test: 20 }, heldOut: false, name: 'mnist' });
    expect(dataset.source).toBe(`csv:${src()}`);
    const stored = await readStoredDataset(lib.dirFor(dataset.id));
    expect(Buffer.from(stored.train.images).equals(Buffer.from(trainImages))).toBe(true);
    expect(Buffer.from(stored.test.images).equals(Buffer.from(testImages))).toBe(true);
    expect(Buffer.from(stored.test.labels).equals(Buffer.from(testLabels))).toBe(true);
  });

  it('finds a label column named in the header wherever it is, and reads gzip CSV', async () => {
    const labels = makeLabels(30, 3);
    const images = makeImages(labels, 4, 4);
    write(src('shapes.csv.gz'), gzipSync(csvText(labels, images, { header: true, labelLast: true })));
    const dataset = await lib.importPaths([src('shapes.csv.gz')], { holdOut: 6 });
    expect(dataset).toMatchObject({ shape: [4, 4, 1], numClasses: 3, counts: { train: 24, test: 6 }, heldOut: true });
    const stored = await readStoredDataset(lib.dirFor(dataset.id));
    for (let s = 0; s < stored.train.count; s++) expect(stored.train.images[s * 16]).toBe(stored.train.labels[s]);
  });
});

describe('image folders', () => {
  it('reads class folders of PNG and JPEG, mixed sizes and colour modes, resized to the chosen size', async () => {
    await writeImageFolder(src('pets'), ['cat', 'dog'], 6, { size: 20 });
    await writeImageFolder(src('pets'), ['bird'], 6, { size: 40, jpeg: true, rgb: true });
    const dataset = await lib.importPaths([src('pets')], { imageSize: 16, holdOut: 3 });
    expect(dataset).toMatchObject({
      name: 'pets',
      shape: [16, 16, 1],
      numClasses: 3,
      classNames: ['bird', 'cat', 'dog'],
      counts: { train: 15, test: 3 },
      heldOut: true,
    });
    expect(dataset.source).toBe(`folder:${src('pets')}`);
    expect(dataset.classCounts.test).toEqual([1, 1, 1]);
    const stored = await readStoredDataset(lib.dirFor(dataset.id));
    // Flat grey images of level (k*20 + i), i < 6, k the index in each writeImageFolder call:
    // bird (label 0) and cat (label 1) near 0, dog (label 2) near 20. Resizing keeps a flat level.
    for (let s = 0; s < stored.train.count; s++) {
      const label = stored.train.labels[s]!;
      const expectedBase = label === 2 ? 20 : 0;
      expect(Math.abs(stored.train.images[s * 256 + 100]! - expectedBase)).toBeLessThanOrEqual(8);
    }
  });

  it('uses top-level train/ and test/ folders as the splits, default size 28', async () => {
    await writeImageFolder(src('root', 'train'), ['a', 'b'], 4);
    await writeImageFolder(src('root', 'test'), ['a', 'b'], 2);
    write(src('root', 'README.txt'), 'not data');
    write(src('root', 'train', 'a', '.DS_Store'), 'junk');
    const dataset = await lib.importPaths([src('root')]);
    expect(dataset).toMatchObject({ shape: [28, 28, 1], classNames: ['a', 'b'], counts: { train: 8, test: 4 }, heldOut: false });
  });
});

describe('NumPy', () => {
  it('reads KMNIST-style .npz files (savez_compressed, arr_0, int64 labels)', async () => {
    const trainLabels = makeLabels(48);
    const testLabels = makeLabels(12);
    const trainImages = makeImages(trainLabels);
    const testImages = makeImages(testLabels);
    const npz = (data: Buffer) => zipBytes([{ name: 'arr_0.npy', data, compress: true }]);
    write(src('kmnist-train-imgs.npz'), npz(npyBytes('|u1', [48, 28, 28], trainImages)));
    write(src('kmnist-train-labels.npz'), npz(npyBytes('<i8', [48], trainLabels)));
    write(src('kmnist-test-imgs.npz'), npz(npyBytes('|u1', [12, 28, 28], testImages)));
    write(src('kmnist-test-labels.npz'), npz(npyBytes('<i8', [12], testLabels)));
    const dataset = await lib.importPaths([src()]);
    expect(dataset).toMatchObject({ shape: [28, 28, 1], counts: { train: 48, test: 12 }, name: 'src' });
    expect(dataset.source).toBe(`npz:${src()}`);
    const named = await new DatasetLibrary({ dataDir: join(dir.path, 'other'), records: new MemoryDatasetRecords() }).importPaths([
      src('kmnist-train-imgs.npz'),
      src('kmnist-train-labels.npz'),
      src('kmnist-test-imgs.npz'),
      src('kmnist-test-labels.npz'),
    ]);
    expect(named.name).toBe('kmnist');
    const stored = await readStoredDataset(lib.dirFor(dataset.id));
    expect(Buffer.from(stored.train.images).equals(Buffer.from(trainImages))).toBe(true);
    expect(Buffer.from(stored.test.labels).equals(Buffer.from(testLabels))).toBe(true);
  });

  it('reads a Keras-style mnist.npz (x_train, y_train, x_test, y_test; stored, not deflated)', async () => {
    const yTrain = makeLabels(30);
    const yTest = makeLabels(10);
    write(
      src('mnist.npz'),
      zipBytes([
        { name: 'x_test.npy', data: npyBytes('|u1', [10, 28, 28], makeImages(yTest)) },
        { name: 'x_train.npy', data: npyBytes('|u1', [30, 28, 28], makeImages(yTrain)) },
        { name: 'y_train.npy', data: npyBytes('<u1', [30], yTrain) },
        { name: 'y_test.npy', data: npyBytes('<i4', [10], yTest) },
      ]),
    );
    const dataset = await lib.importPaths([src('mnist.npz')]);
    expect(dataset).toMatchObject({ counts: { train: 30, test: 10 }, name: 'mnist' });
  });

  it('reads .npy files, including Fortran-ordered images and (N, 1) labels', async () => {
    const labels = makeLabels(12, 3);
    const images = makeImages(labels, 5, 4);
    // Fortran order of a (12, 5, 4) C array: element (n, i, j) at n + 12*(i + 5*j).
    const fortran = new Uint8Array(images.length);
    for (let n = 0; n < 12; n++) for (let i = 0; i < 5; i++) for (let j = 0; j < 4; j++) fortran[n + 12 * (i + 5 * j)] = images[n * 20 + i * 4 + j]!;
    write(src('train_images.npy'), npyBytes('|u1', [12, 5, 4], fortran, { fortran: true }));
    write(src('train_labels.npy'), npyBytes('<i2', [12, 1], labels));
    const dataset = await lib.importPaths([src('train_images.npy'), src('train_labels.npy')], { holdOut: 3 });
    expect(dataset).toMatchObject({ shape: [5, 4, 1], numClasses: 3, counts: { train: 9, test: 3 } });
    const stored = await readStoredDataset(lib.dirFor(dataset.id));
    for (let s = 0; s < 9; s++) expect(stored.train.images[s * 20]).toBe(stored.train.labels[s]);
  });
});

it('previews: samples() gives PNG data URLs per class', async () => {
  writeIdxPair(src(), { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, makeLabels(60));
  writeIdxPair(src(), { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' }, makeLabels(20));
  const dataset = await lib.importPaths([src()]);
  const samples = await lib.samples(dataset.id, 3);
  expect(samples).toHaveLength(10);
  for (const list of samples) expect(list).toHaveLength(3);
  const png = Buffer.from(samples[4]![0]!.replace('data:image/png;base64,', ''), 'base64');
  const meta = await sharp(png).metadata();
  expect([meta.width, meta.height, meta.channels]).toEqual([28, 28, 1]); // an 8-bit grey PNG
  const data = await sharp(png).extractChannel(0).raw().toBuffer();
  expect(data[0]).toBe(4);
});
