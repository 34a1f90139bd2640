// The seed's 48 per-slice metadata features (docs/seed-pipeline.md section 6; notebooks/Metadata.ipynb): 16 booleans and
// 22 clipped, affinely scaled floats (the 38 continuous inputs of the shallow NN), plus 10 label-encoded
// categoricals with their embedding sizes (docs/seed-pipeline.md section 5). Pure TypeScript, no tfjs.
//
// Missing values follow pandas NaN semantics: comparisons are false, NaN is in a label list only where the seed
// listed it (WindowCenter_1, WindowWidth_1), clipping keeps NaN. Our additions for values pandas would leave as
// NaN (the seed's data had none): a continuous input that ends non-finite is written as 0 (rawFloats keeps the
// NaN for the viewer); pd.cut outside its bins maps to the nearest bin (NaN pos_inc -> bin 0, the bin of the
// 0 written on a series' first/last slice; NaN PxlMin -> group 2, the ordinary one); pos_inc_rng of a series
// without any z-difference > 0.1 (a 1-slice series, or all duplicates) is 1, the value of an evenly spaced series.
import type { MetaInputRow } from './metadata-rows.ts';

export const BOOL_COLS: readonly string[] = [
  'ImageOrientationPatient_4_enc_0',
  'ImageOrientationPatient_4_enc_1',
  'ImageOrientationPatient_5_enc_0',
  'ImagePositionPatient_0_enc_0',
  'ImagePositionPatient_0_enc_1',
  'ImagePositionPatient_0_f_r1',
  'ImagePositionPatient_0_f_r05',
  'ImagePositionPatient_1_enc_0',
  'ImagePositionPatient_2_f_r05',
  'PixelSpacing_1_enc_0',
  'pos_inc1_r1',
  'pos_inc1_r0001',
  'pos_inc1_enc_0',
  'pos_inc2_enc_0',
  'pos_inc1_enc_1',
  'pos_inc2_enc_1',
];

export const FLOAT_COLS: readonly string[] = [
  'ImageOrientationPatient_4_f',
  'ImageOrientationPatient_5_f',
  'ImagePositionPatient_0_f',
  'ImagePositionPatient_1_f',
  'ImagePositionPatient_2_f',
  'PixelSpacing_1_f',
  'pos_max',
  'pos_min',
  'pos_size',
  'pos_idx1',
  'pos_idx2',
  'pos_inc1',
  'pos_inc2',
  'pos_range',
  'pos_rel',
  'pos_zeros',
  'pos_inc_rng',
  'PxlMin',
  'PxlMax',
  'PxlStd',
  'PxlMean',
  'SeriesPP',
];

export const CAT_COLS: readonly string[] = [
  'WindowCenter_1_le',
  'BitType_le',
  'WindowCenter_0_le',
  'pos_inc1_grp_le',
  'pos_inc2_grp_le',
  'pos_size_le',
  'pos_zeros_le',
  'WindowWidth_0_le',
  'WindowWidth_1_le',
  'PxlMin_grp_le',
];
export const CAT_CARDINALITY: readonly number[] = [5, 5, 7, 4, 4, 11, 4, 6, 3, 3];
export const CAT_EMBED_DIMS: readonly number[] = [3, 3, 4, 2, 2, 6, 2, 4, 2, 2];

export const N_BOOL = 16;
export const N_FLOAT = 22;
export const N_CONTINUOUS = N_BOOL + N_FLOAT;
export const N_CAT = 10;
/** Column of PxlMin_grp_le in `categorical`. */
export const PXLMIN_GRP_COL = 9;

export interface MetaFeatures {
  /** Same order as the input rows. */
  imageIds: string[];
  /** N x 38: the 16 booleans (0/1), then the 22 floats after clipping and the final affine scaling. */
  continuous: Float32Array;
  /** N x 10, in CAT_COLS order. */
  categorical: Int32Array;
  /** N x 22 before the final affine scaling (after clipping and special codes); NaN where undefined. */
  rawFloats: Float32Array;
  /** Slice index within its series by ascending z. */
  posIdx1: Int32Array;
  seriesSize: Int32Array;
  /** Helper: the series has more than 10 images with PxlMin_grp_le == 0. */
  pxlMinZero: Uint8Array;
}

/** Python / numpy float modulo: the result has the sign of q (fmod, then q added when the signs differ). */
export function pyMod(a: number, q: number): number {
  const m = a % q;
  if (m === 0) return q < 0 ? -0 : 0; // copysign(0, q)
  return m < 0 !== q < 0 ? m + q : m;
}

/** The seed's round-encoder: ((x + 1e-7) mod q) < 1e-5, Python floor-mod. NaN -> false. */
export function roundEnc(x: number, q: number): boolean {
  return pyMod(x + 1e-7, q) < 1e-5;
}

/** Label-encoder: index of x in list (NaN matches a listed NaN), else list.length ("remaining"). */
export function labelEnc(x: number, list: readonly number[]): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    if (v === x || (Number.isNaN(v) && Number.isNaN(x))) return i;
  }
  return list.length;
}

/** Python's str() / repr() of a float: '-1024.0', '0.0', '1.5e-05', '1e+16', 'nan'. */
export function pyFloatStr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const ax = Math.abs(x);
  if (ax >= 1e-4 && ax < 1e16) {
    const s = String(x); // shortest round-trip digits, positional in this range
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mant, exp] = x.toExponential().split('e') as [string, string];
  const e = Number(exp);
  return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Python's str() of an int column value (NaN -> 'nan'). */
function pyIntStr(x: number): string {
  return Number.isInteger(x) ? String(x) : pyFloatStr(x);
}

/** BitType string: str(BitsStored) + str(PixelRepresentation) + str(RescaleIntercept), e.g. '161-1024.0'. */
export function bitTypeString(bitsStored: number, pixelRepresentation: number, rescaleIntercept: number): string {
  return pyIntStr(bitsStored) + pyIntStr(pixelRepresentation) + pyFloatStr(rescaleIntercept);
}

/** pandas clip: NaN stays NaN. */
export function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

const between = (x: number, lo: number, hi: number) => x >= lo && x <= hi;
const n = (v: number | null | undefined): number => (v === null || v === undefined ? NaN : v);

export const WINDOW_CENTER_0_LIST: readonly number[] = [30, 36, 40, 35, 47, 50];
export const WINDOW_CENTER_1_LIST: readonly number[] = [36, 40, 47, NaN];
export const WINDOW_WIDTH_0_LIST: readonly number[] = [80, 150, 100, 135, 120];
export const WINDOW_WIDTH_1_LIST: readonly number[] = [80, NaN];
export const BIT_TYPE_LIST: readonly string[] = ['161-1024.0', '120-1024.0', '1210.0', '1610.0'];
export const POS_SIZE_LIST: readonly number[] = [32, 40, 36, 28, 34, 30, 35, 33, 38, 44];
export const POS_ZEROS_LIST: readonly number[] = [0, 4, 8];

/** pd.cut at (-1, 2], (2, 3.5], (3.5, 4.5], (4.5, 1000] -> 0..3; outside (or NaN): the nearest bin, NaN -> 0. */
export function posIncGroup(x: number): number {
  if (!(x > 2)) return 0; // includes NaN and x <= -1
  if (x <= 3.5) return 1;
  if (x <= 4.5) return 2;
  return 3;
}

/** PxlMin after clipping to [-3500, -1000], cut at (-5000, -2500], (-2500, -1500], (-1500, 2000]; NaN -> 2. */
export function pxlMinGroup(pxlMin: number): number {
  const x = clip(pxlMin, -3500, -1000);
  if (x <= -2500) return 0;
  if (x <= -1500) return 1;
  return 2;
}

const M = 4;

/** The final affine scaling (docs/seed-pipeline.md section 6, cell 56), per FLOAT_COLS index. Evaluated left to right like Python. */
export const FLOAT_SCALERS: readonly ((x: number) => number)[] = [
  (x) => (M * (x - 0.8)) / 0.3, // IOP4_f
  (x) => (M * (x + 0.5)) / 0.6, // IOP5_f
  (x) => (M * (x + 173)) / 150, // IPP0_f
  (x) => (M * (x + 65)) / 300, // IPP1_f
  (x) => (M * (x - 167)) / 2792, // IPP2_f
  (x) => (M * (x - 0.26)) / 0.5, // PixelSpacing_1_f
  (x) => (M * x) / 1000, // pos_max
  (x) => (M * x) / 1000, // pos_min
  (x) => (M * (x - 35)) / 40, // pos_size
  (x) => (M * (x - 17)) / 59, // pos_idx1
  (x) => (M * (x - 17)) / 59, // pos_idx2
  (x) => (M * (x - 2)) / 8, // pos_inc1
  (x) => (M * (x - 2)) / 8, // pos_inc2
  (x) => (M * (x - 165)) / 150, // pos_range
  (x) => M * (x - 0.5), // pos_rel
  (x) => (M * x) / 10, // pos_zeros
  (x) => (M * (x - 1.3)) / 2, // pos_inc_rng
  (x) => (M * (x + 2000)) / 3000, // PxlMin
  (x) => (M * (x - 1500)) / 3000, // PxlMax
  (x) => (M * (x - 800)) / 1000, // PxlStd
  (x) => (M * (x + 800)) / 1000, // PxlMean
  (x) => (x - 2) / 2, // SeriesPP (no M)
];

/** Per-slice series geometry (docs/seed-pipeline.md section 6, "Series geometry"), raw (unclipped). */
interface Geometry {
  idx1: number;
  size: number;
  inc1: number;
  inc2: number;
  max: number;
  min: number;
  range: number;
  rel: number;
  zeros: number;
  incRng: number;
}

/** Groups row indices by series; within a series sorts by z ascending (NaN last), ties by input order. */
function seriesGroups(rows: readonly MetaInputRow[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const g = groups.get(r.seriesUid);
    if (g) g.push(i);
    else groups.set(r.seriesUid, [i]);
  });
  for (const idx of groups.values()) {
    idx.sort((a, b) => {
      const za = n(rows[a]!.ipp[2]);
      const zb = n(rows[b]!.ipp[2]);
      const na = Number.isNaN(za);
      const nb = Number.isNaN(zb);
      if (na !== nb) return na ? 1 : -1;
      if (!na && za !== zb) return za - zb;
      return a - b;
    });
  }
  return groups;
}

function seriesGeometry(zs: readonly number[]): Geometry[] {
  const size = zs.length;
  let max = NaN;
  let min = NaN;
  for (const z of zs) {
    if (Number.isNaN(z)) continue; // pandas max/min skip NaN
    if (!(z <= max)) max = z;
    if (!(z >= min)) min = z;
  }
  const range = max - min;
  let zeros = 0;
  let dMax = -Infinity;
  let dMin = Infinity;
  for (let k = 1; k < size; k++) {
    const d = zs[k]! - zs[k - 1]!;
    if (d <= 0.001) zeros++;
    if (d > 0.1) {
      if (d > dMax) dMax = d;
      if (d < dMin) dMin = d;
    }
  }
  const incRng = dMax === -Infinity ? 1 : clip(dMax / dMin, 0, 3);
  return zs.map((z, k) => ({
    idx1: k,
    size,
    inc1: k === 0 ? 0 : z - zs[k - 1]!,
    inc2: k === size - 1 ? 0 : zs[k + 1]! - z,
    max,
    min,
    range,
    rel: range === 0 ? 0.5 : (z - min) / range,
    zeros,
    incRng,
  }));
}

export function computeMetadataFeatures(rows: readonly MetaInputRow[]): MetaFeatures {
  const N = rows.length;
  const continuous = new Float32Array(N * N_CONTINUOUS);
  const categorical = new Int32Array(N * N_CAT);
  const rawFloats = new Float32Array(N * N_FLOAT);
  const posIdx1 = new Int32Array(N);
  const seriesSize = new Int32Array(N);
  const pxlMinZero = new Uint8Array(N);

  // SeriesPP: distinct series per DICOM PatientID.
  const patientSeries = new Map<string, Set<string>>();
  for (const r of rows) {
    const s = patientSeries.get(r.patientId);
    if (s) s.add(r.seriesUid);
    else patientSeries.set(r.patientId, new Set([r.seriesUid]));
  }

  const geometry: Geometry[] = new Array<Geometry>(N);
  for (const idx of seriesGroups(rows).values()) {
    const geo = seriesGeometry(idx.map((i) => n(rows[i]!.ipp[2])));
    idx.forEach((i, k) => (geometry[i] = geo[k]!));
    let grp0 = 0;
    for (const i of idx) if (pxlMinGroup(n(rows[i]!.pxlMin)) === 0) grp0++;
    for (const i of idx) pxlMinZero[i] = grp0 > 10 ? 1 : 0;
  }

  const bools = new Array<boolean>(N_BOOL);
  const floats = new Array<number>(N_FLOAT);
  const cats = new Array<number>(N_CAT);
  for (let i = 0; i < N; i++) {
    const r = rows[i]!;
    const g = geometry[i]!;
    const iop4 = n(r.iop[4]);
    const iop5 = n(r.iop[5]);
    const ipp0 = n(r.ipp[0]);
    const ipp1 = n(r.ipp[1]);
    const z = n(r.ipp[2]);
    const ps1 = n(r.pixelSpacing1);

    // Orientation and position.
    const iop4Enc0 = iop4 === 1;
    const iop4Enc1 = between(iop4, 0.927184, 0.927185);
    const iop5Enc0 = iop5 === 0;
    const ipp0Enc0 = ipp0 === -125;
    const ipp0Enc1 = between(ipp0, -126.437379, -126.437377) || between(ipp0, -126.408876, -126.408874);
    const iop4F = iop4Enc0 || iop4Enc1 ? 0.7 : clip(iop4, 0.85, 1);
    const iop5F = clip(iop5Enc0 || between(iop5, -0.374608, -0.374607) ? -0.6 : iop5, -0.7, 0);
    const ipp0F = ipp0Enc0 || ipp0Enc1 ? -200 : clip(ipp0, -175, -50);
    const ipp1F = clip(ipp1, -200, 100);
    const ps1F = ps1 === 0.488281 || between(ps1, 0.49475, 0.494864) ? 0.2 : clip(ps1, 0.3, 0.7);

    // Series geometry: pos_inc raw values feed the encoders and the cut; the floats are clipped, then -1
    // where the raw value was exactly 0 or 5.
    const incF = (raw: number) => (raw === 0 || raw === 5 ? -1 : clip(raw, 0, 7));

    bools[0] = iop4Enc0;
    bools[1] = iop4Enc1;
    bools[2] = iop5Enc0;
    bools[3] = ipp0Enc0;
    bools[4] = ipp0Enc1;
    bools[5] = roundEnc(ipp0F, 1);
    bools[6] = roundEnc(ipp0F, 0.5);
    bools[7] = ipp1F > -75;
    bools[8] = roundEnc(z, 0.5);
    bools[9] = between(ps1, 0.488281, 0.488282);
    bools[10] = roundEnc(g.inc1, 1);
    bools[11] = roundEnc(g.inc1, 0.001);
    bools[12] = g.inc1 === 0;
    bools[13] = g.inc2 === 0;
    bools[14] = g.inc1 === 5;
    bools[15] = g.inc2 === 5;

    floats[0] = iop4F;
    floats[1] = iop5F;
    floats[2] = ipp0F;
    floats[3] = ipp1F;
    floats[4] = z;
    floats[5] = ps1F;
    floats[6] = clip(g.max, -500, 500);
    floats[7] = clip(g.min, -500, 500);
    floats[8] = g.size;
    floats[9] = g.idx1;
    floats[10] = g.size - 1 - g.idx1;
    floats[11] = incF(g.inc1);
    floats[12] = incF(g.inc2);
    floats[13] = clip(g.range, 100, 250); // after pos_rel, which used the raw range
    floats[14] = g.rel;
    floats[15] = g.zeros;
    floats[16] = g.incRng;
    floats[17] = clip(n(r.pxlMin), -3500, -1000);
    floats[18] = clip(n(r.pxlMax), -1000, 3500);
    floats[19] = clip(n(r.pxlStd), 0, 1500);
    floats[20] = clip(n(r.pxlMean), -1900, -100);
    floats[21] = patientSeries.get(r.patientId)!.size;

    cats[0] = labelEnc(n(r.windowCenter1), WINDOW_CENTER_1_LIST);
    const bitType = bitTypeString(n(r.bitsStored), n(r.pixelRepresentation), n(r.rescaleIntercept));
    const bt = BIT_TYPE_LIST.indexOf(bitType);
    cats[1] = bt < 0 ? BIT_TYPE_LIST.length : bt;
    cats[2] = labelEnc(n(r.windowCenter0), WINDOW_CENTER_0_LIST);
    cats[3] = posIncGroup(g.inc1);
    cats[4] = posIncGroup(g.inc2);
    cats[5] = labelEnc(g.size, POS_SIZE_LIST);
    cats[6] = labelEnc(g.zeros, POS_ZEROS_LIST);
    cats[7] = labelEnc(n(r.windowWidth0), WINDOW_WIDTH_0_LIST);
    cats[8] = labelEnc(n(r.windowWidth1), WINDOW_WIDTH_1_LIST);
    cats[9] = pxlMinGroup(n(r.pxlMin));

    const c = i * N_CONTINUOUS;
    for (let j = 0; j < N_BOOL; j++) continuous[c + j] = bools[j] ? 1 : 0;
    for (let j = 0; j < N_FLOAT; j++) {
      const raw = floats[j]!;
      rawFloats[i * N_FLOAT + j] = raw;
      const scaled = FLOAT_SCALERS[j]!(raw);
      continuous[c + N_BOOL + j] = Number.isFinite(scaled) ? scaled : 0;
    }
    for (let j = 0; j < N_CAT; j++) categorical[i * N_CAT + j] = cats[j]!;
    posIdx1[i] = g.idx1;
    seriesSize[i] = g.size;
  }
  return { imageIds: rows.map((r) => r.imageId), continuous, categorical, rawFloats, posIdx1, seriesSize, pxlMinZero };
}

/** Row i of an N x width typed matrix, as a plain array (tests, viewer). */
export function rowOf<T extends Float32Array | Int32Array>(m: T, width: number, i: number): number[] {
  return Array.from(m.subarray(i * width, (i + 1) * width));
}
