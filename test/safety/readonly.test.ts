/**
 * A data folder this process cannot write (here a read-only bind mount, which root also cannot
 * write): lists, shows and reports work from a read-only snapshot; a write says which folder is
 * read-only, in one line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../../electron/paths';
import { tempDir } from '../support/fixtures';
import { makeLabels, writeIdxPair } from '../datasets/helpers';

const BIN = join(appRoot(), 'bin', 'sweeplab.mjs');
const dir = tempDir();
const home = join(dir.path, 'home');
const ro = join(dir.path, 'ro');
const cli = (dataDir: string, ...args: string[]) => spawnSync(process.execPath, [BIN, '--data-dir', dataDir, ...args], { encoding: 'utf8' });

function mountReadOnly(): string | null {
  mkdirSync(ro, { recursive: true });
  const bind = spawnSync('mount', ['--bind', home, ro], { encoding: 'utf8' });
  if (bind.status !== 0) return `cannot bind-mount (${bind.stderr.trim() || 'mount failed'}): needs root`;
  const remount = spawnSync('mount', ['-o', 'remount,bind,ro', ro], { encoding: 'utf8' });
  if (remount.status !== 0) {
    spawnSync('umount', [ro]);
    return `cannot remount read-only (${remount.stderr.trim()})`;
  }
  return null;
}

let skipReason: string | null = null;
let datasetId = '';
beforeAll(() => {
  const src = join(dir.path, 'src');
  writeIdxPair(src, { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' }, makeLabels(60));
  writeIdxPair(src, { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' }, makeLabels(20));
  const imported = cli(home, '--json', 'data', 'import', src);
  if (imported.status !== 0) throw new Error(imported.stderr);
  datasetId = (JSON.parse(imported.stdout.trim().split('\n').at(-1)!) as { id: string }).id;
  skipReason = mountReadOnly();
  if (skipReason) console.warn(`read-only folder test skipped: ${skipReason}`);
});
afterAll(() => {
  if (!skipReason) spawnSync('umount', [ro]);
  dir.remove();
});

describe('a read-only data folder', () => {
  it('lists and shows, and refuses a write naming the folder', (ctx) => {
    if (skipReason) ctx.skip();
    const list = cli(ro, '--json', 'data', 'list');
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain(datasetId);
    const runs = cli(ro, 'runs', 'list');
    expect(runs.status, runs.stderr).toBe(0);
    const rename = cli(ro, 'data', 'rename', datasetId, 'new name');
    expect(rename.status).toBe(1);
    expect(rename.stderr).toBe(`sweeplab: The data folder ${ro} is read-only: listing and reports work, but this needs to write to it\n`);
    // Nothing was left behind in the folder, and the original is untouched.
    expect(cli(home, '--json', 'data', 'list').stdout).not.toContain('new name');
  });
});
