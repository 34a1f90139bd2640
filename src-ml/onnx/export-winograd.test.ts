/**
 * Kernel-3 Conv1D exported as Winograd F(4, 3) (export-winograd.ts): the transformed kernel against a float64
 * direct correlation, and whole sequence models (BenchSeq; 'same' and 'valid' convolutions at lengths
 * that do not fill the last tile) against the tfjs forward on ONNX Runtime within 1e-4, through onnx.checker.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { initBackend } from '../nn/backend.ts';
import { buildBenchSeq } from '../nn/bench-seq.ts';
import { relErr } from '../testing/numeric.ts';
import { exportToOnnx, type OnnxExport } from './export.ts';
import { checkOnnx, hasPythonOnnx, perturbWeights, runOnnx, runTfjs } from './export-test-utils.ts';
import { winogradApplies, winogradKernel } from './export-winograd.ts';
import { asRank4 } from './runtime-bench.ts';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await initBackend({ purpose: 'infer' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
});

function normal(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

const BT = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]];
const AT = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]];

describe('winogradKernel', () => {
  it('with the input and output transforms, gives the 4 outputs of a 3-tap correlation over a 6-wide tile', () => {
    const cin = 3;
    const cout = 2;
    const kernel = normal(3 * cin * cout, 1);
    const v = winogradKernel(kernel, cin, cout);
    const tile = Array.from({ length: 6 }, (_, j) => Array.from(normal(cin, 10 + j)));
    for (let o = 0; o < cout; o++) {
      // m_i = sum_c (B^T d)_i[c] * V_i[c, o]; y = A^T m
      const m = BT.map((row, i) => {
        let s = 0;
        for (let c = 0; c < cin; c++) s += row.reduce((acc, b, j) => acc + b * tile[j]![c]!, 0) * v[(i * cin + c) * cout + o]!;
        return s;
      });
      const got = AT.map((row) => row.reduce((acc, a, i) => acc + a * m[i]!, 0));
      const want = [0, 1, 2, 3].map((r) => {
        let s = 0;
        for (let k = 0; k < 3; k++) for (let c = 0; c < cin; c++) s += kernel[(k * cin + c) * cout + o]! * tile[r + k]![c]!;
        return s;
      });
      got.forEach((y, r) => expect(y).toBeCloseTo(want[r]!, 5));
    }
  });

  it('refuses a kernel of the wrong size, in one line', () => {
    expect(() => winogradKernel(new Float32Array(5), 1, 2)).toThrow(/^Winograd kernel: 5 values for \[3, 1, 2\]$/);
  });

  it('applies to kernel 3, stride 1, dilation 1, one group, a known length only', () => {
    expect(winogradApplies(3, 1, 1, 1, 60)).toBe(true);
    expect(winogradApplies(5, 1, 1, 1, 60)).toBe(false);
    expect(winogradApplies(3, 2, 1, 1, 60)).toBe(false);
    expect(winogradApplies(3, 1, 2, 1, 60)).toBe(false);
    expect(winogradApplies(3, 1, 1, 2, 60)).toBe(false);
    expect(winogradApplies(3, 1, 1, 1, null)).toBe(false);
  });
});

/** 'same' and 'valid' convolutions, the last without bias, then a dense layer per position (tfjs has no causal Conv1D). */
function paddingsModel(length: number, features: number): tf.LayersModel {
  const input = tf.input({ shape: [length, features] });
  let x = tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv1d({ filters: 6, kernelSize: 3, padding: 'valid' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv1d({ filters: 5, kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2 }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

interface SeqCase { label: string; length: number; features: number; build: () => tf.LayersModel }

const CASES: SeqCase[] = [
  { label: 'BenchSeq (L 60, 256 features)', length: 60, features: 256, build: () => buildBenchSeq() },
  // 13 -> 13 -> 11 -> 11 positions: 4, 3 and 3 tiles, each with a partial last tile
  { label: 'same / valid / same at L 13', length: 13, features: 7, build: () => paddingsModel(13, 7) },
  // shorter than one tile
  { label: 'same / valid / same at L 3', length: 3, features: 4, build: () => paddingsModel(3, 4) },
];

const exported = new Map<string, { model: tf.LayersModel; onnx: OnnxExport }>();

async function exportOf(c: SeqCase): Promise<{ model: tf.LayersModel; onnx: OnnxExport }> {
  let e = exported.get(c.label);
  if (!e) {
    const model = c.build();
    perturbWeights(model, 5);
    const rank4 = asRank4(model);
    try {
      e = { model, onnx: await exportToOnnx(rank4, 'pooled-res') };
    } finally {
      rank4.dispose();
    }
    exported.set(c.label, e);
  }
  return e;
}

afterAll(() => {
  for (const { model } of exported.values()) model.dispose();
});

describe.each(CASES)('$label', (c) => {
  it('equals the tfjs forward on ONNX Runtime within 1e-4 at batch 1 and 3, with no Conv left', async () => {
    const { model, onnx } = await exportOf(c);
    for (const batch of [1, 3]) {
      const data = normal(batch * c.length * c.features, 20 + batch);
      const [want] = runTfjs(model, [{ data, dims: [batch, c.length, c.features] }]);
      const [got] = await runOnnx(onnx.bytes, { [onnx.inputs[0]!.name]: { data, dims: [batch, c.length, 1, c.features] } }, [onnx.outputs[0]!.name]);
      expect(got!.length).toBe(want!.length);
      expect(relErr(got!, want!)).toBeLessThan(TOLERANCE);
    }
  });
});

describe.skipIf(!hasPythonOnnx())('onnx.checker.check_model(full_check=True)', () => {
  it('accepts the Winograd graphs, which hold no Conv', async () => {
    const results = checkOnnx(Object.fromEntries(await Promise.all(CASES.map(async (c, i) => [`seq${i}`, (await exportOf(c)).onnx.bytes] as const))));
    CASES.forEach((c, i) => {
      expect(results[`seq${i}`]!.error, c.label).toBeNull();
      expect(results[`seq${i}`]!.ops).not.toContain('Conv');
      expect(results[`seq${i}`]!.ops).toContain('Gather');
    });
  });
});
