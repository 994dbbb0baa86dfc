/**
 * ModelSpec → a network with a hand-written forward and backward pass on tfjs ops.
 *
 * Why not tf.layers / tf.grad: on the wasm backend their dense gradients use matMul with
 * transposeA/transposeB, which takes a path 5–10× slower than a plain matMul after an explicit
 * transpose, and the layers API adds allocations and host reads per batch (docs/engine.md, measured
 * facts). Writing the backward pass ourselves also lets BatchNorm and the loss use PyTorch's
 * exact semantics. Every layer is written once, with ordinary tfjs ops, so it runs on any backend.
 *
 * Layout: callers pass a flat [batch, h·w·c] tensor and get [batch, classes] logits, but inside
 * the network activations are feature-major, [features, batch], and weights are [out, in] as in
 * PyTorch. The reason is wasm speed: weights change every step, so XNNPACK re-packs the right-hand
 * operand of every matMul; feature-major makes that operand the small [·, batch] activation
 * instead of the weight matrix (measured: 3.1 vs 3.9 ms of matMul per `both` step), and
 * BatchNorm's and the bias gradient's reductions run along the inner axis, which tfjs-wasm does
 * without an internal transpose.
 *
 * Flatten is a no-op here, and elementwise layers do the same thing before or after it;
 * describeModel() refuses the specs where the difference would matter (Linear or BatchNorm1d before
 * Flatten).
 *
 * Tensors made by forward() and backward() belong to the caller's tf.tidy; parameters and
 * BatchNorm running statistics are kept outside any tidy and replaced via setParam / setBuffer.
 */
import { batchNormBackwardHost, batchNormForwardHost, type BatchNormHostState } from './batchnormHost';
import * as tf from '@tensorflow/tfjs-core';
import type { LayerSpec, ModelSpec } from '../../shared/domain';
import { describeModel } from '../../shared/models';
import { directMemory, prefersExplicitTranspose, type DirectMemory } from './backend';
import { initBias, initWeights } from './init';
import type { Rng } from './rng';

export interface NamedTensor {
  /** PyTorch state_dict-style name: `<layer index>.weight`, `.bias`, `.running_mean`, `.running_var`. */
  name: string;
  shape: number[];
  tensor: tf.Tensor;
}

export type ForwardMode = { training: true; dropoutRng: Rng } | { training: false };

/** Scratch Float32Arrays for host → device uploads; wasm copies on upload, so it can reuse them. */
export function makeUploader(): (key: string, size: number) => Float32Array {
  const reuse = tf.getBackend() === 'wasm';
  const cache = new Map<string, Float32Array>();
  return (key, size) => {
    if (!reuse) return new Float32Array(size);
    let buf = cache.get(key);
    if (!buf || buf.length !== size) {
      buf = new Float32Array(size);
      cache.set(key, buf);
    }
    return buf;
  };
}

interface Layer {
  /** `x` is feature-major [features, batch]; `xRow` the same values as [batch, features] when known. */
  forward(x: tf.Tensor, mode: ForwardMode, xRow: tf.Tensor | null): tf.Tensor;
  /**
   * Eval mode runs row-major ([batch, features]), where a weight's XNNPACK operator (packed
   * weights) is built once per evaluation pass and reused for every batch, instead of packing each
   * [features, batch] input: that halves evaluation time. Layers without these are elementwise
   * (forward() works in either layout) or the identity in eval (Dropout, Flatten).
   */
  evalConstants?(): tf.Tensor[];
  evalRow?(x: tf.Tensor, constants: tf.Tensor[]): tf.Tensor;
  /** Gradient w.r.t. the input (null when no earlier layer needs it); writes param grads into `grads`. */
  backward(dy: tf.Tensor, grads: tf.Tensor[], needInput: boolean): tf.Tensor | null;
}

export class Network {
  readonly params: NamedTensor[] = [];
  readonly buffers: NamedTensor[] = [];
  readonly inputFeatures: number;
  readonly numClasses: number;
  readonly totalParams: number;
  private readonly layers: Layer[] = [];
  /** For each layer: does any earlier layer have parameters (so we need the input gradient)? */
  private readonly needInputGrad: boolean[] = [];
  private readonly explicitT: boolean;
  private readonly upload = makeUploader();
  /** Per-layer eval constants (transposed weights, BatchNorm affine), kept between beginEval() and endEval(). */
  private evalCache: (tf.Tensor[] | null)[] | null = null;

  constructor(
    readonly spec: ModelSpec,
    inputShape: readonly [number, number, number],
    numClasses: number,
    initRng: Rng,
    /** In-process tensor memory (wasm, cpu) for the few updates done in place; null: tfjs ops only. */
    private readonly mem: DirectMemory | null = directMemory(),
  ) {
    const description = describeModel(spec, inputShape, numClasses);
    this.inputFeatures = description.inputFeatures;
    this.numClasses = numClasses;
    this.totalParams = description.totalParams;
    this.explicitT = prefersExplicitTranspose();
    let features = description.inputFeatures;
    let seenParams = false;
    spec.layers.forEach((layer, index) => {
      this.needInputGrad.push(seenParams);
      this.layers.push(this.makeLayer(layer, index, features, spec, initRng));
      if (layer.type === 'linear') {
        features = layer.units;
        seenParams = true;
      }
      if (layer.type === 'batchnorm1d') seenParams = true;
    });
  }

  private addParam(name: string, shape: number[], values: Float32Array): number {
    this.params.push({ name, shape, tensor: tf.tensor(values, shape, 'float32') });
    return this.params.length - 1;
  }

  private addBuffer(name: string, shape: number[], values: Float32Array): number {
    this.buffers.push({ name, shape, tensor: tf.tensor(values, shape, 'float32') });
    return this.buffers.length - 1;
  }

  setParam(i: number, t: tf.Tensor): void {
    const p = this.params[i]!;
    if (p.tensor !== t) p.tensor.dispose();
    p.tensor = t;
  }

  setBuffer(i: number, t: tf.Tensor): void {
    const b = this.buffers[i]!;
    if (b.tensor !== t) b.tensor.dispose();
    b.tensor = t;
  }

  /** [batch, classes] logits for a flat [batch, features] input. Training mode caches what backward() needs. */
  forward(x: tf.Tensor, mode: ForwardMode): tf.Tensor {
    if (!mode.training) {
      const constants = this.evalCache ?? this.evalConstants();
      let out = x;
      this.layers.forEach((layer, i) => {
        out = layer.evalRow ? layer.evalRow(out, constants[i]!) : layer.forward(out, mode, null);
      });
      return out;
    }
    let h = tf.transpose(x);
    // The row-major input stays valid through Flatten only; the first Linear uses it for dW.
    let row: tf.Tensor | null = x;
    this.spec.layers.forEach((spec, i) => {
      h = this.layers[i]!.forward(h, mode, row);
      if (spec.type !== 'flatten') row = null;
    });
    return tf.transpose(h);
  }

  /** Gradients of the loss w.r.t. every parameter (aligned with `params`), from dLoss/dLogits [batch, classes]. */
  backward(dLogits: tf.Tensor): tf.Tensor[] {
    const grads: tf.Tensor[] = new Array(this.params.length);
    let dy: tf.Tensor | null = tf.transpose(dLogits);
    for (let i = this.layers.length - 1; i >= 0 && dy; i--) {
      dy = this.layers[i]!.backward(dy, grads, this.needInputGrad[i]!);
    }
    return grads;
  }

  private evalConstants(): (tf.Tensor[] | null)[] {
    return this.layers.map((layer) => (layer.evalConstants ? layer.evalConstants() : null));
  }

  /** Precomputes the eval-mode constants once for a whole evaluation pass. */
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

  private matMulTA(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    // aᵀ·b: explicit transpose then plain matMul where that measures faster (wasm, cpu).
    return this.explicitT ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
  }

  private makeLayer(layer: LayerSpec, index: number, inF: number, spec: ModelSpec, rng: Rng): Layer {
    switch (layer.type) {
      case 'flatten':
        return { forward: (x) => x, backward: (dy) => dy };
      case 'linear':
        return this.linear(layer, index, inF, spec, rng);
      case 'batchnorm1d':
        return this.batchNorm(layer, index, inF);
      case 'dropout':
        return this.dropout(layer.p, inF);
      case 'relu': {
        let x: tf.Tensor | null = null;
        return {
          forward: (input, mode) => {
            if (mode.training) x = input;
            return tf.relu(input);
          },
          // PyTorch: the gradient at exactly 0 is 0; tf.step(x) is 1 for x > 0 else 0.
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
          // step(x, alpha) = x > 0 ? 1 : alpha, PyTorch's derivative (slope at 0).
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
        // PyTorch's default GELU is the exact one: x·Φ(x), Φ(x) = (1 + erf(x/√2)) / 2.
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

  private linear(layer: Extract<LayerSpec, { type: 'linear' }>, index: number, inF: number, spec: ModelSpec, rng: Rng): Layer {
    const outF = layer.units;
    // [out, in], PyTorch's layout (the init distributions depend on fan_in/fan_out only).
    const w = this.addParam(`${index}.weight`, [outF, inF], initWeights(layer.init ?? spec.init, inF, outF, rng));
    // Vectors are stored as [n, 1] columns: they broadcast over the batch with no reshape kernel.
    const b = layer.bias ? this.addParam(`${index}.bias`, [outF, 1], initBias(inF, outF, rng)) : -1;
    let hRow: tf.Tensor | null = null;
    let hCol: tf.Tensor | null = null;
    return {
      forward: (h, mode, row) => {
        if (mode.training) {
          hCol = h;
          hRow = row;
        }
        const z = tf.matMul(this.params[w]!.tensor, h);
        return b >= 0 ? tf.add(z, this.params[b]!.tensor) : z;
      },
      evalConstants: () => {
        const wt = tf.transpose(this.params[w]!.tensor);
        return b >= 0 ? [wt, tf.reshape(this.params[b]!.tensor, [1, outF])] : [wt];
      },
      evalRow: (x, [wt, bias]) => (bias ? tf.add(tf.matMul(x, wt!), bias) : tf.matMul(x, wt!)),
      backward: (dz, grads, need) => {
        // dW = dz·hᵀ with h as [batch, in]: the row-major input when we have it, else a transpose.
        grads[w] = hRow ? tf.matMul(dz, hRow) : this.explicitT ? tf.matMul(dz, tf.transpose(hCol!)) : tf.matMul(dz, hCol!, false, true);
        if (b >= 0) grads[b] = tf.sum(dz, 1, true);
        return need ? this.matMulTA(this.params[w]!.tensor, dz) : null;
      },
    };
  }

  /**
   * BatchNorm1d as PyTorch: batch statistics in training (biased variance to normalise, unbiased
   * into running_var), running = (1 − momentum)·running + momentum·batch, running stats in eval.
   */
  private batchNorm(layer: Extract<LayerSpec, { type: 'batchnorm1d' }>, index: number, features: number): Layer {
    const { eps, momentum } = layer;
    const col = [features, 1];
    const gamma = this.addParam(`${index}.weight`, col, new Float32Array(features).fill(1));
    const beta = this.addParam(`${index}.bias`, col, new Float32Array(features));
    const rm = this.addBuffer(`${index}.running_mean`, col, new Float32Array(features));
    const rv = this.addBuffer(`${index}.running_var`, col, new Float32Array(features).fill(1));
    let xhat: tf.Tensor | null = null;
    let invStd: tf.Tensor | null = null;
    // Host path (memory in-process): x̂ and 1/σ of the last training batch, for backward.
    const host: BatchNormHostState = { xhat: new Float32Array(0), invStd: new Float64Array(features) };
    const mem = this.mem;
    return {
      forward: (x, mode) => {
        const g = this.params[gamma]!.tensor;
        const bt = this.params[beta]!.tensor;
        if (!mode.training) throw new Error('BatchNorm eval runs row-major (evalRow)');
        const n = x.shape[1]!;
        if (mem) {
          // One JS pass per feature row (contiguous in this layout) instead of 9 kernels + 7 for
          // the running statistics (batchnormHost.ts).
          const size = features * n;
          if (host.xhat.length !== size) host.xhat = new Float32Array(size);
          const out = this.upload(`bn${index}`, size);
          const [xv, gv, bv, rmv, rvv] = [mem.f32(x), mem.f32(g), mem.f32(bt), mem.f32(this.buffers[rm]!.tensor), mem.f32(this.buffers[rv]!.tensor)];
          batchNormForwardHost(xv, gv, bv, rmv, rvv, features, n, eps, momentum, host, out);
          mem.changed(this.buffers[rm]!.tensor);
          mem.changed(this.buffers[rv]!.tensor);
          return tf.tensor(out, [features, n], 'float32');
        }
        // Statistics over the batch: the inner axis in this layout.
        const mean = tf.mean(x, 1, true);
        const xc = tf.sub(x, mean);
        const variance = tf.mean(tf.square(xc), 1, true);
        this.updateRunningStats(rm, rv, mean, variance, momentum, n > 1 ? n / (n - 1) : 1);
        invStd = tf.rsqrt(tf.add(variance, eps));
        xhat = tf.mul(xc, invStd);
        return tf.add(tf.mul(xhat, g), bt);
      },
      evalConstants: () =>
        tf.tidy(() => {
          const scale = tf.mul(this.params[gamma]!.tensor, tf.rsqrt(tf.add(this.buffers[rv]!.tensor, eps)));
          const shift = tf.sub(this.params[beta]!.tensor, tf.mul(this.buffers[rm]!.tensor, scale));
          return [tf.reshape(scale, [1, features]), tf.reshape(shift, [1, features])];
        }),
      evalRow: (x, [scale, shift]) => tf.add(tf.mul(x, scale!), shift!),
      backward: (dy, grads, need) => {
        const n = dy.shape[1]!;
        if (mem) {
          const dg = new Float32Array(features);
          const db = new Float32Array(features);
          const dx = need ? this.upload(`bn${index}dx`, features * n) : null;
          batchNormBackwardHost(mem.f32(dy), mem.f32(this.params[gamma]!.tensor), features, n, host, dg, db, dx);
          grads[gamma] = tf.tensor(dg, [features, 1], 'float32');
          grads[beta] = tf.tensor(db, [features, 1], 'float32');
          return dx ? tf.tensor(dx, [features, n], 'float32') : null;
        }
        const dgamma = tf.sum(tf.mul(dy, xhat!), 1, true);
        const dbeta = tf.sum(dy, 1, true);
        grads[gamma] = dgamma;
        grads[beta] = dbeta;
        if (!need) return null;
        // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)), with mean(dy) = dβ/n, mean(dy·x̂) = dγ/n.
        const k = tf.mul(this.params[gamma]!.tensor, invStd!);
        const centred = tf.sub(tf.sub(dy, tf.div(dbeta, n)), tf.mul(xhat!, tf.div(dgamma, n)));
        return tf.mul(centred, k);
      },
    };
  }

  /**
   * running = (1 − momentum)·running + momentum·batch (variance unbiased by n/(n−1)), as PyTorch.
   * Where tensor memory is in-process this is a JS loop over 2×features floats in place; it would
   * otherwise be 7 small kernels per BatchNorm layer and step.
   */
  private updateRunningStats(rm: number, rv: number, mean: tf.Tensor, variance: tf.Tensor, momentum: number, unbias: number): void {
    const mem = this.mem;
    const rmT = this.buffers[rm]!.tensor;
    const rvT = this.buffers[rv]!.tensor;
    if (mem) {
      const [a, b, m, v] = [mem.f32(rmT), mem.f32(rvT), mem.f32(mean), mem.f32(variance)];
      for (let j = 0; j < a.length; j++) {
        a[j] = (1 - momentum) * a[j]! + momentum * m[j]!;
        b[j] = (1 - momentum) * b[j]! + momentum * unbias * v[j]!;
      }
      mem.changed(rmT);
      mem.changed(rvT);
      return;
    }
    // Running statistics live outside the step's tidy: keep the new ones, drop the old.
    this.setBuffer(rm, tf.keep(tf.add(tf.mul(rmT, 1 - momentum), tf.mul(mean, momentum))));
    this.setBuffer(rv, tf.keep(tf.add(tf.mul(rvT, 1 - momentum), tf.mul(variance, momentum * unbias))));
  }

  /** Inverted dropout (PyTorch): keep with probability 1 − p, scale kept values by 1/(1 − p). */
  private dropout(p: number, features: number): Layer {
    let mask: tf.Tensor | null = null;
    const scale = 1 / (1 - p);
    // A uint32 below this threshold means "drop": P = threshold / 2^32 = p.
    const threshold = Math.round(p * 4294967296);
    return {
      forward: (x, mode) => {
        if (!mode.training || p === 0) {
          mask = null;
          return x;
        }
        const size = x.size;
        const values = this.upload(`dropout${features}`, size);
        const rng = mode.dropoutRng;
        for (let i = 0; i < size; i++) values[i] = rng.nextU32() < threshold ? 0 : scale;
        mask = tf.tensor(values, x.shape, 'float32');
        return tf.mul(x, mask);
      },
      backward: (dy, _g, need) => (need ? (mask ? tf.mul(dy, mask) : dy) : null),
    };
  }
}

/**
 * Mean cross-entropy of a batch (nn.CrossEntropyLoss), its gradient w.r.t. the logits, and the
 * number of correct argmax predictions. `oneHot` is [batch, classes] float, `labels` int32.
 */
export function crossEntropy(
  logits: tf.Tensor,
  oneHot: tf.Tensor,
  labels: tf.Tensor,
): { loss: tf.Scalar; dLogits: tf.Tensor; correct: tf.Scalar } {
  const n = logits.shape[0]!;
  const shifted = tf.sub(logits, tf.max(logits, 1, true));
  const e = tf.exp(shifted);
  const sumE = tf.sum(e, 1, true);
  const logp = tf.sub(shifted, tf.log(sumE));
  const loss = tf.div(tf.neg(tf.sum(tf.mul(oneHot, logp))), n) as tf.Scalar;
  const dLogits = tf.div(tf.sub(tf.div(e, sumE), oneHot), n) as tf.Tensor;
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar;
  return { loss, dLogits, correct };
}

/** Sum of per-sample cross-entropy and the correct count, for evaluation (no gradient). */
export function evalLossAndCorrect(logits: tf.Tensor, labels: tf.Tensor, numClasses: number): { lossSum: tf.Scalar; correct: tf.Scalar } {
  const shifted = tf.sub(logits, tf.max(logits, 1, true));
  const logp = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 1, true)));
  // (Cast: wasm's OneHot kernel writes int32 whatever dtype is asked for.)
  const oneHot = tf.cast(tf.oneHot(labels, numClasses), 'float32');
  const lossSum = tf.neg(tf.sum(tf.mul(oneHot, logp))) as tf.Scalar;
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar;
  return { lossSum, correct };
}
