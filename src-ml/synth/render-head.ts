// The first pass over one sub-plane: scalp, skull tables and diploe, skull base, the CSF gap, cortex
// with sulci, cerebellum with folia, the interhemispheric fissure and falx, the tentorium and the
// superior sagittal sinus. Surfaces parallel to the inner table are placed by their 3-D distance from
// it and blended over the pixel-and-slab footprint, which is what gives the partial-volume bands at the
// inner table and the tangential cuts at the vertex and base.
import type { HeadModel } from './anatomy.ts';
import { FOLD_LEVELS, FOLD_STEP_MM, newPlaneFolds, planeFolds } from './cortical-folding.ts';
import type { Frame } from './render-frame.ts';
import type { PlaneBuffers } from './render-buffers.ts';
import { NO_TENT } from './skull-base.ts';
import { ANGLE_BINS } from './vault.ts';

// Imported bindings are getters under some loaders: hot loops read module-local copies.
const BINS = ANGLE_BINS;
const NT = NO_TENT;
const LEVELS = FOLD_LEVELS;
const STEP = FOLD_STEP_MM;
const folds = newPlaneFolds();
const foldsAt: { w: number; head: HeadModel | null; extra: boolean } = { w: NaN, head: null, extra: false };
const surfR = new Float32Array(ANGLE_BINS);
const noExtra = new Float32Array(ANGLE_BINS);

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
const smooth = (e0: number, e1: number, x: number) => {
  const t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
};

/** w below which the interhemispheric fissure stops: the corpus callosum, the floor, the tentorium. */
export function fissureFloor(head: HeadModel, v: number): number {
  const l = head.landmarks;
  const arch = l.callosumTop - 12 * (v / l.spleniumV) ** 2;
  if (v < l.genuV) return arch + (40 * head.sw - arch) * smooth(l.genuV, l.genuV - 15, v);
  if (v > l.spleniumV) return arch + (58 * head.sw - arch) * smooth(l.spleniumV, l.spleniumV + 12, v);
  return arch;
}

export interface HeadPassInput {
  head: HeadModel;
  frame: Frame;
  buf: PlaneBuffers;
  z0: number;
  z1: number;
  /** Extra-axial blood thickness by angle bin on this plane (null: none): the brain is pushed in. */
  extra: Float32Array | null;
  floorMax: number;
  tentMax: number;
  /** w of the slice's centre plane, where the folds are tabulated. */
  foldsW: number;
}

export function paintHead(p: HeadPassInput): void {
  const { head, frame: f, buf, z0, z1 } = p;
  const sp = f.sp;
  const dz = z1 - z0;
  const wm = (z0 + z1) / 2;
  const V = head.vault;
  const hu = head.hu;
  const dw = wm - V.wc;
  const C = dw > 0 ? V.cUp : V.cLo;
  const dzn2 = (dw / C) ** 2;
  const gz = Math.abs(dw) / (C * C);
  const gz2 = gz * gz;
  const extra = p.extra ?? noExtra;
  // Folds change little over a slice: tabulate them once, on the slice's centre plane.
  if (p.foldsW !== foldsAt.w || head !== foldsAt.head || p.extra !== null || foldsAt.extra) {
    const fw = p.foldsW;
    const fdw = fw - V.wc;
    const fC = fdw > 0 ? V.cUp : V.cLo;
    const ft = (fdw / fC) ** 2;
    const fs = ft < 1 ? Math.sqrt(1 - ft) : 0;
    for (let b = 0; b < BINS; b++) surfR[b] = V.r0[b]! * fs - V.gap[b]! - extra[b]!;
    planeFolds(head.folds, surfR, fw, folds);
    foldsAt.w = fw;
    foldsAt.head = head;
    foldsAt.extra = p.extra !== null;
  }
  const { g: FG, gs: FGS, depth: FD, lean: FL } = folds;
  const fo = head.folds;
  const ctx = fo.cortex;
  let rMin = V.cUp;
  for (let b = 0; b < BINS; b += 8) rMin = Math.min(rMin, V.r0[b]!);
  const nAir = 1 + (V.maxOuter + 3) / rMin;
  const nAir2 = nAir * nAir;
  const tempMm = V.temporalisMm * smooth(20 * head.sw, 38 * head.sw, wm) * (1 - smooth(80 * head.sw, 100 * head.sw, wm));
  const useBase = f.hasBase && z0 < p.floorMax + 1;
  const useTent = f.hasBase && z0 < p.tentMax + 2;
  let sulcMax = 0;
  for (let b = 0; b < BINS; b++) if (FD[b]! > sulcMax) sulcMax = FD[b]!;
  sulcMax += ctx + 1;
  const fisHalf = head.fissureHalf;
  const fisReach = fisHalf + ctx + 2;
  const sssFront = 55 * head.sw;
  const sssBack = head.landmarks.transverseW - 2;
  const sssD = head.sssDepth;
  const muscleBelow = hu.muscle;
  const { val: VAL, cav: CAV, brain: BRAIN, sub: SUB, vent: VENT, depth: DEP, soft: SOFT } = buf;
  const { u: U, v: VV, ang: ANG, a: A, g: G, floor: FLOOR, floorN: FN, boneT: BT, petrous: PET, tent: TT, tentN: TN } = f;
  const { tIn: TIN, tDip: TDIP, tOut: TOUT, scalp: SC, temporalis: TEMP, gap: GAP } = V;
  const size = f.size;
  const huAir = hu.air, huScalp = hu.scalp, huTable = hu.table, huDiploe = hu.diploe, huCsf = hu.csf;
  const huGm = hu.gm, huWm = hu.wm, huCereb = hu.cerebellum, huDura = hu.dura, huVenous = hu.venous;
  const huBase = hu.baseBone, huPet = hu.petrous;
  const halfWidth = fo.halfWidth;
  const apex = dw > 0 ? smooth(0.6, 0.95, dw / C) : 0;
  const { tIn: mIn, tDip: mDip, tOut: mOut, scalp: mSc } = V.mean;
  const falxHalf = head.falxHalf;
  const sssHalf = head.sssHalf;
  // Per row, only the columns within the head's outer circle on this plane can be anything but air.
  const aDw = Math.abs(dw);
  const reachDw = aDw > V.maxOuter ? aDw - V.maxOuter : 0;
  const rPlane = (reachDw < C ? V.rMax * Math.sqrt(1 - (reachDw / C) ** 2) : 0) + V.maxOuter + 2 * sp + 2;
  const cxp = (head.cx - f.ox) / sp;
  const cyp = (head.cy - f.oy) / sp;
  const rp = rPlane / sp;
  for (let r = f.r0; r <= f.r1; r++) {
    const dyr = r - cyp;
    const half = rp * rp - dyr * dyr;
    let cs = f.c1 + 1;
    let ce = f.c1;
    if (half > 0) {
      const h = Math.sqrt(half);
      cs = Math.max(f.c0, Math.floor(cxp - h));
      ce = Math.min(f.c1, Math.ceil(cxp + h));
    }
    const row = r * size;
    for (const [from, to] of [[f.c0, cs], [ce + 1, f.c1 + 1]] as const) {
      if (to <= from) continue;
      VAL.fill(huAir, row + from, row + to);
      CAV.fill(0, row + from, row + to);
      BRAIN.fill(0, row + from, row + to);
      SUB.fill(0, row + from, row + to);
      VENT.fill(0, row + from, row + to);
      DEP.fill(-99, row + from, row + to);
      SOFT.fill(1, row + from, row + to);
    }
    for (let c = cs, i = row + cs; c <= ce; c++, i++) {
      const a = A[i]!;
      const n2 = a * a + dzn2;
      if (n2 > nAir2) {
        VAL[i] = huAir;
        CAV[i] = 0;
        BRAIN[i] = 0;
        SUB[i] = 0;
        VENT[i] = 0;
        DEP[i] = -99;
        SOFT[i] = 1;
        continue;
      }
      const n = Math.sqrt(n2);
      const gg = G[i]!;
      const gl = Math.sqrt(gg * gg + gz2);
      const D = n > 0.3 ? ((1 - n) * n) / gl : 60;
      let W = (dz * gz + sp * gg) / gl;
      if (W < 0.35) W = 0.35;
      const b = ANG[i]! | 0;
      let x: number;
      let val: number;
      let cin: number;
      if (D >= 0.5 * W) {
        // Wholly inside the inner table: the skull layers are all covered.
        val = huTable;
        cin = 1;
      } else {
        // Near the apex every angle meets: blend the layer thicknesses toward their means.
        const tI = TIN[b]! + (mIn - TIN[b]!) * apex;
        const tD = tI + TDIP[b]! + (mDip - TDIP[b]!) * apex;
        const tO = tD + TOUT[b]! + (mOut - TOUT[b]!) * apex;
        const tS = tO + SC[b]! + (mSc - SC[b]!) * apex + TEMP[b]! * tempMm;
        x = 0.5 + (D + tS) / W;
        let cv = x < 0 ? 0 : x > 1 ? 1 : x;
        val = huAir + (huScalp - huAir) * cv;
        cin = 0;
        if (cv > 0) {
          x = 0.5 + (D + tO) / W;
          cv = x < 0 ? 0 : x > 1 ? 1 : x;
          val += (huTable - val) * cv;
          x = 0.5 + (D + tD) / W;
          cv = x < 0 ? 0 : x > 1 ? 1 : x;
          val += (huDiploe - val) * cv;
          x = 0.5 + (D + tI) / W;
          cv = x < 0 ? 0 : x > 1 ? 1 : x;
          val += (huTable - val) * cv;
          x = 0.5 + D / W;
          cin = x < 0 ? 0 : x > 1 ? 1 : x;
        }
      }
      DEP[i] = D;
      SOFT[i] = W;
      if (cin <= 0) {
        VAL[i] = val;
        CAV[i] = 0;
        BRAIN[i] = 0;
        SUB[i] = 0;
        VENT[i] = 0;
        continue;
      }
      // Skull base: what is under the cranial floor, and the floor as a boundary of the cavity.
      let fcov = 1;
      let dFloor = 1e9;
      let Wf = W;
      // (a < 1.15: the frame samples the base maps only there.)
      if (useBase && a < 1.15) {
        const F = FLOOR[i]!;
        x = (z1 - F) / dz;
        fcov = x < 0 ? 0 : x > 1 ? 1 : x;
        if (fcov < 1) {
          const lo = F - BT[i]!;
          const top = F < z1 ? F : z1;
          const bot = lo > z0 ? lo : z0;
          const bcov = top > bot ? (top - bot) / dz : 0;
          const below = 1 - fcov;
          const boneHu = huBase + (huPet - huBase) * PET[i]!;
          const baseVal = (bcov * boneHu + (below - bcov) * muscleBelow) / below;
          val += (baseVal - val) * cin;
        }
        const fn = FN[i]!;
        dFloor = (wm - F) * fn;
        Wf = dz * fn + sp * Math.sqrt(1 - fn * fn);
        if (Wf < 0.35) Wf = 0.35;
      }
      const cav = cin * fcov;
      if (cav <= 0) {
        VAL[i] = val;
        CAV[i] = 0;
        BRAIN[i] = 0;
        SUB[i] = 0;
        VENT[i] = 0;
        continue;
      }
      const fromFloor = dFloor < D;
      const dIC = fromFloor ? dFloor : D;
      const Wi = fromFloor ? Wf : W;
      let gap = GAP[b]!;
      const ex = extra[b]!;
      if (ex > 0 && !fromFloor && ex + 0.3 > gap) gap = ex + 0.3;
      let dB = dIC - gap;
      x = 0.5 + dB / Wi;
      let cb = x < 0 ? 0 : x > 1 ? 1 : x;
      let cereb = false;
      let dura = 0;
      if (useTent && a < 1.15) {
        const T = TT[i]!;
        if (T !== NT) {
          const tn = TN[i]!;
          const dT = (wm - T) * tn;
          let Wt = dz * tn + sp * Math.sqrt(1 - tn * tn);
          if (Wt < 0.35) Wt = 0.35;
          cereb = dT < 0;
          const adT = (dT < 0 ? -dT : dT) - 0.6;
          if (adT < dB) dB = adT;
          x = 0.5 + adT / Wt;
          cb *= x < 0 ? 0 : x > 1 ? 1 : x;
          x = 0.5 + (0.5 - (dT < 0 ? -dT : dT)) / Wt;
          dura = x < 0 ? 0 : x > 1 ? 1 : x;
        }
      }
      let brainVal: number;
      let sulc = 0;
      let falx = 0;
      if (cereb) {
        // A few fissures roughly parallel to the cerebellar surface, fading into the white core.
        const ph = dB / 6.5 + 0.5 * Math.sin(ANG[i]! * 0.05);
        const fr = ph - Math.floor(ph);
        const dist = (fr < 0.5 ? 0.5 - fr : fr - 0.5) * 6.5;
        if (dB > 1 && dB < 15) {
          x = 0.5 + (0.35 - dist) / sp;
          sulc = (x < 0 ? 0 : x > 1 ? 1 : x) * 0.6;
        }
        const deep = dB < 8 ? 0 : dB > 15 ? 1 : (dB - 8) / 7;
        const cv2 = huCereb + (huWm + 3 - huCereb) * deep;
        brainVal = cv2 + (huCsf - cv2) * sulc;
      } else {
        let dc = dB;
        if (dB < sulcMax && dB > -2) {
          const dp = dB > 0 ? dB : 0;
          let af = ANG[i]! + FL[b]! * dp;
          if (af < 0) af += BINS;
          else if (af >= BINS) af -= BINS;
          const bi = af | 0;
          const afr = af - bi;
          let lf = dp / STEP;
          if (lf > LEVELS - 1.001) lf = LEVELS - 1.001;
          const lv = lf | 0;
          const lfr = lf - lv;
          const o0 = lv * (BINS + 1) + bi;
          const o1 = o0 + BINS + 1;
          const g0 = FG[o0]! + (FG[o0 + 1]! - FG[o0]!) * afr;
          const g1 = FG[o1]! + (FG[o1 + 1]! - FG[o1]!) * afr;
          const gv = g0 + (g1 - g0) * lfr;
          const gsv = FGS[o0]! + (FGS[o1]! - FGS[o0]!) * lfr;
          const dist = (gv < 0 ? -gv : gv) * gsv;
          const sd = FD[b]!;
          if (dB < sd) {
            let hw = halfWidth * (1 + 0.8 * (1 - dB / sd));
            if (ex > 0) hw *= 1 - clamp01(ex / 4);
            x = 0.5 + (hw - dist) / sp;
            const y = 0.5 + (sd - dB) / 1.5;
            sulc = (x < 0 ? 0 : x > 1 ? 1 : x) * (y > 1 ? 1 : y);
            if (dist - hw < dc) dc = dist - hw;
          } else {
            const dd = Math.sqrt(dist * dist + (dB - sd) * (dB - sd));
            if (dd < dc) dc = dd;
          }
        }
        const u = U[i]!;
        const au = u < 0 ? -u : u;
        if (au < fisReach) {
          const wl = fissureFloor(head, VV[i]!);
          if (wm > wl - 3) {
            const inFis = clamp01((wm - wl) / 3 + 0.5);
            x = 0.5 + (fisHalf - au) / sp;
            const cf = (x < 0 ? 0 : x > 1 ? 1 : x) * inFis;
            if (cf > sulc) sulc = cf;
            if (au - fisHalf < dc && inFis > 0.5) dc = au - fisHalf;
            if (wm > wl + 3) {
              x = 0.5 + (falxHalf - au) / sp;
              falx = (x < 0 ? 0 : x > 1 ? 1 : x) * clamp01((wm - wl - 3) / 3);
            }
          }
        }
        x = 0.5 + (ctx - dc) / 1.2;
        const gmw = x < 0 ? 0 : x > 1 ? 1 : x;
        const bv = huWm + (huGm - huWm) * gmw;
        brainVal = bv + (huCsf - bv) * sulc;
      }
      const ic = huCsf + (brainVal - huCsf) * cb;
      let brainM = cb * (1 - sulc);
      let subM = cb * sulc;
      val += (ic - val) * cav;
      if (dura > 0) val += (huDura - val) * dura * cav * 0.8;
      if (falx > 0) {
        val += (huDura - val) * falx * cav;
        brainM *= 1 - falx;
        subM *= 1 - falx;
      }
      // Superior sagittal sinus: a triangle against the inner table in the midline.
      const u = U[i]!;
      const au = u < 0 ? -u : u;
      if (D < sssD && au < sssHalf + 1.5) {
        const vv = VV[i]!;
        if (wm > (vv < 0 ? sssFront : sssBack)) {
          const half = sssHalf * (0.65 + 0.35 * clamp01(vv / 80 + 0.5)) * (1 - (D > 0 ? D : 0) / sssD);
          x = 0.5 + (half - au) / sp;
          const cs = (x < 0 ? 0 : x > 1 ? 1 : x) * cav;
          val += (huVenous - val) * cs;
          brainM *= 1 - cs;
          subM *= 1 - cs;
        }
      }
      VAL[i] = val;
      CAV[i] = cav;
      BRAIN[i] = cav * brainM;
      SUB[i] = cav * subM;
      VENT[i] = 0;
    }
  }
}
