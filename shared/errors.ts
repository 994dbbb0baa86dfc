/**
 * Errors cross every boundary (IPC, HTTP/WebSocket, trainer processes, CLI) as plain
 * `{code, message, details}` objects and become `ApiError` again on the other side.
 * The user sees `message`; `details` carries machine-readable context (a zod issue list, a file name).
 */
import { z } from 'zod';

export const ErrorCode = z.enum([
  'invalid_argument', // the caller sent something malformed: wrong types, NaN, unknown fields…
  'not_found',
  'conflict', // e.g. deleting a data set that runs still use, importing the same files twice
  'failed_precondition', // the operation is valid but not now (sweep already running…)
  'bad_data', // a file that cannot be read as what it claims to be
  'unauthenticated',
  'permission_denied', // allowed to call, not to touch that: a server path outside browser mode's roots, a read-only data folder
  'cancelled',
  'unavailable', // a backend, a network download, a trainer that could not start
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorShape = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorShape = z.infer<typeof ErrorShape>;

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
  }

  toJSON(): ErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds an ApiError from whatever crossed a boundary; anything unrecognised becomes 'internal'. */
  static from(value: unknown): ApiError {
    if (value instanceof ApiError) return value;
    const parsed = ErrorShape.safeParse(value);
    if (parsed.success) return new ApiError(parsed.data.code, parsed.data.message, parsed.data.details);
    if (value instanceof Error) return new ApiError('internal', value.message);
    return new ApiError('internal', String(value));
  }
}

/** Turns zod issues into one readable line: `config.lr: Too small: expected number to be >0`. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** The OS and SQLite codes of a full disk (or a quota reached). */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** Whether a thrown value is a full disk: an ENOSPC/EDQUOT from the OS or SQLITE_FULL from SQLite. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return /\bENOSPC\b|no space left on device|database or disk is full|^Disk full\b/i.test(message);
}

/**
 * The error users see for a write that failed: "Disk full: could not write <what>" for a full
 * disk, otherwise the OS error named with what was being written. Never a stack.
 */
export function writeFailure(error: unknown, what: string): ApiError {
  if (error instanceof ApiError && /^Disk full\b/.test(error.message)) return error;
  if (isDiskFull(error)) return new ApiError('unavailable', `Disk full: could not write ${what}`);
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError('unavailable', `Could not write ${what}: ${message}`);
}
