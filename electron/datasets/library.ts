/**
 * DatasetLibrary: the data sets on this machine, as the service uses them. Imports files and
 * folders, downloads catalog entries, stores each data set under `<dataDir>/datasets/<id>/`
 * (storage.ts), keeps its row through the injected DatasetRecords, makes preview images, renames,
 * deletes, and cleans up after crashes.
 *
 * An import is atomic: everything is written into `datasets/.tmp-<id>/`, flushed, renamed to
 * `datasets/<id>/`, and only then is the row inserted, the commit point. A failed or cancelled
 * import removes what it wrote; a killed one leaves a `.tmp-*` folder or a folder without a row,
 * and recover() (call it once at start-up) removes both.
 *
 * Importing the same content twice (same decoded images, labels, shape, class names and hold-out,
 * whatever the file format or compression) does not create a second copy: the existing data set is
 * returned, with `reused: true` from the *Detailed methods, so the CLI can say "reused".
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import sharp from 'sharp';
import type { EventPayload } from '../../shared/contract';
import { Dataset } from '../../shared/domain';
import { ApiError, describeIssues } from '../../shared/errors';
import type { SplitData } from './blocks';
import { builtinCatalog, mirrorsFor, type Catalog, type CatalogEntry } from './catalog';
import { downloadFile, type DownloadFileOptions } from './download';
import { oneLine } from './errors';
import { defaultHoldOutSize, HOLD_OUT_SEED, stratifiedHoldOut, takeSamples } from './holdout';
import { parsePaths, type ParsedDataset } from './parse';
import type { DatasetRecords } from './records';
import {
  contentChecksum,
  META_FILE,
  readMeta,
  readStoredDataset,
  splitFiles,
  syncDir,
  writeJsonDurably,
  writeStoredDataset,
  type StoredDataset,
} from './storage';

export type DatasetProgress = EventPayload<'dataset.progress'>;

export interface DatasetLibraryOptions {
  /** The app's data folder; data sets live in `<dataDir>/datasets/`. */
  dataDir: string;
  records: DatasetRecords;
  /** Makes ids for new data sets; must match /^[A-Za-z0-9_-]{1,64}$/. Default: 20 hex digits of a UUID. */
  newId?: () => string;
  /** Default: resources/catalog.json. */
  catalog?: Catalog;
  /** Cap on what one input file may expand to (decompression-bomb guard); default 2 GiB. */
  maxBytes?: number;
  /** Retry and timeout settings for catalog downloads. */
  download?: Pick<DownloadFileOptions, 'attempts' | 'backoffMs' | 'stallTimeoutMs' | 'fetch'>;
  /** For SWEEPLAB_CATALOG_BASE_URL; default process.env. */
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

export interface ImportOptions {
  name?: string;
  /** Hold-out size when the files have no test split (default 1/6 of the samples); ignored when they have one. */
  holdOut?: number;
  /** Image folders: resize to imageSize x imageSize (default 28). */
  imageSize?: number;
  onProgress?: (progress: DatasetProgress) => void;
  signal?: AbortSignal;
  /** The progress events' taskId; default a fresh UUID. */
  taskId?: string;
  /**
   * Folders that hold browser uploads, one random-id session folder each. A data set imported from
   * inside one is named from its files, its source lists the files as the user named them, and
   * messages show those names, not the server's paths.
   */
  uploadRoots?: readonly string[];
}

export interface DownloadOptions {
  name?: string;
  onProgress?: (progress: DatasetProgress) => void;
  signal?: AbortSignal;
  /** A folder URL that holds the entry's files, instead of the catalog's mirrors. */
  baseUrl?: string;
  taskId?: string;
}

export interface ImportResult {
  dataset: Dataset;
  /** True when the same content was imported before and that data set is returned. */
  reused: boolean;
}

export interface RecoverReport {
  /** Folders removed: unfinished imports, and finished copies of content registered under another id. */
  removed: string[];
  /** Finished data-set folders (complete meta.json and files) that had no row and were registered again. */
  registered: string[];
  /** Ids of rows whose folder is missing or damaged (left for the user to delete or re-import). */
  damaged: string[];
}

const OWNER_FILE = '.owner';
const TMP_PREFIX = '.tmp-';
const DOWNLOADS_DIR = '.downloads';
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function defaultDatasetId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 20);
}

/** Progress events for one task: phase changes always, the same phase at most every 100 ms. */
class Reporter {
  private last = 0;
  private lastKey = '';

  constructor(
    readonly taskId: string,
    private readonly sink: ((p: DatasetProgress) => void) | undefined,
  ) {}

  emit(phase: DatasetProgress['phase'], label: string, done: number, total: number | null, force = false): void {
    if (!this.sink) return;
    const key = `${phase}|${label}`;
    const now = Date.now();
    if (!force && key === this.lastKey && now - this.last < 100 && done !== total) return;
    this.last = now;
    this.lastKey = key;
    try {
      this.sink({ taskId: this.taskId, phase, label, done, total });
    } catch {
      // A listener's failure must not fail the import.
    }
  }

  failed(error: ApiError): void {
    try {
      this.sink?.({ taskId: this.taskId, phase: 'failed', label: error.message, done: 0, total: null, error: error.toJSON() });
    } catch {
      // as above
    }
  }
}

/** The upload session folders (`<root>/<session id>`) the given paths lie in. */
function uploadSessions(paths: readonly string[], roots: readonly string[]): string[] {
  const sessions = new Set<string>();
  for (const root of roots.map((r) => resolve(r))) {
    for (const path of paths.map((p) => resolve(p))) {
      if (!path.startsWith(root + sep)) continue;
      const id = path.slice(root.length + 1).split(sep)[0];
      if (id) sessions.add(join(root, id));
    }
  }
  return [...sessions];
}

/** A text with upload session folders taken out of its paths: what the user dropped, as named. */
function hideSessions(text: string, sessions: readonly string[]): string {
  let out = text;
  for (const session of sessions) out = out.split(session + sep).join('').split(session).join('the uploaded files');
  return out;
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if ((error as Error)?.name === 'AbortError') return new ApiError('cancelled', 'Import cancelled');
  return new ApiError('internal', oneLine(error instanceof Error ? error.message : String(error)));
}

function classCounts(split: SplitData, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < split.labels.length; i++) counts[split.labels[i]!]! += 1;
  return counts;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DatasetLibrary {
  readonly root: string;
  private readonly records: DatasetRecords;
  private readonly newId: () => string;
  private readonly catalogData: Catalog;
  private readonly options: DatasetLibraryOptions;
  /** Ids being written by this process: recover() leaves them alone. */
  private readonly active = new Set<string>();
  /** Commits in flight by checksum, so two imports of the same files make one data set. */
  private readonly committing = new Map<string, Promise<unknown>>();
  /** Catalog downloads in flight: a second request for the same entry joins the first. */
  private readonly downloading = new Map<string, Promise<ImportResult>>();

  constructor(options: DatasetLibraryOptions) {
    this.options = options;
    this.root = join(options.dataDir, 'datasets');
    this.records = options.records;
    this.newId = options.newId ?? defaultDatasetId;
    this.catalogData = options.catalog ?? builtinCatalog();
  }

  /** The folder of a data set (whether or not it exists). Refuses ids that could leave `root`. */
  dirFor(id: string): string {
    if (!ID_PATTERN.test(id)) throw new ApiError('invalid_argument', `Invalid data-set id ${JSON.stringify(id)}`);
    return join(this.root, id);
  }

  list(): Dataset[] {
    return this.records.list();
  }

  get(id: string): Dataset | null {
    return this.records.get(id);
  }

  private require(id: string): Dataset {
    const dataset = this.records.get(id);
    if (!dataset) throw new ApiError('not_found', `No data set with id ${id}`);
    return dataset;
  }

  /** The data set's images and labels in memory (what the trainer reads). */
  async load(id: string): Promise<StoredDataset> {
    this.require(id);
    return readStoredDataset(this.dirFor(id));
  }

  catalog(): CatalogEntry[] {
    return this.catalogData.datasets;
  }

  /**
   * A catalog data set brought in from local files (Debian's dataset-fashion-mnist, a KMNIST .npz
   * from a notebook folder) carries only label numbers. When the files' names say which catalog
   * entry they are and the shape and split sizes agree (28x28x1, 10 classes, 60k + 10k), take the
   * entry's class names: "Sneaker" beats "7" in every chart. The names also enter the checksum, so
   * the same set downloaded from the catalog is recognised as this one.
   */
  private recognise(parsed: ParsedDataset): CatalogEntry | null {
    if (parsed.classNames || parsed.numClasses !== 10 || parsed.train.count !== 60000 || parsed.test?.count !== 10000) return null;
    if (parsed.shape.join('x') !== '28x28x1') return null;
    const names = [parsed.sourcePath, ...parsed.files].join(' ').toLowerCase();
    const id = /fashion/.test(names) ? 'fashion-mnist' : /kmnist|kuzushiji/.test(names) ? 'kmnist' : /mnist/.test(names) ? 'mnist' : null;
    return this.catalogData.datasets.find((e) => e.id === id && e.classNames?.length === 10) ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Import

  async importPaths(paths: string[], options: ImportOptions = {}): Promise<Dataset> {
    return (await this.importPathsDetailed(paths, options)).dataset;
  }

  async importPathsDetailed(paths: string[], options: ImportOptions = {}): Promise<ImportResult> {
    const reporter = new Reporter(options.taskId ?? randomUUID(), options.onProgress);
    const sessions = uploadSessions(paths, options.uploadRoots ?? []);
    try {
      reporter.emit('parse', 'Reading files', 0, null, true);
      const parsed = await parsePaths(paths, {
        imageSize: options.imageSize,
        maxBytes: this.options.maxBytes,
        signal: options.signal,
        onProgress: (p) => reporter.emit('parse', hideSessions(p.label, sessions), p.done, p.total),
        anonymousDirs: sessions,
      });
      const known = this.recognise(parsed);
      if (known) parsed.classNames = known.classNames;
      const source = sessions.length
        ? `${parsed.format}:${parsed.files.map((f) => hideSessions(f, sessions)).join(', ')}`
        : `${parsed.format}:${parsed.sourcePath}`;
      return await this.commit(parsed, { name: options.name, holdOut: options.holdOut, source }, reporter, options.signal);
    } catch (error) {
      let apiError = toApiError(error);
      if (sessions.length) apiError = new ApiError(apiError.code, hideSessions(apiError.message, sessions), apiError.details);
      reporter.failed(apiError);
      throw apiError;
    }
  }

  private async commit(
    parsed: ParsedDataset,
    spec: { name?: string; holdOut?: number; source: string },
    reporter: Reporter,
    signal: AbortSignal | undefined,
  ): Promise<ImportResult> {
    const { shape, numClasses } = parsed;
    const sampleBytes = shape[0] * shape[1] * shape[2];
    let holdOut: { size: number; seed: number } | null = null;
    if (!parsed.test) {
      const size = spec.holdOut ?? defaultHoldOutSize(parsed.train.count);
      if (parsed.train.count < 2) throw new ApiError('bad_data', `${parsed.sourcePath}: one sample is too few to hold any out for validation`);
      if (!Number.isInteger(size) || size < 1 || size >= parsed.train.count) {
        throw new ApiError('invalid_argument', `A hold-out of ${size} samples must be between 1 and ${parsed.train.count - 1} (the files hold ${parsed.train.count})`);
      }
      holdOut = { size, seed: HOLD_OUT_SEED };
    }
    reporter.emit('store', 'Checking for an earlier import', 0, null, true);
    const classNames = parsed.classNames ?? Array.from({ length: numClasses }, (_, i) => String(i));
    const checksum = contentChecksum({ shape, classNames: parsed.classNames, train: parsed.train, test: parsed.test, holdOut });

    // Another import of the same content in this process: let it finish, then reuse its result.
    while (this.committing.has(checksum)) await this.committing.get(checksum)!.catch(() => undefined);
    const work = this.commitUnique(parsed, spec, reporter, signal, { checksum, classNames, holdOut, sampleBytes });
    this.committing.set(checksum, work);
    try {
      return await work;
    } finally {
      this.committing.delete(checksum);
    }
  }

  private async commitUnique(
    parsed: ParsedDataset,
    spec: { name?: string; source: string },
    reporter: Reporter,
    signal: AbortSignal | undefined,
    c: { checksum: string; classNames: string[]; holdOut: { size: number; seed: number } | null; sampleBytes: number },
  ): Promise<ImportResult> {
    const existing = this.records.findByChecksum(c.checksum);
    if (existing && (await this.intact(existing))) {
      reporter.emit('done', `Already imported as “${existing.name}”; reusing it`, 1, 1, true);
      return { dataset: existing, reused: true };
    }

    let train = parsed.train;
    let test = parsed.test;
    if (c.holdOut) {
      reporter.emit('store', `Holding out ${c.holdOut.size} samples for validation`, 0, null, true);
      const split = stratifiedHoldOut(parsed.train.labels, c.holdOut.size, c.holdOut.seed);
      train = takeSamples(parsed.train, split.train, c.sampleBytes);
      test = takeSamples(parsed.train, split.test, c.sampleBytes);
    }
    // A row whose folder is gone or damaged: the same content restores it under the same id.
    const id = existing?.id ?? this.newId();
    if (!ID_PATTERN.test(id)) throw new ApiError('internal', `The id generator made an invalid id ${JSON.stringify(id)}`);
    const name = (spec.name ?? parsed.suggestedName).trim().slice(0, 200) || 'Imported data set';
    const candidate = existing ?? {
      id,
      name,
      source: spec.source.length > 4096 ? spec.source.slice(0, 4096) : spec.source,
      shape: parsed.shape,
      numClasses: parsed.numClasses,
      classNames: c.classNames,
      counts: { train: train.count, test: test!.count },
      classCounts: { train: classCounts(train, parsed.numClasses), test: classCounts(test!, parsed.numClasses) },
      heldOut: c.holdOut !== null,
      checksum: c.checksum,
      createdAt: (this.options.now?.() ?? new Date()).toISOString(),
    };
    const valid = Dataset.safeParse(candidate);
    if (!valid.success) throw new ApiError('bad_data', `${parsed.sourcePath}: ${describeIssues(valid.error.issues)}`);
    const meta = valid.data;

    const tmp = join(this.root, `${TMP_PREFIX}${id}`);
    const final = join(this.root, id);
    this.active.add(id);
    let renamed = false;
    try {
      await mkdir(this.root, { recursive: true });
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp);
      // Marks the folder as being written by this process until the row exists (see recover()).
      await writeFile(join(tmp, OWNER_FILE), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
      await writeStoredDataset(tmp, meta, train, test!, {
        signal,
        onProgress: (done, total) => reporter.emit('store', 'Writing data set', done, total),
      });
      if (signal?.aborted) throw new ApiError('cancelled', 'Import cancelled');
      if (existing) await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
      renamed = true;
      await syncDir(this.root);
      if (!existing) {
        try {
          this.records.insert(meta);
        } catch (error) {
          // Another process committed the same content first: use that one.
          const winner = this.records.findByChecksum(c.checksum);
          if (winner) {
            await rm(final, { recursive: true, force: true });
            renamed = false;
            reporter.emit('done', `Already imported as “${winner.name}”; reusing it`, 1, 1, true);
            return { dataset: winner, reused: true };
          }
          throw error;
        }
      }
      await unlink(join(final, OWNER_FILE)).catch(() => undefined);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      if (renamed && !existing) await rm(final, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    } finally {
      this.active.delete(id);
    }
    reporter.emit('done', existing ? `Restored “${meta.name}”` : `Imported “${meta.name}”`, meta.counts.train + meta.counts.test, meta.counts.train + meta.counts.test, true);
    return { dataset: meta, reused: existing !== null };
  }

  /** Whether a data set's folder is there with the files its row promises. */
  private async intact(dataset: Dataset): Promise<boolean> {
    const dir = this.dirFor(dataset.id);
    const sampleBytes = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
    try {
      for (const split of ['train', 'test'] as const) {
        const names = splitFiles(split);
        if ((await stat(join(dir, names.images))).size !== dataset.counts[split] * sampleBytes) return false;
        if ((await stat(join(dir, names.labels))).size !== dataset.counts[split]) return false;
      }
      await stat(join(dir, META_FILE));
      return true;
    } catch {
      return false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Catalog downloads

  async download(catalogId: string, options: DownloadOptions = {}): Promise<Dataset> {
    return (await this.downloadDetailed(catalogId, options)).dataset;
  }

  async downloadDetailed(catalogId: string, options: DownloadOptions = {}): Promise<ImportResult> {
    const running = this.downloading.get(catalogId);
    if (running) return running;
    const work = this.runDownload(catalogId, options);
    this.downloading.set(catalogId, work);
    try {
      return await work;
    } finally {
      this.downloading.delete(catalogId);
    }
  }

  private async runDownload(catalogId: string, options: DownloadOptions): Promise<ImportResult> {
    const reporter = new Reporter(options.taskId ?? randomUUID(), options.onProgress);
    const entry = this.catalogData.datasets.find((d) => d.id === catalogId);
    if (!entry) {
      const error = new ApiError('not_found', `No data set ${JSON.stringify(catalogId)} in the catalog (known: ${this.catalogData.datasets.map((d) => d.id).join(', ')})`);
      reporter.failed(error);
      throw error;
    }
    // Downloaded before (and still whole): no need to fetch 30 MB again to find that out.
    for (const dataset of this.records.list()) {
      if (dataset.source === `catalog:${entry.id}` && (await this.intact(dataset))) {
        reporter.emit('done', `Already downloaded as “${dataset.name}”; reusing it`, 1, 1, true);
        return { dataset, reused: true };
      }
    }
    // Completed, verified files stay here until the import succeeds, and partial ones (.part)
    // until a later try resumes them: a network failure does not cost what was already fetched.
    const cache = join(this.root, DOWNLOADS_DIR, entry.id);
    const mirrors = mirrorsFor(entry, options.baseUrl, this.options.env ?? process.env);
    try {
      await mkdir(cache, { recursive: true });
      for (const file of entry.files) {
        const dest = join(cache, file.name);
        if (await stat(dest).then((s) => s.isFile(), () => false)) continue; // verified by an earlier try
        await downloadFile(
          mirrors.map((base) => `${base}${file.name}`),
          dest,
          file.md5,
          {
            ...this.options.download,
            signal: options.signal,
            onProgress: (done, total) => reporter.emit('download', `Downloading ${file.name}`, done, total),
            onVerify: () => reporter.emit('verify', `Checking ${file.name}`, 0, null, true),
          },
        );
      }
      reporter.emit('parse', `Reading ${entry.name}`, 0, null, true);
      const parsed = await parsePaths(
        entry.files.map((f) => join(cache, f.name)),
        {
          classNames: entry.classNames,
          maxBytes: this.options.maxBytes,
          signal: options.signal,
          onProgress: (p) => reporter.emit('parse', p.label, p.done, p.total),
        },
      );
      const result = await this.commit(parsed, { name: options.name ?? entry.name, source: `catalog:${entry.id}` }, reporter, options.signal);
      await this.dropDownloadCache(cache);
      return result;
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.code !== 'unavailable') await this.dropDownloadCache(cache).catch(() => undefined);
      reporter.failed(apiError);
      throw apiError;
    }
  }

  /** Removes one entry's download cache, and the cache folder once no other entry uses it. */
  private async dropDownloadCache(cache: string): Promise<void> {
    await rm(cache, { recursive: true, force: true });
    await rmdir(join(this.root, DOWNLOADS_DIR)).catch(() => undefined); // fails while not empty: fine
  }

  // -------------------------------------------------------------------------------------------
  // Previews, rename, delete

  /**
   * Up to `perClass` PNG data URLs per class (samples[classIndex]), the first of each class in the
   * training split (then the test split for classes training lacks). Reads the labels and only the
   * chosen images, not the whole set.
   */
  async samples(id: string, perClass: number): Promise<string[][]> {
    const dataset = this.require(id);
    const dir = this.dirFor(id);
    const [h, w, c] = dataset.shape;
    const sampleBytes = h * w * c;
    const out: string[][] = Array.from({ length: dataset.numClasses }, () => []);
    if (perClass <= 0) return out;
    for (const split of ['train', 'test'] as const) {
      const names = splitFiles(split);
      let labels: Buffer;
      try {
        labels = await readFile(join(dir, names.labels));
      } catch (error) {
        throw new ApiError('bad_data', `Stored data set “${dataset.name}” is damaged: cannot read ${names.labels} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
      const picks: number[][] = Array.from({ length: dataset.numClasses }, () => []);
      for (let i = 0; i < labels.length; i++) {
        const k = labels[i]!;
        if (k < out.length && out[k]!.length + picks[k]!.length < perClass) picks[k]!.push(i);
      }
      if (picks.every((p) => p.length === 0)) continue;
      const handle = await open(join(dir, names.images), 'r');
      try {
        for (let k = 0; k < picks.length; k++) {
          for (const index of picks[k]!) {
            const pixels = Buffer.alloc(sampleBytes);
            await handle.read(pixels, 0, sampleBytes, index * sampleBytes);
            let image = sharp(pixels, { raw: { width: w, height: h, channels: c as 1 | 2 | 3 | 4 } });
            if (c === 1) image = image.toColourspace('b-w'); // an 8-bit grey PNG, a third the size of RGB
            const png = await image.png().toBuffer();
            out[k]!.push(`data:image/png;base64,${png.toString('base64')}`);
          }
        }
      } finally {
        await handle.close();
      }
      if (out.every((list, k) => list.length >= Math.min(perClass, dataset.classCounts.train[k]! + dataset.classCounts.test[k]!))) break;
    }
    return out;
  }

  async rename(id: string, name: string): Promise<Dataset> {
    this.require(id);
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 200) throw new ApiError('invalid_argument', 'A data-set name must be 1 to 200 characters');
    this.records.rename(id, trimmed);
    const updated = this.require(id);
    // The row is authoritative; meta.json follows so the folder stays self-describing.
    try {
      const meta = await readMeta(this.dirFor(id));
      await writeJsonDurably(join(this.dirFor(id), META_FILE), { ...meta, name: trimmed });
    } catch {
      // A damaged folder is reported where it is read; renaming the row still succeeded.
    }
    return updated;
  }

  /**
   * Deletes a data set: refused with 'conflict' while runs or sweeps use it, unless `cascade`
   * (which deletes those too, through the records). The row goes first, then the folder is moved
   * aside and removed: a crash in between leaves only what recover() removes.
   */
  async delete(id: string, options: { cascade?: boolean } = {}): Promise<void> {
    const dataset = this.require(id);
    const usage = this.records.usage(id);
    if (!options.cascade && (usage.runs > 0 || usage.sweeps > 0)) {
      const parts = [usage.runs ? `${usage.runs} run${usage.runs === 1 ? '' : 's'}` : '', usage.sweeps ? `${usage.sweeps} sweep${usage.sweeps === 1 ? '' : 's'}` : ''].filter(Boolean);
      throw new ApiError('conflict', `Data set “${dataset.name}” is used by ${parts.join(' and ')}; delete those first, or delete it together with them`, usage);
    }
    this.records.delete(id, options.cascade ?? false);
    const dir = this.dirFor(id);
    const trash = join(this.root, `${TMP_PREFIX}deleted-${id}`);
    try {
      await rename(dir, trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await rm(trash, { recursive: true, force: true });
  }

  // -------------------------------------------------------------------------------------------
  // Crash recovery

  /**
   * Removes what interrupted imports left: `.tmp-*` folders and data-set folders that no row
   * refers to, unless a live process (this one or another Sweeplab sharing the data folder) is
   * still writing them. Reports rows whose folder is missing or damaged.
   */
  async recover(): Promise<RecoverReport> {
    const report: RecoverReport = { removed: [], registered: [], damaged: [] };
    let names: string[];
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') names = [];
      else throw error;
    }
    for (const name of names) {
      if (name === DOWNLOADS_DIR) continue;
      const dir = join(this.root, name);
      const id = name.startsWith(TMP_PREFIX) ? name.slice(TMP_PREFIX.length) : name;
      if (!name.startsWith(TMP_PREFIX) && !ID_PATTERN.test(name)) continue; // not ours
      if (this.active.has(id)) continue;
      if (!name.startsWith(TMP_PREFIX) && this.records.get(id)) {
        await this.dropStaleOwner(dir);
        continue;
      }
      if (await this.ownedByLiveProcess(dir)) continue;
      // Only a .tmp folder can be caught between its mkdir and its .owner file; a data-set folder
      // arrives by rename, complete, with its .owner inside.
      if (name.startsWith(TMP_PREFIX) && (await this.justCreated(dir))) continue;
      if (!name.startsWith(TMP_PREFIX)) {
        // A finished folder with no row: the database was lost or replaced (a zero-byte or
        // deleted sweeplab.db), or an import died between its rename and its row. Its meta.json
        // says everything the row holds, so it is registered again, never deleted.
        const outcome = await this.reRegister(id, dir);
        if (outcome === 'registered') {
          report.registered.push(id);
          continue;
        }
        if (outcome === 'incomplete') {
          report.damaged.push(id);
          continue;
        }
        // 'duplicate': the same content is registered under another id (the loser of a commit race).
      }
      await rm(dir, { recursive: true, force: true });
      report.removed.push(name);
    }
    for (const dataset of this.records.list()) {
      if (!(await this.intact(dataset))) report.damaged.push(dataset.id);
    }
    return report;
  }

  private async reRegister(id: string, dir: string): Promise<'registered' | 'duplicate' | 'incomplete'> {
    let meta: Dataset;
    try {
      meta = (await readStoredDataset(dir)).meta;
    } catch {
      return 'incomplete';
    }
    if (meta.id !== id) return 'incomplete';
    if (this.records.findByChecksum(meta.checksum)) return 'duplicate';
    this.records.insert(meta);
    await this.dropStaleOwner(dir);
    return 'registered';
  }

  /**
   * A folder another process made a moment ago and has not yet marked with its .owner file (the
   * gap between mkdir and writing it): not a leftover yet. A killed import's folder has its owner
   * file, or is older than this by the next start.
   */
  private async justCreated(dir: string): Promise<boolean> {
    try {
      await stat(join(dir, OWNER_FILE));
      return false;
    } catch {
      try {
        return Date.now() - (await stat(dir)).mtimeMs < 60_000;
      } catch {
        return false;
      }
    }
  }

  /**
   * The pid of the process writing a folder, from its .owner file; null when there is none or it
   * is older than a day (no import takes that long: the pid may since belong to another program).
   */
  private async ownerPid(dir: string): Promise<number | null> {
    try {
      const owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as { pid?: unknown; startedAt?: unknown };
      if (typeof owner.pid !== 'number') return null;
      const started = typeof owner.startedAt === 'string' ? Date.parse(owner.startedAt) : NaN;
      if (Number.isFinite(started) && Date.now() - started > 24 * 3600_000) return null;
      return owner.pid;
    } catch {
      return null;
    }
  }

  private async ownedByLiveProcess(dir: string): Promise<boolean> {
    const pid = await this.ownerPid(dir);
    // Our own pid without an active id is a leftover of this process's failed cleanup.
    return pid !== null && pid !== process.pid && pidAlive(pid);
  }

  private async dropStaleOwner(dir: string): Promise<void> {
    const pid = await this.ownerPid(dir);
    if (pid !== null && (pid === process.pid || !pidAlive(pid))) await unlink(join(dir, OWNER_FILE)).catch(() => undefined);
  }
}

