// Beam hardening in the posterior fossa: the dark "Hounsfield bar" between the petrous bones across the
// pons, and alternating bright and dark streaks fanning out from the petrous pyramids. Additive, only
// inside the cranial cavity, strongest at the level of the petrous ridges.
import type { HeadModel } from './anatomy.ts';
import type { Frame } from './render-frame.ts';

export function addStreaks(head: HeadModel, f: Frame, acc: Float32Array, cav: Float32Array, w: number): void {
  const sw = head.sw;
  const level = Math.exp(-(((w - 27 * sw) / (11 * sw)) ** 2));
  if (level < 0.03) return;
  const amp = head.streakHu * level;
  const su = head.su;
  const sv = head.sv;
  const pu = 24 * su;
  const pv = 2 * sv;
  const lines = head.streaks;
  const nl = lines.length / 4;
  const size = f.size;
  const cs = new Float64Array(nl);
  const sn = new Float64Array(nl);
  const ox = new Float64Array(nl);
  const oy = new Float64Array(nl);
  for (let k = 0; k < nl; k++) {
    cs[k] = Math.cos(lines[4 * k]!);
    sn[k] = Math.sin(lines[4 * k]!);
    ox[k] = (lines[4 * k + 1]! > 0 ? 1 : -1) * pu;
    oy[k] = pv + lines[4 * k + 1]! * 8;
  }
  for (let r = f.r0; r <= f.r1; r++) {
    for (let c = f.c0, i = r * size + f.c0; c <= f.c1; c++, i++) {
      const cv = cav[i]!;
      if (cv <= 0) continue;
      const u = f.u[i]!;
      const v = f.v[i]!;
      if (v < -40 * sv || v > 70 * sv) continue;
      const au = u < 0 ? -u : u;
      // The bar: darkest between the petrous apices, along the line joining them.
      const dv = (v - pv) / 6;
      // Polynomial bumps instead of exp: (1 - x^2/9)^4 is a Gaussian-like bump that ends at |x| = 3.
      const bv = dv * dv < 9 ? (1 - (dv * dv) / 9) ** 4 : 0;
      const xu = au < pu ? 0 : (au - pu) / 12;
      const bu = xu * xu < 9 ? (1 - (xu * xu) / 9) ** 4 : 0;
      let d = -1.4 * bv * bu;
      for (let k = 0; k < nl; k++) {
        const du = u - ox[k]!;
        const dvv = v - oy[k]!;
        const perp = (du * sn[k]! - dvv * cs[k]!) / lines[4 * k + 3]!;
        if (perp > 3 || perp < -3) continue;
        const along = du * cs[k]! + dvv * sn[k]!;
        const q = 1 - (perp * perp) / 9;
        const fall = 45 / (45 + (along < 0 ? -along : along));
        d += lines[4 * k + 2]! * 0.7 * q * q * q * q * fall;
      }
      acc[i] = acc[i]! + amp * d * cv;
    }
  }
}
