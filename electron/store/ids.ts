import { randomBytes } from 'node:crypto';

/** A short, URL- and file-name-safe random id (72 bits). */
export function newId(): string {
  return randomBytes(9).toString('base64url');
}

export function nowIso(): string {
  return new Date().toISOString();
}
