/**
 * Trainer process entry (child_process.fork, or Electron's utilityProcess): waits for one
 * `start` (one trial) or `startPack` (several, trained as one pack) message, runs it, streams
 * protocol messages to the parent, and exits. A `cancel` message stops it after the current batch;
 * one naming a runId stops only that trial of a pack. If the parent goes away, it stops too.
 *
 * Test hooks: SWEEPLAB_TRAINER_TEST_CRASH="exit:<code>@<epoch>:<step>" or "abort@<epoch>:<step>"
 * makes the process die at that training step, to test how the host reports crashes;
 * "gpu-error@<epoch>:<step>" raises a real WebGPU validation error there (webgpu backend);
 * SWEEPLAB_TRAINER_TEST_STEP_MS=<ms> makes every step take at least that long, so tests can cancel
 * mid-run however fast the machine is.
 */
import { ApiError } from '../../shared/errors';
import { injectGpuErrorForTests } from '../engine/webgpu';
import { probeBackends } from '../engine/probe';
import { ToTrainer, type FromTrainer } from './protocol';
import { runPack, runTrial } from './runTrial';

interface Port {
  send(message: FromTrainer): Promise<void>;
  onMessage(listener: (message: unknown) => void): void;
}

/** child_process IPC, or Electron's utilityProcess parentPort when that is what we run under. */
function parentPort(): Port {
  const electronPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', l: (e: { data: unknown }) => void): void } }).parentPort;
  if (electronPort) {
    return {
      send: async (m) => electronPort.postMessage(m),
      onMessage: (l) => electronPort.on('message', (e) => l(e.data)),
    };
  }
  if (!process.send) throw new Error('the trainer must be started by the app (no IPC channel)');
  return {
    send: (m) => new Promise((resolve) => process.send!(m, undefined, undefined, () => resolve())),
    onMessage: (l) => process.on('message', l),
  };
}

function testHook(): ((epoch: number, step: number) => void) | undefined {
  const match = process.env.SWEEPLAB_TRAINER_TEST_CRASH?.match(/^(exit:(\d+)|abort|gpu-error)@(\d+):(\d+)$/);
  const stepMs = Number(process.env.SWEEPLAB_TRAINER_TEST_STEP_MS ?? 0);
  if (!match && !stepMs) return undefined;
  return (e, s) => {
    if (match && e === Number(match[3]) && s === Number(match[4])) {
      if (match[1] === 'gpu-error') return injectGpuErrorForTests();
      if (match[2] === undefined) process.abort();
      process.exit(Number(match[2]));
    }
    const until = performance.now() + stepMs;
    while (performance.now() < until) {
      // busy: a slow step, as on a slow machine
    }
  };
}

async function main(): Promise<void> {
  const port = parentPort();
  let stop = false;
  const stopped = new Set<string>();
  let started = false;
  const pending: Promise<void>[] = [];
  const send = (m: FromTrainer) => {
    pending.push(port.send(m));
  };
  process.on('disconnect', () => {
    // The main process is gone: nobody will read our messages or checkpoints' news.
    stop = true;
    process.exit(0);
  });
  port.onMessage((raw) => {
    const parsed = ToTrainer.safeParse(raw);
    if (!parsed.success) {
      send({ type: 'log', level: 'warn', message: 'trainer ignored a malformed message' });
      return;
    }
    const message = parsed.data;
    if (message.type === 'cancel') {
      if (message.runId) stopped.add(message.runId);
      else stop = true;
      return;
    }
    if (started) return;
    started = true;
    if (message.type === 'probe') {
      void probeBackends()
        .then((states) => send({ type: 'backends', states }))
        .catch((error: unknown) => send({ type: 'failed', error: ApiError.from(error).toJSON() }))
        .finally(async () => {
          await Promise.all(pending);
          process.exit();
        });
      return;
    }
    const run =
      message.type === 'start'
        ? runTrial(message.trial, { send, shouldStop: () => stop, onStep: testHook() })
        : runPack(message.trials, { send, shouldStop: (runId) => stop || stopped.has(runId), onStep: testHook() });
    run
      .catch((error: unknown) => {
        const apiError = ApiError.from(error);
        send({ type: 'failed', error: apiError.toJSON() });
        process.exitCode = 1;
      })
      .finally(async () => {
        await Promise.all(pending);
        process.exit();
      });
  });
}

void main();
