// Consistency bounding (the seed's predBounding, docs/seed-pipeline.md section 7 step 2), applied to every member
// model's predictions before the blend (and never to the blended output):
//   rule 1: if p_any < max_k p_k (subtypes), p_any := max_k p_k;
//   rule 2: then, if p_any > S = sum_k p_k: a := (p_any + S) / 2, every subtype *= a / S, p_any := a.
// After rule 2 the subtypes sum to a = p_any and the largest subtype is still <= a, so rule 1 holds.
// Arithmetic is in float64 per row; results are stored as float32. Rows are images in the project's
// order (five subtypes, then any).
import { ANY, N_CLASSES } from './image-weighted-loss.ts';

export interface BoundingResult {
  probs: Float32Array;
  /** Per image: 1 where any was raised to the largest subtype. */
  rule1: Uint8Array;
  /** Per image: 1 where any exceeded the subtype sum and both were moved to their average. */
  rule2: Uint8Array;
}

export interface BoundingCounts {
  images: number;
  rule1: number;
  rule2: number;
}

const N_SUB = N_CLASSES - 1;

export function boundPredictions(probs: Float32Array): BoundingResult {
  if (probs.length % N_CLASSES !== 0) throw new Error(`bounding: ${probs.length} values is not a multiple of ${N_CLASSES}`);
  const n = probs.length / N_CLASSES;
  const out = new Float32Array(probs.length);
  const rule1 = new Uint8Array(n);
  const rule2 = new Uint8Array(n);
  const sub = new Float64Array(N_SUB);
  for (let i = 0; i < n; i++) {
    const o = i * N_CLASSES;
    let max = -Infinity;
    let sum = 0;
    for (let k = 0; k < N_SUB; k++) {
      const v = probs[o + k]!;
      sub[k] = v;
      if (v > max) max = v;
      sum += v;
    }
    let any = probs[o + ANY]!;
    if (any < max) {
      any = max;
      rule1[i] = 1;
    }
    if (any > sum) {
      const a = (any + sum) / 2;
      // The seed never sees S = 0 (its inputs are clipped at 1e-15); scaling zeros cannot reach a,
      // so share a equally, the limit of scaling five equal tiny values.
      for (let k = 0; k < N_SUB; k++) sub[k] = sum > 0 ? sub[k]! * (a / sum) : a / N_SUB;
      any = a;
      rule2[i] = 1;
    }
    for (let k = 0; k < N_SUB; k++) out[o + k] = sub[k]!;
    out[o + ANY] = any;
  }
  return { probs: out, rule1, rule2 };
}

export function countBounding(r: Pick<BoundingResult, 'rule1' | 'rule2'>): BoundingCounts {
  let a = 0;
  let b = 0;
  for (let i = 0; i < r.rule1.length; i++) {
    a += r.rule1[i]!;
    b += r.rule2[i]!;
  }
  return { images: r.rule1.length, rule1: a, rule2: b };
}
