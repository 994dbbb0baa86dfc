/**
 * Weight initialisation as PyTorch's nn.init defines it, drawn from our seeded Rng.
 *
 * The distributions only depend on fan_in and fan_out, not on the layout the network keeps its
 * weights in ([out, in], as PyTorch). Bias is always nn.Linear's own default U(±1/sqrt(fan_in)).
 */
import type { Init } from '../../shared/domain';
import { NORMAL_INIT_DEFAULT_STD } from '../../shared/domain';
import type { Rng } from './rng';

/** The distribution an Init means for a layer: uniform bound or normal std. */
export function initDistribution(init: Init, fanIn: number, fanOut: number): { kind: 'uniform'; bound: number } | { kind: 'normal'; std: number } {
  switch (init.kind) {
    case 'kaiming_uniform': // gain sqrt(2) (ReLU, a=0) × sqrt(3 / fan_in)
      return { kind: 'uniform', bound: Math.sqrt(6 / fanIn) };
    case 'kaiming_normal':
      return { kind: 'normal', std: Math.sqrt(2 / fanIn) };
    case 'xavier_uniform':
      return { kind: 'uniform', bound: Math.sqrt(6 / (fanIn + fanOut)) };
    case 'xavier_normal':
      return { kind: 'normal', std: Math.sqrt(2 / (fanIn + fanOut)) };
    case 'normal': // nn.init.normal_'s default std is 1
      return { kind: 'normal', std: init.std ?? NORMAL_INIT_DEFAULT_STD };
    case 'torch_default': // kaiming_uniform_(a=sqrt(5)): gain sqrt(2/6) × sqrt(3/fan_in) = 1/sqrt(fan_in)
      return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
  }
}

export function initWeights(init: Init, fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const out = new Float32Array(fanIn * fanOut);
  const dist = initDistribution(init, fanIn, fanOut);
  if (dist.kind === 'uniform') {
    for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-dist.bound, dist.bound);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = rng.normal() * dist.std;
  }
  return out;
}

export function initBias(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(fanOut);
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
  return out;
}
