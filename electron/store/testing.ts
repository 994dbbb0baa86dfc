/**
 * For tests only: the raw connection behind a store, to inspect pragmas or seed summary columns
 * directly. Product code reaches the database through the repositories (the layers check refuses
 * an import of this file or of store/db.ts from outside electron/store/).
 */
import type { Db } from './db';
import { databaseOf } from './handle';

export function rawDatabase(store: object): Db {
  return databaseOf(store);
}
