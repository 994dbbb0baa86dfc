/**
 * A pack: K networks of one ModelSpec trained as one batched computation.
 *
 * Every parameter, BatchNorm buffer and optimizer slot is one tensor [K, …solo shape] (a Linear
 * weight is [K, out, in]); activations are [K, features, batch]. Each layer is one kernel for the
 * whole pack (batched matMuls, broadcast elementwise ops) instead of one per trial, which is what
 * pays on a GPU where a single small MLP leaves the device idle between tiny kernel launches.
 * Nothing is ever reduced across the K axis, so a trial that goes non-finite cannot touch the
 * others, and every per-trial quantity stays per trial: its dropout masks (drawn from its own Rng,
 * in the solo order), BatchNorm batch and running statistics, loss and gradients.
 *
 * The math is the solo Network's (model.ts), layer for layer, including its host paths on backends
 * whose tensor memory is in this process (BatchNorm and the loss in JS loops), so a packed trial
 * computes the same numbers as the same trial alone. The batched matMul may sum in another order
 * than the 2-D one (wasm's batched kernel is not XNNPACK's), which is the only source of float
 * differences; a pack of one uses 2-D matMuls and is bit-identical to the solo engine.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerSpec, ModelSpec } from '../../shared/domain';
import { describeModel } from '../../shared/models';
import { prefersExplicitTranspose, type DirectMemory } from './backend';
import { makeUploader, Network } from './model';
import type { Rng } from './rng';

export interface PackedTensor {
  /** The solo name (`<layer>.weight`, …) and the solo shape of one trial's slice. */
  name: string;
  shape: number[];
  /** [K, ...shape]. */
  tensor: tf.Tensor;
}

/** One trial's parameter and buffer values, in the solo Network's order. */
export interface MemberValues {
  params: Float32Array[];
  buffers: Float32Array[];
}

export type PackedForwardMode = { training: true; dropoutRngs: Rng[] } | { training: false };

interface PackedLayer {
  /** Training: `x` is [K, features, n]; `xRow` the same values as [K, n, features] when known. */
  forward(x: tf.Tensor, mode: PackedForwardMode, xRow: tf.Tensor | null): tf.Tensor;
  /** Eval runs row-major, [K, n, features] (or [1, n, features] for a shared input batch). */
  evalConstants?(): tf.Tensor[];
  evalRow?(x: tf.Tensor, constants: tf.Tensor[]): tf.Tensor;
  backward(dy: tf.Tensor, grads: tf.Tensor[], needInput: boolean): tf.Tensor | null;
}

/** The initial values a trial gets from its init Rng: exactly what a solo Network draws. */
export async function initialValues(spec: ModelSpec, inputShape: readonly [number, number, number], numClasses: number, initRng: Rng): Promise<MemberValues> {
  const net = new Network(spec, inputShape, numClasses, initRng, null);
  try {
    return {
      params: await Promise.all(net.params.map(async (p) => ((await p.tensor.data()) as Float32Array).slice())),
      buffers: await Promise.all(net.buffers.map(async (b) => ((await b.tensor.data()) as Float32Array).slice())),
    };
  } finally {
    net.dispose();
  }
}

export class PackedNetwork {
  readonly params: PackedTensor[] = [];
  readonly buffers: PackedTensor[] = [];
  readonly inputFeatures: number;
  readonly numClasses: number;
  readonly totalParams: number;
  private readonly layers: PackedLayer[] = [];
  private readonly needInputGrad: boolean[] = [];
  private readonly explicitT: boolean;
  /**
   * wasm: run K 2-D matMuls instead of one batched one. tfjs-wasm's BatchMatMul is its own loop,
   * not XNNPACK's 2-D kernel, and made a pack of 18 train at 0.11x the trials per hour of one
   * trial after another (bench:pack --quick; 0.37x split). The 2-D matMuls are the solo
   * engine's, so a wasm pack gives every trial the very bits it gets alone.
   */
  private readonly splitMatMul: boolean;
  private readonly upload = makeUploader();
  private evalCache: (tf.Tensor[] | null)[] | null = null;
  private k: number;

  constructor(
    readonly spec: ModelSpec,
    inputShape: readonly [number, number, number],
    numClasses: number,
    members: MemberValues[],
    /** In-process tensor memory (wasm, cpu) for the host paths; null: tfjs ops only. */
    private readonly mem: DirectMemory | null,
  ) {
    if (!members.length) throw new Error('a pack needs at least one trial');
    const description = describeModel(spec, inputShape, numClasses);
    this.inputFeatures = description.inputFeatures;
    this.numClasses = numClasses;
    this.totalParams = description.totalParams;
    this.explicitT = prefersExplicitTranspose();
    this.splitMatMul = tf.getBackend() === 'wasm' && mem !== null; // tests force the GPU path (mem null) on wasm
    this.k = members.length;
    let features = description.inputFeatures;
    let seenParams = false;
    // Same walk, same parameter order and names as Network, so checkpoints are interchangeable.
    spec.layers.forEach((layer, index) => {
      this.needInputGrad.push(seenParams);
      this.layers.push(this.makeLayer(layer, index, features, members));
      if (layer.type === 'linear') {
        features = layer.units;
        seenParams = true;
      }
      if (layer.type === 'batchnorm1d') seenParams = true;
    });
  }

  /** Trials in the pack now. */
  get size(): number {
    return this.k;
  }

  private stack(list: PackedTensor[], name: string, shape: number[], values: Float32Array[]): number {
    const size = shape.reduce((a, b) => a * b, 1);
    const all = new Float32Array(size * values.length);
    values.forEach((v, i) => {
      if (v.length !== size) throw new Error(`${name}: ${v.length} values, expected ${size}`);
      all.set(v, i * size);
    });
    list.push({ name, shape, tensor: tf.tensor(all, [values.length, ...shape], 'float32') });
    return list.length - 1;
  }

  setParam(i: number, t: tf.Tensor): void {
    const p = this.params[i]!;
    if (p.tensor !== t) p.tensor.dispose();
    p.tensor = t;
  }

  private setBuffer(i: number, t: tf.Tensor): void {
    const b = this.buffers[i]!;
    if (b.tensor !== t) b.tensor.dispose();
    b.tensor = t;
  }

  /** Keeps only the trials at `positions` (in that order): a finished or stopped trial leaves the pack. */
  keep(positions: number[]): void {
    this.endEval();
    const idx = tf.tensor1d(positions, 'int32');
    for (const list of [this.params, this.buffers]) {
      for (const entry of list) {
        const next = tf.gather(entry.tensor, idx, 0);
        entry.tensor.dispose();
        entry.tensor = next;
      }
    }
    idx.dispose();
    this.k = positions.length;
  }

  /** One trial's values (for its checkpoint), from one host read per tensor. */
  async memberValues(): Promise<MemberValues[]> {
    const read = (list: PackedTensor[]) =>
      Promise.all(
        list.map(async (e) => {
          const all = (await e.tensor.data()) as Float32Array;
          const size = all.length / this.k;
          return Array.from({ length: this.k }, (_, k) => all.slice(k * size, (k + 1) * size));
        }),
      );
    const params = await read(this.params);
    const buffers = await read(this.buffers);
    return Array.from({ length: this.k }, (_, k) => ({ params: params.map((p) => p[k]!), buffers: buffers.map((b) => b[k]!) }));
  }

  /**
   * Training: [K, n, classes] logits for the [K, n, features] batches (trial k's batch at k).
   * Eval: `x` is [K, n, features], or [1, n, features] when every trial sees the same samples.
   */
  forward(x: tf.Tensor, mode: PackedForwardMode): tf.Tensor {
    if (!mode.training) {
      const constants = this.evalCache ?? this.evalConstants();
      let out = x;
      this.layers.forEach((layer, i) => {
        out = layer.evalRow ? layer.evalRow(out, constants[i]!) : layer.forward(out, mode, null);
      });
      return out;
    }
    let h = tf.transpose(x, [0, 2, 1]);
    let row: tf.Tensor | null = x;
    this.spec.layers.forEach((spec, i) => {
      h = this.layers[i]!.forward(h, mode, row);
      if (spec.type !== 'flatten') row = null;
    });
    return tf.transpose(h, [0, 2, 1]);
  }

  /** Gradients ([K, ...] each, aligned with `params`) from dLoss/dLogits [K, n, classes]. */
  backward(dLogits: tf.Tensor): tf.Tensor[] {
    const grads: tf.Tensor[] = new Array(this.params.length);
    let dy: tf.Tensor | null = tf.transpose(dLogits, [0, 2, 1]);
    for (let i = this.layers.length - 1; i >= 0 && dy; i--) {
      dy = this.layers[i]!.backward(dy, grads, this.needInputGrad[i]!);
    }
    return grads;
  }

  private evalConstants(): (tf.Tensor[] | null)[] {
    return this.layers.map((layer) => (layer.evalConstants ? layer.evalConstants() : null));
  }

  beginEval(): void {
    this.endEval();
    this.evalCache = this.evalConstants().map((c) => (c ? c.map((t) => tf.keep(t)) : null));
  }

  endEval(): void {
    if (!this.evalCache) return;
    for (const c of this.evalCache) c?.forEach((t) => t.dispose());
    this.evalCache = null;
  }

  dispose(): void {
    this.endEval();
    for (const p of this.params) p.tensor.dispose();
    for (const b of this.buffers) b.tensor.dispose();
  }

  /**
   * a·b over the pack, with transposes as the solo engine does them (explicit where the backend
   * prefers it). A pack of one, or a shared [1, …] operand against one trial, runs the 2-D matMul
   * the solo engine runs, so it gives the very same bits.
   */
  private bmm(a: tf.Tensor, b: tf.Tensor, transA = false, transB = false): tf.Tensor {
    if (a.shape[0] === 1 && b.shape[0] === 1) {
      const a2 = tf.reshape(a, a.shape.slice(1));
      const b2 = tf.reshape(b, b.shape.slice(1));
      const out = this.explicitT
        ? tf.matMul(transA ? tf.transpose(a2) : a2, transB ? tf.transpose(b2) : b2)
        : tf.matMul(a2, b2, transA, transB);
      return tf.reshape(out, [1, ...out.shape]);
    }
    if (this.splitMatMul) {
      // One 2-D matMul per trial, as the solo engine runs it: XNNPACK's kernel, the solo's bits.
      const k = Math.max(a.shape[0]!, b.shape[0]!);
      const each = (t: tf.Tensor): tf.Tensor[] => {
        if (t.shape[0] !== 1) return tf.unstack(t);
        const shared = tf.reshape(t, t.shape.slice(1));
        return Array.from({ length: k }, () => shared);
      };
      const [as, bs] = [each(a), each(b)];
      const t = (x: tf.Tensor, transpose: boolean) => (transpose ? tf.transpose(x) : x) as tf.Tensor2D;
      return tf.stack(as.map((ai, i) => tf.matMul(t(ai, transA), t(bs[i]!, transB))));
    }
    if (this.explicitT) return tf.matMul(transA ? tf.transpose(a, [0, 2, 1]) : a, transB ? tf.transpose(b, [0, 2, 1]) : b);
    return tf.matMul(a, b, transA, transB);
  }

  private makeLayer(layer: LayerSpec, index: number, inF: number, members: MemberValues[]): PackedLayer {
    switch (layer.type) {
      case 'flatten':
        return { forward: (x) => x, backward: (dy) => dy };
      case 'linear':
        return this.linear(layer, index, inF, members);
      case 'batchnorm1d':
        return this.batchNorm(layer, index, inF, members);
      case 'dropout':
        return this.dropout(layer.p, inF);
      case 'relu': {
        let x: tf.Tensor | null = null;
        return {
          forward: (input, mode) => {
            if (mode.training) x = input;
            return tf.relu(input);
          },
          backward: (dy, _g, need) => (need ? tf.mul(dy, tf.step(x!)) : null),
        };
      }
      case 'leaky_relu': {
        let x: tf.Tensor | null = null;
        const slope = layer.negativeSlope;
        return {
          forward: (input, mode) => {
            if (mode.training) x = input;
            return tf.leakyRelu(input, slope);
          },
          backward: (dy, _g, need) => (need ? tf.mul(dy, tf.step(x!, slope)) : null),
        };
      }
      case 'tanh': {
        let y: tf.Tensor | null = null;
        return {
          forward: (input, mode) => {
            const out = tf.tanh(input);
            if (mode.training) y = out;
            return out;
          },
          backward: (dy, _g, need) => (need ? tf.mul(dy, tf.sub(1, tf.square(y!))) : null),
        };
      }
      case 'sigmoid': {
        let y: tf.Tensor | null = null;
        return {
          forward: (input, mode) => {
            const out = tf.sigmoid(input);
            if (mode.training) y = out;
            return out;
          },
          backward: (dy, _g, need) => (need ? tf.mul(dy, tf.mul(y!, tf.sub(1, y!))) : null),
        };
      }
      case 'gelu': {
        let x: tf.Tensor | null = null;
        let cdf: tf.Tensor | null = null;
        return {
          forward: (input, mode) => {
            const phi = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(input, Math.SQRT1_2)))) as tf.Tensor;
            if (mode.training) {
              x = input;
              cdf = phi;
            }
            return tf.mul(input, phi);
          },
          backward: (dy, _g, need) => {
            if (!need) return null;
            const pdf = tf.mul(tf.exp(tf.mul(tf.square(x!), -0.5)), 1 / Math.sqrt(2 * Math.PI));
            return tf.mul(dy, tf.add(cdf!, tf.mul(x!, pdf)));
          },
        };
      }
    }
  }

  private linear(layer: Extract<LayerSpec, { type: 'linear' }>, index: number, inF: number, members: MemberValues[]): PackedLayer {
    const outF = layer.units;
    const at = this.params.length;
    const w = this.stack(this.params, `${index}.weight`, [outF, inF], members.map((m) => m.params[at]!));
    const b = layer.bias ? this.stack(this.params, `${index}.bias`, [outF, 1], members.map((m) => m.params[at + 1]!)) : -1;
    let hRow: tf.Tensor | null = null;
    let hCol: tf.Tensor | null = null;
    return {
      forward: (h, mode, row) => {
        if (mode.training) {
          hCol = h;
          hRow = row;
        }
        const z = this.bmm(this.params[w]!.tensor, h);
        return b >= 0 ? tf.add(z, this.params[b]!.tensor) : z;
      },
      evalConstants: () => {
        const wt = tf.transpose(this.params[w]!.tensor, [0, 2, 1]);
        return b >= 0 ? [wt, tf.reshape(this.params[b]!.tensor, [this.k, 1, outF])] : [wt];
      },
      evalRow: (x, [wt, bias]) => {
        // A batch shared by the whole pack is [1, n, in]: broadcast it against every trial's weights.
        const z = x.shape[0] === 1 && this.k > 1 && !this.splitMatMul ? tf.matMul(x, wt!) : this.bmm(x, wt!);
        return bias ? tf.add(z, bias) : z;
      },
      backward: (dz, grads, need) => {
        grads[w] = hRow ? this.bmm(dz, hRow) : this.bmm(dz, hCol!, false, true);
        if (b >= 0) grads[b] = tf.sum(dz, 2, true);
        return need ? this.bmm(this.params[w]!.tensor, dz, true, false) : null;
      },
    };
  }

  /** BatchNorm1d as model.ts does it, with every statistic per trial (reduced over the batch axis only). */
  private batchNorm(layer: Extract<LayerSpec, { type: 'batchnorm1d' }>, index: number, features: number, members: MemberValues[]): PackedLayer {
    const { eps, momentum } = layer;
    const col = [features, 1];
    const at = this.params.length;
    const bat = this.buffers.length;
    const gamma = this.stack(this.params, `${index}.weight`, col, members.map((m) => m.params[at]!));
    const beta = this.stack(this.params, `${index}.bias`, col, members.map((m) => m.params[at + 1]!));
    const rm = this.stack(this.buffers, `${index}.running_mean`, col, members.map((m) => m.buffers[bat]!));
    const rv = this.stack(this.buffers, `${index}.running_var`, col, members.map((m) => m.buffers[bat + 1]!));
    let xhat: tf.Tensor | null = null;
    let invStd: tf.Tensor | null = null;
    let hostXhat = new Float32Array(0);
    let hostInvStd = new Float64Array(0);
    const mem = this.mem;
    return {
      forward: (x, mode) => {
        const g = this.params[gamma]!.tensor;
        const bt = this.params[beta]!.tensor;
        if (!mode.training) throw new Error('BatchNorm eval runs row-major (evalRow)');
        const K = x.shape[0]!;
        const n = x.shape[2]!;
        if (mem) {
          const size = K * features * n;
          if (hostXhat.length !== size) hostXhat = new Float32Array(size);
          if (hostInvStd.length !== K * features) hostInvStd = new Float64Array(K * features);
          const out = this.upload(`bn${index}`, size);
          const [xv, gv, bv, rmv, rvv] = [mem.f32(x), mem.f32(g), mem.f32(bt), mem.f32(this.buffers[rm]!.tensor), mem.f32(this.buffers[rv]!.tensor)];
          const unbias = n > 1 ? n / (n - 1) : 1;
          // Row (k, f) of the pack is row f of trial k: the solo loop, once per trial.
          for (let kf = 0; kf < K * features; kf++) {
            const o = kf * n;
            let sum = 0;
            for (let j = 0; j < n; j++) sum += xv[o + j]!;
            const mean = sum / n;
            let sq = 0;
            for (let j = 0; j < n; j++) {
              const c = xv[o + j]! - mean;
              sq += c * c;
            }
            const variance = sq / n;
            const inv = 1 / Math.sqrt(variance + eps);
            hostInvStd[kf] = inv;
            const gf = gv[kf]!;
            const bf = bv[kf]!;
            for (let j = 0; j < n; j++) {
              const h = (xv[o + j]! - mean) * inv;
              hostXhat[o + j] = h;
              out[o + j] = h * gf + bf;
            }
            rmv[kf] = (1 - momentum) * rmv[kf]! + momentum * mean;
            rvv[kf] = (1 - momentum) * rvv[kf]! + momentum * unbias * variance;
          }
          mem.changed(this.buffers[rm]!.tensor);
          mem.changed(this.buffers[rv]!.tensor);
          return tf.tensor(out, [K, features, n], 'float32');
        }
        const mean = tf.mean(x, 2, true);
        const xc = tf.sub(x, mean);
        const variance = tf.mean(tf.square(xc), 2, true);
        const unbias = n > 1 ? n / (n - 1) : 1;
        const rmT = this.buffers[rm]!.tensor;
        const rvT = this.buffers[rv]!.tensor;
        this.setBuffer(rm, tf.keep(tf.add(tf.mul(rmT, 1 - momentum), tf.mul(mean, momentum))));
        this.setBuffer(rv, tf.keep(tf.add(tf.mul(rvT, 1 - momentum), tf.mul(variance, momentum * unbias))));
        invStd = tf.rsqrt(tf.add(variance, eps));
        xhat = tf.mul(xc, invStd);
        return tf.add(tf.mul(xhat, g), bt);
      },
      evalConstants: () =>
        tf.tidy(() => {
          const scale = tf.mul(this.params[gamma]!.tensor, tf.rsqrt(tf.add(this.buffers[rv]!.tensor, eps)));
          const shift = tf.sub(this.params[beta]!.tensor, tf.mul(this.buffers[rm]!.tensor, scale));
          return [tf.reshape(scale, [this.k, 1, features]), tf.reshape(shift, [this.k, 1, features])];
        }),
      evalRow: (x, [scale, shift]) => tf.add(tf.mul(x, scale!), shift!),
      backward: (dy, grads, need) => {
        const K = dy.shape[0]!;
        const n = dy.shape[2]!;
        if (mem) {
          const dyv = mem.f32(dy);
          const gv = mem.f32(this.params[gamma]!.tensor);
          const dg = new Float32Array(K * features);
          const db = new Float32Array(K * features);
          const dx = need ? this.upload(`bn${index}dx`, K * features * n) : null;
          for (let kf = 0; kf < K * features; kf++) {
            const o = kf * n;
            let sb = 0;
            let sg = 0;
            for (let j = 0; j < n; j++) {
              sb += dyv[o + j]!;
              sg += dyv[o + j]! * hostXhat[o + j]!;
            }
            dg[kf] = sg;
            db[kf] = sb;
            if (dx) {
              const kk = gv[kf]! * hostInvStd[kf]!;
              const mb = sb / n;
              const mg = sg / n;
              for (let j = 0; j < n; j++) dx[o + j] = kk * (dyv[o + j]! - mb - hostXhat[o + j]! * mg);
            }
          }
          grads[gamma] = tf.tensor(dg, [K, features, 1], 'float32');
          grads[beta] = tf.tensor(db, [K, features, 1], 'float32');
          return dx ? tf.tensor(dx, [K, features, n], 'float32') : null;
        }
        const dgamma = tf.sum(tf.mul(dy, xhat!), 2, true);
        const dbeta = tf.sum(dy, 2, true);
        grads[gamma] = dgamma;
        grads[beta] = dbeta;
        if (!need) return null;
        const kk = tf.mul(this.params[gamma]!.tensor, invStd!);
        const centred = tf.sub(tf.sub(dy, tf.div(dbeta, n)), tf.mul(xhat!, tf.div(dgamma, n)));
        return tf.mul(centred, kk);
      },
    };
  }

  /** Inverted dropout; trial k's mask comes from its own Rng, drawn in the solo order. */
  private dropout(p: number, features: number): PackedLayer {
    let mask: tf.Tensor | null = null;
    const scale = 1 / (1 - p);
    const threshold = Math.round(p * 4294967296);
    return {
      forward: (x, mode) => {
        if (!mode.training || p === 0) {
          mask = null;
          return x;
        }
        const size = x.size;
        const per = size / x.shape[0]!;
        const values = this.upload(`dropout${features}`, size);
        mode.dropoutRngs.forEach((rng, k) => {
          const o = k * per;
          for (let i = 0; i < per; i++) values[o + i] = rng.nextU32() < threshold ? 0 : scale;
        });
        mask = tf.tensor(values, x.shape, 'float32');
        return tf.mul(x, mask);
      },
      backward: (dy, _g, need) => (need ? (mask ? tf.mul(dy, mask) : dy) : null),
    };
  }
}
