/**
 * Downloading one file for the catalog: streamed to `<dest>.part`, resumed with an HTTP Range
 * request after a dropped connection (or restarted when the server ignores ranges), retried with
 * exponential backoff across the mirrors, a stalled connection treated as dropped, the md5 checked
 * before the file takes its final name, and cancel through an AbortSignal.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ApiError } from '../../shared/errors';
import { badData, cancelledError, oneLine, throwIfAborted } from './errors';

export interface DownloadFileOptions {
  signal?: AbortSignal;
  /** Bytes of this file received so far, and its size once the server has said it. */
  onProgress?: (done: number, total: number | null) => void;
  /** Called once the download is complete, while the md5 is checked. */
  onVerify?: () => void;
  /** Tries in all, across mirrors (default 4). */
  attempts?: number;
  /** Delay before the second try; doubles each time (default 1000 ms). */
  backoffMs?: number;
  /** A connection that delivers nothing for this long counts as dropped (default 30 s). */
  stallTimeoutMs?: number;
  fetch?: typeof fetch;
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super(`HTTP ${status} from ${url}`);
  }
  /** Not found, forbidden…: this mirror will not have it on the next try either. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError('Download'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError('Download'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** One HTTP request into the .part file, appending when the server honours the range. */
async function fetchInto(url: string, part: string, options: DownloadFileOptions): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  const stallMs = options.stallTimeoutMs ?? 30_000;
  let have = await sizeOf(part);
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal!.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort(new Error('stalled'));
    }, stallMs);
  };
  arm();
  try {
    // identity: a .gz must arrive byte for byte as published, or its md5 cannot match.
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (have > 0) headers.range = `bytes=${have}-`;
    const response = await doFetch(url, { headers, signal: controller.signal, redirect: 'follow' });
    if (response.status === 416 && have > 0) {
      // The .part already holds the whole file; the md5 check decides.
      await response.body?.cancel();
      return;
    }
    if (response.status === 206) {
      const range = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
      if (!range || Number(range[1]) !== have) {
        await response.body?.cancel();
        await rm(part, { force: true });
        throw new Error(`the server resumed at the wrong offset (${response.headers.get('content-range')})`);
      }
    } else if (response.status === 200) {
      have = 0; // The server ignored the range (or there was none): start over.
    } else {
      await response.body?.cancel();
      throw new HttpStatusError(response.status, url);
    }
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && response.headers.has('content-length') ? have + length : null;
    const handle = await open(part, have > 0 ? 'a' : 'w');
    let done = have;
    try {
      options.onProgress?.(done, total);
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          arm();
          await handle.write(chunk);
          done += chunk.length;
          options.onProgress?.(done, total);
        }
      }
      await handle.datasync();
    } finally {
      await handle.close();
    }
    if (total !== null && done !== total) throw new Error(`the connection closed after ${done} of ${total} bytes`);
  } catch (error) {
    if (options.signal?.aborted) throw cancelledError('Download');
    if (stalled) throw new Error(`no data for ${Math.round(stallMs / 1000)} s`);
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const base = error instanceof Error ? error.message : String(error);
  return oneLine(cause?.code || cause?.message ? `${base} (${cause.code ?? cause.message})` : base);
}

/**
 * Downloads `dest` from the first mirror that serves it and checks its md5. A partial file from an
 * earlier, interrupted download is resumed. Errors: 'cancelled', 'bad_data' when the content does
 * not match the md5 (twice: a single corrupt transfer is retried), 'unavailable' otherwise.
 */
export async function downloadFile(urls: string[], dest: string, md5: string | null, options: DownloadFileOptions = {}): Promise<void> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const backoffMs = options.backoffMs ?? 1000;
  const part = `${dest}.part`;
  const file = basename(dest);
  const dead = new Set<string>();
  let mismatches = 0;
  let lastError = 'no mirror';
  let mirror = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    throwIfAborted(options.signal, 'Download');
    const live = urls.filter((u) => !dead.has(u));
    if (live.length === 0) break;
    const url = live[mirror++ % live.length]!;
    try {
      await fetchInto(url, part, options);
      options.onVerify?.();
      const actual = await md5File(part);
      if (md5 && actual !== md5) {
        await rm(part, { force: true });
        mismatches++;
        if (mismatches >= 2) {
          throw badData(file, `downloaded from ${url}, its md5 is ${actual} but the catalog says ${md5}`, { url, expected: md5, actual });
        }
        lastError = `md5 ${actual} instead of ${md5}`;
      } else {
        await rename(part, dest);
        return;
      }
    } catch (error) {
      if (error instanceof ApiError) throw error;
      lastError = reasonOf(error);
      if (error instanceof HttpStatusError && error.permanent) {
        dead.add(url);
        continue; // the next mirror, without waiting
      }
    }
    if (attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1), options.signal);
  }
  throw new ApiError('unavailable', `Could not download ${file}: ${lastError}`, { file, urls });
}
