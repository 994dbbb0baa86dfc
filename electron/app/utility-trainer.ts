/**
 * Trainer processes in the desktop app: Electron's utilityProcess (a Node child that needs no
 * separate Node install), adapted to the trainer host's TrainerChild. The entry is the bundled
 * out/main/trainer.cjs (electron.vite.config.ts builds it beside the main process).
 */
import { utilityProcess } from 'electron';
import { join } from 'node:path';
import type { ForkTrainer, TrainerChild } from '../trainer/host';

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
