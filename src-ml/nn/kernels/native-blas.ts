/**
 * The optional native addon native/build/ich-blas.node (native/ich-blas.c: OpenBLAS sgemm, im2col/col2im
 * convolutions, training-mode batch norm, max-pool gradient, sums over leading axes), built at install time by native/build-native.js. The wasm backend's products run on it when it
 * is loaded (XNNPACK in tfjs-backend-wasm reaches ~26-30 GFLOP/s per core, OpenBLAS ~3x that); without it, or
 * with ICH_NATIVE=0, every kernel keeps its wasm path. Loaded with createRequire in each thread that uses it
 * (the addon is context-aware, so data-parallel workers load it too). OpenBLAS's thread count is per process.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { errorMessage } from '../../base/errors.ts';

/** The addon's functions (see native/ich-blas.c); geometry arrays come from convGeometryArray. */
export interface IchBlas {
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, offA: number, lda: number, b: Float32Array, offB: number, ldb: number,
    beta: number, c: Float32Array, offC: number, ldc: number): void;
  conv2d(x: Float32Array, w: Float32Array, y: Float32Array, geom: Int32Array, bias: Float32Array | null, act: number, alpha: number): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: Int32Array): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geom: Int32Array): void;
  bnTrain(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array, epsilon: number): void;
  bnTrainGrad(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, epsilon: number): void;
  /** geom: batch, inH, inW, C, outH, outW, filterH, filterW, strideH, strideW, padTop, padLeft. */
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, geom: Int32Array): void;
  /** out[j] = scale * sum over rows of x[r * inner + j] (float64 sums). */
  sumLeading(x: Float32Array, out: Float32Array, outer: number, inner: number, scale: number): void;
  setThreads(n: number): void;
  setChunkFloats(floats: number): void;
  threads(): number;
  config(): string;
}

export const ADDON_PATH = fileURLToPath(new URL('../../../native/build/ich-blas.node', import.meta.url));

type Loaded = { blas: IchBlas } | { blas: null; reason: string };

/** Every function the kernels call: an addon built from older sources lacks some and is not used. */
const API: readonly (keyof IchBlas)[] = ['sgemm', 'conv2d', 'conv2dBackpropFilter', 'conv2dBackpropInput', 'bnTrain', 'bnTrainGrad', 'maxPoolGrad', 'sumLeading', 'setThreads', 'threads', 'config', 'setChunkFloats'];
let loaded: Loaded | undefined;
let active: IchBlas | null = null;

/** Loads the addon once per thread; a failure is remembered with its reason. */
export function loadNativeBlas(): Loaded {
  if (!loaded) {
    try {
      const blas = createRequire(import.meta.url)(ADDON_PATH) as IchBlas;
      const missing = API.filter((name) => typeof blas[name] !== 'function');
      if (missing.length) throw new Error(`out of date (no ${missing.join(', ')}; rebuild with npm run build:native)`);
      // The main thread owns the process-wide thread count; a worker loading the addon must not reset it.
      if (isMainThread) blas.setThreads(defaultNativeThreads());
      loaded = { blas };
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
      loaded = { blas: null, reason: missing ? 'native addon not built (node native/build-native.js)' : `native addon failed to load: ${errorMessage(err).split('\n')[0]}` };
    }
  }
  return loaded;
}

/**
 * Turns the native products on (unless env ICH_NATIVE is '0' or the addon is missing) or off, and returns what the
 * wasm kernels now run on, for the backend's log line.
 */
export function enableNativeKernels(env: Record<string, string | undefined> = process.env): string {
  if (env['ICH_NATIVE']?.trim() === '0') {
    active = null;
    return 'products: XNNPACK (ICH_NATIVE=0)';
  }
  const l = loadNativeBlas();
  if (!l.blas) {
    active = null;
    return `products: XNNPACK (${l.reason})`;
  }
  active = l.blas;
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64": version and the core type.
  const words = l.blas.config().split(/\s+/);
  const core = words.find((w) => /^[A-Z][a-z]+[A-Za-z0-9]*$/.test(w) && w !== 'OpenBLAS');
  return `products: ${words.slice(0, 2).join(' ')}${core ? ` ${core}` : ''}, ${l.blas.threads()} thread${l.blas.threads() === 1 ? '' : 's'}`;
}

/** Routes the kernels back to wasm (tests compare both paths in one process). */
export function disableNativeKernels(): void {
  active = null;
}

/** The addon when native products are on, else null: every routed kernel asks at call time. */
export function nativeBlas(): IchBlas | null {
  return active;
}

/**
 * OpenBLAS threads for the whole process: 1 when several data-parallel ranks each keep a core busy (more would
 * oversubscribe), else every core. No-op without the addon.
 */
export function setNativeThreads(n: number): void {
  const l = loaded;
  if (l?.blas) l.blas.setThreads(Math.max(1, Math.floor(n)));
}

/** The thread count a lone rank uses: OPENBLAS_NUM_THREADS when the user set it, else every core. */
export function defaultNativeThreads(env: Record<string, string | undefined> = process.env): number {
  const set = Number(env['OPENBLAS_NUM_THREADS']);
  return Number.isInteger(set) && set > 0 ? set : availableParallelism();
}
