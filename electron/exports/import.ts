/**
 * Merges an export bundle (bundle.ts) into this machine's history: a lab mate's runs and sweeps
 * appear beside one's own, with their curves, and can be compared, reported and exported.
 *
 * Decisions, each made for the friendlier outcome:
 * - Data sets are matched by checksum (ids differ between machines). A data set unknown here is
 *   recorded as a placeholder row — same checksum, name, shape and counts, source
 *   'placeholder:<original source>' — rather than refusing the runs: their curves, reports and
 *   exports need only the record, not the images. Importing the real files later (same checksum)
 *   is the data-set library's to reconcile with the placeholder.
 * - A run already here is skipped and counted: the same id (the bundle came back from a lab mate who
 *   had imported ours), or the same content under another id (data set, model, config and every
 *   epoch's metrics equal). Ids are kept on import so the first case stays detectable.
 * - A run that was still queued or running when exported is imported as 'interrupted': nothing
 *   here is training it. A sweep that was running likewise.
 * - Everything happens in one transaction: a bundle that fails half-way leaves no trace.
 *
 * The run and sweep rows are written with SQL here because the repositories' `create` makes new
 * ids and timestamps, and an import must keep both (see the report: a repository `insert` would let
 * this module drop its SQL).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Dataset, Run, RunStatus, Sweep, SweepStatus } from '../../shared/domain';
import type { ImportResult } from '../../shared/contract';
import { ApiError, describeIssues } from '../../shared/errors';
import type { Store } from '../store';
import { newId } from '../store';
import { BUNDLE_FORMAT, BUNDLE_VERSION, ExportBundle, type BundleRun } from './bundle';

/** 512 MiB: far beyond any history of metrics (a 10,000-run bundle is tens of MB). */
const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

export function readBundle(path: string): ExportBundle {
  let text: string;
  try {
    if (statSync(path).size > MAX_BUNDLE_BYTES) throw new ApiError('bad_data', `${path} is larger than any Sweeplab export (over 512 MiB)`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ApiError(code === 'ENOENT' ? 'not_found' : 'unavailable', `Cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ApiError('bad_data', `${path} is not JSON: ${(error as Error).message}`);
  }
  const head = json as { format?: unknown; version?: unknown };
  if (!head || typeof head !== 'object' || head.format !== BUNDLE_FORMAT) {
    throw new ApiError('bad_data', `${path} is not a Sweeplab export (export runs or a sweep as JSON to make one)`);
  }
  if (typeof head.version === 'number' && head.version > BUNDLE_VERSION) {
    throw new ApiError('bad_data', `${path} was written by a newer Sweeplab (export format ${head.version}, this build reads ${BUNDLE_VERSION}); update the app`);
  }
  const parsed = ExportBundle.safeParse(json);
  if (!parsed.success) throw new ApiError('bad_data', `${path} is a damaged Sweeplab export: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** JSON with object keys sorted, so equal content hashes equally whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What makes two runs "the same run": the data it saw, what was trained, how, and what came out. */
export function runFingerprint(run: Pick<Run, 'model' | 'config'>, datasetChecksum: string, epochs: BundleRun['epochs']): string {
  return createHash('sha256').update(canonical({ datasetChecksum, model: run.model, config: run.config, epochs })).digest('hex');
}

const LIVE_RUN: RunStatus[] = ['queued', 'running'];
const LIVE_SWEEP: SweepStatus[] = ['running'];

export interface ImportOutcome {
  result: ImportResult;
  /** What was added, for the service to announce (run.updated / sweep.updated). */
  runIds: string[];
  sweepIds: string[];
}

/** Runs per slice: checked, or written in one transaction, between two turns of the event loop. */
const IMPORT_SLICE = 500;

/**
 * Imports a bundle in one transaction (a failure leaves no trace). For a script or a test; a
 * server uses importBundleInSlices, which never holds the event loop for the whole bundle.
 */
export function importBundle(store: Store, bundle: ExportBundle): ImportOutcome {
  // Nested transactions join this one: every slice's writes commit or roll back together.
  return store.transaction(() => {
    const steps = importSteps(store, bundle, { written: { runs: [], sweeps: [], datasets: [] } });
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  });
}

/**
 * Imports a bundle slice by slice (IMPORT_SLICE runs checked or written at a time, each slice
 * its own transaction) with a turn of the event loop between slices, so that a 60k-run bundle
 * does not stop the server answering others. A failure part way removes what earlier slices
 * wrote (runs, sweeps, placeholder data sets), so a bundle still imports whole or not at all.
 */
export async function importBundleInSlices(store: Store, bundle: ExportBundle): Promise<ImportOutcome> {
  const written: Written = { runs: [], sweeps: [], datasets: [] };
  const steps = importSteps(store, bundle, { written });
  try {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    try {
      store.transaction(() => {
        for (const id of written.runs) store.runs.delete(id);
        for (const id of written.sweeps) store.sweeps.delete(id);
        for (const id of written.datasets) store.datasets.delete(id);
      });
    } catch {
      // Could not undo (the disk is full?): what was imported stays, each run whole.
    }
    throw error;
  }
}

interface Written {
  runs: string[];
  sweeps: string[];
  datasets: string[];
}

/**
 * The import as steps: each `yield` is a point between slices where no transaction is open.
 * Checks first (nothing written until the whole bundle is known good), then writes.
 */
function* importSteps(store: Store, bundle: ExportBundle, { written }: { written: Written }): Generator<void, ImportOutcome> {
  const notes: string[] = [];
  const result: ImportResult = {
    runs: { imported: 0, duplicates: 0 },
    epochs: 0,
    sweeps: { imported: 0, skipped: 0 },
    datasets: { matched: 0, placeholders: 0 },
    notes,
  };
  const runIds: string[] = [];
  const sweepIds: string[] = [];

  const bundleDatasets = new Map(bundle.datasets.map((d) => [d.id, d]));
  /** Bundle data-set id → local id, resolved lazily so only data sets that imported rows use get placeholders. */
  const datasetMap = new Map<string, string>();
  const resolveDataset = (bundleId: string, runName: string): string | null => {
    const known = datasetMap.get(bundleId);
    if (known) return known;
    const record = bundleDatasets.get(bundleId);
    if (!record) {
      notes.push(`Run ${runName} left out: the export has no record of its data set ${bundleId}.`);
      return null;
    }
    const local = store.datasets.findByChecksum(record.checksum);
    if (local) {
      datasetMap.set(bundleId, local.id);
      result.datasets.matched += 1;
      return local.id;
    }
    const id = store.datasets.get(record.id) ? newId() : record.id;
    const placeholder: Dataset = { ...record, id, source: `placeholder:${record.source}`.slice(0, 4096) };
    store.datasets.insert(placeholder);
    written.datasets.push(id);
    localByChecksum.set(record.checksum, placeholder);
    datasetMap.set(bundleId, id);
    result.datasets.placeholders += 1;
    notes.push(`Data set ${record.name} is not on this machine: recorded from the export (its images are not; import them to train on it).`);
    return id;
  };
  // Every run's epochs must be 1…n, once each: a duplicate or a gap is a damaged export, refused
  // whole before anything is written.
  for (const [index, run] of bundle.runs.entries()) {
    if (index && index % (IMPORT_SLICE * 4) === 0) yield;
    const numbers = run.epochs.map((e) => e.epoch).sort((a, b) => a - b);
    for (let i = 0; i < numbers.length; i++) {
      if (numbers[i] === i + 1) continue;
      const problem = numbers[i] === numbers[i - 1] ? `epoch ${numbers[i]} twice` : `no epoch ${i + 1} (its epochs jump to ${numbers[i]})`;
      throw new ApiError('bad_data', `The export is damaged: run ${run.name} (${run.id}) has ${problem}`);
    }
  }

  const checksumCache = new Map<string, string>();
  const checksumOf = (localDatasetId: string) => {
    let sum = checksumCache.get(localDatasetId);
    if (sum === undefined) checksumCache.set(localDatasetId, (sum = store.datasets.get(localDatasetId)?.checksum ?? ''));
    return sum;
  };
  const localByChecksum = new Map<string, Dataset | null>();
  const findLocal = (checksum: string) => {
    if (!localByChecksum.has(checksum)) localByChecksum.set(checksum, store.datasets.findByChecksum(checksum));
    return localByChecksum.get(checksum)!;
  };
  /**
   * Fingerprints of the runs here, per (data set, lr, seed, epochs) group, read from the database
   * once per group and extended with each run this import adds: a bundle of n runs of one group
   * costs n fingerprints, not n² (20k runs took 28 s when each run re-read the group).
   */
  const fingerprints = new Map<string, Set<string>>();
  const groupOf = (datasetId: string, lr: number, seed: number, epochs: number) => {
    const key = `${datasetId}|${lr}|${seed}|${epochs}`;
    let group = fingerprints.get(key);
    if (!group) {
      group = new Set();
      for (const id of store.runs.idsLike(datasetId, lr, seed, epochs)) {
        const run = store.runs.get(id);
        if (run) group.add(runFingerprint(run, checksumOf(run.datasetId), store.runs.epochs(id)));
      }
      fingerprints.set(key, group);
    }
    return group;
  };

  // Sweeps first: runs reference them.
  const sweepsHere = new Set<string>();
  const importedSweeps = new Set<string>();
  store.transaction(() => {
    for (const sweep of bundle.sweeps) {
      if (store.sweeps.exists(sweep.id)) {
        result.sweeps.skipped += 1;
        sweepsHere.add(sweep.id);
        continue;
      }
      const datasetId = resolveDataset(sweep.datasetId, sweep.name);
      if (!datasetId) continue;
      const status: SweepStatus = LIVE_SWEEP.includes(sweep.status) ? 'interrupted' : sweep.status;
      store.sweeps.insertRecorded({
        id: sweep.id,
        name: sweep.name,
        spec: { ...sweep.spec, datasetId } satisfies Sweep['spec'],
        status,
        concurrency: sweep.concurrency,
        createdAt: sweep.createdAt,
        finishedAt: sweep.finishedAt,
      });
      sweepsHere.add(sweep.id);
      importedSweeps.add(sweep.id);
      sweepIds.push(sweep.id);
      written.sweeps.push(sweep.id);
      result.sweeps.imported += 1;
    }
  });

  for (let at = 0; at < bundle.runs.length; at += IMPORT_SLICE) {
    if (at) yield;
    store.transaction(() => {
    for (const run of bundle.runs.slice(at, at + IMPORT_SLICE)) {
      if (store.runs.exists(run.id)) {
        result.runs.duplicates += 1;
        continue;
      }
      const record = bundleDatasets.get(run.datasetId);
      const local = record ? findLocal(record.checksum) : null;
      const fingerprint = record ? runFingerprint(run, record.checksum, run.epochs) : null;
      if (local && groupOf(local.id, run.config.lr, run.config.seed, run.epochs.length).has(fingerprint!)) {
        result.runs.duplicates += 1;
        continue;
      }
      const datasetId = resolveDataset(run.datasetId, run.name);
      if (!datasetId) continue;
      let sweepId = run.sweepId;
      // Only a sweep this import created takes runs: a sweep already here keeps exactly its own
      // trials (a foreign run would make a 12-trial sweep show 13 completed).
      if (sweepId && !importedSweeps.has(sweepId)) {
        notes.push(
          sweepsHere.has(sweepId)
            ? `Run ${run.name} is not one of sweep ${sweepId}'s trials here: imported as a stand-alone run.`
            : `Run ${run.name} belonged to sweep ${sweepId}, which is not in the export: imported as a stand-alone run.`,
        );
        sweepId = null;
      }
      const live = LIVE_RUN.includes(run.status);
      store.runs.insertRecorded({
        ...run,
        datasetId,
        sweepId,
        status: live ? 'interrupted' : run.status,
        error: live ? 'still training on the machine it was exported from' : run.error,
      });
      written.runs.push(run.id);
      // Epochs through the repository, which keeps the run's summary columns in step with them.
      const curves = new Map((run.steps ?? []).map((s) => [s.epoch, s]));
      for (const epoch of [...run.epochs].sort((a, b) => a.epoch - b.epoch)) store.runs.addEpoch(run.id, epoch, curves.get(epoch.epoch));
      result.epochs += run.epochs.length;
      if (fingerprint) groupOf(datasetId, run.config.lr, run.config.seed, run.epochs.length).add(fingerprint);
      runIds.push(run.id);
      result.runs.imported += 1;
    }
    });
  }
  if (result.runs.duplicates) notes.push(`${result.runs.duplicates} run${result.runs.duplicates === 1 ? ' was' : 's were'} already here and skipped.`);
  return { result, runIds, sweepIds };
}
