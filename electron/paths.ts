import { existsSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';

/**
 * Where Sweeplab keeps its database, data sets and checkpoints when no `--data-dir` is given:
 * SWEEPLAB_HOME, else the same folder Electron's `app.getPath('userData')` gives the desktop app,
 * so the CLI, browser mode and the desktop app share one history.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.SWEEPLAB_HOME) return resolve(env.SWEEPLAB_HOME);
  const home = homedir();
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Sweeplab');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Sweeplab');
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Sweeplab');
}

let root: string | null = null;

/**
 * The repository / app root (where package.json, resources/ and out/ live): the nearest folder
 * above this module with a package.json, so it holds from electron/ (tsx) and from out/main (bundle).
 */
export function appRoot(): string {
  if (root) return root;
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`No package.json above ${import.meta.dirname}`);
    dir = up;
  }
  return (root = dir);
}

/** The layout of a data folder: sweeplab.db (store/), datasets/ (datasets/), and these. */

/** Where a run's checkpoints go (one folder per run; its existence marks the run as trained on this machine). */
export function checkpointDir(dataDir: string, runId: string): string {
  return join(dataDir, 'checkpoints', runId);
}

/** Browser-mode uploads (server/upload.ts): one folder per upload session. */
export function uploadsDir(dataDir: string): string {
  return join(dataDir, 'uploads');
}

/**
 * Uploads are copies made only to be imported: once an import from one has ended (imported or
 * refused), its session folder goes. Paths outside the uploads folder are the user's own files
 * and are never touched.
 */
export function removeUploadSessions(dataDir: string, paths: readonly string[]): void {
  const root = uploadsDir(dataDir);
  for (const path of paths) {
    const full = resolve(path);
    if (!full.startsWith(root + sep)) continue;
    const session = full.slice(root.length + 1).split(sep)[0];
    if (session) rmSync(join(root, session), { recursive: true, force: true });
  }
}
