/**
 * The on-disk form of an imported data set, one folder per data set:
 *
 *   <dataDir>/datasets/<id>/meta.json         the Dataset object (shared/domain.ts)
 *                          train-images.u8    count*h*w*c bytes, sample-major, row-major HWC
 *                          train-labels.u8    count bytes
 *                          test-images.u8, test-labels.u8
 *
 * Raw bytes with no header: the trainer reads each file into one buffer and uses it as is, so a 60k
 * set loads in tens of milliseconds and needs no parsing; meta.json holds the shape and counts, and
 * the reader checks the file sizes against them.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Dataset } from '../../shared/domain';
import { ApiError, describeIssues } from '../../shared/errors';
import type { SplitData, SplitName } from './blocks';
import { cancelledError } from './errors';

export const META_FILE = 'meta.json';

export function splitFiles(split: SplitName): { images: string; labels: string } {
  return { images: `${split}-images.u8`, labels: `${split}-labels.u8` };
}

export interface StoredSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface StoredDataset {
  meta: Dataset;
  train: StoredSplit;
  test: StoredSplit;
}

function incomplete(dir: string, problem: string): ApiError {
  return new ApiError('bad_data', `Stored data set in ${dir} is damaged: ${problem}; delete it and import it again`, { dir });
}

export async function readMeta(dir: string): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(join(dir, META_FILE), 'utf8');
  } catch (error) {
    throw incomplete(dir, `cannot read ${META_FILE} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw incomplete(dir, `${META_FILE} is not valid JSON`);
  }
  const parsed = Dataset.safeParse(json);
  if (!parsed.success) throw incomplete(dir, `${META_FILE}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** Reads a stored data set into memory: four whole-file reads, no per-sample work. */
export async function readStoredDataset(dir: string): Promise<StoredDataset> {
  const meta = await readMeta(dir);
  const sampleBytes = meta.shape[0] * meta.shape[1] * meta.shape[2];
  const load = async (split: SplitName): Promise<StoredSplit> => {
    const count = meta.counts[split];
    const names = splitFiles(split);
    const [images, labels] = await Promise.all([readExact(dir, names.images, count * sampleBytes), readExact(dir, names.labels, count)]);
    return { images, labels, count };
  };
  const [train, test] = await Promise.all([load('train'), load('test')]);
  return { meta, train, test };
}

async function readExact(dir: string, name: string, expected: number): Promise<Uint8Array> {
  let buffer: Buffer;
  try {
    buffer = await readFile(join(dir, name));
  } catch (error) {
    throw incomplete(dir, `cannot read ${name} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (buffer.length !== expected) throw incomplete(dir, `${name} holds ${buffer.length} bytes, meta.json says ${expected}`);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export interface WriteOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Writes a data set into `dir` (an existing, empty folder) and flushes every file to disk, so a
 * folder that has been renamed into place is complete even after a power cut. meta.json last.
 */
export async function writeStoredDataset(dir: string, meta: Dataset, train: SplitData, test: SplitData, options: WriteOptions = {}): Promise<void> {
  const jobs: [string, Uint8Array][] = [
    [splitFiles('train').images, train.images],
    [splitFiles('train').labels, train.labels],
    [splitFiles('test').images, test.images],
    [splitFiles('test').labels, test.labels],
  ];
  const total = jobs.reduce((n, [, data]) => n + data.length, 0);
  let done = 0;
  for (const [name, data] of jobs) {
    const handle = await open(join(dir, name), 'wx');
    try {
      const step = 8 << 20;
      for (let at = 0; at < data.length; ) {
        if (options.signal?.aborted) throw cancelledError();
        const { bytesWritten } = await handle.write(data, at, Math.min(step, data.length - at));
        at += bytesWritten;
        done += bytesWritten;
        options.onProgress?.(done, total);
      }
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
  await writeJsonDurably(join(dir, META_FILE), meta);
}

/** Replaces a JSON file atomically (write aside, flush, rename over). */
export async function writeJsonDurably(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { flush: true });
  await rename(tmp, path);
}

/** Flushes a folder's entries (a rename into it) where the platform allows; best effort. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open folders for syncing; NTFS journals the rename anyway.
  }
}

/**
 * The content checksum that recognises the same data imported twice, whatever the files' format or
 * compression: sha256 over the shape, class names, hold-out choice and the normalised bytes.
 */
export function contentChecksum(input: {
  shape: [number, number, number];
  classNames: string[] | null;
  train: SplitData;
  test: SplitData | null;
  holdOut: { size: number; seed: number } | null;
}): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      v: 1,
      shape: input.shape,
      classNames: input.classNames,
      train: input.train.count,
      test: input.test?.count ?? 0,
      holdOut: input.holdOut,
    }),
  );
  for (const split of [input.train, input.test]) {
    if (!split) continue;
    hash.update(split.images);
    hash.update(split.labels);
  }
  return `sha256:${hash.digest('hex')}`;
}
