/**
 * Training data in memory as the on-disk store keeps it (u8 images, u8 labels) and the batch
 * builder. Images stay u8 (60k MNIST images: 47 MB instead of 188 MB as floats); each batch is
 * gathered and scaled to [0, 1] (÷255, as the notebook does) into a Float32Array and uploaded as
 * one tensor: slicing batches out of one big device tensor is 4× slower on wasm (docs/engine.md).
 */
import type { SubsetSpec } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import { Rng, Streams } from './rng';

export interface ImageSplit {
  /** count × features bytes, sample-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface TrainingData {
  /** Per-sample [h, w, c]. */
  shape: [number, number, number];
  numClasses: number;
  train: ImageSplit;
  test: ImageSplit;
}

export function featuresOf(data: Pick<TrainingData, 'shape'>): number {
  return data.shape[0] * data.shape[1] * data.shape[2];
}

/** Checks sizes and label range once, so the hot loops can trust the arrays. */
export function validateData(data: TrainingData): void {
  const f = featuresOf(data);
  for (const [name, split] of [['train', data.train], ['test', data.test]] as const) {
    if (split.images.length !== split.count * f || split.labels.length !== split.count) {
      throw new ApiError('bad_data', `${name} split: ${split.images.length} image bytes and ${split.labels.length} labels do not match ${split.count} samples of ${f} bytes`);
    }
    for (let i = 0; i < split.count; i++) {
      if (split.labels[i]! >= data.numClasses) {
        throw new ApiError('bad_data', `${name} split: label ${split.labels[i]} at sample ${i} is not below the class count ${data.numClasses}`);
      }
    }
  }
  if (data.train.count < 1) throw new ApiError('bad_data', 'the training split is empty');
}

/** u8 → float32 lookup: exactly float32(v) / 255 as numpy computes it. */
const SCALE = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = v / 255;
  return t;
})();

/** The sample indices a run trains on: all, the first N, or a seeded random N (sorted). */
export function trainingIndices(count: number, subset: SubsetSpec | null, seed: number): Int32Array {
  const n = subset ? Math.min(subset.size, count) : count;
  if (!subset || subset.mode === 'first' || n === count) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }
  const all = new Int32Array(count);
  for (let i = 0; i < count; i++) all[i] = i;
  const rng = Rng.seeded(seed, Streams.subset);
  // Partial Fisher–Yates: the first n slots become a uniform random sample.
  for (let i = 0; i < n; i++) {
    const j = i + rng.below(count - i);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.slice(0, n).sort();
}

/** Gathers samples `order[start..end)` of `split` into `x` (scaled) and their labels. */
export function fillBatch(
  split: ImageSplit,
  features: number,
  order: Int32Array | null,
  start: number,
  end: number,
  x: Float32Array,
  labels: Int32Array,
): void {
  const images = split.images;
  for (let r = 0; r < end - start; r++) {
    const s = order ? order[start + r]! : start + r;
    labels[r] = split.labels[s]!;
    const src = s * features;
    const dst = r * features;
    for (let k = 0; k < features; k++) x[dst + k] = SCALE[images[src + k]!]!;
  }
}
