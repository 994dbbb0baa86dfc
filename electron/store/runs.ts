import type { Db } from './db';
import { isPidAlive, newId, nowIso } from './ids';
import { EpochMetrics, EpochSteps, ModelSpec, Run, RunStatus, StepPoint, TrainConfig } from '../../shared/domain';
import type { RunFilter } from '../../shared/contract';
import { RunFilter as RunFilterSchema } from '../../shared/contract';
import { hyper } from '../../shared/format';

interface RunRow {
  id: string;
  name: string;
  dataset_id: string;
  dataset_name: string | null;
  sweep_id: string | null;
  cell_id: string | null;
  model_json: string;
  config_json: string;
  status: string;
  error: string | null;
  backend: string | null;
  pack_size: number | null;
  device: string | null;
  compile_seconds: number | null;
  worker: string | null;
  epochs_done: number;
  best_val_acc: number | null;
  best_epoch: number | null;
  last_val_acc: number | null;
  last_train_acc: number | null;
  starred: number;
  tags_json: string;
  notes: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  pruned_json: string | null;
  test_json: string | null;
}

interface EpochRow {
  epoch: number;
  loss: number;
  train_acc: number;
  val_acc: number;
  val_loss: number;
  seconds: number;
  grad_norm_mean: number;
  grad_norm_max: number;
  clipped_fraction: number;
}

const SELECT = `SELECT r.*, d.name AS dataset_name FROM runs r LEFT JOIN datasets d ON d.id = r.dataset_id`;

function toRun(row: RunRow): Run {
  return {
    id: row.id,
    name: row.name,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    model: JSON.parse(row.model_json) as ModelSpec,
    config: JSON.parse(row.config_json) as TrainConfig,
    status: row.status as RunStatus,
    error: row.error,
    backend: row.backend as Run['backend'],
    packSize: row.pack_size,
    device: row.device,
    compileSeconds: row.compile_seconds,
    worker: row.worker ?? null,
    sweepId: row.sweep_id,
    cellId: row.cell_id,
    epochsDone: row.epochs_done,
    bestValAcc: row.best_val_acc,
    bestEpoch: row.best_epoch,
    lastValAcc: row.last_val_acc,
    lastTrainAcc: row.last_train_acc,
    starred: row.starred === 1,
    tags: JSON.parse(row.tags_json) as string[],
    notes: row.notes,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    pruned: row.pruned_json === null ? null : (JSON.parse(row.pruned_json) as NonNullable<Run['pruned']>),
    test: row.test_json === null ? null : (JSON.parse(row.test_json) as NonNullable<Run['test']>),
  };
}

function toEpoch(row: EpochRow): EpochMetrics {
  return {
    epoch: row.epoch,
    loss: row.loss,
    trainAcc: row.train_acc,
    valAcc: row.val_acc,
    valLoss: row.val_loss,
    seconds: row.seconds,
    gradNormMean: row.grad_norm_mean,
    gradNormMax: row.grad_norm_max,
    clippedFraction: row.clipped_fraction,
  };
}

export interface NewRun {
  name?: string;
  datasetId: string;
  model: ModelSpec;
  config: TrainConfig;
  status?: RunStatus;
  sweepId?: string | null;
  cellId?: string | null;
}

const SORT_COLUMNS = {
  createdAt: 'r.created_at',
  name: 'r.name',
  bestValAcc: 'r.best_val_acc',
  lastValAcc: 'r.last_val_acc',
  status: 'r.status',
  lr: 'r.lr',
  clipNorm: 'r.clip_norm',
  epochsDone: 'r.epochs_done',
} as const;

/** A run as recorded elsewhere (an export bundle's run, its data set and sweep already mapped here). */
export type ImportedRun = Pick<
  Run,
  'id' | 'name' | 'datasetId' | 'sweepId' | 'cellId' | 'model' | 'config' | 'status' | 'error' | 'backend' | 'packSize' | 'starred' | 'tags' | 'notes' | 'createdAt' | 'startedAt' | 'finishedAt'
>;

/** Runs and their per-epoch metrics. */
export function runsRepository(db: Db) {
  const byId = db.prepare<[string], RunRow>(`${SELECT} WHERE r.id = ?`);
  const insertRow = db.prepare(`INSERT INTO runs
    (id, name, dataset_id, sweep_id, cell_id, model_json, config_json, lr, clip_norm, optimizer, preset, seed, status, created_at)
    VALUES (@id, @name, @dataset_id, @sweep_id, @cell_id, @model_json, @config_json, @lr, @clip_norm, @optimizer, @preset, @seed, @status, @created_at)`);
  const insertEpoch = db.prepare(`INSERT INTO epochs
    (run_id, epoch, loss, train_acc, val_acc, val_loss, seconds, grad_norm_mean, grad_norm_max, clipped_fraction)
    VALUES (@run_id, @epoch, @loss, @train_acc, @val_acc, @val_loss, @seconds, @grad_norm_mean, @grad_norm_max, @clipped_fraction)`);
  // Summary columns are recomputed from the epochs table, so they can never drift from it.
  const refreshSummary = db.prepare(`UPDATE runs SET
      epochs_done = (SELECT count(*) FROM epochs WHERE run_id = @id),
      best_val_acc = (SELECT max(val_acc) FROM epochs WHERE run_id = @id),
      best_epoch = (SELECT epoch FROM epochs WHERE run_id = @id ORDER BY val_acc DESC, epoch ASC LIMIT 1),
      last_val_acc = (SELECT val_acc FROM epochs WHERE run_id = @id ORDER BY epoch DESC LIMIT 1),
      last_train_acc = (SELECT train_acc FROM epochs WHERE run_id = @id ORDER BY epoch DESC LIMIT 1)
    WHERE id = @id`);
  const epochsOf = db.prepare<[string], EpochRow>('SELECT * FROM epochs WHERE run_id = ? ORDER BY epoch');
  const deleteEpochsAfter = db.prepare('DELETE FROM epochs WHERE run_id = ? AND epoch > ?');
  // Replacing, not inserting: an epoch trained again after a resume keeps one curve.
  const upsertSteps = db.prepare('INSERT OR REPLACE INTO epoch_steps (run_id, epoch, steps, points_json) VALUES (?, ?, ?, ?)');
  const stepsOf = db.prepare<[string], { epoch: number; steps: number; points_json: string }>(
    'SELECT epoch, steps, points_json FROM epoch_steps WHERE run_id = ? ORDER BY epoch',
  );
  const deleteStepsAfter = db.prepare('DELETE FROM epoch_steps WHERE run_id = ? AND epoch > ?');
  const deleteRow = db.prepare('DELETE FROM runs WHERE id = ?');
  const runExists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM runs WHERE id = ?');
  const insertRecordedRow = db.prepare(
    `INSERT INTO runs (id, name, dataset_id, sweep_id, cell_id, model_json, config_json, lr, clip_norm, optimizer, preset, seed,
       status, error, backend, pack_size, starred, tags_json, notes, created_at, started_at, finished_at)
     VALUES (@id, @name, @dataset_id, @sweep_id, @cell_id, @model_json, @config_json, @lr, @clip_norm, @optimizer, @preset, @seed,
       @status, @error, @backend, @pack_size, @starred, @tags_json, @notes, @created_at, @started_at, @finished_at)`,
  );
  const sameKey = db.prepare<[string, number, number, number], { id: string }>(
    'SELECT id FROM runs WHERE dataset_id = ? AND lr = ? AND seed = ? AND epochs_done = ?',
  );
  const timedRows = db.prepare<[string, number], { id: string; model_json: string; config_json: string; backend: string | null }>(
    `SELECT id, model_json, config_json, backend FROM runs
      WHERE dataset_id = ? AND epochs_done > 0 AND status IN ('completed', 'diverged', 'interrupted', 'cancelled', 'running')
      ORDER BY created_at DESC LIMIT ?`,
  );

  const repo = {
    create(input: NewRun): Run {
      return repo.get(repo.insert(input))!;
    },

    /** Stores a run without reading it back (a sweep's thousands of trials); returns its id. */
    insert(input: NewRun): string {
      const id = newId();
      insertRow.run({
        id,
        name: input.name ?? defaultRunName(input),
        dataset_id: input.datasetId,
        sweep_id: input.sweepId ?? null,
        cell_id: input.cellId ?? null,
        model_json: JSON.stringify(input.model),
        config_json: JSON.stringify(input.config),
        lr: input.config.lr,
        clip_norm: input.config.clipNorm,
        optimizer: input.config.optimizer,
        preset: input.model.preset ?? null,
        seed: input.config.seed,
        status: input.status ?? 'queued',
        created_at: nowIso(),
      });
      return id;
    },

    get(id: string): Run | null {
      const row = byId.get(id);
      return row ? toRun(row) : null;
    },

    exists(id: string): boolean {
      return runExists.get(id) !== undefined;
    },

    /**
     * Stores a run exactly as another machine recorded it (an import): its own id, status, times,
     * tags and notes. Its epochs go through addEpoch, which keeps the summary columns in step.
     */
    insertRecorded(run: ImportedRun): void {
      insertRecordedRow.run({
        id: run.id,
        name: run.name,
        dataset_id: run.datasetId,
        sweep_id: run.sweepId,
        cell_id: run.cellId,
        model_json: JSON.stringify(run.model),
        config_json: JSON.stringify(run.config),
        lr: run.config.lr,
        clip_norm: run.config.clipNorm,
        optimizer: run.config.optimizer,
        preset: run.model.preset ?? null,
        seed: run.config.seed,
        status: run.status,
        error: run.error,
        backend: run.backend,
        pack_size: run.packSize ?? null,
        starred: run.starred ? 1 : 0,
        tags_json: JSON.stringify(run.tags),
        notes: run.notes,
        created_at: run.createdAt,
        started_at: run.startedAt,
        finished_at: run.finishedAt,
      });
    },

    /** Ids of the runs that could be content duplicates: same data set, lr, seed and epoch count (indexed columns). */
    idsLike(datasetId: string, lr: number, seed: number, epochsDone: number): string[] {
      return sameKey.all(datasetId, lr, seed, epochsDone).map((r) => r.id);
    },

    /**
     * Recent runs on a data set that trained at least one epoch (newest first, at most `limit`):
     * what the time estimate measures from.
     */
    timed(datasetId: string, limit = 500): { id: string; model: ModelSpec; config: TrainConfig; backend: string | null }[] {
      return timedRows.all(datasetId, limit).map((r) => ({
        id: r.id,
        model: JSON.parse(r.model_json) as ModelSpec,
        config: JSON.parse(r.config_json) as TrainConfig,
        backend: r.backend,
      }));
    },

    list(filter: RunFilter = {}): { items: Run[]; total: number } {
      const f = RunFilterSchema.parse(filter);
      const where: string[] = [];
      const params: Record<string, unknown> = {};
      if (f.status?.length) {
        where.push(`r.status IN (${f.status.map((_, i) => `@status${i}`).join(', ')})`);
        f.status.forEach((s, i) => (params[`status${i}`] = s));
      }
      if (f.datasetId) {
        where.push('r.dataset_id = @datasetId');
        params.datasetId = f.datasetId;
      }
      if (f.sweepId) {
        where.push('r.sweep_id = @sweepId');
        params.sweepId = f.sweepId;
      }
      if (f.starred !== undefined) {
        where.push('r.starred = @starred');
        params.starred = f.starred ? 1 : 0;
      }
      if (f.search) {
        where.push("(r.name LIKE @search ESCAPE '\\' OR r.notes LIKE @search ESCAPE '\\' OR r.tags_json LIKE @search ESCAPE '\\')");
        params.search = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      }
      const bound = (column: string, op: '>=' | '<=', key: string, value: unknown) => {
        if (value === undefined) return;
        where.push(`${column} ${op} @${key}`);
        params[key] = value;
      };
      bound('r.lr', '>=', 'lrMin', f.lrMin);
      bound('r.lr', '<=', 'lrMax', f.lrMax);
      bound('r.clip_norm', '>=', 'clipMin', f.clipMin);
      bound('r.clip_norm', '<=', 'clipMax', f.clipMax);
      bound('r.created_at', '>=', 'createdAfter', f.createdAfter);
      bound('r.created_at', '<=', 'createdBefore', f.createdBefore);
      if (f.noClip !== undefined) where.push(f.noClip ? 'r.clip_norm IS NULL' : 'r.clip_norm IS NOT NULL');
      if (f.inSweep !== undefined) where.push(f.inSweep ? 'r.sweep_id IS NOT NULL' : 'r.sweep_id IS NULL');
      if (f.unstartedTrials === false) where.push("NOT (r.sweep_id IS NOT NULL AND r.status = 'cancelled' AND r.epochs_done = 0)");
      f.tags?.forEach((tag, i) => {
        where.push(`EXISTS (SELECT 1 FROM json_each(r.tags_json) WHERE json_each.value = @tag${i})`);
        params[`tag${i}`] = tag;
      });
      if (f.preset?.length) {
        const named = f.preset.filter((p) => p !== 'custom');
        const parts: string[] = [];
        if (named.length) {
          parts.push(`r.preset IN (${named.map((_, i) => `@preset${i}`).join(', ')})`);
          named.forEach((p, i) => (params[`preset${i}`] = p));
        }
        if (f.preset.includes('custom')) parts.push('r.preset IS NULL');
        where.push(`(${parts.join(' OR ')})`);
      }
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const total = (db.prepare(`SELECT count(*) AS n FROM runs r ${clause}`).get(params) as { n: number }).n;
      const order = `${SORT_COLUMNS[f.sort]} ${f.order === 'asc' ? 'ASC' : 'DESC'} NULLS LAST, r.id`;
      const rows = db
        .prepare(`${SELECT} ${clause} ORDER BY ${order} LIMIT @limit OFFSET @offset`)
        .all({ ...params, limit: f.limit, offset: f.offset }) as RunRow[];
      return { items: rows.map(toRun), total };
    },

    update(
      id: string,
      patch: Partial<{
        name: string;
        status: RunStatus;
        error: string | null;
        backend: string | null;
        packSize: number | null;
        device: string | null;
        compileSeconds: number | null;
        starred: boolean;
        tags: string[];
        notes: string;
        startedAt: string | null;
        finishedAt: string | null;
        pruned: Run['pruned'];
        test: Run['test'];
      }>,
    ): Run | null {
      const sets: string[] = [];
      const params: Record<string, unknown> = { id };
      const columns: Record<string, [string, (v: never) => unknown]> = {
        name: ['name', (v: string) => v],
        status: ['status', (v: string) => v],
        error: ['error', (v: string | null) => v],
        backend: ['backend', (v: string | null) => v],
        packSize: ['pack_size', (v: number | null) => v],
        device: ['device', (v: string | null) => v],
        compileSeconds: ['compile_seconds', (v: number | null) => v],
        starred: ['starred', (v: boolean) => (v ? 1 : 0)],
        tags: ['tags_json', (v: string[]) => JSON.stringify(v)],
        notes: ['notes', (v: string) => v],
        startedAt: ['started_at', (v: string | null) => v],
        finishedAt: ['finished_at', (v: string | null) => v],
        pruned: ['pruned_json', (v: Run['pruned']) => (v ? JSON.stringify(v) : null)],
        test: ['test_json', (v: Run['test']) => (v ? JSON.stringify(v) : null)],
      };
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        const [column, convert] = columns[key]!;
        sets.push(`${column} = @${column}`);
        params[column] = convert(value as never);
      }
      if (sets.length) db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = @id`).run(params);
      return repo.get(id);
    },

    /** Stores one epoch and refreshes the run's summary in one transaction. A second insert of the same epoch throws. */
    addEpoch: db.transaction((runId: string, m: EpochMetrics, steps?: EpochSteps): void => {
      insertEpoch.run({
        run_id: runId,
        epoch: m.epoch,
        loss: m.loss,
        train_acc: m.trainAcc,
        val_acc: m.valAcc,
        val_loss: m.valLoss,
        seconds: m.seconds,
        grad_norm_mean: m.gradNormMean,
        grad_norm_max: m.gradNormMax,
        clipped_fraction: m.clippedFraction,
      });
      if (steps && steps.epoch === m.epoch) upsertSteps.run(runId, m.epoch, steps.steps, JSON.stringify(steps.points.map(compactPoint)));
      refreshSummary.run({ id: runId });
    }),

    /** The per-step curves of a run, epoch by epoch (epochs stored without one are left out). */
    steps(runId: string): EpochSteps[] {
      return stepsOf.all(runId).map((row) => ({ epoch: row.epoch, steps: row.steps, points: (JSON.parse(row.points_json) as unknown[]).map(expandPoint) }));
    },

    epochs(runId: string): EpochMetrics[] {
      return epochsOf.all(runId).map(toEpoch);
    },

    /** Epochs of several runs in one query, in the order of `runIds`; unknown ids are left out. */
    epochsMany(runIds: readonly string[]): { runId: string; epochs: EpochMetrics[] }[] {
      if (!runIds.length) return [];
      const rows = db
        .prepare(`SELECT * FROM epochs WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, epoch`)
        .all(JSON.stringify(runIds)) as (EpochRow & { run_id: string })[];
      const byRun = new Map<string, EpochMetrics[]>();
      for (const row of rows) {
        let list = byRun.get(row.run_id);
        if (!list) byRun.set(row.run_id, (list = []));
        list.push(toEpoch(row));
      }
      const known = new Set(
        (db.prepare('SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?))').pluck().all(JSON.stringify(runIds)) as string[]),
      );
      return runIds.filter((id) => known.has(id)).map((id) => ({ runId: id, epochs: byRun.get(id) ?? [] }));
    },

    /** Tags in use with their run counts, most used first. */
    tags(): { tag: string; count: number }[] {
      return db
        .prepare(
          'SELECT json_each.value AS tag, count(*) AS count FROM runs r, json_each(r.tags_json) GROUP BY json_each.value ORDER BY count DESC, tag',
        )
        .all() as { tag: string; count: number }[];
    },

    /** Drops epochs after `epoch` (a resume from an older checkpoint) so no epoch is stored twice. */
    truncateEpochs: db.transaction((runId: string, epoch: number): void => {
      deleteEpochsAfter.run(runId, epoch);
      deleteStepsAfter.run(runId, epoch);
      refreshSummary.run({ id: runId });
    }),

    delete(id: string): boolean {
      return deleteRow.run(id).changes > 0;
    },

    /** Records which process trains (or has queued) a run; null when none does. */
    /** The cluster worker that trains (or last trained) a run; null: this machine. */
    setWorker(id: string, worker: string | null): void {
      db.prepare('UPDATE runs SET worker = ? WHERE id = ?').run(worker, id);
    },

    setOwner(id: string, pid: number | null): void {
      db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(pid, id);
    },

    /** Whether another live process trains (or has queued) the run. */
    ownedElsewhere(id: string, selfPid = process.pid): boolean {
      const pid = db.prepare('SELECT owner_pid FROM runs WHERE id = ?').pluck().get(id) as number | null | undefined;
      return pid != null && pid !== selfPid && isPidAlive(pid);
    },

    /**
     * On start: stand-alone runs left queued or running by a process that is gone are marked
     * interrupted (resumable). Runs another live process owns (the app, while this is the CLI)
     * are left alone; a recorded pid equal to ours is a previous process's, since we own none yet.
     */
    markInterrupted(selfPid = process.pid): string[] {
      const rows = db
        .prepare("SELECT id, owner_pid FROM runs WHERE status IN ('running', 'queued') AND sweep_id IS NULL")
        .all() as { id: string; owner_pid: number | null }[];
      const orphans = rows.filter((r) => r.owner_pid === null || r.owner_pid === selfPid || !isPidAlive(r.owner_pid)).map((r) => r.id);
      const mark = db.prepare("UPDATE runs SET status = 'interrupted', owner_pid = NULL WHERE id = ?");
      db.transaction(() => orphans.forEach((id) => mark.run(id)))();
      return orphans;
    },
  };
  return repo;
}
export type RunsRepository = ReturnType<typeof runsRepository>;

function defaultRunName(input: NewRun): string {
  const model = input.model.preset ?? 'custom';
  const clip = input.config.clipNorm === null ? 'noclip' : `clip ${hyper(input.config.clipNorm)}`;
  return `${model} ${input.config.optimizer} lr ${hyper(input.config.lr)} ${clip} s${input.config.seed}`;
}

/**
 * A step point as stored: an array in StepPoint's key order, numbers at float32 precision (what the
 * engine computes in), about half the bytes of the keyed object.
 */
const POINT_KEYS = ['step', 'n', 'loss', 'lossMax', 'gradNorm', 'gradNormMax', 'clipped', 'clipScale'] as const;

function compactPoint(p: StepPoint): number[] {
  return POINT_KEYS.map((k) => (Number.isInteger(p[k]) ? p[k] : Number(p[k].toPrecision(7))));
}

function expandPoint(row: unknown): StepPoint {
  const values = row as number[];
  return StepPoint.parse(Object.fromEntries(POINT_KEYS.map((k, i) => [k, values[i]])));
}
