/**
 * Test helpers for the ONNX exporter: non-trivial weights (fresh batch norms are the identity, which would hide a
 * wrong statistic), ONNX Runtime runs, and Debian's python3-onnx checker (check_onnx.py beside this file).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { createRng } from '../base/random.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PYTHON = '/usr/bin/python3';

/** Whether Debian's python3-onnx is importable (the checker tests skip, saying so, when it is not). */
export function hasPythonOnnx(): boolean {
  return spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
}

export interface CheckResult {
  file: string;
  ok: boolean;
  error: string | null;
  opset?: number;
  ops?: string[];
}

/** Runs onnx.checker.check_model(full_check=True) on each model; one result per model, in order. */
export function checkOnnx(models: Record<string, Uint8Array>): Record<string, CheckResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-onnx-check-'));
  try {
    const files = Object.entries(models).map(([name, bytes]) => {
      const file = path.join(dir, `${name}.onnx`);
      writeFileSync(file, bytes);
      return [name, file] as const;
    });
    const r = spawnSync(PYTHON, [path.join(HERE, 'check_onnx.py'), ...files.map(([, f]) => f)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    if (lines.length !== files.length) throw new Error(`check_onnx.py: expected ${files.length} result lines, got ${lines.length}: ${r.stderr.trim()}`);
    return Object.fromEntries(files.map(([name], i) => [name, JSON.parse(lines[i]!) as CheckResult]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Gives every batch norm non-trivial statistics and affine terms, every bias a value, and embedding tables a
 * spread of about 1 (they start at std 0.01); kernels keep their random initial values.
 */
export function perturbWeights(model: tf.LayersModel, seed: number): void {
  const rng = createRng(seed);
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      const kind = w.originalName.split('/').pop() ?? '';
      const n = w.shape.reduce((a: number, d) => a * (d ?? 1), 1);
      let make: (() => number) | null = null;
      if (kind === 'gamma') make = () => rng.uniform(0.5, 1.5);
      else if (kind === 'beta' || kind === 'moving_mean') make = () => 0.3 * rng.normal();
      else if (kind === 'moving_variance') make = () => rng.uniform(0.5, 2);
      else if (kind === 'bias' && layer.getClassName() !== 'ICHWindowing') make = () => 0.1 * rng.normal();
      if (make) {
        const values = Float32Array.from({ length: n }, make);
        tf.tidy(() => {
          w.write(tf.tensor(values, w.shape as number[]));
        });
      } else if (kind.startsWith('emb_')) {
        tf.tidy(() => {
          w.write(tf.mul(w.read(), 100));
        });
      }
    }
  }
}

export type Feed = { data: Float32Array | Int32Array; dims: number[] };

/** Runs a model on ONNX Runtime; outputs in the given order as flat Float32Arrays. */
export async function runOnnx(bytes: Uint8Array, feeds: Record<string, Feed>, outputNames: string[],
  options: ort.InferenceSession.SessionOptions = {}): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes, options);
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([name, f]) =>
      [name, new ort.Tensor(f.data instanceof Int32Array ? 'int32' : 'float32', f.data, f.dims)]));
    const out = await session.run(inputs);
    return outputNames.map((n) => {
      const t = out[n];
      if (!t) throw new Error(`ONNX Runtime gave no output ${n}`);
      return t.data as Float32Array;
    });
  } finally {
    await session.release();
  }
}

/** The tfjs forward on the same feeds (inputs in the model's order), outputs as flat arrays. */
export function runTfjs(model: tf.LayersModel, feeds: Feed[]): Float32Array[] {
  return tf.tidy(() => {
    const xs = feeds.map((f) => (f.data instanceof Int32Array ? tf.tensor(f.data, f.dims, 'int32') : tf.tensor(f.data, f.dims)));
    const ys = model.predict(xs.length === 1 ? xs[0]! : xs);
    return (Array.isArray(ys) ? ys : [ys]).map((y) => Float32Array.from(y.dataSync()));
  });
}
