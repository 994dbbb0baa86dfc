/**
 * What Sweeplab writes back out must not turn against its reader: CSV cells that a spreadsheet
 * would run as formulas, names with bidirectional overrides, a data folder that is a file.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCsv } from '../../electron/exports/tables';
import { appRoot } from '../../electron/paths';
import { testRuntime } from '../support/runtime';
import { datasetRecord, tempDir, tinyConfig, tinyModel } from '../support/fixtures';
import { neutraliseBidi } from '../../shared/text';

describe('output safety', () => {
  it('neutralises spreadsheet formulas in CSV text cells, keeps numbers numbers', () => {
    const csv = toCsv({
      columns: ['name', 'lr', 'note'],
      rows: [
        ['=HYPERLINK("http://x","y")', -0.5, '+1'],
        ['@SUM(A1)', 0.001, '-2+3'],
        ['\tcmd', 1, 'plain'],
      ],
    });
    expect(csv).toBe(`"'=HYPERLINK(""http://x"",""y"")",-0.5,'+1\r\n'@SUM(A1),0.001,'-2+3\r\n'\tcmd,1,plain\r\n`.replace(/^/, 'name,lr,note\r\n'));
  });

  it('strips bidirectional override characters from names at every boundary', async () => {
    const t = await testRuntime();
    try {
      const ds = datasetRecord({ name: 'digits\u202Egpj.exe', classNames: ['a\u2066b\u2069', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'] });
      t.runtime.store.datasets.insert(ds);
      expect(t.runtime.store.datasets.get(ds.id)).toMatchObject({ name: 'digitsgpj.exe', classNames: expect.arrayContaining(['ab']) });
      const run = await t.call('runs.create', { datasetId: ds.id, model: tinyModel, config: tinyConfig, start: false, name: 'run \u202Dx\u202C' });
      expect(run.name).toBe('run x');
      expect((await t.call('datasets.rename', { id: ds.id, name: '\u202Eevil' })).name).toBe('evil');
      // Plain direction marks cannot reorder text and stay (an Arabic name may need them).
      expect(neutraliseBidi('\u200Fسلام')).toBe('\u200Fسلام');
    } finally {
      await t.dispose();
    }
  });

  it('says in one line when --data-dir is a file', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'not-a-folder');
      writeFileSync(file, 'x');
      const result = spawnSync(process.execPath, [join(appRoot(), 'bin', 'sweeplab.mjs'), '--data-dir', file, 'runs', 'list'], { encoding: 'utf8' });
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(`sweeplab: The data folder ${file} is a file, not a folder: pick a folder with --data-dir or SWEEPLAB_HOME\n`);
      const under = spawnSync(process.execPath, [join(appRoot(), 'bin', 'sweeplab.mjs'), '--data-dir', join(file, 'sub'), 'data', 'list'], { encoding: 'utf8' });
      expect(under.status).toBe(2);
      expect(under.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      dir.remove();
    }
  });
});
