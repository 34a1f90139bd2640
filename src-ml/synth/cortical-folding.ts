// Cortical folding: sulci are the zero set of a smooth random field evaluated on the brain surface and
// carried inward along rays (so clefts run from the surface into the brain, as sulci do), with a
// per-sulcus depth and a slight lean. Per slice plane the field is tabulated by angle, so a pixel costs
// two table reads.
import type { Rng } from '../base/random.ts';
import { ANGLE_BINS } from './vault.ts';

const WAVES = 6;
const DEPTH_WAVES = 3;

export interface FoldField {
  /** Plane waves: wave vector (rad/mm) and phase, amplitude. */
  k: Float64Array;
  ph: Float64Array;
  amp: Float64Array;
  kd: Float64Array;
  phd: Float64Array;
  tiltK: Float64Array;
  tiltPh: number;
  tiltAmp: number;
  /** Mean sulcal depth (mm) and half-width at the fundus (mm). */
  depth: number;
  halfWidth: number;
  /** Cortex thickness (mm). */
  cortex: number;
}

export function randomFolds(rng: Rng, atrophy: number): FoldField {
  const k = new Float64Array(3 * WAVES);
  const ph = new Float64Array(WAVES);
  const amp = new Float64Array(WAVES);
  for (let i = 0; i < WAVES; i++) {
    // Random direction, wavelength 24-38 mm: gyri about a centimetre wide.
    const z = rng.uniform(-1, 1);
    const t = rng.uniform(0, 2 * Math.PI);
    const s = Math.sqrt(1 - z * z);
    const kk = (2 * Math.PI) / rng.uniform(24, 38);
    k[3 * i] = kk * s * Math.cos(t);
    k[3 * i + 1] = kk * s * Math.sin(t);
    k[3 * i + 2] = kk * z;
    ph[i] = rng.uniform(0, 2 * Math.PI);
    amp[i] = rng.uniform(0.6, 1);
  }
  const kd = new Float64Array(3 * DEPTH_WAVES);
  const phd = new Float64Array(DEPTH_WAVES);
  for (let i = 0; i < DEPTH_WAVES; i++) {
    const kk = (2 * Math.PI) / rng.uniform(50, 90);
    const z = rng.uniform(-1, 1);
    const t = rng.uniform(0, 2 * Math.PI);
    const s = Math.sqrt(1 - z * z);
    kd[3 * i] = kk * s * Math.cos(t);
    kd[3 * i + 1] = kk * s * Math.sin(t);
    kd[3 * i + 2] = kk * z;
    phd[i] = rng.uniform(0, 2 * Math.PI);
  }
  const kt = (2 * Math.PI) / rng.uniform(40, 70);
  return {
    k,
    ph,
    amp,
    kd,
    phd,
    tiltK: Float64Array.of(kt * rng.uniform(-1, 1), kt * rng.uniform(-1, 1), kt * rng.uniform(-0.5, 0.5)),
    tiltPh: rng.uniform(0, 2 * Math.PI),
    tiltAmp: rng.uniform(0.2, 0.45),
    depth: rng.uniform(11, 17) + 4 * atrophy,
    halfWidth: rng.uniform(0.3, 0.55) + atrophy * rng.uniform(0.6, 1.4),
    cortex: rng.uniform(2.3, 3.1),
  };
}

/** Depth levels (mm below the brain surface) at which the field is tabulated. */
export const FOLD_LEVELS = 3;
export const FOLD_STEP_MM = 8;
/** How much slower the field varies inward than along the surface: sulci run inward, curving and branching. */
const RADIAL_SQUEEZE = 0.9;

/** One plane's fold tables by angle bin, FOLD_LEVELS depth levels of ANGLE_BINS + 1 entries each. */
export interface PlaneFolds {
  /** Field value, and mm of arc per unit of field (1/|dg/ds|, capped). */
  g: Float32Array;
  gs: Float32Array;
  /** Sulcal depth (mm). */
  depth: Float32Array;
  /** Angle bins of lean per mm of depth. */
  lean: Float32Array;
}

export function newPlaneFolds(): PlaneFolds {
  const n = (ANGLE_BINS + 1) * FOLD_LEVELS;
  return { g: new Float32Array(n), gs: new Float32Array(n), depth: new Float32Array(ANGLE_BINS), lean: new Float32Array(ANGLE_BINS) };
}

const cosT = new Float64Array(ANGLE_BINS);
const sinT = new Float64Array(ANGLE_BINS);
for (let b = 0; b < ANGLE_BINS; b++) {
  const phi = ((b + 0.5) * 2 * Math.PI) / ANGLE_BINS - Math.PI;
  cosT[b] = Math.cos(phi);
  sinT[b] = Math.sin(phi);
}

/** Tabulates the folds on the brain surface cut by the plane at height w (surface radius by bin: rs). */
export function planeFolds(f: FoldField, rs: Float32Array, w: number, out: PlaneFolds): void {
  const n = ANGLE_BINS;
  const dphi = (2 * Math.PI) / n;
  for (let b = 0; b < n; b++) {
    const r = Math.max(1, rs[b]!);
    const x = r * cosT[b]!;
    const y = r * sinT[b]!;
    let d = 0;
    for (let i = 0; i < DEPTH_WAVES; i++) d += Math.cos(f.kd[3 * i]! * x + f.kd[3 * i + 1]! * y + f.kd[3 * i + 2]! * w + f.phd[i]!);
    out.depth[b] = f.depth * (0.75 + 0.4 * (d / DEPTH_WAVES));
    const lean = f.tiltAmp * Math.cos(f.tiltK[0]! * x + f.tiltK[1]! * y + f.tiltK[2]! * w + f.tiltPh);
    out.lean[b] = lean / (r * dphi);
  }
  // Typical |grad| of the field is about the wave number times the rms amplitude; cap gs at 4x that.
  const cap = 4 / (0.2 * 1.7);
  for (let lv = 0; lv < FOLD_LEVELS; lv++) {
    const o = lv * (n + 1);
    const inward = lv * FOLD_STEP_MM * RADIAL_SQUEEZE;
    for (let b = 0; b < n; b++) {
      const r = Math.max(1, rs[b]! - inward);
      const x = r * cosT[b]!;
      const y = r * sinT[b]!;
      let g = 0;
      for (let i = 0; i < WAVES; i++) g += f.amp[i]! * Math.cos(f.k[3 * i]! * x + f.k[3 * i + 1]! * y + f.k[3 * i + 2]! * w + f.ph[i]!);
      out.g[o + b] = g;
    }
    for (let b = 0; b < n; b++) {
      const r = Math.max(1, rs[b]! - lv * FOLD_STEP_MM);
      const gl = out.g[o + ((b + n - 1) % n)]!;
      const gr = out.g[o + ((b + 1) % n)]!;
      const grad = Math.abs(gr - gl) / (2 * r * dphi);
      out.gs[o + b] = grad > 1 / cap ? 1 / grad : cap;
    }
    // Wrap-around entries so linear interpolation needs no modulo.
    out.g[o + n] = out.g[o]!;
    out.gs[o + n] = out.gs[o]!;
  }
}
