/** What both benchmarks share: where the data and the PyTorch yardstick are, and flag parsing. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FASHION = '/usr/share/datasets/fashion-mnist';
/**
 * The PyTorch yardstick: the notebook's training loop as a script (`--pytorch-loop FILE` or
 * SWEEPLAB_PYTORCH_LOOP; README "Benchmarks" says what it takes and prints). None given: the
 * benchmarks report ours alone.
 */
export const SEED_LOOP = ((): string => {
  const i = process.argv.indexOf('--pytorch-loop');
  const path = i >= 0 ? process.argv[i + 1] : process.env.SWEEPLAB_PYTORCH_LOOP;
  return path ? resolve(path) : '';
})();
export const PYTHON = '/usr/bin/python3';

/** `--name value` from the command line, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
