import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

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
