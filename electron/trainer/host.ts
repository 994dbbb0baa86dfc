/**
 * Host side of a trainer process: starts one, hands it a trial, relays its messages, and turns
 * however it ends into one TrainerOutcome. A trainer that crashes, is killed (out of memory),
 * exits early or talks nonsense yields status 'failed' with a readable reason (exit code or
 * signal and the tail of its stderr); `done` always settles, it never hangs on a dead process.
 *
 * The fork function is injectable: child_process.fork with tsx by default (CLI, browser mode,
 * dev), Electron's utilityProcess wrapped in a TrainerChild by the app.
 */
import { fork as forkChild } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../../shared/domain';
import type { ErrorCode } from '../../shared/errors';
import { FromTrainer, type ToTrainer, type TrialInput } from './protocol';

/** The minimal process handle the host needs; adapt utilityProcess to it. */
export interface TrainerChild {
  readonly pid: number | undefined;
  send(message: ToTrainer): void;
  kill(signal: NodeJS.Signals): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Spawn failures (ENOENT…). */
  onError(listener: (error: Error) => void): void;
  onStderr(listener: (chunk: string) => void): void;
}

export type ForkTrainer = (entry: string) => TrainerChild;

/** The trainer entry module (TypeScript: run with tsx, see nodeForkTrainer). */
export const TRAINER_ENTRY = fileURLToPath(new URL('./entry.ts', import.meta.url));

function tsxImport(): string {
  try {
    // An absolute URL, so the child finds tsx whatever its working directory.
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

/** child_process.fork with `--import tsx` (NOT worker_threads: a crash must end only the trial). */
export function nodeForkTrainer(options: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}): ForkTrainer {
  return (entry) => {
    const child = forkChild(entry, [], {
      execArgv: options.execArgv ?? ['--import', tsxImport()],
      env: options.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr?.setEncoding('utf8');
    return {
      get pid() {
        return child.pid;
      },
      send: (m) => {
        if (child.connected) child.send(m);
      },
      kill: (signal) => {
        child.kill(signal);
      },
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', l),
      onError: (l) => child.on('error', l),
      onStderr: (l) => child.stderr?.on('data', l),
    };
  };
}

export type TrainerOutcomeStatus = 'completed' | 'diverged' | 'cancelled' | 'failed';

export interface TrainerOutcome {
  status: TrainerOutcomeStatus;
  /** Why it failed or diverged, readable; null otherwise. */
  error: string | null;
  /** For 'failed': the error code ('internal' for crashes). */
  code: ErrorCode | null;
  backend: BackendName | null;
  /** Last epoch the trainer reported (counting resumed ones); 0 when none. */
  lastEpoch: number;
  maxRssBytes: number | null;
  exit: { code: number | null; signal: string | null } | null;
}

export interface TrainerHandle {
  readonly pid: number | undefined;
  /** Ask it to stop after the current batch; SIGKILL after the grace period. */
  cancel(): void;
  /** SIGKILL now (the outcome is 'cancelled'). */
  kill(): void;
  readonly done: Promise<TrainerOutcome>;
}

export interface StartTrainerOptions {
  onMessage?: (message: FromTrainer) => void;
  fork?: ForkTrainer;
  entry?: string;
  /** How long a cancelled trainer may take to stop by itself (default 5 s). */
  cancelGraceMs?: number;
}

const STDERR_TAIL = 4000;

export function startTrainer(trial: TrialInput, options: StartTrainerOptions = {}): TrainerHandle {
  const fork = options.fork ?? nodeForkTrainer();
  const grace = options.cancelGraceMs ?? 5000;
  let stderr = '';
  let backend: BackendName | null = null;
  let lastEpoch = 0;
  let finished: Extract<FromTrainer, { type: 'finished' }> | null = null;
  let failed: Extract<FromTrainer, { type: 'failed' }> | null = null;
  let protocolError: string | null = null;
  let cancelRequested = false;
  let killTimer: NodeJS.Timeout | null = null;
  let settled = false;
  let resolveDone!: (o: TrainerOutcome) => void;
  const done = new Promise<TrainerOutcome>((resolve) => (resolveDone = resolve));

  const child = fork(options.entry ?? TRAINER_ENTRY);

  const settle = (exit: TrainerOutcome['exit'], spawnError?: Error) => {
    if (settled) return;
    settled = true;
    if (killTimer) clearTimeout(killTimer);
    const base = { backend, lastEpoch, maxRssBytes: finished?.maxRssBytes ?? null, exit };
    if (finished) {
      resolveDone({ ...base, status: finished.status, error: finished.error, code: null });
    } else if (failed) {
      resolveDone({ ...base, status: 'failed', error: failed.error.message, code: failed.error.code });
    } else if (cancelRequested) {
      resolveDone({ ...base, status: 'cancelled', error: null, code: null });
    } else if (spawnError) {
      resolveDone({ ...base, status: 'failed', error: `the trainer could not start: ${spawnError.message}`, code: 'unavailable' });
    } else {
      resolveDone({ ...base, status: 'failed', error: describeExit(exit, protocolError, stderr), code: 'internal' });
    }
  };

  child.onStderr((chunk) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  child.onMessage((raw) => {
    const parsed = FromTrainer.safeParse(raw);
    if (!parsed.success) {
      protocolError = 'the trainer sent a malformed message';
      child.kill('SIGKILL');
      return;
    }
    const message = parsed.data;
    if (message.type === 'started') backend = message.backend;
    if (message.type === 'epoch') lastEpoch = message.metrics.epoch;
    if (message.type === 'finished') finished = message;
    if (message.type === 'failed') failed = message;
    options.onMessage?.(message);
  });
  child.onExit((code, signal) => settle({ code, signal }));
  child.onError((error) => {
    // 'error' without 'exit' means it never ran; with a live process it is a send/kill failure.
    if (child.pid === undefined) settle(null, error);
  });
  child.send({ type: 'start', trial: trial as Extract<ToTrainer, { type: 'start' }>['trial'] });

  return {
    get pid() {
      return child.pid;
    },
    cancel() {
      if (settled || cancelRequested) return;
      cancelRequested = true;
      child.send({ type: 'cancel' });
      killTimer = setTimeout(() => child.kill('SIGKILL'), grace);
    },
    kill() {
      if (settled) return;
      cancelRequested = true;
      child.kill('SIGKILL');
    },
    done,
  };
}

function describeExit(exit: TrainerOutcome['exit'], protocolError: string | null, stderr: string): string {
  let reason: string;
  if (protocolError) reason = protocolError;
  else if (!exit) reason = 'the trainer stopped';
  else if (exit.signal === 'SIGKILL') reason = 'the trainer was killed (SIGKILL; out of memory?)';
  else if (exit.signal) reason = `the trainer was killed by ${exit.signal}`;
  else if (exit.code === 134) reason = 'the trainer aborted (exit code 134)';
  else if (exit.code === 0) reason = 'the trainer exited before finishing (exit code 0)';
  else reason = `the trainer exited with code ${exit.code} before finishing`;
  const tail = stderr.trim().split('\n').slice(-12).join('\n').trim();
  return tail ? `${reason}; stderr: ${tail}` : reason;
}
