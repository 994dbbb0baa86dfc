/**
 * The optimizer of a pack: the solo Optimizer's update rules (optim.ts), with every quantity per
 * trial: learning rate, weight decay, clip norm, the global gradient norm and clip_grad_norm_'s
 * scale, the step count behind Adam's bias correction, and the moments.
 *
 * Fused path (wasm, cpu): for each trial, the very functions the solo optimizer runs
 * (fusedSumSquares, fusedUpdate) on that trial's slice of each [K, …] tensor, in place; a trial
 * whose norm is not finite is left untouched, as the solo optimizer leaves its weights. Ops path
 * (GPU, tfjs-node): tfjs ops over the whole pack with the per-trial hyperparameters as [K, 1, …]
 * tensors, the norm statistics accumulated per trial on the device until the epoch ends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sumPairwise } from './sum';
import { effectiveWeightDecay, type TrainConfig } from '../../shared/domain';
import type { DirectMemory } from './backend';
import { clipScale, fusedSumSquares, fusedUpdate, type OptimizerState } from './optim';
import type { PackedNetwork } from './packedModel';
import { simdKernels, type SimdKernels } from './simd';

type OptimConfig = Pick<TrainConfig, 'optimizer' | 'lr' | 'momentum' | 'nesterov' | 'weightDecay' | 'beta1' | 'beta2' | 'eps' | 'clipNorm'>;

function slotNames(optimizer: TrainConfig['optimizer']): string[] {
  return optimizer === 'sgd' ? [] : optimizer === 'momentum' ? ['buf'] : ['m', 'v'];
}

interface DeviceAccumulators {
  sum: tf.Tensor;
  max: tf.Tensor;
  clipped: tf.Tensor;
}

export class PackedOptimizer {
  private configs: OptimConfig[];
  private steps: number[];
  private readonly slotTensors: Record<string, tf.Tensor[]> = {};
  private readonly names: string[];
  private acc: DeviceAccumulators | null = null;
  private readonly simd: SimdKernels | null;

  constructor(
    configs: OptimConfig[],
    private readonly net: PackedNetwork,
    private readonly mem: DirectMemory | null,
    /** Each trial's saved state (resumed) or null (fresh). */
    states: (OptimizerState | null)[],
  ) {
    const kind = configs[0]!.optimizer;
    for (const c of configs) {
      if (c.optimizer !== kind || c.beta1 !== configs[0]!.beta1 || c.beta2 !== configs[0]!.beta2 || c.eps !== configs[0]!.eps) {
        throw new Error('the trials of a pack must share the optimizer and its betas and eps');
      }
    }
    this.configs = configs.slice();
    this.steps = states.map((s) => s?.step ?? 0);
    this.names = slotNames(kind);
    for (const name of this.names) {
      this.slotTensors[name] = net.params.map((p, i) => {
        const size = p.shape.reduce((a, b) => a * b, 1);
        const all = new Float32Array(size * configs.length);
        states.forEach((s, k) => {
          const saved = s?.slots[name]?.[i];
          if (s && (!saved || saved.length !== size)) throw new Error(`optimizer slot '${name}' ${i} is missing or has the wrong size`);
          if (saved) all.set(saved, k * size);
        });
        return tf.tensor(all, [configs.length, ...p.shape]);
      });
    }
    this.simd = mem?.memory && mem.address ? simdKernels(mem.memory) : null;
  }

  /**
   * Clips and applies one step for every trial. Must run inside the step's tf.tidy. Fused path:
   * each trial's pre-clip norm. Ops path: null (the norms accumulate on the device).
   */
  apply(grads: tf.Tensor[]): number[] | null {
    this.steps = this.steps.map((t) => t + 1);
    return this.mem ? this.applyFused(grads, this.mem) : this.applyOps(grads);
  }

  private applyFused(grads: tf.Tensor[], mem: DirectMemory): number[] {
    const params = this.net.params;
    const K = this.configs.length;
    const simd = this.simd;
    const sizes = params.map((p) => p.tensor.size / K);
    const addr = (t: tf.Tensor, k: number, size: number) => (mem.address ? mem.address(t) + k * size * 4 : null);
    const g = grads.map((t) => mem.f32(t));
    const norms: number[] = [];
    for (let k = 0; k < K; k++) {
      const config = this.configs[k]!;
      let sq = 0;
      for (let i = 0; i < g.length; i++) {
        const size = sizes[i]!;
        sq += fusedSumSquares(config, g[i]!.subarray(k * size, (k + 1) * size), simd, addr(grads[i]!, k, size));
      }
      const norm = Math.sqrt(sq);
      norms.push(norm);
      if (!Number.isFinite(norm)) continue; // this trial diverged: its weights stay as they were
      const scale = clipScale(norm, config.clipNorm);
      const hyper = { ...config, wd: effectiveWeightDecay(config), step: this.steps[k]! };
      for (let i = 0; i < params.length; i++) {
        const size = sizes[i]!;
        const slice = (a: Float32Array) => a.subarray(k * size, (k + 1) * size);
        const pT = params[i]!.tensor;
        const [buf, m, v] = ['buf', 'm', 'v'].map((name) => this.slotTensors[name]?.[i] ?? null);
        fusedUpdate(hyper, scale, {
          p: slice(mem.f32(pT)),
          g: slice(g[i]!),
          buf: buf ? slice(mem.f32(buf)) : null,
          m: m ? slice(mem.f32(m)) : null,
          v: v ? slice(mem.f32(v)) : null,
          simd: simd && m && v ? { kernels: simd, p: addr(pT, k, size)!, g: addr(grads[i]!, k, size)!, m: addr(m, k, size)!, v: addr(v, k, size)! } : null,
        });
      }
    }
    for (const p of params) mem.changed(p.tensor);
    return norms;
  }

  /** A per-trial value as a [K, 1, …] tensor that broadcasts against a [K, …] tensor of `rank`. */
  private perTrial(values: number[], rank: number): tf.Tensor {
    return tf.tensor(Float32Array.from(values), [values.length, ...new Array<number>(rank - 1).fill(1)], 'float32');
  }

  private applyOps(grads: tf.Tensor[]): null {
    const params = this.net.params;
    const configs = this.configs;
    const K = configs.length;
    const { optimizer, beta1: b1, beta2: b2, eps } = configs[0]!;
    const sumsq = (g: tf.Tensor) => tf.sum(tf.square(g), g.shape.slice(1).map((_, i) => i + 1));
    const norm = tf.sqrt(sumPairwise(grads.map(sumsq))); // [K]
    const clips = configs.map((c) => c.clipNorm);
    const hasClip = clips.some((c) => c !== null);
    const clipVec = tf.tensor1d(clips.map((c) => c ?? 0));
    const clipOn = tf.tensor1d(clips.map((c) => (c === null ? 0 : 1)));
    this.accumulate(norm, clipVec, clipOn);
    // scale = min(1, max_norm / (norm + 1e-6)) where the trial clips, else 1.
    const scaleK = hasClip ? tf.where(tf.cast(clipOn, 'bool'), tf.minimum(1, tf.div(clipVec, tf.add(norm, 1e-6))), tf.onesLike(norm)) : null;
    const wds = configs.map((c) => effectiveWeightDecay(c));
    const lrs = configs.map((c) => c.lr);
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!.tensor;
      const rank = p.rank;
      const vec = (values: number[]) => this.perTrial(values, rank);
      let d: tf.Tensor = scaleK ? tf.mul(grads[i]!, tf.reshape(scaleK, [K, ...new Array<number>(rank - 1).fill(1)])) : grads[i]!;
      const anyWd = wds.some((w) => w !== 0);
      let next: tf.Tensor;
      switch (optimizer) {
        case 'sgd':
          if (anyWd) d = tf.add(d, tf.mul(p, vec(wds)));
          next = tf.sub(p, tf.mul(d, vec(lrs)));
          break;
        case 'momentum': {
          if (anyWd) d = tf.add(d, tf.mul(p, vec(wds)));
          const mus = vec(configs.map((c) => c.momentum));
          const buf = tf.add(tf.mul(this.slotTensors.buf![i]!, mus), d);
          this.replaceSlot('buf', i, buf);
          const nest = configs.map((c) => c.nesterov);
          const step = nest.every((x) => x) ? tf.add(d, tf.mul(buf, mus)) : nest.some((x) => x) ? tf.where(tf.cast(vec(nest.map(Number)), 'bool'), tf.add(d, tf.mul(buf, mus)), buf) : buf;
          next = tf.sub(p, tf.mul(step, vec(lrs)));
          break;
        }
        case 'adam':
        case 'adamw': {
          const decoupled = optimizer === 'adamw';
          if (!decoupled && anyWd) d = tf.add(d, tf.mul(p, vec(wds)));
          const m = tf.add(tf.mul(this.slotTensors.m![i]!, b1), tf.mul(d, 1 - b1));
          const v = tf.add(tf.mul(this.slotTensors.v![i]!, b2), tf.mul(tf.square(d), 1 - b2));
          this.replaceSlot('m', i, m);
          this.replaceSlot('v', i, v);
          const stepSize = vec(this.steps.map((t, k) => lrs[k]! / (1 - Math.pow(b1, t))));
          const bc2Sqrt = vec(this.steps.map((t) => Math.sqrt(1 - Math.pow(b2, t))));
          const base = decoupled && anyWd ? tf.mul(p, vec(lrs.map((lr, k) => 1 - lr * wds[k]!))) : p;
          next = tf.sub(base, tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps)), stepSize));
          break;
        }
      }
      this.net.setParam(i, tf.keep(next));
    }
    return null;
  }

  private replaceSlot(name: string, i: number, t: tf.Tensor): void {
    const list = this.slotTensors[name]!;
    list[i]!.dispose();
    list[i] = tf.keep(t);
  }

  /** Ops path: told each step's pre-clip norms ([K]) while still on the device (per-step curves keep them). */
  onDeviceNorm: ((norms: tf.Tensor) => void) | null = null;

  private accumulate(norm: tf.Tensor, clipVec: tf.Tensor, clipOn: tf.Tensor): void {
    this.onDeviceNorm?.(norm);
    const clipped = tf.mul(tf.cast(tf.greater(norm, clipVec), 'float32'), clipOn);
    const prev = this.acc;
    this.acc = {
      sum: tf.keep(prev ? tf.add(prev.sum, norm) : tf.clone(norm)),
      max: tf.keep(prev ? tf.maximum(prev.max, norm) : tf.clone(norm)),
      clipped: tf.keep(prev ? tf.add(prev.clipped, clipped) : tf.clone(clipped)),
    };
    if (prev) Object.values(prev).forEach((t) => t.dispose());
  }

  /** Ops path: each trial's norm sum, max and clipped-step count for the epoch (one read), then resets. */
  async takeDeviceNormStats(): Promise<{ sum: number; max: number; clipped: number }[] | null> {
    const acc = this.acc;
    if (!acc) return null;
    this.acc = null;
    const [sum, max, clipped] = [await acc.sum.data(), await acc.max.data(), await acc.clipped.data()];
    Object.values(acc).forEach((t) => t.dispose());
    return Array.from(sum, (s, k) => ({ sum: s, max: max[k]!, clipped: clipped[k]! }));
  }

  /** Keeps only the trials at `positions` (see PackedNetwork.keep, called with the same list). */
  keep(positions: number[]): void {
    const idx = tf.tensor1d(positions, 'int32');
    const gather = (t: tf.Tensor) => {
      const next = tf.gather(t, idx, 0);
      t.dispose();
      return next;
    };
    for (const name of this.names) this.slotTensors[name] = this.slotTensors[name]!.map(gather);
    if (this.acc) this.acc = { sum: gather(this.acc.sum), max: gather(this.acc.max), clipped: gather(this.acc.clipped) };
    idx.dispose();
    this.configs = positions.map((k) => this.configs[k]!);
    this.steps = positions.map((k) => this.steps[k]!);
  }

  /** Each trial's state in the solo Optimizer's export format, so its checkpoint resumes alone too. */
  async exportStates(): Promise<OptimizerState[]> {
    const K = this.configs.length;
    const slots = await Promise.all(
      this.names.map((name) =>
        Promise.all(
          this.slotTensors[name]!.map(async (t) => {
            const all = (await t.data()) as Float32Array;
            const size = all.length / K;
            return Array.from({ length: K }, (_, k) => all.slice(k * size, (k + 1) * size));
          }),
        ),
      ),
    );
    return Array.from({ length: K }, (_, k) => ({
      step: this.steps[k]!,
      slots: Object.fromEntries(this.names.map((name, s) => [name, slots[s]!.map((perParam) => perParam[k]!)])),
    }));
  }

  dispose(): void {
    for (const list of Object.values(this.slotTensors)) list.forEach((t) => t.dispose());
    if (this.acc) Object.values(this.acc).forEach((t) => t.dispose());
    this.acc = null;
  }
}
