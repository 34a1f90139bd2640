// A few training steps of the tiny preset's CNN (SE-ResNeXt with grouped convs, SE, windowing, channel-group max
// pool, batch norm) with the project's BertAdam on webgpu and on cpu from the same weights: the losses agree to
// 1e-4 relative and every weight to 1e-4 of max(1, |w|) after 3 steps. A base-CNN run that the GPU fails in its
// second epoch, resumed from its first epoch's checkpoint on a new device. And `ich bench train` on webgpu.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { BASE_ARCHS } from '../models/base-cnn-presets.ts';
import { buildBaseCnn, isNoDecay } from '../models/base-cnn.ts';
import { getRun } from '../store/training-store.ts';
import { Workspace } from '../store/workspace.ts';
import { tempDir } from '../testing/fixtures.ts';
import { relErr } from '../testing/numeric.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { runDirOf } from '../store/workspace-paths.ts';
import { trainBase } from '../train/base-train.ts';
import { listCheckpoints } from '../train/checkpoint.ts';
import { testPreset } from '../train/test-preset.ts';
import { initBackend } from './backend.ts';
import { BertAdam } from './bert-adam.ts';
import { seeded } from './layers/layer-test-utils.ts';
import { webGpuState } from './webgpu-backend.ts';
import { webGpuForTests } from './webgpu-test-utils.ts';

const gpu = await webGpuForTests();
const run = gpu.skip ? it.skip : it;
const STEPS = 3;
const tmp = tempDir('ich-webgpu-train-');

afterAll(() => tmp.cleanup());

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

  run('a run the GPU fails in its second epoch stops with one line naming the adapter and resumes from epoch 1', async () => {
    const ws = Workspace.open(await makeSynthWorkspace(tmp.dir, { studies: 4, seed: 3, size: 64 }));
    try {
      const preset = testPreset({ imageSize: 32 });
      const m = preset.base[0]!;
      const opts = { ws, preset, model: m, fold: 0, folds: preset.folds, backend: 'webgpu' };
      await tf.setBackend('webgpu');
      let runId = '';
      let broken = false;
      const failing = trainBase({ ...opts, onEvent: (e) => {
        if ('runId' in e && e.runId) runId = e.runId;
        // a validation error nobody captures, in epoch 2: the device reports it asynchronously
        if (e.type === 'batch' && e.epoch === 2 && !broken) {
          broken = true;
          webGpuState()!.device.createBuffer({ size: 4, usage: 0 });
        }
      } });
      await expect(failing).rejects.toThrow(/^GPU failure on webgpu adapter .+: GPUValidationError: .+; the run stops here and its last epoch checkpoint is intact \(--resume continues it\)$/);
      expect(broken).toBe(true);
      expect(getRun(ws, runId)?.status).toBe('failed');
      expect(getRun(ws, runId)?.error).toMatch(/GPU failure on webgpu adapter/);
      expect(await listCheckpoints(runDirOf(ws, runId))).toEqual([1]);

      expect(await initBackend({ purpose: 'train' }, { env: { ...process.env, ICH_BACKEND: 'webgpu' }, log: () => undefined })).toBe('webgpu');
      const resumed = await trainBase(opts, runId);
      expect(resumed.status).toBe('done');
      expect(resumed.runId).toBe(runId);
      expect(await listCheckpoints(runDirOf(ws, runId))).toContain(2);
    } finally {
      ws.close();
      await tf.setBackend('cpu');
    }
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
