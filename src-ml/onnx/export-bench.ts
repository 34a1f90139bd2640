/**
 * Base-CNN forward time, tfjs (wasm) against ONNX Runtime on the exported graph, same model and inputs.
 *
 *   tsx src-ml/onnx/export-bench.ts [--arch tiny-se-resnext] [--batch 32] [--sizes 64,256] [--runs 5]
 *
 * Prints one JSON line per image size: median ms per batch for tfjs and for ORT with 1 thread and with the
 * default thread count, the ratios, the export time and the load average (the machine is shared).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { baseArch } from '../models/base-cnn-presets.ts';
import { buildBaseCnn } from '../models/base-cnn.ts';
import { initBackend } from '../nn/backend.ts';
import { relErr } from '../testing/numeric.ts';
import { exportToOnnx } from './export.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up: kernels compiled, buffers allocated
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string', default: 'tiny-se-resnext' },
      batch: { type: 'string', default: '32' },
      sizes: { type: 'string', default: '64,256' },
      runs: { type: 'string', default: '5' },
    },
  });
  const batch = Number(values.batch);
  const runs = Number(values.runs);
  await initBackend({ purpose: 'infer' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
  for (const size of values.sizes.split(',').map(Number)) {
    const { featureModel } = buildBaseCnn(baseArch(values.arch), size, { seed: 1 });
    const t0 = performance.now();
    const onnx = exportToOnnx(featureModel, 'base-cnn');
    const exportMs = performance.now() - t0;
    const data = Float32Array.from({ length: batch * size * size }, (_, i) => ((i * 7919) % 2000) - 1000);
    const x = tf.tensor4d(data, [batch, size, size, 1]);
    let tfOut: Float32Array = new Float32Array(0);
    const tfjsMs = await timeIt(runs, async () => {
      const ys = featureModel.predict(x) as tf.Tensor[];
      tfOut = (await ys[1]!.data()) as Float32Array;
      tf.dispose(ys);
    });
    x.dispose();
    const ortMs: Record<string, number> = {};
    let maxErr = 0;
    for (const threads of [1, 0]) {
      const session = await ort.InferenceSession.create(onnx.bytes, threads ? { intraOpNumThreads: threads } : {});
      const feed = { [onnx.inputs[0]!.name]: new ort.Tensor('float32', data, [batch, size, size, 1]) };
      ortMs[threads ? 'ort1' : 'ortDefault'] = await timeIt(runs, async () => {
        const out = await session.run(feed);
        maxErr = Math.max(maxErr, relErr(out[onnx.outputs[1]!.name]!.data as Float32Array, tfOut));
      });
      await session.release();
    }
    featureModel.dispose();
    console.log(JSON.stringify({
      arch: values.arch, size, batch, runs,
      tfjsWasmMs: Math.round(tfjsMs),
      ort1ThreadMs: Math.round(ortMs['ort1']!),
      ortDefaultThreadsMs: Math.round(ortMs['ortDefault']!),
      speedup1Thread: +(tfjsMs / ortMs['ort1']!).toFixed(2),
      speedupDefault: +(tfjsMs / ortMs['ortDefault']!).toFixed(2),
      exportMs: Math.round(exportMs),
      onnxMb: +(onnx.bytes.length / 2 ** 20).toFixed(2),
      logitsRelErr: maxErr,
      loadavg: loadavg().map((l) => +l.toFixed(2)),
    }));
  }
}

await main();
