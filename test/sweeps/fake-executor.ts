/**
 * A trial executor for scheduler tests that behaves like electron/runs/executor.ts towards the
 * store (status running on start, epochs stored once each, final status written before `done`
 * resolves) but trains nothing: the test decides when each trial advances and how it ends.
 */
import type { Store } from '../../electron/store';
import type { CancelReason, TrialExecutor, TrialHandle } from '../../electron/sweeps/scheduler';
import type { EpochMetrics, RunStatus } from '../../shared/domain';

export interface FakeTrial {
  runId: string;
  resume: boolean;
  cancelled: boolean;
  finished: boolean;
  resolve(status: RunStatus): void;
  reject(error: Error): void;
}

export function epochRow(epoch: number, valAcc = 0.5 + epoch / 100): EpochMetrics {
  return { epoch, loss: 1 / epoch, trainAcc: valAcc + 0.02, valAcc, valLoss: 1 / epoch, seconds: 0.5, gradNormMean: 1, gradNormMax: 2, clippedFraction: 0 };
}

export class FakeExecutor implements TrialExecutor {
  readonly started: FakeTrial[] = [];
  maxRunning = 0;
  /** Every cancel(reason) the scheduler asked for, in order. */
  readonly cancelReasons: { runId: string; reason: CancelReason }[] = [];
  /** How long a trainer takes to die after cancel(), like a real one finishing its batch. */
  cancelDelayMs = 0;

  constructor(private readonly store: Store) {}

  get running(): FakeTrial[] {
    return this.started.filter((t) => !t.finished);
  }

  start(runId: string, options: { resume: boolean }): TrialHandle {
    this.store.runs.update(runId, { status: 'running', backend: 'cpu', startedAt: new Date().toISOString() });
    let resolve!: (s: RunStatus) => void;
    let reject!: (e: Error) => void;
    const done = new Promise<RunStatus>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const trial: FakeTrial = {
      runId,
      resume: options.resume,
      cancelled: false,
      finished: false,
      resolve: (s) => {
        trial.finished = true;
        resolve(s);
      },
      reject: (e) => {
        trial.finished = true;
        reject(e);
      },
    };
    this.started.push(trial);
    this.maxRunning = Math.max(this.maxRunning, this.running.length);
    return {
      done,
      cancel: async (reason) => {
        if (trial.finished) return;
        trial.cancelled = true;
        this.cancelReasons.push({ runId, reason });
        if (this.cancelDelayMs) await new Promise((r) => setTimeout(r, this.cancelDelayMs));
        if (trial.finished) return;
        // As the real executor: the final status is the reason, written once; a trial the
        // scheduler marked pruned before stopping it ends 'pruned' with the rule's reason.
        const marked = this.store.runs.get(runId)?.pruned;
        const status: RunStatus = marked && !marked.resumedByHand && reason !== 'interrupted' ? 'pruned' : reason;
        const finishedAt = status === 'interrupted' ? null : new Date().toISOString();
        this.store.runs.update(runId, { status, ...(status === 'pruned' ? { error: marked!.reason } : {}), finishedAt });
        trial.resolve(status);
      },
    };
  }

  /** Stores epochs from..to of a running trial (as the trainer would report them). */
  epochs(runId: string, to: number, valAcc?: (epoch: number) => number): void {
    const from = this.store.runs.get(runId)!.epochsDone + 1;
    for (let e = from; e <= to; e++) this.store.runs.addEpoch(runId, epochRow(e, valAcc?.(e)));
  }

  /** Ends a trial: all its epochs stored and `status` written, as the real executor does. */
  finish(runId: string, status: RunStatus = 'completed', error: string | null = null): void {
    const trial = this.started.find((t) => t.runId === runId && !t.finished);
    if (!trial) throw new Error(`trial ${runId} is not running`);
    if (status === 'completed') this.epochs(runId, this.store.runs.get(runId)!.config.epochs);
    this.store.runs.update(runId, { status, error, finishedAt: new Date().toISOString() });
    trial.resolve(status);
  }
}

/** Lets promise callbacks (settle, pump) run. */
export const flush = () => new Promise((r) => setTimeout(r, 0));
