/**
 * When a run counts as diverged. Non-finite numbers (loss, gradient norm, weights) always do; so
 * does a finite explosion, which used to pass as "completed" (lr 50: a loss of 8.6e20 ending at
 * chance accuracy). The yardstick is the untrained loss: a freshly initialised classifier predicts
 * about uniformly, so its cross-entropy is ln(C) for C classes (2.30 for 10).
 *
 *  1. Explosion: an epoch's mean training loss above EXPLOSION_FACTOR × ln(C). A model that is
 *     learning never averages that far above guessing; one that blew up does at once.
 *  2. Collapse: validation accuracy at chance (at most the share of the most common validation
 *     class, + 1 point) in an epoch at or after one whose mean training loss rose above
 *     COLLAPSE_FACTOR × ln(C): the loss exploded and the model ended up predicting one class.
 *
 * Both are judged on the epoch's numbers (the engine reads no loss per step on its hot path), so
 * the epoch that shows the explosion is kept and the run stops after it, as 'diverged' with the
 * epoch and the reason. Documented in the README ("When a run diverges").
 */
export const EXPLOSION_FACTOR = 20;
export const COLLAPSE_FACTOR = 3;

/** The accuracy of always answering the most common class of `labels`. */
export function chanceAccuracy(labels: Uint8Array, numClasses: number): number {
  if (labels.length === 0) return 1 / numClasses;
  const counts = new Uint32Array(Math.max(numClasses, 1));
  for (const l of labels) counts[l] = (counts[l] ?? 0) + 1;
  return Math.max(...counts) / labels.length;
}

const sci = (v: number) => (Math.abs(v) >= 1e4 ? v.toExponential(1) : v.toFixed(3));

/**
 * Why the run diverged at `epoch`, or null. `losses`: the mean training loss of every epoch so
 * far, this one last; `valAcc`: this epoch's validation accuracy (null before evaluation).
 */
export function explosion(epoch: number, losses: readonly number[], numClasses: number, valAcc: number | null, chance: number): string | null {
  const untrained = Math.log(numClasses);
  const loss = losses.at(-1)!;
  if (!Number.isFinite(loss)) return `epoch ${epoch}: the training loss became ${loss}`;
  if (loss > EXPLOSION_FACTOR * untrained) {
    return `epoch ${epoch}: the training loss exploded to ${sci(loss)} (over ${EXPLOSION_FACTOR} × the untrained loss ln ${numClasses} = ${untrained.toFixed(2)})`;
  }
  if (valAcc === null) return null;
  const peak = Math.max(...losses);
  if (peak > COLLAPSE_FACTOR * untrained && valAcc <= chance + 0.01) {
    const at = losses.indexOf(peak) + 1 + (epoch - losses.length);
    return `epoch ${epoch}: validation accuracy ${(valAcc * 100).toFixed(1)}% is at chance after the training loss exploded to ${sci(peak)} at epoch ${at}`;
  }
  return null;
}
