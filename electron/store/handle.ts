import type { Db } from './db';

/**
 * Which connection a store holds. The store does not hand it out; tests that inspect or seed
 * tables directly reach it through store/testing.ts.
 */
const databases = new WeakMap<object, Db>();

export function registerDatabase(store: object, db: Db): void {
  databases.set(store, db);
}

export function databaseOf(store: object): Db {
  const db = databases.get(store);
  if (!db) throw new Error('not a store opened by openStore');
  return db;
}
