/**
 * Picks and initialises the TensorFlow.js backend, best first: tfjs-node-gpu (CUDA), WebGPU on a
 * hardware adapter (webgpu.ts), tfjs-node (libtensorflow), wasm, cpu. The two native packages
 * download libtensorflow when installed and are optional, so they are loaded with a dynamic import
 * inside try/catch: the app works without. A software WebGPU adapter is used only when 'webgpu' is
 * asked for by name.
 *
 * Also gives the training step direct access to tensor memory on the backends that keep it in
 * this process (wasm's heap, cpu's typed arrays): the fused optimizer and the norm read gradients
 * and update weights in place there, instead of ~15 tfjs kernels per parameter (see optim.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice, BackendName } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import { setUpWebGpu } from './webgpu';

/** tfjs's registry name for each of ours. */
const TFJS_NAME: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  webgpu: 'webgpu',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** Why better backends were skipped (one line each), for the run's log. */
  skipped: string[];
}

let current: BackendInfo | null = null;

async function tryLoad(name: BackendName, explicit: boolean): Promise<string | null> {
  try {
    switch (name) {
      case 'webgpu': {
        const failure = await setUpWebGpu(explicit);
        return failure === null ? null : `webgpu: ${failure}`;
      }
      case 'tensorflow-gpu': {
        // The package name is a variable so bundlers and tsc do not insist on it being installed.
        const pkg = '@tensorflow/tfjs-node-gpu';
        await import(/* @vite-ignore */ pkg);
        break;
      }
      case 'tensorflow': {
        const pkg = '@tensorflow/tfjs-node';
        await import(/* @vite-ignore */ pkg);
        break;
      }
      case 'wasm':
        await import('@tensorflow/tfjs-backend-wasm');
        break;
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
    }
    const ok = await tf.setBackend(TFJS_NAME[name]);
    if (!ok) return `${name}: tfjs could not initialise it`;
    await tf.ready();
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `${name}: ${message.split('\n')[0]!.slice(0, 300)}`;
  }
}

/**
 * Initialises `choice` ('auto': the best that loads) and makes it tfjs's current backend.
 * An explicit choice that cannot load is an 'unavailable' error, never a silent fallback.
 * Idempotent within a process (one backend per trainer process).
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current && (choice === 'auto' || choice === current.name)) return current;
  const candidates = choice === 'auto' ? BACKEND_ORDER : [choice];
  const skipped: string[] = [];
  for (const name of candidates) {
    const failure = await tryLoad(name, choice !== 'auto');
    if (failure === null) {
      current = { name, skipped };
      return current;
    }
    skipped.push(failure);
  }
  throw new ApiError('unavailable', `no usable compute backend (${skipped.join('; ')})`, { skipped });
}

interface WasmBackendInternals {
  dataIdMap: { get(id: object): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  wasm: {
    HEAPU8: Uint8Array;
    asm?: { memory?: WebAssembly.Memory };
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}
interface CpuBackendInternals {
  data: { get(id: object): { values?: unknown } | undefined };
}

/**
 * Live Float32Array (or Int32Array) views on tensors' memory, for the backends that keep it in
 * this process. On wasm a view is only valid until the heap grows (the next tfjs allocation may
 * grow it), so take views right before use and drop them after.
 */
export interface DirectMemory {
  f32(t: tf.Tensor): Float32Array;
  /**
   * Must be called after changing a tensor's values in place. The wasm backend caches per tensor
   * id the XNNPACK operators built from it (a matMul's packed weights): the tensor gets a fresh id,
   * which drops those caches, so the next matMul sees the new values. A no-op elsewhere.
   */
  changed(t: tf.Tensor): void;
  /** wasm only: the tensor's byte address in `memory`, for the SIMD kernels (simd.ts). */
  address?(t: tf.Tensor): number;
  memory?: WebAssembly.Memory;
}

export function directMemory(): DirectMemory | null {
  const name = tf.getBackend();
  const backend = tf.backend() as unknown;
  if (name === 'wasm') {
    const wasm = backend as WasmBackendInternals;
    const entryOf = (t: tf.Tensor) => {
      const entry = wasm.dataIdMap.get(t.dataId);
      if (!entry) throw new Error('tensor has no wasm memory');
      return entry;
    };
    const memory = wasm.wasm.asm?.memory;
    return {
      f32: (t) => new Float32Array(wasm.wasm.HEAPU8.buffer, entryOf(t).memoryOffset, t.size),
      changed(t) {
        // Same memory, new id: what tfjs-backend-wasm does for a new tensor, minus malloc and copy.
        const entry = entryOf(t);
        wasm.wasm.tfjs.disposeData(entry.id);
        entry.id = wasm.dataIdNextNumber++;
        wasm.wasm.tfjs.registerTensor(entry.id, t.size, entry.memoryOffset);
      },
      address: (t) => entryOf(t).memoryOffset,
      ...(memory instanceof WebAssembly.Memory ? { memory } : {}),
    };
  }
  if (name === 'cpu') {
    const cpu = backend as CpuBackendInternals;
    return {
      f32(t) {
        const values = cpu.data.get(t.dataId)?.values;
        if (!(values instanceof Float32Array)) throw new Error('tensor has no float32 values on the cpu backend');
        return values;
      },
      changed() {},
    };
  }
  return null;
}

/**
 * True when tf.matMul with transposeA/transposeB takes a slow path, so the engine transposes
 * explicitly first (wasm: 13.8 ms vs 1.7 ms for a 784×64 @ 64×256 weight gradient, measured).
 */
export function prefersExplicitTranspose(): boolean {
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu';
}
