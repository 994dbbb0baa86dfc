/** What both benchmarks share: where the data and the PyTorch yardstick are, and flag parsing. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FASHION = '/usr/share/datasets/fashion-mnist';
/** ../shared/reference/seed_loop.py beside the checkout: the PyTorch loop users come from. */
export const SEED_LOOP = resolve(repoRoot, '../shared/reference/seed_loop.py');
export const PYTHON = '/usr/bin/python3';

/** `--name value` from the command line, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
