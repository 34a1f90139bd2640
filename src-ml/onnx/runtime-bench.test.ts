import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../nn/backend.ts';
import { buildBenchCNN } from '../nn/bench-cnn.ts';
import { buildBenchSeq } from '../nn/bench-seq.ts';
import { measureOnnxInference } from './runtime-bench.ts';

beforeAll(async () => {
  await initBackend({ purpose: 'infer' }, { log: () => {} });
}, 60_000);

describe('measureOnnxInference', () => {
  it('times BenchCNN and BenchSeq (through a rank-4 replay) on ONNX Runtime, outputs equal to tfjs', async () => {
    for (const [build, shape] of [[buildBenchCNN, [4, 128, 128, 3]], [buildBenchSeq, [4, 60, 256]]] as const) {
      const model = build();
      const x = tf.randomUniform([...shape], 0, 1, 'float32', 5);
      const lines: string[] = [];
      try {
        const r = await measureOnnxInference(model, x, { warmup: 1, iters: 2, label: model.name, progress: (l) => lines.push(l) });
        expect(r.onnxError).toBeUndefined();
        expect(r.onnxInferPerSec).toBeGreaterThan(0);
        expect(r.onnxThreads).toBeGreaterThanOrEqual(1);
        expect(r.onnxMaxAbsDiff).toBeLessThan(1e-4);
        expect(lines).toHaveLength(1);
        // The replay shares the layers: the model still runs (nothing of it was disposed).
        tf.tidy(() => model.predict(x));
      } finally {
        x.dispose();
        model.optimizer?.dispose();
        model.dispose();
      }
    }
  }, 120_000);

  it('a model it cannot export gives a null figure and the reason, not an error', async () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const model = tf.model({ inputs: input, outputs: tf.layers.upSampling2d({}).apply(input) as tf.SymbolicTensor });
    const x = tf.zeros([1, 4, 4, 1]);
    const r = await measureOnnxInference(model, x, { warmup: 0, iters: 1, label: 'odd' });
    expect(r.onnxInferPerSec).toBeNull();
    expect(r.onnxError).toMatch(/UpSampling2D cannot be exported/);
    x.dispose();
    model.dispose();
  });
});
