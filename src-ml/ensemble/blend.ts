// The per-class two-weight blend (docs/seed-pipeline.md section 7 step 3, `train_ensemble`). For class t,
// X = [mean of group A (Zahar's shallow NNs), mean of group B (Yuval's Pooled-Res)] and the weights
// x = (x1, x2) minimise the (image-weighted) log loss of clip(x.X, 1e-15, 1 - 1e-5) over the polygon
//   x1 >= 0, x2 >= 0, 0.98 <= x1 + x2 <= 1   (which implies x <= 1).
// The seed used scipy's trust-constr (an interior-point method). Here the minimum is found exactly:
// the objective is convex in x wherever the clip is inactive, so its minimum over the polygon is either
// the unconstrained minimiser (damped Newton, kept when it lands inside) or lies on one of the four
// edges (a 1-D convex problem each, solved by safeguarded Newton on the derivative). The best of these
// candidates is the answer. Each class is fitted once per fold on the other folds; the reported
// per-class weights are the fold mean, and a prediction is the mean over fold fits of x.X (= mean x . X).
import { KAGGLE_EPS, weightedLogLoss } from '../metrics/log-loss.ts';
import { LABELS } from '../../src-shared/labels.ts';
import { imageWeightedLogLoss, N_CLASSES } from './image-weighted-loss.ts';

export const BLEND_CLIP_LO = 1e-15;
export const BLEND_CLIP_HI = 1 - 1e-5;
export const BLEND_SUM_MIN = 0.98;
export const BLEND_SUM_MAX = 1;

export interface ClassBlend {
  label: string;
  /** [x_A, x_B] fitted with each fold held out, in the order of BlendFit.folds. */
  perFold: [number, number][];
  mean: [number, number];
}

export interface BlendFit {
  /** Six, in the project's order. */
  classes: ClassBlend[];
  /** Competition metric (unweighted, clip 1e-15) of the out-of-fold blend. */
  cvMetric: number;
  cvPerClass: Record<string, number>;
  /** The fold values, ascending; perFold[j] held out folds[j]. */
  folds: number[];
  /** Image-weighted metric of the out-of-fold blend, when the fit was weighted. */
  cvWeightedMetric?: number;
}

export interface TwoWeightSolution {
  x: [number, number];
  /** The objective at x: weighted mean log loss of the clipped blend. */
  loss: number;
}

interface Eval {
  f: number;
  g1: number;
  g2: number;
  h11: number;
  h12: number;
  h22: number;
}

/** The objective with its gradient and Hessian (zero where the clip is active, as the clip is flat there). */
function makeObjective(a: Float64Array, b: Float64Array, y: Uint8Array, w: Float64Array | undefined) {
  const n = a.length;
  let wsum = 0;
  if (w) for (let i = 0; i < n; i++) wsum += w[i]!;
  else wsum = n;
  if (!(wsum > 0)) throw new Error('blend: the image weights sum to 0');
  const inv = 1 / wsum;
  const value = (x1: number, x2: number): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i]! : 1;
      if (wi === 0) continue;
      const raw = x1 * a[i]! + x2 * b[i]!;
      const p = raw < BLEND_CLIP_LO ? BLEND_CLIP_LO : raw > BLEND_CLIP_HI ? BLEND_CLIP_HI : raw;
      f -= wi * (y[i] ? Math.log(p) : Math.log(1 - p));
    }
    return f * inv;
  };
  const full = (x1: number, x2: number): Eval => {
    let f = 0, g1 = 0, g2 = 0, h11 = 0, h12 = 0, h22 = 0;
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i]! : 1;
      if (wi === 0) continue;
      const ai = a[i]!;
      const bi = b[i]!;
      const raw = x1 * ai + x2 * bi;
      const pos = y[i] === 1;
      if (raw <= BLEND_CLIP_LO || raw >= BLEND_CLIP_HI) {
        const p = raw <= BLEND_CLIP_LO ? BLEND_CLIP_LO : BLEND_CLIP_HI;
        f -= wi * (pos ? Math.log(p) : Math.log(1 - p));
        continue;
      }
      let d: number;
      let h: number;
      if (pos) {
        f -= wi * Math.log(raw);
        d = -1 / raw;
        h = d * d;
      } else {
        const q = 1 - raw;
        f -= wi * Math.log(q);
        d = 1 / q;
        h = d * d;
      }
      const wd = wi * d;
      const wh = wi * h;
      g1 += wd * ai;
      g2 += wd * bi;
      h11 += wh * ai * ai;
      h12 += wh * ai * bi;
      h22 += wh * bi * bi;
    }
    return { f: f * inv, g1: g1 * inv, g2: g2 * inv, h11: h11 * inv, h12: h12 * inv, h22: h22 * inv };
  };
  return { value, full };
}

type Objective = ReturnType<typeof makeObjective>;

/** The polygon's corners, counter-clockwise from (0, 0.98). */
const CORNERS: [number, number][] = [
  [0, BLEND_SUM_MIN],
  [0, BLEND_SUM_MAX],
  [BLEND_SUM_MAX, 0],
  [BLEND_SUM_MIN, 0],
];

function feasible(x1: number, x2: number): boolean {
  const s = x1 + x2;
  return x1 >= 0 && x2 >= 0 && s >= BLEND_SUM_MIN && s <= BLEND_SUM_MAX;
}

/** Minimises the objective on the segment p + t d, t in [0, 1] (convex there): safeguarded Newton on g'. */
function minimiseEdge(obj: Objective, p: [number, number], d: [number, number]): { t: number; f: number } {
  const slope = (t: number): { g: number; h: number; f: number } => {
    const e = obj.full(p[0] + t * d[0], p[1] + t * d[1]);
    return {
      f: e.f,
      g: e.g1 * d[0] + e.g2 * d[1],
      h: e.h11 * d[0] * d[0] + 2 * e.h12 * d[0] * d[1] + e.h22 * d[1] * d[1],
    };
  };
  const s0 = slope(0);
  if (s0.g >= 0) return { t: 0, f: s0.f };
  const s1 = slope(1);
  if (s1.g <= 0) return { t: 1, f: s1.f };
  let lo = 0;
  let hi = 1;
  // Start from the Newton step of the end with the smaller slope (a good guess when g is near linear).
  let t = s0.h > 0 ? Math.min(1, -s0.g / s0.h) : 0.5;
  if (!(t > lo && t < hi)) t = 0.5;
  let best = { t, f: Infinity };
  for (let it = 0; it < 200; it++) {
    const s = slope(t);
    if (s.f < best.f) best = { t, f: s.f };
    if (s.g === 0) break;
    if (s.g < 0) lo = t;
    else hi = t;
    if (hi - lo <= 1e-15) break;
    let next = s.h > 0 ? t - s.g / s.h : NaN;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - t) <= 1e-13) {
      t = next;
      const last = obj.value(p[0] + t * d[0], p[1] + t * d[1]);
      if (last < best.f) best = { t, f: last };
      break;
    }
    t = next;
  }
  const fEnds = [{ t: lo, f: obj.value(p[0] + lo * d[0], p[1] + lo * d[1]) }, { t: hi, f: obj.value(p[0] + hi * d[0], p[1] + hi * d[1]) }];
  for (const c of fEnds) if (c.f < best.f) best = c;
  return best;
}

/** Damped (Levenberg-regularised) Newton without constraints; returns its limit, or undefined if it wanders off. */
function unconstrainedNewton(obj: Objective, start: [number, number]): [number, number] | undefined {
  let [x1, x2] = start;
  let e = obj.full(x1, x2);
  for (let it = 0; it < 100; it++) {
    const tr = e.h11 + e.h22;
    const det = e.h11 * e.h22 - e.h12 * e.h12;
    let lambda = 0;
    if (!(tr > 0) || !(det > 1e-14 * tr * tr)) lambda = Math.max(1e-10, 1e-7 * Math.abs(tr));
    const a11 = e.h11 + lambda;
    const a22 = e.h22 + lambda;
    const dd = a11 * a22 - e.h12 * e.h12;
    if (!(dd > 0)) return undefined;
    const s1 = -(a22 * e.g1 - e.h12 * e.g2) / dd;
    const s2 = -(a11 * e.g2 - e.h12 * e.g1) / dd;
    const decrease = e.g1 * s1 + e.g2 * s2;
    if (!(decrease < 0)) break; // zero gradient (or numerical noise): at the minimum
    let t = 1;
    let f = obj.value(x1 + s1, x2 + s2);
    while (!(f <= e.f + 1e-4 * t * decrease) && t > 1e-12) {
      t /= 2;
      f = obj.value(x1 + t * s1, x2 + t * s2);
    }
    if (t <= 1e-12) break;
    x1 += t * s1;
    x2 += t * s2;
    if (!(Math.abs(x1) < 10 && Math.abs(x2) < 10)) return undefined;
    e = obj.full(x1, x2);
    if (Math.hypot(t * s1, t * s2) < 1e-13) break;
  }
  return [x1, x2];
}

/**
 * One class: argmin over the polygon of the weighted log loss of clip(x1 a + x2 b, 1e-15, 1 - 1e-5).
 * a, b, y (and w) are per image.
 */
export function solveTwoWeight(a: Float64Array, b: Float64Array, y: Uint8Array, w?: Float64Array): TwoWeightSolution {
  const n = a.length;
  if (n === 0) throw new Error('blend: no images to fit');
  if (b.length !== n || y.length !== n || (w && w.length !== n)) {
    throw new Error(`blend: arrays of different lengths (a ${n}, b ${b.length}, y ${y.length}${w ? `, w ${w.length}` : ''})`);
  }
  if (w) for (let i = 0; i < n; i++) if (!(w[i]! >= 0) || !Number.isFinite(w[i]!)) throw new Error(`blend: image weight ${i} is ${w[i]}`);
  const obj = makeObjective(a, b, y, w);
  const candidates: { x: [number, number]; f: number }[] = [];
  const interior = unconstrainedNewton(obj, [0.495, 0.495]);
  if (interior && feasible(interior[0], interior[1])) {
    // A stationary point inside the polygon is the minimum (convex objective): the edges cannot do better.
    const e = obj.full(interior[0], interior[1]);
    if (Math.hypot(e.g1, e.g2) <= 1e-9 * Math.max(1, Math.abs(e.f))) return { x: interior, loss: e.f };
    candidates.push({ x: interior, f: e.f });
  }
  for (let k = 0; k < CORNERS.length; k++) {
    const p = CORNERS[k]!;
    const q = CORNERS[(k + 1) % CORNERS.length]!;
    const d: [number, number] = [q[0] - p[0], q[1] - p[1]];
    const r = minimiseEdge(obj, p, d);
    // Corners are placed exactly so that a solution at a corner is exactly feasible.
    const x: [number, number] = r.t === 0 ? [p[0], p[1]] : r.t === 1 ? [q[0], q[1]] : [p[0] + r.t * d[0], p[1] + r.t * d[1]];
    candidates.push({ x, f: r.f });
  }
  let best = candidates[0]!;
  for (const c of candidates) if (c.f < best.f) best = c;
  return { x: best.x, loss: best.f };
}

function checkInputs(groupA: Float32Array, groupB: Float32Array, labels: Uint8Array, n: number): void {
  if (groupA.length !== n * N_CLASSES || groupB.length !== n * N_CLASSES || labels.length !== n * N_CLASSES) {
    throw new Error(`blend: sizes differ (group A ${groupA.length}, group B ${groupB.length}, labels ${labels.length}, ${n} images x ${N_CLASSES})`);
  }
}

/** The fold fit and the out-of-fold blend it implies. */
export function fitBlendWithOof(
  groupA: Float32Array,
  groupB: Float32Array,
  labels: Uint8Array,
  folds: Int32Array,
  weights?: Float32Array,
): { fit: BlendFit; oof: Float32Array } {
  const n = folds.length;
  checkInputs(groupA, groupB, labels, n);
  if (weights && weights.length !== n) throw new Error(`blend: ${weights.length} image weights for ${n} images`);
  for (let i = 0; i < n; i++) if (!(folds[i]! >= 0)) throw new Error(`blend: image ${i} has fold ${folds[i]} (need >= 0)`);
  const foldValues = [...new Set(folds)].sort((p, q) => p - q);
  if (foldValues.length < 2) throw new Error(`blend: need at least 2 folds to fit on the others, got ${foldValues.length}`);
  const classes: ClassBlend[] = LABELS.map((label) => ({ label, perFold: [], mean: [0, 0] }));
  const oof = new Float32Array(n * N_CLASSES);
  for (const held of foldValues) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (folds[i] === held ? test : train).push(i);
    const m = train.length;
    const a = new Float64Array(m);
    const b = new Float64Array(m);
    const y = new Uint8Array(m);
    const w = weights ? new Float64Array(m) : undefined;
    if (w) train.forEach((i, j) => (w[j] = weights![i]!));
    for (let k = 0; k < N_CLASSES; k++) {
      train.forEach((i, j) => {
        a[j] = groupA[i * N_CLASSES + k]!;
        b[j] = groupB[i * N_CLASSES + k]!;
        y[j] = labels[i * N_CLASSES + k]!;
      });
      const { x } = solveTwoWeight(a, b, y, w);
      classes[k]!.perFold.push(x);
      for (const i of test) oof[i * N_CLASSES + k] = x[0] * groupA[i * N_CLASSES + k]! + x[1] * groupB[i * N_CLASSES + k]!;
    }
  }
  for (const c of classes) {
    const s = c.perFold.reduce((acc, x) => [acc[0] + x[0], acc[1] + x[1]], [0, 0]);
    c.mean = [s[0] / c.perFold.length, s[1] / c.perFold.length];
  }
  const cv = weightedLogLoss(oof, labels, KAGGLE_EPS);
  const fit: BlendFit = { classes, cvMetric: cv.loss, cvPerClass: { ...cv.perClass }, folds: foldValues };
  if (weights) fit.cvWeightedMetric = imageWeightedLogLoss(oof, labels, weights, KAGGLE_EPS).loss;
  return { fit, oof };
}

export function fitBlend(groupA: Float32Array, groupB: Float32Array, labels: Uint8Array, folds: Int32Array, weights?: Float32Array): BlendFit {
  return fitBlendWithOof(groupA, groupB, labels, folds, weights).fit;
}

/** The blended prediction: per class, the mean over fold fits of x.X, which is (mean x).X. Not re-bounded. */
export function applyBlend(fit: BlendFit, groupA: Float32Array, groupB: Float32Array): Float32Array {
  if (groupA.length !== groupB.length || groupA.length % N_CLASSES !== 0) {
    throw new Error(`blend: group A has ${groupA.length} values, group B ${groupB.length} (need equal multiples of ${N_CLASSES})`);
  }
  if (fit.classes.length !== N_CLASSES) throw new Error(`blend: the fit has ${fit.classes.length} classes, expected ${N_CLASSES}`);
  const out = new Float32Array(groupA.length);
  const n = groupA.length / N_CLASSES;
  for (let k = 0; k < N_CLASSES; k++) {
    const [xa, xb] = fit.classes[k]!.mean;
    for (let i = 0; i < n; i++) {
      const o = i * N_CLASSES + k;
      out[o] = xa * groupA[o]! + xb * groupB[o]!;
    }
  }
  return out;
}

/** Element-wise mean of equally sized prediction arrays (the group means X). */
export function meanOf(models: readonly Float32Array[]): Float32Array {
  const first = models[0];
  if (!first) throw new Error('blend: a group has no models');
  const sum = new Float64Array(first.length);
  for (const m of models) {
    if (m.length !== first.length) throw new Error(`blend: models of different sizes (${m.length} vs ${first.length})`);
    for (let t = 0; t < m.length; t++) sum[t]! += m[t]!;
  }
  const out = new Float32Array(first.length);
  for (let t = 0; t < sum.length; t++) out[t] = sum[t]! / models.length;
  return out;
}
