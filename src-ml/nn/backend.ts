/**
 * TensorFlow.js backend selection for the training / inference engine.
 *
 * Order tried: tfjs-node-gpu ('tensorflow' backend, CUDA), tfjs-node ('tensorflow', CPU),
 * wasm (SIMD, single-threaded in Node, plus the project's gradient kernels), cpu (pure JS).
 * The native packages are optional dependencies that usually fail to install; they are loaded
 * with a dynamic import inside try/catch so a missing one is simply skipped.
 * ICH_BACKEND=cpu|wasm|tensorflow forces one backend (error if it is unavailable).
 */
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../base/errors.ts';
import { registerWasmTrainingKernels } from './kernels/wasm-conv-grad.ts';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
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
}

interface Candidate {
  /** Label used in logs. */
  label: string;
  backend: BackendName;
  tryInit: () => Promise<boolean>;
}

const FORCEABLE: readonly BackendName[] = ['cpu', 'wasm', 'tensorflow'];

async function activate(name: BackendName): Promise<boolean> {
  if (tf.findBackendFactory(name) === null) return false;
  try {
    // setBackend answers false (it does not throw) when the backend fails to initialise.
    return await tf.setBackend(name);
  } catch {
    return false;
  }
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

  const candidates: Candidate[] = [
    nativeCandidate('@tensorflow/tfjs-node-gpu', 'tfjs-node-gpu'),
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

  const forcedRaw = env['ICH_BACKEND']?.trim();
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
  const simd = name === 'wasm' ? `, simd=${String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))}` : '';
  log(`[nn] backend: ${name} (${chosen.label}${simd}) for ${options.purpose}${forcedRaw ? ' [forced by ICH_BACKEND]' : ''}`);
  return name;
}
