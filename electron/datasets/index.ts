/** The data-set library's public surface (see library.ts for the design). */
export { DatasetLibrary, defaultDatasetId } from './library';
export type { DatasetLibraryOptions, DatasetProgress, DownloadOptions, ImportOptions, ImportResult, RecoverReport } from './library';
export { MemoryDatasetRecords } from './records';
export type { DatasetRecords, DatasetUsage } from './records';
export { readStoredDataset, writeStoredDataset, contentChecksum } from './storage';
export type { StoredDataset, StoredSplit } from './storage';
export { readIdx } from './idx';
export type { IdxArray } from './idx';
export { builtinCatalog } from './catalog';
export type { Catalog, CatalogEntry } from './catalog';
