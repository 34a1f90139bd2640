// Per-slice pixel geometry shared by every sub-plane of one slice: each pixel's head-local position,
// its angle bin and normalised radius against the vault, and the skull-base height fields under it.
// Buffers are reused between calls of the same size (rendering is synchronous, one slice at a time).
import type { BaseMaps } from './skull-base.ts';
import { NO_TENT, sampleMap } from './skull-base.ts';
import type { SliceGrid } from './types.ts';
import { ANGLE_BINS, BIN_PER_RAD, type Vault } from './vault.ts';

export interface HeadPose {
  cx: number;
  cy: number;
  cosR: number;
  sinR: number;
}

export interface Frame {
  size: number;
  sp: number;
  /** Pixel box (inclusive) that can hold anything but air. */
  r0: number;
  r1: number;
  c0: number;
  c1: number;
  u: Float32Array;
  v: Float32Array;
  /** Angle bin (fractional) of atan2(v, u). */
  ang: Float32Array;
  /** rho / r0(phi) and rho / r0(phi)^2: the vault's normalised radius and its radial gradient. */
  a: Float32Array;
  g: Float32Array;
  /** Skull-base samples; only filled when `hasBase`. */
  hasBase: boolean;
  floor: Float32Array;
  floorN: Float32Array;
  boneT: Float32Array;
  petrous: Float32Array;
  tent: Float32Array;
  tentN: Float32Array;
  /** What the cached geometry was laid out for. */
  owner: HeadPose | null;
  vault: Vault | null;
  ox: number;
  oy: number;
  baseFrom: BaseMaps | null;
}

const frames = new Map<number, Frame>();
// Imported bindings are getters under some loaders: hot loops read module-local copies.
const NT = NO_TENT;
const BINS = ANGLE_BINS;
const BPR = BIN_PER_RAD;

function frameFor(size: number): Frame {
  let f = frames.get(size);
  if (!f) {
    const n = size * size;
    const arr = () => new Float32Array(n);
    f = { size, sp: 1, r0: 0, r1: -1, c0: 0, c1: -1, u: arr(), v: arr(), ang: arr(), a: arr(), g: arr(), hasBase: false, floor: arr(), floorN: arr(), boneT: arr(), petrous: arr(), tent: arr(), tentN: arr(), owner: null, vault: null, ox: NaN, oy: NaN, baseFrom: null };
    frames.set(size, f);
  }
  return f;
}

/** atan2 to ~1e-5 rad with a minimax polynomial: the exact one dominates the per-slice set-up otherwise. */
export function fastAtan2(y: number, x: number): number {
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  const mx = ax > ay ? ax : ay;
  if (mx === 0) return 0;
  const t = (ax < ay ? ax : ay) / mx;
  const s = t * t;
  let r = ((((-0.0117212 * s + 0.05265332) * s - 0.11643287) * s + 0.19354346) * s - 0.33262348) * s * t + 0.99997726 * t;
  if (ay > ax) r = 1.57079637 - r;
  if (x < 0) r = 3.14159274 - r;
  return y < 0 ? -r : r;
}

/** Bilinear samples of all the skull-base maps at (u, v) into the frame at pixel i. */
function sampleBase(m: BaseMaps, u: number, v: number, f: Frame, i: number): void {
  let x = (u - m.u0) / m.step;
  let y = (v - m.v0) / m.step;
  x = x < 0 ? 0 : x > m.nu - 1.001 ? m.nu - 1.001 : x;
  y = y < 0 ? 0 : y > m.nv - 1.001 ? m.nv - 1.001 : y;
  const ix = x | 0;
  const iy = y | 0;
  const fx = x - ix;
  const fy = y - iy;
  const k = iy * m.nu + ix;
  const k2 = k + m.nu;
  const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
  const k1 = k + 1, k3 = k2 + 1;
  let a = m.floor;
  f.floor[i] = a[k]! * w00 + a[k1]! * w10 + a[k2]! * w01 + a[k3]! * w11;
  a = m.floorN;
  f.floorN[i] = a[k]! * w00 + a[k1]! * w10 + a[k2]! * w01 + a[k3]! * w11;
  a = m.boneT;
  f.boneT[i] = a[k]! * w00 + a[k1]! * w10 + a[k2]! * w01 + a[k3]! * w11;
  a = m.petrous;
  f.petrous[i] = a[k]! * w00 + a[k1]! * w10 + a[k2]! * w01 + a[k3]! * w11;
  a = m.tent;
  const nt = NT;
  if (a[k] === nt || a[k1] === nt || a[k2] === nt || a[k3] === nt) {
    f.tent[i] = sampleMap(m, a, u, v);
    f.tentN[i] = 1;
  } else {
    f.tent[i] = a[k]! * w00 + a[k1]! * w10 + a[k2]! * w01 + a[k3]! * w11;
    a = m.tentN;
    f.tentN[i] = a[k]! * w00 + a[k1]! * w10 + a[k2]! * w01 + a[k3]! * w11;
  }
}

/**
 * Lays out the frame for one slice: `extent` is the head's largest in-plane reach from its centre (mm),
 * `base` the skull-base maps when the slab reaches down to them. The geometry depends only on the head
 * and the grid, so consecutive slices of a series reuse it.
 */
export function buildFrame(grid: SliceGrid, pose: HeadPose, vault: Vault, extent: number, base: BaseMaps | null): Frame {
  const { size, spacingMm: sp } = grid;
  const f = frameFor(size);
  if (f.owner !== pose || f.sp !== sp || f.ox !== grid.originX || f.oy !== grid.originY || f.vault !== vault) {
    layOut(f, grid, pose, vault, extent);
    f.baseFrom = null;
  }
  f.hasBase = base !== null;
  if (base && f.baseFrom !== base) {
    for (let r = f.r0; r <= f.r1; r++) {
      for (let c = f.c0, i = r * size + f.c0; c <= f.c1; c++, i++) {
        // The floor only matters inside the inner table.
        if (f.a[i]! < 1.15) sampleBase(base, f.u[i]!, f.v[i]!, f, i);
      }
    }
    f.baseFrom = base;
  }
  return f;
}

function layOut(f: Frame, grid: SliceGrid, pose: HeadPose, vault: Vault, extent: number): void {
  const { size, spacingMm: sp } = grid;
  f.owner = pose;
  f.vault = vault;
  f.sp = sp;
  f.ox = grid.originX;
  f.oy = grid.originY;
  const cc = (pose.cx - grid.originX) / sp;
  const rc = (pose.cy - grid.originY) / sp;
  const rp = extent / sp;
  f.c0 = Math.max(0, Math.floor(cc - rp));
  f.c1 = Math.min(size - 1, Math.ceil(cc + rp));
  f.r0 = Math.max(0, Math.floor(rc - rp));
  f.r1 = Math.min(size - 1, Math.ceil(rc + rp));
  const { cosR, sinR } = pose;
  const r0t = vault.r0;
  const bins = BINS;
  const bpr = BPR;
  for (let r = f.r0; r <= f.r1; r++) {
    const dy = grid.originY + r * sp - pose.cy;
    for (let c = f.c0; c <= f.c1; c++) {
      const i = r * size + c;
      const dx = grid.originX + c * sp - pose.cx;
      const u = cosR * dx + sinR * dy;
      const v = -sinR * dx + cosR * dy;
      f.u[i] = u;
      f.v[i] = v;
      let b = (fastAtan2(v, u) + Math.PI) * bpr;
      if (b >= bins) b -= bins;
      f.ang[i] = b;
      const rr = r0t[b | 0]!;
      const rho = Math.sqrt(u * u + v * v);
      f.a[i] = rho / rr;
      f.g[i] = rho / (rr * rr);
    }
  }
}
