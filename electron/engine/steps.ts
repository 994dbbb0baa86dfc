/**
 * Per-step training curves: each step's loss and pre-clip gradient norm, kept for the epoch and
 * downsampled to a bounded number of points when it ends (the rule is documented with EpochSteps
 * in shared/domain.ts).
 *
 * Backends whose memory is in-process know both values on the host at every step. Elsewhere
 * (tensorflow, webgpu) they stay on the device: the step's scalars are kept and read in one
 * download at the end of the epoch, so no step waits for the device.
 */
import * as tf from '@tensorflow/tfjs-core';
import { stepPointsPerEpoch, type EpochSteps, type StepPoint } from '../../shared/domain';
import { clipScale } from './optim';

/** One run's steps of the current epoch. */
export class StepRecorder {
  private loss: number[] = [];
  private norm: number[] = [];

  constructor(
    private readonly clipNorm: number | null,
    private readonly epochs: number,
  ) {}

  push(loss: number, norm: number): void {
    this.loss.push(loss);
    this.norm.push(norm);
  }

  /** Steps recorded in the current epoch. */
  get count(): number {
    return this.loss.length;
  }

  /** The epoch's curve, then a fresh start for the next epoch. */
  take(epoch: number): EpochSteps {
    const curve = downsample(epoch, this.loss, this.norm, this.clipNorm, stepPointsPerEpoch(this.epochs));
    this.loss = [];
    this.norm = [];
    return curve;
  }

  reset(): void {
    this.loss = [];
    this.norm = [];
  }
}

/** Contiguous buckets of ceil(steps / budget) steps: mean and max of loss and norm, clipping. */
export function downsample(epoch: number, loss: readonly number[], norm: readonly number[], clipNorm: number | null, budget: number): EpochSteps {
  const steps = Math.min(loss.length, norm.length);
  const size = Math.max(1, Math.ceil(steps / Math.max(1, budget)));
  const points: StepPoint[] = [];
  for (let start = 0; start < steps; start += size) {
    const end = Math.min(steps, start + size);
    let lossSum = 0;
    let lossMax = -Infinity;
    let normSum = 0;
    let normMax = 0;
    let clipped = 0;
    let scaleMin = 1;
    for (let i = start; i < end; i++) {
      const l = loss[i]!;
      const g = norm[i]!;
      lossSum += l;
      if (l > lossMax) lossMax = l;
      normSum += g;
      if (g > normMax) normMax = g;
      if (clipNorm !== null && g > clipNorm) clipped += 1;
      scaleMin = Math.min(scaleMin, clipScale(g, clipNorm));
    }
    const n = end - start;
    points.push({ step: end, n, loss: lossSum / n, lossMax, gradNorm: normSum / n, gradNormMax: normMax, clipped: clipped / n, clipScale: Math.max(0, scaleMin) });
  }
  return { epoch, steps, points };
}

/**
 * Device scalars (or [K] vectors, one entry per pack member) kept step by step and read in one
 * download. Concatenated pairwise: one concat of many inputs is one WebGPU shader with as many
 * storage buffers, past what a device allows (see sum.ts).
 */
export class DeviceSteps {
  private kept: tf.Tensor[] = [];

  /** Keeps `t` (inside a tidy is fine). */
  add(t: tf.Tensor): void {
    this.kept.push(tf.keep(tf.reshape(t, [-1])));
  }

  get size(): number {
    return this.kept.length;
  }

  /** Every kept value in order (step-major), then forgets them. */
  async read(): Promise<Float32Array> {
    const kept = this.kept;
    this.kept = [];
    if (!kept.length) return new Float32Array(0);
    const joined = tf.tidy(() => {
      let level: tf.Tensor[] = kept;
      while (level.length > 1) {
        const next: tf.Tensor[] = [];
        for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.concat([level[i]!, level[i + 1]!]) : level[i]!);
        level = next;
      }
      return level[0] === kept[0] ? tf.clone(level[0]!) : level[0]!;
    });
    kept.forEach((t) => t.dispose());
    try {
      return (await joined.data()) as Float32Array;
    } finally {
      joined.dispose();
    }
  }

  dispose(): void {
    this.kept.forEach((t) => t.dispose());
    this.kept = [];
  }
}
