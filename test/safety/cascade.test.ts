/**
 * A data set deleted with --cascade from a second process while this one trains on it: the CLI
 * `train` and `sweep` stop with one clear line, their checkpoints go, nothing crashes.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { appRoot } from '../../electron/paths';
import { tempDir } from '../support/fixtures';
import { makeLabels, writeIdxPair } from '../datasets/helpers';

const BIN = join(appRoot(), 'bin', 'sweeplab.mjs');

function start(dataDir: string, args: string[]) {
  const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines: Record<string, unknown>[] = [];
  let onLine: (() => void) | null = null;
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text));
      onLine?.();
    } catch {
      /* not JSON */
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pred: (l: Record<string, unknown>) => boolean) => {
    while (!lines.some(pred)) await new Promise<void>((resolve) => (onLine = resolve));
  };
  return { exit, waitFor, stderr: () => stderr, lines };
}

describe('cascade delete from a second process', () => {
  it('stops a training run and a sweep on that data set with one line each, and removes their checkpoints', async () => {
    const dir = tempDir();
    try {
      const dataDir = join(dir.path, 'home');
      const src = join(dir.path, 'src');
      writeIdxPair(src, { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, makeLabels(200));
      writeIdxPair(src, { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' }, makeLabels(40));
      const imported = spawnSync(process.execPath, [BIN, '--data-dir', dataDir, '--json', 'data', 'import', src], { encoding: 'utf8' });
      expect(imported.status, imported.stderr).toBe(0);
      const datasetId = (JSON.parse(imported.stdout.trim().split('\n').at(-1)!) as { id: string }).id;

      const train = start(dataDir, ['train', '--dataset', datasetId, '--model', 'shl', '--lr', '0.01', '--epochs', '500', '--batch', '32']);
      const sweep = start(dataDir, ['sweep', '--dataset', datasetId, '--model', 'shl', '--lr', '0.01,0.02', '--clip', 'none', '--epochs', '500', '--batch', '32']);
      await train.waitFor((l) => typeof l.epoch === 'number');
      await sweep.waitFor((l) => l.type === 'epoch');

      const rm = spawnSync(process.execPath, [BIN, '--data-dir', dataDir, 'data', 'rm', datasetId, '--cascade'], { encoding: 'utf8' });
      expect(rm.status, rm.stderr).toBe(0);

      const trainCode = await train.exit;
      expect(trainCode, `${train.stderr()} lines=${train.lines.length} last=${JSON.stringify(train.lines.at(-1))}`).toBe(1);
      expect(train.stderr().trim().split('\n')).toEqual([expect.stringMatching(/^sweeplab: run \w+ was deleted \(by another Sweeplab process\?\) while it trained/)]);
      const sweepCode = await sweep.exit;
      expect(sweepCode, `${sweep.stderr()} lines=${sweep.lines.length}`).toBe(1);
      const sweepErr = sweep.stderr().trim().split('\n').filter((l) => !l.startsWith('[sweeplab]'));
      expect(sweepErr).toHaveLength(1);
      expect(sweepErr[0]).toMatch(/^sweeplab: /);
      expect(sweep.stderr()).not.toMatch(/\n\s+at /);
      const checkpoints = join(dataDir, 'checkpoints');
      expect(existsSync(checkpoints) ? readdirSync(checkpoints) : []).toEqual([]);
    } finally {
      dir.remove();
    }
  }, 120_000);
});
