import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { buildBenchCNN } from './bench-cnn.ts';

describe('BenchCNN', () => {
  it('has the 809,889 trainable parameters of bench-models.md and trains on wasm', async () => {
    expect(await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined })).toBe('wasm');
    const model = buildBenchCNN(32);
    const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
    expect(trainable).toBe(809_889);
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3);
    const y = tf.tensor2d([[1], [0]]);
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push(Number(await model.trainOnBatch(x, y)));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    model.dispose();
    tf.dispose([x, y]);
  });
});
