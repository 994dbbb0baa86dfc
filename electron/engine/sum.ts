import * as tf from '@tensorflow/tfjs-core';

/**
 * The sum of same-shape tensors, added pairwise. Not tf.addN: on WebGPU one addN over n tensors is
 * one shader with n + 1 storage buffers, more than a device allows past 7 inputs at tfjs's default
 * limits, and Dawn then only warns while the result reads 0 (webgpu.ts). Pairwise adds bind three
 * buffers each, on every backend, in log2(n) rounds.
 */
export function sumPairwise(terms: tf.Tensor[]): tf.Tensor {
  if (terms.length === 0) throw new Error('sumPairwise of nothing');
  let level = terms;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}
