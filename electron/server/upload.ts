/**
 * Browser-mode uploads: a page cannot hand the server a path, so dropped files and folders are
 * streamed here one file at a time into a per-session folder under the data folder, then imported
 * from that folder with `datasets.import`.
 *
 *   POST /api/upload   x-upload-session: <client-made id>   x-upload-path: <URL-encoded relative path>
 *   → {ok: true, value: {root, path, bytes}}
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** 4 GiB: more than any data set of small images; a cap so a runaway upload cannot fill the disk. */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
const SESSION_RE = /^[A-Za-z0-9_-]{8,64}$/;

export function uploadsDir(dataDir: string): string {
  return join(dataDir, 'uploads');
}

/**
 * Uploads are copies made only to be imported: once an import from one has ended (imported or
 * refused), its session folder goes. Paths outside the uploads folder are the user's own files
 * and are never touched.
 */
export function removeUploadSessions(dataDir: string, paths: readonly string[]): void {
  const root = uploadsDir(dataDir);
  for (const path of paths) {
    const full = resolve(path);
    if (!full.startsWith(root + sep)) continue;
    const session = full.slice(root.length + 1).split(sep)[0];
    if (session) rmSync(join(root, session), { recursive: true, force: true });
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, message: string): void {
  reply(res, status, { ok: false, error: { code: 'invalid_argument', message } });
}

/** Resolves a client-given relative path inside `root`, or null when it would escape it. */
export function safeJoin(root: string, relative: string): string | null {
  if (!relative || relative.includes('\0')) return null;
  const parts = relative.replace(/\\/g, '/').split('/');
  if (parts[0] === '' || /^[A-Za-z]:$/.test(parts[0]!) || parts.some((p) => p === '..')) return null;
  const full = resolve(root, ...parts.filter((p) => p !== '' && p !== '.'));
  return full.startsWith(root + sep) ? full : null;
}

export async function handleUpload(dataDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return fail(res, 405, 'Use POST');
  const session = String(req.headers['x-upload-session'] ?? '');
  if (!SESSION_RE.test(session)) return fail(res, 400, 'x-upload-session must be 8–64 letters, digits, _ or -');
  let relative: string;
  try {
    relative = decodeURIComponent(String(req.headers['x-upload-path'] ?? ''));
  } catch {
    return fail(res, 400, 'x-upload-path is not valid URL encoding');
  }
  const root = join(uploadsDir(dataDir), session);
  const target = safeJoin(root, relative);
  if (!target) return fail(res, 400, `Refused upload path: ${relative.slice(0, 200)}`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_UPLOAD_BYTES) return fail(res, 413, 'File is larger than 4 GiB');

  mkdirSync(dirname(target), { recursive: true });
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(bytes > MAX_UPLOAD_BYTES ? new Error('File is larger than 4 GiB') : null, chunk);
    },
  });
  try {
    await pipeline(req, limit, createWriteStream(target));
  } catch (error) {
    rmSync(target, { force: true });
    return fail(res, 400, `Upload failed: ${(error as Error).message}`);
  }
  reply(res, 200, { ok: true, value: { root, path: target, bytes } });
}
