/**
 * `sweeplab sweep` end to end with real trainer processes on a tiny synthetic data set: the CLI
 * killed with SIGKILL mid-sweep and resumed, Ctrl-C, and a cancel from another process. Small on
 * purpose (100 training images, 3 epochs): the point is the bookkeeping, not the accuracy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDatabase } from '../../electron/store/testing';
import { join } from 'node:path';
import { openStore } from '../../electron/store';
import type { EpochMetrics } from '../../shared/domain';
import { tempDir } from '../support/fixtures';
import { alive, childPids, cli, until, writeTinyIdx } from '../support/sweepCli';

const EPOCHS = 3;

const sweepArgs = (data: string, extra: string[] = []) => [
  'sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001,0.01', '--clip', '1,none', '--epochs', String(EPOCHS), '--concurrency', '2', '--batch', '32', ...extra,
];

describe('sweeplab sweep (real trainers)', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let dataDir: string;

  beforeAll(() => {
    dir = tempDir('sweeplab-sweep-cli-');
    data = join(dir.path, 'tiny');
    writeTinyIdx(data);
    dataDir = join(dir.path, 'home');
  });
  afterAll(() => dir.remove());

  it('survives SIGKILL mid-sweep: resume finishes every trial, keeps finished ones, stores each epoch once', async () => {
    const run = cli(dataDir, sweepArgs(data));
    const { sweepId } = (await run.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
    // Wait until one trial has finished and a later one has stored its first epoch, then kill.
    const firstDone = (await run.waitFor((l) => l.type === 'trial' && l.status === 'completed')) as { trialId: string };
    const victim = (await run.waitFor(
      (l) => l.type === 'epoch' && l.epoch === 1 && !run.lines.some((x) => x.type === 'trial' && x.trialId === l.trialId),
    )) as { trialId: string };
    const trainers = childPids(run.child.pid!);
    run.child.kill('SIGKILL');
    expect((await run.exit).signal).toBe('SIGKILL');
    // Trainers notice their parent is gone and exit on their own.
    await until(() => trainers.every((p) => !alive(p)), 15_000);

    const store = openStore(dataDir);
    const before = {
      finished: store.runs.get(firstDone.trialId)!,
      victimEpoch1: store.runs.epochs(victim.trialId)[0] as EpochMetrics,
    };
    expect(store.sweeps.get(sweepId)!.status).toBe('running'); // as the dead process left it
    expect(before.finished.status).toBe('completed');
    store.close();

    // The next start finds it interrupted (recovery), and resume finishes it.
    const list = cli(dataDir, ['sweep', 'list']);
    await list.exit;
    expect(list.lines.find((l) => l.id === sweepId)).toMatchObject({ status: 'interrupted' });
    const resumed = cli(dataDir, ['sweep', 'resume', sweepId]);
    const stats = (await resumed.waitFor((l) => l.type === 'stats', 120_000)) as { status: string };
    expect(stats.status).toBe('completed');
    expect((await resumed.exit).code).toBe(0);
    // The finished trial was not run again.
    expect(resumed.lines.some((l) => l.trialId === firstDone.trialId)).toBe(false);

    const after = openStore(dataDir);
    try {
      const trials = after.sweeps.trials(sweepId);
      expect(trials).toHaveLength(4);
      for (const t of trials) {
        expect(t.status).toBe('completed');
        expect(after.runs.epochs(t.id).map((e) => e.epoch)).toEqual([1, 2, 3]);
      }
      const rows = rawDatabase(after).prepare('SELECT run_id, epoch, count(*) AS n FROM epochs GROUP BY run_id, epoch HAVING n > 1').all();
      expect(rows).toEqual([]);
      expect(after.runs.get(firstDone.trialId)).toMatchObject({ startedAt: before.finished.startedAt, finishedAt: before.finished.finishedAt });
      // The interrupted trial continued from its checkpoint: its first epoch is the one stored before the kill.
      expect(after.runs.epochs(victim.trialId)[0]).toEqual(before.victimEpoch1);
      // No resumed epoch line for epoch 1 of the victim: training continued after the checkpoint.
      expect(resumed.lines.some((l) => l.type === 'epoch' && l.trialId === victim.trialId && l.epoch === 1)).toBe(false);
    } finally {
      after.close();
    }
  });

  it('Ctrl-C cancels cleanly: trainers killed, unfinished trials cancelled, exit code 1', async () => {
    const run = cli(dataDir, sweepArgs(data, ['--epochs', '400']));
    const { sweepId } = (await run.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
    await run.waitFor((l) => l.type === 'epoch');
    const trainers = childPids(run.child.pid!);
    expect(trainers.length).toBeGreaterThanOrEqual(1);
    run.child.kill('SIGINT');
    const stats = (await run.waitFor((l) => l.type === 'stats', 30_000)) as { status: string };
    expect(stats.status).toBe('cancelled');
    expect((await run.exit).code).toBe(1);
    expect(trainers.every((p) => !alive(p))).toBe(true);
    const store = openStore(dataDir);
    try {
      expect(store.sweeps.get(sweepId)!.status).toBe('cancelled');
      expect(store.sweeps.trials(sweepId).map((t) => t.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    } finally {
      store.close();
    }
  });

  it('`sweep cancel <id>` from another process stops the foreground sweep', async () => {
    const run = cli(dataDir, sweepArgs(data, ['--epochs', '400']));
    const { sweepId } = (await run.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
    await run.waitFor((l) => l.type === 'epoch');
    const other = cli(dataDir, ['sweep', 'cancel', sweepId]);
    expect((await other.exit).code).toBe(0);
    const stats = (await run.waitFor((l) => l.type === 'stats', 30_000)) as { status: string };
    expect(stats.status).toBe('cancelled');
    expect((await run.exit).code).toBe(1);
    const store = openStore(dataDir);
    try {
      expect(store.sweeps.trials(sweepId).map((t) => t.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    } finally {
      store.close();
    }
  });

  it('exits non-zero and says so when a sweep completes with failed trials', async () => {
    const first = cli(dataDir, ['sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001,0.01', '--clip', 'none', '--epochs', '1', '--batch', '32']);
    const { sweepId } = (await first.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
    expect((await first.exit).code).toBe(0);
    // One trial failed (as a trainer crash leaves it), the other interrupted: resume finishes the sweep.
    const store = openStore(dataDir);
    const [a, b] = store.sweeps.trials(sweepId);
    store.runs.update(a!.id, { status: 'failed', error: 'trainer crashed' });
    store.runs.update(b!.id, { status: 'interrupted' });
    store.sweeps.update(sweepId, { status: 'interrupted', finishedAt: null });
    store.close();
    const resumed = cli(dataDir, ['sweep', 'resume', sweepId]);
    const stats = (await resumed.waitFor((l) => l.type === 'stats', 60_000)) as { status: string };
    expect(stats.status).toBe('completed');
    expect((await resumed.exit).code).toBe(1);
    expect(resumed.stderr()).toContain(`sweep ${sweepId} completed with 1 failed trial of 2; run them again with \`sweeplab sweep rerun-failed ${sweepId}\``);
  });
});
