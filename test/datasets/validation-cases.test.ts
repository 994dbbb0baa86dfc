/** Import validation: one class, a UTF-8 BOM, UTF-16 text. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parsePaths } from '../../electron/datasets/parse';
import { csvText, expectApiError, makeImages, tempDir, write, writeIdxPair, writeImageFolder } from './helpers';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

describe('import validation', () => {
  it('refuses labels that are all one class, in CSV and IDX alike', async () => {
    const threes = Uint8Array.from({ length: 40 }, () => 3);
    const csv = write(join(dir.path, 'one.csv'), csvText(threes, makeImages(threes, 4, 4)));
    await expectApiError(parsePaths([csv]), 'bad_data', /every label is 3; a classifier needs at least two classes/);
    const idx = join(dir.path, 'idx');
    writeIdxPair(idx, { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, threes);
    await expectApiError(parsePaths([idx]), 'bad_data', /every label is 3/);
  });

  it('reads a CSV that starts with a UTF-8 byte-order mark, with or without a header', async () => {
    const labels = Uint8Array.from({ length: 30 }, (_, i) => i % 3);
    const images = makeImages(labels, 4, 4);
    for (const header of [false, true]) {
      const path = write(join(dir.path, `bom-${header}.csv`), `\uFEFF${csvText(labels, images, { header })}`);
      const parsed = await parsePaths([path]);
      expect(parsed.numClasses).toBe(3);
      expect([...parsed.train.labels]).toEqual([...labels]);
      expect(Buffer.from(parsed.train.images).equals(Buffer.from(images))).toBe(true);
    }
  });

  it('names the encoding of a UTF-16 CSV', async () => {
    const labels = Uint8Array.from({ length: 10 }, (_, i) => i % 2);
    const text = csvText(labels, makeImages(labels, 2, 2));
    const le = write(join(dir.path, 'le.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    await expectApiError(parsePaths([le]), 'bad_data', /is UTF-16 text \(little-endian\); save it as UTF-8 CSV/);
  });

  it('recognises the same file reached through a symbolic link as one file, not as images without labels', async () => {
    const idx = join(dir.path, 'idx');
    const labels = Uint8Array.from({ length: 40 }, (_, i) => i % 4);
    writeIdxPair(idx, { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, labels);
    // A link beside its target, and the target given again through a link from elsewhere.
    symlinkSync(join(idx, 'train-images-idx3-ubyte'), join(idx, 'train-images-idx3-ubyte.link'));
    symlinkSync(join(idx, 'train-labels-idx1-ubyte'), join(dir.path, 'labels-link'));
    const parsed = await parsePaths([idx]);
    expect(parsed.train.count + (parsed.test?.count ?? 0)).toBe(40);
    const both = await parsePaths([join(idx, 'train-images-idx3-ubyte'), join(idx, 'train-labels-idx1-ubyte'), join(dir.path, 'labels-link')]);
    expect(both.train.count + (both.test?.count ?? 0)).toBe(40);
  });

  it('names a file whose name is not UTF-8 instead of calling it missing', async () => {
    const idx = join(dir.path, 'idx');
    writeIdxPair(idx, { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, Uint8Array.from({ length: 40 }, (_, i) => i % 4));
    const latin1 = Buffer.concat([Buffer.from(join(idx, 'caf')), Buffer.from([0xe9]), Buffer.from('.csv')]);
    writeFileSync(latin1, 'label,p0\n1,0\n');
    const error = await parsePaths([idx]).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/caf\\xe9\.csv.*not valid UTF-8/);
    expect(error?.message).not.toMatch(/no such file/);
  });

  it('follows symlinked class folders, as torchvision ImageFolder does, without looping', async () => {
    const elsewhere = join(dir.path, 'elsewhere');
    await writeImageFolder(elsewhere, ['cat', 'dog'], 3, { size: 8 });
    const root = join(dir.path, 'pets');
    mkdirSync(root);
    symlinkSync(join(elsewhere, 'cat'), join(root, 'cat'));
    symlinkSync(join(elsewhere, 'dog'), join(root, 'dog'));
    // A link back to its own folder must not make the walk loop.
    symlinkSync(join(elsewhere, 'dog'), join(elsewhere, 'dog', 'loop'));
    const parsed = await parsePaths([root], { imageSize: 8 });
    expect(parsed.classNames).toEqual(['cat', 'dog']);
    expect(parsed.train.count + (parsed.test?.count ?? 0)).toBe(6);
  });
});
