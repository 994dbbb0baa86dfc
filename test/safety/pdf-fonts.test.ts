/** Names in scripts Roboto lacks, and emoji, print in the PDF: a fallback font or the code point, never a blank. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport } from '../../electron/reports';
import { fallbackFontFiles, withFallback } from '../../electron/reports/pdf';
import { addRun, makeHistory } from '../reports/fixtures';
import { tempDir } from '../support/fixtures';

const hasPoppler = existsSync('/usr/bin/pdftotext');

describe('PDF font fallback', () => {
  it('splits a text into runs by font coverage', () => {
    expect(withFallback('plain lr 0.001')).toBe('plain lr 0.001');
    // No font here has CJK: the code points are printed instead of nothing.
    expect(withFallback('中文 lr')).toEqual(['[U+4E2D][U+6587] lr']);
    if (fallbackFontFiles()) {
      expect(withFallback('שלום')).toEqual([{ text: 'שלום', font: 'Fallback' }]);
      expect(withFallback('run 😀')).toEqual(['run ', { text: '😀', font: 'Fallback' }]);
    }
  });

  it.skipIf(!hasPoppler)('prints Hebrew, Armenian and emoji names in a run report', async () => {
    const h = makeHistory();
    const dir = tempDir();
    try {
      const run = addRun(h.store, h.dataset.id, { name: 'קצב Հայ 😀 中 run', preset: 'shl', lr: 0.01, clip: null, seed: 0, epochs: 3, plateau: 0.8 });
      const report = await buildReport(h.store, { runIds: [run.id] }, { appVersion: '1.0.0' });
      const file = join(dir.path, 'r.pdf');
      writeFileSync(file, report.bytes);
      const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
      expect(text).toContain('[U+4E2D]');
      if (fallbackFontFiles()) {
        expect(text).toContain('😀');
        expect(text).toContain('Հայ');
        expect(text).toMatch(/קצב|בצק/);
      }
    } finally {
      h.close();
      dir.remove();
    }
  });
});
