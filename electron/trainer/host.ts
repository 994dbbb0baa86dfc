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
import type { BackendName, BackendState } from '../../shared/domain';
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
export function nodeForkTrainer(options: { execArgv?: string[]; env?: NodeJS.ProcessEnv; execPath?: string; entry?: string } = {}): ForkTrainer {
  return (requested) => {
    const entry = options.entry ?? requested;
    const child = forkChild(entry, [], {
      ...(options.execPath ? { execPath: options.execPath } : {}),
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
  const launched = launch({ type: 'start', trial: trial as StartTrial }, [trial.runId], false, options);
  return launched.members.get(trial.runId)!;
}

type StartTrial = Extract<ToTrainer, { type: 'start' }>['trial'];

/** A trainer process training a pack: one handle per trial, each settling when its trial ends. */
export interface PackTrainerHandle {
  readonly pid: number | undefined;
  readonly members: ReadonlyMap<string, TrainerHandle>;
}

/**
 * Starts one trainer process for a pack of trials (see engine/packedTrain.ts). Each member's
 * `done` settles when the trainer reports that trial finished (the others may train on) or when
 * the process ends. Cancelling a member asks the trainer to drop that trial after the current
 * step; the process is killed after the grace period only once every unfinished member is being
 * cancelled, so one slow cancel never takes the other trials down. kill() of the last unfinished
 * member kills the process (how shutdown stops a pack).
 */
export function startPackTrainer(trials: TrialInput[], options: StartTrainerOptions = {}): PackTrainerHandle {
  return launch({ type: 'startPack', trials: trials as StartTrial[] }, trials.map((t) => t.runId), true, options);
}

interface MemberState {
  lastEpoch: number;
  finished: Extract<FromTrainer, { type: 'finished' }> | null;
  cancelRequested: boolean;
  settled: boolean;
  resolve: (o: TrainerOutcome) => void;
}

function launch(start: ToTrainer, runIds: string[], pack: boolean, options: StartTrainerOptions): PackTrainerHandle {
  const fork = options.fork ?? nodeForkTrainer();
  const grace = options.cancelGraceMs ?? 5000;
  let stderr = '';
  let backend: BackendName | null = null;
  let failed: Extract<FromTrainer, { type: 'failed' }> | null = null;
  let protocolError: string | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  let exited = false;
  const state = new Map<string, MemberState>();
  const members = new Map<string, TrainerHandle>();

  const child = fork(options.entry ?? TRAINER_ENTRY);

  const outcomeOf = (m: MemberState, exit: TrainerOutcome['exit'], spawnError?: Error): TrainerOutcome => {
    const base = { backend, lastEpoch: m.lastEpoch, maxRssBytes: m.finished?.maxRssBytes ?? null, exit };
    if (m.finished) return { ...base, status: m.finished.status, error: m.finished.error, code: null };
    if (failed) return { ...base, status: 'failed', error: failed.error.message, code: failed.error.code };
    if (m.cancelRequested) return { ...base, status: 'cancelled', error: null, code: null };
    if (spawnError) return { ...base, status: 'failed', error: `the trainer could not start: ${spawnError.message}`, code: 'unavailable' };
    return { ...base, status: 'failed', error: describeExit(exit, protocolError, stderr), code: 'internal' };
  };
  const settleMember = (m: MemberState, exit: TrainerOutcome['exit'], spawnError?: Error) => {
    if (m.settled) return;
    m.settled = true;
    m.resolve(outcomeOf(m, exit, spawnError));
  };
  const settleAll = (exit: TrainerOutcome['exit'], spawnError?: Error) => {
    if (exited) return;
    exited = true;
    if (killTimer) clearTimeout(killTimer);
    for (const m of state.values()) settleMember(m, exit, spawnError);
  };
  const unfinished = () => [...state.values()].filter((m) => !m.settled && !m.finished);
  const armKill = () => {
    if (killTimer || exited) return;
    killTimer = setTimeout(() => child.kill('SIGKILL'), grace);
  };

  for (const runId of runIds) {
    let resolve!: (o: TrainerOutcome) => void;
    const done = new Promise<TrainerOutcome>((r) => (resolve = r));
    const m: MemberState = { lastEpoch: 0, finished: null, cancelRequested: false, settled: false, resolve };
    state.set(runId, m);
    members.set(runId, {
      get pid() {
        return child.pid;
      },
      cancel() {
        if (m.settled || m.cancelRequested || exited) return;
        m.cancelRequested = true;
        child.send(pack ? { type: 'cancel', runId } : { type: 'cancel' });
        if (unfinished().every((u) => u.cancelRequested)) armKill();
      },
      kill() {
        if (m.settled || exited) return;
        m.cancelRequested = true;
        if (unfinished().every((u) => u.cancelRequested)) child.kill('SIGKILL');
        else child.send({ type: 'cancel', runId });
      },
      done,
    });
  }

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
    if (message.type === 'failed') failed = message;
    else {
      const m = state.get(message.runId ?? (pack ? '' : runIds[0]!));
      if (!m) {
        protocolError = 'the trainer sent a message about a run it was not given';
        child.kill('SIGKILL');
        return;
      }
      if (message.type === 'started') backend = message.backend;
      if (message.type === 'epoch') m.lastEpoch = message.metrics.epoch;
      if (message.type === 'finished') {
        m.finished = message;
        // A pack's trial is over as soon as the trainer says so; a single trial's when its process is.
        if (pack) settleMember(m, null);
      }
    }
    options.onMessage?.(message);
  });
  child.onExit((code, signal) => settleAll({ code, signal }));
  child.onError((error) => {
    // 'error' without 'exit' means it never ran; with a live process it is a send/kill failure.
    if (child.pid === undefined) settleAll(null, error);
  });
  child.send(start);

  return {
    get pid() {
      return child.pid;
    },
    members,
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

/**
 * Asks a fresh trainer process what each backend would do there (engine/probe.ts): the same kind
 * of process that trains, so the answer holds for the trainers. Rejects with the reason when the
 * process fails or takes longer than `timeoutMs`.
 */
export function probeBackendsInTrainer(options: { fork?: ForkTrainer; entry?: string; timeoutMs?: number } = {}): Promise<BackendState[]> {
  const child = (options.fork ?? nodeForkTrainer())(options.entry ?? TRAINER_ENTRY);
  let stderr = '';
  return new Promise<BackendState[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the backend probe took longer than ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s`));
    }, options.timeoutMs ?? 60_000);
    const end = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    child.onStderr((chunk) => (stderr = (stderr + chunk).slice(-STDERR_TAIL)));
    child.onError((error) => end(() => reject(error)));
    child.onMessage((raw) => {
      const parsed = FromTrainer.safeParse(raw);
      if (!parsed.success) return;
      if (parsed.data.type === 'backends') end(() => resolve(parsed.data.type === 'backends' ? parsed.data.states : []));
      if (parsed.data.type === 'failed') end(() => reject(new Error(parsed.data.type === 'failed' ? parsed.data.error.message : 'failed')));
    });
    child.onExit((code, signal) => end(() => reject(new Error(`the backend probe exited (${signal ?? code}) without an answer${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`))));
    child.send({ type: 'probe' });
  });
}
