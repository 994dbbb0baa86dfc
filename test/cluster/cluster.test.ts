/**
 * Cluster sweeps end to end: a throwaway redis-server, real `sweeplab worker` processes with real
 * trainer children, a coordinator (the `sweep` CLI, or a runtime in this process). Tiny on
 * purpose (100 training images, a few epochs, slowed steps so kills land mid-trial).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { openStore } from '../../electron/store';
import { createRuntime } from '../../electron/runtime';
import { QUEUE_NAME, keys } from '../../electron/cluster/broker';
import { tempDir, tinyModel } from '../support/fixtures';
import { cli, until, writeTinyIdx, type Cli } from '../support/sweepCli';
import { freePort, hasRedis, startRedis, type TestRedis } from '../support/redis';
import { spawn, spawnSync } from 'node:child_process';
import { slurmUnavailable, startSlurm, type TestSlurm } from '../support/slurm';

const PASSWORD = 'pa55-w0rd-secret';

function epochsOnce(dataDir: string, sweepId: string, epochs: number) {
  const store = openStore(dataDir);
  try {
    const trials = store.runs.list({ sweepId, limit: 100 }).items;
    for (const t of trials) {
      expect(t.status, `${t.id}: ${t.error}`).toBe('completed');
      expect(store.runs.epochs(t.id).map((e) => e.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    }
    return trials;
  } finally {
    store.close();
  }
}

describe.skipIf(!hasRedis)('cluster sweeps (redis-server + worker processes)', () => {
  let redis: TestRedis;
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let conn: Redis;
  const workers = new Map<string, Cli>();
  const startWorker = (name: string) => {
    const w = cli(join(dir.path, `worker-${name}`), ['worker', '--broker', redis.url, '--slots', '1', '--name', name]);
    workers.set(name, w);
    return w;
  };

  beforeAll(async () => {
    redis = await startRedis(PASSWORD);
    dir = tempDir('sweeplab-cluster-');
    data = join(dir.path, 'tiny');
    writeTinyIdx(data);
    // A dead worker's trial moves on after ~2 s here (30 s by default); steps slowed so epochs take a while.
    process.env.SWEEPLAB_BROKER_LOCK_MS = '2000';
    process.env.SWEEPLAB_TRAINER_TEST_STEP_MS = '120';
    conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    for (const name of ['w1', 'w2', 'w3']) startWorker(name);
    await until(() => [...workers.values()].every((w) => w.stderr().includes('taking trials')), 30_000);
  }, 60_000);

  afterAll(async () => {
    for (const w of workers.values()) w.child.kill('SIGKILL');
    conn?.disconnect();
    await redis?.stop();
    delete process.env.SWEEPLAB_BROKER_LOCK_MS;
    delete process.env.SWEEPLAB_TRAINER_TEST_STEP_MS;
    dir?.remove();
  });

  it('three workers with empty data folders finish a sweep; a SIGKILLed worker\'s trial finishes elsewhere from its checkpoint, each epoch stored once', async () => {
    const home = join(dir.path, 'coord-a');
    const EPOCHS = 4;
    const sweep = cli(home, ['--broker', redis.url, '--local-slots', '0', 'sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001,0.003,0.01', '--epochs', String(EPOCHS), '--batch', '32']);
    const { sweepId } = (await sweep.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
    // A trial at its second epoch: kill the worker training it.
    const { trialId } = (await sweep.waitFor((l) => l.type === 'epoch' && l.epoch === 2)) as { trialId: string };
    let victim = '';
    for (const name of ['w1', 'w2', 'w3']) {
      const info = JSON.parse((await conn.get(keys.worker(name))) ?? '{}') as { running?: string[] };
      if (info.running?.includes(trialId)) victim = name;
    }
    expect(victim).not.toBe('');
    workers.get(victim)!.child.kill('SIGKILL');
    const stats = (await sweep.waitFor((l) => l.type === 'stats', 150_000)) as { status: string };
    expect(stats.status).toBe('completed');
    expect((await sweep.exit).code).toBe(0);

    const trials = epochsOnce(home, sweepId, EPOCHS);
    const moved = trials.find((t) => t.id === trialId)!;
    expect(moved.worker).toBeTruthy();
    expect(moved.worker).not.toBe(victim);
    const others = [...workers].filter(([n]) => n !== victim).map(([, w]) => w.stderr());
    // It continued from the checkpoint the dead worker put in the broker, not from epoch 1.
    expect(others.join('\n')).toMatch(new RegExp(`trial ${trialId}: resuming from the broker's checkpoint of epoch [1-9]`));
    // Workers that started from empty data folders got the data set through the broker.
    expect(others.some((e) => /data set sha256:[0-9a-f]+… received .* verified and cached/.test(e))).toBe(true);
    // Checkpoints are removed when trials end.
    expect(await conn.keys('sweeplab:ckpt:*')).toEqual([]);
    startWorker(`${victim}-again`);
  }, 200_000);

  it('a coordinator SIGKILLed mid-sweep and restarted stores every epoch trained meanwhile once', async () => {
    const home = join(dir.path, 'coord-b');
    const EPOCHS = 8;
    const sweep = cli(home, ['--broker', redis.url, '--local-slots', '0', 'sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001,0.01', '--epochs', String(EPOCHS), '--batch', '32']);
    const { sweepId } = (await sweep.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
    await sweep.waitFor((l) => l.type === 'epoch' && l.epoch === 1);
    sweep.child.kill('SIGKILL');
    await sweep.exit;
    // The workers go on training meanwhile; their epochs wait in the coordinator's stream.
    await new Promise((r) => setTimeout(r, 1500));
    const store = openStore(home);
    const storedBefore = store.runs.list({ sweepId, limit: 10 }).items.reduce((a, t) => a + t.epochsDone, 0);
    store.close();
    const resumed = cli(home, ['--broker', redis.url, '--local-slots', '0', 'sweep', 'resume', sweepId]);
    const stats = (await resumed.waitFor((l) => l.type === 'stats', 150_000)) as { status: string };
    expect(stats.status).toBe('completed');
    await resumed.exit;
    epochsOnce(home, sweepId, EPOCHS);
    expect(storedBefore).toBeLessThan(2 * EPOCHS);
  }, 200_000);

  it('cancels a trial running on a worker within about a second; pause and resume continue from the checkpoint', async () => {
    const home = tempDir('sweeplab-cluster-coord-');
    const runtime = await createRuntime({ dataDir: home.path, transport: 'browser', broker: redis.url, localSlots: 0 });
    try {
      const call = async (method: string, request: unknown) => {
        const r = await runtime.service.dispatch(method as never, request as never);
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return r.value as never;
      };
      const ds = (await call('datasets.import', { paths: [data] })) as { id: string };
      const sweep = (await call('sweeps.create', {
        spec: { datasetId: ds.id, model: tinyModel, base: { lr: 0.001, epochs: 30, batchSize: 32 }, axes: { lr: { values: [0.001] }, clip: [null] } },
      })) as { id: string };
      const trial = runtime.store.runs.list({ sweepId: sweep.id, limit: 10 }).items[0]!;
      await until(() => (runtime.store.runs.get(trial.id)?.epochsDone ?? 0) >= 1, 60_000);
      const t0 = performance.now();
      await call('sweeps.cancelTrial', { id: sweep.id, trialId: trial.id });
      const seconds = (performance.now() - t0) / 1000;
      const after = runtime.store.runs.get(trial.id)!;
      expect(after.status).toBe('cancelled');
      expect(after.epochsDone).toBeLessThan(30);
      // The worker stopped it at its next batch (steps take 120 ms here) and said so through the stream.
      console.log(`cluster cancel: the trial ended and was stored ${seconds.toFixed(2)} s after the request`);
      expect(seconds).toBeLessThan(1.5);

      // Pause and resume: the trial stops on its worker, then continues from its broker checkpoint.
      const second = (await call('sweeps.create', {
        spec: { datasetId: ds.id, model: tinyModel, base: { lr: 0.001, epochs: 5, batchSize: 32 }, axes: { lr: { values: [0.002] }, clip: [null] } },
      })) as { id: string };
      const t2 = runtime.store.runs.list({ sweepId: second.id, limit: 10 }).items[0]!;
      await until(() => (runtime.store.runs.get(t2.id)?.epochsDone ?? 0) >= 2, 60_000);
      const paused = (await call('sweeps.pause', { id: second.id })) as { status: string };
      expect(paused.status).toBe('paused');
      const atPause = runtime.store.runs.get(t2.id)!;
      expect(atPause.status).toBe('interrupted');
      expect(atPause.epochsDone).toBeLessThan(5);
      await call('sweeps.resume', { id: second.id });
      const done = await runtime.scheduler.waitUntilIdle(second.id);
      expect(done.status).toBe('completed');
      expect(runtime.store.runs.epochs(t2.id).map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
      expect([...workers.values()].map((w) => w.stderr()).join('\n')).toMatch(new RegExp(`trial ${t2.id}: resuming from the broker's checkpoint of epoch [2-4]`));
    } finally {
      await runtime.close();
      home.remove();
    }
  }, 120_000);

  it('a malformed job is refused with a logged reason, never run', async () => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection });
    const job = await queue.add('trial', { v: 1, runId: 'evil', code: 'require("child_process").execSync("touch /tmp/pwned")' });
    await until(() => [...workers.values()].some((w) => w.stderr().includes(`refused job ${job.id}: not a valid trial`)), 20_000);
    await until(() => true);
    expect(await job.getState()).toBe('failed');
    expect((await queue.getJob(job.id!))!.failedReason).toMatch(/refused: not a valid trial/);
    await queue.close();
    connection.disconnect();
  }, 30_000);

  it('a wrong broker password is one clear error that does not show the password', async () => {
    const wrong = redis.url.replace(PASSWORD, 'not-the-password');
    const run = cli(join(dir.path, 'x'), ['workers', '--broker', wrong]);
    const { code } = await run.exit;
    expect(code).not.toBe(0);
    const err = run.stderr().trim();
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/refused the password/);
    expect(err).not.toContain('not-the-password');
    const down = cli(join(dir.path, 'x'), ['workers', '--broker', 'redis://127.0.0.1:1']);
    expect((await down.exit).code).not.toBe(0);
    expect(down.stderr().trim()).toMatch(/^sweeplab: Cannot reach the broker at redis:\/\/127\.0\.0\.1:1 /);
  }, 30_000);

  it('workers --json lists each worker with its heartbeat; slurm --dry-run prints an array of until-empty workers without the password', async () => {
    const list = cli(join(dir.path, 'x'), ['workers', '--broker', redis.url]);
    await list.exit;
    const out = list.lines[0] as { broker: string; workers: { name: string; lost: boolean; slots: number }[] };
    expect(out.broker).not.toContain(PASSWORD);
    expect(out.workers.map((w) => w.name)).toEqual(expect.arrayContaining(['w1', 'w2', 'w3'].filter((n) => workers.get(n)!.child.exitCode === null && !workers.get(n)!.child.killed)));
    expect(out.workers.every((w) => w.slots === 1)).toBe(true);

    const home = join(dir.path, 'coord-b');
    const store = openStore(home);
    const sweepId = store.sweeps.list()[0]!.id;
    store.close();
    const dry = cli(home, ['--broker', redis.url, 'slurm', sweepId, '--tasks', '3', '--partition', 'debug', '--time', '00:10:00', '--dry-run']);
    await dry.exit;
    const { script } = dry.lines[0] as { script: string };
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain('#SBATCH --array=1-3');
    expect(script).toContain('#SBATCH --partition=debug');
    expect(script).toContain('#SBATCH --time=00:10:00');
    expect(script).toMatch(/worker --until-empty --slots 1/);
    expect(script).toContain('SWEEPLAB_BROKER');
    expect(script).not.toContain(PASSWORD);
  }, 30_000);
});

const slurmReason = slurmUnavailable();

describe.skipIf(!hasRedis)('sweeplab slurm on a real single-node Slurm', () => {
  it('submits an array whose tasks are until-empty workers that finish the sweep', async (test) => {
    if (slurmReason) {
      console.log(`Slurm test skipped: ${slurmReason}`);
      test.skip();
    }
    const redis = await startRedis(PASSWORD);
    const dir = tempDir('sweeplab-slurm-');
    const data = join(dir.path, 'tiny');
    writeTinyIdx(data);
    let slurm: TestSlurm | null = null;
    try {
      slurm = await startSlurm(join(dir.path, 'slurm'));
      const home = join(dir.path, 'coord');
      const sweep = cli(home, ['--broker', redis.url, '--local-slots', '0', 'sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001,0.01', '--epochs', '2', '--batch', '32']);
      const { sweepId } = (await sweep.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
      process.env.SLURM_CONF = slurm.env.SLURM_CONF;
      let submit: Cli;
      try {
        submit = cli(home, ['--broker', redis.url, 'slurm', sweepId, '--tasks', '2', '--time', '00:05:00', '--work-dir', join(dir.path, 'nodes')]);
      } finally {
        delete process.env.SLURM_CONF;
      }
      expect((await submit.exit).code, submit.stderr()).toBe(0);
      const { jobId } = submit.lines[0] as { jobId: string };
      expect(jobId).toMatch(/^\d+$/);
      const stats = (await sweep.waitFor((l) => l.type === 'stats', 150_000)) as { status: string };
      expect(stats.status).toBe('completed');
      await sweep.exit;
      const trials = epochsOnce(home, sweepId, 2);
      for (const t of trials) expect(t.worker).toMatch(new RegExp(`^slurm-${jobId}_[12]@`));
    } finally {
      await slurm?.stop();
      await redis.stop();
      dir.remove();
    }
  }, 200_000);
});

describe.skipIf(!hasRedis)('a broker that goes away mid-sweep', () => {
  it('is reported once, and the sweep continues when it is back without losing or duplicating epochs', async () => {
    const dir = tempDir('sweeplab-broker-restart-');
    const persistDir = join(dir.path, 'redis');
    mkdirSync(persistDir);
    let redis = await startRedis(PASSWORD, { persistDir });
    const data = join(dir.path, 'tiny');
    writeTinyIdx(data);
    // Locks outlive the outage here (as the 30 s default does in production).
    process.env.SWEEPLAB_BROKER_LOCK_MS = '15000';
    process.env.SWEEPLAB_TRAINER_TEST_STEP_MS = '120';
    const worker = cli(join(dir.path, 'worker'), ['worker', '--broker', redis.url, '--slots', '2', '--name', 'steady']);
    try {
      const home = join(dir.path, 'coord');
      const sweep = cli(home, ['--broker', redis.url, '--local-slots', '0', 'sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001,0.01', '--epochs', '8', '--batch', '32']);
      const { sweepId } = (await sweep.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
      await sweep.waitFor((l) => l.type === 'epoch' && l.epoch === 2);
      await redis.stop();
      await new Promise((r) => setTimeout(r, 2000));
      redis = await startRedis(PASSWORD, { port: redis.port, persistDir });
      const stats = (await sweep.waitFor((l) => l.type === 'stats', 150_000)) as { status: string };
      expect(stats.status).toBe('completed');
      await sweep.exit;
      epochsOnce(home, sweepId, 8);
      const said = sweep.stderr().split('\n').filter((l) => /Cannot reach the broker/.test(l));
      expect(said).toHaveLength(1);
      expect(said[0]).not.toContain(PASSWORD);
      expect(sweep.stderr()).toMatch(/the broker at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is back/);
    } finally {
      worker.child.kill('SIGKILL');
      delete process.env.SWEEPLAB_BROKER_LOCK_MS;
      delete process.env.SWEEPLAB_TRAINER_TEST_STEP_MS;
      await redis.stop();
      dir.remove();
    }
  }, 200_000);
});

describe.skipIf(!hasRedis)('rediss:// (TLS)', () => {
  it('a sweep trains through a TLS broker whose CA is given with NODE_EXTRA_CA_CERTS', async () => {
    const dir = tempDir('sweeplab-tls-');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir.path, 'key.pem'), '-out', join(dir.path, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    if (made.status !== 0) {
      console.log('TLS test skipped: openssl could not make a certificate');
      dir.remove();
      return;
    }
    const port = await freePort();
    const server = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD,
      '--tls-cert-file', join(dir.path, 'cert.pem'), '--tls-key-file', join(dir.path, 'key.pem'), '--tls-ca-cert-file', join(dir.path, 'cert.pem'), '--tls-auth-clients', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    await until(() => out.includes('Ready to accept'), 10_000);
    const url = `rediss://:${PASSWORD}@127.0.0.1:${port}`;
    const data = join(dir.path, 'tiny');
    writeTinyIdx(data);
    process.env.NODE_EXTRA_CA_CERTS = join(dir.path, 'cert.pem');
    const worker = cli(join(dir.path, 'worker'), ['worker', '--broker', url, '--slots', '1', '--name', 'tls']);
    delete process.env.NODE_EXTRA_CA_CERTS;
    try {
      // Without the CA the certificate is refused: one clear line.
      const untrusted = cli(join(dir.path, 'x'), ['workers', '--broker', url]);
      expect((await untrusted.exit).code).not.toBe(0);
      expect(untrusted.stderr().trim().split('\n')).toHaveLength(1);
      expect(untrusted.stderr()).not.toContain(PASSWORD);
      process.env.NODE_EXTRA_CA_CERTS = join(dir.path, 'cert.pem');
      const home = join(dir.path, 'coord');
      const sweep = cli(home, ['--broker', url, '--local-slots', '0', 'sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001', '--epochs', '2', '--batch', '32']);
      delete process.env.NODE_EXTRA_CA_CERTS;
      const { sweepId } = (await sweep.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
      const stats = (await sweep.waitFor((l) => l.type === 'stats', 120_000)) as { status: string };
      expect(stats.status).toBe('completed');
      await sweep.exit;
      expect(epochsOnce(home, sweepId, 2)[0]!.worker).toBe('tls');
    } finally {
      worker.child.kill('SIGKILL');
      server.kill('SIGTERM');
      dir.remove();
    }
  }, 150_000);
});

describe.skipIf(!hasRedis)('the coordinator as a worker', () => {
  it('--local-slots 1 with no other worker: the coordinator trains the trials itself through the broker', async () => {
    const redis = await startRedis(PASSWORD);
    const dir = tempDir('sweeplab-local-slots-');
    try {
      const data = join(dir.path, 'tiny');
      writeTinyIdx(data);
      const home = join(dir.path, 'coord');
      const sweep = cli(home, ['--broker', redis.url, '--local-slots', '1', 'sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001,0.01', '--epochs', '2', '--batch', '32']);
      const { sweepId } = (await sweep.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
      const stats = (await sweep.waitFor((l) => l.type === 'stats', 120_000)) as { status: string };
      expect(stats.status).toBe('completed');
      expect((await sweep.exit).code).toBe(0);
      const pid = sweep.child.pid!;
      for (const t of epochsOnce(home, sweepId, 2)) expect(t.worker).toMatch(new RegExp(`-coordinator-${pid}$`));
    } finally {
      await redis.stop();
      dir.remove();
    }
  }, 150_000);
});
