/**
 * Every layer's backward pass against central finite differences of the forward pass (float32
 * tfjs on the cpu backend, small shapes). Each check perturbs parameters of the first Linear layer,
 * so the gradient flows through every later layer's input-gradient as well as its own parameters.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { directMemory, initBackend } from '../../electron/engine/backend';
import { crossEntropy, Network } from '../../electron/engine/model';
import { Rng } from '../../electron/engine/rng';
import { crossEntropyHost } from '../../electron/engine/train';
import { ModelSpec, type LayerSpec } from '../../shared/domain';

beforeAll(async () => {
  await initBackend('cpu');
});

const N = 6;
const SHAPE: [number, number, number] = [2, 2, 1];
const C = 3;

function setup(middle: LayerSpec[], before: LayerSpec[] = [], opsOnly = false) {
  const spec = ModelSpec.parse({ init: { kind: 'xavier_uniform' }, layers: [...before, { type: 'flatten' }, { type: 'linear', units: 5 }, ...middle, { type: 'linear', units: C }] });
  const net = new Network(spec, SHAPE, C, Rng.seeded(3, 1), opsOnly ? null : directMemory());
  const data = Rng.seeded(4, 0);
  const x = tf.tensor2d(Array.from({ length: N * 4 }, () => data.uniform(-1.5, 1.5)), [N, 4]);
  const labelArr = Int32Array.from({ length: N }, (_, i) => i % C);
  const labels = tf.tensor1d(labelArr, 'int32');
  const oneHot = tf.cast(tf.oneHot(labels, C), 'float32') as tf.Tensor2D;
  const dropState = Rng.seeded(5, 3).state();
  const loss = (): number =>
    tf.tidy(() => {
      const logits = net.forward(x, { training: true, dropoutRng: new Rng(dropState) });
      return crossEntropy(logits, oneHot, labels).loss.dataSync()[0]!;
    });
  const analytic = (): Float32Array[] =>
    tf.tidy(() => {
      const logits = net.forward(x, { training: true, dropoutRng: new Rng(dropState) });
      const grads = net.backward(crossEntropy(logits, oneHot, labels).dLogits);
      return grads.map((g) => g.dataSync() as Float32Array).map((a) => a.slice());
    });
  return { net, loss, analytic };
}

function checkAll(middle: LayerSpec[], before: LayerSpec[] = [], opsOnly = false) {
  const { net, loss, analytic } = setup(middle, before, opsOnly);
  const grads = analytic();
  let checked = 0;
  net.params.forEach((p, i) => {
    const values = p.tensor.dataSync().slice() as Float32Array;
    for (let k = 0; k < values.length; k += Math.max(1, Math.floor(values.length / 7))) {
      const eps = 2e-3; // small enough not to cross a ReLU kink, large enough for float32
      const at = (delta: number) => {
        const v = values.slice();
        v[k] = v[k]! + delta;
        net.setParam(i, tf.tensor(v, p.shape));
        return loss();
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      net.setParam(i, tf.tensor(values, p.shape));
      const a = grads[i]![k]!;
      expect(Math.abs(numeric - a), `${p.name}[${k}]: numeric ${numeric} vs analytic ${a}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
      checked++;
    }
  });
  expect(checked).toBeGreaterThan(10);
}

describe('backward vs finite differences', () => {
  it('Linear (+ cross-entropy)', () => checkAll([]));
  it('Linear without bias', () => checkAll([{ type: 'tanh' }, { type: 'linear', units: 4, bias: false }]));
  it('ReLU', () => checkAll([{ type: 'relu' }]));
  it('LeakyReLU', () => checkAll([{ type: 'leaky_relu', negativeSlope: 0.1 }]));
  it('Tanh', () => checkAll([{ type: 'tanh' }]));
  it('Sigmoid', () => checkAll([{ type: 'sigmoid' }]));
  it('GELU', () => checkAll([{ type: 'gelu' }]));
  it('BatchNorm1d (batch statistics; in-process JS path)', () => checkAll([{ type: 'batchnorm1d', eps: 1e-5, momentum: 0.1 }, { type: 'tanh' }]));
  it('BatchNorm1d (batch statistics; tfjs-ops path)', () => checkAll([{ type: 'batchnorm1d', eps: 1e-5, momentum: 0.1 }, { type: 'tanh' }], [], true));
  it('Dropout (fixed mask)', () => checkAll([{ type: 'tanh' }, { type: 'dropout', p: 0.4 }]));
  it('elementwise layers before Flatten (the first Linear then transposes its input itself)', () =>
    checkAll([{ type: 'relu' }], [{ type: 'dropout', p: 0.25 }, { type: 'sigmoid' }]));
  it('a notebook-like stack', () =>
    checkAll([{ type: 'batchnorm1d', eps: 1e-5, momentum: 0.1 }, { type: 'relu' }, { type: 'dropout', p: 0.5 }, { type: 'linear', units: 4, bias: true }, { type: 'batchnorm1d', eps: 1e-5, momentum: 0.1 }, { type: 'gelu' }]));
});

describe('cross-entropy', () => {
  it('the host version (wasm/cpu training) matches the tfjs one', () => {
    const r = Rng.seeded(8, 0);
    const [n, c] = [7, 5];
    const values = Float32Array.from({ length: n * c }, () => r.uniform(-4, 4));
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 3) % c);
    const d = new Float32Array(n * c);
    const loss = crossEntropyHost(values, labels, n, c, d);
    const lt = tf.tensor1d(labels, 'int32');
    const ref = crossEntropy(tf.tensor2d(values, [n, c]), tf.cast(tf.oneHot(lt, c), 'float32') as tf.Tensor2D, lt);
    expect(loss).toBeCloseTo(ref.loss.dataSync()[0]!, 5);
    const dRef = ref.dLogits.dataSync();
    d.forEach((v, i) => expect(v).toBeCloseTo(dRef[i]!, 6));
  });

  it('is the mean negative log-likelihood, as nn.CrossEntropyLoss', () => {
    const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const labels = tf.tensor1d([2, 0], 'int32');
    const r = crossEntropy(logits, tf.cast(tf.oneHot(labels, 3), 'float32') as tf.Tensor2D, labels);
    const l0 = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
    const l1 = Math.log(3);
    expect(r.loss.dataSync()[0]).toBeCloseTo((l0 + l1) / 2, 5);
    expect(r.correct.dataSync()[0]).toBe(2); // argmax of a tie is the first index, as torch.argmax
  });
});
