// Deterministic random data for the ensemble tests (not used by the engine itself).
import { mulberry32 } from '../base/random.ts';

/** mulberry32: a small seeded uniform generator on [0, 1). */
export function rng(seed: number): () => number {
  return mulberry32(seed);
}

export function normal(u: () => number): () => number {
  return () => {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    return r * Math.cos(2 * Math.PI * u());
  };
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const logit = (p: number): number => Math.log(p / (1 - p));

export interface SyntheticClass {
  a: Float64Array;
  b: Float64Array;
  y: Uint8Array;
  truth: Float64Array;
}

/**
 * One class: true probabilities around `prevalence`, labels drawn from them, and two noisy predictors
 * (logit noise sigmaA / sigmaB, then multiplied by `scale` and clipped to [1e-15, 1 - 1e-15]).
 */
export function syntheticClass(seed: number, n: number, opts: { prevalence: number; sigmaA: number; sigmaB: number; scale?: number; bNoise?: boolean }): SyntheticClass {
  const u = rng(seed);
  const g = normal(u);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const y = new Uint8Array(n);
  const truth = new Float64Array(n);
  const clip = (p: number): number => Math.min(1 - 1e-15, Math.max(1e-15, p));
  const base = logit(opts.prevalence);
  for (let i = 0; i < n; i++) {
    const z = base + 2 * g();
    const p = sigmoid(z);
    truth[i] = p;
    y[i] = u() < p ? 1 : 0;
    a[i] = clip((opts.scale ?? 1) * sigmoid(z + opts.sigmaA * g()));
    b[i] = clip(opts.bNoise ? u() : (opts.scale ?? 1) * sigmoid(z + opts.sigmaB * g()));
  }
  return { a, b, y, truth };
}

/**
 * N x 6 predictions and labels in the project's order. Subtypes are independent; `any` is consistent
 * with them (label = OR of the subtype labels, truth = 1 - prod(1 - p_k)), as bounding assumes.
 */
export function syntheticImages(seed: number, n: number, sigma: number): { probs: Float32Array; labels: Uint8Array; truth: Float64Array } {
  const u = rng(seed);
  const g = normal(u);
  const prev = [0.004, 0.05, 0.035, 0.05, 0.065];
  const probs = new Float32Array(n * 6);
  const labels = new Uint8Array(n * 6);
  const truth = new Float64Array(n * 6);
  for (let i = 0; i < n; i++) {
    let none = 1;
    let anyLabel = 0;
    for (let k = 0; k < 5; k++) {
      const z = logit(prev[k]!) + 1.5 * g();
      const p = sigmoid(z);
      none *= 1 - p;
      truth[i * 6 + k] = p;
      const y = u() < p ? 1 : 0;
      labels[i * 6 + k] = y;
      anyLabel |= y;
      probs[i * 6 + k] = sigmoid(z + sigma * g());
    }
    const pAny = Math.min(1 - 1e-12, Math.max(1e-12, 1 - none));
    truth[i * 6 + 5] = pAny;
    labels[i * 6 + 5] = anyLabel;
    probs[i * 6 + 5] = sigmoid(logit(pAny) + sigma * g());
  }
  return { probs, labels, truth };
}

/** A member model: the true probabilities with independent logit noise (its own seed). */
export function noisyModel(truth: Float64Array, seed: number, sigma: number): Float32Array {
  const g = normal(rng(seed));
  return Float32Array.from(truth, (p) => sigmoid(logit(p) + sigma * g()));
}
