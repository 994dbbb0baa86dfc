/**
 * Adaptive sweeps end to end with real trainer processes (`sweeplab sweep --method … --prune …`)
 * on a tiny learnable data set: a TPE search killed with SIGKILL mid-sweep and resumed proposes no
 * configuration twice; a trial stopped by the median rule is resumed to its full length by hand
 * (`sweep resume-trial`) from its checkpoint; bad flag combinations are one clear line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDatabase } from '../../electron/store/testing';
import { join } from 'node:path';
import { openStore } from '../../electron/store';
import { tempDir } from '../support/fixtures';
import { alive, childPids, cli, until, writeTinyIdx } from '../support/sweepCli';

describe('sweeplab sweep --method/--prune (real trainers)', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let dataDir: string;

  beforeAll(() => {
    dir = tempDir('sweeplab-adaptive-cli-');
    data = join(dir.path, 'tiny');
    writeTinyIdx(data);
    dataDir = join(dir.path, 'home');
  });
  afterAll(() => dir.remove());

  it('a TPE search killed with SIGKILL and resumed proposes no configuration twice and finishes its budget', async () => {
    const args = ['sweep', '--dataset', data, '--model', 'shl', '--method', 'tpe', '--trials', '6', '--tpe-startup', '2', '--lr-range', '1e-4:1e-1', '--clip-range', '0.5:2', '--clip-none', '--epochs', '3', '--concurrency', '2', '--batch', '32'];
    const run = cli(dataDir, args);
    const { sweepId } = (await run.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
    // Killed once two configurations have results (TPE has something to learn from) and a later one trains.
    await run.waitFor((l) => l.type === 'trial' && run.lines.filter((x) => x.type === 'trial' && x.status === 'completed').length >= 2);
    await run.waitFor((l) => l.type === 'epoch' && !run.lines.some((x) => x.type === 'trial' && x.trialId === l.trialId));
    const trainers = childPids(run.child.pid!);
    run.child.kill('SIGKILL');
    expect((await run.exit).signal).toBe('SIGKILL');
    await until(() => trainers.every((p) => !alive(p)), 15_000);

    const store = openStore(dataDir);
    const before = store.sweeps.trials(sweepId).sort((a, b) => a.order - b.order);
    store.close();
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(6);

    const resumed = cli(dataDir, ['sweep', 'resume', sweepId]);
    const stats = (await resumed.waitFor((l) => l.type === 'stats', 120_000)) as { status: string; stats: { adaptive: { configurations: { budget: number; proposed: number } } } };
    expect(stats.status).toBe('completed');
    expect((await resumed.exit).code).toBe(0);
    expect(stats.stats.adaptive.configurations).toEqual({ budget: 6, proposed: 6 });

    const after = openStore(dataDir);
    try {
      const trials = after.sweeps.trials(sweepId).sort((a, b) => a.order - b.order);
      // Exactly the budget, each configuration once (repeats 1), the ones from before the kill kept as they were.
      expect(trials).toHaveLength(6);
      expect(new Set(trials.map((t) => t.cellId)).size).toBe(6);
      expect(new Set(trials.map((t) => `${t.lr}|${t.clip}`)).size).toBe(6);
      expect(trials.slice(0, before.length).map((t) => [t.id, t.cellId])).toEqual(before.map((t) => [t.id, t.cellId]));
      expect(trials.every((t) => t.status === 'completed' && t.epochsDone === 3)).toBe(true);
      for (const t of trials) {
        expect(t.lr).toBeGreaterThanOrEqual(1e-4);
        expect(t.lr).toBeLessThanOrEqual(0.1);
        if (t.clip !== null) expect(t.clip >= 0.5 && t.clip <= 2).toBe(true);
      }
      const dup = rawDatabase(after).prepare('SELECT run_id, epoch, count(*) AS n FROM epochs GROUP BY run_id, epoch HAVING n > 1').all();
      expect(dup).toEqual([]);
    } finally {
      after.close();
    }
  });

  it('a trial stopped by the median rule ends pruned with its reason, and `sweep resume-trial` trains it to full length from its checkpoint', async () => {
    // One trainer: lr 0.01 runs first and completes; lr 1e-6 then falls below it at epoch 1.
    const run = cli(dataDir, ['sweep', '--dataset', data, '--model', 'shl', '--lr', '0.01,0.000001', '--clip', 'none', '--epochs', '3', '--concurrency', '1', '--batch', '32', '--prune', 'median', '--startup', '1']);
    const { sweepId } = (await run.waitFor((l) => typeof l.sweepId === 'string')) as { sweepId: string };
    const ended = (await run.waitFor((l) => l.type === 'trial' && l.lr === 0.000001, 60_000)) as { trialId: string; status: string; epochs: number; error: string; pruned: { epoch: number; reason: string } };
    expect((await run.exit).code).toBe(0);
    expect(ended.status).toBe('pruned');
    // Judged at epoch 1; its trainer may have finished epoch 2 before the stop reached it (kept).
    expect(ended.epochs).toBeGreaterThanOrEqual(1);
    expect(ended.epochs).toBeLessThan(3);
    expect(ended.pruned).toMatchObject({ epoch: 1, resumedByHand: false });
    expect(ended.error).toMatch(/^median rule: below the median of 1 completed trials at epoch 1: 0\.\d+ < 1\.000 /);
    // Never reported as cancelled on the way (one end line per trial).
    expect(run.lines.filter((l) => l.type === 'trial' && l.trialId === ended.trialId)).toHaveLength(1);
    const store = openStore(dataDir);
    const epoch1 = store.runs.epochs(ended.trialId)[0];
    store.close();

    const resumed = cli(dataDir, ['sweep', 'resume-trial', sweepId, ended.trialId]);
    const stats = (await resumed.waitFor((l) => l.type === 'stats', 60_000)) as { status: string };
    expect(stats.status).toBe('completed');
    expect((await resumed.exit).code).toBe(0);
    // Continued from its checkpoint: epoch 1 is the one stored before, and no new epoch 1 was trained.
    expect(resumed.lines.some((l) => l.type === 'epoch' && l.trialId === ended.trialId && l.epoch === 1)).toBe(false);
    const after = openStore(dataDir);
    try {
      const run2 = after.runs.get(ended.trialId)!;
      expect(run2).toMatchObject({ status: 'completed', epochsDone: 3, error: null, pruned: { epoch: 1, resumedByHand: true } });
      expect(after.runs.epochs(ended.trialId).map((e) => e.epoch)).toEqual([1, 2, 3]);
      expect(after.runs.epochs(ended.trialId)[0]).toEqual(epoch1);
    } finally {
      after.close();
    }
  });

  it('refuses flag combinations that mean nothing, in one line', async () => {
    const cases: [string[], string][] = [
      [['--lr', '0.01', '--trials', '5'], '--trials needs --method random or tpe'],
      [['--method', 'random', '--lr-range', '1e-4:1e-1'], '--method random needs --trials N'],
      [['--method', 'random', '--trials', '4', '--lr-range', '1e-4:1e-1:5'], '--lr-range must be MIN:MAX for a search'],
      [['--lr', '0.01', '--grace', '2'], '--grace needs --prune asha, median or hyperband'],
      [['--lr', '0.01', '--prune', 'median', '--eta', '3'], '--eta applies to --prune asha or hyperband, not median'],
      [['--lr', '0.01', '--prune', 'bogus'], '--prune: "bogus" is not one of asha, median, hyperband'],
    ];
    for (const [extra, message] of cases) {
      const r = cli(dataDir, ['sweep', '--dataset', data, '--model', 'shl', '--clip', 'none', ...extra]);
      const { code } = await r.exit;
      expect(code, extra.join(' ')).toBe(2);
      expect(r.stderr()).toContain(message);
    }
  });
});
