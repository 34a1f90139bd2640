// Golden tests for the distribution-shift sample weights (docs/seed-pipeline.md section 5, steps 1-7). The expected numbers are
// worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { N_CAT, N_CONTINUOUS, N_FLOAT, PXLMIN_GRP_COL, type MetaFeatures } from './metadata-features.ts';
import { computeSampleWeights, seriesWeights, type WeightInputs } from './sample-weights.ts';

interface Img {
  id: string;
  grp0: boolean;
  zero: boolean;
  /** WindowWidth_1_le (categorical column 8); 1 (= NaN listed) unless given */
  ww1?: number;
}

/** Features with only what the weights read: categorical columns (PxlMin_grp_le, WindowWidth_1_le), booleans 0, pxlMinZero. */
function features(imgs: Img[]): MetaFeatures {
  const N = imgs.length;
  const categorical = new Int32Array(N * N_CAT);
  imgs.forEach((m, i) => {
    categorical[i * N_CAT + PXLMIN_GRP_COL] = m.grp0 ? 0 : 2;
    categorical[i * N_CAT + 8] = m.ww1 ?? 1;
  });
  return {
    imageIds: imgs.map((m) => m.id), continuous: new Float32Array(N * N_CONTINUOUS), categorical,
    rawFloats: new Float32Array(N * N_FLOAT), posIdx1: new Int32Array(N), seriesSize: new Int32Array(N).fill(1),
    pxlMinZero: Uint8Array.from(imgs, (m) => (m.zero ? 1 : 0)),
  };
}

interface TrainImg extends Img { series: string; any: 0 | 1; seriesAny: 0 | 1; broken?: boolean }

// Train, 15 images:
//   group PxlMin_zero = true:  A (negative, i0-i4, i4 = the seed outlier), B (positive, i5 any 1, i6 any 0); all grp 0
//   group PxlMin_zero = false: C (negative, i7-i11: i10 broken intercept, i11 WindowWidth_1_le 2 never in target),
//                              D (positive, i12 + i13 any 1 grp 2, i14 any 0 in grp 0)
const TRAIN: TrainImg[] = [
  ...[0, 1, 2, 3].map((k) => ({ id: `ID_a${k}`, series: 'A', grp0: true, zero: true, any: 0, seriesAny: 0 }) as TrainImg),
  { id: 'ID_b79eed528', series: 'A', grp0: true, zero: true, any: 0, seriesAny: 0 },
  { id: 'ID_b0', series: 'B', grp0: true, zero: true, any: 1, seriesAny: 1 },
  { id: 'ID_b1', series: 'B', grp0: true, zero: true, any: 0, seriesAny: 1 },
  ...[0, 1, 2].map((k) => ({ id: `ID_c${k}`, series: 'C', grp0: false, zero: false, any: 0, seriesAny: 0 }) as TrainImg),
  { id: 'ID_c3', series: 'C', grp0: false, zero: false, any: 0, seriesAny: 0, broken: true },
  { id: 'ID_c4', series: 'C', grp0: false, zero: false, any: 0, seriesAny: 0, ww1: 2 },
  { id: 'ID_d0', series: 'D', grp0: false, zero: false, any: 1, seriesAny: 1 },
  { id: 'ID_d1', series: 'D', grp0: false, zero: false, any: 1, seriesAny: 1 },
  { id: 'ID_d2', series: 'D', grp0: true, zero: false, any: 0, seriesAny: 1 },
];
// Target, 10 images: zero group t0-t3 (grp 0), P(any) 0.1, 0.1, 0.2, 0.0 -> sTest 0.1;
// non-zero group t4 (grp 0) + t5-t9 (grp 2), P(any) 0.2, 0.3 x4, 0.4 -> sTest 1.8/6 = 0.3.
const TARGET: (Img & { p: number })[] = [
  ...[0.1, 0.1, 0.2, 0].map((p, k) => ({ id: `t${k}`, grp0: true, zero: true, p })),
  { id: 't4', grp0: true, zero: false, p: 0.2 },
  ...[0.3, 0.3, 0.3, 0.3, 0.4].map((p, k) => ({ id: `t${k + 5}`, grp0: false, zero: false, p })),
];

function inputs(train: TrainImg[] = TRAIN, target = TARGET, excluded?: string[]): WeightInputs {
  return {
    train: {
      features: features(train),
      anyLabel: Uint8Array.from(train, (m) => m.any),
      seriesAny: Uint8Array.from(train, (m) => m.seriesAny),
      pixelRepresentation: Int32Array.from(train, (m) => (m.broken ? 0 : 1)),
      rescaleIntercept: Float32Array.from(train, (m) => (m.broken ? 0 : -1024)),
      ...(excluded ? { excludedIds: new Set(excluded) } : {}),
    },
    target: { features: features(target), predictedAny: Float32Array.from(target, (m) => m.p) },
  };
}

const weightedAny = (w: Float32Array, pick: (i: number) => boolean) => {
  let s = 0;
  let a = 0;
  TRAIN.forEach((m, i) => {
    if (!pick(i)) return;
    s += w[i]!;
    a += w[i]! * m.any;
  });
  return a / s;
};

describe('computeSampleWeights (golden)', () => {
  const r = computeSampleWeights(inputs());

  it('zeroes unseen categories, the broken intercept and the outlier', () => {
    expect(r.zeroed).toEqual({ unseenCategory: 1, brokenIntercept: 1, outliers: 1, excluded: 0 });
    expect([4, 10, 11].map((i) => r.weights[i])).toEqual([0, 0, 0]);
    expect([...r.weights].filter((w) => w === 0)).toHaveLength(3);
  });

  it('pixel-minimum odds ratio', () => {
    // still-weighted train: grp 0 = i0-i3, i5, i6, i14 = 7; grp != 0 = i7-i9, i12, i13 = 5.
    // target: grp 0 = t0-t4 = 5; grp != 0 = 5.  ratio = (5 * 7) / (5 * 5) = 1.4
    expect(r.pxlMinRatio).toBeCloseTo(1.4, 12);
  });

  it('per-group prevalence matching: s2, sTest, multiplier', () => {
    // zero group (all weights 1 after step 5): w1 = 4 (i0-i3; i4 is 0), w2 = 2, s2 = 1/2, sTest = 0.1
    //   multiplier = (0.5/0.1 - 1) * 2/4 = 2
    // non-zero group: negatives i7-i9 at 1.4 -> w1 = 4.2; positives i12, i13 at 1.4, i14 at 1 -> w2 = 3.8,
    //   s2 = 2.8/3.8 = 0.736842, sTest = 0.3, multiplier = (2.8/1.14 - 1) * 3.8/4.2 = 1.66/1.26 = 83/63 = 1.317460
    expect(r.groups).toHaveLength(2);
    const [z, nz] = r.groups as [(typeof r.groups)[0], (typeof r.groups)[0]];
    expect(z.pxlMinZero).toBe(true);
    expect(z.s2).toBeCloseTo(0.5, 12);
    expect(z.sTest).toBeCloseTo(0.1, 6);
    expect(z.multiplier).toBeCloseTo(2, 5);
    expect([z.trainImages, z.targetImages]).toEqual([7, 4]);
    expect(nz.pxlMinZero).toBe(false);
    expect(nz.s2).toBeCloseTo(2.8 / 3.8, 12);
    expect(nz.sTest).toBeCloseTo(0.3, 6);
    expect(nz.multiplier).toBeCloseTo(83 / 63, 5);
    expect([nz.trainImages, nz.targetImages]).toEqual([8, 6]);
  });

  it('final weights', () => {
    // zero group: total 6 kept; after x2 on negatives total 10 -> rescale 0.6: negatives 1.2, positives 0.6.
    // non-zero group: total 8 kept; after 83/63 on negatives 4.2*83/63 + 3.8 = 28/3 -> rescale 6/7:
    //   negatives 1.4 * 83/63 * 6/7 = 1.580952, positives 1.4 * 6/7 = 1.2, i14 6/7.
    // mean 1: total 14 over 15 images -> x 15/14.
    const k = 15 / 14;
    const want = [
      1.2 * k, 1.2 * k, 1.2 * k, 1.2 * k, 0, // 1.285714 x4, outlier
      0.6 * k, 0.6 * k, // 0.642857
      1.4 * (83 / 63) * (6 / 7) * k, 1.4 * (83 / 63) * (6 / 7) * k, 1.4 * (83 / 63) * (6 / 7) * k, 0, 0, // 1.693878
      1.2 * k, 1.2 * k, (6 / 7) * k, // 1.285714, 0.918367
    ];
    want.forEach((w, i) => expect(r.weights[i], `image ${i}`).toBeCloseTo(w, 5));
    expect([...r.weights].reduce((a, b) => a + b, 0) / 15).toBeCloseTo(1, 6);
  });

  it('weighted any-prevalence of each group equals the target estimate', () => {
    expect(weightedAny(r.weights, (i) => TRAIN[i]!.zero)).toBeCloseTo(0.1, 6);
    expect(weightedAny(r.weights, (i) => !TRAIN[i]!.zero)).toBeCloseTo(0.3, 6);
    // and the weighted PxlMin-group mix before step 6 matched the target's 5:5 (checked via the ratio above)
  });

  it('series weights are the mean of their images', () => {
    const s = seriesWeights(TRAIN.map((m) => m.series), r.weights);
    expect(s.get('A')).toBeCloseTo((4 * 1.2 * 15) / 14 / 5, 5);
    expect(s.get('D')).toBeCloseTo(((2 * 1.2 + 6 / 7) * 15) / 14 / 3, 5);
  });
});

describe('computeSampleWeights (edges)', () => {
  it('zeroes excluded images, counted apart from the outlier', () => {
    const r = computeSampleWeights(inputs(TRAIN, TARGET, ['ID_a0', 'ID_b79eed528']));
    expect(r.zeroed).toEqual({ unseenCategory: 1, brokenIntercept: 1, outliers: 1, excluded: 1 });
    expect(r.weights[0]).toBe(0);
    // ratio now (5 * 6) / (5 * 5) = 1.2
    expect(r.pxlMinRatio).toBeCloseTo(1.2, 12);
  });

  it('clamps the multiplier at 0 when the target is more prevalent than the positive series', () => {
    // non-zero group sTest 0.9 > s2 = 0.7368 -> multiplier max(0, negative) = 0: negatives get 0, and the group
    // total 8 is carried by the positives: 1.4 * 8/3.8 (i12, i13) and 8/3.8 (i14).
    const target = TARGET.map((m) => (m.zero ? m : { ...m, p: 0.9 }));
    const r = computeSampleWeights(inputs(TRAIN, target));
    expect(r.groups[1]!.multiplier).toBe(0);
    expect([7, 8, 9].map((i) => r.weights[i])).toEqual([0, 0, 0]);
    const k = 15 / 14;
    expect(r.weights[12]).toBeCloseTo(((1.4 * 8) / 3.8) * k, 5);
    expect(r.weights[14]).toBeCloseTo((8 / 3.8) * k, 5);
  });

  it('skips the odds ratio when a PxlMin group is missing from the target, and rejects an empty target', () => {
    // target without grp 0 images: grp 0 train images are unseen (step 2) and the ratio falls back to 1.
    const target = TARGET.map((m) => ({ ...m, grp0: false }));
    const r = computeSampleWeights(inputs(TRAIN, target), { maxUnseenFraction: 1 });
    expect(r.pxlMinRatio).toBe(1);
    expect(r.zeroed.unseenCategory).toBe(1 + 8); // i11, and the 8 grp 0 images (i4 among them)
    expect(r.skipped).toBeUndefined();
    expect(() => computeSampleWeights(inputs(TRAIN, []))).toThrow(/empty/);
  });

  it('skips step 2 when it would zero most of the training set (a target too small to show its categories)', () => {
    // the same target: step 2 would zero 9 of 15 images (60%), over the default 50%: nobody is zeroed for
    // an unseen category, the skip is reported, the weights still have mean 1.
    const target = TARGET.map((m) => ({ ...m, grp0: false }));
    const r = computeSampleWeights(inputs(TRAIN, target));
    expect(r.zeroed.unseenCategory).toBe(0);
    expect(r.skipped?.unseenCategory).toMatch(/zero 9 of 15 training images/);
    expect([...r.weights].filter((w) => w === 0).length).toBe(r.zeroed.brokenIntercept + r.zeroed.outliers + r.zeroed.excluded);
    expect([...r.weights].reduce((a, b) => a + b, 0) / r.weights.length).toBeCloseTo(1, 5);
    // at 0.7 the step runs again
    expect(computeSampleWeights(inputs(TRAIN, target), { maxUnseenFraction: 0.7 }).zeroed.unseenCategory).toBe(9);
  });
});

describe('computeSampleWeights at the seed scale', () => {
  it("reproduces the seed's printed final weight table from its group counts", () => {
    // docs/seed-pipeline.md section 5: the final value counts identify the groups (ratios of the printed weights):
    //   PxlMin_zero:  negative series 230,399 (0.864417), positive 70,301 (0.446933), all grp 0
    //   otherwise:    negative grp != 0 221,421 (1.200910), grp 0 1 (0.796930 = 1.200910 / 1.50692);
    //                 positive grp != 0 230,427 (1.111931), grp 0 129 (0.737883 = 1.111931 / 1.50692)
    //   124 zeros (123 broken intercepts + the outlier).  Total 752,802.
    // Target: 121,232 stage-2 test images; 37,149 grp 0 / 84,083 other gives the printed odds ratio:
    //   (84,083 * 300,830) / (37,149 * 451,848) = 1.506925.
    // The multipliers are the printed weight ratios, m1 = 0.864417 / 0.446933 = 1.93410 and
    // m2 = 1.200910 / 1.111931 = 1.08002 (the spec's rounded 1.934 / 1.080); sTest is chosen to produce them.
    type G = { n: number; zero: boolean; grp0: boolean; pos: boolean; anyCount: number; broken?: boolean; outlier?: boolean };
    const groups: G[] = [
      { n: 230_399, zero: true, grp0: true, pos: false, anyCount: 0 },
      { n: 70_301, zero: true, grp0: true, pos: true, anyCount: 23_916 }, // s2 = 0.3402
      { n: 221_421, zero: false, grp0: false, pos: false, anyCount: 0 },
      { n: 1, zero: false, grp0: true, pos: false, anyCount: 0 },
      { n: 230_427, zero: false, grp0: false, pos: true, anyCount: 83_945 }, // ~0.3643
      { n: 129, zero: false, grp0: true, pos: true, anyCount: 0 },
      { n: 123, zero: false, grp0: false, pos: false, anyCount: 0, broken: true },
      { n: 1, zero: false, grp0: false, pos: false, anyCount: 0, outlier: true },
    ];
    const N = groups.reduce((a, g) => a + g.n, 0);
    expect(N).toBe(752_802);
    const categorical = new Int32Array(N * N_CAT);
    const pxlMinZero = new Uint8Array(N);
    const anyLabel = new Uint8Array(N);
    const seriesAny = new Uint8Array(N);
    const pixelRepresentation = new Int32Array(N).fill(1);
    const rescaleIntercept = new Float32Array(N).fill(-1024);
    const imageIds = new Array<string>(N);
    let i = 0;
    for (const g of groups) {
      for (let k = 0; k < g.n; k++, i++) {
        categorical[i * N_CAT + PXLMIN_GRP_COL] = g.grp0 ? 0 : 2;
        pxlMinZero[i] = g.zero ? 1 : 0;
        anyLabel[i] = k < g.anyCount ? 1 : 0;
        seriesAny[i] = g.pos ? 1 : 0;
        if (g.broken) {
          rescaleIntercept[i] = 0;
          pixelRepresentation[i] = 0;
        }
        imageIds[i] = g.outlier ? 'ID_b79eed528' : `ID_${i}`;
      }
    }
    const trainFeatures: MetaFeatures = {
      imageIds, continuous: new Float32Array(N * N_CONTINUOUS), categorical, rawFloats: new Float32Array(0),
      posIdx1: new Int32Array(N), seriesSize: new Int32Array(N), pxlMinZero,
    };
    const t0 = 37_149;
    const T = t0 + 84_083;
    const ratio = (84_083 * 300_830) / (37_149 * 451_848);
    const m1 = 0.864417 / 0.446933;
    const m2 = 1.20091 / 1.111931;
    // group true: all weights 1: s2 = 23,916 / 70,301, sTest = s2 / (1 + m1 * 230,399 / 70,301)
    const s2a = 23_916 / 70_301;
    const sTa = s2a / (1 + (m1 * 230_399) / 70_301);
    // group false: w1 = ratio * 221,421 + 1, w2 = ratio * 230,427 + 129, s2 = ratio * 83,945 / w2
    const w1 = ratio * 221_421 + 1;
    const w2 = ratio * 230_427 + 129;
    const s2b = (ratio * 83_945) / w2;
    const sTb = s2b / (1 + (m2 * w1) / w2);
    const tCat = new Int32Array(T * N_CAT);
    const tZero = new Uint8Array(T);
    const predictedAny = new Float32Array(T);
    for (let t = 0; t < T; t++) {
      tCat[t * N_CAT + PXLMIN_GRP_COL] = t < t0 ? 0 : 2;
      tZero[t] = t < t0 ? 1 : 0;
      predictedAny[t] = t < t0 ? sTa : sTb;
    }
    const r = computeSampleWeights({
      train: { features: trainFeatures, anyLabel, seriesAny, pixelRepresentation, rescaleIntercept },
      target: {
        features: { imageIds: Array.from({ length: T }, (_, t) => `t${t}`), continuous: new Float32Array(T * N_CONTINUOUS), categorical: tCat,
          rawFloats: new Float32Array(0), posIdx1: new Int32Array(T), seriesSize: new Int32Array(T), pxlMinZero: tZero },
        predictedAny,
      },
    });
    expect(r.zeroed).toEqual({ unseenCategory: 0, brokenIntercept: 123, outliers: 1, excluded: 0 });
    expect(r.pxlMinRatio).toBeCloseTo(1.50692, 5);
    expect(r.groups.map((g) => g.multiplier)).toEqual([expect.closeTo(1.934, 3), expect.closeTo(1.080, 3)]);
    // the value counts of the final weights, rounded to 4 decimals, are the seed's table
    const counts = new Map<string, number>();
    for (const w of r.weights) counts.set(w.toFixed(4), (counts.get(w.toFixed(4)) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({
      '1.1119': 230_427, '0.8644': 230_399, '1.2009': 221_421, '0.4469': 70_301, '0.7379': 129, '0.0000': 124, '0.7969': 1,
    });
  });
});
