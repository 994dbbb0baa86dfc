/**
 * The built-in catalog of downloadable data sets (resources/catalog.json): where each lives, the
 * md5 of every file as published, and class names. md5 guards downloads only: a local copy may be
 * re-packed (Debian's Fashion-MNIST .gz files differ from the published ones, same payload), and
 * imports recognise repeated data by the checksum of the decoded content instead.
 */
import { z } from 'zod';
import { Id } from '../../shared/domain';
import { ApiError, describeIssues } from '../../shared/errors';
import catalogJson from '../../resources/catalog.json';

export const CatalogFile = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a plain file name'),
  md5: z.string().regex(/^[0-9a-f]{32}$/, '32 lowercase hex digits'),
});
export type CatalogFile = z.infer<typeof CatalogFile>;

export const CatalogEntry = z.strictObject({
  id: Id,
  name: z.string().min(1).max(200),
  description: z.string(),
  homepage: z.string(),
  license: z.string(),
  /** Mirrors, tried in turn; each ends with "/" and a file's URL is base + file name. */
  baseUrls: z.array(z.string().url().endsWith('/')).min(1),
  files: z.array(CatalogFile).min(2),
  classNames: z.array(z.string().min(1)).min(2).max(256),
});
export type CatalogEntry = z.infer<typeof CatalogEntry>;

export const Catalog = z.strictObject({
  version: z.literal(1),
  datasets: z.array(CatalogEntry),
});
export type Catalog = z.infer<typeof Catalog>;

export function parseCatalog(value: unknown): Catalog {
  const parsed = Catalog.safeParse(value);
  if (!parsed.success) throw new ApiError('internal', `The data-set catalog is invalid: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** The catalog shipped with the app. */
export function builtinCatalog(): Catalog {
  return parseCatalog(catalogJson);
}

/**
 * Mirrors to try for an entry, in order: the `baseUrl` option wins (that folder holds the files),
 * else SWEEPLAB_CATALOG_BASE_URL (a root holding one folder per catalog id, `<root>/<id>/<file>`,
 * for an in-house mirror of the whole catalog), else the catalog's own mirrors.
 */
export function mirrorsFor(entry: CatalogEntry, baseUrl?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const slash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
  if (baseUrl) return [slash(baseUrl)];
  if (env.SWEEPLAB_CATALOG_BASE_URL) return [`${slash(env.SWEEPLAB_CATALOG_BASE_URL)}${entry.id}/`];
  return entry.baseUrls;
}
