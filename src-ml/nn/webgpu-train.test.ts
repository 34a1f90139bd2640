// A few training steps of the tiny preset's CNN (SE-ResNeXt with grouped convs, SE, windowing, channel-group max
// pool, batch norm) with the project's BertAdam on webgpu and on cpu from the same weights: the losses agree to
// 1e-4 relative and every weight to 1e-4 of max(1, |w|) after 3 steps. And `ich bench train` on webgpu.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BASE_ARCHS } from '../models/base-cnn-presets.ts';
import { buildBaseCnn, isNoDecay } from '../models/base-cnn.ts';
import { relErr } from '../testing/numeric.ts';
import { BertAdam } from './bert-adam.ts';
import { seeded } from './layers/layer-test-utils.ts';
import { webGpuForTests } from './webgpu-test-utils.ts';

const gpu = await webGpuForTests();
const run = gpu.skip ? it.skip : it;
const STEPS = 3;

async function trainOn(backend: 'webgpu' | 'cpu', x: Float32Array, y: Float32Array, size: number): Promise<{ losses: number[]; weights: Float32Array[] }> {
  await tf.setBackend(backend);
  // no dropout: its masks are random per backend
  const arch = { ...BASE_ARCHS['tiny-se-resnext']!, dropout: 0 };
  const { trainModel } = buildBaseCnn(arch, size, { seed: 7 });
  const optimizer = new BertAdam((name) => ({ lr: 1e-3, weightDecay: isNoDecay(name) ? 0 : 0.01 }), { maxGradNorm: 1 });
  trainModel.compile({ optimizer, loss: (t: tf.Tensor, p: tf.Tensor) => tf.losses.sigmoidCrossEntropy(t, p) });
  const batch = y.length / 6;
  const xt = tf.tensor4d(x, [batch, size, size, 1]);
  const yt = tf.tensor2d(y, [batch, 6]);
  const losses: number[] = [];
  for (let i = 0; i < STEPS; i++) losses.push(Number(await trainModel.trainOnBatch(xt, yt)));
  const weights = await Promise.all(trainModel.weights.map(async (w) => Float32Array.from((await w.read().data()) as Float32Array)));
  tf.dispose([xt, yt]);
  optimizer.dispose();
  trainModel.dispose();
  return { losses, weights };
}

describe('training on webgpu', () => {
  run(`${STEPS} steps of the tiny SE-ResNeXt with BertAdam equal cpu's`, async () => {
    const size = 32;
    const batch = 4;
    const x = seeded(batch * size * size, 11, 300, 40);
    const y = Float32Array.from(seeded(batch * 6, 12), (v) => (v > 0 ? 1 : 0));
    const g = await trainOn('webgpu', x, y, size);
    const c = await trainOn('cpu', x, y, size);
    expect(relErr(g.losses, c.losses)).toBeLessThan(1e-4);
    expect(g.losses[STEPS - 1]).not.toBe(g.losses[0]);
    expect(g.weights.length).toBe(c.weights.length);
    let worst = 0;
    g.weights.forEach((w, i) => {
      worst = Math.max(worst, relErr(w, c.weights[i]!));
    });
    expect(worst).toBeLessThan(1e-4);
  }, 600_000);

  run('ICH_BACKEND=webgpu ich bench train --model bench-seq --json reports "backend":"webgpu"', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/ich.js', 'bench', 'train', '--model', 'bench-seq', '--json', '--steps', '1', '--infer-iters', '1'],
      { env: { ...process.env, ICH_BACKEND: 'webgpu' }, timeout: 540_000 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { backend: string; trainStepMedianMs: number; inferPerSec: number };
    expect(result.backend).toBe('webgpu');
    expect(result.trainStepMedianMs).toBeGreaterThan(0);
    expect(result.inferPerSec).toBeGreaterThan(0);
    expect(stderr).toMatch(/\[nn\] backend: webgpu \(adapter: .+\) for train \[forced by ICH_BACKEND\]/);
  }, 600_000);
});
