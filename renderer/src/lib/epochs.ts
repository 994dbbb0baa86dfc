/** Keeps a run's epoch list in order as events arrive (a resume may resend an epoch). Pure. */
import type { EpochMetrics } from '../../../shared/domain';

export function mergeEpoch(list: readonly EpochMetrics[], m: EpochMetrics): EpochMetrics[] {
  const last = list[list.length - 1];
  if (!last || last.epoch < m.epoch) return [...list, m];
  // A resume from an older checkpoint: drop what came after it, then place this epoch.
  const kept = list.filter((e) => e.epoch < m.epoch);
  return [...kept, m];
}
