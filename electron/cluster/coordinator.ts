/**
 * The coordinator's side of a cluster sweep: the process that owns the database (the app, `serve`,
 * or the `sweep` CLI) enqueues each trial as a BullMQ job and reads what workers report from its
 * own Redis stream through a consumer group. It alone writes SQLite, through the run executor, as
 * for local trials: an epoch is stored once (the store's key is (run, epoch) and the executor skips
 * an epoch at or below what is stored), and a stream entry is acknowledged only after it was
 * stored, so entries written while this process was down, or read just before it died, are
 * stored when it comes back.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Store } from '../store';
import type { RunExecutor } from '../runs/executor';
import type { TrainerHandle, TrainerOutcome } from '../trainer/host';
import type { FromTrainer, Trial } from '../trainer/protocol';
import { TrialJob } from '../../shared/contract/cluster';
import { ApiError } from '../../shared/errors';
import { describeBrokerError, EVENTS_GROUP, keys, openConnection, probeBroker, QUEUE_NAME, redactBrokerUrl, watchConnection, type BrokerOptions } from './broker';
import { publishDataset } from './datasets';
import { ClusterEvent } from './messages';
import { newNonce } from './worker';

export interface CoordinatorOptions extends BrokerOptions {
  broker: string;
  store: Store;
  dataDir: string;
  log?: (line: string) => void;
}

interface Tracked {
  nonce: string;
  onMessage: (message: FromTrainer) => void;
  resolve: (outcome: TrainerOutcome) => void;
  settled: boolean;
  cancelRequested: boolean;
  lastEpoch: number;
  backend: TrainerOutcome['backend'];
  enqueuedAt: number;
  dispatchedAt: number | null;
  /**
   * Entries that arrived while enqueue() was still deciding whether to follow a job already on the
   * broker (whose nonce it then adopts) or to start a new one; replayed once it knows. Without this,
   * a resumed trial's last epochs from the job it ends up following were dropped as "older start".
   */
  held: { event: ClusterEvent; entryId: string }[] | null;
}

/** Figures the bench reads: seconds from enqueue to the worker's first message, epoch to database. */
export interface CoordinatorStats {
  dispatchSeconds: number[];
  epochToDbSeconds: number[];
  entries: number;
  duplicatesIgnored: number;
}

const QUEUED_STATES = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'paused']);

export class ClusterCoordinator {
  readonly id: string;
  readonly stream: string;
  private conn!: Redis;
  private reader!: Redis;
  private queue!: Queue;
  private executor: RunExecutor | null = null;
  private readonly tracked = new Map<string, Tracked>();
  /** Nonces of starts that ended here: their late messages are dropped. */
  private readonly ended = new Set<string>();
  private consuming: Promise<void> | null = null;
  private closed = false;
  private readonly log: (line: string) => void;
  readonly stats: CoordinatorStats = { dispatchSeconds: [], epochToDbSeconds: [], entries: 0, duplicatesIgnored: 0 };

  constructor(private readonly options: CoordinatorOptions) {
    this.log = options.log ?? ((line) => process.stderr.write(`[sweeplab] ${line}\n`));
    // One stream per data folder: several coordinators may share a broker without reading each other's news.
    const idFile = join(options.dataDir, 'cluster-id');
    if (existsSync(idFile)) this.id = readFileSync(idFile, 'utf8').trim();
    else {
      this.id = randomUUID();
      writeFileSync(idFile, this.id);
    }
    this.stream = keys.events(this.id);
  }

  get brokerLabel(): string {
    return redactBrokerUrl(this.options.broker);
  }

  /** Connects (one clear error when the broker is unreachable or refuses the password). */
  async open(executor: RunExecutor): Promise<void> {
    this.executor = executor;
    await probeBroker(this.options.broker, this.options);
    this.conn = openConnection(this.options.broker, this.options);
    watchConnection(this.conn, this.options.broker, this.log);
    this.reader = openConnection(this.options.broker, this.options);
    this.queue = new Queue(QUEUE_NAME, { connection: this.conn });
    this.queue.on('error', () => undefined);
    try {
      await this.conn.xgroup('CREATE', this.stream, EVENTS_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test(String(error))) throw describeBrokerError(this.options.broker, error);
    }
  }

  /**
   * Stores everything workers wrote while this process was away (and whatever it had read but not
   * acknowledged when it died), before any trial is started again.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (const from of ['0', '>']) {
      for (;;) {
        const n = await this.readOnce(from, null);
        total += n;
        if (!n) break;
      }
    }
    return total;
  }

  /** Reads the stream until close(). */
  startConsuming(): void {
    this.consuming ??= (async () => {
      while (!this.closed) {
        try {
          await this.readOnce('>', 500);
        } catch (error) {
          if (this.closed) break;
          // The broker went away: watchConnection said so once; wait for it to come back.
          await new Promise((r) => setTimeout(r, 500));
          if (/NOGROUP/.test(String(error))) {
            await this.conn.xgroup('CREATE', this.stream, EVENTS_GROUP, '0', 'MKSTREAM').catch(() => undefined);
          }
        }
      }
    })();
  }

  private async readOnce(from: string, blockMs: number | null): Promise<number> {
    const args: (string | number)[] = ['GROUP', EVENTS_GROUP, EVENTS_GROUP, 'COUNT', 200];
    if (blockMs !== null) args.push('BLOCK', blockMs);
    args.push('STREAMS', this.stream, from);
    const result = (await (this.reader.xreadgroup as (...a: (string | number)[]) => Promise<unknown>)(...args)) as [string, [string, string[]][]][] | null;
    const entries = result?.[0]?.[1] ?? [];
    if (!entries.length) return 0;
    for (const [id, fields] of entries) {
      const raw = fields[fields.indexOf('m') + 1];
      this.handle(raw, id);
    }
    // Acknowledged after storing: an entry read by a coordinator that died is read again.
    await this.conn.xack(this.stream, EVENTS_GROUP, ...entries.map(([id]) => id));
    await this.conn.xdel(this.stream, ...entries.map(([id]) => id));
    return entries.length;
  }

  private handle(raw: string | undefined, entryId: string): void {
    this.stats.entries++;
    let event: ClusterEvent;
    try {
      event = ClusterEvent.parse(JSON.parse(raw ?? 'null'));
    } catch {
      this.log(`ignored a malformed message from the broker (entry ${entryId})`);
      return;
    }
    this.handleEvent(event, entryId);
  }

  private handleEvent(event: ClusterEvent, entryId: string): void {
    if (this.ended.has(event.nonce)) return;
    const tracked = this.tracked.get(event.runId);
    if (tracked?.held) {
      tracked.held.push({ event, entryId });
      return;
    }
    if (tracked && tracked.nonce !== event.nonce) return; // an older start of the run
    const executor = this.executor!;
    if (event.kind === 'trainer') {
      const message = event.message;
      if (message.type === 'started') {
        this.options.store.runs.setWorker(event.runId, event.worker);
        if (tracked && tracked.dispatchedAt === null) {
          tracked.dispatchedAt = Date.now();
          this.stats.dispatchSeconds.push((tracked.dispatchedAt - tracked.enqueuedAt) / 1000);
        }
      }
      if (message.type === 'epoch') {
        const before = this.options.store.runs.get(event.runId)?.epochsDone ?? 0;
        if (message.metrics.epoch <= before) this.stats.duplicatesIgnored++;
        // Entry ids are the broker's milliseconds: the epoch's age when it reached the database.
        this.stats.epochToDbSeconds.push(Math.max(0, (Date.now() - Number(entryId.split('-')[0])) / 1000));
        if (tracked) tracked.lastEpoch = message.metrics.epoch;
      }
      if (message.type === 'started' && tracked) tracked.backend = message.backend;
      if (tracked) tracked.onMessage(message);
      else executor.apply(event.runId, message);
      return;
    }
    const outcome: TrainerOutcome = { ...event.outcome, code: event.outcome.code as TrainerOutcome['code'], exit: null };
    this.ended.add(event.nonce);
    if (tracked) this.settle(event.runId, tracked, outcome);
    else executor.applyOutcome(event.runId, outcome);
  }

  private settle(runId: string, tracked: Tracked, outcome: TrainerOutcome): void {
    if (tracked.settled) return;
    tracked.settled = true;
    this.ended.add(tracked.nonce);
    if (this.tracked.get(runId) === tracked) this.tracked.delete(runId);
    tracked.resolve(outcome);
  }

  /** RunExecutor's `launch`: the trial as a job; its messages and outcome come back through the stream. */
  launch = (trial: Trial, { onMessage }: { onMessage: (message: FromTrainer) => void }): TrainerHandle => {
    let resolve!: (o: TrainerOutcome) => void;
    const done = new Promise<TrainerOutcome>((r) => (resolve = r));
    const tracked: Tracked = { nonce: newNonce(), onMessage, resolve, settled: false, cancelRequested: false, lastEpoch: 0, backend: null, enqueuedAt: Date.now(), dispatchedAt: null, held: [] };
    this.tracked.set(trial.runId, tracked);
    const fail = (error: unknown) => {
      const message = error instanceof ApiError ? error.message : describeBrokerError(this.options.broker, error).message;
      this.settle(trial.runId, tracked, { status: 'failed', error: message, code: 'unavailable', backend: null, lastEpoch: 0, maxRssBytes: null, exit: null });
    };
    const enqueued = this.enqueue(trial, tracked)
      .finally(() => {
        // The nonce is decided (a followed job's, or this start's): replay what arrived meanwhile.
        const held = tracked.held ?? [];
        tracked.held = null;
        for (const { event, entryId } of held) this.handleEvent(event, entryId);
      })
      .catch(fail);
    return {
      pid: undefined,
      cancel: () => void enqueued.then(() => this.cancelRemote(trial.runId, tracked, false)).catch(fail),
      kill: () => void enqueued.then(() => this.cancelRemote(trial.runId, tracked, true)).catch(fail),
      done,
    };
  };

  private async enqueue(trial: Trial, tracked: Tracked): Promise<void> {
    const { store } = this.options;
    const run = store.runs.get(trial.runId);
    if (!run) throw new ApiError('not_found', `No run with id ${trial.runId}`);
    const dataset = store.datasets.get(run.datasetId);
    if (!dataset) throw new ApiError('not_found', `No data set with id ${run.datasetId}`);
    const existing = await this.queue.getJob(trial.runId);
    if (existing) {
      let state = await existing.getState();
      // A start of this trial that was cancelled (a pause, then this resume) may still be winding
      // down on its worker: following it would wait for an outcome that already came. Let it end
      // (it stops at its next batch), then start afresh from its checkpoint.
      const stopping = (await this.conn.exists(keys.cancel(trial.runId))) === 1;
      for (const until = Date.now() + 30_000; stopping && state === 'active' && Date.now() < until; ) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        state = await existing.getState();
      }
      const data = TrialJob.safeParse(existing.data);
      if (!stopping && (state === 'active' || QUEUED_STATES.has(state)) && data.success && data.data.reply === this.stream) {
        // Still queued or training (this process restarted meanwhile): follow that job, start no other.
        tracked.nonce = data.data.nonce;
        if (state === 'active') tracked.dispatchedAt = Date.now();
        return;
      }
      await existing.remove().catch(() => undefined);
    }
    await publishDataset(this.conn, trial.datasetDir, dataset.checksum);
    const job: TrialJob = {
      v: 1,
      runId: trial.runId,
      nonce: tracked.nonce,
      model: trial.model,
      config: trial.config,
      dataset: { id: dataset.id, checksum: dataset.checksum },
      resume: trial.resume,
      reply: this.stream,
    };
    const multi = this.conn.multi().del(keys.cancel(trial.runId));
    // A fresh start: no checkpoint of an earlier start may be resumed from.
    if (!trial.resume) multi.del(keys.checkpoint(trial.runId));
    await multi.exec();
    tracked.enqueuedAt = Date.now();
    await this.queue.add('trial', TrialJob.parse(job), { jobId: trial.runId, removeOnComplete: true, removeOnFail: 100 });
  }

  private async cancelRemote(runId: string, tracked: Tracked, now: boolean): Promise<void> {
    if (tracked.settled) return;
    tracked.cancelRequested = true;
    // The key stays (a worker that picks the job up later sees it); the message is the fast path.
    await this.conn.multi().set(keys.cancel(runId), '1', 'EX', 86_400).publish(keys.cancelChannel, runId).exec();
    const cancelled: TrainerOutcome = { status: 'cancelled', error: null, code: null, backend: tracked.backend, lastEpoch: tracked.lastEpoch, maxRssBytes: null, exit: null };
    const job = await this.queue.getJob(runId);
    const state = job ? await job.getState() : 'missing';
    if (job && QUEUED_STATES.has(state)) await job.remove().catch(() => undefined);
    if (now || state !== 'active') return this.settle(runId, tracked, cancelled);
    // Training on a worker: its outcome comes through the stream within a second; a worker that
    // died meanwhile never sends one, so the trial is settled here after a while anyway.
    setTimeout(() => this.settle(runId, tracked, cancelled), 15_000).unref();
  }

  /** Drops a deleted run's checkpoint in the broker. */
  async forget(runId: string): Promise<void> {
    await this.conn.del(keys.checkpoint(runId), keys.cancel(runId)).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader?.disconnect();
    await this.consuming?.catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
    this.conn?.disconnect();
  }
}
