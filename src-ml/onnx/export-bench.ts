/**
 * Base-CNN forward time, tfjs (wasm) against ONNX Runtime on the exported graph, same model and inputs.
 *
 *   tsx src-ml/onnx/export-bench.ts [--arch tiny-se-resnext] [--batch 32] [--sizes 64,256] [--runs 5]
 *
 * Prints one JSON line per image size: median ms per batch for tfjs and for ORT with 1 thread, with the default
 * thread count, and with the default count not spinning; tfjs ms / ORT ms; the export time; the load average.
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

/** Median ms of each contender, run in turn (interleaved, so load changes on the shared machine hit all alike). */
async function timeInTurn(runs: number, contenders: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const ms: Record<string, number[]> = {};
  for (const [name, f] of Object.entries(contenders)) {
    await f(); // warm-up: kernels compiled, buffers allocated
    ms[name] = [];
  }
  for (let i = 0; i < runs; i++) {
    for (const [name, f] of Object.entries(contenders)) {
      const t0 = performance.now();
      await f();
      ms[name]!.push(performance.now() - t0);
    }
  }
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, median(v)]));
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
    const onnx = await exportToOnnx(featureModel, 'base-cnn');
    const exportMs = performance.now() - t0;
    const data = Float32Array.from({ length: batch * size * size }, (_, i) => ((i * 7919) % 2000) - 1000);
    const x = tf.tensor4d(data, [batch, size, size, 1]);
    let tfOut: Float32Array = new Float32Array(0);
    let maxErr = 0;
    const one = await ort.InferenceSession.create(onnx.bytes, { intraOpNumThreads: 1 });
    const all = await ort.InferenceSession.create(onnx.bytes);
    // idle intra-op threads sleep instead of spinning: on a shared machine spinning steals the other threads' core
    const noSpin = await ort.InferenceSession.create(onnx.bytes, { extra: { session: { intra_op: { allow_spinning: '0' } } } });
    const feed = { [onnx.inputs[0]!.name]: new ort.Tensor('float32', data, [batch, size, size, 1]) };
    const runOrt = (session: typeof one) => async (): Promise<void> => {
      const out = await session.run(feed);
      if (tfOut.length > 0) maxErr = Math.max(maxErr, relErr(out[onnx.outputs[1]!.name]!.data as Float32Array, tfOut));
    };
    const ms = await timeInTurn(runs, {
      tfjs: async () => {
        const ys = featureModel.predict(x) as tf.Tensor[];
        tfOut = (await ys[1]!.data()) as Float32Array;
        tf.dispose(ys);
      },
      ort1: runOrt(one),
      ortDefault: runOrt(all),
      ortDefaultNoSpin: runOrt(noSpin),
    });
    x.dispose();
    await one.release();
    await all.release();
    await noSpin.release();
    featureModel.dispose();
    console.log(JSON.stringify({
      arch: values.arch, size, batch, runs,
      ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v)])),
      speedup: Object.fromEntries(Object.entries(ms).filter(([k]) => k !== 'tfjs').map(([k, v]) => [k, +(ms['tfjs']! / v).toFixed(2)])),
      exportMs: Math.round(exportMs),
      onnxMb: +(onnx.bytes.length / 2 ** 20).toFixed(2),
      logitsRelErr: maxErr,
      loadavg: loadavg().map((l) => +l.toFixed(2)),
    }));
  }
}

await main();
