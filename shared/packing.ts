/**
 * Packing: which trials can share one trainer as a pack, and how many fit.
 *
 * Trials of a sweep that differ only in learning rate, clip norm, seed, weight decay or epoch
 * count can be trained as one batched computation (electron/engine/packedTrain.ts). On a GPU
 * that makes a grid cost little more than one trial; on wasm it costs instead (0.37x the trials
 * per hour, measured by `npm run bench:pack`), so wasm sweeps pack only when the user asks for it
 * (`--pack N`).
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
 * per-op overhead a pack shares (1.62× the trials per hour, bench:pack --quick: 18 trials). Not
 * wasm: a pack of 18 trains at 0.37× the trials per hour there.
 */
const PACKING_BACKENDS: readonly string[] = ['tensorflow-gpu', 'webgpu', 'cpu'];

export function packsByDefault(backend: BackendChoice, gpuDetected: boolean, webgpuSoftware = false): boolean {
  // A software WebGPU adapter (llvmpipe…) is a CPU running shaders: a pack of 18 trained at 0.44x there (bench:pack --quick).
  if (backend === 'webgpu' && webgpuSoftware) return false;
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

/** GPU memory the packs of one sweep may use in all, when the device does not say (see packBudgetBytes). */
export const GPU_PACK_BUDGET = 2 ** 30;
/** The most a wasm trainer's pack may take: half of wasm32's 4 GiB heap (tfjs-backend-wasm's maximum), the rest for the data and scratch. */
export const WASM_PACK_BUDGET = 2 ** 31;

/**
 * The memory one trainer's pack may use, so the pack size follows the machine.
 * - On a GPU (tensorflow-gpu, webgpu, auto with a GPU found): neither WebGPU nor tfjs-node reports
 *   free device memory, so a fixed 1 GiB (the smallest discrete GPUs have 2 GiB; the display and
 *   the runtime take some), shared by the trainers that run at once.
 * - On the CPU backends the pack lives in host memory: half of what is free now, shared by the
 *   trainers that run at once; a wasm trainer at most WASM_PACK_BUDGET (its heap is wasm32).
 */
export function packBudgetBytes(backend: BackendChoice, gpuDetected: boolean, host: { freeBytes: number; trainers: number }): number {
  const trainers = Math.max(1, host.trainers);
  const onGpu = backend === 'tensorflow-gpu' || backend === 'webgpu' || (backend === 'auto' && gpuDetected);
  if (onGpu) return Math.floor(GPU_PACK_BUDGET / trainers);
  const share = Math.floor(host.freeBytes / 2 / trainers);
  return backend === 'wasm' || backend === 'auto' ? Math.min(share, WASM_PACK_BUDGET) : share;
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
