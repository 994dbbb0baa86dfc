/** What both benchmarks share: where the data and the PyTorch yardstick are, and flag parsing. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../electron/datasets/idx';
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

/** Synthetic IDX files of Fashion-MNIST's shape (for timing where the real set is absent). */
export function writeSyntheticIdx(dir: string, train: number, test: number): string {
  mkdirSync(dir, { recursive: true });
  let s = 1;
  const byte = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
  const write = (prefix: string, n: number) => {
    const labels = Buffer.from(Uint8Array.from({ length: n }, (_, i) => i % 10));
    const images = Buffer.from(Uint8Array.from({ length: n * 784 }, byte));
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(encodeIdx([n, 28, 28], images)));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(encodeIdx([n], labels)));
  };
  write('train', train);
  write('t10k', test);
  return dir;
}
