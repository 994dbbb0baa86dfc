/**
 * Every kind of bad input ends in one ApiError('bad_data') whose one-line message names the file
 * and the problem, and leaves nothing behind: no row, no folder under <dataDir>/datasets.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetLibrary } from '../../electron/datasets/library';
import { MemoryDatasetRecords } from '../../electron/datasets/records';
import { csvText, expectApiError, idxBytes, makeImages, makeLabels, npyBytes, tempDir, write, writeIdxPair, writeImageFolder, zipBytes } from './helpers';

let dir: ReturnType<typeof tempDir>;
let lib: DatasetLibrary;
let records: MemoryDatasetRecords;
const MAX_BYTES = 1 << 20; // a 1 MiB expansion cap keeps the decompression-bomb cases small

beforeEach(() => {
  dir = tempDir();
  records = new MemoryDatasetRecords();
  lib = new DatasetLibrary({ dataDir: join(dir.path, 'data'), records, maxBytes: MAX_BYTES });
});
afterEach(() => {
  // Nothing half-imported, whatever failed.
  expect(records.list()).toEqual([]);
  const root = join(dir.path, 'data', 'datasets');
  expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
  dir.remove();
});

const src = (...parts: string[]) => join(dir.path, 'src', ...parts);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Imports and expects bad_data naming `file` with a message matching `problem`. */
const rejects = (paths: string[], file: string, problem: RegExp, options = {}) =>
  expectApiError(lib.importPaths(paths, options), 'bad_data', new RegExp(`${esc(file)}.*${problem.source}`));

const labels100 = makeLabels(100);
const images100 = makeImages(labels100);

describe('IDX', () => {
  it('wrong magic number', async () => {
    write(src('train-images-idx3-ubyte'), Buffer.concat([Buffer.from([0x00, 0x00, 0x08, 0x07]), Buffer.alloc(100)]));
    write(src('train-labels-idx1-ubyte'), idxBytes([100], labels100));
    await rejects([src()], src('train-images-idx3-ubyte'), /wrong magic number 0x00000807/);
  });

  it('an IDX data type other than unsigned bytes', async () => {
    write(src('train-images-idx3-ubyte'), idxBytes([1, 2, 2], new Uint8Array(16), 0x0d));
    await rejects([src('train-images-idx3-ubyte')], src('train-images-idx3-ubyte'), /0x0d \(float32\) is not supported/);
  });

  it('a truncated file, and a header that claims more than the file holds', async () => {
    const full = idxBytes([100, 28, 28], images100);
    write(src('train-images-idx3-ubyte'), full.subarray(0, full.length - 10));
    write(src('train-labels-idx1-ubyte'), idxBytes([100], labels100));
    await rejects([src()], src('train-images-idx3-ubyte'), /truncated: the header says shape \[100, 28, 28\] \(78400 bytes\) but only 78390 bytes/);
  });

  it('a header claim larger than the expansion limit is refused before anything is allocated', async () => {
    write(src('train-images-idx3-ubyte.gz'), gzipSync(idxBytes([4_000_000_000, 28, 28], new Uint8Array(64))));
    await rejects([src('train-images-idx3-ubyte.gz')], src('train-images-idx3-ubyte.gz'), /header claims shape \[4000000000, 28, 28\].*more than the 1\.00 MiB limit/);
  });

  it('a truncated gzip stream, and a complete gzip of a truncated payload', async () => {
    const gz = gzipSync(idxBytes([100, 28, 28], images100));
    write(src('a', 'train-images-idx3-ubyte.gz'), gz.subarray(0, gz.length >> 1));
    write(src('a', 'train-labels-idx1-ubyte.gz'), gzipSync(idxBytes([100], labels100)));
    await rejects([src('a')], src('a', 'train-images-idx3-ubyte.gz'), /truncated gzip stream/);
    const raw = idxBytes([100, 28, 28], images100);
    write(src('b', 'train-images-idx3-ubyte.gz'), gzipSync(raw.subarray(0, 5000)));
    write(src('b', 'train-labels-idx1-ubyte.gz'), gzipSync(idxBytes([100], labels100)));
    await rejects([src('b')], src('b', 'train-images-idx3-ubyte.gz'), /truncated: the header says shape \[100, 28, 28\].*only 4984 bytes/);
  });

  it('a decompression bomb: far more data than the header says, stopped early', async () => {
    // 16 MiB of zeros behind a header that promises 10 images: gzip makes it ~16 KiB.
    const bomb = Buffer.concat([idxBytes([10, 28, 28], new Uint8Array(7840)), Buffer.alloc(16 << 20)]);
    write(src('train-images-idx3-ubyte.gz'), gzipSync(bomb));
    await rejects([src('train-images-idx3-ubyte.gz')], src('train-images-idx3-ubyte.gz'), /more data than the header's shape/);
  });

  it('image and label counts that differ', async () => {
    writeIdxPair(src(), { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, labels100);
    write(src('train-labels-idx1-ubyte'), idxBytes([99], labels100.subarray(0, 99)));
    await rejects([src()], src('train-images-idx3-ubyte'), /100 images but .*train-labels-idx1-ubyte has 99 labels/);
  });

  it('images without labels, and labels without images', async () => {
    write(src('a', 'train-images-idx3-ubyte'), idxBytes([100, 28, 28], images100));
    await rejects([src('a')], src('a', 'train-images-idx3-ubyte'), /images without labels/);
    write(src('b', 'train-labels-idx1-ubyte'), idxBytes([100], labels100));
    await rejects([src('b')], src('b', 'train-labels-idx1-ubyte'), /labels without images/);
  });

  it('a .gz file that is not gzip', async () => {
    write(src('train-images-idx3-ubyte.gz'), idxBytes([100, 28, 28], images100));
    await rejects([src('train-images-idx3-ubyte.gz')], src('train-images-idx3-ubyte.gz'), /named \.gz but is not gzip data/);
  });

  it('an empty file', async () => {
    write(src('train-images-idx3-ubyte'), '');
    await rejects([src('train-images-idx3-ubyte')], src('train-images-idx3-ubyte'), /the file is empty/);
  });

  it('training and test images of different sizes', async () => {
    writeIdxPair(src(), { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, labels100);
    writeIdxPair(src(), { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' }, makeLabels(10), { h: 32, w: 32 });
    await rejects([src()], src('t10k-images-idx3-ubyte'), /images are 32x32x1 but .*train-images-idx3-ubyte has 28x28x1/);
  });

  it('only one class', async () => {
    writeIdxPair(src(), { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, new Uint8Array(100));
    await rejects([src()], src('train-labels-idx1-ubyte'), /every label is 0/);
  });
});

describe('CSV', () => {
  const good = () => csvText(makeLabels(10), makeImages(makeLabels(10), 4, 4)).split('\n');

  it('a row of the wrong length', async () => {
    const lines = good();
    lines[4] = lines[4]!.split(',').slice(0, 12).join(',');
    write(src('train.csv'), lines.join('\n'));
    await rejects([src('train.csv')], src('train.csv'), /line 5: 12 values, expected 17/);
  });

  it('a non-numeric cell', async () => {
    const lines = good();
    lines[2] = lines[2]!.replace(/,(\d+),/, ',abc,');
    write(src('train.csv'), lines.join('\n'));
    await rejects([src('train.csv')], src('train.csv'), /line 3, column 2: "abc" is not a number/);
  });

  it('a pixel value outside 0–255, a fractional value, a label that does not fit one byte', async () => {
    const a = good();
    a[6] = a[6]!.replace(/,\d+$/, ',300');
    write(src('a.csv'), a.join('\n'));
    await rejects([src('a.csv')], src('a.csv'), /line 7, column 17: pixel value 300 is outside 0–255/);
    const b = good();
    b[1] = b[1]!.replace(/,\d+,/, ',0.5,');
    write(src('b.csv'), b.join('\n'));
    await rejects([src('b.csv')], src('b.csv'), /line 2, column 2: "0\.5" is not a whole number/);
    const c = good();
    c[3] = c[3]!.replace(/^\d+,/, '256,');
    write(src('c.csv'), c.join('\n'));
    await rejects([src('c.csv')], src('c.csv'), /line 4, column 1: label 256 is outside 0–255 .*at most 256 classes/);
  });

  it('a pixel count that is not a square', async () => {
    write(src('train.csv'), '1,2,3\n0,4,5\n');
    await rejects([src('train.csv')], src('train.csv'), /2 pixel columns do not make a square image/);
  });

  it('a gzip CSV that expands past the limit (decompression bomb)', async () => {
    const row = `1,${Array(783).fill(0).join(',')},0\n`;
    write(src('train.csv.gz'), gzipSync(row.repeat(1200)));
    await rejects([src('train.csv.gz')], src('train.csv.gz'), /expands to more than 1\.00 MiB \(decompression limit\)/);
  });
});

describe('image folders', () => {
  it('a non-image file in a class folder', async () => {
    await writeImageFolder(src('pets'), ['cat', 'dog'], 2);
    write(src('pets', 'dog', 'notes.txt'), 'hello');
    await rejects([src('pets')], src('pets', 'dog', 'notes.txt'), /not an image/);
  });

  it('a file named .png that is not an image', async () => {
    await writeImageFolder(src('pets'), ['cat', 'dog'], 2);
    write(src('pets', 'cat', 'broken.png'), 'this is text');
    await rejects([src('pets')], src('pets', 'cat', 'broken.png'), /not a readable image/);
  });

  it('more than 256 classes', async () => {
    await writeImageFolder(src('many'), Array.from({ length: 257 }, (_, i) => `c${String(i).padStart(3, '0')}`), 1, { size: 2 });
    await rejects([src('many')], src('many'), /257 class folders; at most 256 classes/);
  });
});

describe('NumPy', () => {
  const npz = (members: { name: string; data: Buffer; claimSize?: number }[]) => zipBytes(members.map((m) => ({ ...m, compress: true })));

  it('label values out of range, big-endian and floating-point arrays', async () => {
    write(src('a', 'train-imgs.npy'), npyBytes('|u1', [4, 2, 2], new Uint8Array(16)));
    write(src('a', 'train-labels.npy'), npyBytes('<i8', [4], [0, 1, 300, 2]));
    await rejects([src('a')], src('a', 'train-labels.npy'), /label 300 at index 2 is outside 0–255/);
    write(src('b', 'train-imgs.npy'), npyBytes('|u1', [4, 2, 2], new Uint8Array(16)));
    write(src('b', 'train-labels.npy'), npyBytes('>i8', [4], [0, 1, 2, 3], { raw: Buffer.alloc(32) }));
    await rejects([src('b')], src('b', 'train-labels.npy'), /dtype >i8 is big-endian/);
    write(src('c', 'train-imgs.npy'), npyBytes('<f4', [4, 2, 2], [], { raw: Buffer.alloc(64) }));
    await rejects([src('c', 'train-imgs.npy')], src('c', 'train-imgs.npy'), /<f4 \(floating point\) is not supported/);
    write(src('d', 'train-imgs.npy'), npyBytes('<i4', [4, 2, 2], new Uint8Array(16)));
    await rejects([src('d', 'train-imgs.npy')], src('d', 'train-imgs.npy'), /images must be uint8/);
  });

  it('a truncated .npy payload and a malformed header', async () => {
    const full = npyBytes('|u1', [10, 28, 28], new Uint8Array(7840));
    write(src('train-imgs.npy'), full.subarray(0, 5000));
    await rejects([src('train-imgs.npy')], src('train-imgs.npy'), /truncated: shape \(10, 28, 28\) of \|u1 needs 7840 bytes/);
    const bad = Buffer.from(full);
    bad.write("{'descr': ?", 10, 'latin1');
    write(src('x-imgs.npy'), bad);
    await rejects([src('x-imgs.npy')], src('x-imgs.npy'), /malformed \.npy header/);
  });

  it('a .npz that is not a zip, and a member that claims more than the limit', async () => {
    write(src('a', 'kmnist-train-imgs.npz'), Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]));
    await rejects([src('a', 'kmnist-train-imgs.npz')], src('a', 'kmnist-train-imgs.npz'), /not a valid \.npz \(zip\) archive/);
    write(src('b', 'kmnist-train-imgs.npz'), npz([{ name: 'arr_0.npy', data: npyBytes('|u1', [10, 2, 2], new Uint8Array(40)), claimSize: 3 << 20 }]));
    await rejects([src('b', 'kmnist-train-imgs.npz')], src('b', 'kmnist-train-imgs.npz'), /claims 3\.00 MiB uncompressed, more than the 1\.00 MiB limit/);
    // Many members each under the limit add up over it: the cap is on the archive.
    const part = () => ({ name: `arr_${Math.random().toString(36).slice(2, 7)}.npy`, data: npyBytes('|u1', [600, 28, 28], new Uint8Array(600 * 784)) });
    write(src('c', 'kmnist-train-imgs.npz'), npz([part(), part(), part()]));
    await rejects([src('c', 'kmnist-train-imgs.npz')], src('c', 'kmnist-train-imgs.npz'), /with the members before it, more than the 1\.00 MiB limit/);
  });
});

describe('files and folders', () => {
  it('a file of no known format', async () => {
    write(src('photo.bin'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await rejects([src('photo.bin')], src('photo.bin'), /not a known format .* starts with 0x0102030405060708/);
  });

  it('a path that does not exist, and a folder with no data', async () => {
    await rejects([src('missing')], src('missing'), /no such file or folder/);
    write(src('docs', 'README.md'), '# nothing here');
    await rejects([src('docs')], src('docs'), /holds no data files/);
  });

  it('an unreadable file (permission denied)', async () => {
    writeIdxPair(src(), { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, labels100);
    chmodSync(src('train-labels-idx1-ubyte'), 0o000);
    if (process.getuid?.() !== 0) {
      await rejects([src()], src('train-labels-idx1-ubyte'), /cannot be read \(permission denied\)/);
      return;
    }
    // Root reads anything: run the import as "nobody" in a child process instead.
    chmodSync(dir.path, 0o755);
    const script = `
      import { DatasetLibrary } from ${JSON.stringify(join(import.meta.dirname, '../../electron/datasets/library.ts'))};
      import { MemoryDatasetRecords } from ${JSON.stringify(join(import.meta.dirname, '../../electron/datasets/records.ts'))};
      const lib = new DatasetLibrary({ dataDir: ${JSON.stringify(join(dir.path, 'nobody'))}, records: new MemoryDatasetRecords() });
      lib.importPaths([${JSON.stringify(src())}]).then(() => console.log('{"code":"none"}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '../..'),
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      env: { ...process.env, HOME: '/tmp' },
    });
    const result = JSON.parse(child.stdout.trim().split('\n').pop() || '{}') as { code?: string; message?: string };
    expect(result.code, child.stderr).toBe('bad_data');
    expect(result.message).toMatch(new RegExp(`${esc(src('train-labels-idx1-ubyte'))}: cannot be read \\(permission denied\\)`));
  });
});
