import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { TorchAdam } from './torch-adam.ts';

beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { log: () => {} });
});

describe('TorchAdam', () => {
  it('matches torch.optim.Adam steps computed by hand (bias correction, coupled L2, eps 1e-8)', () => {
    // lr 0.1, betas (0.9, 0.99), weight_decay 0.1. Step 1 by hand: p0: g = 0.5 + 0.1·1 = 0.6,
    // m = 0.06, v = 0.0036, m̂ = 0.6, sqrt(v̂) = 0.6, p = 1 - 0.1·0.6 / (0.6 + 1e-8) = 0.9 + 1.7e-9;
    // p1: g = 0 + 0.1·(-2) = -0.2 -> p = -1.9. Steps 2 and 3 in float64 by the same formulas.
    const p = tf.variable(tf.tensor1d([1, -2]), true, 'torch_adam_test_p');
    const opt = new TorchAdam({ lr: 0.1, beta1: 0.9, beta2: 0.99, weightDecay: 0.1 });
    expect(opt.epsilon).toBe(1e-8);
    const grads = [[0.5, 0], [-0.2, 1e-3], [0.3, -4]];
    const expected = [[0.9000000016666666, -1.9000000049999997], [0.8474076444162677, -1.8001745628451122], [0.7788751504040461, -1.7316740545285525]];
    for (let s = 0; s < 3; s++) {
      const g = tf.tensor1d(grads[s]!);
      opt.applyGradients({ torch_adam_test_p: g });
      g.dispose();
      const got = p.dataSync();
      expect(got[0]).toBeCloseTo(expected[s]![0]!, 5);
      expect(got[1]).toBeCloseTo(expected[s]![1]!, 5);
    }
    expect(opt.iterations).toBe(3);
    // reset = a new Adam: the first step after it is again ±lr·sign(g) (for a gradient far above eps).
    opt.reset(0.01);
    const before = p.dataSync()[0]!;
    const g = tf.tensor1d([5, 5]);
    opt.applyGradients([{ name: 'torch_adam_test_p', tensor: g }]);
    g.dispose();
    expect(p.dataSync()[0]).toBeCloseTo(before - 0.01, 6);
    const n = tf.memory().numTensors;
    opt.dispose();
    expect(tf.memory().numTensors).toBe(n - 2); // the two moments
    p.dispose();
  });

  it('drives trainOnBatch and leaks no tensors per step', async () => {
    const input = tf.input({ shape: [3] });
    const out = tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const opt = new TorchAdam({ lr: 0.05, beta2: 0.99, weightDecay: 1e-4 });
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const x = tf.tensor2d([[1, 2, 3], [0, 1, 0], [-1, 0, 2], [2, 2, 2]]);
    const y = tf.tensor2d([[1], [0], [1], [2]]);
    const first = (await model.trainOnBatch(x, y)) as number;
    const n = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 100; i++) last = (await model.trainOnBatch(x, y)) as number;
    expect(tf.memory().numTensors).toBe(n);
    expect(last).toBeLessThan(first);
    tf.dispose([x, y]);
    model.dispose();
    opt.dispose();
  });
});
