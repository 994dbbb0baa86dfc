import { z } from 'zod';
import { Dataset, Id } from '../domain';
import { neutraliseBidi } from '../text';
import { ErrorShape } from '../errors';
import { Empty, Ok, method } from './common';

export const ImportDatasets = z.strictObject({
  /** Files or folders on the machine that runs the main process. */
  paths: z.array(z.string().min(1).max(4096)).min(1).max(1000),
  name: z.string().overwrite(neutraliseBidi).trim().min(1).max(200).optional(),
  /** Size of the seeded hold-out when the files have no test split (default: 1/6 of the training data). */
  holdOut: z.number().int().min(1).optional(),
  /** Image-folder imports: resize to this square size (default 28). */
  imageSize: z.number().int().min(4).max(256).optional(),
});

export const CatalogId = z.enum(['mnist', 'fashion-mnist', 'kmnist']);
export type CatalogId = z.infer<typeof CatalogId>;

export const DatasetDetail = z.strictObject({
  dataset: Dataset,
  /** A few PNG data URLs per class, for previews: samples[classIndex] = [dataUrl, …]. */
  samples: z.array(z.array(z.string())),
});

export const datasetMethods = {
  'datasets.list': method(Empty, z.array(Dataset)),
  'datasets.get': method(z.strictObject({ id: Id, samplesPerClass: z.number().int().min(0).max(32).default(6) }), DatasetDetail),
  'datasets.import': method(ImportDatasets, Dataset),
  'datasets.download': method(z.strictObject({ catalogId: CatalogId, name: z.string().overwrite(neutraliseBidi).trim().min(1).max(200).optional() }), Dataset),
  'datasets.rename': method(z.strictObject({ id: Id, name: z.string().overwrite(neutraliseBidi).trim().min(1).max(200) }), Dataset),
  'datasets.delete': method(z.strictObject({ id: Id, cascade: z.boolean().default(false) }), Ok),
} as const;

export const datasetEvents = {
  'dataset.updated': Dataset,
  'dataset.deleted': z.strictObject({ id: Id }),
  /** Import or download progress; `done`/`total` in bytes or items as the phase implies. */
  'dataset.progress': z.strictObject({
    taskId: z.string(),
    phase: z.enum(['download', 'verify', 'parse', 'store', 'done', 'failed']),
    label: z.string(),
    done: z.number(),
    total: z.number().nullable(),
    error: ErrorShape.optional(),
  }),
} as const;
