/**
 * One formatting for the app, the CLI and the PDF: a run at lr 5e-5 (clip 2.5) reads "5e-5" on
 * screen (renderer/src/lib/format.ts), in `runs show` (the CLI) and in its PDF report, never
 * "0.00005" in one of them.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ui from '../../renderer/src/lib/format';
import * as shared from '../../shared/format';
import { buildReport } from '../../electron/reports';
import { addRun, makeHistory } from './fixtures';
import { appRoot } from '../../electron/paths';

describe('UI, CLI and PDF format numbers alike', () => {
  it('the app formats with shared/format.ts itself', () => {
    for (const name of ['hyper', 'percent', 'duration', 'count', 'num', 'pValue'] as const) expect(ui[name]).toBe(shared[name]);
    expect([5e-5, 0.0005, 0.001, 1.5, 1e-7, 2e6, null].map(shared.hyper)).toEqual(['5e-5', '0.0005', '0.001', '1.5', '1e-7', '2e6', 'none']);
    expect(ui.dateTime('2025-11-29T08:12:00Z')).toMatch(/^2025-11-(29|28|30) \d\d:\d2$/);
    expect(shared.dateTime('2025-11-29T08:12:00Z')).toBe('2025-11-29 08:12 UTC');
  });

  it.skipIf(!existsSync('/usr/bin/pdftotext'))('a run at lr 5e-5 reads the same in the PDF and in the CLI', async () => {
    const h = makeHistory();
    try {
      const run = addRun(h.store, h.dataset.id, { name: 'tiny lr', preset: 'both', lr: 5e-5, clip: 2.5, seed: 0, epochs: 3, plateau: 0.8 });
      const report = await buildReport(h.store, { runIds: [run.id] }, { appVersion: '0.0.0' });
      const file = join(h.dataDir, 'tiny.pdf');
      writeFileSync(file, report.bytes);
      const pdf = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      expect(pdf).toContain(shared.hyper(5e-5));
      expect(pdf).not.toContain('0.00005');
      h.store.close();
      const stdout = execFileSync(process.execPath, [join(appRoot(), 'bin', 'sweeplab.mjs'), '--data-dir', h.dataDir, 'runs', 'show', run.id], { encoding: 'utf8' });
      expect(stdout).toContain(`lr ${ui.hyper(5e-5)}, clip ${ui.hyper(2.5)}`);
      expect(stdout).not.toContain('0.00005');
    } finally {
      h.close();
    }
  });
});
