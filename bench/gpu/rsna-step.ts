/**
 * One `rsna` base-CNN training step at full size, the way `ich train base` takes it: the preset's
 * se_resnext101_32x4d (47M parameters, windowing layer, grouped convs, SE, channel-group max pool) at 512 px,
 * batch 8, BertAdam with the preset's per-group rates and clipping, the preset's loss, on random HU images.
 *
 *   tsx bench/gpu/rsna-step.ts [--model se_resnext101_32x4d_5] [--size 512] [--batch 8] [--steps 2] [--json]
 *
 * The first step compiles the GPU programs and is reported apart (warmupMs); the figure is the median of the
 * timed steps: imagesPerSec = batch / step time. The backend is the chain's (ICH_BACKEND forces one); the first
 * stderr line names it and, on webgpu, the adapter. Last stdout line with --json:
 * {"backend","adapter","model","arch","size","batch","params","warmupMs","stepMs":[...],"stepMedianMs","imagesPerSec"}
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-ml/nn/backend.ts';
import { BertAdam } from '../../src-ml/nn/bert-adam.ts';
import { lossFunction } from '../../src-ml/nn/losses.ts';
import { BASE_ARCHS } from '../../src-ml/models/base-cnn-presets.ts';
import { buildBaseCnn, countParams, isNoDecay, paramGroupOf } from '../../src-ml/models/base-cnn.ts';
import { loadPreset } from '../../src-ml/train/presets.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function positive(name: string, fallback: number): number {
  const v = Number(flag(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer, got ${flag(name, '')}`);
  return v;
}

const json = process.argv.includes('--json');
const size = positive('--size', 512);
const batch = positive('--batch', 8);
const steps = positive('--steps', 2);
const modelName = flag('--model', 'se_resnext101_32x4d_5');

const preset = loadPreset('rsna');
const m = preset.base.find((b) => b.name === modelName);
if (!m) throw new Error(`preset rsna has no base model ${modelName} (has: ${preset.base.map((b) => b.name).join(', ')})`);
const arch = BASE_ARCHS[m.arch];
if (!arch) throw new Error(`unknown arch ${m.arch}`);

let backendLine = '';
const backend = await initBackend({ purpose: 'train' }, {
  log: (line) => {
    backendLine = line;
    process.stderr.write(`${line}\n`);
  },
});
const adapter = /\(adapter: (.+)\) for train/.exec(backendLine)?.[1] ?? null;

const { trainModel } = buildBaseCnn(arch, size, { seed: 1 });
const optimizer = new BertAdam((name) => {
  const lr = m.optimizer.lr[paramGroupOf(arch, name)];
  if (lr === undefined) throw new Error(`rsna ${m.name}: no learning rate for ${name}`);
  return { lr, weightDecay: isNoDecay(name) ? 0 : m.optimizer.weightDecay };
}, { maxGradNorm: m.optimizer.maxGradNorm });
trainModel.compile({ optimizer, loss: lossFunction(m.loss) });

// HU from air to bone; labels with a few positives
const x = tf.randomUniform([batch, size, size, 1], -1000, 1500, 'float32', 3);
const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([batch, 6], 0, 1, 'float32', 4), 0.7), 'float32'));

const stepMs: number[] = [];
let warmupMs = 0;
for (let i = 0; i <= steps; i++) {
  const t0 = performance.now();
  const loss = Number(await trainModel.trainOnBatch(x, y));
  const ms = performance.now() - t0;
  if (i === 0) warmupMs = ms;
  else stepMs.push(ms);
  process.stderr.write(`${m.name} ${size} px batch ${batch} step ${i}${i === 0 ? ' (warm-up: program compilation)' : ''}: ${ms.toFixed(0)} ms, loss ${loss.toFixed(4)}\n`);
}
const sorted = [...stepMs].sort((a, b) => a - b);
const stepMedianMs = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
const result = {
  backend, adapter, model: m.name, arch: m.arch, size, batch, params: countParams(trainModel),
  warmupMs: Math.round(warmupMs), stepMs: stepMs.map((v) => Math.round(v)), stepMedianMs: Math.round(stepMedianMs),
  imagesPerSec: Number(((batch * 1000) / stepMedianMs).toFixed(2)),
};
tf.dispose([x, y]);
optimizer.dispose();
trainModel.dispose();
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else process.stdout.write(`${m.name} on ${backend}${adapter ? ` (${adapter})` : ''}: ${size} px, batch ${batch}: ${result.imagesPerSec} images/s (step ${result.stepMedianMs} ms, first step ${result.warmupMs} ms)\n`);
