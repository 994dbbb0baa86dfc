/** Running `sweeplab` as a child process in tests: a tiny IDX data set and a JSON-lines reader. */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../../electron/datasets/idx';
import { appRoot } from '../../electron/paths';

const BIN = join(appRoot(), 'bin', 'sweeplab.mjs');

/** A learnable IDX folder: class k lights up row band k, plus seeded noise. */
export function writeTinyIdx(dir: string, train = 100, test = 40): void {
  mkdirSync(dir, { recursive: true });
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const make = (n: number, prefix: string) => {
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    const images = new Uint8Array(n * 784);
    for (let i = 0; i < n; i++)
      for (let p = 0; p < 784; p++) images[i * 784 + p] = Math.floor(p / 28) >> 1 === labels[i]! + 2 ? 200 + rand() * 55 : rand() * 60;
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(encodeIdx([n, 28, 28], images)));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(encodeIdx([n], labels)));
  };
  make(train, 'train');
  make(test, 't10k');
}

export interface Cli {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first JSON line (already seen or to come) matching `pred`. */
  waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export function cli(dataDir: string, args: string[]): Cli {
  const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const watchers: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    lines.push(line);
    for (const w of [...watchers]) if (w.pred(line)) (watchers.splice(watchers.indexOf(w), 1), w.resolve(line));
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    exit,
    stderr: () => err,
    waitFor(pred, timeoutMs = 90_000) {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; lines so far: ${JSON.stringify(lines).slice(0, 2000)}\nstderr: ${err}`)), timeoutMs);
        watchers.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exit.then(() => setTimeout(() => reject(new Error(`CLI exited; stderr: ${err}; lines: ${JSON.stringify(lines).slice(0, 2000)}`)), 50));
      });
    },
  };
}

export function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter(Boolean);
  } catch {
    return [];
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
