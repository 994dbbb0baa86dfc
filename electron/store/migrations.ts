/**
 * Schema migrations keyed by `PRAGMA user_version`: migration i (1-based) brings the schema from
 * version i-1 to i inside one transaction. Append only; never edit a migration that has shipped.
 */
import type Database from 'better-sqlite3';

export const migrations: readonly string[] = [
  // 1: data sets, runs with their epochs, sweeps.
  `
  CREATE TABLE datasets (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    checksum    TEXT NOT NULL UNIQUE,
    meta_json   TEXT NOT NULL,
    created_at  TEXT NOT NULL
  );

  CREATE TABLE sweeps (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    dataset_id   TEXT NOT NULL REFERENCES datasets(id),
    spec_json    TEXT NOT NULL,
    status       TEXT NOT NULL,
    concurrency  INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
  );

  CREATE TABLE runs (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    dataset_id      TEXT NOT NULL REFERENCES datasets(id),
    sweep_id        TEXT REFERENCES sweeps(id) ON DELETE CASCADE,
    cell_id         TEXT,
    model_json      TEXT NOT NULL,
    config_json     TEXT NOT NULL,
    -- Denormalised from config/model for filtering and sorting 10,000s of runs with indexes.
    lr              REAL NOT NULL,
    clip_norm       REAL,
    optimizer       TEXT NOT NULL,
    preset          TEXT,
    seed            INTEGER NOT NULL,
    status          TEXT NOT NULL,
    error           TEXT,
    backend         TEXT,
    epochs_done     INTEGER NOT NULL DEFAULT 0,
    best_val_acc    REAL,
    best_epoch      INTEGER,
    last_val_acc    REAL,
    last_train_acc  REAL,
    starred         INTEGER NOT NULL DEFAULT 0,
    tags_json       TEXT NOT NULL DEFAULT '[]',
    notes           TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT
  );
  CREATE INDEX runs_created ON runs(created_at);
  CREATE INDEX runs_dataset ON runs(dataset_id);
  CREATE INDEX runs_sweep ON runs(sweep_id);
  CREATE INDEX runs_status ON runs(status);
  CREATE INDEX runs_best ON runs(best_val_acc);

  CREATE TABLE epochs (
    run_id            TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch             INTEGER NOT NULL,
    loss              REAL NOT NULL,
    train_acc         REAL NOT NULL,
    val_acc           REAL NOT NULL,
    val_loss          REAL NOT NULL,
    seconds           REAL NOT NULL,
    grad_norm_mean    REAL NOT NULL,
    grad_norm_max     REAL NOT NULL,
    clipped_fraction  REAL NOT NULL,
    PRIMARY KEY (run_id, epoch)
  ) WITHOUT ROWID;
  `,
  // 2: which process runs a sweep, and when it last said so. A second process (the CLI beside the
  // app) can then tell a sweep that is running elsewhere from one orphaned by a crash
  // (electron/sweeps/recovery.ts), and a cancel written by another process is noticed by the owner.
  `
  ALTER TABLE sweeps ADD COLUMN owner_pid INTEGER;
  ALTER TABLE sweeps ADD COLUMN heartbeat_at TEXT;
  `,
  // 3: which process trains (or queued) a single run, so a second process that starts (the CLI
  // beside the app) does not mark another live process's runs interrupted.
  `
  ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
  `,
  // 4: a trial stopped by its sweep's early-termination rule: {epoch, reason, resumedByHand}.
  `
  ALTER TABLE runs ADD COLUMN pruned_json TEXT;
  `,
  // 5: how many trials a packed trainer trained together with the run (null: trained alone).
  `
  ALTER TABLE runs ADD COLUMN pack_size INTEGER;
  `,
  // 6: validation splits. Runs and sweeps stored before them validated (and so selected) on the
  // test split: say so in their configs, so they keep their meaning now that a config without a
  // validation field means a held-out one. test_json: {acc, loss} of a run trained with finalTest.
  `
  ALTER TABLE runs ADD COLUMN test_json TEXT;
  UPDATE runs SET config_json = json_set(config_json, '$.validation', json('{"split":"test"}'))
    WHERE json_extract(config_json, '$.validation') IS NULL;
  UPDATE sweeps SET spec_json = json_set(spec_json, '$.base.validation', json('{"split":"test"}'))
    WHERE json_extract(spec_json, '$.base.validation') IS NULL;
  `,
  // 7: the number a sweep's analysis ranks cells by, chosen once for every view (shared/analysis.ts).
  `
  ALTER TABLE sweeps ADD COLUMN analysis_metric TEXT NOT NULL DEFAULT 'finalValAcc';
  `,
  // 8: the GPU a run trained on (webgpu's adapter) and the seconds its trainers spent compiling shaders.
  `
  ALTER TABLE runs ADD COLUMN device TEXT;
  ALTER TABLE runs ADD COLUMN compile_seconds REAL;
  `,
  // 9: the cluster worker that trained a run (null: trained on the machine that owns the database).
  `
  ALTER TABLE runs ADD COLUMN worker TEXT;
  `,
  // 10: per-step curves, one row per epoch (at most 50 downsampled points, shared/domain.ts
  // EpochSteps) apart from the epochs table, so lists and epoch curves never read them.
  `
  CREATE TABLE epoch_steps (
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch       INTEGER NOT NULL,
    steps       INTEGER NOT NULL,
    points_json TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
  ) WITHOUT ROWID;
  `,
  // 11: the history import's duplicate check (runs.idsLike) looks runs up by data set, lr, seed and
  // epoch count: indexed, so a 20k-run bundle of distinct seeds is not 20k scans of the data set's runs.
  `
  CREATE INDEX runs_dedupe ON runs(dataset_id, lr, seed, epochs_done);
  `,
];

export const SCHEMA_VERSION = migrations.length;

export function migrationCount(): number {
  return migrations.length;
}

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `This database was written by a newer Sweeplab (schema ${current}, this build knows ${migrations.length}); update the app.`,
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version - 1]!);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
