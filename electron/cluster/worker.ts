/**
 * `sweeplab worker`: a supervisor that takes trials from the broker's queue (BullMQ) and trains each
 * in the existing trainer child process, one per slot. The supervisor itself never runs tensors,
 * so BullMQ's lock renewal stays on time; a worker that dies (SIGKILL, lost machine) stops renewing,
 * BullMQ marks its jobs stalled and hands them to another worker, which resumes each trial from
 * the checkpoint the dead worker last put in the broker.
 *
 * Per epoch, in this order: the trainer writes its checkpoint, the worker copies it into the broker
 * and adds the epoch to the coordinator's stream in one MULTI. So an epoch the coordinator sees is
 * always covered by the checkpoint a resumed trial starts from: none is trained twice into the
 * database. A worker needs no shared file system: data sets come through the broker too.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { TrialJob, WorkerInfo } from '../../shared/contract/cluster';
import { GPU_BACKENDS, type BackendName } from '../../shared/domain';
import { ApiError, describeIssues } from '../../shared/errors';
import { checkpointPath } from '../engine/checkpoint';
import { checkpointDir } from '../paths';
import { startTrainer, type ForkTrainer, type TrainerHandle, type TrainerOutcome } from '../trainer/host';
import type { FromTrainer } from '../trainer/protocol';
import { keys, openConnection, probeBroker, QUEUE_NAME, redactText, watchConnection, type BrokerOptions } from './broker';
import { fetchDataset } from './datasets';
import { checkpointEpoch, type ClusterEvent } from './messages';

export interface ClusterWorkerOptions extends BrokerOptions {
  broker: string;
  /** The worker's own data folder: data set cache and scratch checkpoints. */
  dataDir: string;
  slots?: number;
  backend?: BackendName | 'auto';
  name?: string;
  /** Stop once the queue has nothing waiting and this worker runs nothing. */
  untilEmpty?: boolean;
  /** Stop after this many trials. */
  maxTrials?: number;
  log?: (line: string) => void;
  fork?: ForkTrainer;
  /** BullMQ lock duration: a dead worker's trials move on after about this long (default 30 s). */
  lockMs?: number;
  heartbeatMs?: number;
}

/** Seconds without a heartbeat after which a worker is shown lost. */
export const LOST_AFTER_S = 15;

export const lockMsFromEnv = () => Number(process.env.SWEEPLAB_BROKER_LOCK_MS) || 30_000;

export class ClusterWorker {
  readonly name: string;
  readonly slots: number;
  private readonly log: (line: string) => void;
  private readonly running = new Map<string, { handle: TrainerHandle | null; cancelled: boolean }>();
  private conn!: Redis;
  private sub!: Redis;
  private worker!: Worker;
  private workerConn!: Redis;
  private queue!: Queue;
  private timers: ReturnType<typeof setInterval>[] = [];
  private trialsDone = 0;
  private taken = 0;
  private readonly startedAt = new Date().toISOString();
  private stopping: Promise<void> | null = null;
  private resolveDone!: () => void;
  /** Resolves when the worker has stopped (until-empty, max-trials, or stop()). */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(private readonly options: ClusterWorkerOptions) {
    this.name = options.name ?? `${hostname()}-${process.pid}`;
    this.slots = Math.max(1, options.slots ?? (options.backend && options.backend !== 'auto' && GPU_BACKENDS.includes(options.backend) ? 1 : availableParallelism()));
    this.log = options.log ?? ((line) => process.stderr.write(`[worker ${this.name}] ${line}\n`));
  }

  async start(): Promise<void> {
    const { broker } = this.options;
    await probeBroker(broker, this.options);
    this.conn = openConnection(broker, this.options);
    watchConnection(this.conn, broker, this.log);
    this.sub = openConnection(broker, this.options);
    await this.sub.subscribe(keys.cancelChannel);
    this.sub.on('message', (_channel, runId: string) => this.cancelLocal(runId));
    this.queue = new Queue(QUEUE_NAME, { connection: this.conn });
    const lockDuration = this.options.lockMs ?? lockMsFromEnv();
    // BullMQ leaves a connection it was given open on close: ours to close (see stop).
    this.workerConn = openConnection(broker, this.options);
    this.worker = new Worker(QUEUE_NAME, (job) => this.process(job), {
      connection: this.workerConn,
      concurrency: this.slots,
      lockDuration,
      stalledInterval: Math.max(500, Math.floor(lockDuration / 2)),
      maxStalledCount: 5,
      autorun: false,
    });
    this.worker.on('error', () => undefined); // connection errors are reported once by watchConnection
    this.worker.on('failed', (job, error) => {
      if (error instanceof UnrecoverableError) return; // refused: logged where refused
      if (job) this.log(`job ${job.id} failed: ${redactText(error.message)}`);
    });
    await this.heartbeat();
    this.timers.push(setInterval(() => void this.heartbeat().catch(() => undefined), this.options.heartbeatMs ?? 2000));
    // Cancels are published (fast) and also left as keys (a worker that missed the message sees them).
    this.timers.push(setInterval(() => void this.pollCancels().catch(() => undefined), 500));
    if (this.options.untilEmpty) {
      let idleChecks = 0;
      this.timers.push(
        setInterval(() => {
          void (async () => {
            if (this.running.size) return void (idleChecks = 0);
            const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed');
            idleChecks = Object.values(counts).some((n) => n > 0) ? 0 : idleChecks + 1;
            if (idleChecks >= 2) await this.stop('the queue is empty');
          })().catch(() => undefined);
        }, 1000),
      );
    }
    void this.worker.run();
    this.log(`taking trials from ${redactText(broker)} with ${this.slots} slot${this.slots === 1 ? '' : 's'}`);
  }

  /** Stops taking trials; running trials are killed and left to the broker (they stall and move on). */
  stop(reason = 'stopped', graceful = true): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      this.log(`stopping: ${reason}`);
      if (!graceful) for (const r of this.running.values()) r.handle?.kill();
      await this.worker.close(!graceful);
      await this.conn.srem(keys.workers, this.name).catch(() => undefined);
      await this.conn.del(keys.worker(this.name)).catch(() => undefined);
      await this.queue.close();
      this.sub.disconnect();
      this.workerConn.disconnect();
      this.conn.disconnect();
      this.resolveDone();
    })();
    return this.stopping;
  }

  private info(): WorkerInfo {
    return {
      name: this.name,
      host: hostname(),
      pid: process.pid,
      backend: this.options.backend ?? 'auto',
      slots: this.slots,
      running: [...this.running.keys()],
      trialsDone: this.trialsDone,
      startedAt: this.startedAt,
      heartbeatAt: new Date().toISOString(),
    };
  }

  private async heartbeat(): Promise<void> {
    await this.conn.multi().set(keys.worker(this.name), JSON.stringify(this.info()), 'EX', 86_400).sadd(keys.workers, this.name).exec();
  }

  private cancelLocal(runId: string): void {
    const r = this.running.get(runId);
    if (!r || r.cancelled) return;
    r.cancelled = true;
    r.handle?.cancel();
  }

  private async pollCancels(): Promise<void> {
    const ids = [...this.running.keys()];
    if (!ids.length) return;
    const flags = await this.conn.mget(ids.map(keys.cancel));
    ids.forEach((id, i) => flags[i] && this.cancelLocal(id));
  }

  private async process(job: Job): Promise<string> {
    const parsed = TrialJob.safeParse(job.data);
    if (!parsed.success) {
      // A job is data, never code: anything but a well-formed trial is refused, with the reason.
      const reason = describeIssues(parsed.error.issues);
      this.log(`refused job ${job.id}: not a valid trial (${reason})`);
      throw new UnrecoverableError(`refused: not a valid trial (${reason})`);
    }
    const trialJob = parsed.data;
    this.taken++;
    if (this.options.maxTrials && this.taken >= this.options.maxTrials) {
      // Take no more after this one; the worker ends when it finishes.
      void this.worker.close().then(() => this.stop(`${this.options.maxTrials} trials done`));
    }
    const entry = { handle: null as TrainerHandle | null, cancelled: false };
    this.running.set(trialJob.runId, entry);
    try {
      const outcome = await this.train(trialJob, entry, job);
      await this.publish(trialJob, { kind: 'outcome', outcome: { ...outcome, code: outcome.code ?? null } });
      if (outcome.status !== 'cancelled') await this.conn.del(keys.checkpoint(trialJob.runId));
      return outcome.status;
    } finally {
      this.running.delete(trialJob.runId);
      this.trialsDone++;
      await rm(checkpointDir(this.options.dataDir, trialJob.runId), { recursive: true, force: true });
    }
  }

  private async publish(job: TrialJob, event: DistributiveOmit<ClusterEvent, 'runId' | 'nonce' | 'worker'>, checkpoint?: Buffer): Promise<void> {
    const full = { ...event, runId: job.runId, nonce: job.nonce, worker: this.name } as ClusterEvent;
    const multi = this.conn.multi();
    if (checkpoint) multi.set(keys.checkpoint(job.runId), checkpoint);
    multi.xadd(job.reply, '*', 'm', JSON.stringify(full));
    await multi.exec();
  }

  private async train(job: TrialJob, entry: { handle: TrainerHandle | null; cancelled: boolean }, bullJob: Job): Promise<Omit<TrainerOutcome, 'exit'>> {
    const failed = (error: unknown): Omit<TrainerOutcome, 'exit'> => ({
      status: 'failed',
      error: `on worker ${this.name}: ${redactText(ApiError.from(error).message)}`,
      code: ApiError.from(error).code,
      backend: null,
      lastEpoch: 0,
      maxRssBytes: null,
    });
    if (await this.conn.exists(keys.cancel(job.runId))) return { status: 'cancelled', error: null, code: null, backend: null, lastEpoch: 0, maxRssBytes: null };
    let datasetDir: string;
    try {
      datasetDir = await fetchDataset(this.conn, job.dataset.checksum, join(this.options.dataDir, 'datasets'), this.log);
    } catch (error) {
      this.log(`trial ${job.runId}: ${ApiError.from(error).message}`);
      return failed(error);
    }
    const checkpoints = checkpointDir(this.options.dataDir, job.runId);
    await rm(checkpoints, { recursive: true, force: true });
    await mkdir(checkpoints, { recursive: true });
    const saved = await this.conn.getBuffer(keys.checkpoint(job.runId));
    if (saved) await writeFile(checkpointPath(checkpoints), saved);
    if (bullJob.attemptsStarted > 1 || saved) this.log(`trial ${job.runId}: ${saved ? `resuming from the broker's checkpoint of epoch ${checkpointEpoch(saved)}` : 'restarting (no checkpoint yet)'}`);
    const config = this.options.backend && this.options.backend !== 'auto' ? { ...job.config, backend: this.options.backend } : job.config;
    let chain = Promise.resolve();
    let ended = false;
    const forward = async (message: FromTrainer) => {
      if (message.type === 'epoch') {
        const ckpt = await this.waitCheckpoint(checkpoints, message.metrics.epoch, () => ended);
        await this.publish(job, { kind: 'trainer', message }, ckpt ?? undefined);
      } else await this.publish(job, { kind: 'trainer', message });
    };
    const handle = startTrainer(
      { runId: job.runId, model: job.model, config, datasetDir, checkpointDir: checkpoints, resume: Boolean(saved) || job.resume },
      {
        fork: this.options.fork,
        onMessage: (message) => {
          chain = chain.then(() => forward(message)).catch((error: unknown) => this.log(`trial ${job.runId}: could not publish: ${redactText(String(error))}`));
        },
      },
    );
    entry.handle = handle;
    if (entry.cancelled) handle.cancel();
    const outcome = await handle.done;
    ended = true;
    await chain;
    const { exit: _exit, ...rest } = outcome;
    return rest;
  }

  /** The checkpoint file once it holds `epoch` (the trainer writes it just after reporting the epoch). */
  private async waitCheckpoint(dir: string, epoch: number, ended: () => boolean): Promise<Buffer | null> {
    const file = checkpointPath(dir);
    let lastMtime = 0;
    for (;;) {
      if (existsSync(file)) {
        const mtime = (await stat(file).catch(() => null))?.mtimeMs ?? 0;
        if (mtime !== lastMtime) {
          lastMtime = mtime;
          const data = await readFile(file).catch(() => null);
          const at = data ? checkpointEpoch(data) : null;
          if (data && at !== null && at >= epoch) return data;
        }
      }
      // A diverged epoch writes no checkpoint, and a trainer that died writes none: go on without.
      if (ended()) return null;
      await new Promise((r) => setTimeout(r, 15));
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A unique token per start of a trial. */
export const newNonce = () => randomUUID();
