import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A short random id (12 letters and digits, ~71 bits). Letters and digits only: an id that began
 * with '-' would read as an option on the command line (`sweeplab report -x…`).
 */
export function newId(length = 12): string {
  // 256 is not a multiple of 62: redraw bytes ≥ 248 so every character is equally likely.
  let id = '';
  while (id.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && id.length < length) id += ALPHABET[byte % 62];
    }
  }
  return id;
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to another user). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}
