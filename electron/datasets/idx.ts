/**
 * IDX files (the MNIST family's format; http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * `0x00 0x00 <type> <ndim>`, ndim big-endian uint32 dimensions, then the row-major payload.
 * Only unsigned bytes (type 0x08) are supported: that is what every MNIST-like set ships, and what
 * Sweeplab stores. Plain or gzip; the header's claim is always checked against what the file holds
 * before memory is allocated for it.
 */
import { open } from 'node:fs/promises';
import { badData, cancelledError, fileError, formatBytes } from './errors';
import { DEFAULT_MAX_BYTES, hex, probeFile, readChunks, type FileProbe, type ReadOptions } from './source';

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

export interface IdxHeader {
  dims: number[];
  headerLength: number;
  /** Payload bytes the dimensions require. */
  payloadLength: number;
}

export interface IdxArray {
  path: string;
  /** e.g. [60000, 28, 28] for images, [60000] for labels. */
  dims: number[];
  /** Row-major u8 payload; length = product of dims. */
  data: Uint8Array;
}

/** True when `head` starts like an IDX file of any type (used to sniff a file's format). */
export function looksIdx(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0 && head[1] === 0 && (head[2]! in TYPE_NAMES) && head[3]! >= 1 && head[3]! <= 4;
}

/**
 * Parses the header from the first bytes of the content; null when `head` is too short to hold
 * the whole header yet. Throws bad_data for a wrong magic, an unsupported type or an empty shape.
 */
export function parseIdxHeader(path: string, head: Uint8Array, maxBytes = DEFAULT_MAX_BYTES): IdxHeader | null {
  if (head.length < 4) return null;
  if (head[0] !== 0 || head[1] !== 0 || !(head[2]! in TYPE_NAMES) || head[3]! < 1 || head[3]! > 4) {
    throw badData(path, `not an IDX file: wrong magic number ${hex(head.subarray(0, 4))} (expected 0x00000801 for labels or 0x00000803 for images)`);
  }
  const type = head[2]!;
  if (type !== 0x08) {
    throw badData(path, `IDX data type 0x${type.toString(16).padStart(2, '0')} (${TYPE_NAMES[type]}) is not supported; only unsigned bytes (0x08)`);
  }
  const ndim = head[3]!;
  const headerLength = 4 + 4 * ndim;
  if (head.length < headerLength) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dims: number[] = [];
  let payloadLength = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    payloadLength *= d;
  }
  if (payloadLength === 0) throw badData(path, `IDX shape [${dims.join(', ')}] holds no data`);
  if (payloadLength > maxBytes) {
    throw badData(path, `IDX header claims shape [${dims.join(', ')}] (${formatBytes(payloadLength)}), more than the ${formatBytes(maxBytes)} limit`, { limit: maxBytes });
  }
  return { dims, headerLength, payloadLength };
}

/**
 * Reads a whole IDX file (plain or .gz) into memory. Exported for the engine's bench and for tests;
 * the importer uses it too.
 */
export async function readIdx(path: string, options: ReadOptions & { probe?: FileProbe } = {}): Promise<IdxArray> {
  const probe = options.probe ?? (await probeFile(path));
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  return probe.gzip ? readIdxStream(probe, options, maxBytes) : readIdxPlain(probe, options, maxBytes);
}

/** A plain file: the header's claim must match the file size exactly; then one read into one buffer. */
async function readIdxPlain(probe: FileProbe, options: ReadOptions, maxBytes: number): Promise<IdxArray> {
  const { path, size } = probe;
  const header = parseIdxHeader(path, probe.head, maxBytes);
  if (!header) throw badData(path, `truncated: ${size} bytes is shorter than an IDX header`);
  const available = size - header.headerLength;
  if (available < header.payloadLength) {
    throw badData(path, `truncated: the header says shape [${header.dims.join(', ')}] (${header.payloadLength} bytes) but only ${available} bytes follow it`);
  }
  if (available > header.payloadLength) {
    throw badData(path, `${available - header.payloadLength} bytes more than the header's shape [${header.dims.join(', ')}] accounts for`);
  }
  const data = new Uint8Array(header.payloadLength);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileError(path, error);
  }
  try {
    const step = 8 << 20;
    let done = 0;
    while (done < data.length) {
      if (options.signal?.aborted) throw cancelledError();
      const { bytesRead } = await handle.read(data, done, Math.min(step, data.length - done), header.headerLength + done);
      if (bytesRead === 0) throw badData(path, 'truncated: the file shrank while it was being read');
      done += bytesRead;
      options.onProgress?.(header.headerLength + done, size);
    }
  } catch (error) {
    throw fileError(path, error);
  } finally {
    await handle.close();
  }
  return { path, dims: header.dims, data };
}

/**
 * A gzip file: its expanded size is unknown until the end, so the payload is gathered chunk by
 * chunk as it really arrives (never pre-allocated from the header) and the stream is abandoned as
 * soon as it passes what the header claims.
 */
async function readIdxStream(probe: FileProbe, options: ReadOptions, maxBytes: number): Promise<IdxArray> {
  const { path } = probe;
  let headBuf = Buffer.alloc(0);
  let header: IdxHeader | null = null;
  const chunks: Buffer[] = [];
  let payload = 0;
  for await (const chunk of readChunks(probe, { ...options, maxBytes: maxBytes + 64 })) {
    let rest = chunk;
    if (!header) {
      headBuf = Buffer.concat([headBuf, chunk]);
      header = parseIdxHeader(path, headBuf, maxBytes);
      if (!header) continue;
      rest = headBuf.subarray(header.headerLength);
    }
    payload += rest.length;
    if (payload > header.payloadLength) {
      throw badData(path, `more data than the header's shape [${header.dims.join(', ')}] accounts for (${header.payloadLength} bytes)`);
    }
    if (rest.length) chunks.push(rest);
  }
  if (!header) throw badData(path, `truncated: decompresses to ${headBuf.length} bytes, shorter than an IDX header`);
  if (payload < header.payloadLength) {
    throw badData(path, `truncated: the header says shape [${header.dims.join(', ')}] (${header.payloadLength} bytes) but only ${payload} bytes follow it`);
  }
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, payload);
  return { path, dims: header.dims, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * An IDX file's bytes: the header (two zero bytes, the type code, the number of dimensions, then
 * each dimension big-endian) followed by the data. Type 0x08 is unsigned bytes, as MNIST uses.
 * For fixtures, synthetic benchmark data and anything that hands data on in the format it came in.
 */
export function encodeIdx(dims: readonly number[], data: Uint8Array, type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
