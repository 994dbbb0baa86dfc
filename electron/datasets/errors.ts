/**
 * Error helpers for data-set import. Every problem with a user's file ends as one ApiError whose
 * message is a single line naming the file and the problem, so the CLI can print it as is and the
 * UI can show it in a toast; `details.file` carries the path for programs.
 */
import { ApiError } from '../../shared/errors';

/** Collapses whitespace so messages from zlib, sharp or the OS stay on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function badData(file: string, problem: string, details: Record<string, unknown> = {}): ApiError {
  return new ApiError('bad_data', oneLine(`${file}: ${problem}`), { file, ...details });
}

export function cancelledError(what = 'Import'): ApiError {
  return new ApiError('cancelled', `${what} cancelled`);
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw cancelledError(what);
}

/** Turns an OS error on `file` into a bad_data ApiError with a readable reason. */
export function fileError(file: string, error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'EACCES' || code === 'EPERM'
      ? 'cannot be read (permission denied)'
      : code === 'ENOENT'
        ? file.includes('\uFFFD')
          ? 'no such file or folder (its name holds bytes that are not UTF-8 and could not be passed on as they are: rename it)'
          : 'no such file or folder'
        : code === 'EISDIR'
          ? 'is a folder, expected a file'
          : code === 'ENOTDIR'
            ? 'a part of this path is not a folder'
            : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
  return badData(file, reason, code ? { errno: code } : {});
}

/** Human-readable byte counts for messages ("47.0 MB"). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
