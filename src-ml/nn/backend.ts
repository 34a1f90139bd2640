/**
 * TensorFlow.js backend selection for the training / inference engine.
 *
 * Order tried: tfjs-node-gpu ('tensorflow' backend, CUDA), webgpu (Dawn through the `webgpu` package, hardware
 * adapters only), tfjs-node ('tensorflow', CPU), wasm (SIMD, single-threaded in Node, plus the project's gradient
 * kernels), cpu (pure JS). The native packages are optional dependencies that usually fail to install; they are
 * loaded with a dynamic import inside try/catch so a missing one is simply skipped. webgpu is first looked for in
 * a child process (webgpu-probe.ts), and Dawn and tfjs-backend-webgpu are imported only when it found a GPU.
 * ICH_BACKEND=cpu|wasm|tensorflow|webgpu forces one backend (error if it is unavailable); forced webgpu also
 * takes a software adapter (Mesa's llvmpipe), which is slower than wasm and never chosen on its own.
 * On wasm the heavy products (convolutions, their gradients, BatchMatMul) run on the native OpenBLAS addon when it
 * was built (kernels/native-blas.ts; ICH_NATIVE=0 keeps them on XNNPACK); the backend line says which.
 */
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../base/errors.ts';
import { registerWasmTrainingKernels } from './kernels/wasm-conv-grad.ts';
import { disableNativeKernels, enableNativeKernels } from './kernels/native-blas.ts';
import type { ProbeResult } from './webgpu-probe.ts';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendPurpose = 'train' | 'infer';

export interface InitBackendOptions {
  purpose: BackendPurpose;
}

export interface InitBackendDeps {
  /** Environment to read ICH_BACKEND from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Log sink (default console.log). */
  log?: (line: string) => void;
  /** Module loader (default dynamic import); tests replace it. */
  importModule?: (specifier: string) => Promise<unknown>;
  /** Looks for a hardware WebGPU adapter before Dawn is loaded (default: webgpu-probe.ts in a child process). */
  probeWebGpu?: (env: Record<string, string | undefined>, allowSoftware: boolean) => Promise<ProbeResult>;
}

interface Candidate {
  /** Label used in logs (for webgpu: the adapter, once found). */
  label: string;
  backend: BackendName;
  tryInit: () => Promise<boolean>;
}

const FORCEABLE: readonly BackendName[] = ['cpu', 'wasm', 'tensorflow', 'webgpu'];

async function activate(name: BackendName): Promise<boolean> {
  if (tf.findBackendFactory(name) === null) return false;
  try {
    // setBackend answers false (it does not throw) when the backend fails to initialise.
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

const probes = new Map<string, Promise<ProbeResult>>();

/** The adapter probe, once per process and setting: the GPUs do not change while it runs (about 0.2 s a probe). */
function cachedProbe(env: Record<string, string | undefined>, allowSoftware: boolean): Promise<ProbeResult> {
  const key = `${allowSoftware}|${env['ICH_WEBGPU_DAWN'] ?? ''}`;
  let p = probes.get(key);
  if (!p) {
    p = import('./webgpu-probe.ts').then((m) => m.probeWebGpuAdapter(env, allowSoftware));
    probes.set(key, p);
  }
  return p;
}

/**
 * Chooses, activates and returns the TensorFlow.js backend. Logs one line with the choice.
 * Throws (one-line message) when ICH_BACKEND names a backend that cannot be started.
 */
export async function initBackend(options: InitBackendOptions = { purpose: 'train' }, deps: InitBackendDeps = {}): Promise<BackendName> {
  const env = deps.env ?? process.env;
  const log = deps.log ?? ((line: string) => console.log(line));
  const importModule = deps.importModule ?? ((specifier: string) => import(specifier) as Promise<unknown>);
  const notes: string[] = [];
  let products = '';

  const nativeCandidate = (pkg: string, label: string): Candidate => ({
    label,
    backend: 'tensorflow',
    tryInit: async () => {
      try {
        await importModule(pkg);
      } catch (err) {
        notes.push(`${label}: ${errorMessage(err)}`);
        return false;
      }
      const ok = await activate('tensorflow');
      if (!ok) notes.push(`${label}: setBackend('tensorflow') failed`);
      return ok;
    },
  });

  const forcedRaw = env['ICH_BACKEND']?.trim();
  const webgpu: Candidate = {
    label: 'webgpu',
    backend: 'webgpu',
    tryInit: async () => {
      const forced = forcedRaw?.toLowerCase() === 'webgpu';
      // A child process finds the adapter first, so machines without one never load Dawn here and Dawn's
      // warnings about the drivers it turns down stay out of the output.
      const { startWebGpu, webGpuState } = await import('./webgpu-backend.ts');
      const state = webGpuState();
      let via: string | undefined;
      if (!state || state.watch.failed || (state.adapter.software && !forced)) {
        const probe = deps.probeWebGpu ?? cachedProbe;
        const found = await probe(env, forced);
        if (!found.adapter) {
          notes.push(`webgpu: ${found.reason}`);
          return false;
        }
        if (found.adapter.software && !forced) {
          notes.push(`webgpu: only a software adapter (${found.adapter.device || found.adapter.description}; ICH_BACKEND=webgpu uses it)`);
          return false;
        }
        via = found.adapter.via;
      }
      const started = await startWebGpu({ allowSoftware: forced, env, importModule, ...(via !== undefined ? { via } : {}) });
      if (!started.ok) {
        notes.push(`webgpu: ${started.reason}`);
        return false;
      }
      webgpu.label = `adapter: ${started.label}`;
      return true;
    },
  };

  const candidates: Candidate[] = [
    nativeCandidate('@tensorflow/tfjs-node-gpu', 'tfjs-node-gpu'),
    webgpu,
    nativeCandidate('@tensorflow/tfjs-node', 'tfjs-node'),
    {
      label: 'wasm',
      backend: 'wasm',
      tryInit: async () => {
        try {
          await importModule('@tensorflow/tfjs-backend-wasm');
        } catch (err) {
          notes.push(`wasm: ${errorMessage(err)}`);
          return false;
        }
        // Register before activation so the first op already sees them; harmless for inference.
        registerWasmTrainingKernels();
        const ok = await activate('wasm');
        if (!ok) notes.push("wasm: setBackend('wasm') failed");
        else products = `, ${enableNativeKernels(env)}`;
        return ok;
      },
    },
    {
      label: 'cpu',
      backend: 'cpu',
      tryInit: async () => {
        const ok = await activate('cpu');
        if (!ok) notes.push("cpu: setBackend('cpu') failed");
        return ok;
      },
    },
  ];

  let chosen: Candidate | undefined;
  if (forcedRaw) {
    const forced = forcedRaw.toLowerCase() as BackendName;
    if (!FORCEABLE.includes(forced)) {
      throw new Error(`ICH_BACKEND=${forcedRaw} is not one of ${FORCEABLE.join(', ')}`);
    }
    for (const c of candidates.filter((cand) => cand.backend === forced)) {
      if (await c.tryInit()) {
        chosen = c;
        break;
      }
    }
    if (!chosen) {
      throw new Error(`ICH_BACKEND=${forced} is unavailable (${notes.join('; ') || 'no reason given'})`);
    }
  } else {
    for (const c of candidates) {
      if (await c.tryInit()) {
        chosen = c;
        break;
      }
    }
    if (!chosen) throw new Error(`no TensorFlow.js backend could be started (${notes.join('; ')})`);
  }

  const name = tf.getBackend() as BackendName;
  // Only the wasm kernels consult the addon; another backend chosen in this process leaves it off.
  if (name !== 'wasm') disableNativeKernels();
  const simd = name === 'wasm' ? `, simd=${String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))}${products}` : '';
  log(`[nn] backend: ${name} (${chosen.label}${simd}) for ${options.purpose}${forcedRaw ? ' [forced by ICH_BACKEND]' : ''}`);
  return name;
}
