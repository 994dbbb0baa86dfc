/**
 * SweepScheduler: runs the trials of sweeps on a pool of trainer processes, in the main process.
 *
 * The database is the source of truth: every trial is a row of `runs` (created queued when the
 * sweep is created), its status and epochs are written by the trial executor, and everything here
 * can be rebuilt from those rows, which is what makes pause, crash recovery and resume simple. The
 * only in-memory state is the set of trial handles this process is running.
 *
 * Launch order comes from grid.ts (seed-major, grid corners first). Concurrency is per sweep and can
 * change while it runs: raising it starts trials at once, lowering it lets running trials finish.
 *
 * Another process (the CLI beside the app) may own a sweep: ownership is `owner_pid` with a
 * heartbeat. A cancel or pause written to the database by another process is noticed by the owner
 * within `pollMs` and its trainers are stopped.
 */
import { availableParallelism, freemem } from 'node:os';
import type { Store } from '../store';
import type { AnalysisMetric } from '../../shared/analysis';
import { nowIso } from '../store';
import type { TrialRow } from '../store/sweeps';
import type { EventName, EventPayload } from '../../shared/contract';
import { ApiError, writeFailure } from '../../shared/errors';
import { GPU_BACKENDS, type ModelSpec, type PresetName, type RunStatus, type Sweep, type SweepSpec } from '../../shared/domain';
import { assertGridSize, cellIdOf, describeCell, expandTrials, trialConfig, trialModel, type Cell } from './grid';
import { sweepEta } from './eta';
import { pruneDecision, scoreAt, type PruneTrial } from './prune';
import { propose, type CellValues, type Observation } from './search';
import { presetModel as builtInPreset } from '../../shared/models';
import { MAX_PACK, packBudgetBytes, packKey, packMemberBytes, packsByDefault, packSize } from '../../shared/packing';

/** One trial being trained: `done` resolves with the status the executor stored. */
/**
 * Why a trial is stopped before its end, which is its final status unless it ended on its own
 * first (completed, diverged, failed): 'interrupted' resumes later from its checkpoint, 'cancelled'
 * does not, 'pruned' is early termination's (the run's `pruned` mark, stored before, says why).
 */
export type CancelReason = 'interrupted' | 'cancelled' | 'pruned';

export interface TrialHandle {
  /**
   * Stops the trainer; the executor then writes the run's final status once (`reason`, or how it
   * ended on its own) and `done` resolves with it.
   */
  cancel(reason: CancelReason): Promise<void>;
  done: Promise<RunStatus>;
}

/**
 * What the scheduler needs from the run executor (electron/runs/executor.ts): start a stored run
 * (status queued or interrupted), from its last checkpoint when `resume`. The executor stores each
 * epoch (once per run and epoch), the run's status, backend and error, and emits run events.
 */
export interface TrialExecutor {
  start(runId: string, options: { resume: boolean }): TrialHandle;
  /**
   * Trains several runs in one trainer as a pack (shared/packing.ts): one handle per run. Absent:
   * the scheduler never packs.
   */
  startPack?(runs: { runId: string; resume: boolean }[]): Map<string, TrialHandle>;
  /** Removes the files a deleted trial left (its checkpoints). */
  forget?(runId: string): void;
}

export interface EventSink {
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  on?<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export interface SweepSchedulerOptions {
  store: Store;
  events: EventSink;
  executor: TrialExecutor;
  /** The preset models, for sweeps with a preset axis; default shared/models.ts presetModel. */
  presetModel?: (name: PresetName, numClasses: number) => ModelSpec;
  /** True when trials will train on a GPU: the default concurrency is then 1. */
  gpu?: () => boolean;
  /** CPU cores, for the default concurrency on CPU backends. */
  cores?: () => number;
  /** How often an owned sweep's row is re-read (cancels from other processes) and its heartbeat renewed. */
  pollMs?: number;
  /** This process's id, recorded as the owner of the sweeps it runs. */
  pid?: number;
  /** Memory one trainer's pack may use (default: shared/packing.ts packBudgetBytes for the sweep's backend): bounds the pack size. */
  packBudgetBytes?: number;
  /** True once the backend probe found only a software WebGPU adapter: webgpu sweeps then do not pack unless asked. */
  webgpuSoftware?: () => boolean;
  /** Free host memory in bytes (default os.freemem), for the pack budget on CPU backends. */
  freeMemory?: () => number;
}

/** Trial statuses the pool will still start (interrupted ones from their checkpoint). */
const PENDING: RunStatus[] = ['queued', 'interrupted'];

type StopReason = 'pause' | 'cancel' | 'rerun' | 'shutdown' | 'cancel-trial' | 'prune';
/** The final status a stop asks the executor to write (a rerun's trial is reset to queued after). */
const CANCEL_REASON: Record<StopReason, CancelReason> = {
  pause: 'interrupted',
  shutdown: 'interrupted',
  cancel: 'cancelled',
  'cancel-trial': 'cancelled',
  rerun: 'cancelled',
  prune: 'pruned',
};

interface RunningTrial {
  handle: TrialHandle;
  stop: StopReason | null;
  /** Why early termination stopped it (stop = 'prune'). */
  pruned?: { epoch: number; reason: string };
  settled: Promise<void>;
  /** The trainer process it runs in: shared by the trials of one pack. */
  trainer: object;
}

interface ActiveSweep {
  id: string;
  order: Map<string, number>;
  running: Map<string, RunningTrial>;
  /** Set while pause/cancel/shutdown is stopping the trainers: nothing new starts. */
  stopping: boolean;
  /** The pause or cancel in progress, ending with the sweep deactivated; shutdown waits for it. */
  closing: Promise<Sweep> | null;
  waiters: ((sweep: Sweep) => void)[];
  /** A search sweep whose space has no configuration left to propose (a small discrete space). */
  exhausted: boolean;
  /** Why the sweep stopped on its own: a write failed (a full disk). Nothing new starts. */
  failure?: string;
}

export class SweepScheduler {
  private readonly store: Store;
  private readonly events: EventSink;
  private readonly executor: TrialExecutor;
  private readonly active = new Map<string, ActiveSweep>();
  private readonly trialSweep = new Map<string, string>();
  private readonly pid: number;
  private readonly pollMs: number;
  /** Each running sweep as last announced: what waiters get when another process deletes it. */
  private readonly lastSeen = new Map<string, Sweep>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  constructor(private readonly options: SweepSchedulerOptions) {
    this.store = options.store;
    this.events = options.events;
    this.executor = options.executor;
    this.pid = options.pid ?? process.pid;
    this.pollMs = options.pollMs ?? 1000;
    // An epoch of a trial changes the sweep's ETA: forward it as sweep.updated, at most once per
    // second per sweep (the ETA reads every stored epoch of the sweep; a big sweep with several
    // trainers would otherwise recompute it for each of their epochs).
    this.unsubscribe =
      options.events.on?.('run.epoch', ({ runId, metrics }) => {
        const sweepId = this.trialSweep.get(runId);
        if (!sweepId) return;
        this.queuePrune(runId, metrics.epoch);
        this.emitSoon(sweepId);
      }) ?? null;
  }

  /** Epochs waiting for an early-termination decision, judged together (see queuePrune). */
  private readonly pruneQueue = new Map<string, number[]>();
  private pruneScheduled = false;

  /**
   * Early-termination decisions wait for the end of the current I/O turn: the trials of a pack
   * report an epoch together, and each must be judged with its pack mates' epochs already stored
   * (judged one by one as they arrive, the first to report would always be alone on its rung).
   */
  private queuePrune(runId: string, epoch: number): void {
    this.pruneQueue.set(runId, [...(this.pruneQueue.get(runId) ?? []), epoch]);
    this.schedulePrune();
  }

  private schedulePrune(): void {
    if (this.pruneScheduled || !this.pruneQueue.size) return;
    this.pruneScheduled = true;
    setImmediate(() => {
      this.pruneScheduled = false;
      const batch = [...this.pruneQueue];
      this.pruneQueue.clear();
      if (this.closed) return;
      for (const [id, epochs] of batch) {
        for (let i = 0; i < epochs.length; i++) {
          const outcome = this.checkPrune(id, epochs[i]!);
          if (outcome === 'wait') {
            // Its pack mates have not reported this epoch yet: judged again when they have.
            this.pruneQueue.set(id, [...epochs.slice(i), ...(this.pruneQueue.get(id) ?? [])]);
            break;
          }
          if (outcome === 'pruned') break;
        }
      }
    });
  }

  private readonly pendingEmits = new Map<string, ReturnType<typeof setTimeout>>();

  private emitSoon(id: string): void {
    if (this.pendingEmits.has(id)) return;
    this.pendingEmits.set(
      id,
      setTimeout(() => {
        this.pendingEmits.delete(id);
        if (!this.closed && this.store.sweeps.get(id)) this.emit(id);
      }, 1000),
    );
  }

  /** Default pool size: one trial per core on CPU backends, one on a GPU. */
  defaultConcurrency(spec: SweepSpec): number {
    const gpu = (spec.base.backend !== 'auto' && GPU_BACKENDS.includes(spec.base.backend)) || (spec.base.backend === 'auto' && (this.options.gpu?.() ?? false));
    return gpu ? 1 : Math.max(1, Math.min(1024, this.options.cores?.() ?? availableParallelism()));
  }

  /** Stores the sweep (draft) and all its trials (queued runs). */
  create(spec: SweepSpec, options: { concurrency?: number; name?: string } = {}): Sweep {
    const search = isSearch(spec);
    // A search sweep stores no trials yet: each configuration is proposed when a trainer is free
    // (TPE learns from the results so far) and stored then, with its repeats (see propose).
    // Sized from the spec before any of it is built.
    assertGridSize(spec);
    const plans = search ? [] : expandTrials(spec);
    const dataset = this.store.datasets.get(spec.datasetId);
    if (!dataset) throw new ApiError('not_found', `No data set with id ${spec.datasetId}`);
    const name = options.name ?? spec.name ?? defaultSweepName(spec);
    let sweep!: Sweep;
    this.store.transaction(() => {
      sweep = this.store.sweeps.create({ name, spec, concurrency: options.concurrency ?? this.defaultConcurrency(spec) });
      this.storeTrials(sweep, plans);
    });
    sweep = this.store.sweeps.get(sweep.id)!;
    this.events.emit('sweep.updated', this.withEta(sweep));
    return sweep;
  }

  /**
   * create() for a server: the same sweep, its trials stored in slices of TRIAL_SLICE rows per
   * transaction with a turn of the event loop between them, so that other clients are answered
   * while a sweep of thousands of trials is stored (one transaction of 5,000 took 120–500 ms).
   * Until the last slice is in, the draft cannot be launched, resumed or deleted; a failure part
   * way removes what was stored.
   */
  async createInSlices(spec: SweepSpec, options: { concurrency?: number; name?: string } = {}): Promise<Sweep> {
    const search = isSearch(spec);
    assertGridSize(spec);
    const plans = search ? [] : expandTrials(spec);
    if (plans.length <= TRIAL_SLICE) return this.create(spec, options);
    const dataset = this.store.datasets.get(spec.datasetId);
    if (!dataset) throw new ApiError('not_found', `No data set with id ${spec.datasetId}`);
    const name = options.name ?? spec.name ?? defaultSweepName(spec);
    let sweep = this.store.transaction(() => {
      const created = this.store.sweeps.create({ name, spec, concurrency: options.concurrency ?? this.defaultConcurrency(spec) });
      this.storeTrials(created, plans.slice(0, TRIAL_SLICE));
      return created;
    });
    this.creating.add(sweep.id);
    try {
      for (let at = TRIAL_SLICE; at < plans.length; at += TRIAL_SLICE) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.closed) throw new ApiError('unavailable', 'Sweeplab is shutting down');
        this.store.transaction(() => this.storeTrials(sweep, plans.slice(at, at + TRIAL_SLICE)));
      }
    } catch (error) {
      try {
        this.store.sweeps.delete(sweep.id);
      } catch {
        // Left a draft with fewer trials; deleting it by hand removes it.
      }
      throw error;
    } finally {
      this.creating.delete(sweep.id);
    }
    sweep = this.store.sweeps.get(sweep.id)!;
    this.events.emit('sweep.updated', this.withEta(sweep));
    return sweep;
  }

  /** Sweeps whose trials createInSlices is still storing. */
  private readonly creating = new Set<string>();

  private assertStored(id: string): void {
    if (this.creating.has(id)) throw new ApiError('failed_precondition', `Sweep ${id} is still being stored; try again in a moment`);
  }

  /** Stores trials (queued runs) of a sweep; returns their ids. */
  private storeTrials(sweep: Sweep, plans: readonly { cell: Cell; seed: number }[]): string[] {
    const { spec } = sweep;
    const numClasses = this.store.datasets.get(spec.datasetId)?.numClasses ?? 10;
    const models = new Map<string, ModelSpec>();
    const modelOf = (cell: Cell): ModelSpec => {
      const key = cell.preset ?? '';
      if (!models.has(key)) {
        models.set(key, trialModel(spec, cell, (preset) => (this.options.presetModel ?? builtInPreset)(preset, numClasses)));
      }
      return models.get(key)!;
    };
    // insert, not create: reading thousands of rows back kept the event loop busy for nothing.
    return plans.map(
      (plan) =>
        this.store.runs.insert({
          name: `${sweep.name} · ${describeCell(plan.cell)} · seed ${plan.seed}`,
          datasetId: spec.datasetId,
          model: modelOf(plan.cell),
          config: trialConfig(spec, plan.cell, plan.seed),
          sweepId: sweep.id,
          cellId: plan.cell.cellId,
        }),
    );
  }

  /** Starts a draft sweep (or one whose trials are all still queued). */
  launch(id: string): Sweep {
    this.assertStored(id);
    const sweep = this.mustGet(id);
    if (sweep.status !== 'draft') {
      throw new ApiError('failed_precondition', `Sweep ${sweep.name} is ${sweep.status}; only a draft sweep can be launched (resume the others)`);
    }
    return this.activate(sweep);
  }

  /** Continues a paused, interrupted, cancelled or failed sweep; finished trials are kept. */
  resume(id: string): Sweep {
    this.assertStored(id);
    const sweep = this.mustGet(id);
    if (sweep.status === 'running') {
      if (this.active.has(id)) return this.withEta(sweep);
      this.assertNotOwnedElsewhere(sweep);
    }
    if (sweep.status === 'draft') return this.launch(id);
    // Cancelled trials become resumable again: from their checkpoint if they have epochs.
    this.store.transaction(() => {
      for (const t of this.store.sweeps.trials(id)) {
        if (t.status === 'cancelled') this.store.runs.update(t.id, { status: t.epochsDone > 0 ? 'interrupted' : 'queued', finishedAt: null });
        // A trial left 'running' by a process that died without recovery having run.
        if (t.status === 'running' && !this.active.get(id)?.running.has(t.id)) this.store.runs.update(t.id, { status: 'interrupted' });
      }
    });
    const pending = this.store.sweeps.trials(id).filter((t) => PENDING.includes(t.status));
    if (!pending.length && !this.searchBudgetLeft(sweep)) {
      // Every trial ended while no process ran the sweep (cluster workers finish their trials on
      // their own, and a restarted coordinator stores what they reported): the sweep is done.
      const trials = this.store.sweeps.trials(id);
      if ((sweep.status === 'interrupted' || sweep.status === 'running') && trials.length && trials.every((t) => t.status !== 'running')) {
        const allFailed = trials.every((t) => t.status === 'failed');
        this.store.sweeps.update(id, { status: allFailed ? 'failed' : 'completed', finishedAt: nowIso() });
        return this.emit(id);
      }
      throw new ApiError('failed_precondition', `Sweep ${sweep.name} has no unfinished trials (rerun failed trials instead)`);
    }
    return this.activate(sweep);
  }

  /** Stops the sweep's trainers; their trials resume later from their last checkpoint. */
  async pause(id: string): Promise<Sweep> {
    const sweep = this.mustGet(id);
    if (sweep.status !== 'running') throw new ApiError('failed_precondition', `Sweep ${sweep.name} is ${sweep.status}, not running`);
    const active = this.active.get(id);
    if (!active) {
      // Owned by another process (or orphaned): record the request; the owner stops its trainers.
      this.store.sweeps.update(id, { status: 'paused' });
      return this.emit(id);
    }
    this.store.sweeps.update(id, { status: 'paused' });
    return this.close(active, async () => {
      await this.stopAll(active, 'pause');
    });
  }

  /** Kills the sweep's trainers and marks every unfinished trial cancelled. */
  async cancel(id: string): Promise<Sweep> {
    const sweep = this.mustGet(id);
    if (['completed', 'cancelled'].includes(sweep.status)) return this.withEta(sweep);
    this.store.sweeps.update(id, { status: 'cancelled', finishedAt: nowIso() });
    const active = this.active.get(id);
    if (active) {
      return this.close(active, async () => {
        await this.stopAll(active, 'cancel');
        this.store.sweeps.setTrialStatus(id, PENDING, 'cancelled');
      });
    }
    const owner = this.store.sweeps.owner(id);
    const ownedElsewhere = sweep.status === 'running' && owner?.pid != null && isOwnerAlive(owner, this.pid);
    // The owner marks its running trials when it notices; without a live owner, do it here.
    this.store.sweeps.setTrialStatus(id, ownedElsewhere ? PENDING : [...PENDING, 'running'], 'cancelled');
    return this.emit(id);
  }

  /** Runs the failed trials again from scratch (and the diverged ones when asked). */
  rerunFailed(id: string, includeDiverged = false): Sweep {
    const sweep = this.mustGet(id);
    const statuses: RunStatus[] = includeDiverged ? ['failed', 'diverged'] : ['failed'];
    const trials = this.store.sweeps.trials(id).filter((t) => statuses.includes(t.status));
    if (!trials.length) throw new ApiError('failed_precondition', `Sweep ${sweep.name} has no ${statuses.join(' or ')} trials`);
    this.store.transaction(() => trials.forEach((t) => this.resetTrial(t.id)));
    return this.activateIfIdle(id);
  }

  async cancelTrial(id: string, trialId: string): Promise<Sweep> {
    const trial = this.mustGetTrial(id, trialId);
    const running = this.active.get(id)?.running.get(trialId);
    if (running) {
      running.stop = 'cancel-trial';
      await running.handle.cancel('cancelled');
      await running.settled;
    } else if (PENDING.includes(trial.status) || trial.status === 'running') {
      this.store.runs.update(trialId, { status: 'cancelled', finishedAt: nowIso() });
      this.emitRun(trialId);
    } else {
      throw new ApiError('failed_precondition', `Trial ${trialId} is ${trial.status}; there is nothing to cancel`);
    }
    const active = this.active.get(id);
    if (active) this.pump(active);
    return this.emit(id);
  }

  /** Runs one trial again from scratch, stopping it first if it is running. */
  async rerunTrial(id: string, trialId: string): Promise<Sweep> {
    this.mustGetTrial(id, trialId);
    const running = this.active.get(id)?.running.get(trialId);
    if (running) {
      running.stop = 'rerun';
      await running.handle.cancel('cancelled');
      await running.settled; // the settle handler resets the trial and pumps
    } else this.resetTrial(trialId);
    return this.activateIfIdle(id);
  }

  /**
   * Resumes a pruned trial by hand to its full length, from its last checkpoint. Early termination
   * leaves it alone from then on (pruned.resumedByHand), so it is not stopped again at the next rung.
   */
  resumeTrial(id: string, trialId: string): Sweep {
    const trial = this.mustGetTrial(id, trialId);
    if (trial.status !== 'pruned') throw new ApiError('failed_precondition', `Trial ${trialId} is ${trial.status}; only a pruned trial can be resumed to full length`);
    const pruned = trial.pruned ?? { epoch: trial.epochsDone, reason: trial.error ?? 'pruned', resumedByHand: false };
    this.store.runs.update(trialId, {
      status: trial.epochsDone > 0 ? 'interrupted' : 'queued',
      error: null,
      finishedAt: null,
      pruned: { ...pruned, resumedByHand: true },
    });
    this.emitRun(trialId);
    const sweep = this.mustGet(id);
    if (this.active.has(id) || sweep.status !== 'running') return this.activateIfIdle(id);
    return this.resume(id);
  }

  setConcurrency(id: string, concurrency: number): Sweep {
    this.mustGet(id);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new ApiError('invalid_argument', `concurrency must be an integer from 1 to 64, got ${concurrency}`);
    }
    this.store.sweeps.update(id, { concurrency });
    const active = this.active.get(id);
    if (active) this.pump(active);
    return this.emit(id);
  }

  /** The sweep's analysis metric: a setting of its analysis, not of its training (runs go on as they are). */
  setAnalysisMetric(id: string, metric: AnalysisMetric): Sweep {
    this.mustGet(id);
    this.store.sweeps.update(id, { analysisMetric: metric });
    return this.emit(id);
  }

  async delete(id: string): Promise<void> {
    this.assertStored(id);
    const sweep = this.mustGet(id);
    if (sweep.status === 'running' || this.active.has(id)) await this.cancel(id);
    const trialIds = this.store.sweeps.trials(id).map((t) => t.id);
    this.store.sweeps.delete(id); // trials and their epochs follow by ON DELETE CASCADE
    for (const trialId of trialIds) this.options.executor.forget?.(trialId);
    // Every open view hears each trial go (Live's queued chips, History, a trial's own page), not
    // only the sweep: trials that never started have no trainer to report it.
    for (const trialId of trialIds) this.events.emit('run.deleted', { id: trialId });
    this.events.emit('sweep.deleted', { id });
  }

  /** The sweep with a live ETA. */
  get(id: string): Sweep {
    return this.withEta(this.mustGet(id));
  }

  isRunningHere(id: string): boolean {
    return this.active.has(id);
  }

  /** Resolves when the sweep stops running in this process (completed, cancelled, paused, …). */
  waitUntilIdle(id: string): Promise<Sweep> {
    const active = this.active.get(id);
    if (!active) return Promise.resolve(this.get(id));
    return new Promise((resolve) => active.waiters.push(resolve));
  }

  /**
   * For app or CLI exit: kills every trainer and leaves the sweeps 'interrupted' with their running
   * trials 'interrupted', so the next start can resume them from their checkpoints.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const timer of this.pendingEmits.values()) clearTimeout(timer);
    this.pendingEmits.clear();
    const actives = [...this.active.values()];
    await Promise.all(
      actives.map(async (a) => {
        // A pause or cancel under way finishes as asked; everything else is left resumable.
        if (a.closing) {
          await a.closing;
          return;
        }
        await this.close(a, async () => {
          await this.stopAll(a, 'shutdown');
          try {
            this.store.sweeps.update(a.id, { status: 'interrupted' });
          } catch {
            // A full disk: left 'running' with a dead owner, which the next start marks interrupted.
          }
        });
      }),
    );
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
  }

  // -------------------------------------------------------------------------------------------

  private activate(sweep: Sweep): Sweep {
    if (this.closed) throw new ApiError('unavailable', 'Sweeplab is shutting down');
    this.assertNotOwnedElsewhere(sweep);
    this.store.sweeps.update(sweep.id, { status: 'running', finishedAt: null });
    this.store.sweeps.setOwner(sweep.id, this.pid);
    let active = this.active.get(sweep.id);
    if (!active) {
      const order = new Map<string, number>();
      // A search sweep runs its trials in the order they were proposed.
      const planOrder = new Map(isSearch(sweep.spec) ? [] : expandTrials(sweep.spec).map((p) => [`${p.cell.cellId}/${p.seed}`, p.order]));
      this.store.sweeps.trials(sweep.id).forEach((t) => {
        order.set(t.id, planOrder.get(`${t.cellId}/${t.seed}`) ?? (isSearch(sweep.spec) ? t.order : Number.MAX_SAFE_INTEGER));
        this.trialSweep.set(t.id, sweep.id);
      });
      active = { id: sweep.id, order, running: new Map(), stopping: false, closing: null, waiters: [], exhausted: false };
      this.active.set(sweep.id, active);
    }
    this.ensureTimer();
    this.pump(active);
    return this.emit(sweep.id);
  }

  private activateIfIdle(id: string): Sweep {
    const sweep = this.mustGet(id);
    if (this.active.has(id)) {
      this.pump(this.active.get(id)!);
      return this.emit(id);
    }
    // Reruns of a finished sweep run it again; a paused or cancelled sweep waits for resume.
    if (['completed', 'failed', 'interrupted'].includes(sweep.status)) return this.activate(sweep);
    return this.emit(id);
  }

  /**
   * Starts pending trials, in launch order, until the pool is full; completes the sweep when done.
   * The pool counts trainer processes: where packing applies, one takes a pack of trials.
   */
  private pump(active: ActiveSweep): void {
    try {
      this.pumpUnguarded(active);
    } catch (error) {
      this.writeFailed(active, error);
    }
  }

  /**
   * A write this sweep needed failed (the disk is full: SQLITE_FULL or ENOSPC, or another I/O
   * error): the sweep stops here as failed with that line instead of throwing out of a timer or a
   * trainer's callback (which would end the whole process). Its running trials are stopped as
   * interrupted (resumable from their checkpoints once there is room); where the database can
   * still be written the sweep is marked failed, and its waiters (the CLI, the page) hear why.
   */
  private writeFailed(active: ActiveSweep, error: unknown, runId?: string): void {
    const failure = writeFailure(error, `sweep ${active.id}'s progress to the database`).message;
    if (runId) this.events.emit('run.log', { runId, level: 'error', message: failure });
    if (active.failure) return;
    active.failure = failure;
    console.error(`[sweeplab] sweep ${active.id} stopped: ${failure}`);
    void this.close(active, async () => {
      await this.stopAll(active, 'pause');
      try {
        this.store.evenIfFull(() => this.store.sweeps.update(active.id, { status: 'failed', finishedAt: nowIso() }));
      } catch {
        // Still full: the next start marks it interrupted.
      }
    });
  }

  private pumpUnguarded(active: ActiveSweep): void {
    if (active.stopping || this.closed || active.failure) return;
    const sweep = this.store.sweeps.get(active.id);
    if (!sweep || sweep.status !== 'running') return;
    let trials = this.store.sweeps.trials(active.id);
    const pendingOf = (ts: TrialRow[]) =>
      ts.filter((t) => PENDING.includes(t.status) && !active.running.has(t.id)).sort((a, b) => (active.order.get(a.id) ?? 0) - (active.order.get(b.id) ?? 0));
    let pending = pendingOf(trials);
    if (isSearch(sweep.spec) && this.proposeSearch(active, sweep, trials, pending.length)) {
      trials = this.store.sweeps.trials(active.id);
      pending = pendingOf(trials);
    }
    const anyPending = pending.length > 0;
    const cap = this.packCap(sweep);
    while (pending.length && new Set([...active.running.values()].map((r) => r.trainer)).size < sweep.concurrency) {
      const group = cap > 1 ? this.takePack(sweep, pending, cap) : [pending.shift()!];
      if (group.length > 1) this.startPack(active, group);
      else this.startTrial(active, group[0]!);
    }
    if (active.running.size === 0 && !anyPending) this.finish(active);
  }

  /** The most trials one trainer may take for this sweep now (1: no packing). */
  private packCap(sweep: Sweep): number {
    if (!this.executor.startPack || sweep.spec.pack === 1) return 1;
    if (sweep.spec.pack === undefined && !packsByDefault(sweep.spec.base.backend, this.options.gpu?.() ?? false, this.options.webgpuSoftware?.() ?? false)) return 1;
    return sweep.spec.pack ?? MAX_PACK;
  }

  /**
   * Takes the next pending trial and the following ones that can share its trainer: same model
   * and settings but lr, clip norm, seed, weight decay and epochs (packKey), and the same resume
   * point, so the pack trains every step together. Sized by `cap`, memory and balance.
   */
  private takePack(sweep: Sweep, pending: TrialRow[], cap: number): TrialRow[] {
    const head = pending.shift()!;
    const keyOf = (t: TrialRow) => {
      const run = this.store.runs.get(t.id);
      return run ? `${packKey(run.model, run.config)}|${t.status}|${t.epochsDone}` : null;
    };
    const key = keyOf(head);
    const headRun = this.store.runs.get(head.id);
    const dataset = this.store.datasets.get(sweep.datasetId);
    if (!key || !headRun || !dataset) return [head];
    const size = packSize({
      pending: pending.length + 1,
      cap,
      memberBytes: packMemberBytes(headRun.model, dataset.shape, dataset.numClasses, headRun.config.batchSize),
      budgetBytes:
        this.options.packBudgetBytes ??
        packBudgetBytes(sweep.spec.base.backend, this.options.gpu?.() ?? false, { freeBytes: (this.options.freeMemory ?? freemem)(), trainers: sweep.concurrency }),
    });
    const group = [head];
    for (let i = 0; i < pending.length && group.length < size; ) {
      if (keyOf(pending[i]!) === key) group.push(...pending.splice(i, 1));
      else i++;
    }
    return group;
  }

  /**
   * Search sweeps: stores new configurations (each with its repeats) while trainers would
   * otherwise sit idle and the budget allows. Proposing only then, not all at launch, is what lets
   * TPE learn from every result that came in. Proposal k is the k-th distinct configuration the
   * sweep stores, so a sweep resumed after a crash continues the sequence and never repeats one.
   */
  private proposeSearch(active: ActiveSweep, sweep: Sweep, trials: TrialRow[], pending: number): boolean {
    const spec = sweep.spec;
    let free = sweep.concurrency - active.running.size - pending;
    if (free <= 0 || active.exhausted) return false;
    const cells = new Map<string, TrialRow[]>();
    for (const t of [...trials].sort((a, b) => (active.order.get(a.id) ?? 0) - (active.order.get(b.id) ?? 0))) {
      if (!cells.has(t.cellId)) cells.set(t.cellId, []);
      cells.get(t.cellId)!.push(t);
    }
    let proposed = false;
    while (free > 0 && cells.size < spec.trials!) {
      const observations = spec.method === 'tpe' ? this.observations(spec, cells) : [];
      const values = propose(spec, cells.size, observations, new Set(cells.keys()));
      if (!values) {
        active.exhausted = true;
        break;
      }
      const cell: Cell = { ...values, cellId: cellIdOf(values), rank: cells.size };
      const seeds = Array.from({ length: spec.repeats }, (_, r) => spec.base.seed + r);
      const ids = this.store.transaction(() => this.storeTrials(sweep, seeds.map((seed) => ({ cell, seed }))));
      let next = Math.max(-1, ...active.order.values()) + 1;
      for (const id of ids) {
        active.order.set(id, next++);
        this.trialSweep.set(id, sweep.id);
        this.emitRun(id);
      }
      cells.set(cell.cellId, ids.map((id) => this.store.sweeps.trials(sweep.id).find((t) => t.id === id)!));
      free -= ids.length;
      proposed = true;
    }
    return proposed;
  }

  /** What TPE learns from: each configuration with a result, scored by the sweep's watched metric. */
  private observations(spec: SweepSpec, cells: Map<string, TrialRow[]>): Observation[] {
    const metric = spec.prune?.metric ?? { name: 'valAcc' as const, mode: 'best' as const };
    const ended = [...cells.values()].flat().filter((t) => OUTCOMES.includes(t.status));
    const epochs = new Map(this.store.runs.epochsMany(ended.map((t) => t.id)).map((e) => [e.runId, e.epochs]));
    const result: Observation[] = [];
    for (const ts of cells.values()) {
      const done = ts.filter((t) => OUTCOMES.includes(t.status));
      if (!done.length) continue;
      const scored = done.map((t) => {
        const values = (epochs.get(t.id) ?? []).map((e) => e[metric.name]);
        const score = t.status === 'diverged' || !values.length ? -Infinity : scoreAt(values, values.length, metric)!;
        return { score, complete: t.status !== 'pruned', epochs: values.length };
      });
      const complete = scored.some((x) => x.complete);
      const counted = complete ? scored.filter((x) => x.complete) : scored;
      result.push({
        values: cellValuesOf(ts[0]!, spec),
        score: counted.reduce((a, x) => a + x.score, 0) / counted.length,
        complete,
        epochs: Math.max(...scored.map((x) => x.epochs)),
      });
    }
    return result;
  }

  /** Whether a search sweep still has configurations to propose. */
  private searchBudgetLeft(sweep: Sweep): boolean {
    if (!isSearch(sweep.spec)) return false;
    if (this.active.get(sweep.id)?.exhausted) return false;
    return new Set(this.store.sweeps.trials(sweep.id).map((t) => t.cellId)).size < sweep.spec.trials!;
  }

  /**
   * Early termination: called when a trial of a sweep running here stored an epoch. The decision
   * is recomputed from the stored epochs of the whole sweep (prune.ts), so it needs no state of its
   * own; a stopped trial goes through the same cancel path as any other, marked 'prune'.
   */
  private checkPrune(runId: string, epoch: number): 'kept' | 'pruned' | 'wait' {
    const sweepId = this.trialSweep.get(runId);
    const active = sweepId ? this.active.get(sweepId) : undefined;
    const entry = active?.running.get(runId);
    if (!active || !entry || entry.stop || active.stopping) return 'kept';
    const rule = this.store.sweeps.get(active.id)?.spec.prune;
    if (!rule) return 'kept';
    const trials = this.store.sweeps.trials(active.id);
    const self = trials.find((t) => t.id === runId);
    if (!self || self.pruned?.resumedByHand) return 'kept';
    // A pack trains its trials in step: wait for every mate still training to store this epoch.
    const behind = [...active.running].some(
      ([id, other]) => id !== runId && other.trainer === entry.trainer && !other.stop && (trials.find((t) => t.id === id)?.epochsDone ?? epoch) < epoch,
    );
    if (behind) return 'wait';
    const started = trials.filter((t) => t.epochsDone > 0);
    const epochs = new Map(this.store.runs.epochsMany(started.map((t) => t.id)).map((e) => [e.runId, e.epochs]));
    const toPrune = (t: TrialRow): PruneTrial => ({
      id: t.id,
      completed: t.status === 'completed',
      values: (epochs.get(t.id) ?? []).map((e) => e[rule.metric.name]),
    });
    // Judged at the epoch it reported, even if its trainer stored the next one meanwhile.
    const own = toPrune(self);
    const decision = pruneDecision(rule, self.epochs, { ...own, values: own.values.slice(0, epoch) }, started.map(toPrune));
    if (!decision.prune) return 'kept';
    entry.stop = 'prune';
    entry.pruned = { epoch: decision.epoch, reason: decision.reason };
    // Marked before the trainer is stopped, so the executor stores its end as 'pruned' at once.
    this.store.runs.update(runId, { pruned: { ...entry.pruned, resumedByHand: false } });
    void entry.handle.cancel('pruned').catch(() => undefined);
    return 'pruned';
  }

  private startTrial(active: ActiveSweep, trial: TrialRow): void {
    const resume = trial.status === 'interrupted';
    let handle: TrialHandle;
    try {
      handle = this.executor.start(trial.id, { resume });
    } catch (error) {
      // A trainer that cannot even start fails its trial, not the sweep (a full disk stops the sweep).
      try {
        this.store.runs.update(trial.id, { status: 'failed', error: ApiError.from(error).message, finishedAt: nowIso() });
        this.emitRun(trial.id);
      } catch (caught) {
        this.writeFailed(active, caught, trial.id);
      }
      if (/^Disk full\b/.test(ApiError.from(error).message)) this.writeFailed(active, error, trial.id);
      queueMicrotask(() => this.pump(active));
      return;
    }
    this.track(active, trial.id, handle, {});
  }

  private startPack(active: ActiveSweep, group: TrialRow[]): void {
    let handles: Map<string, TrialHandle>;
    try {
      handles = this.executor.startPack!(group.map((t) => ({ runId: t.id, resume: t.status === 'interrupted' })));
    } catch (error) {
      try {
        for (const t of group) {
          this.store.runs.update(t.id, { status: 'failed', error: ApiError.from(error).message, finishedAt: nowIso() });
          this.emitRun(t.id);
        }
      } catch (caught) {
        this.writeFailed(active, caught, group[0]?.id);
      }
      if (/^Disk full\b/.test(ApiError.from(error).message)) this.writeFailed(active, error, group[0]?.id);
      queueMicrotask(() => this.pump(active));
      return;
    }
    const trainer = {};
    for (const t of group) this.track(active, t.id, handles.get(t.id)!, trainer);
  }

  private track(active: ActiveSweep, runId: string, handle: TrialHandle, trainer: object): void {
    const entry: RunningTrial = { handle, stop: null, settled: Promise.resolve(), trainer };
    entry.settled = handle.done.then(
      (status) => this.settle(active, runId, entry, status, null),
      (error: unknown) => this.settle(active, runId, entry, 'failed', ApiError.from(error).message),
    );
    active.running.set(runId, entry);
  }

  /** A trial's trainer ended: record why (ours to say when we stopped it), then refill the pool. */
  private settle(active: ActiveSweep, runId: string, entry: RunningTrial, status: RunStatus, error: string | null): void {
    active.running.delete(runId);
    try {
      this.settleUnguarded(active, runId, entry, status, error);
    } catch (caught) {
      this.writeFailed(active, caught, runId);
    }
    // A trial that failed because the disk is full: the others would too.
    if (error === null && status === 'failed' && !active.failure) {
      let reason: string | null = null;
      try {
        reason = this.store.runs.get(runId)?.error ?? null;
      } catch {
        reason = null;
      }
      if (reason && /^Disk full\b/.test(reason)) this.writeFailed(active, new ApiError('unavailable', reason), runId);
    }
  }

  private settleUnguarded(active: ActiveSweep, runId: string, entry: RunningTrial, status: RunStatus, error: string | null): void {
    // The sweep was deleted (by another process, with its trials): nothing is left to record.
    if (!this.store.sweeps.get(active.id)) {
      this.options.executor.forget?.(runId);
      // Noticed here before the (unref'd) poll timer: stop the rest now.
      if (!active.stopping) void this.close(active, () => this.stopGone(active));
      return;
    }
    // A trial we stopped has its final status already: the executor wrote it once, from the
    // reason we gave to cancel() (or how it ended on its own first). A rerun starts it afresh.
    if (entry.stop === 'rerun') this.resetTrial(runId);
    else if (entry.stop === null) {
      // An executor whose `done` failed, or that ended a trial it was not asked to stop without a
      // final status: not to be resumed by the pump in a loop (a trainer that keeps ending early
      // would otherwise restart forever). It is a failure the user can rerun.
      if (error !== null) {
        this.store.runs.update(runId, { status: 'failed', error, finishedAt: nowIso() });
        this.emitRun(runId);
      } else if (status === 'running' || status === 'queued' || status === 'interrupted') {
        const reason = status === 'interrupted' ? 'the trainer stopped before the end' : `the trainer ended with status ${status}`;
        this.store.runs.update(runId, { status: 'failed', error: reason, finishedAt: nowIso() });
        this.emitRun(runId);
      }
    }
    this.schedulePrune(); // a pack mate that ended no longer holds the others' decisions back
    if (!active.stopping) this.pump(active);
    this.emit(active.id);
  }

  /** Runs `stop` once per sweep (a second pause/cancel/shutdown waits for the first) and deactivates it. */
  private close(active: ActiveSweep, stop: () => Promise<void>): Promise<Sweep> {
    active.stopping = true;
    active.closing ??= stop().then(() => this.deactivate(active));
    return active.closing;
  }

  private async stopAll(active: ActiveSweep, reason: StopReason): Promise<void> {
    active.stopping = true;
    const entries = [...active.running.values()];
    // A trial already being stopped (cancelled or rerun on its own) keeps its reason.
    for (const e of entries) e.stop ??= reason;
    await Promise.all(entries.map((e) => e.handle.cancel(CANCEL_REASON[e.stop!]).catch(() => undefined)));
    await Promise.all(entries.map((e) => e.settled));
  }

  /**
   * The sweep's row is gone: another process deleted it (a data set deleted with --cascade). Its
   * trainers stop, their checkpoints go, and this process carries on with everything else.
   */
  private async stopGone(active: ActiveSweep): Promise<void> {
    console.error(`[sweeplab] sweep ${active.id} was deleted by another process: its trials here are stopped`);
    await this.stopAll(active, 'cancel');
    for (const id of active.order.keys()) this.options.executor.forget?.(id);
    this.events.emit('sweep.deleted', { id: active.id });
  }

  private finish(active: ActiveSweep): void {
    const trials = this.store.sweeps.trials(active.id);
    const allFailed = trials.length > 0 && trials.every((t) => t.status === 'failed');
    try {
      this.store.sweeps.update(active.id, { status: allFailed ? 'failed' : 'completed', finishedAt: nowIso() });
    } catch (error) {
      active.failure ??= writeFailure(error, `sweep ${active.id}'s status to the database`).message;
    }
    this.deactivate(active);
  }

  private deactivate(active: ActiveSweep): Sweep {
    this.active.delete(active.id);
    for (const id of active.order.keys()) this.trialSweep.delete(id);
    const row = this.store.sweeps.get(active.id);
    try {
      if (row && this.store.sweeps.owner(active.id)?.pid === this.pid) this.store.sweeps.setOwner(active.id, null);
    } catch {
      // A full disk: the owner's pid stays; it is dead (or us) at the next start either way.
    }
    // A sweep deleted elsewhere is reported to its waiters as it was last seen, cancelled; one
    // stopped by a failed write as failed even where that could not be stored.
    let sweep = row ? this.emit(active.id) : { ...this.lastSeen.get(active.id)!, status: 'cancelled' as const };
    if (row && active.failure && sweep.status !== 'failed') {
      sweep = { ...sweep, status: 'failed' };
      this.events.emit('sweep.updated', sweep);
    }
    this.lastSeen.delete(active.id);
    for (const w of active.waiters.splice(0)) w(sweep);
    if (!this.active.size && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    return sweep;
  }

  private resetTrial(runId: string): void {
    this.store.runs.truncateEpochs(runId, 0);
    this.store.runs.update(runId, { status: 'queued', error: null, backend: null, startedAt: null, finishedAt: null, pruned: null });
    this.emitRun(runId);
  }

  /** Heartbeat, and notice pause/cancel written by another process. */
  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      for (const active of [...this.active.values()]) {
        if (active.stopping) continue;
        try {
          this.poll(active);
        } catch (error) {
          // Never out of the timer (that would end the process): the sweep stops with the reason.
          this.writeFailed(active, error);
        }
      }
    }, this.pollMs);
    this.timer.unref?.();
  }

  /** The timer's look at one active sweep: deleted, paused or cancelled by another process, or still ours. */
  private poll(active: ActiveSweep): void {
    const sweep = this.store.sweeps.get(active.id);
    if (!sweep) {
      void this.close(active, () => this.stopGone(active));
      return;
    }
    if (sweep.status === 'cancelled' || sweep.status === 'paused') {
      const reason = sweep.status === 'cancelled' ? 'cancel' : 'pause';
      void this.close(active, async () => {
        await this.stopAll(active, reason);
        if (reason === 'cancel') this.store.sweeps.setTrialStatus(active.id, PENDING, 'cancelled');
      });
    } else this.store.sweeps.setOwner(active.id, this.pid);
  }

  private assertNotOwnedElsewhere(sweep: Sweep): void {
    if (this.active.has(sweep.id)) return;
    const owner = this.store.sweeps.owner(sweep.id);
    if (sweep.status === 'running' && owner?.pid != null && owner.pid !== this.pid && isOwnerAlive(owner, this.pid)) {
      throw new ApiError('failed_precondition', `Sweep ${sweep.name} is running in another Sweeplab process (pid ${owner.pid})`);
    }
  }

  private mustGet(id: string): Sweep {
    const sweep = this.store.sweeps.get(id);
    if (!sweep) throw new ApiError('not_found', `No sweep with id ${id}`);
    return sweep;
  }

  private mustGetTrial(id: string, trialId: string): TrialRow {
    this.mustGet(id);
    const trial = this.store.sweeps.trials(id).find((t) => t.id === trialId);
    if (!trial) throw new ApiError('not_found', `Sweep ${id} has no trial ${trialId}`);
    return trial;
  }

  private withEta(sweep: Sweep): Sweep {
    return { ...sweep, etaSeconds: sweepEta(this.store, sweep) };
  }

  private emit(id: string): Sweep {
    const sweep = this.withEta(this.mustGet(id));
    if (this.active.has(id)) this.lastSeen.set(id, sweep);
    this.events.emit('sweep.updated', sweep);
    return sweep;
  }

  private emitRun(runId: string): void {
    const run = this.store.runs.get(runId);
    if (run) this.events.emit('run.updated', run);
  }
}

/** Trials stored per transaction by createInSlices: about 25 ms of inserts on a slow machine. */
const TRIAL_SLICE = 250;

/** How long without a heartbeat before a sweep's owner is presumed dead even if its pid exists (pid reuse). */
export const HEARTBEAT_STALE_MS = 30_000;

/** Whether the process recorded as a sweep's owner still runs it. */
export function isOwnerAlive(owner: { pid: number | null; heartbeatAt: string | null }, selfPid: number, now = Date.now()): boolean {
  if (owner.pid === null) return false;
  if (owner.pid === selfPid) return true;
  if (!owner.heartbeatAt || now - Date.parse(owner.heartbeatAt) > HEARTBEAT_STALE_MS) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH means gone.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Trial outcomes a search learns from. */
const OUTCOMES: RunStatus[] = ['completed', 'diverged', 'pruned'];

export const isSearch = (spec: SweepSpec): boolean => (spec.method ?? 'grid') !== 'grid';

/** A stored trial's configuration, as the axes its sweep searches. */
export function cellValuesOf(t: Pick<TrialRow, 'lr' | 'clip' | 'batchSize' | 'optimizer' | 'weightDecay' | 'preset'>, spec: SweepSpec): CellValues {
  const values: CellValues = { lr: t.lr, clip: t.clip };
  if (spec.axes.batchSize) values.batchSize = t.batchSize;
  if (spec.axes.optimizer) values.optimizer = t.optimizer;
  if (spec.axes.weightDecay || spec.ranges?.weightDecay) values.weightDecay = t.weightDecay ?? 0;
  if (spec.axes.preset && t.preset) values.preset = t.preset;
  return values;
}

function defaultSweepName(spec: SweepSpec): string {
  const model = spec.model.preset ?? 'custom';
  return `${model} sweep`;
}
