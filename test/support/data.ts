import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A small, learnable CSV data set (label first, then side×side pixels): class k lights up a band of
 * pixels of its own, plus seeded noise. A few epochs of a tiny MLP reach high accuracy on it.
 */
export function writeTinyCsv(dir: string, options: { rows?: number; classes?: number; side?: number; name?: string } = {}): string {
  const rows = options.rows ?? 600;
  const classes = options.classes ?? 3;
  const side = options.side ?? 6;
  let state = 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const lines = [['label', ...Array.from({ length: side * side }, (_, i) => `pixel${i}`)].join(',')];
  for (let r = 0; r < rows; r++) {
    const label = r % classes;
    const pixels = Array.from({ length: side * side }, (_, i) => {
      const band = Math.floor((i % side) / Math.ceil(side / classes));
      const base = band === label ? 200 : 30;
      return Math.max(0, Math.min(255, Math.round(base + (rand() - 0.5) * 120)));
    });
    lines.push([label, ...pixels].join(','));
  }
  const path = join(dir, options.name ?? 'tiny_train.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
