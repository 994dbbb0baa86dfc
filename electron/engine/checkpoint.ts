/**
 * Checkpoints: everything a run needs to continue bit-for-bit after its last finished epoch.
 *
 * One file, `<checkpointDir>/checkpoint.bin`: the magic line "SWEEPLAB-CKPT 1\n", a little-endian
 * uint32 header length, a JSON header (epoch, RNG states, tensor directory, a fingerprint of the
 * model and config), zero padding to a 4-byte boundary, then the float32 payloads (weights,
 * BatchNorm running statistics, optimizer slots). Written to a temporary file in the same folder
 * and renamed over the old one, so a crash mid-write leaves the previous checkpoint intact.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochMetrics } from '../../shared/domain';
import { ApiError, writeFailure } from '../../shared/errors';
import type { RngState } from './rng';

export const CHECKPOINT_FILE = 'checkpoint.bin';
const MAGIC = 'SWEEPLAB-CKPT 1\n';

export interface CheckpointData {
  /** Last finished epoch (1-based). */
  epoch: number;
  /** Identifies model + training config; resuming with a different one is refused. */
  fingerprint: string;
  rng: { shuffle: RngState; dropout: RngState };
  params: { name: string; shape: number[]; values: Float32Array }[];
  buffers: { name: string; shape: number[]; values: Float32Array }[];
  optimizer: { step: number; slots: Record<string, Float32Array[]> };
  /** Metrics of every finished epoch, for callers that want the history without a database. */
  history: EpochMetrics[];
}

interface Entry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

export function checkpointPath(dir: string): string {
  return join(dir, CHECKPOINT_FILE);
}

export function writeCheckpoint(dir: string, data: CheckpointData): string {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw writeFailure(error, `the checkpoint folder ${dir}`);
  }
  const blobs: Float32Array[] = [];
  let offset = 0;
  const entry = (name: string, shape: number[], values: Float32Array): Entry => {
    const e = { name, shape, offset, length: values.length };
    blobs.push(values);
    offset += values.length;
    return e;
  };
  const header = {
    epoch: data.epoch,
    fingerprint: data.fingerprint,
    rng: data.rng,
    history: data.history,
    params: data.params.map((p) => entry(p.name, p.shape, p.values)),
    buffers: data.buffers.map((b) => entry(b.name, b.shape, b.values)),
    optimizer: {
      step: data.optimizer.step,
      slots: Object.fromEntries(
        Object.entries(data.optimizer.slots).map(([k, arrays]) => [k, arrays.map((a, i) => entry(`${k}.${i}`, [a.length], a))]),
      ),
    },
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const magic = Buffer.from(MAGIC, 'utf8');
  const prefix = magic.length + 4 + json.length;
  const pad = (4 - (prefix % 4)) % 4;
  const out = Buffer.alloc(prefix + pad + offset * 4);
  magic.copy(out, 0);
  out.writeUInt32LE(json.length, magic.length);
  json.copy(out, magic.length + 4);
  const floats = new Float32Array(out.buffer, out.byteOffset + prefix + pad, offset);
  let at = 0;
  for (const b of blobs) {
    floats.set(b, at);
    at += b.length;
  }
  const final = checkpointPath(dir);
  const tmp = `${final}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, out);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
  } catch (error) {
    // The partial file goes (it may be what filled the disk); the previous checkpoint stays.
    rmSync(tmp, { force: true });
    throw writeFailure(error, `the checkpoint ${final}`);
  }
  return final;
}

/** The checkpoint in `dir`, or null when there is none. A damaged file is a bad_data error. */
export function readCheckpoint(dir: string): CheckpointData | null {
  const path = checkpointPath(dir);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const bad = (why: string) => new ApiError('bad_data', `checkpoint ${path} is damaged: ${why}`);
  const magic = Buffer.from(MAGIC, 'utf8');
  if (buf.length < magic.length + 4 || !buf.subarray(0, magic.length).equals(magic)) throw bad('wrong magic');
  const jsonLength = buf.readUInt32LE(magic.length);
  const prefix = magic.length + 4 + jsonLength;
  if (prefix > buf.length) throw bad('truncated header');
  let header: {
    epoch: number;
    fingerprint: string;
    rng: CheckpointData['rng'];
    history: EpochMetrics[];
    params: Entry[];
    buffers: Entry[];
    optimizer: { step: number; slots: Record<string, Entry[]> };
  };
  try {
    header = JSON.parse(buf.subarray(magic.length + 4, prefix).toString('utf8'));
  } catch {
    throw bad('unreadable header');
  }
  const pad = (4 - (prefix % 4)) % 4;
  const count = (buf.length - prefix - pad) / 4;
  if (!Number.isInteger(count)) throw bad('truncated payload');
  // Copy into an aligned buffer: Buffer's byteOffset need not be a multiple of 4.
  const floats = new Float32Array(count);
  new Uint8Array(floats.buffer).set(buf.subarray(prefix + pad));
  const take = (e: Entry) => {
    if (e.offset + e.length > count) throw bad(`tensor ${e.name} runs past the end`);
    return floats.slice(e.offset, e.offset + e.length);
  };
  return {
    epoch: header.epoch,
    fingerprint: header.fingerprint,
    rng: header.rng,
    history: header.history ?? [],
    params: header.params.map((e) => ({ name: e.name, shape: e.shape, values: take(e) })),
    buffers: header.buffers.map((e) => ({ name: e.name, shape: e.shape, values: take(e) })),
    optimizer: {
      step: header.optimizer.step,
      slots: Object.fromEntries(Object.entries(header.optimizer.slots).map(([k, list]) => [k, list.map(take)])),
    },
  };
}
