/**
 * Where a produced file goes: written to the caller's path, or carried back as base64 (browser
 * mode's download). One helper so every report and export treats paths the same way: absolute
 * only, the parent folder must already exist (a typo in a folder name is an error, not a new
 * tree), an existing file is kept unless the caller says overwrite (a save dialog already asked),
 * and the bytes land in a temporary file renamed into place, so a failure never leaves half a PDF.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ApiError } from '../shared/errors';
import type { FileResult } from '../shared/contract/reports';

export interface OutputOptions {
  path?: string;
  overwrite: boolean;
}

function checkTarget(path: string, overwrite: boolean): void {
  if (!isAbsolute(path)) throw new ApiError('invalid_argument', `The output path must be absolute: ${path}`);
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new ApiError('not_found', `No folder ${parent} to write ${basename(path)} into`);
  }
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new ApiError('invalid_argument', `${path} is a folder; give a file name`);
    if (!overwrite) throw new ApiError('conflict', `${path} already exists (choose another name, or overwrite)`);
  }
}

/** Writes `bytes` atomically (temp file + rename in the same folder). */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.part`);
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new ApiError('unavailable', `Could not write ${path}: ${(error as Error).message}`);
  }
}

/** Delivers one produced file as the contract's FileResult. */
export function deliver(
  content: Uint8Array | string,
  meta: { fileName: string; mimeType: string },
  output: OutputOptions,
): FileResult {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (output.path) {
    checkTarget(output.path, output.overwrite);
    writeFileAtomic(output.path, bytes);
    return { fileName: basename(output.path), mimeType: meta.mimeType, bytes: bytes.length, path: output.path, base64: null };
  }
  return { fileName: meta.fileName, mimeType: meta.mimeType, bytes: bytes.length, path: null, base64: bytes.toString('base64') };
}

/**
 * Prepares a folder for several files (a model export): created if missing (its parent must
 * exist), and none of `names` may already be there unless `overwrite`.
 */
export function prepareFolder(dir: string, names: string[], overwrite: boolean): void {
  if (!isAbsolute(dir)) throw new ApiError('invalid_argument', `The output folder must be absolute: ${dir}`);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new ApiError('invalid_argument', `${dir} is a file, not a folder`);
  } else {
    const parent = dirname(dir);
    if (!existsSync(parent)) throw new ApiError('not_found', `No folder ${parent} to create ${basename(dir)} in`);
    mkdirSync(dir);
  }
  if (!overwrite) {
    const taken = names.filter((n) => existsSync(join(dir, n)));
    if (taken.length) throw new ApiError('conflict', `${dir} already holds ${taken.join(', ')} (choose another folder, or overwrite)`);
  }
}

/** A file-name-safe version of a user-given name ("kmnist both, lr=0.001" → "kmnist-both-lr-0.001"). */
export function safeFileStem(name: string, fallback = 'sweeplab'): string {
  const stem = name
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return stem || fallback;
}
