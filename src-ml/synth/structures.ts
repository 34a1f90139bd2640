// The deep anatomy as an ordered list of ellipsoids painted over the vault and cortex: deep grey
// nuclei, cisterns and fissures, the brainstem, the ventricles, calcifications, the dural venous
// sinuses, and the face and skull-base cavities. Positions are those of a reference head (inner table
// 66 x 85 mm half-axes, apex 138 mm above the foramen magnum), scaled to this head and jittered.
import { ellipsoid, type Ellipsoid, type Vec3 } from './ellipsoid.ts';
import type { Rng } from '../base/random.ts';
import type { TissueHu } from './tissue.ts';
import { innerRadius, type Vault } from './vault.ts';

/** What painting a structure does to the masks the lesions clip against. */
export const Clip = { none: 0, inside: 1, outside: 2 } as const;
export type ClipMode = (typeof Clip)[keyof typeof Clip];

/** Ventricular compartment of a ventricle structure (for intraventricular blood). */
export type VentriclePart = 'left' | 'right' | 'third' | 'fourth' | '';

export interface Structure {
  name: string;
  e: Ellipsoid;
  hu: number;
  /** Only inside the cranial cavity, only outside it, or anywhere. */
  clip: ClipMode;
  /** Mask values the structure leaves where it is: parenchyma, subarachnoid CSF, ventricle. */
  brain: 0 | 1;
  sub: 0 | 1;
  vent: 0 | 1;
  part: VentriclePart;
  /** Mottled air cells (mastoid, ethmoid): alternates with `hu2` on a ~3 mm pattern. */
  mottled: boolean;
  hu2: number;
}

export interface Landmarks {
  putamen: Vec3;
  thalamus: Vec3;
  pons: Vec3;
  cerebellum: Vec3;
  suprasellar: Vec3;
  midbrain: Vec3;
  /** w of the top of the corpus callosum body, and v of the genu and splenium. */
  callosumTop: number;
  genuV: number;
  spleniumV: number;
  /** w of the transverse sinuses / tentorial attachment at the occipital wall. */
  transverseW: number;
}

export interface StructureContext {
  su: number;
  sv: number;
  sw: number;
  vault: Vault;
  hu: TissueHu;
  atrophy: number;
  age: number;
  transverseW: number;
}

export function buildStructures(rng: Rng, c: StructureContext): { structures: Structure[]; landmarks: Landmarks } {
  const { su, sv, sw, hu, atrophy } = c;
  const list: Structure[] = [];
  const j = (s: number) => rng.uniform(-s, s);
  const P = (u: number, v: number, w: number): Vec3 => [u * su, v * sv, w * sw];
  const R = (a: number, b: number, h: number): Vec3 => [a * su, b * sv, h * sw];
  const add = (name: string, e: Ellipsoid, huv: number, opts: Partial<Omit<Structure, 'name' | 'e' | 'hu'>> = {}) =>
    list.push({ name, e, hu: huv, clip: Clip.inside, brain: 0, sub: 0, vent: 0, part: '', mottled: false, hu2: huv, ...opts });
  const tissue = (name: string, e: Ellipsoid, huv: number) => add(name, e, huv, { brain: 1 });
  const cistern = (name: string, e: Ellipsoid) => add(name, e, hu.csf, { sub: 1 });
  const outside = (name: string, e: Ellipsoid, huv: number, mottled = false, hu2 = huv) => add(name, e, huv, { clip: Clip.outside, mottled, hu2 });

  // Ventricle size: with age (atrophy) and per head; sides differ a little.
  const vScale = rng.uniform(0.85, 1.15) * (1 + 0.35 * atrophy);
  const vWide = 1 + 0.55 * atrophy;
  const sideScale = [1 + j(0.1), 1 + j(0.1)];
  const shiftU = j(1.5);

  // White matter hypodensity of small-vessel disease around the ventricles, mostly in the elderly.
  const leuko = c.age > 55 && rng.chance(0.25 + 0.5 * atrophy) ? rng.uniform(0.4, 1) : 0;
  for (const s of [1, -1]) {
    if (!leuko) break;
    const g = 5 + 8 * leuko;
    add('leuko-frontal', ellipsoid(P(s * 14 + shiftU, -24, 84), R(7 + g, 15 + g, 8 + g * 0.7), s * 0.3), hu.leukoaraiosis, { brain: 1 });
    add('leuko-occipital', ellipsoid(P(s * 21 + shiftU, 36, 80), R(8 + g, 14 + g, 9 + g * 0.7)), hu.leukoaraiosis, { brain: 1 });
    add('leuko-body', ellipsoid(P(s * 16 + shiftU, 4, 96), R(7 + g, 24 + g, 7 + g * 0.7)), hu.leukoaraiosis, { brain: 1 });
  }

  // Deep grey nuclei (caudate heads are painted after the ventricles: they indent the frontal horns).
  for (const s of [1, -1]) {
    const u = (x: number) => s * x + shiftU;
    tissue('putamen', ellipsoid(P(u(23 + j(1)), -5 + j(1), 64), R(4.8, 14, 9.5), -s * 0.18), hu.deepGm);
    tissue('pallidum', ellipsoid(P(u(17.5), -3, 63), R(3.2, 7.5, 5.5), -s * 0.25), hu.deepGm - 2.5);
    tissue('thalamus', ellipsoid(P(u(9.5), 10 + j(1), 70), R(7.5, 12.5, 9), -s * 0.15), hu.deepGm);
    // Insular cortex and the insular cistern / Sylvian fissure lateral to it.
    tissue('insula', ellipsoid(P(u(34), -4, 64), R(3.2, 24, 16), -s * 0.08), hu.gm);
  }
  const fis = 1 + 1.2 * atrophy;
  for (const s of [1, -1]) {
    const u = (x: number) => s * x + shiftU;
    cistern('insular-cistern', ellipsoid(P(u(37.5), -4, 63), R(0.9 * fis, 21, 13), -s * 0.08));
    cistern('sylvian', ellipsoid(P(u(50), -7 + j(2), 60 + j(2)), R(13, 1.1 * fis, 10), s * 0.25));
    cistern('sylvian-stem', ellipsoid(P(u(22), -16, 50), R(13, 2 * fis, 3.5), -s * 0.12));
    cistern('cp-angle', ellipsoid(P(u(17), -2, 30), R(6, 5, 6 * fis)));
  }
  // Basal cisterns; the brainstem is painted inside them, leaving the CSF ring around it.
  const cis = 1 + 0.6 * atrophy;
  const mid = P(0 + shiftU * 0.5, 2, 51);
  const pons = P(shiftU * 0.3, -1, 32);
  cistern('suprasellar', ellipsoid(P(0, -16, 50), R(10.5 * cis, 8 * cis, 5.5)));
  cistern('ambient', ellipsoid(mid, R(12 + 2.8 * cis, 10 + 2.8 * cis, 9)));
  cistern('quadrigeminal', ellipsoid(P(0, 17, 57), R(8 * cis, 5 * cis, 5)));
  cistern('prepontine', ellipsoid(pons, R(14 + 2 * cis, 12 + 2.5 * cis, 12)));
  cistern('cisterna-magna', ellipsoid(P(0, 44, 11), R(11 * cis, 9 * cis, 10)));
  tissue('medulla', ellipsoid(P(0, 6, 10), R(9, 9, 15)), hu.brainstem);
  tissue('pons', ellipsoid(pons, R(14, 12, 11)), hu.brainstem);
  tissue('middle-peduncles', ellipsoid(P(0, 8, 31), R(21, 6, 6)), hu.brainstem);
  tissue('midbrain', ellipsoid(mid, R(12, 9.5, 8.5)), hu.brainstem);
  cistern('interpeduncular', ellipsoid(P(0, -7, 48), R(3.5, 4, 5)));

  // Lateral ventricles as unions of ellipsoids: frontal horn, body, atrium, occipital and temporal horns.
  for (const [k, s] of [[0, 1], [1, -1]] as const) {
    const part: VentriclePart = s > 0 ? 'left' : 'right';
    const sc = vScale * sideScale[k]!;
    const u = (x: number) => s * x * (1 + 0.25 * (vWide - 1)) + shiftU;
    const vent = (name: string, ctr: Vec3, r: Vec3, yaw = 0, pitch = 0) =>
      add(name, ellipsoid(ctr, [r[0] * sc * vWide, r[1] * sc, r[2] * sc], yaw, pitch), hu.csf, { vent: 1, part });
    vent('frontal-horn', P(u(10.5), -22, 82), R(5.2, 15, 8.5), s * 0.32, 0.2);
    vent('body', P(u(12.5), 4, 92), R(5, 22, 6), -s * 0.06, -0.05);
    vent('body-atrium', P(u(17), 18, 87), R(6, 10, 7), -s * 0.3);
    vent('atrium', P(u(22), 27, 79), R(7.5, 9.5, 10));
    vent('occipital-horn', P(u(20), 41, 74), R(4, 12, 5), s * 0.35);
    vent('atrium-temporal', P(u(27), 16, 66), R(4.5, 8, 8), 0, 0.6);
    vent('temporal-horn', P(u(30), 0, 54), R(2.6, 17, 3.2), -s * 0.15, 0.45);
  }
  const third = 1 + 1.6 * atrophy;
  add('third', ellipsoid(P(shiftU, -3, 66), R(1.8 * third, 13, 9.5), 0, 0.2), hu.csf, { vent: 1, part: 'third' });
  add('fourth', ellipsoid(P(0, 19, 28), R(7, 4.2, 8.5)), hu.csf, { vent: 1, part: 'fourth' });
  add('fourth-top', ellipsoid(P(0, 16, 36), R(3.5, 3, 5)), hu.csf, { vent: 1, part: 'fourth' });
  add('aqueduct', ellipsoid(P(0, 11, 47), R(1.1, 1.1, 7), 0, -0.3), hu.csf, { vent: 1, part: 'fourth' });
  for (const s of [1, -1]) {
    const u = (x: number) => s * x + shiftU;
    tissue('caudate-head', ellipsoid(P(u(14.5 + 1.5 * atrophy), -15, 78), R(5.2 - 1.2 * atrophy, 9.5, 10.5), s * 0.1), hu.deepGm);
    tissue('caudate-body', ellipsoid(P(u(17.5 + 1.5 * atrophy), 2, 90), R(2.6, 12, 3.5), s * 0.05), hu.deepGm);
  }

  // Physiological calcifications: choroid plexus glomera, pineal, falx plaques, pallidal (elderly).
  const calcP = 0.35 + 0.5 * Math.min(1, c.age / 70);
  for (const s of [1, -1]) {
    if (rng.chance(calcP)) add('choroid-calc', ellipsoid(P(s * 22 + shiftU + j(2), 29 + j(2), 78 + j(2)), R(rng.uniform(1.5, 3.5), rng.uniform(2, 4), rng.uniform(1.5, 3))), rng.uniform(90, 300));
  }
  if (rng.chance(calcP)) add('pineal-calc', ellipsoid(P(shiftU * 0.5, 19 + j(1), 62 + j(1.5)), R(rng.uniform(1.5, 3.2), rng.uniform(1.5, 3.2), rng.uniform(1.5, 3))), rng.uniform(100, 320));
  if (rng.chance(0.12 + 0.3 * atrophy)) {
    for (const s of [1, -1]) add('pallidal-calc', ellipsoid(P(s * 17.5 + shiftU, -3 + j(2), 63 + j(2)), R(rng.uniform(1.2, 3), rng.uniform(2, 4), rng.uniform(1.5, 3))), rng.uniform(70, 180));
  }
  const falxCalcs = rng.chance(0.3) ? rng.int(1, 3) : 0;
  for (let i = 0; i < falxCalcs; i++) {
    add('falx-calc', ellipsoid(P(0, rng.uniform(-50, 40), rng.uniform(90, 128)), R(0.9, rng.uniform(2, 6), rng.uniform(2, 5))), rng.uniform(150, 450));
  }

  // Dural venous sinuses along the inner table: torcula, transverse and sigmoid sinuses, straight sinus.
  const sinusAt = (phi: number, w: number, depth: number): Vec3 => {
    const r = innerRadius(c.vault, phi, w) - depth;
    return [r * Math.cos(phi), r * Math.sin(phi), w];
  };
  const tw = c.transverseW;
  const venous = (name: string, e: Ellipsoid) => add(name, e, hu.venous);
  const dominant = rng.chance(0.6) ? -1 : 1; // right transverse sinus usually larger
  venous('torcula', ellipsoid(sinusAt(Math.PI / 2, tw, 4.5), [7, 4, 5]));
  for (const s of [1, -1]) {
    const size = s === dominant ? rng.uniform(3.8, 5) : rng.uniform(2.5, 4.2);
    for (let i = 0; i <= 14; i++) {
      const phi = Math.PI / 2 - s * (i / 14) * (Math.PI / 2 - 0.42);
      const ctr = sinusAt(phi, tw - i * 0.2, size + 0.3);
      venous('transverse', ellipsoid(ctr, [size, 8, size * 0.8], phi));
    }
    for (let i = 1; i <= 8; i++) {
      const f = i / 8;
      const phi = s > 0 ? 0.42 + 0.2 * f : Math.PI - 0.42 - 0.2 * f;
      const w = tw - 3 - f * (tw - 14 * sw);
      venous('sigmoid', ellipsoid(sinusAt(phi, w, size + 1 + 6 * f), [size, size, 6], phi + Math.PI / 2));
    }
  }
  for (let i = 0; i < 4; i++) {
    const f = i / 3;
    const tor = sinusAt(Math.PI / 2, tw, 6);
    const end = P(0, 24, 60);
    venous('straight', ellipsoid([tor[0] + (end[0] - tor[0]) * f, tor[1] + (end[1] - tor[1]) * f, tor[2] + (end[2] - tor[2]) * f], [2.5, 6, 2.5], 0, -0.6));
  }

  // Face and skull-base cavities (outside the cranial cavity only).
  outside('face', ellipsoid(P(0, -74, 20), R(50, 34, 30)), hu.muscle - 8);
  outside('nose', ellipsoid(P(0, -104, 14), R(8, 13, 18), 0, -0.3), hu.scalp);
  outside('nasal-wall', ellipsoid(P(0, -80, 18), R(14.5, 25, 15)), hu.baseBone * 0.5);
  outside('nasal-cavity', ellipsoid(P(0, -80, 18), R(13, 24, 14)), hu.air);
  outside('septum', ellipsoid(P(0, -80, 18), R(0.9, 23, 13)), 300);
  for (const s of [1, -1]) {
    outside('maxillary-wall', ellipsoid(P(s * 28, -60, 12), R(15, 17, 14)), hu.baseBone * 0.6);
    outside('maxillary', ellipsoid(P(s * 28, -60, 12), R(13.5, 15.5, 12.5)), hu.air);
    outside('zygoma', ellipsoid(P(s * 58, -34, 22), R(4, 24, 5), s * 0.2), hu.baseBone);
    outside('condyle', ellipsoid(P(s * 50, -14, 8), R(7, 6, 10)), hu.baseBone * 0.9);
    outside('orbit-wall', ellipsoid(P(s * 32, -66, 38), R(17, 21, 15.5), s * 0.15), hu.baseBone * 0.7);
    outside('orbit', ellipsoid(P(s * 32, -66, 38), R(15, 20, 13.5), s * 0.15), hu.fat);
    outside('optic-nerve', ellipsoid(P(s * 22, -58, 38), R(2.2, 12, 2.2), -s * 0.5), hu.muscle - 10);
    outside('globe', ellipsoid(P(s * 32, -76, 38), [11.5, 11.5, 11.5]), hu.globe);
    outside('lens', ellipsoid(P(s * 32, -86.5, 38), [4, 1.8, 4.2]), hu.lens);
    outside('mastoid', ellipsoid(P(s * 48, 19, 22), R(12, 13, 14), s * 0.3), -650, true, 700);
    outside('ear-canal', ellipsoid(P(s * 60, 3, 27), R(14, 3.5, 3.5), -s * 0.1), hu.air);
    outside('auricle', ellipsoid(P(s * 79, 6, 30), R(4.5, 17, 24), s * 0.15), hu.scalp);
  }
  outside('ethmoid', ellipsoid(P(0, -62, 36), R(10, 16, 9)), -700, true, 300);
  outside('sphenoid-sinus', ellipsoid(P(0, -32, 25), R(12, 10, 8)), hu.air);
  outside('nasopharynx', ellipsoid(P(0, -42, 8), R(11, 9, 10)), hu.air);
  if (rng.chance(0.85)) {
    const f = rng.uniform(0.6, 1.2);
    outside('frontal-sinus', ellipsoid(P(j(3), -86, 58), R(12 * f, 3.5, 8 * f)), hu.air);
  }

  const landmarks: Landmarks = {
    putamen: P(23, -5, 64),
    thalamus: P(9.5, 10, 70),
    pons,
    cerebellum: P(26, 34, 24),
    suprasellar: P(0, -16, 50),
    midbrain: mid,
    callosumTop: 100 * sw,
    genuV: -32 * sv,
    spleniumV: 32 * sv,
    transverseW: tw,
  };
  return { structures: list, landmarks };
}
