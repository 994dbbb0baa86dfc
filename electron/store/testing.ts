/**
 * For tests only: the raw connection behind a store, to inspect pragmas or seed summary columns
 * directly. Product code reaches the database through the repositories (the layers check refuses
 * an import of this file or of store/db.ts from outside electron/store/).
 */
export { storeDatabase as rawDatabase } from './index';
