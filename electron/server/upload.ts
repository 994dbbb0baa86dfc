/**
 * Browser-mode uploads: a page cannot hand the server a path, so dropped files and folders are
 * streamed here one file at a time into a per-session folder under the data folder, then imported
 * from that folder with `datasets.import`.
 *
 *   POST /api/upload   x-upload-session: <client-made id>   x-upload-path: <URL-encoded relative path>
 *   → {ok: true, value: {root, path, bytes}}
 *
 * Sessions nobody imported expire after a day, and all of them together stay under a quota.
 */
import { createWriteStream, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { uploadsDir } from '../paths';

/** 4 GiB: more than any data set of small images; a cap so a runaway upload cannot fill the disk. */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
const SESSION_RE = /^[A-Za-z0-9_-]{8,64}$/;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, message: string, code = 'invalid_argument'): void {
  // Whatever of the body was not read is not read: the connection closes after the reply.
  if (!res.req.readableEnded) res.setHeader('connection', 'close');
  reply(res, status, { ok: false, error: { code, message } });
}

/** Most file systems allow 255 bytes per name; longer ones are refused before touching the disk. */
const MAX_NAME_BYTES = 255;
const MAX_PATH_BYTES = 1024;

/** Resolves a client-given relative path inside `root`, or null when it would escape it. */
export function safeJoin(root: string, relative: string): string | null {
  if (!relative || relative.includes('\0')) return null;
  const parts = relative.replace(/\\/g, '/').split('/');
  if (parts[0] === '' || /^[A-Za-z]:$/.test(parts[0]!) || parts.some((p) => p === '..')) return null;
  const full = resolve(root, ...parts.filter((p) => p !== '' && p !== '.'));
  return full.startsWith(root + sep) ? full : null;
}

/** Uploads never imported are removed after this long without a write to their session. */
export const UPLOAD_TTL_MS = 24 * 3600 * 1000;
/** All upload sessions together; a new upload that would pass it is refused. */
export const UPLOAD_QUOTA_BYTES = 8 * 1024 ** 3;

interface SessionUsage {
  bytes: number;
  lastWrite: number;
}

function scanSessions(root: string): Map<string, SessionUsage> {
  const sessions = new Map<string, SessionUsage>();
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return sessions;
  }
  for (const name of names) {
    const usage: SessionUsage = { bytes: 0, lastWrite: 0 };
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        const stat = lstatSync(full);
        usage.lastWrite = Math.max(usage.lastWrite, stat.mtimeMs);
        if (entry.isDirectory()) walk(full);
        else usage.bytes += stat.size;
      }
    };
    try {
      usage.lastWrite = lstatSync(join(root, name)).mtimeMs;
      if (lstatSync(join(root, name)).isDirectory()) walk(join(root, name));
    } catch {
      continue;
    }
    sessions.set(name, usage);
  }
  return sessions;
}

/**
 * The uploads folder of one `serve`: takes uploads, expires sessions nobody imported (at start and
 * hourly) and keeps all of them under a quota. Usage is counted in memory as files arrive and
 * recounted from disk when the quota looks reached (imports remove their sessions behind its back).
 */
export class UploadArea {
  readonly root: string;
  private sessions: Map<string, SessionUsage>;
  private readonly timer: NodeJS.Timeout;

  constructor(
    dataDir: string,
    private readonly limits: { ttlMs: number; quotaBytes: number; maxFileBytes: number } = {
      ttlMs: UPLOAD_TTL_MS,
      quotaBytes: UPLOAD_QUOTA_BYTES,
      maxFileBytes: MAX_UPLOAD_BYTES,
    },
  ) {
    this.root = uploadsDir(dataDir);
    this.sessions = scanSessions(this.root);
    this.expire();
    this.timer = setInterval(() => this.expire(), Math.min(3600_000, limits.ttlMs)).unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Removes sessions with no write for the TTL; returns how many went. */
  expire(now = Date.now()): number {
    this.sessions = scanSessions(this.root);
    let removed = 0;
    for (const [name, usage] of this.sessions) {
      if (now - usage.lastWrite < this.limits.ttlMs) continue;
      rmSync(join(this.root, name), { recursive: true, force: true });
      this.sessions.delete(name);
      removed++;
    }
    return removed;
  }

  private used(): number {
    let total = 0;
    for (const usage of this.sessions.values()) total += usage.bytes;
    return total;
  }

  private fits(bytes: number): boolean {
    if (this.used() + bytes <= this.limits.quotaBytes) return true;
    this.sessions = scanSessions(this.root);
    return this.used() + bytes <= this.limits.quotaBytes;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { maxFileBytes, quotaBytes } = this.limits;
    const tooLarge = `File is larger than ${formatBytes(maxFileBytes)}`;
    if (req.method !== 'POST') return fail(res, 405, 'Use POST');
    const session = String(req.headers['x-upload-session'] ?? '');
    if (!SESSION_RE.test(session)) return fail(res, 400, 'x-upload-session must be 8–64 letters, digits, _ or -');
    let relative: string;
    try {
      relative = decodeURIComponent(String(req.headers['x-upload-path'] ?? ''));
    } catch {
      return fail(res, 400, 'x-upload-path is not valid URL encoding');
    }
    const root = join(this.root, session);
    const target = safeJoin(root, relative);
    if (!target) return fail(res, 400, `Refused upload path: ${relative.slice(0, 200)}`);
    const parts = relative.split(/[\\/]/);
    if (Buffer.byteLength(relative) > MAX_PATH_BYTES || parts.some((p) => Buffer.byteLength(p) > MAX_NAME_BYTES)) {
      return fail(res, 400, `File or folder name too long (at most ${MAX_NAME_BYTES} bytes a name): ${relative.slice(0, 80)}…`);
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxFileBytes) return fail(res, 413, tooLarge);
    if (!this.fits(declared)) {
      return fail(res, 507, `The uploads folder is full (${formatBytes(quotaBytes)} of uploads not yet imported); import or wait for old uploads to expire`, 'unavailable');
    }

    const usage = this.sessions.get(session) ?? { bytes: 0, lastWrite: Date.now() };
    this.sessions.set(session, usage);
    let bytes = 0;
    const limit = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        bytes += chunk.length;
        usage.bytes += chunk.length;
        usage.lastWrite = Date.now();
        if (bytes > maxFileBytes) return callback(new UploadRefused(413, tooLarge));
        if (this.used() > quotaBytes) return callback(new UploadRefused(507, 'The uploads folder is full'));
        callback(null, chunk);
      },
    });
    try {
      mkdirSync(dirname(target), { recursive: true });
      await pipeline(req, limit, createWriteStream(target));
    } catch (error) {
      rmSync(target, { force: true });
      usage.bytes -= bytes;
      if (error instanceof UploadRefused) return fail(res, error.status, error.message, error.status === 507 ? 'unavailable' : 'invalid_argument');
      // The OS error's code, never its message: that one names the server's paths.
      const code = (error as NodeJS.ErrnoException).code;
      return fail(res, code === 'ENOSPC' ? 507 : 400, `Upload failed: ${code === 'ENOSPC' ? 'disk full' : (code ?? 'connection closed')}`);
    }
    reply(res, 200, { ok: true, value: { root, path: target, bytes } });
  }
}

class UploadRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${+(bytes / 1024 ** 3).toFixed(1)} GiB` : `${+(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
