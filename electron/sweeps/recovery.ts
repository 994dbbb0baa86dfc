/**
 * Startup recovery for sweeps. A sweep whose process died (app or CLI killed, machine rebooted)
 * is still 'running' in the database with trials 'running'. On start, before anything launches,
 * those become 'interrupted', so the user sees what happened and `resume` continues each unfinished
 * trial from its last checkpoint. Sweeps that another live Sweeplab process is running (its pid
 * exists and its heartbeat is fresh) are left alone: the CLI and the app may share a data folder.
 */
import type { Store } from '../store';
import { isOwnerAlive } from './scheduler';

export interface RecoveryResult {
  /** Sweeps marked interrupted. */
  sweeps: string[];
  /** Their trials that were running and are now interrupted. */
  trials: number;
}

export function recoverInterruptedSweeps(store: Store, options: { pid?: number; now?: number } = {}): RecoveryResult {
  const pid = options.pid ?? process.pid;
  const result: RecoveryResult = { sweeps: [], trials: 0 };
  store.transaction(() => {
    for (const sweep of store.sweeps.withStatus(['running', 'paused'])) {
      const owner = sweep.owner;
      if (owner.pid !== null && owner.pid !== pid && isOwnerAlive(owner, pid, options.now)) continue;
      // A paused sweep has no trainers, but one whose process died mid-pause may still show
      // running trials: those are interrupted too; the sweep stays paused.
      result.trials += store.sweeps.setTrialStatus(sweep.id, ['running'], 'interrupted');
      if (sweep.status === 'running') {
        store.sweeps.update(sweep.id, { status: 'interrupted' });
        result.sweeps.push(sweep.id);
      }
      store.sweeps.setOwner(sweep.id, null);
    }
  });
  return result;
}
