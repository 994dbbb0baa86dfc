/**
 * Optimizers and gradient clipping with PyTorch's exact update rules (torch 1.13 `_single_tensor_*`):
 *
 *   clip_grad_norm_: norm = ‖all grads‖₂; if max_norm/(norm + 1e-6) < 1, every grad *= that.
 *   SGD:       g += wd·p;  [momentum: buf = μ·buf + g;  g = nesterov ? g + μ·buf : buf];  p −= lr·g
 *   Adam:      g += wd·p;  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;
 *              p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
 *   AdamW:     p *= 1 − lr·wd, then Adam's update without the L2 term.
 *
 * Two implementations of the same math:
 * - fused (backends with memory in this process: wasm, cpu): one pass over every parameter
 *   computes the norm and applies clip + update in place, on the tensors' own memory. On wasm,
 *   Adam/AdamW run as WebAssembly SIMD kernels (simd.ts), other optimizers and the cpu backend as
 *   JS loops. That replaces ~15 kernels per parameter (each ~20 µs of dispatch, √ and ÷ slow on
 *   big tensors), and the pre-clip norm is known on the host for free.
 * - ops (tfjs-node, GPU): ordinary tfjs ops; the norm statistics stay on the device until the epoch
 *   ends.
 * Both keep their state as plain Float32Arrays when exported, so checkpoints do not care which ran.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sumPairwise } from './sum';
import { effectiveWeightDecay, type TrainConfig } from '../../shared/domain';
import type { DirectMemory } from './backend';
import type { Network } from './model';
import { simdKernels, type SimdKernels } from './simd';

type OptimConfig = Pick<TrainConfig, 'optimizer' | 'lr' | 'momentum' | 'nesterov' | 'weightDecay' | 'beta1' | 'beta2' | 'eps' | 'clipNorm'>;

/** PyTorch's clip_grad_norm_ factor for a pre-clip norm: 1 when no clipping applies. */
export function clipScale(norm: number, maxNorm: number | null): number {
  if (maxNorm === null) return 1;
  const coef = maxNorm / (norm + 1e-6);
  return coef < 1 ? coef : 1;
}

/** The hyperparameters of one fused update; `wd` is the effective weight decay, `step` the 1-based step. */
export type FusedHyper = Pick<TrainConfig, 'optimizer' | 'lr' | 'momentum' | 'nesterov' | 'beta1' | 'beta2' | 'eps'> & { wd: number; step: number };

/**
 * Σ g² over one gradient (in float64, as a JS loop; in float32 lanes by the SIMD kernel for Adam's
 * family on wasm, as the solo optimizer has always done). `address` is g's byte address in wasm
 * memory, or null. Shared by the solo and the packed optimizer, so a packed trial's norm is the
 * same number as its solo run's.
 */
export function fusedSumSquares(config: Pick<TrainConfig, 'optimizer'>, g: Float32Array, simd: SimdKernels | null, address: number | null): number {
  const adam = config.optimizer === 'adam' || config.optimizer === 'adamw';
  let sq = 0;
  let j = 0;
  if (simd && adam && address !== null) {
    j = g.length & ~3;
    sq += simd.sumsq(address, j);
  }
  for (; j < g.length; j++) sq += g[j]! * g[j]!;
  return sq;
}

/** Views on one parameter and its state for fusedUpdate; `simd` holds the same arrays' wasm addresses. */
export interface FusedSlices {
  p: Float32Array;
  g: Float32Array;
  buf: Float32Array | null;
  m: Float32Array | null;
  v: Float32Array | null;
  simd: { kernels: SimdKernels; p: number; g: number; m: number; v: number } | null;
}

/** One clipped optimizer update of one parameter, in place (see the header for the rules). */
export function fusedUpdate(h: FusedHyper, scale: number, s: FusedSlices): void {
  const { lr, beta1: b1, beta2: b2, eps, momentum: mu, wd } = h;
  const { p, g: gi } = s;
  const n = p.length;
  switch (h.optimizer) {
    case 'sgd':
      for (let j = 0; j < n; j++) p[j] = p[j]! - lr * (gi[j]! * scale + wd * p[j]!);
      break;
    case 'momentum': {
      const buf = s.buf!;
      const nesterov = h.nesterov;
      for (let j = 0; j < n; j++) {
        const d = gi[j]! * scale + wd * p[j]!;
        buf[j] = mu * buf[j]! + d;
        p[j] = p[j]! - lr * (nesterov ? d + mu * buf[j]! : buf[j]!);
      }
      break;
    }
    case 'adam':
    case 'adamw': {
      const decoupled = h.optimizer === 'adamw';
      const decay = decoupled ? 1 - lr * wd : 1;
      const l2 = decoupled ? 0 : wd;
      const stepSize = lr / (1 - Math.pow(b1, h.step));
      const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, h.step));
      const c1 = 1 - b1;
      const c2 = 1 - b2;
      let j = 0;
      if (s.simd) {
        j = n & ~3;
        const a = s.simd;
        a.kernels.adam(a.p, a.p, a.g, a.m, a.v, j, scale, decay, l2, b1, b2, c1, c2, stepSize, bc2Sqrt, eps);
      }
      const m = s.m!;
      const v = s.v!;
      for (; j < n; j++) {
        const d = gi[j]! * scale + l2 * p[j]!;
        m[j] = b1 * m[j]! + c1 * d;
        v[j] = b2 * v[j]! + c2 * d * d;
        // Uses the float32-rounded moments, as PyTorch's float32 tensors hold them.
        p[j] = p[j]! * decay - (stepSize * m[j]!) / (Math.sqrt(v[j]!) / bc2Sqrt + eps);
      }
      break;
    }
  }
}

export interface OptimizerState {
  step: number;
  /** Slot name ('m', 'v', 'buf') → one array per parameter, aligned with Network.params. */
  slots: Record<string, Float32Array[]>;
}

function slotNames(config: OptimConfig): string[] {
  switch (config.optimizer) {
    case 'sgd':
      return [];
    case 'momentum':
      return ['buf'];
    case 'adam':
    case 'adamw':
      return ['m', 'v'];
  }
}

/** Device-side accumulators of the ops path (read once per epoch). */
interface DeviceNormAccumulators {
  sum: tf.Scalar;
  max: tf.Scalar;
  clipped: tf.Scalar;
}

export class Optimizer {
  private t = 0;
  private readonly slotTensors: Record<string, tf.Tensor[]> = {};
  private readonly wd: number;
  private acc: DeviceNormAccumulators | null = null;
  /** WebAssembly SIMD kernels on the wasm backend (simd.ts); null elsewhere. */
  private readonly simd: SimdKernels | null;

  constructor(
    private readonly config: OptimConfig,
    private readonly net: Network,
    /** Direct memory for the fused path; null selects the ops path. */
    private readonly mem: DirectMemory | null,
  ) {
    this.wd = effectiveWeightDecay(config);
    // Moments live on the backend in both paths; the fused one updates them in place.
    for (const name of slotNames(config)) this.slotTensors[name] = net.params.map((p) => tf.zeros(p.shape));
    this.simd = mem?.memory && mem.address ? simdKernels(mem.memory) : null;
  }

  get fused(): boolean {
    return this.mem !== null;
  }

  get stepCount(): number {
    return this.t;
  }

  /**
   * Clips and applies one step from `grads` (aligned with net.params). Must run inside the step's
   * tf.tidy. Fused path: returns the pre-clip norm. Ops path: returns null and accumulates the
   * norm statistics on the device (see takeDeviceNormStats).
   */
  apply(grads: tf.Tensor[]): number | null {
    this.t += 1;
    return this.mem ? this.applyFused(grads, this.mem) : this.applyOps(grads);
  }

  private applyFused(grads: tf.Tensor[], mem: DirectMemory): number {
    const params = this.net.params;
    const simd = this.simd;
    // Views are taken after every tfjs op of the step, and no tfjs allocation happens until the
    // last one is dropped: growing the wasm heap would detach them.
    const g = grads.map((t) => mem.f32(t));
    let sq = 0;
    for (let i = 0; i < g.length; i++) sq += fusedSumSquares(this.config, g[i]!, simd, mem.address?.(grads[i]!) ?? null);
    const norm = Math.sqrt(sq);
    if (!Number.isFinite(norm)) return norm; // diverged: the caller stops; leave the weights as they were
    const scale = clipScale(norm, this.config.clipNorm);
    const hyper = { ...this.config, wd: this.wd, step: this.t };
    for (let i = 0; i < params.length; i++) {
      const slot = (name: string) => this.slotTensors[name]?.[i];
      const [buf, m, v] = [slot('buf'), slot('m'), slot('v')];
      fusedUpdate(hyper, scale, {
        p: mem.f32(params[i]!.tensor),
        g: g[i]!,
        buf: buf ? mem.f32(buf) : null,
        m: m ? mem.f32(m) : null,
        v: v ? mem.f32(v) : null,
        simd: simd && m && v ? { kernels: simd, p: mem.address!(params[i]!.tensor), g: mem.address!(grads[i]!), m: mem.address!(m), v: mem.address!(v) } : null,
      });
    }
    for (const p of params) mem.changed(p.tensor);
    return norm;
  }

  private applyOps(grads: tf.Tensor[]): null {
    const params = this.net.params;
    const { lr, beta1: b1, beta2: b2, eps, momentum: mu, clipNorm } = this.config;
    const wd = this.wd;
    const norm = tf.sqrt(sumPairwise(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    this.accumulate(norm);
    let scale: tf.Scalar | null = null;
    if (clipNorm !== null) scale = tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-6))) as tf.Scalar;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!.tensor;
      let d: tf.Tensor = scale ? tf.mul(grads[i]!, scale) : grads[i]!;
      let next: tf.Tensor;
      switch (this.config.optimizer) {
        case 'sgd':
          if (wd) d = tf.add(d, tf.mul(p, wd));
          next = tf.sub(p, tf.mul(d, lr));
          break;
        case 'momentum': {
          if (wd) d = tf.add(d, tf.mul(p, wd));
          const buf = tf.add(tf.mul(this.slotTensors.buf![i]!, mu), d);
          this.replaceSlot('buf', i, buf);
          next = tf.sub(p, tf.mul(this.config.nesterov ? tf.add(d, tf.mul(buf, mu)) : buf, lr));
          break;
        }
        case 'adam':
        case 'adamw': {
          const decoupled = this.config.optimizer === 'adamw';
          if (!decoupled && wd) d = tf.add(d, tf.mul(p, wd));
          const m = tf.add(tf.mul(this.slotTensors.m![i]!, b1), tf.mul(d, 1 - b1));
          const v = tf.add(tf.mul(this.slotTensors.v![i]!, b2), tf.mul(tf.square(d), 1 - b2));
          this.replaceSlot('m', i, m);
          this.replaceSlot('v', i, v);
          const stepSize = lr / (1 - Math.pow(b1, this.t));
          const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, this.t));
          const base = decoupled && wd ? tf.mul(p, 1 - lr * wd) : p;
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

  /** Ops path: told each step's pre-clip norm while it is still on the device (per-step curves keep it). */
  onDeviceNorm: ((norm: tf.Tensor) => void) | null = null;

  private accumulate(norm: tf.Scalar): void {
    this.onDeviceNorm?.(norm);
    const clipped = this.config.clipNorm === null ? tf.scalar(0) : tf.cast(tf.greater(norm, this.config.clipNorm), 'float32');
    const prev = this.acc;
    this.acc = {
      sum: tf.keep(prev ? tf.add(prev.sum, norm) : tf.clone(norm)) as tf.Scalar,
      max: tf.keep(prev ? tf.maximum(prev.max, norm) : tf.clone(norm)) as tf.Scalar,
      clipped: tf.keep(prev ? tf.add(prev.clipped, clipped) : tf.clone(clipped)) as tf.Scalar,
    };
    if (prev) {
      prev.sum.dispose();
      prev.max.dispose();
      prev.clipped.dispose();
    }
  }

  /** Ops path: the epoch's norm sum, max and clipped-step count (one host read), then resets. */
  async takeDeviceNormStats(): Promise<{ sum: number; max: number; clipped: number } | null> {
    const acc = this.acc;
    if (!acc) return null;
    this.acc = null;
    // Asynchronous reads throughout the engine: WebGPU in Node has no synchronous download.
    const [sum, max, clipped] = [(await acc.sum.data())[0]!, (await acc.max.data())[0]!, (await acc.clipped.data())[0]!];
    acc.sum.dispose();
    acc.max.dispose();
    acc.clipped.dispose();
    return { sum, max, clipped };
  }

  async exportState(): Promise<OptimizerState> {
    const slots: Record<string, Float32Array[]> = {};
    for (const name of slotNames(this.config)) {
      slots[name] = await Promise.all(this.slotTensors[name]!.map(async (t) => ((await t.data()) as Float32Array).slice()));
    }
    return { step: this.t, slots };
  }

  importState(state: OptimizerState): void {
    this.t = state.step;
    for (const name of slotNames(this.config)) {
      const arrays = state.slots[name];
      if (!arrays || arrays.length !== this.net.params.length) throw new Error(`optimizer state lacks slot '${name}'`);
      arrays.forEach((a, i) => {
        if (a.length !== this.net.params[i]!.tensor.size) throw new Error(`optimizer slot '${name}' ${i} has the wrong size`);
      });
      this.slotTensors[name]!.forEach((t) => t.dispose());
      // A fresh copy: the fused path writes into these tensors' memory.
      this.slotTensors[name] = arrays.map((a, i) => tf.tensor(a.slice(), this.net.params[i]!.shape));
    }
  }

  dispose(): void {
    for (const list of Object.values(this.slotTensors)) list.forEach((t) => t.dispose());
    if (this.acc) {
      this.acc.sum.dispose();
      this.acc.max.dispose();
      this.acc.clipped.dispose();
      this.acc = null;
    }
  }
}
