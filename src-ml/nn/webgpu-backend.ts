/**
 * Starts TensorFlow.js's WebGPU backend in Node on a Dawn adapter (the `webgpu` npm package).
 *
 * tfjs-backend-webgpu's own factory asks for an adapter with default options, which finds no adapter where
 * only Mesa's GL path works (software) and gives the device the spec's minimum limits in compatibility mode.
 * So the adapter and device are made here (webgpu-adapter.ts picks them; the device gets the adapter's limits)
 * and the backend is registered with that device. The backend is a subclass that stops at the first GPU
 * failure with one line naming the adapter (webgpu-failure.ts), and that refuses synchronous reads of GPU
 * tensors with a clear message: WebGPU has no synchronous read, and tfjs's browser fallback (OffscreenCanvas)
 * does not exist in Node. Both packages are imported only here, only when this backend is tried.
 */
/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { errorMessage } from '../base/errors.ts';
import { adapterLabel, attemptLabel, dawnAttempts, summarizeAdapter, type AdapterLike, type AdapterRequest, type AdapterSummary } from './webgpu-adapter.ts';
import { firstLine, GpuFailureWatch } from './webgpu-failure.ts';

export type WebGpuStart = { ok: true; adapter: AdapterSummary; label: string } | { ok: false; reason: string };

export interface StartWebGpuOptions {
  /** Accept a software adapter (only when ICH_BACKEND=webgpu forces this backend). */
  allowSoftware: boolean;
  env: Record<string, string | undefined>;
  importModule: (specifier: string) => Promise<unknown>;
  /** Only the Dawn attempt with this label (attemptLabel), when a probe already found the adapter there. */
  via?: string;
}

/** What this module uses of Dawn's GPU object (its requestAdapter takes `featureLevel`). */
interface DawnGpu {
  requestAdapter(options?: AdapterRequest): Promise<AdapterLike | null>;
}

interface DawnModule {
  create: (options: string[]) => DawnGpu;
  globals: Record<string, unknown>;
}

interface Running {
  adapter: AdapterSummary;
  label: string;
  device: GPUDevice;
  watch: GpuFailureWatch;
}

let running: Running | null = null;

/** The running adapter, its failure watch and device (null before startWebGpu succeeds). */
export function webGpuState(): Readonly<Running> | null {
  return running;
}

type BackendClass = typeof WebGPUBackend;
type DataId = Parameters<WebGPUBackend['read']>[0];

function guardedBackend(Base: BackendClass, watch: GpuFailureWatch): BackendClass {
  class GuardedWebGPUBackend extends Base {
    override runWebGPUProgram(...args: Parameters<WebGPUBackend['runWebGPUProgram']>): ReturnType<WebGPUBackend['runWebGPUProgram']> {
      watch.check();
      return super.runWebGPUProgram(...args);
    }

    override async read(dataId: DataId): ReturnType<WebGPUBackend['read']> {
      watch.check();
      let values: Awaited<ReturnType<WebGPUBackend['read']>>;
      try {
        values = await super.read(dataId);
      } catch (err) {
        watch.check();
        throw err;
      }
      // the failure may have been reported while the read was waiting: its values are not to be trusted
      watch.check();
      return values;
    }

    override readSync(dataId: DataId): ReturnType<WebGPUBackend['readSync']> {
      watch.check();
      const data = this.tensorMap.get(dataId);
      if (data.values == null && data.dtype !== 'string') {
        throw new Error('webgpu: a GPU tensor cannot be read synchronously in Node (dataSync/arraySync); read it with await data()');
      }
      return super.readSync(dataId);
    }

    override dispose(): void {
      watch.close();
      super.dispose();
    }
  }
  return GuardedWebGPUBackend;
}

/** Sets the variables an attempt needs when the user has not set them (Mesa reads EGL_PLATFORM at EGL start). */
function applyEnv(vars: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(vars ?? {})) process.env[k] ??= v;
}

async function findAdapter(dawn: DawnModule, opts: StartWebGpuOptions, notes: string[]): Promise<{ gpu: DawnGpu; adapter: AdapterLike; summary: AdapterSummary } | null> {
  for (const attempt of dawnAttempts(opts.env)) {
    const via = attemptLabel(attempt);
    if ((attempt.softwareOnly && !opts.allowSoftware) || (opts.via !== undefined && via !== opts.via)) continue;
    applyEnv(attempt.env);
    let adapter: AdapterLike | null;
    let gpu: DawnGpu;
    try {
      gpu = dawn.create(attempt.options);
      adapter = await gpu.requestAdapter(attempt.request);
    } catch (err) {
      notes.push(`dawn ${via}: ${firstLine(errorMessage(err))}`);
      continue;
    }
    if (!adapter) {
      notes.push(`dawn ${via}: no adapter`);
      continue;
    }
    const summary = summarizeAdapter(adapter, via);
    if (summary.software && !opts.allowSoftware) {
      notes.push(`dawn ${via}: only a software adapter (${adapterLabel(summary)}; ICH_BACKEND=webgpu uses it)`);
      continue;
    }
    return { gpu, adapter, summary };
  }
  return null;
}

/** Every numeric limit of the adapter: compatibility-mode devices otherwise get e.g. 4 storage buffers per stage. */
function adapterLimits(adapter: AdapterLike): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') limits[key] = v;
  }
  return limits;
}

function setNavigatorGpu(gpu: DawnGpu): void {
  const g = globalThis as { navigator?: { gpu?: DawnGpu } };
  // Node 21+ has a navigator without gpu; tfjs-backend-webgpu checks navigator.gpu in its constructor
  if (g.navigator) g.navigator.gpu = gpu;
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

/**
 * Finds an adapter, makes the device, registers and activates the 'webgpu' backend. Never throws: a failure
 * comes back as `{ ok: false, reason }` for the backend chain's notes.
 */
export async function startWebGpu(opts: StartWebGpuOptions): Promise<WebGpuStart> {
  if (running && !running.watch.failed && (opts.allowSoftware || !running.adapter.software)) {
    if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: "setBackend('webgpu') failed" };
    return { ok: true, adapter: running.adapter, label: running.label };
  }
  let dawn: DawnModule;
  let backendModule: { WebGPUBackend: BackendClass };
  try {
    // tfjs-backend-webgpu first: it registers its own factory at import when navigator.gpu already exists
    backendModule = (await opts.importModule('@tensorflow/tfjs-backend-webgpu')) as { WebGPUBackend: BackendClass };
    dawn = (await opts.importModule('webgpu')) as DawnModule;
  } catch (err) {
    return { ok: false, reason: firstLine(errorMessage(err)) };
  }
  Object.assign(globalThis, dawn.globals);
  const notes: string[] = [];
  const found = await findAdapter(dawn, opts, notes);
  if (!found) return { ok: false, reason: notes.join('; ') || 'no adapter' };
  const { gpu, adapter, summary } = found;
  const label = adapterLabel(summary);
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits: adapterLimits(adapter) });
  } catch (err) {
    return { ok: false, reason: `${label}: requestDevice failed (${firstLine(errorMessage(err))})` };
  }
  setNavigatorGpu(gpu);
  const watch = new GpuFailureWatch(label);
  watch.watch(device);
  const Backend = guardedBackend(backendModule.WebGPUBackend, watch);
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new Backend(device, adapter.info as GPUAdapterInfo), 1);
  // imported here so that loading this module (backend.ts does, to ask webGpuState) loads no WebGPU code
  (await import('./kernels/webgpu-kernels.ts')).registerWebGpuKernels();
  let ok = false;
  try {
    ok = await tf.setBackend('webgpu');
  } catch (err) {
    notes.push(firstLine(errorMessage(err)));
  }
  if (!ok) {
    device.destroy();
    return { ok: false, reason: `${label}: setBackend('webgpu') failed${notes.length ? ` (${notes.join('; ')})` : ''}` };
  }
  running = { adapter: summary, label, device, watch };
  return { ok: true, adapter: summary, label };
}
