/**
 * What each compute backend would do on this machine, found by loading it (so run it in a trainer
 * process, never in the app's main process: loading libtensorflow or Dawn there would cost memory
 * and, inside Electron, Dawn does not work at all). `sweeplab backends`, the app's backend list
 * and the scheduler's "is there a GPU" come from here.
 */
import type { BackendState } from '../../shared/domain';
import { BACKEND_ORDER } from './backend';
import { adapterLine, probeAdapter } from './webgpu';

async function loads(pkg: string): Promise<string | null> {
  try {
    await import(/* @vite-ignore */ pkg);
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return /Cannot find (module|package)/.test(message) ? `${pkg} is not installed (an expert option: see the README)` : message.split('\n')[0]!.slice(0, 300);
  }
}

export async function probeBackends(): Promise<BackendState[]> {
  const states: BackendState[] = [];
  for (const name of BACKEND_ORDER) {
    switch (name) {
      case 'tensorflow-gpu':
      case 'tensorflow': {
        const failure = await loads(name === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu');
        states.push({
          name,
          available: failure === null,
          software: false,
          detail: failure ?? (name === 'tensorflow-gpu' ? 'libtensorflow 2.9.1 with CUDA 11.2 / cuDNN 8.1' : 'libtensorflow on the CPU'),
          auto: false,
        });
        break;
      }
      case 'webgpu': {
        const adapter = await probeAdapter();
        states.push(
          typeof adapter === 'string'
            ? { name, available: false, software: false, detail: adapter, auto: false }
            : {
                name,
                available: true,
                software: adapter.software,
                detail: adapter.software ? `${adapterLine(adapter)}: slower than wasm, used only when asked for by name` : adapterLine(adapter),
                auto: false,
              },
        );
        break;
      }
      case 'wasm':
        states.push({ name, available: true, software: false, detail: 'WebAssembly with SIMD, one core per trainer', auto: false });
        break;
      case 'cpu':
        states.push({ name, available: true, software: false, detail: 'plain JavaScript (slowest)', auto: false });
        break;
    }
  }
  const chosen = states.find((s) => s.available && !s.software);
  if (chosen) chosen.auto = true;
  return states;
}
