import type { Db } from './db';
import { newId, nowIso } from './ids';
import { Sweep, SweepSpec, SweepStatus } from '../../shared/domain';

interface SweepRow {
  id: string;
  name: string;
  dataset_id: string;
  spec_json: string;
  status: string;
  concurrency: number;
  created_at: string;
  finished_at: string | null;
  total: number;
  done: number;
  running: number;
  failed: number;
}

// Trial counts come from the runs table: a sweep's trials are its runs.
const SELECT = `SELECT s.*,
    (SELECT count(*) FROM runs r WHERE r.sweep_id = s.id) AS total,
    (SELECT count(*) FROM runs r WHERE r.sweep_id = s.id AND r.status IN ('completed', 'diverged')) AS done,
    (SELECT count(*) FROM runs r WHERE r.sweep_id = s.id AND r.status = 'running') AS running,
    (SELECT count(*) FROM runs r WHERE r.sweep_id = s.id AND r.status = 'failed') AS failed
  FROM sweeps s`;

function toSweep(row: SweepRow): Sweep {
  return {
    id: row.id,
    name: row.name,
    datasetId: row.dataset_id,
    spec: JSON.parse(row.spec_json) as SweepSpec,
    status: row.status as SweepStatus,
    trials: { total: row.total, done: row.done, running: row.running, failed: row.failed },
    concurrency: row.concurrency,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

export function sweepsRepository(db: Db) {
  const byId = db.prepare<[string], SweepRow>(`${SELECT} WHERE s.id = ?`);
  const all = db.prepare<[], SweepRow>(`${SELECT} ORDER BY s.created_at DESC, s.id`);
  const insertRow = db.prepare(
    'INSERT INTO sweeps (id, name, dataset_id, spec_json, status, concurrency, created_at) VALUES (@id, @name, @dataset_id, @spec_json, @status, @concurrency, @created_at)',
  );
  const repo = {
    create(input: { name: string; spec: SweepSpec; concurrency: number; status?: SweepStatus }): Sweep {
      const id = newId();
      insertRow.run({
        id,
        name: input.name,
        dataset_id: input.spec.datasetId,
        spec_json: JSON.stringify(input.spec),
        status: input.status ?? 'draft',
        concurrency: input.concurrency,
        created_at: nowIso(),
      });
      return repo.get(id)!;
    },
    get(id: string): Sweep | null {
      const row = byId.get(id);
      return row ? toSweep(row) : null;
    },
    list(): Sweep[] {
      return all.all().map(toSweep);
    },
    update(id: string, patch: Partial<{ status: SweepStatus; concurrency: number; name: string; finishedAt: string | null }>): Sweep | null {
      const map = { status: 'status', concurrency: 'concurrency', name: 'name', finishedAt: 'finished_at' } as const;
      const sets: string[] = [];
      const params: Record<string, unknown> = { id };
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        const column = map[key as keyof typeof map];
        sets.push(`${column} = @${column}`);
        params[column] = value;
      }
      if (sets.length) db.prepare(`UPDATE sweeps SET ${sets.join(', ')} WHERE id = @id`).run(params);
      return repo.get(id);
    },
    delete(id: string): boolean {
      return db.prepare('DELETE FROM sweeps WHERE id = ?').run(id).changes > 0;
    },
  };
  return repo;
}
export type SweepsRepository = ReturnType<typeof sweepsRepository>;
