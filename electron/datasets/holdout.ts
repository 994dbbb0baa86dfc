/**
 * The seeded hold-out for data sets that ship without a test split. Stratified: each class gives
 * the same fraction of its samples (largest-remainder rounding so the total is exact), chosen by a
 * seeded shuffle within the class, so a 1/6 hold-out of a balanced set stays balanced and every
 * import of the same files yields the same split. Both sides keep the files' original sample order,
 * so "the first N samples" still means what it meant in the files.
 */
import type { SplitData } from './blocks';
import { type TrainConfig, validationCount } from '../../shared/domain';
import { ApiError } from '../../shared/errors';

/** The seed of every hold-out. Fixed: the split must not change between imports of the same files. */
export const HOLD_OUT_SEED = 0x5eed;

export function defaultHoldOutSize(count: number): number {
  return Math.max(1, Math.round(count / 6));
}

/** mulberry32: small, fast, and good enough to shuffle indices reproducibly. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Indices (ascending) of the samples that stay in training and of those held out. */
export function stratifiedHoldOut(labels: Uint8Array, size: number, seed = HOLD_OUT_SEED): { train: Uint32Array; test: Uint32Array } {
  const n = labels.length;
  if (size < 1 || size >= n) throw new RangeError(`hold-out size ${size} must be between 1 and ${n - 1}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = byClass.get(labels[i]!);
    if (list) list.push(i);
    else byClass.set(labels[i]!, [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  // Largest remainder: floor quotas, then one more to the classes with the largest fractions.
  const exact = classes.map((c) => (byClass.get(c)!.length * size) / n);
  const quota = exact.map(Math.floor);
  let missing = size - quota.reduce((a, b) => a + b, 0);
  const order = classes.map((_, k) => k).sort((a, b) => exact[b]! - Math.floor(exact[b]!) - (exact[a]! - Math.floor(exact[a]!)) || a - b);
  for (const k of order) {
    if (missing === 0) break;
    if (quota[k]! < byClass.get(classes[k]!)!.length) {
      quota[k]! += 1;
      missing -= 1;
    }
  }
  const random = mulberry32(seed);
  const held = new Uint8Array(n);
  classes.forEach((c, k) => {
    const members = byClass.get(c)!.slice();
    // Partial Fisher-Yates: the first quota[k] slots end up a uniform sample of the class.
    for (let i = 0; i < quota[k]!; i++) {
      const j = i + Math.floor(random() * (members.length - i));
      [members[i], members[j]] = [members[j]!, members[i]!];
      held[members[i]!] = 1;
    }
  });
  const test = new Uint32Array(size);
  const train = new Uint32Array(n - size);
  let t = 0;
  let r = 0;
  for (let i = 0; i < n; i++) {
    if (held[i]) test[t++] = i;
    else train[r++] = i;
  }
  return { train, test };
}

/** Copies the chosen samples of a split into a new split, in the given order. */
export function takeSamples(split: SplitData, indices: Uint32Array, sampleBytes: number): SplitData {
  const images = new Uint8Array(indices.length * sampleBytes);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    images.set(split.images.subarray(i * sampleBytes, (i + 1) * sampleBytes), k * sampleBytes);
    labels[k] = split.labels[i]!;
  }
  return { count: indices.length, images, labels };
}

/**
 * The splits one run sees, from its config's validation spec:
 * - `train`: what it trains on (the training split less a holdout validation);
 * - `validation`: what every epoch is evaluated on and selected by (the holdout, or the test split
 *   for selection on test);
 * - `test`: the untouched test split, for a score measured once after training (finalTest), or null.
 * The holdout is the same stratified split as imports use, with the validation spec's own seed, so
 * all trials of a sweep share it.
 */
export function runSplits(
  stored: { train: SplitData; test: SplitData },
  config: Pick<TrainConfig, 'validation' | 'finalTest'>,
  sampleBytes: number,
): { train: SplitData; validation: SplitData; test: SplitData | null } {
  if (config.validation.split === 'test') {
    if (config.finalTest) throw new ApiError('invalid_argument', 'finalTest needs a held-out validation split');
    return { train: stored.train, validation: stored.test, test: null };
  }
  const n = validationCount(stored.train.count, config.validation);
  if (n < 1 || n >= stored.train.count) {
    throw new ApiError('invalid_argument', `a validation split of ${config.validation.size} holds out ${n} of ${stored.train.count} training samples; it must leave at least one on each side`);
  }
  const split = stratifiedHoldOut(stored.train.labels, n, config.validation.seed);
  return {
    train: takeSamples(stored.train, split.train, sampleBytes),
    validation: takeSamples(stored.train, split.test, sampleBytes),
    test: config.finalTest ? stored.test : null,
  };
}
