/**
 * The WebGPU backend in a Node process: Google's Dawn through the npm `webgpu` package (Vulkan on
 * Linux, D3D12 on Windows, Metal on macOS), with @tensorflow/tfjs-backend-webgpu on top.
 *
 * Traps this module exists for (measured with tfjs 4.22 on Dawn; the README's "Compute backends
 * and GPUs" section has more):
 * - tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when its module loads, and
 *   Node 20 has no `navigator`: the globals go in first, and the backend is then registered with
 *   the device made here.
 * - tfjs asks for the default WebGPU limits, 8 storage buffers per shader stage among them; a
 *   kernel over more inputs (`tf.addN` of 10 tensors) then fails validation, Dawn only prints a
 *   warning and the result reads 0. The device is created with the adapter's own limits, the
 *   engine sums long lists pairwise (optim.ts), and any uncaptured error or lost device is kept
 *   here as a fault that ends the trial (train.ts checks `gpuFault()` every step and epoch).
 * - A software adapter (Mesa's llvmpipe/lavapipe, SwiftShader, Microsoft Basic Render Driver) is
 *   slower than wasm: it is used only when asked for by name, never by 'auto'.
 *
 * Shader compilation happens the first time each kernel shape runs; the time spent creating
 * shader modules and pipelines is counted here so the trainer reports it apart from training.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ApiError } from '../../shared/errors';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation of WebGPU (never chosen automatically). */
  software: boolean;
}

interface State {
  device: GPUDevice;
  adapter: AdapterDescription;
  fault: string | null;
  compileMs: number;
  /** Most bytes tfjs held on the GPU at an epoch boundary. */
  peakBytes: number;
  destroyed: boolean;
}

let state: State | null = null;

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render|software/i;

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info;
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const fallback = (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true;
  const software = fallback || architecture === 'software' || SOFTWARE.test(`${vendor} ${architecture} ${device} ${description}`);
  return { vendor, architecture, device, description, software };
}

/** One line for logs and the backends list: "nvidia ampere (NVIDIA GeForce RTX 3060)". */
export function adapterLine(a: AdapterDescription): string {
  const name = a.description || a.device;
  const head = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  return `${head}${name ? ` (${name})` : ''}${a.software ? ', software' : ''}`;
}

/** Dawn toggles from SWEEPLAB_WEBGPU_FLAGS (comma-separated, e.g. "backend=opengles"). */
function dawnFlags(): string[] {
  return (process.env.SWEEPLAB_WEBGPU_FLAGS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

let gpuPromise: Promise<GPU> | null = null;

/** Dawn's GPU object, with the WebGPU globals and navigator.gpu installed (once per process). */
async function nodeGpu(): Promise<GPU> {
  gpuPromise ??= (async () => {
    if (process.versions.electron) {
      // Electron's V8 memory cage refuses Dawn's external buffers (dawn-gpu/node-webgpu#5).
      throw new Error('WebGPU needs trainers under Node.js 20+, not Electron (install Node.js or set SWEEPLAB_NODE, then restart the app)');
    }
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create(dawnFlags());
    const g = globalThis as { navigator?: object };
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    Object.defineProperty(g.navigator!, 'gpu', { value: gpu, configurable: true });
    return gpu;
  })();
  return gpuPromise;
}

/** The adapter Dawn would use here, or why there is none (for `sweeplab backends`). */
export async function probeAdapter(): Promise<AdapterDescription | string> {
  try {
    const gpu = await nodeGpu();
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return 'Dawn found no WebGPU adapter (no Vulkan, Metal or D3D12 driver)';
    return describeAdapter(adapter);
  } catch (error) {
    return `the webgpu package did not load: ${firstLine(error)}`;
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 300);
}

/** Limits raised to the adapter's own (tfjs asks for the defaults, see the header). */
const LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxUniformBuffersPerShaderStage',
  'maxBindGroups',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeInvocationsPerWorkgroup',
] as const;

/**
 * Makes 'webgpu' tfjs's backend on a device with the adapter's limits. `allowSoftware`: accept a
 * software adapter (an explicit `--backend webgpu`). Returns null, or why it cannot be used.
 */
export async function setUpWebGpu(allowSoftware: boolean): Promise<string | null> {
  if (state && !state.destroyed) return (await tf.setBackend('webgpu')) ? null : 'tfjs could not initialise it';
  let gpu: GPU;
  try {
    gpu = await nodeGpu();
  } catch (error) {
    return `the webgpu package did not load: ${firstLine(error)}`;
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return 'Dawn found no WebGPU adapter (no Vulkan, Metal or D3D12 driver)';
  const description = describeAdapter(adapter);
  if (description.software && !allowSoftware) {
    return `only a software adapter is present (${adapterLine(description)}), slower than wasm: ask for --backend webgpu by name to use it`;
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const device = await adapter.requestDevice({ requiredLimits });
  const current: State = { device, adapter: description, fault: null, compileMs: 0, peakBytes: 0, destroyed: false };
  device.addEventListener('uncapturederror', (event) => {
    const message = (event as GPUUncapturedErrorEvent).error?.message ?? 'unknown WebGPU error';
    current.fault ??= `WebGPU error: ${message.split('\n')[0]}`;
  });
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed' || !current.destroyed) current.fault ??= `the GPU device was lost (${info.reason}): ${info.message}`;
  });
  timeCompilation(device, current);
  state = current;

  // Loading the module registers tfjs's own factory (its device has default limits): replace it.
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 3);
  try {
    if (!(await tf.setBackend('webgpu'))) return 'tfjs could not initialise it';
    await tf.ready();
  } catch (error) {
    return firstLine(error);
  }
  return null;
}

/** Counts the milliseconds spent in shader-module and pipeline creation (Dawn compiles there). */
function timeCompilation(device: GPUDevice, into: State): void {
  const wrap = <K extends 'createShaderModule' | 'createComputePipeline'>(name: K) => {
    const original = device[name].bind(device) as (...args: unknown[]) => unknown;
    (device as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return original(...args);
      } finally {
        into.compileMs += performance.now() - t0;
      }
    };
  };
  wrap('createShaderModule');
  wrap('createComputePipeline');
  const asyncOriginal = device.createComputePipelineAsync.bind(device);
  device.createComputePipelineAsync = async (descriptor) => {
    const t0 = performance.now();
    try {
      return await asyncOriginal(descriptor);
    } finally {
      into.compileMs += performance.now() - t0;
    }
  };
}

/** The adapter the webgpu backend runs on in this process, once set up. */
export function currentAdapter(): AdapterDescription | null {
  return state?.adapter ?? null;
}

/** A WebGPU validation error or a lost device seen since set-up: the trial must fail with it. */
export function gpuFault(): string | null {
  return state?.fault ?? null;
}

/** Milliseconds spent compiling shaders so far in this process. */
export function compileMilliseconds(): number {
  return state?.compileMs ?? 0;
}

/**
 * Waits for the GPU to finish what was submitted, so that errors it raised are delivered before
 * an epoch's results are stored.
 */
export async function settleGpu(): Promise<void> {
  if (!state || state.destroyed) return;
  const held = (tf.memory() as { numBytesInGPUAllocated?: number; numBytesInGPU?: number });
  state.peakBytes = Math.max(state.peakBytes, held.numBytesInGPUAllocated ?? held.numBytesInGPU ?? 0);
  await state.device.queue.onSubmittedWorkDone();
  await new Promise((resolve) => setImmediate(resolve));
}

/** The most GPU memory tfjs held at an epoch boundary in this process; null off webgpu. */
export function peakGpuBytes(): number | null {
  return state ? state.peakBytes : null;
}

/** Test hook: a real WebGPU validation error (a buffer with no usage), as a driver fault would raise. */
export function injectGpuErrorForTests(): void {
  state?.device.createBuffer({ size: 4, usage: 0 });
}

/** Ends the trial with the GPU's own message once a WebGPU error or device loss was seen. */
export function throwIfGpuFault(): void {
  const fault = gpuFault();
  if (fault) throw new ApiError('unavailable', `${fault} (the trial stopped; resume it from its last checkpoint)`);
}
