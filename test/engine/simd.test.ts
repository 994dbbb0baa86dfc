/** The wasm backend's SIMD optimizer kernels and in-place updates, against scalar references. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { directMemory, initBackend, type DirectMemory } from '../../electron/engine/backend';
import { Network } from '../../electron/engine/model';
import { Optimizer } from '../../electron/engine/optim';
import { Rng } from '../../electron/engine/rng';
import { simdKernels, type SimdKernels } from '../../electron/engine/simd';
import { ModelSpec, TrainConfig } from '../../shared/domain';

let mem: DirectMemory;
let k: SimdKernels;

beforeAll(async () => {
  await initBackend('wasm');
  mem = directMemory()!;
  k = simdKernels(mem.memory!)!;
});

const random = (n: number, seed: number) => {
  const r = Rng.seeded(seed, 0);
  return Float32Array.from({ length: n }, () => r.uniform(-1, 1));
};

describe('SIMD kernels', () => {
  it('are available on the wasm backend', () => {
    expect(k).not.toBeNull();
  });

  it('sumsq matches a float64 sum', () => {
    const x = random(4096, 1);
    const t = tf.tensor1d(x);
    const want = x.reduce((a, v) => a + v * v, 0);
    expect(k.sumsq(mem.address!(t), 4096) / want).toBeCloseTo(1, 5);
    expect(k.sumsq(mem.address!(t), 0)).toBe(0);
    t.dispose();
  });

  it('adam matches the scalar AdamW formula', () => {
    const n = 1024;
    const [p0, g, m0, v0] = [random(n, 2), random(n, 3), random(n, 4), random(n, 5).map(Math.abs)];
    const [p, gt, m, v] = [p0, g, m0, v0].map((a) => tf.tensor1d(a));
    const [scale, lr, wd, b1, b2, eps, t] = [0.7, 0.01, 0.01, 0.9, 0.999, 1e-8, 3];
    const stepSize = lr / (1 - b1 ** t);
    const bc2 = Math.sqrt(1 - b2 ** t);
    k.adam(mem.address!(p!), mem.address!(p!), mem.address!(gt!), mem.address!(m!), mem.address!(v!), n, scale, 1 - lr * wd, 0, b1, b2, 1 - b1, 1 - b2, stepSize, bc2, eps);
    const [pp, mm, vv] = [p!, m!, v!].map((x) => x.dataSync());
    for (let j = 0; j < n; j += 37) {
      const d = g[j]! * scale;
      const mj = b1 * m0[j]! + (1 - b1) * d;
      const vj = b2 * v0[j]! + (1 - b2) * d * d;
      const pj = p0[j]! * (1 - lr * wd) - (stepSize * mj) / (Math.sqrt(vj) / bc2 + eps);
      expect(mm![j]).toBeCloseTo(mj, 6);
      expect(vv![j]).toBeCloseTo(vj, 6);
      expect(pp![j]).toBeCloseTo(pj, 6);
    }
  });
});

describe('fused optimizer on wasm', () => {
  it('updates weights in place and the next matMul sees them (XNNPACK caches by tensor id)', () => {
    const spec = ModelSpec.parse({ layers: [{ type: 'flatten' }, { type: 'linear', units: 5, bias: false }] });
    const net = new Network(spec, [1, 6, 1], 5, Rng.seeded(0, 1));
    const x = tf.tensor2d(random(12, 9), [2, 6]);
    const opt = new Optimizer(TrainConfig.parse({ optimizer: 'adamw', lr: 0.1 }), net, mem);
    const before = tf.tidy(() => net.forward(x, { training: false }).dataSync().slice());
    const w0 = net.params[0]!.tensor;
    tf.tidy(() => void opt.apply([tf.onesLike(net.params[0]!.tensor)]));
    expect(net.params[0]!.tensor).toBe(w0); // same tensor, new values
    const after = tf.tidy(() => net.forward(x, { training: false }).dataSync().slice());
    const expected = tf.tidy(() => tf.matMul(x, tf.tensor(net.params[0]!.tensor.dataSync().slice(), [5, 6]), false, true).dataSync().slice());
    expect(Array.from(after)).not.toEqual(Array.from(before));
    Array.from(after).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('AdamW, 30 elements (SIMD body + scalar tail): hand-computed first step', () => {
    const spec = ModelSpec.parse({ layers: [{ type: 'flatten' }, { type: 'linear', units: 5, bias: true }] });
    const net = new Network(spec, [1, 6, 1], 5, Rng.seeded(0, 1));
    const w0 = net.params.map((p) => p.tensor.dataSync().slice());
    const opt = new Optimizer(TrainConfig.parse({ optimizer: 'adamw', lr: 0.1, clipNorm: null }), net, mem);
    tf.tidy(() => void opt.apply(net.params.map((p) => tf.fill(p.shape, -0.5))));
    // first AdamW step: p·(1 − lr·wd) − lr·sign(g)
    net.params.forEach((p, i) => {
      const now = p.tensor.dataSync();
      w0[i]!.forEach((v, j) => expect(now[j]).toBeCloseTo(v * (1 - 0.001) + 0.1, 5));
    });
  });
});
