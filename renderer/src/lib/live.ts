/** Progress and time left of a run or a sweep. Pure. */
import type { EpochMetrics, Run } from '../../../shared/domain';

/** Seconds left for a run: mean epoch time × epochs left; null before the first epoch. */
export function runEta(run: Pick<Run, 'epochsDone' | 'config' | 'status'>, epochs: readonly EpochMetrics[]): number | null {
  if (run.status !== 'running' || !epochs.length) return null;
  const recent = epochs.slice(-5);
  const mean = recent.reduce((a, e) => a + e.seconds, 0) / recent.length;
  return Math.max(0, (run.config.epochs - epochs.length) * mean);
}

export function runProgress(run: Pick<Run, 'epochsDone' | 'config'>, epochsSeen = 0): number {
  const done = Math.max(run.epochsDone, epochsSeen);
  return run.config.epochs > 0 ? Math.min(1, done / run.config.epochs) : 0;
}

export const ACTIVE: ReadonlySet<Run['status']> = new Set(['queued', 'running']);
