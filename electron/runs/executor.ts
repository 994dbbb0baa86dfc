/**
 * The run executor: trains a stored run in a trainer process and keeps the database in step with
 * it. While a trainer holds a run, the executor is the only writer of its row: the trainer streams
 * messages, the executor stores each epoch as it arrives (once: an epoch at or below what is
 * stored is ignored, and on a resume the epochs after the checkpoint are dropped first), sets
 * backend and error, and writes the final status once, when the trainer has ended: how it ended
 * on its own, or the reason it was stopped for (TrialHandle.cancel(reason): 'interrupted',
 * 'cancelled', 'pruned'). It emits run.updated / run.epoch / run.log.
 *
 * Runs no trainer holds are written by whoever owns them then: the sweep scheduler (queued trials
 * cancelled or reset for a rerun, a trial whose trainer could not start), RunManager below (a
 * queued single run cancelled, one that could not start) and start-up recovery (runs left
 * 'running' by a dead process become 'interrupted'). Used by single runs (RunManager) and by the
 * sweep scheduler (as its TrialExecutor).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store';
import { nowIso } from '../store';
import { checkpointDir } from '../paths';
import { startPackTrainer, startTrainer, type ForkTrainer, type TrainerHandle, type TrainerOutcome } from '../trainer/host';
import type { FromTrainer, Trial } from '../trainer/protocol';
import type { Run, RunStatus } from '../../shared/domain';
import { ApiError, isDiskFull, writeFailure } from '../../shared/errors';
import type { CancelReason, EventSink, TrialExecutor, TrialHandle } from '../sweeps/scheduler';

export interface ExecutorOptions {
  store: Store;
  events: EventSink;
  dataDir: string;
  /** The stored data set folder of an id (DatasetLibrary.dirFor). */
  datasetDir: (datasetId: string) => string;
  /** How trainer processes are started: child_process.fork + tsx by default; utilityProcess in Electron. */
  fork?: ForkTrainer;
  cancelGraceMs?: number;
  /**
   * Starts a trial somewhere else than a local trainer process (a cluster worker through the
   * broker, electron/cluster/coordinator.ts): the same messages and outcome come back. Absent:
   * a local trainer process.
   */
  launch?: (trial: Trial, options: { onMessage: (message: FromTrainer) => void }) => TrainerHandle;
}

interface Active {
  trainer: TrainerHandle;
  done: Promise<RunStatus>;
  /** Why it was stopped (the first reason given wins), which becomes its final status; null: not stopped. */
  reason: CancelReason | null;
  /** Killed outright (shutdown): a 'failed' outcome then is the kill's, not the trial's own. */
  killed: boolean;
  /**
   * Set when this process could not store what the trainer sent (a full disk, an I/O error): the
   * trainer is stopped and the run ends 'failed' with this error instead of its trainer's outcome.
   */
  failure?: ApiError;
}

const ENDED: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'diverged', 'cancelled', 'interrupted']);

export class RunExecutor implements TrialExecutor {
  private readonly active = new Map<string, Active>();

  constructor(private readonly options: ExecutorOptions) {}

  checkpointDir(runId: string): string {
    return checkpointDir(this.options.dataDir, runId);
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  get activeCount(): number {
    return this.active.size;
  }

  start(runId: string, { resume }: { resume: boolean }): TrialHandle {
    const existing = this.active.get(runId);
    if (existing) return this.handleOf(runId, existing);
    const trial = this.prepare(runId, resume, null);
    const onMessage = (m: FromTrainer) => this.onMessage(runId, m);
    const trainer = this.options.launch
      ? this.options.launch(trial, { onMessage })
      : startTrainer(trial, { fork: this.options.fork, cancelGraceMs: this.options.cancelGraceMs, onMessage });
    return this.track(runId, trainer);
  }

  /**
   * Trains several stored runs in one trainer process as a pack (engine/packedTrain.ts): one
   * handle per run, each settling when that run ends, with its epochs, status and errors stored
   * exactly as for a run trained alone. The runs must share model, data set and every training
   * setting but lr, clip norm, seed, weight decay and epochs (the trainer refuses others).
   */
  startPack(runs: { runId: string; resume: boolean }[]): Map<string, TrialHandle> {
    if (runs.length === 1) return new Map([[runs[0]!.runId, this.start(runs[0]!.runId, runs[0]!)]]);
    const busy = runs.find((r) => this.active.has(r.runId));
    if (busy) throw new ApiError('failed_precondition', `run ${busy.runId} is already training`);
    const trials = runs.map((r) => this.prepare(r.runId, r.resume, runs.length));
    const pack = startPackTrainer(trials, {
      fork: this.options.fork,
      cancelGraceMs: this.options.cancelGraceMs,
      onMessage: (m) => {
        // A pack-wide failure (the data set could not be read…) is every member's.
        if (m.type === 'failed') trials.forEach((t) => this.onMessage(t.runId, m));
        else if (m.runId) this.onMessage(m.runId, m);
      },
    });
    return new Map(trials.map((t) => [t.runId, this.track(t.runId, pack.members.get(t.runId)!)]));
  }

  /** Marks a run running and returns what its trainer is given; `packSize` null: alone. */
  private prepare(runId: string, resume: boolean, packSize: number | null): Trial {
    const { store } = this.options;
    const run = store.runs.get(runId);
    if (!run) throw new ApiError('not_found', `No run with id ${runId}`);
    const checkpointDir = this.checkpointDir(runId);
    try {
      if (!resume) {
        // A fresh start: no old checkpoint may leak into it, and no old epochs stay stored.
        rmSync(checkpointDir, { recursive: true, force: true });
        store.runs.truncateEpochs(runId, 0);
      }
      // The folder, even before its first checkpoint, marks the run as trained on this machine.
      mkdirSync(checkpointDir, { recursive: true });
      store.runs.setOwner(run.id, process.pid);
      this.update(run.id, { status: 'running', error: null, finishedAt: null, packSize, startedAt: resume && run.startedAt ? run.startedAt : nowIso() });
    } catch (error) {
      // A full disk before the trainer started: the caller fails the run with this line.
      throw writeFailure(error, `run ${runId}'s start (checkpoint folder ${checkpointDir} or database)`);
    }
    return {
      runId: run.id,
      model: run.model,
      config: run.config,
      datasetDir: this.options.datasetDir(run.datasetId),
      checkpointDir,
      resume,
    };
  }

  private track(runId: string, trainer: TrainerHandle): TrialHandle {
    const entry: Active = { trainer, reason: null, killed: false, done: Promise.resolve('running') };
    entry.done = trainer.done.then(
      (outcome) => this.finish(runId, outcome, entry),
      (error: unknown) => this.finish(runId, { status: 'failed', error: String(error), code: 'internal' } as TrainerOutcome, entry),
    );
    this.active.set(runId, entry);
    return this.handleOf(runId, entry);
  }

  private handleOf(runId: string, entry: Active): TrialHandle {
    return {
      done: entry.done,
      cancel: async (reason) => {
        entry.reason ??= reason;
        entry.trainer.cancel();
        await entry.done;
      },
    };
  }

  /** Cancels a run's trainer (graceful, then killed after the grace period); resolves when it ended. */
  async cancel(runId: string): Promise<void> {
    const entry = this.active.get(runId);
    if (!entry) return;
    entry.reason ??= 'cancelled';
    entry.trainer.cancel();
    await entry.done;
  }

  /** The app is closing: stop every trainer now and leave their runs resumable ('interrupted'). */
  async shutdown(): Promise<void> {
    const entries = [...this.active.values()];
    for (const entry of entries) {
      entry.reason ??= 'interrupted';
      entry.killed = true;
      entry.trainer.kill();
    }
    await Promise.all(entries.map((e) => e.done));
  }

  /** Removes a deleted run's checkpoints. */
  forget(runId: string): void {
    try {
      // Another process may be removing the same folder (its cascade delete): retry, then let it.
      rmSync(this.checkpointDir(runId), { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    } catch (error) {
      if (existsSync(this.checkpointDir(runId))) console.error(`[sweeplab] could not remove the checkpoints of run ${runId}: ${(error as Error).message}`);
    }
  }

  /**
   * A trainer message about a run this process does not train right now (a cluster worker's,
   * read from the broker after a restart of this process): stored as any other, once.
   */
  apply(runId: string, message: FromTrainer): void {
    this.onMessage(runId, message);
  }

  /** How a run this process did not track ended elsewhere (a cluster worker's outcome read after a restart). */
  applyOutcome(runId: string, outcome: TrainerOutcome): void {
    const run = this.options.store.runs.get(runId);
    if (!run || this.active.has(runId) || !['running', 'queued', 'interrupted'].includes(run.status)) return;
    this.finish(runId, outcome, { trainer: null as unknown as TrainerHandle, done: Promise.resolve(outcome.status as RunStatus), reason: null, killed: false });
  }

  private onMessage(runId: string, message: FromTrainer): void {
    try {
      this.record(runId, message);
    } catch (error) {
      // A store error must not take down the process that hosts every other run. A write that
      // failed (a full disk: SQLITE_FULL) ends this run as failed with that error: its trainer is
      // stopped, since epochs it trains now could not be kept.
      const entry = this.active.get(runId);
      let exists = false;
      try {
        exists = Boolean(this.options.store.runs.get(runId));
      } catch {
        exists = true;
      }
      if (entry && exists) {
        const failure = writeFailure(error, `the results of run ${runId} to the database`);
        if (!entry.failure) {
          entry.failure = failure;
          entry.trainer.cancel();
        }
        this.options.events.emit('run.log', { runId, level: 'error', message: failure.message });
        return;
      }
      this.options.events.emit('run.log', { runId, level: 'error', message: `could not store trainer message: ${ApiError.from(error).message}` });
    }
  }

  private record(runId: string, message: FromTrainer): void {
    const { store, events } = this.options;
    switch (message.type) {
      case 'started': {
        // Epochs after the checkpoint the trainer resumed from were stored by a process that died
        // before it could checkpoint them; they will be trained again, so drop them now. Epochs up
        // to the checkpoint that never reached the database (the process died between writing
        // the checkpoint and storing the epoch) come from the checkpoint's history.
        store.runs.truncateEpochs(runId, message.startEpoch);
        const stored = store.runs.get(runId)?.epochsDone ?? 0;
        for (const metrics of message.history) {
          if (metrics.epoch > stored && metrics.epoch <= message.startEpoch) store.runs.addEpoch(runId, metrics);
        }
        this.update(runId, { backend: message.backend, device: message.device });
        break;
      }
      case 'epoch': {
        const run = store.runs.get(runId);
        if (!run) {
          // Deleted by another process (a data set deleted with --cascade): stop training it.
          this.active.get(runId)?.trainer.cancel();
          break;
        }
        if (message.metrics.epoch <= run.epochsDone) break;
        store.runs.addEpoch(runId, message.metrics, message.steps);
        if (message.timing.compileSeconds > 0) {
          const compileSeconds = (run.compileSeconds ?? 0) + message.timing.compileSeconds;
          this.update(runId, { compileSeconds });
          events.emit('run.log', {
            runId,
            level: 'info',
            message: `GPU shader compilation: ${message.timing.compileSeconds.toFixed(1)} s in epoch ${message.metrics.epoch} (not counted in its seconds)`,
          });
        }
        events.emit('run.epoch', { runId, metrics: message.metrics, ...(message.steps ? { steps: message.steps } : {}) });
        events.emit('run.updated', store.runs.get(runId)!);
        break;
      }
      case 'log':
        events.emit('run.log', { runId, level: message.level, message: message.message });
        break;
      case 'failed':
        events.emit('run.log', { runId, level: 'error', message: message.error.message });
        break;
      case 'finished':
        if (message.test) this.update(runId, { test: message.test });
        break;
    }
  }

  private finish(runId: string, outcome: TrainerOutcome, entry: Active): RunStatus {
    try {
      return this.settle(runId, outcome, entry);
    } catch (error) {
      // The final status could not be stored (the disk is full): the run still ends here, for
      // this process (its CLI or page hears 'failed' with the reason); the database keeps it
      // 'running' until the next start marks it interrupted (resumable from its checkpoint).
      this.active.delete(runId);
      const failure = writeFailure(error, `the status of run ${runId} to the database`);
      const first = entry.failure ?? (outcome.status === 'failed' && outcome.error ? new ApiError('unavailable', outcome.error) : null);
      failRun(this.options.store, this.options.events, runId, first && /^Disk full\b/.test(first.message) ? first.message : failure.message);
      return 'failed';
    }
  }

  private settle(runId: string, outcome: TrainerOutcome, entry: Active): RunStatus {
    this.active.delete(runId);
    if (entry.failure) outcome = { ...outcome, status: 'failed', error: entry.failure.message } as TrainerOutcome;
    else if (outcome.status === 'failed' && outcome.error && !/^Disk full\b/.test(outcome.error) && isDiskFull(outcome.error)) {
      // A raw ENOSPC from the trainer's side (its checkpoint writes say "Disk full" themselves).
      outcome = { ...outcome, error: `Disk full: ${outcome.error}` };
    }
    if (this.options.store.runs.get(runId)) this.options.store.runs.setOwner(runId, null);
    // Ended on its own: finished, diverged, or failed by itself (not by our kill).
    const own = outcome.status === 'completed' || outcome.status === 'diverged' || (outcome.status === 'failed' && !entry.killed);
    const status: RunStatus = entry.reason && !own ? entry.reason : outcome.status;
    if (!this.options.store.runs.get(runId)) {
      // Deleted while it ran (here or by another process): its checkpoints go too, and whoever
      // waits for it (a CLI `train`) hears that it is gone.
      this.forget(runId);
      this.options.events.emit('run.deleted', { id: runId });
      return status;
    }
    // A trial the sweep's early-termination rule stopped (the scheduler marks it before it
    // cancels the trainer) ends 'pruned' with the rule's reason, never 'cancelled' for a moment.
    const marked = this.options.store.runs.get(runId)!.pruned;
    if ((status === 'pruned' || status === 'cancelled') && marked && !marked.resumedByHand) {
      this.update(runId, { status: 'pruned', error: marked.reason, finishedAt: nowIso() });
      return 'pruned';
    }
    if (entry.reason === 'pruned' && marked && !marked.resumedByHand) {
      // It ended on its own before the rule's stop reached it: not pruned after all.
      this.update(runId, { status, error: outcome.error, finishedAt: nowIso(), pruned: null });
      return status;
    }
    // An interrupted run resumes later: it has not finished.
    this.update(runId, { status, error: outcome.error, finishedAt: status === 'interrupted' ? null : nowIso() });
    return status;
  }

  private update(runId: string, patch: Parameters<Store['runs']['update']>[1]): Run | null {
    const run = this.options.store.runs.update(runId, patch);
    if (run) this.options.events.emit('run.updated', run);
    return run;
  }
}

/**
 * Marks a run failed with `error` and announces it; where even that write fails (the disk is
 * full), the run is announced failed anyway (its database row says so after the next start's
 * recovery at the latest), and nothing throws.
 */
export function failRun(store: Store, events: EventSink, runId: string, error: string): void {
  let run: Run | null = null;
  try {
    run = store.runs.get(runId);
    // On a full disk the data folder's reserve makes room for this one line (store.evenIfFull).
    const failed = store.evenIfFull(() => store.runs.update(runId, { status: 'failed', error, finishedAt: nowIso() }));
    if (failed) events.emit('run.updated', failed);
    return;
  } catch (caught) {
    const also = writeFailure(caught, `the status of run ${runId}`).message;
    const reason = also === error ? error : `${error}; ${also}`;
    events.emit('run.log', { runId, level: 'error', message: reason });
    // Said anyway, to this process's CLI and pages; the database keeps 'running' until the next
    // start marks the run interrupted (resumable from its checkpoint).
    if (run) events.emit('run.updated', { ...run, status: 'failed', error: reason, finishedAt: nowIso() });
  }
}

/**
 * Single runs (not in a sweep): started on request, a few at a time. Runs beyond the limit wait
 * as 'queued' and start as others end.
 */
/** Starts, queues and cancels single runs (the service's RunRunner). */
export class RunManager {
  private readonly queue: { runId: string; resume: boolean }[] = [];

  constructor(
    private readonly executor: RunExecutor,
    private readonly store: Store,
    private readonly events: EventSink,
    private readonly limit: () => number,
  ) {}

  private running = new Set<string>();

  async start(runId: string, options: { resume?: boolean } = {}): Promise<Run> {
    const run = this.store.runs.get(runId);
    if (!run) throw new ApiError('not_found', `No run with id ${runId}`);
    // The executor, not this.running, says whether it trains now: `running` is cleared a tick after
    // the run's final status was announced, and a resume asked for in that tick must not be lost.
    if (this.executor.isActive(runId) || this.queue.some((q) => q.runId === runId)) return run;
    this.queue.push({ runId, resume: Boolean(options.resume) });
    this.store.runs.setOwner(runId, process.pid);
    if (run.status !== 'queued') {
      const queued = this.store.runs.update(runId, { status: 'queued', error: null });
      if (queued) this.events.emit('run.updated', queued);
    }
    this.pump();
    return this.store.runs.get(runId)!;
  }

  /**
   * Trainers this manager may run now: the core budget less the trainers sweeps are running (the
   * executor trains both), but always at least one, so a single run is never starved by a sweep.
   */
  private slots(): number {
    const sweepTrainers = Math.max(0, this.executor.activeCount - this.running.size);
    return Math.max(1, this.limit() - sweepTrainers);
  }

  private pump(): void {
    while (this.running.size < this.slots() && this.queue.length) {
      const { runId, resume } = this.queue.shift()!;
      if (!this.store.runs.get(runId)) continue;
      this.running.add(runId);
      let handle: TrialHandle;
      try {
        handle = this.executor.start(runId, { resume });
      } catch (error) {
        this.running.delete(runId);
        failRun(this.store, this.events, runId, ApiError.from(error).message);
        continue;
      }
      void handle.done.finally(() => {
        this.running.delete(runId);
        this.pump();
      });
    }
  }

  async cancel(runId: string): Promise<Run> {
    const queued = this.queue.findIndex((q) => q.runId === runId);
    if (queued >= 0) this.queue.splice(queued, 1);
    if (this.executor.isActive(runId)) await this.executor.cancel(runId);
    const run = this.store.runs.get(runId);
    if (!run) throw new ApiError('not_found', `No run with id ${runId}`);
    if (!ENDED.has(run.status)) {
      const cancelled = this.store.runs.update(runId, { status: 'cancelled', finishedAt: nowIso() })!;
      this.events.emit('run.updated', cancelled);
      return cancelled;
    }
    return run;
  }

  async forget(runId: string): Promise<void> {
    this.executor.forget(runId);
  }

  trainedHere(runId: string): boolean {
    return existsSync(this.executor.checkpointDir(runId));
  }
}
