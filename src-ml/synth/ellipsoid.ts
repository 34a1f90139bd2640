// Ellipsoids in head-local coordinates, the building block of the deep anatomy and of some lesions.
// Head-local: u toward the patient's left, v toward posterior, w up from the skull base (mm).
// An ellipsoid is evaluated as the fraction of a slab w in [z0, z1] it fills at one (u, v): the exact
// partial volume along z, so thin slices and thick slices both come out right without supersampling.

export interface Ellipsoid {
  readonly cu: number;
  readonly cv: number;
  readonly cw: number;
  /** Symmetric quadratic form: inside <=> d^T M d < 1 with d = p - centre. */
  readonly m11: number;
  readonly m12: number;
  readonly m13: number;
  readonly m22: number;
  readonly m23: number;
  readonly m33: number;
  /** Half-extents of the axis-aligned bounding box. */
  readonly eu: number;
  readonly ev: number;
  readonly ew: number;
}

export type Vec3 = readonly [number, number, number];

/**
 * Radii along the ellipsoid's own axes, turned by yaw (about w, u toward v), then pitch (about u, its
 * v axis toward +w: the posterior end goes up) and roll (about v, its u axis toward +w).
 */
export function ellipsoid(centre: Vec3, radii: Vec3, yaw = 0, pitch = 0, roll = 0): Ellipsoid {
  const [cy, sy] = [Math.cos(yaw), Math.sin(yaw)];
  const [cp, sp] = [Math.cos(pitch), Math.sin(pitch)];
  const [cr, sr] = [Math.cos(roll), Math.sin(roll)];
  // Axes after roll (about v) then pitch (about u) then yaw (about w).
  const axes: Vec3[] = [
    [cr, 0, sr],
    [0, 1, 0],
    [-sr, 0, cr],
  ].map(([x, y, z]) => {
    const y1 = cp * y! - sp * z!;
    const z1 = sp * y! + cp * z!;
    return [cy * x! - sy * y1, sy * x! + cy * y1, z1] as const;
  });
  let m11 = 0, m12 = 0, m13 = 0, m22 = 0, m23 = 0, m33 = 0;
  const ext = [0, 0, 0];
  axes.forEach((a, i) => {
    const r = radii[i]!;
    const k = 1 / (r * r);
    m11 += a[0] * a[0] * k;
    m12 += a[0] * a[1] * k;
    m13 += a[0] * a[2] * k;
    m22 += a[1] * a[1] * k;
    m23 += a[1] * a[2] * k;
    m33 += a[2] * a[2] * k;
    for (let j = 0; j < 3; j++) ext[j]! += (a[j]! * r) ** 2;
  });
  return { cu: centre[0], cv: centre[1], cw: centre[2], m11, m12, m13, m22, m23, m33, eu: Math.sqrt(ext[0]!), ev: Math.sqrt(ext[1]!), ew: Math.sqrt(ext[2]!) };
}

/** The same ellipsoid grown by `d` mm along every axis (a shell around it), for rims and halos. */
export function inflate(centre: Vec3, radii: Vec3, d: number, yaw = 0, pitch = 0, roll = 0): Ellipsoid {
  return ellipsoid(centre, [radii[0] + d, radii[1] + d, radii[2] + d], yaw, pitch, roll);
}

/** Fraction of the slab w in [z0, z1] (z1 > z0) inside the ellipsoid at in-plane (u, v). */
export function slabFraction(e: Ellipsoid, u: number, v: number, z0: number, z1: number): number {
  const du = u - e.cu;
  const dv = v - e.cv;
  const b = e.m13 * du + e.m23 * dv;
  const q2 = e.m11 * du * du + 2 * e.m12 * du * dv + e.m22 * dv * dv;
  const disc = b * b - e.m33 * (q2 - 1);
  if (disc <= 0) return 0;
  const h = Math.sqrt(disc) / e.m33;
  const mid = e.cw - b / e.m33;
  const lo = mid - h > z0 ? mid - h : z0;
  const hi = mid + h < z1 ? mid + h : z1;
  return hi > lo ? (hi - lo) / (z1 - z0) : 0;
}

/** Normalised radius (1 on the surface) of a point: for shells, blobs and soft falloffs. */
export function ellipsoidRadius(e: Ellipsoid, u: number, v: number, w: number): number {
  const du = u - e.cu;
  const dv = v - e.cv;
  const dw = w - e.cw;
  const q = e.m11 * du * du + e.m22 * dv * dv + e.m33 * dw * dw + 2 * (e.m12 * du * dv + e.m13 * du * dw + e.m23 * dv * dw);
  return Math.sqrt(q > 0 ? q : 0);
}

export function ellipsoidZRange(e: Ellipsoid): { lo: number; hi: number } {
  return { lo: e.cw - e.ew, hi: e.cw + e.ew };
}
