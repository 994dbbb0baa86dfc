import { randomFillSync } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A short random id (12 letters and digits, ~71 bits). Letters and digits only: an id that began
 * with '-' would read as an option on the command line (`sweeplab report -x…`).
 */
/**
 * Random bytes drawn 4 KiB at a time: each randomBytes call is a system call, and a sweep of
 * 5,000 trials making one per id kept the event loop busy for a quarter of a second.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomByte(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++]!;
}

export function newId(length = 12): string {
  // 256 is not a multiple of 62: redraw bytes ≥ 248 so every character is equally likely.
  let id = '';
  while (id.length < length) {
    const byte = randomByte();
    if (byte < 248) id += ALPHABET[byte % 62];
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
