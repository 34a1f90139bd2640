/**
 * Per-kernel timings on wasm: `npx tsx bench/nn/bench-kernels.ts [batch]`.
 * Conv2DBackpropInput / Conv2DBackpropFilter for [B, 64, 64, 64] -> 64 channels, 3x3, stride 1, same:
 * the wasm backend's built-in Conv2DBackpropInput vs this project's kernels ('xnn' and 'js'),
 * with the forward Conv2D (XNNPACK) for reference. Prints the median of 3 runs after a warm-up.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, type ConvGradImpl } from '../../src-ml/nn/kernels/wasm-conv-grad.ts';

const batch = Number(process.argv[2] ?? 16);
const builtinInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
if (!builtinInput) throw new Error('no built-in Conv2DBackpropInput');
const builtinInputConfig = { ...builtinInput };
if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend unavailable');

const x = tf.randomNormal([batch, 64, 64, 64]) as tf.Tensor4D;
const w = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
const dy = tf.randomNormal([batch, 64, 64, 64]) as tf.Tensor4D;
const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
const gflop = (2 * batch * 64 * 64 * 64 * 64 * 9) / 1e9;

function median(f: () => tf.Tensor, runs = 3): number {
  f().dispose();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const out = f();
    out.dataSync();
    times.push(performance.now() - t0);
    out.dispose();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function report(name: string, ms: number): void {
  console.log(`${name.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms  ${(gflop / (ms / 1000)).toFixed(2)} GFLOP/s`);
}

const input = (): tf.Tensor => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w },
  { ...attrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
const filter = (): tf.Tensor => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
  { ...attrs, filterShape: w.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;

console.log(`[${batch},64,64,64] -> 64, 3x3, stride 1, same (${gflop.toFixed(2)} GFLOP per call)`);
report('Conv2D forward (XNNPACK, reference)', median(() => tf.conv2d(x, w, 1, 'same')));
report('Conv2DBackpropInput built-in (wasm backend)', median(input, 1));
for (const impl of ['xnn', 'js'] as ConvGradImpl[]) {
  registerWasmTrainingKernels({ impl });
  report(`Conv2DBackpropInput project (${impl})`, median(input));
  report(`Conv2DBackpropFilter project (${impl})`, median(filter));
}
tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
tf.registerKernel(builtinInputConfig);
