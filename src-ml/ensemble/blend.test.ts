import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { weightedLogLoss } from '../metrics/log-loss.ts';
import { hasPythonModules } from '../testing/fixtures.ts';
import { applyBlend, BLEND_CLIP_HI, BLEND_CLIP_LO, fitBlend, fitBlendWithOof, solveTwoWeight } from './blend.ts';
import { imageWeightedLogLoss } from './image-weighted-loss.ts';
import { rng, syntheticClass, syntheticImages } from './test-data.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HAS_SCIPY = hasPythonModules('scipy', 'numpy');

/** Direct evaluation of the objective (the definition, no derivatives). */
function objective(x: [number, number], a: Float64Array, b: Float64Array, y: Uint8Array, w?: Float64Array): number {
  let f = 0;
  let ws = 0;
  for (let i = 0; i < a.length; i++) {
    const wi = w ? w[i]! : 1;
    const p = Math.min(BLEND_CLIP_HI, Math.max(BLEND_CLIP_LO, x[0] * a[i]! + x[1] * b[i]!));
    f -= wi * (y[i] ? Math.log(p) : Math.log(1 - p));
    ws += wi;
  }
  return f / ws;
}

/** Brute force: the best point of a fine grid over the polygon (a lower-precision but independent check). */
function gridMin(a: Float64Array, b: Float64Array, y: Uint8Array, w?: Float64Array): number {
  let best = Infinity;
  for (let s = 0.98; s <= 1 + 1e-12; s += 0.005) {
    for (let x1 = 0; x1 <= s + 1e-12; x1 += 0.01) best = Math.min(best, objective([Math.min(x1, s), s - Math.min(x1, s)], a, b, y, w));
  }
  return best;
}

interface Case {
  name: string;
  a: Float64Array;
  b: Float64Array;
  y: Uint8Array;
  w?: Float64Array;
}

function cases(): Case[] {
  const out: Case[] = [];
  const add = (name: string, c: ReturnType<typeof syntheticClass>, w?: Float64Array): void => {
    out.push({ name, a: c.a, b: c.b, y: c.y, ...(w ? { w } : {}) });
  };
  add('calibrated, both informative (inside the band)', syntheticClass(1, 3000, { prevalence: 0.14, sigmaA: 0.6, sigmaB: 0.9 }));
  add('over-confident x1.06 (shrink to the 0.98 edge)', syntheticClass(2, 3000, { prevalence: 0.1, sigmaA: 0.5, sigmaB: 0.5, scale: 1.06 }));
  add('slightly over-confident x1.01 (0.98 edge)', syntheticClass(3, 4000, { prevalence: 0.2, sigmaA: 0.4, sigmaB: 0.7, scale: 1.01 }));
  add('under-confident x0.9 (sum = 1 edge)', syntheticClass(7, 3000, { prevalence: 0.14, sigmaA: 0.2, sigmaB: 0.6, scale: 0.9 }));
  add('group B is noise (x2 = 0 edge)', syntheticClass(4, 3000, { prevalence: 0.1, sigmaA: 0.5, sigmaB: 0, bNoise: true }));
  add('rare class (epidural-like prevalence)', syntheticClass(5, 5000, { prevalence: 0.006, sigmaA: 0.8, sigmaB: 0.5 }));
  const u = rng(99);
  const weighted = syntheticClass(6, 3000, { prevalence: 0.14, sigmaA: 0.7, sigmaB: 0.7 });
  const w = new Float64Array(3000).map(() => (u() < 0.1 ? 0 : 0.2 + 2 * u()));
  add('image weights (10% zero)', weighted, w);
  return out;
}

describe('solveTwoWeight', () => {
  const all = cases();

  it('is feasible, beats or matches a fine grid, and reports the loss at its x', () => {
    for (const c of all) {
      const r = solveTwoWeight(c.a, c.b, c.y, c.w);
      const s = r.x[0] + r.x[1];
      expect(r.x[0]).toBeGreaterThanOrEqual(0);
      expect(r.x[1]).toBeGreaterThanOrEqual(0);
      expect(s).toBeGreaterThanOrEqual(0.98);
      expect(s).toBeLessThanOrEqual(1);
      expect(r.loss).toBeCloseTo(objective(r.x, c.a, c.b, c.y, c.w), 13);
      expect(r.loss, c.name).toBeLessThanOrEqual(gridMin(c.a, c.b, c.y, c.w) + 1e-13);
    }
  });

  it('finds an interior minimum when the predictors are a known shrink away from calibrated', () => {
    // b = a, so only the sum matters; a = 0.5 for all, 49.5% positives: the best sum is 0.99 (p = 0.495).
    const n = 1000;
    const a = new Float64Array(n).fill(0.5);
    const y = new Uint8Array(n).map((_, i) => (i < 495 ? 1 : 0));
    const r = solveTwoWeight(a, a.slice(), y);
    expect(r.x[0] + r.x[1]).toBeCloseTo(0.99, 10);
    expect(r.loss).toBeCloseTo(-(0.495 * Math.log(0.495) + 0.505 * Math.log(0.505)), 12);
  });

  it('takes the corner when one predictor is perfect', () => {
    const y = new Uint8Array([0, 1, 0, 1, 1, 0]);
    const a = new Float64Array(y).map((v) => (v ? 0.999 : 0.001));
    const b = new Float64Array([0.5, 0.4, 0.6, 0.5, 0.3, 0.7]);
    const r = solveTwoWeight(a, b, y);
    expect(r.x).toEqual([1, 0]);
  });

  it('refuses mismatched lengths and all-zero weights', () => {
    const a = new Float64Array([0.5]);
    expect(() => solveTwoWeight(a, new Float64Array(2), new Uint8Array(1))).toThrow(/lengths/);
    expect(() => solveTwoWeight(a, a, new Uint8Array(1), new Float64Array([0]))).toThrow(/sum to 0/);
  });

  describe.skipIf(!HAS_SCIPY)("against the seed's scipy trust-constr fit (needs /usr/bin/python3 with scipy and numpy)", () => {
    let ref: { x: [number, number]; loss: number; status: number }[] = [];
    beforeAll(() => {
      const input = JSON.stringify(all.map((c) => ({ a: [...c.a], b: [...c.b], y: [...c.y], w: c.w ? [...c.w] : null })));
      ref = JSON.parse(execFileSync('/usr/bin/python3', [path.join(HERE, 'reference_blend.py')], { input, maxBuffer: 1 << 24 }).toString());
    }, 120_000);

    it('weights agree to 1e-4 and the loss to 1e-7 (ours never worse)', () => {
      const rows: string[] = [];
      all.forEach((c, j) => {
        const r = solveTwoWeight(c.a, c.b, c.y, c.w);
        const s = ref[j]!;
        const dx = Math.max(Math.abs(r.x[0] - s.x[0]), Math.abs(r.x[1] - s.x[1]));
        const dl = r.loss - s.loss;
        rows.push(`${c.name}: ours (${r.x[0].toFixed(6)}, ${r.x[1].toFixed(6)}) scipy (${s.x[0].toFixed(6)}, ${s.x[1].toFixed(6)}) |dx| ${dx.toExponential(2)} dloss ${dl.toExponential(2)}`);
        expect(dx, c.name).toBeLessThan(1e-4);
        expect(Math.abs(dl), c.name).toBeLessThan(1e-7);
        expect(dl, c.name).toBeLessThanOrEqual(1e-12);
      });
      console.log(rows.join('\n'));
    });
  });
});

describe('fitBlend / applyBlend (per class, fitted on the other folds, fold-averaged)', () => {
  const n = 1500;
  const truthSet = syntheticImages(11, n, 0);
  const A = syntheticImages(11, n, 0.6).probs;
  const B = syntheticImages(11, n, 0.9).probs;
  const labels = truthSet.labels;
  const folds = new Int32Array(n).map((_, i) => [2, 0, 5][i % 3]!);
  const weights = new Float32Array(n).map((_, i) => 0.5 + (i % 7) / 4);

  function column(src: Float32Array | Uint8Array, k: number, keep: (i: number) => boolean): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (keep(i)) out.push(src[i * 6 + k]!);
    return out;
  }

  it('each fold vector is the two-weight fit on the other folds; mean, OOF metric and prediction follow', () => {
    const { fit, oof } = fitBlendWithOof(A, B, labels, folds);
    expect(fit.folds).toEqual([0, 2, 5]);
    expect(fit.classes.map((c) => c.label)).toEqual(['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any']);
    const expectedOof = new Float64Array(n * 6);
    fit.classes.forEach((c, k) => {
      fit.folds.forEach((held, j) => {
        const train = (i: number): boolean => folds[i] !== held;
        const direct = solveTwoWeight(
          Float64Array.from(column(A, k, train)),
          Float64Array.from(column(B, k, train)),
          Uint8Array.from(column(labels, k, train)),
        );
        expect(c.perFold[j]).toEqual(direct.x);
        for (let i = 0; i < n; i++) if (folds[i] === held) expectedOof[i * 6 + k] = direct.x[0] * A[i * 6 + k]! + direct.x[1] * B[i * 6 + k]!;
      });
      expect(c.mean[0]).toBeCloseTo((c.perFold[0]![0] + c.perFold[1]![0] + c.perFold[2]![0]) / 3, 15);
      expect(c.mean[1]).toBeCloseTo((c.perFold[0]![1] + c.perFold[1]![1] + c.perFold[2]![1]) / 3, 15);
    });
    for (let t = 0; t < n * 6; t++) expect(oof[t]).toBeCloseTo(expectedOof[t]!, 6);
    const cv = weightedLogLoss(oof, labels);
    expect(fit.cvMetric).toBeCloseTo(cv.loss, 14);
    expect(fit.cvPerClass.any).toBeCloseTo(cv.perClass.any, 14);
    expect(fit.cvWeightedMetric).toBeUndefined();

    // The prediction is the mean over the three fold fits of x.X.
    const pred = applyBlend(fit, A, B);
    for (let i = 0; i < 20; i++) {
      for (let k = 0; k < 6; k++) {
        const per = fit.classes[k]!.perFold.map((x) => x[0] * A[i * 6 + k]! + x[1] * B[i * 6 + k]!);
        expect(pred[i * 6 + k]).toBeCloseTo((per[0]! + per[1]! + per[2]!) / 3, 6);
      }
    }
    // The blend of two noisy predictors beats the better one alone out of fold.
    expect(fit.cvMetric).toBeLessThan(weightedLogLoss(A, labels).loss);
    // Weights lean to the less noisy group A.
    for (const c of fit.classes.slice(1)) expect(c.mean[0]).toBeGreaterThan(c.mean[1]);
  });

  it('a weighted fit uses the image weights and reports the weighted OOF metric', () => {
    const unweighted = fitBlend(A, B, labels, folds);
    const weighted = fitBlendWithOof(A, B, labels, folds, weights);
    expect(weighted.fit.classes.map((c) => c.perFold)).not.toEqual(unweighted.classes.map((c) => c.perFold));
    expect(weighted.fit.cvWeightedMetric).toBeCloseTo(imageWeightedLogLoss(weighted.oof, labels, weights).loss, 14);
  });

  it('needs two folds and matching sizes', () => {
    expect(() => fitBlend(A, B, labels, new Int32Array(n))).toThrow(/at least 2 folds/);
    expect(() => fitBlend(A, B.subarray(6), labels, folds)).toThrow(/sizes differ/);
  });
});
