/**
 * The database file lost or damaged: imported data sets survive (their folders are registered
 * again), a damaged file is reported in one line with a copy kept, and no SQLite stack reaches
 * the user.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime } from '../../electron/runtime';
import { appRoot } from '../../electron/paths';
import { tempDir } from '../support/fixtures';
import { writeIdxPair, makeLabels } from '../datasets/helpers';

async function importTiny(dataDir: string, src: string) {
  writeIdxPair(src, { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, makeLabels(120));
  writeIdxPair(src, { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' }, makeLabels(30));
  const runtime = await createRuntime({ dataDir, transport: 'browser' });
  const result = await runtime.service.dispatch('datasets.import', { paths: [src], name: 'kept' });
  await runtime.close();
  if (!result.ok) throw new Error(result.error.message);
  return result.value as { id: string; checksum: string };
}

describe('a lost or damaged database', () => {
  for (const how of ['zero bytes', 'deleted'] as const) {
    it(`keeps every imported data set when sweeplab.db is ${how}`, async () => {
      const dir = tempDir();
      try {
        const dataDir = join(dir.path, 'home');
        const dataset = await importTiny(dataDir, join(dir.path, 'src'));
        const db = join(dataDir, 'sweeplab.db');
        if (how === 'zero bytes') {
          truncateSync(db, 0);
          for (const f of [`${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
        } else {
          for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
        }
        const runtime = await createRuntime({ dataDir, transport: 'browser' });
        try {
          const list = await runtime.service.dispatch('datasets.list', {});
          expect(list).toMatchObject({ ok: true, value: [{ id: dataset.id, name: 'kept', checksum: dataset.checksum }] });
          expect(existsSync(join(dataDir, 'datasets', dataset.id, 'train-images.u8'))).toBe(true);
        } finally {
          await runtime.close();
        }
      } finally {
        dir.remove();
      }
    });
  }

  it('reports a damaged database in one line, keeps a copy, and prints no stack', async () => {
    const dir = tempDir();
    try {
      const dataDir = join(dir.path, 'home');
      await importTiny(dataDir, join(dir.path, 'src'));
      const db = join(dataDir, 'sweeplab.db');
      for (const f of [`${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      const bytes = readFileSync(db);
      // Garbage over the page after the header: the header still says SQLite, the b-tree is broken.
      bytes.fill(0xa5, 4096, Math.min(bytes.length, 4096 * 3));
      writeFileSync(db, bytes);
      const result = spawnSync(process.execPath, [join(appRoot(), 'bin', 'sweeplab.mjs'), '--data-dir', dataDir, 'data', 'list'], { encoding: 'utf8' });
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^sweeplab: The database ${db.replace(/[.]/g, '\\.')} is damaged \\(.+\\)\\. A copy is kept at .+\\.damaged-.+\\. Move it away`));
      const copies = readdirSync(dataDir).filter((f) => f.startsWith('sweeplab.db.damaged-'));
      expect(copies.length).toBeGreaterThanOrEqual(1);
      expect(readFileSync(join(dataDir, copies[0]!)).equals(bytes)).toBe(true);

      writeFileSync(db, 'this is not a database at all, just text that is long enough to be a header'.repeat(100));
      const notDb = spawnSync(process.execPath, [join(appRoot(), 'bin', 'sweeplab.mjs'), '--data-dir', dataDir, 'runs', 'list'], { encoding: 'utf8' });
      expect(notDb.status).toBe(1);
      expect(notDb.stderr).toMatch(/^sweeplab: The database .+ is damaged \(file is not a database\)/);
      expect(notDb.stderr).not.toMatch(/\n\s+at /);
    } finally {
      dir.remove();
    }
  });
});
