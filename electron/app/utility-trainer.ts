/**
 * Trainer processes in the desktop app. The entry is the bundled out/main/trainer.cjs
 * (electron.vite.config.ts builds it beside the main process).
 *
 * GPU training needs a real Node binary: Electron's V8 memory cage refuses the external buffers
 * that Dawn's Node bindings (the `webgpu` package) hand out, so WebGPU cannot run in Electron's
 * own processes. Trainers therefore run under Node.js (20 or newer) when one is found:
 * SWEEPLAB_NODE, else `node` on the PATH; the README says why this and not a hidden window with
 * Chromium's WebGPU. Without one, they run in Electron's utilityProcess (no separate install
 * needed) and the webgpu backend reports why it is unavailable.
 */
import { utilityProcess } from 'electron';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { nodeForkTrainer, type ForkTrainer, type TrainerChild } from '../trainer/host';

export const BUNDLED_TRAINER_ENTRY = join(import.meta.dirname, 'trainer.cjs');

export function utilityForkTrainer(): ForkTrainer {
  // The host names the TypeScript entry (for tsx); the app runs the bundled one instead.
  return (): TrainerChild => {
    const child = utilityProcess.fork(BUNDLED_TRAINER_ENTRY, [], { stdio: 'pipe', serviceName: 'Sweeplab trainer' });
    child.stderr?.setEncoding('utf8');
    return {
      get pid() {
        return child.pid;
      },
      send: (message) => child.postMessage(message),
      kill: (signal) => {
        // utilityProcess.kill() only sends SIGTERM; a hung trainer needs the real SIGKILL.
        if (signal === 'SIGKILL' && child.pid !== undefined) {
          try {
            process.kill(child.pid, 'SIGKILL');
            return;
          } catch {
            // already gone
          }
        }
        child.kill();
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.on('exit', (code) => listener(code, null)),
      onError: (listener) => child.on('error', (type, location) => listener(new Error(`${type} at ${location}`))),
      onStderr: (listener) => child.stderr?.on('data', listener),
    };
  };
}

/** A Node.js ≥ 20 binary to run trainers under (see the header), or null. */
export function findNodeBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [
    ...(env.SWEEPLAB_NODE ? [env.SWEEPLAB_NODE] : []),
    ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, process.platform === 'win32' ? 'node.exe' : 'node')),
  ];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const version = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 5000, env: { ...env, ELECTRON_RUN_AS_NODE: undefined } });
    const major = Number(/^v(\d+)\./.exec(version.stdout ?? '')?.[1] ?? 0);
    if (version.status === 0 && major >= 20) return path;
  }
  return null;
}

/** Trainers under a real Node binary when there is one (GPU-capable), else utilityProcess. */
export function desktopForkTrainer(): { fork: ForkTrainer; node: string | null } {
  const node = findNodeBinary();
  if (!node) return { fork: utilityForkTrainer(), node: null };
  // Node cannot read inside app.asar: a packaged app's trainer bundle is unpacked beside it
  // (electron-builder.yml asarUnpack), and so are the packages it loads.
  const entry = BUNDLED_TRAINER_ENTRY.replace(/app\.asar([\\/])/, 'app.asar.unpacked$1');
  return { fork: nodeForkTrainer({ execPath: node, execArgv: [], entry }), node };
}
