import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

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

/** The repository / app root (where package.json, resources/ and out/ live). */
export function appRoot(): string {
  return resolve(import.meta.dirname, '..');
}
