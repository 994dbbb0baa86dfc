/** Shared fixtures for engine and trainer tests: a small generated image classification set. */
import type { TrainingData } from '../../electron/engine/data';
import { Rng } from '../../electron/engine/rng';

/**
 * `classes` classes of h×w grey images: each class is a fixed random prototype plus per-sample
 * noise, so a small MLP learns it well above chance within an epoch or two.
 */
export function blobs(options: { train: number; test: number; h?: number; w?: number; classes?: number; seed?: number; noise?: number }): TrainingData {
  const h = options.h ?? 8;
  const w = options.w ?? 8;
  const classes = options.classes ?? 4;
  const noise = options.noise ?? 90;
  const rng = Rng.seeded(options.seed ?? 7, 99);
  const f = h * w;
  const protos = Array.from({ length: classes }, () => Array.from({ length: f }, () => rng.below(256)));
  const make = (count: number) => {
    const images = new Uint8Array(count * f);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const c = rng.below(classes);
      labels[i] = c;
      for (let k = 0; k < f; k++) {
        const v = protos[c]![k]! + (rng.nextFloat() - 0.5) * 2 * noise;
        images[i * f + k] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    return { images, labels, count };
  };
  return { shape: [h, w, 1], numClasses: classes, train: make(options.train), test: make(options.test) };
}
