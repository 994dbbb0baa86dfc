/**
 * Data sets through the broker: the coordinator puts a stored data set folder (storage.ts: meta.json
 * and four raw .u8 files) into one Redis hash keyed by the data set's checksum, with a manifest of
 * each file's sha256; a worker that lacks it downloads it, verifies every file against the
 * manifest, that meta.json carries the checksum it asked for and that the files have the sizes
 * meta.json says, and only then moves it into its cache (<worker data folder>/datasets/<hex>/).
 * A worker needs no shared file system.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ApiError } from '../../shared/errors';
import { META_FILE, readStoredDataset, splitFiles } from '../datasets/storage';
import { keys } from './broker';

/** The only file names a data set hash may hold: a field is never used as a path otherwise. */
const FILES = [META_FILE, ...(['train', 'test'] as const).flatMap((s) => [splitFiles(s).images, splitFiles(s).labels])];
const MANIFEST = 'manifest.json';
const Manifest = z.strictObject({ checksum: z.string(), files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)) });

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Puts a stored data set into the broker unless it is there already. */
export async function publishDataset(redis: Redis, dir: string, checksum: string): Promise<void> {
  const key = keys.dataset(checksum);
  if (await redis.hexists(key, MANIFEST)) return;
  const fields: Record<string, Buffer> = {};
  const manifest: z.infer<typeof Manifest> = { checksum, files: {} };
  for (const name of FILES) {
    const data = await readFile(join(dir, name));
    fields[name] = data;
    manifest.files[name] = sha256(data);
  }
  // The manifest last and in the same transaction: a reader never sees half a data set.
  await redis.multi().hset(key, fields).hset(key, MANIFEST, JSON.stringify(manifest)).exec();
}

/** The cached folder of a data set, downloaded and verified first when this worker lacks it. */
export async function fetchDataset(redis: Redis, checksum: string, cacheRoot: string, log: (line: string) => void = () => undefined): Promise<string> {
  const hex = checksum.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ApiError('invalid_argument', 'bad data set checksum');
  const dir = join(cacheRoot, hex);
  if (existsSync(join(dir, META_FILE))) return dir;
  const key = keys.dataset(checksum);
  const rawManifest = await redis.hget(key, MANIFEST);
  if (!rawManifest) throw new ApiError('not_found', `The data set ${checksum.slice(0, 19)}… is not in the broker (its coordinator publishes it when it enqueues a trial)`);
  const manifest = Manifest.safeParse(JSON.parse(rawManifest));
  if (!manifest.success || manifest.data.checksum !== checksum) throw new ApiError('bad_data', `The broker's manifest of data set ${checksum.slice(0, 19)}… is malformed`);
  const tmp = join(cacheRoot, `.incoming-${hex.slice(0, 12)}-${randomUUID()}`);
  await mkdir(tmp, { recursive: true });
  try {
    let bytes = 0;
    for (const name of FILES) {
      const data = await redis.hgetBuffer(key, name);
      if (!data) throw new ApiError('bad_data', `the broker lacks ${name} of data set ${checksum.slice(0, 19)}…`);
      if (sha256(data) !== manifest.data.files[name]) throw new ApiError('bad_data', `${name} of data set ${checksum.slice(0, 19)}… does not match its sha256: refused`);
      await writeFile(join(tmp, name), data);
      bytes += data.length;
    }
    const stored = await readStoredDataset(tmp);
    if (stored.meta.checksum !== checksum) throw new ApiError('bad_data', `the data set received is ${stored.meta.checksum}, not the ${checksum} asked for: refused`);
    try {
      await rename(tmp, dir);
    } catch (error) {
      // Another slot of this worker got it first: theirs is as good.
      if (!existsSync(join(dir, META_FILE))) throw error;
    }
    log(`data set ${checksum.slice(0, 19)}… received (${(bytes / 1e6).toFixed(1)} MB), verified and cached`);
    return dir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
