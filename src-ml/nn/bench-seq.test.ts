import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { buildBenchSeq } from './bench-seq.ts';

describe('BenchSeq', () => {
  it('has the 394,886 parameters of bench-models.md and trains 3 steps on the selected backend', async () => {
    const backend = await initBackend({ purpose: 'train' }, { log: () => undefined });
    expect(tf.getBackend()).toBe(backend);
    const model = buildBenchSeq();
    expect(model.countParams()).toBe(394_886);
    expect(model.outputs[0]!.shape).toEqual([null, 60, 6]);
    const x = tf.randomUniform([4, 60, 256], 0, 1, 'float32', 5);
    const y = tf.cast(tf.greater(tf.randomUniform([4, 60, 6], 0, 1, 'float32', 6), 0.5), 'float32');
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push(Number(await model.trainOnBatch(x, y)));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    model.dispose();
    tf.dispose([x, y]);
  });
});
