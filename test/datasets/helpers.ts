/**
 * Fixture writers for the data-set tests: every file is generated into a temp folder by the test
 * that needs it (IDX, gzip, CSV, PNG/JPEG, .npy, and .npz through a minimal zip writer).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { expect } from 'vitest';
import { ApiError } from '../../shared/errors';

export function tempDir(prefix = 'sweeplab-ds-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** n labels cycling through `classes`, so every class is present and balanced. */
export function makeLabels(n: number, classes = 10): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i % classes);
}

/** Images whose pixels encode (sample, label), so tests can check pairing and order survived. */
export function makeImages(labels: Uint8Array, h = 28, w = 28, c = 1): Uint8Array {
  const per = h * w * c;
  const out = new Uint8Array(labels.length * per);
  for (let s = 0; s < labels.length; s++) {
    out[s * per] = labels[s]!; // first pixel: the label
    out[s * per + 1] = s & 0xff; // second: the sample index, low byte
    out[s * per + 2] = (s >> 8) & 0xff;
    for (let p = 3; p < per; p++) out[s * per + p] = (s * 31 + p * 7) & 0xff;
  }
  return out;
}

import { encodeIdx as idxBytes } from '../../electron/datasets/idx';

export { idxBytes };

export function write(path: string, bytes: Uint8Array | string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

/** Writes `<dir>/<prefix>-images-idx3-ubyte[.gz]` and the matching labels file; returns both paths. */
export function writeIdxPair(dir: string, names: { images: string; labels: string }, labels: Uint8Array, options: { gzip?: boolean; h?: number; w?: number } = {}) {
  const h = options.h ?? 28;
  const w = options.w ?? 28;
  const images = makeImages(labels, h, w);
  const wrap = (b: Buffer) => (options.gzip ? gzipSync(b) : b);
  return {
    images: write(join(dir, names.images), wrap(idxBytes([labels.length, h, w], images))),
    labels: write(join(dir, names.labels), wrap(idxBytes([labels.length], labels))),
    data: images,
  };
}

export function csvText(labels: Uint8Array, images: Uint8Array, options: { header?: boolean; labelLast?: boolean } = {}): string {
  const pixels = images.length / labels.length;
  const lines: string[] = [];
  if (options.header) {
    const px = Array.from({ length: pixels }, (_, i) => `pixel${i + 1}`);
    lines.push((options.labelLast ? [...px, 'label'] : ['label', ...px]).join(','));
  }
  for (let s = 0; s < labels.length; s++) {
    const px = Array.from(images.subarray(s * pixels, (s + 1) * pixels));
    lines.push((options.labelLast ? [...px, labels[s]] : [labels[s], ...px]).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** A .npy file (version 1) of the given dtype. `values` are written with that dtype's width. */
export function npyBytes(descr: string, shape: number[], values: ArrayLike<number> | Uint8Array, options: { fortran?: boolean; raw?: Buffer } = {}): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': ${options.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  let body: Buffer;
  if (options.raw) body = options.raw;
  else {
    const size = Number(/\d+$/.exec(descr)![0]);
    body = Buffer.alloc(values.length * size);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (size === 1) body.writeUInt8(v & 0xff, i);
      else if (size === 2) body.writeInt16LE(v, i * 2);
      else if (size === 4) body.writeInt32LE(v, i * 4);
      else body.writeBigInt64LE(BigInt(v), i * 8);
    }
  }
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

/** A minimal zip archive (local headers + central directory), deflated or stored: enough for .npz. */
export function zipBytes(entries: { name: string; data: Buffer; compress?: boolean; claimSize?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const payload = entry.compress ? deflateRawSync(entry.data) : entry.data;
    const crc = crc32(entry.data);
    const size = entry.claimSize ?? entry.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.compress ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(payload.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.compress ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(payload.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, payload);
    centrals.push(central, name);
    offset += local.length + name.length + payload.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Writes class folders of small PNG/JPEG images; pixel 0 of each grey image encodes its class. */
export async function writeImageFolder(root: string, classes: string[], perClass: number, options: { size?: number; jpeg?: boolean; rgb?: boolean } = {}) {
  const size = options.size ?? 20;
  for (let k = 0; k < classes.length; k++) {
    for (let i = 0; i < perClass; i++) {
      const channels = options.rgb ? 3 : 1;
      const data = Buffer.alloc(size * size * channels, k * 20 + i);
      const image = sharp(data, { raw: { width: size, height: size, channels } });
      const buffer = options.jpeg ? await image.jpeg().toBuffer() : await image.png().toBuffer();
      write(join(root, classes[k]!, `img${i}.${options.jpeg ? 'jpg' : 'png'}`), buffer);
    }
  }
}

/** Asserts that a promise rejects with an ApiError of `code` whose one-line message matches. */
export async function expectApiError(promise: Promise<unknown>, code: string, message: RegExp): Promise<ApiError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a rejection').toBeInstanceOf(ApiError);
  const error = caught as ApiError;
  expect(error.code, error.message).toBe(code);
  expect(error.message).toMatch(message);
  expect(error.message).not.toMatch(/\n/);
  return error;
}
