/**
 * Packed sweeps with real trainer processes: `sweeplab sweep --pack` killed with SIGKILL mid-sweep
 * and resumed (each epoch stored once, every trial's record says it trained in a pack), and one
 * trial of a running pack cancelled while the others train on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDatabase } from '../../electron/store/testing';
import { join } from 'node:path';
import { openStore } from '../../electron/store';
import type { EpochMetrics } from '../../shared/domain';
import { tempDir } from '../support/fixtures';
import { testRuntime } from '../support/runtime';
import { alive, childPids, cli, until, writeTinyIdx } from '../support/sweepCli';

const EPOCHS = 3;

describe('packed sweeps (real trainers)', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;

  beforeAll(() => {
    dir = tempDir('sweeplab-pack-cli-');
    data = join(dir.path, 'tiny');
    writeTinyIdx(data);
  });
  afterAll(() => dir.remove());

  it('survives SIGKILL mid-sweep: resume finishes the pack, stores each epoch once, records the pack', async () => {
    const dataDir = join(dir.path, 'home-kill');
    const args = ['sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001,0.01', '--clip', '1,none', '--epochs', String(EPOCHS), '--batch', '32', '--backend', 'wasm', '--pack', '4', '--concurrency', '1'];
    const run = cli(dataDir, args);
    const { sweepId } = (await run.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
    // Every trial of the pack stores epoch 1; then kill the CLI (the trainer follows its parent).
    await run.waitFor(() => new Set(run.lines.filter((l) => l.type === 'epoch' && l.epoch === 1).map((l) => l.trialId)).size === 4);
    const trainers = childPids(run.child.pid!);
    run.child.kill('SIGKILL');
    expect((await run.exit).signal).toBe('SIGKILL');
    await until(() => trainers.every((p) => !alive(p)), 15_000);

    const store = openStore(dataDir);
    const trialIds = store.sweeps.trials(sweepId).map((t) => t.id);
    const before = new Map(trialIds.map((id) => [id, store.runs.epochs(id)[0] as EpochMetrics]));
    expect(trialIds.map((id) => store.runs.get(id)!.packSize)).toEqual([4, 4, 4, 4]);
    store.close();

    const resumed = cli(dataDir, ['sweep', 'resume', sweepId]);
    const stats = (await resumed.waitFor((l) => l.type === 'stats', 120_000)) as { status: string };
    expect(stats.status).toBe('completed');
    expect((await resumed.exit).code).toBe(0);

    const after = openStore(dataDir);
    try {
      for (const id of trialIds) {
        const r = after.runs.get(id)!;
        expect(r.status).toBe('completed');
        expect(after.runs.epochs(id).map((e) => e.epoch)).toEqual([1, 2, 3]);
        // Epoch 1 is the one stored before the kill: the pack went on from the checkpoints.
        expect(after.runs.epochs(id)[0]).toEqual(before.get(id));
      }
      const dupes = rawDatabase(after).prepare('SELECT run_id, epoch, count(*) AS n FROM epochs GROUP BY run_id, epoch HAVING n > 1').all();
      expect(dupes).toEqual([]);
      // The resumed trials trained in packs again (those at the same checkpoint share one).
      expect(trialIds.every((id) => (after.runs.get(id)!.packSize ?? 0) >= 2)).toBe(true);
      expect(resumed.lines.some((l) => l.type === 'epoch' && l.epoch === 1)).toBe(false);
      const trialLines = resumed.lines.filter((l) => l.type === 'trial');
      expect(trialLines.every((l) => typeof l.packSize === 'number' && l.packSize >= 2)).toBe(true);
    } finally {
      after.close();
    }
  });

  it('cancelling one trial of a pack leaves the others training to the end', async () => {
    // Slow steps (≥ 15 ms) so the cancel lands mid-run however fast the machine is.
    process.env.SWEEPLAB_TRAINER_TEST_STEP_MS = '15';
    const rt = await testRuntime();
    try {
      const ds = await rt.call('datasets.import', { paths: [data], name: 'tiny' });
      const sweep = await rt.call('sweeps.create', {
        spec: {
          datasetId: ds.id,
          model: { preset: 'plain', init: { kind: 'kaiming_uniform' }, layers: [{ type: 'flatten' }, { type: 'linear', units: 16 }, { type: 'relu' }, { type: 'linear', units: 10 }] },
          base: { lr: 0.001, epochs: EPOCHS, batchSize: 20, backend: 'wasm' },
          axes: { lr: { values: [0.001, 0.003, 0.01] }, clip: [1] },
          pack: 3,
        },
        concurrency: 1,
      });
      const trials = rt.runtime.store.sweeps.trials(sweep.id).map((t) => t.id);
      const victim = trials[1]!;
      // Once every trial has trained an epoch, cancel one of them.
      await until(() => trials.every((id) => (rt.runtime.store.runs.get(id)?.epochsDone ?? 0) >= 1), 60_000);
      await rt.call('sweeps.cancelTrial', { id: sweep.id, trialId: victim });
      expect(rt.runtime.store.runs.get(victim)!.status).toBe('cancelled');
      const others = trials.filter((id) => id !== victim);
      expect(others.map((id) => rt.runtime.store.runs.get(id)!.status)).toEqual(['running', 'running']);
      const done = await rt.runtime.scheduler.waitUntilIdle(sweep.id);
      expect(done.status).toBe('completed');
      for (const id of others) {
        const r = rt.runtime.store.runs.get(id)!;
        expect({ status: r.status, packSize: r.packSize, epochs: rt.runtime.store.runs.epochs(id).map((e) => e.epoch) }).toEqual({ status: 'completed', packSize: 3, epochs: [1, 2, 3] });
      }
      expect(rt.runtime.store.runs.epochs(victim).length).toBeLessThan(EPOCHS);
    } finally {
      delete process.env.SWEEPLAB_TRAINER_TEST_STEP_MS;
      await rt.dispose();
    }
  });
});
