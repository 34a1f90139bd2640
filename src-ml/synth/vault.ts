// The cranial vault: the inner table as a star-shaped ellipsoid (an in-plane outline by angle, scaled
// along w by an ellipse profile), with the tables, diploe, scalp and the CSF gap to the brain as
// layers at fixed distances from it. Distances are 3-D, so slices that cut the skull tangentially
// (at the vertex, the skull base) get the wide partial-volume bands they have on real CT.
import type { Rng } from '../base/random.ts';

/** Angle bins of the in-plane tables; angle phi = atan2(v, u) in (-pi, pi]. */
export const ANGLE_BINS = 512;
export const BIN_PER_RAD = ANGLE_BINS / (2 * Math.PI);

export interface Vault {
  /** w of the widest level, and the half-heights of the inner table above and below it. */
  wc: number;
  cUp: number;
  cLo: number;
  /** Inner-table radius at the widest level, by angle bin. */
  r0: Float32Array;
  /** Inner table, diploe, outer table thickness (mm), by angle bin. */
  tIn: Float32Array;
  tDip: Float32Array;
  tOut: Float32Array;
  scalp: Float32Array;
  /** Extra soft tissue of the temporalis, by angle bin (weight 0..1 of `temporalisMm`). */
  temporalis: Float32Array;
  temporalisMm: number;
  /** CSF between the inner table and the brain surface (mm), by angle bin. */
  gap: Float32Array;
  /** Largest outer (skin) distance from the inner table (mm), to bound work. */
  maxOuter: number;
  rMax: number;
  /** Mean thicknesses, used over the apex where the angle loses its meaning. */
  mean: { tIn: number; tDip: number; tOut: number; scalp: number };
}

export function angleBin(phi: number): number {
  const b = (phi + Math.PI) * BIN_PER_RAD;
  return b >= ANGLE_BINS ? b - ANGLE_BINS : b;
}

export function binAngle(bin: number): number {
  return bin / BIN_PER_RAD - Math.PI;
}

export function randomVault(rng: Rng, atrophy: number): Vault {
  const b = rng.uniform(79, 91);
  const a = b * rng.uniform(0.73, 0.86);
  const egg = rng.uniform(0.02, 0.08);
  const harm = [1, 2, 3, 4].map((n) => ({ n, amp: rng.uniform(0, 0.018) / n ** 0.5, ph: rng.uniform(0, 2 * Math.PI) }));
  const tIn0 = rng.uniform(1.3, 2);
  const tDip0 = rng.uniform(1.8, 3.8);
  const tOut0 = rng.uniform(1.5, 2.4);
  const scalp0 = rng.uniform(4, 7);
  const gap0 = rng.uniform(0.7, 1.4) + atrophy * rng.uniform(1.5, 3.2);
  const frontalGap = rng.uniform(0.2, 0.7);
  const vault: Vault = {
    wc: rng.uniform(66, 76),
    cUp: rng.uniform(60, 72),
    cLo: rng.uniform(86, 96),
    r0: new Float32Array(ANGLE_BINS),
    tIn: new Float32Array(ANGLE_BINS),
    tDip: new Float32Array(ANGLE_BINS),
    tOut: new Float32Array(ANGLE_BINS),
    scalp: new Float32Array(ANGLE_BINS),
    temporalis: new Float32Array(ANGLE_BINS),
    temporalisMm: rng.uniform(5, 11),
    gap: new Float32Array(ANGLE_BINS),
    maxOuter: 0,
    rMax: 0,
    mean: { tIn: 0, tDip: 0, tOut: 0, scalp: 0 },
  };
  for (let i = 0; i < ANGLE_BINS; i++) {
    const phi = binAngle(i + 0.5);
    const c = Math.cos(phi);
    const s = Math.sin(phi); // > 0 posterior
    let r = (a * b) / Math.hypot(b * c, a * s);
    r *= 1 + egg * s * c * c; // wider parietal/occipital than frontal
    for (const h of harm) r *= 1 + h.amp * Math.cos(h.n * phi + h.ph);
    vault.r0[i] = r;
    const lateral = c * c; // 1 at the temporal squama, 0 front and back
    vault.tIn[i] = tIn0 * (1 - 0.25 * lateral);
    vault.tDip[i] = tDip0 * (1 - 0.65 * lateral) + 0.8 * Math.max(0, -s) ** 4; // thin temporal squama, thick frontal
    vault.tOut[i] = tOut0 * (1 - 0.2 * lateral);
    vault.scalp[i] = scalp0 * (1 + 0.2 * Math.max(0, s));
    vault.temporalis[i] = Math.max(0, lateral - 0.35) / 0.65 * Math.max(0, 1 - Math.max(0, s) * 1.5);
    vault.gap[i] = gap0 * (1 + frontalGap * Math.max(0, -s));
    const outer = vault.tIn[i]! + vault.tDip[i]! + vault.tOut[i]! + vault.scalp[i]! + vault.temporalis[i]! * vault.temporalisMm;
    vault.maxOuter = Math.max(vault.maxOuter, outer);
    vault.rMax = Math.max(vault.rMax, r);
  }
  const avg = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
  vault.mean = { tIn: avg(vault.tIn), tDip: avg(vault.tDip), tOut: avg(vault.tOut), scalp: avg(vault.scalp) };
  return vault;
}

/** Half-height of the inner table above or below the widest level. */
export function vaultHalfHeight(vault: Vault, w: number): number {
  return w > vault.wc ? vault.cUp : vault.cLo;
}

/** w of the inner table's top, the vault's apex. */
export function innerTopW(vault: Vault): number {
  return vault.wc + vault.cUp;
}

/** In-plane inner-table radius at angle phi and height w (0 above the apex). */
export function innerRadius(vault: Vault, phi: number, w: number): number {
  const t = (w - vault.wc) / vaultHalfHeight(vault, w);
  if (t * t >= 1) return 0;
  return vault.r0[Math.floor(angleBin(phi)) % ANGLE_BINS]! * Math.sqrt(1 - t * t);
}

/**
 * Signed 3-D distance (mm) from the inner table, positive inside the skull: the level-set value over
 * its gradient, accurate within a few cm of the surface (all that is used).
 */
export function innerDepth(vault: Vault, u: number, v: number, w: number): number {
  const rho = Math.hypot(u, v);
  const r0 = vault.r0[Math.floor(angleBin(Math.atan2(v, u))) % ANGLE_BINS]!;
  const c = vaultHalfHeight(vault, w);
  const a = rho / r0;
  const dz = (w - vault.wc) / c;
  const n = Math.sqrt(a * a + dz * dz);
  if (n < 0.3) return 0.7 * Math.min(r0, c);
  const grad = Math.hypot(a / r0, dz / c) / n;
  return (1 - n) / grad;
}
