/**
 * Packing: which trials can share one trainer as a pack, and how many fit.
 *
 * Trials of a sweep that differ only in learning rate, clip norm, seed, weight decay or epoch
 * count can be trained as one batched computation (electron/engine/packedTrain.ts). On a GPU
 * that makes a grid cost little more than one trial; on wasm it costs instead (its batched matMul
 * is not XNNPACK's; measured by `npm run bench:pack`), so wasm sweeps pack only when the user asks
 * for it (`--pack N`).
 *
 * Pure TypeScript: the scheduler (main process) and the engine both use it.
 */
import type { BackendChoice, ModelSpec, TrainConfig } from './domain';
import { describeModel } from './models';

/** The most trials one trainer takes. */
export const MAX_PACK = 64;

/**
 * What trials must share to train in one pack: the model and every setting but lr, clip norm,
 * seed, weight decay and epochs, which stay per trial. One string, so callers can group by it.
 */
export function packKey(model: ModelSpec, config: TrainConfig): string {
  const { lr: _l, clipNorm: _c, seed: _s, weightDecay: _w, epochs: _e, ...shared } = config;
  return JSON.stringify({ model, shared });
}

/**
 * Backends where packing pays, so the scheduler packs without being asked: the GPU ones (one small
 * trial leaves the device idle between kernel launches) and tfjs's plain `cpu` backend, whose
 * per-op overhead a pack shares (1.28× the trials per hour, bench:pack --quick). Not wasm: its
 * batched matMul is not XNNPACK's, and a pack trains at about a quarter of the speed there.
 */
const PACKING_BACKENDS: readonly string[] = ['tensorflow-gpu', 'webgpu', 'cpu'];

export function packsByDefault(backend: BackendChoice, gpuDetected: boolean): boolean {
  return PACKING_BACKENDS.includes(backend) || (backend === 'auto' && gpuDetected);
}

/**
 * Bytes one trial of a pack holds on the device, roughly: per parameter the weight, its gradient,
 * two optimizer moments and a transposed copy; per activation (training batch and an evaluation
 * batch of 1024 rows) the layer output, what backward keeps and the gradient.
 */
export function packMemberBytes(model: ModelSpec, inputShape: readonly [number, number, number], numClasses: number, batchSize: number): number {
  const d = describeModel(model, inputShape, numClasses);
  const activations = d.inputFeatures + d.layers.reduce((sum, l) => sum + l.outputShape.reduce((a, b) => a * b, 1), 0);
  return 4 * (5 * d.totalParams + 3 * activations * batchSize + 2 * activations * 1024);
}

/**
 * The pack size for `pending` trials: at most `cap`, at most what `budgetBytes` holds, and
 * balanced (18 trials with a cap of 16 train as two packs of 9, not 16 + 2).
 */
export function packSize(options: { pending: number; cap: number; memberBytes: number; budgetBytes: number }): number {
  const byMemory = Math.max(1, Math.floor(options.budgetBytes / Math.max(1, options.memberBytes)));
  const limit = Math.max(1, Math.min(options.cap, byMemory, MAX_PACK));
  if (options.pending <= limit) return Math.max(1, options.pending);
  return Math.ceil(options.pending / Math.ceil(options.pending / limit));
}
