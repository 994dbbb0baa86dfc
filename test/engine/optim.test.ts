/** Optimizer steps, clipping and BatchNorm statistics against values computed by hand. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { directMemory, initBackend } from '../../electron/engine/backend';
import { Network } from '../../electron/engine/model';
import { clipScale, Optimizer } from '../../electron/engine/optim';
import { Rng } from '../../electron/engine/rng';
import { ModelSpec, TrainConfig, type TrainConfigInput } from '../../shared/domain';

beforeAll(async () => {
  await initBackend('cpu');
});

/** A stand-in for Network holding one parameter vector. */
function oneParam(values: number[]) {
  const params = [{ name: 'p', shape: [values.length], tensor: tf.tensor1d(values) as tf.Tensor }];
  return {
    params,
    setParam(i: number, t: tf.Tensor) {
      if (params[i]!.tensor !== t) params[i]!.tensor.dispose();
      params[i]!.tensor = t;
    },
  } as unknown as Network;
}

function run(config: TrainConfigInput, start: number[], gradients: number[][], fused: boolean): number[] {
  const net = oneParam(start);
  const opt = new Optimizer(TrainConfig.parse(config), net, fused ? directMemory() : null);
  for (const g of gradients) tf.tidy(() => void opt.apply([tf.tensor1d(g)]));
  return Array.from(net.params[0]!.tensor.dataSync());
}

for (const fused of [true, false]) {
  describe(`${fused ? 'fused' : 'tfjs-ops'} optimizer`, () => {
    it('AdamW: decoupled decay, bias-corrected moments (hand-computed)', () => {
      // t=1: p *= 1 - lr·wd; m = 0.1 g; v = 0.001 g²; step = lr / 0.1; denom = √v / √0.001 + ε = |g|
      // → p -= lr · sign(g): [1, -2] → [0.999 - 0.1, -1.998 - 0.1]
      const one = run({ optimizer: 'adamw', lr: 0.1, weightDecay: 0.01 }, [1, -2], [[0.5, 0.1]], fused);
      expect(one[0]).toBeCloseTo(0.899, 6);
      expect(one[1]).toBeCloseTo(-2.098, 6);
      // t=2 with g = [0.5, -0.3], by the formulas.
      const b1 = 0.9, b2 = 0.999, lr = 0.1, wd = 0.01;
      const expected = [0.5, 0.1].map((g1, j) => {
        const g2 = [0.5, -0.3][j]!;
        let p = [0.899, -2.098][j]!;
        const m = b1 * (0.1 * g1) + 0.1 * g2;
        const v = b2 * (0.001 * g1 * g1) + 0.001 * g2 * g2;
        p *= 1 - lr * wd;
        return p - (lr / (1 - b1 ** 2)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2 ** 2) + 1e-8));
      });
      const two = run({ optimizer: 'adamw', lr: 0.1, weightDecay: 0.01 }, [1, -2], [[0.5, 0.1], [0.5, -0.3]], fused);
      expect(two[0]).toBeCloseTo(expected[0]!, 5);
      expect(two[1]).toBeCloseTo(expected[1]!, 5);
    });

    it('AdamW defaults to weight decay 0.01; Adam adds L2 to the gradient', () => {
      const adamw = run({ optimizer: 'adamw', lr: 0.1 }, [1], [[0.5]], fused);
      expect(adamw[0]).toBeCloseTo(1 * (1 - 0.1 * 0.01) - 0.1, 6);
      // Adam, wd 0.5: g' = 0.5 + 0.5·1 = 1 → first step moves by lr·sign(g') = 0.1
      const adam = run({ optimizer: 'adam', lr: 0.1, weightDecay: 0.5 }, [1], [[0.5]], fused);
      expect(adam[0]).toBeCloseTo(0.9, 6);
    });

    it('SGD with momentum, heavy-ball and Nesterov (hand-computed)', () => {
      // buf1 = 0.5 → p = 0.95; buf2 = 0.9·0.5 + 0.5 = 0.95 → p = 0.855
      expect(run({ optimizer: 'momentum', lr: 0.1, momentum: 0.9 }, [1], [[0.5], [0.5]], fused)[0]).toBeCloseTo(0.855, 6);
      // Nesterov: step 1 g' = 0.5 + 0.9·0.5 = 0.95 → 0.905; step 2 buf 0.95, g' = 0.5 + 0.855 → 0.7695
      expect(run({ optimizer: 'momentum', lr: 0.1, momentum: 0.9, nesterov: true }, [1], [[0.5], [0.5]], fused)[0]).toBeCloseTo(0.7695, 6);
      expect(run({ optimizer: 'sgd', lr: 0.1 }, [1], [[0.5]], fused)[0]).toBeCloseTo(0.95, 6);
      expect(run({ optimizer: 'sgd', lr: 0.1, weightDecay: 0.1 }, [1], [[0.5]], fused)[0]).toBeCloseTo(1 - 0.1 * 0.6, 6);
    });

    it('clips by the global L2 norm as clip_grad_norm_', () => {
      // g = [3, 4], norm 5, max_norm 1 → g · 1/(5 + 1e-6); SGD lr 1 → p = -g·scale
      const p = run({ optimizer: 'sgd', lr: 1, clipNorm: 1 }, [0, 0], [[3, 4]], fused);
      const s = 1 / (5 + 1e-6);
      expect(p[0]).toBeCloseTo(-3 * s, 6);
      expect(p[1]).toBeCloseTo(-4 * s, 6);
      // under the max: untouched
      expect(run({ optimizer: 'sgd', lr: 1, clipNorm: 10 }, [0, 0], [[3, 4]], fused)).toEqual([-3, -4]);
    });
  });
}

describe('clipScale', () => {
  it('is max_norm / (norm + 1e-6) above the limit, 1 otherwise', () => {
    expect(clipScale(3, 1.5)).toBe(1.5 / (3 + 1e-6));
    expect(clipScale(1.4, 1.5)).toBe(1);
    expect(clipScale(100, null)).toBe(1);
  });
});

describe('BatchNorm1d', () => {
  it.each([['in place', true], ['tfjs ops', false]])('normalises by batch stats and updates running stats as PyTorch (momentum 0.1, unbiased var; %s)', (_name, inPlace) => {
    const spec = ModelSpec.parse({ layers: [{ type: 'flatten' }, { type: 'linear', units: 2, bias: false }, { type: 'batchnorm1d' }] });
    const net = new Network(spec, [1, 2, 1], 2, Rng.seeded(0, 1), inPlace ? directMemory() : null);
    net.setParam(0, tf.tensor2d([[1, 0], [0, 1]])); // identity: BN sees the input
    const x = tf.tensor2d([[1, 2], [3, 6], [5, 10]]);
    const y = tf.tidy(() => net.forward(x, { training: true, dropoutRng: Rng.seeded(0, 3) }).arraySync() as number[][]);
    // mean [3, 6]; biased var [8/3, 32/3] normalises; unbiased [4, 16] goes into running_var
    expect(y[0]![0]).toBeCloseTo(-2 / Math.sqrt(8 / 3 + 1e-5), 5);
    expect(y[2]![1]).toBeCloseTo(4 / Math.sqrt(32 / 3 + 1e-5), 5);
    expect(Array.from(net.buffers[0]!.tensor.dataSync())).toEqual([expect.closeTo(0.3, 6), expect.closeTo(0.6, 6)]);
    expect(Array.from(net.buffers[1]!.tensor.dataSync())).toEqual([expect.closeTo(0.9 + 0.4, 6), expect.closeTo(0.9 + 1.6, 6)]);
    // eval: running statistics
    const e = tf.tidy(() => net.forward(tf.tensor2d([[1, 2]]), { training: false }).arraySync() as number[][]);
    expect(e[0]![0]).toBeCloseTo((1 - 0.3) / Math.sqrt(1.3 + 1e-5), 5);
    expect(e[0]![1]).toBeCloseTo((2 - 0.6) / Math.sqrt(2.5 + 1e-5), 5);
  });
});
