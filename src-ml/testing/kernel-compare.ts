// Checks shared by the kernel tests that hold one tfjs backend's result against another's (wasm-kernels.test.ts:
// the XNNPACK path; native-kernels.test.ts: the OpenBLAS products).
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../base/random.ts';
import { relErr } from './numeric.ts';

/** n uniform values in [-1, 1) from `rand`. */
export function randomData(n: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rand() * 2 - 1;
  return out;
}

/** Runs `f` on backend `name`; throws if the backend cannot be set. */
export async function onBackend<T>(name: string, f: () => T): Promise<T> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} could not be set`);
  return f();
}

/**
 * tf.matMul of seeded random a (aShape) and b (bShape) on wasm and on cpu: the output shapes and the error of the wasm
 * values relative to the cpu ones.
 */
export async function batchMatMulWasmVsCpu(aShape: readonly number[], bShape: readonly number[], transposeA: boolean, transposeB: boolean): Promise<{ wasmShape: number[]; cpuShape: number[]; relErr: number }> {
  const rand = mulberry32(aShape.length * 10 + bShape.length);
  const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
  const av = randomData(size(aShape), rand);
  const bv = randomData(size(bShape), rand);
  const run = (): { shape: number[]; values: number[] } => tf.tidy(() => {
    const out = tf.matMul(tf.tensor(av, [...aShape]), tf.tensor(bv, [...bShape]), transposeA, transposeB);
    return { shape: out.shape, values: Array.from(out.dataSync()) };
  });
  const cpu = await onBackend('cpu', run);
  const wasm = await onBackend('wasm', run);
  return { wasmShape: wasm.shape, cpuShape: cpu.shape, relErr: relErr(wasm.values, cpu.values) };
}
