// Golden tests for the seed's metadata features (docs/seed-pipeline.md section 6). Every expected number below is derived by
// hand in the comments from the spec's definitions, not by running the code under test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { Workspace } from '../store/workspace.ts';
import {
  BOOL_COLS, CAT_CARDINALITY, CAT_COLS, CAT_EMBED_DIMS, FLOAT_COLS, FLOAT_SCALERS, N_BOOL, N_CAT, N_CONTINUOUS, N_FLOAT,
  bitTypeString, computeMetadataFeatures, labelEnc, posIncGroup, pxlMinGroup, pyFloatStr, pyMod, roundEnc, rowOf,
  WINDOW_CENTER_1_LIST, WINDOW_WIDTH_1_LIST, type MetaFeatures,
} from './metadata-features.ts';
import { metadataRowsFromWorkspace, type MetaInputRow } from './metadata-rows.ts';

/** A GE-like axial slice: IOP (1,0,0,0,1,0), IPP0 = -125, PixelSpacing 0.488281, window 40/80, 16-bit signed, -1024. */
function row(imageId: string, seriesUid: string, patientId: string, z: number | null, o: Partial<MetaInputRow> = {}): MetaInputRow {
  return {
    imageId, seriesUid, patientId,
    iop: [1, 0, 0, 0, 1, 0], ipp: [-125, -50, z], pixelSpacing1: 0.488281,
    windowCenter0: 40, windowCenter1: null, windowWidth0: 80, windowWidth1: null,
    bitsStored: 16, pixelRepresentation: 1, rescaleIntercept: -1024,
    pxlMin: -3024, pxlMax: 2000, pxlMean: -1000, pxlStd: 1000,
    ...o,
  };
}

describe('encoders', () => {
  it('round-encoder uses Python floor-mod (non-negative for negative x)', () => {
    // -3 + 1e-7 = -2.9999999; Python: -2.9999999 % 1 = 1e-7 < 1e-5 -> true. JS `%` alone gives -0.9999999 (also < 1e-5,
    // but for the wrong reason): -0.5 + 1e-7 = -0.4999999, Python % 1 = 0.5000001 -> false, JS % gives -0.4999999 < 1e-5.
    expect(roundEnc(-3, 1)).toBe(true);
    expect(roundEnc(-0.5, 1)).toBe(false);
    expect(roundEnc(-0.5, 0.5)).toBe(true);
    // -7.1 + 1e-7 = -7.0999999; floor-mod 0.5: -7.0999999 - (-7.5) = 0.4000001 -> false.
    expect(pyMod(-7.1 + 1e-7, 0.5)).toBeCloseTo(0.4000001, 9);
    expect(roundEnc(-7.1, 0.5)).toBe(false);
    // 3.2 + 1e-7 mod 0.001 = 1e-7 (3200 * 0.001 = 3.2) -> true; 3.2 mod 1 = 0.2 -> false.
    expect(roundEnc(3.2, 0.001)).toBe(true);
    expect(roundEnc(3.2, 1)).toBe(false);
    expect(roundEnc(NaN, 1)).toBe(false);
    expect(Object.is(pyMod(-1, 1), 0)).toBe(true); // Python: -1.0 % 1 == 0.0 (not -0.0)
    expect(pyMod(-1, 0.75)).toBeCloseTo(0.5, 12);
  });

  it('label-encoder: index in list, NaN listed only for the _1 windows, else len(list)', () => {
    // WindowCenter_1: [36, 40, 47, NaN] else 4
    expect([36, 40, 47, NaN, 30].map((v) => labelEnc(v, WINDOW_CENTER_1_LIST))).toEqual([0, 1, 2, 3, 4]);
    // WindowWidth_1: [80, NaN] else 2
    expect([80, NaN, 150].map((v) => labelEnc(v, WINDOW_WIDTH_1_LIST))).toEqual([0, 1, 2]);
  });

  it('formats BitType like Python str()', () => {
    expect(bitTypeString(16, 1, -1024)).toBe('161-1024.0');
    expect(bitTypeString(12, 0, -1024)).toBe('120-1024.0');
    expect(bitTypeString(12, 1, 0)).toBe('1210.0');
    expect(bitTypeString(16, 1, 0)).toBe('1610.0');
    expect(bitTypeString(16, 1, -1024.5)).toBe('161-1024.5');
    expect(bitTypeString(NaN, 1, -1024)).toBe('nan1-1024.0');
    expect(['-0.0', '0.0001', '1.5e-05', '1e+16', '123456789012345.6', 'nan', '-3000.0'])
      .toEqual([-0, 0.0001, 1.5e-5, 1e16, 123456789012345.6, NaN, -3000].map(pyFloatStr));
  });

  it('pd.cut bins for pos_inc and PxlMin', () => {
    // (-1, 2] -> 0, (2, 3.5] -> 1, (3.5, 4.5] -> 2, (4.5, 1000] -> 3 (right-closed)
    expect([0, 2, 2.0001, 3.5, 3.5001, 4.5, 4.5001, 1000].map(posIncGroup)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    // our guards for values pandas would make NaN
    expect([NaN, 1e6].map(posIncGroup)).toEqual([0, 3]);
    // clip to [-3500, -1000] first, then (-5000, -2500] -> 0, (-2500, -1500] -> 1, (-1500, 2000] -> 2
    expect([-9000, -2500, -2499, -1500, -1499, 500, NaN].map(pxlMinGroup)).toEqual([0, 0, 1, 1, 2, 2, 2]);
  });

  it('has the seed column lists and embedding sizes', () => {
    expect(BOOL_COLS).toHaveLength(16);
    expect(FLOAT_COLS).toHaveLength(22);
    expect(CAT_COLS).toEqual(['WindowCenter_1_le', 'BitType_le', 'WindowCenter_0_le', 'pos_inc1_grp_le', 'pos_inc2_grp_le',
      'pos_size_le', 'pos_zeros_le', 'WindowWidth_0_le', 'WindowWidth_1_le', 'PxlMin_grp_le']);
    expect(CAT_CARDINALITY).toEqual([5, 5, 7, 4, 4, 11, 4, 6, 3, 3]);
    expect(CAT_EMBED_DIMS).toEqual([3, 3, 4, 2, 2, 6, 2, 4, 2, 2]);
    expect(CAT_EMBED_DIMS.reduce((a, b) => a + b, 0)).toBe(30);
    expect(FLOAT_SCALERS).toHaveLength(22);
  });
});

// ---- the golden set -----------------------------------------------------------------------------------------
// S1 (patient P1): 4 slices given out of order, z = -7.5, -2.5, 2.5, 2.5 (a duplicate): diffs 5, 5, 0.
// S2 (patient P1): 1 slice, z = 1000, every "magic vendor" alternative.
// S3 (patient P2): 2 slices, z = -10.3, -7.1 (diff 3.2), values clipped at the low/high ends.
// S4 (patient P3): 12 slices, z = 0,0,0,0,0,1,5,13,13.05,17,18,19: 4 zero diffs, an 8 mm gap, 3.95 mm (bin 2).
// S5 (patient P4): 28 slices, nine at z = -600 then -595 ... -505: 8 zero diffs, pos_size in the list.
// S6 (patient P3): 2 slices, z = -300, 0: range 300, other clip ends.
const S1 = [
  row('s1c', 'S1', 'P1', 2.5),
  row('s1a', 'S1', 'P1', -7.5),
  row('s1d', 'S1', 'P1', 2.5),
  row('s1b', 'S1', 'P1', -2.5),
];
const S2 = [row('s2', 'S2', 'P1', 1000, {
  iop: [1, 0, 0, 0, 0.927184, -0.374608], ipp: [-126.437378, -250, 1000], pixelSpacing1: 0.4948,
  windowCenter0: 36, windowCenter1: 40, windowWidth0: 150, windowWidth1: 80,
  bitsStored: 12, pixelRepresentation: 1, rescaleIntercept: 0,
  pxlMin: -2000, pxlMax: 5000, pxlStd: -5, pxlMean: -2000,
})];
const s3 = { iop: [1, 0, 0, 0, 0.8, -0.9], pixelSpacing1: 0.9, windowCenter0: 99, windowWidth0: 99, windowWidth1: 99, pxlMax: -3000, pxlStd: 2000, pxlMean: 0 };
const S3 = [
  row('s3a', 'S3', 'P2', -10.3, { ...s3, ipp: [-300, 150, -10.3], bitsStored: 12, pixelRepresentation: 0, rescaleIntercept: -1024, pxlMin: -5000 }),
  row('s3b', 'S3', 'P2', -7.1, { ...s3, ipp: [-300, 150, -7.1], bitsStored: 16, pixelRepresentation: 1, rescaleIntercept: 0, pxlMin: -500 }),
];
const S4 = [0, 0, 0, 0, 0, 1, 5, 13, 13.05, 17, 18, 19].map((z, k) => row(`s4_${String(k).padStart(2, '0')}`, 'S4', 'P3', z, { pixelRepresentation: 0, windowCenter1: 47 }));
const S5 = Array.from({ length: 28 }, (_, k) => row(`s5_${String(k).padStart(2, '0')}`, 'S5', 'P4', k < 9 ? -600 : -600 + 5 * (k - 8)));
const S6 = [
  row('s6a', 'S6', 'P3', -300, { iop: [1, 0, 0, 0, 1.2, 0.3], ipp: [-20, -75, -300], pixelSpacing1: 0.1 }),
  row('s6b', 'S6', 'P3', 0, { iop: [1, 0, 0, 0, 1.2, 0.3], ipp: [-20, -75, 0], pixelSpacing1: 0.1 }),
];
const ROWS = [...S1, ...S2, ...S3, ...S4, ...S5, ...S6];

describe('computeMetadataFeatures (golden rows)', () => {
  const f = computeMetadataFeatures(ROWS);
  const at = (id: string) => {
    const i = f.imageIds.indexOf(id);
    expect(i).toBeGreaterThanOrEqual(0);
    return i;
  };
  const bools = (i: number) => rowOf(f.continuous, N_CONTINUOUS, i).slice(0, N_BOOL);
  const scaled = (i: number) => rowOf(f.continuous, N_CONTINUOUS, i).slice(N_BOOL);
  const raw = (i: number) => rowOf(f.rawFloats, N_FLOAT, i);
  const cats = (i: number) => rowOf(f.categorical, N_CAT, i);
  const close = (got: number[], want: number[], digits = 5) => {
    expect(got).toHaveLength(want.length);
    want.forEach((w, j) => expect(got[j], `column ${j}`).toBeCloseTo(w, digits));
  };

  it('keeps the input order and sizes', () => {
    expect(f.imageIds).toEqual(ROWS.map((r) => r.imageId));
    expect(f.continuous).toHaveLength(ROWS.length * 38);
    expect(f.categorical).toHaveLength(ROWS.length * 10);
    expect(f.rawFloats).toHaveLength(ROWS.length * 22);
  });

  it('S1: slice order by z, duplicate positions, pos_inc = 5, the GE magic values', () => {
    // sorted: s1a (-7.5), s1b (-2.5), s1c (2.5), s1d (2.5; tie broken by input order, s1c came first)
    expect(['s1a', 's1b', 's1c', 's1d'].map((id) => f.posIdx1[at(id)])).toEqual([0, 1, 2, 3]);
    expect(f.seriesSize[at('s1a')]).toBe(4);
    const b = at('s1b'); // inc1 = -2.5 - -7.5 = 5, inc2 = 2.5 - -2.5 = 5
    // IOP4 == 1 -> enc_0; IOP5 == 0 -> enc_0; IPP0 == -125 -> enc_0, IPP0_f = -200, -200 is a multiple of 1 and 0.5;
    // IPP1 = -50 > -75; z = -2.5 multiple of 0.5; PixelSpacing 0.488281 -> enc_0; inc1 = 5 -> r1, r0001, enc_1.
    expect(bools(b)).toEqual([1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1]);
    // IOP4_f 0.7 (enc), IOP5_f -0.6 (enc), IPP0_f -200, IPP1 -50, z -2.5, PS1_f 0.2 (== 0.488281), max 2.5, min -7.5,
    // size 4, idx1 1, idx2 2, inc1 -1 (raw 5), inc2 -1 (raw 5), range 10 -> 100, rel (-2.5+7.5)/10 = 0.5,
    // zeros 1 (diffs 5,5,0), inc_rng 5/5 = 1, PxlMin -3024, PxlMax 2000, PxlStd 1000, PxlMean -1000, SeriesPP 2 (S1, S2).
    close(raw(b), [0.7, -0.6, -200, -50, -2.5, 0.2, 2.5, -7.5, 4, 1, 2, -1, -1, 100, 0.5, 1, 1, -3024, 2000, 1000, -1000, 2]);
    close(scaled(b), [
      (4 * (0.7 - 0.8)) / 0.3, // -1.33333
      (4 * (-0.6 + 0.5)) / 0.6, // -0.66667
      (4 * -27) / 150, // -0.72
      (4 * 15) / 300, // 0.2
      (4 * -169.5) / 2792, // -0.242837
      (4 * (0.2 - 0.26)) / 0.5, // -0.48
      0.01, -0.03, // 4*2.5/1000, 4*-7.5/1000
      -3.1, // 4*(4-35)/40
      -64 / 59, -60 / 59, // 4*(1-17)/59, 4*(2-17)/59
      -1.5, -1.5, // 4*(-1-2)/8
      -260 / 150, // 4*(100-165)/150
      0, // 4*(0.5-0.5)
      0.4, // 4*1/10
      -0.6, // 4*(1-1.3)/2
      (4 * -1024) / 3000, 2000 / 3000, 0.8, -0.8, // PxlMin, PxlMax, PxlStd, PxlMean
      0, // (2-2)/2
    ]);
    // WC1 null -> 3 (NaN listed), '161-1024.0' -> 0, WC0 40 -> 2, inc grp (4.5,1000] -> 3, 3, size 4 -> 10,
    // zeros 1 -> 3, WW0 80 -> 0, WW1 null -> 1, PxlMin -3024 -> 0.
    expect(cats(b)).toEqual([3, 0, 2, 3, 3, 10, 3, 0, 1, 0]);

    const a = at('s1a'); // first slice: inc1 raw 0 -> enc_0, r1 and r0001 (1e-7), float -1; inc2 = 5
    expect(bools(a).slice(10)).toEqual([1, 1, 1, 0, 0, 1]);
    close(raw(a).slice(9, 15), [0, 3, -1, -1, 100, 0]);
    expect(cats(a).slice(3, 5)).toEqual([0, 3]);
    const d = at('s1d'); // last slice, duplicate of s1c: inc1 = 0, inc2 = 0; rel (2.5+7.5)/10 = 1
    expect(bools(d).slice(10)).toEqual([1, 1, 1, 1, 0, 0]);
    close(raw(d).slice(9, 15), [3, 0, -1, -1, 100, 1]);
    expect(cats(d).slice(3, 5)).toEqual([0, 0]);
    const c = at('s1c'); // inc1 = 5, inc2 = 0
    expect(bools(c).slice(10)).toEqual([1, 1, 0, 1, 1, 0]);
    // only 4 images in PxlMin group 0 -> not a PxlMin_zero series
    expect(f.pxlMinZero[a]).toBe(0);
  });

  it('S2: single-slice series and the other magic vendor values', () => {
    const i = at('s2');
    // IOP4 0.927184 -> enc_1; IOP5 -0.374608 not 0; IPP0 -126.437378 -> enc_1, IPP0_f -200 (r1, r05); IPP1 -250
    // clipped to -200, not > -75; z 1000 multiple of 0.5; PS1 0.4948 not in [0.488281, 0.488282]; single slice:
    // inc1 = inc2 = 0 -> r1, r0001, enc_0 x2.
    expect(bools(i)).toEqual([0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0]);
    // IOP4_f 0.7, IOP5_f -0.6 (in [-0.374608, -0.374607]), IPP0_f -200, IPP1 -200, z 1000, PS1_f 0.2 (in
    // [0.49475, 0.494864]), max/min 1000 -> 500, size 1, idx 0/0, inc -1/-1, range 0 -> 100, rel 0.5 (range 0),
    // zeros 0, inc_rng 1 (no diff: our guard), PxlMin -2000, PxlMax 5000 -> 3500, Std -5 -> 0, Mean -2000 -> -1900, SeriesPP 2.
    close(raw(i), [0.7, -0.6, -200, -200, 1000, 0.2, 500, 500, 1, 0, 0, -1, -1, 100, 0.5, 0, 1, -2000, 3500, 0, -1900, 2]);
    close(scaled(i), [
      -4 / 3, -2 / 3, -0.72,
      (4 * -135) / 300, // -1.8
      (4 * 833) / 2792, // 1.193410
      -0.48, 2, 2, // 4*500/1000
      (4 * -34) / 40, // -3.4
      -68 / 59, -68 / 59, // 4*(0-17)/59
      -1.5, -1.5, -260 / 150, 0, 0, -0.6,
      0, // 4*(-2000+2000)/3000
      (4 * 2000) / 3000, // 2.66667
      -3.2, // 4*(0-800)/1000
      -4.4, // 4*(-1900+800)/1000
      0,
    ]);
    // WC1 40 -> 1, '1210.0' -> 2, WC0 36 -> 1, inc grps 0/0, size 1 -> 10, zeros 0 -> 0, WW0 150 -> 1, WW1 80 -> 0, PxlMin grp 1
    expect(cats(i)).toEqual([1, 2, 1, 0, 0, 10, 0, 1, 0, 1]);
  });

  it('S3: two-slice series, negative non-multiples, clipping at the ends', () => {
    const a = at('s3a');
    const b = at('s3b');
    expect([f.posIdx1[a], f.posIdx1[b]]).toEqual([0, 1]);
    // s3b: IOP4 0.8 (no enc), IOP5 -0.9, IPP0 -300 -> clipped -175 (multiple of 1 and 0.5), IPP1 150 -> 100 > -75,
    // z = -7.1 (floor-mod 0.5 = 0.4000001 -> 0), PS1 0.9; inc1 = -7.1 - -10.3 = 3.2 (r1 0, r0001 1), inc2 = 0 (last).
    expect(bools(b)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0]);
    // IOP4 0.8 -> 0.85, IOP5 -0.9 -> -0.7, IPP0 -175, IPP1 100, z -7.1, PS1 0.9 -> 0.7, max -7.1, min -10.3, size 2,
    // idx 1/0, inc1 3.2, inc2 -1, range 3.2 -> 100, rel 1, zeros 0, inc_rng 3.2/3.2 = 1, PxlMin -500 -> -1000,
    // PxlMax -3000 -> -1000, Std 2000 -> 1500, Mean 0 -> -100, SeriesPP 1.
    close(raw(b), [0.85, -0.7, -175, 100, -7.1, 0.7, -7.1, -10.3, 2, 1, 0, 3.2, -1, 100, 1, 0, 1, -1000, -1000, 1500, -100, 1]);
    close(scaled(b), [
      (4 * 0.05) / 0.3, // 0.66667
      (4 * -0.2) / 0.6, // -1.33333
      (4 * -2) / 150, // -0.05333
      (4 * 165) / 300, // 2.2
      (4 * -174.1) / 2792, // -0.249427
      (4 * 0.44) / 0.5, // 3.52
      -0.0284, -0.0412, // 4*-7.1/1000, 4*-10.3/1000
      -3.3, // 4*(2-35)/40
      -64 / 59, -68 / 59,
      0.6, // 4*(3.2-2)/8
      -1.5, -260 / 150,
      2, // 4*(1-0.5)
      0, -0.6,
      4000 / 3000, // 4*(-1000+2000)/3000
      -10000 / 3000, // 4*(-1000-1500)/3000
      2.8, 2.8, // 4*(1500-800)/1000, 4*(-100+800)/1000
      -0.5, // (1-2)/2
    ]);
    // WC1 null -> 3, '1610.0' -> 3, WC0 99 -> 6, inc1 3.2 -> 1, inc2 0 -> 0, size 2 -> 10, zeros 0 -> 0, WW0 99 -> 5,
    // WW1 99 -> 2, PxlMin -500 -> 2
    expect(cats(b)).toEqual([3, 3, 6, 1, 0, 10, 0, 5, 2, 2]);
    // s3a: z = -10.3 (floor-mod 0.5 = 0.2000001 -> 0); '120-1024.0' -> 1; inc1 0 -> grp 0, inc2 3.2 -> grp 1; PxlMin -5000 -> -3500, grp 0
    expect(bools(a)[8]).toBe(0);
    expect(cats(a)).toEqual([3, 1, 6, 0, 1, 10, 0, 5, 2, 0]);
    close(raw(a).slice(11, 15), [-1, 3.2, 100, 0]);
    expect(raw(a)[17]).toBe(-3500);
    expect(scaled(a)[17]).toBeCloseTo((4 * -1500) / 3000, 5); // -2
  });

  it('S4: zero diffs, an 8 mm gap (inc clipped to 7, inc_rng clipped to 3), bin 2, PxlMin_zero', () => {
    // diffs: 0,0,0,0,1,4,8,0.05,3.95,1,1 -> pos_zeros 4 (<= 0.001); diffs > 0.1: 1,4,8,3.95,1,1 -> 8/1 = 8 -> 3.
    const k7 = at('s4_07'); // z = 13: inc1 = 8 -> 7 (r1, r0001), inc2 = 0.05 (grp 0)
    const k8 = at('s4_08'); // z = 13.05: inc1 = 0.05 (r1 0, r0001 1), inc2 = 3.95 (grp 2)
    close(raw(k7).slice(6, 17), [19, 0, 12, 7, 4, 7, 0.05, 100, 13 / 19, 4, 3]);
    close(scaled(k7).slice(11, 17), [
      2.5, // 4*(7-2)/8
      -0.975, // 4*(0.05-2)/8
      -260 / 150,
      4 * (13 / 19 - 0.5), // 0.736842
      1.6, // 4*4/10
      3.4, // 4*(3-1.3)/2
    ]);
    expect(bools(k7).slice(10)).toEqual([1, 1, 0, 0, 0, 0]);
    expect(bools(k8).slice(10)).toEqual([0, 1, 0, 0, 0, 0]);
    close(raw(k8).slice(11, 13), [0.05, 3.95]);
    // WC1 47 -> 2, '160-1024.0' -> 4 (remaining), inc grps, size 12 -> 10, zeros 4 -> 1
    expect(cats(k7)).toEqual([2, 4, 2, 3, 0, 10, 1, 0, 1, 0]);
    expect(cats(k8).slice(3, 5)).toEqual([0, 2]);
    // 12 images with PxlMin -3024 (group 0) > 10 -> PxlMin_zero for the whole series; SeriesPP: P3 has S4 and S6
    expect(f.pxlMinZero[k7]).toBe(1);
    expect(raw(k7)[21]).toBe(2);
  });

  it('S5: 8 zero diffs, pos_size in the list, pos_max/pos_min clipped at -500', () => {
    const first = at('s5_00');
    const last = at('s5_27');
    // z from -600 to -505: max -505 -> -500, min -600 -> -500, size 28 (list index 3), zeros 8 (index 2),
    // range 95 -> 100, rel of the last = 95/95 = 1; inc_rng 5/5 = 1.
    close(raw(last).slice(4, 17), [-505, 0.2, -500, -500, 28, 27, 0, -1, -1, 100, 1, 8, 1]);
    close(scaled(last).slice(4, 9), [(4 * -672) / 2792, -0.48, -2, -2, (4 * -7) / 40]);
    expect(cats(last).slice(5, 7)).toEqual([3, 2]);
    expect(cats(first).slice(5, 7)).toEqual([3, 2]);
    // the nine slices at -600 keep their input order; z -600 is a multiple of 0.5
    expect(f.posIdx1[at('s5_08')]).toBe(8);
    expect(bools(first)[8]).toBe(1);
    expect(f.pxlMinZero[first]).toBe(1);
  });

  it('S6: range above 250, the other clip ends, IPP1 exactly -75', () => {
    const a = at('s6a');
    // IOP4 1.2 -> 1 (not == 1 raw, so no enc), IOP5 0.3 -> 0 (not == 0 raw, no enc), IPP0 -20 -> -50 (multiple of 1),
    // IPP1 -75 (not > -75), PS1 0.1 -> 0.3; inc2 = 300 -> 7 (grp 3), range 300 -> 250, rel 0, inc_rng 300/300 = 1.
    expect(bools(a)).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0]);
    close(raw(a).slice(0, 17), [1, 0, -50, -75, -300, 0.3, 0, -300, 2, 0, 1, -1, 7, 250, 0, 0, 1]);
    close(scaled(a).slice(0, 6), [(4 * 0.2) / 0.3, (4 * 0.5) / 0.6, (4 * 123) / 150, (4 * -10) / 300, (4 * -467) / 2792, (4 * 0.04) / 0.5]);
    expect(scaled(a)[13]).toBeCloseTo((4 * 85) / 150, 5); // 2.26667
    expect(cats(a).slice(3, 5)).toEqual([0, 3]);
  });

  it('turns missing values into finite inputs', () => {
    const nulls = row('n1', 'SN', 'PN', null, {
      iop: [null, null, null, null, null, null], ipp: [null, null, null], pixelSpacing1: null,
      windowCenter0: null, windowWidth0: null, bitsStored: null, pixelRepresentation: null, rescaleIntercept: null,
      pxlMin: null, pxlMax: null, pxlMean: null, pxlStd: null,
    });
    const g = computeMetadataFeatures([row('n0', 'SN', 'PN', 5), nulls]);
    for (const v of g.continuous) expect(Number.isFinite(v)).toBe(true);
    expect(g.posIdx1[1]).toBe(1); // NaN z sorts last
    // WC1/WW1 null -> the listed NaN; WC0/WW0 null -> remaining; BitType 'nannannan' -> remaining; PxlMin NaN -> 2
    expect(rowOf(g.categorical, N_CAT, 1)).toEqual([3, 4, 6, 0, 0, 10, 0, 5, 1, 2]);
  });
});

describe('metadata from a synthetic workspace', () => {
  let t: ReturnType<typeof tempDir>;
  let ws: Workspace;
  let rows: MetaInputRow[];
  let f: MetaFeatures;
  beforeAll(async () => {
    t = tempDir('ich-meta-');
    ws = Workspace.open(await makeSynthWorkspace(t.dir, { studies: 4, seed: 7, size: 64 }));
    rows = metadataRowsFromWorkspace(ws);
    f = computeMetadataFeatures(rows);
  }, 120_000);
  afterAll(() => {
    ws?.close();
    t?.cleanup();
  });

  it('reads every instance, ordered by series then z', () => {
    const count = (ws.db.prepare('SELECT COUNT(*) AS n FROM instances').get() as { n: number }).n;
    expect(rows.length).toBe(count);
    expect(count).toBeGreaterThan(0);
    for (let i = 1; i < rows.length; i++) {
      const p = rows[i - 1]!;
      const r = rows[i]!;
      expect(p.seriesUid <= r.seriesUid).toBe(true);
      if (p.seriesUid === r.seriesUid) expect(p.ipp[2]! <= r.ipp[2]!).toBe(true);
    }
    expect(rows.every((r) => r.patientId !== '' && r.ipp.length === 3 && r.iop.length === 6)).toBe(true);
  });

  it('gives 38 finite continuous and 10 in-range categorical values per image', () => {
    const N = rows.length;
    expect(f.continuous).toHaveLength(N * 38);
    expect(f.categorical).toHaveLength(N * 10);
    for (const v of f.continuous) expect(Number.isFinite(v)).toBe(true);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N_CAT; j++) {
        const c = f.categorical[i * N_CAT + j]!;
        expect(c >= 0 && c < CAT_CARDINALITY[j]!).toBe(true);
      }
      expect(f.posIdx1[i]! < f.seriesSize[i]!).toBe(true);
    }
    // rows come sorted, so pos_idx1 counts up within each series
    for (let i = 1; i < N; i++) {
      if (rows[i]!.seriesUid === rows[i - 1]!.seriesUid) expect(f.posIdx1[i]).toBe(f.posIdx1[i - 1]! + 1);
      else expect(f.posIdx1[i]).toBe(0);
    }
  });
});
