/**
 * Reading a user's file as bytes: plain or gzip (sniffed by its magic, not trusted from the name),
 * streamed in chunks so a large file is never read twice, with a cap on how far a compressed file
 * may expand (a decompression bomb must fail with a clear message, not exhaust memory), progress in
 * bytes of the file on disk, and cancel through an AbortSignal.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { badData, cancelledError, fileError, formatBytes, throwIfAborted } from './errors';

/**
 * Default cap on the bytes one file may hold once decompressed: far above any MNIST-family file
 * (EMNIST ByClass, the largest, is 0.64 GB of images) yet below Node's 4 GiB Buffer limit, and a
 * limit a desktop can hold in memory.
 */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

export interface ReadOptions {
  signal?: AbortSignal;
  /** Cap on the decompressed (or plain) bytes of one file. */
  maxBytes?: number;
  /** Bytes of the file on disk read so far, and its size. */
  onProgress?: (done: number, total: number) => void;
}

export interface FileProbe {
  path: string;
  size: number;
  gzip: boolean;
  /** The first bytes of the content: decompressed when the file is gzip (up to ~64 KiB). */
  head: Buffer;
}

const GZIP_MAGIC = [0x1f, 0x8b];

export function looksGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * Stats and sniffs a file: size, gzip or not, and its first content bytes for format detection.
 * Empty files, unreadable files and files named .gz that are not gzip end here with bad_data.
 */
export async function probeFile(path: string, headBytes = 64 * 1024): Promise<FileProbe> {
  let size: number;
  let raw: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    size = info.size;
    const handle = await open(path, 'r');
    try {
      raw = Buffer.alloc(Math.min(size, headBytes));
      const { bytesRead } = await handle.read(raw, 0, raw.length, 0);
      raw = raw.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fileError(path, error);
  }
  if (size === 0) throw badData(path, 'the file is empty');
  const gzip = looksGzip(raw);
  if (!gzip && /\.gz$/i.test(path)) {
    throw badData(path, `named .gz but is not gzip data (starts with ${hex(raw.subarray(0, 4))})`);
  }
  let head = raw;
  if (gzip) {
    try {
      head = await gunzipHead(raw, headBytes);
    } catch (error) {
      throw badData(path, `not valid gzip data (${(error as Error).message})`);
    }
    if (head.length === 0 && size > 64) throw badData(path, 'gzip data expands to nothing');
  }
  return { path, size, gzip, head };
}

/**
 * The first `limit` bytes that the start of a gzip stream expands to. `raw` is only the file's
 * first bytes, so the stream ending early is expected; the output is cut at `limit` however far
 * the input would expand.
 */
function gunzipHead(raw: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const z = createGunzip();
    const parts: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      z.destroy();
      resolve(Buffer.concat(parts, length).subarray(0, limit));
    };
    z.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      length += chunk.length;
      if (length >= limit) finish();
    });
    z.on('end', finish);
    z.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      if (error.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(error.message)) return finish();
      settled = true;
      reject(error);
    });
    z.end(raw);
  });
}

export function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex') || '(nothing)'}`;
}

/**
 * Yields the content of a file in chunks, gunzipping when `gzip`. Throws bad_data when the content
 * passes `maxBytes` or the gzip stream is corrupt or truncated, and 'cancelled' on abort.
 */
export async function* readChunks(probe: FileProbe, options: ReadOptions = {}): AsyncGenerator<Buffer> {
  const { signal, onProgress } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  throwIfAborted(signal);
  const file = createReadStream(probe.path, { highWaterMark: 1 << 20 });
  const stream = probe.gzip
    ? pipeline(file, createGunzip({ chunkSize: 1 << 18 }), () => {
        /* errors surface through the async iterator below */
      })
    : file;
  let produced = 0;
  let lastReport = -1;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw cancelledError();
      produced += chunk.length;
      if (produced > maxBytes) {
        throw badData(
          probe.path,
          probe.gzip
            ? `expands to more than ${formatBytes(maxBytes)} (decompression limit); refusing a possible decompression bomb`
            : `larger than the ${formatBytes(maxBytes)} limit`,
          { limit: maxBytes },
        );
      }
      if (onProgress && file.bytesRead !== lastReport) {
        lastReport = file.bytesRead;
        onProgress(file.bytesRead, probe.size);
      }
      yield chunk;
    }
  } catch (error) {
    throw streamError(probe, error);
  } finally {
    file.destroy();
    if (stream !== file) stream.destroy();
  }
  onProgress?.(probe.size, probe.size);
}

function streamError(probe: FileProbe, error: unknown): Error {
  if (error instanceof Error && error.name === 'ApiError') return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test((error as Error)?.message ?? '')) {
    return badData(probe.path, 'truncated gzip stream (the file ends before the compressed data does)');
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return badData(probe.path, `corrupt gzip data (${(error as Error).message})`);
  }
  return fileError(probe.path, error);
}

