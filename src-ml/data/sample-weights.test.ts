// Tests of the distribution-shift sample weights (docs/seed-pipeline.md section 5, steps 1-7):
//   - golden: a 15-image case whose expected numbers are worked out by hand in the comments;
//   - reference: the same inputs, edge cases and random ones, against reference_sample_weights.py (the seed's steps
//     written again in numpy, column-wise as the notebook's pandas is), fed the same arrays through files;
//   - seed scale: a population built from the spec's printed counts and its printed s2 / s_test / odds ratio (never
//     from the final weight table), whose weights must come out as that table.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { hasPythonModules, tempDir } from '../testing/fixtures.ts';
import { N_BOOL, N_CAT, N_CONTINUOUS, N_FLOAT, PXLMIN_GRP_COL, type MetaFeatures } from './metadata-features.ts';
import { computeSampleWeights, seriesWeights, type WeightInputs, type WeightOptions, type WeightReport } from './sample-weights.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HAS_NUMPY = hasPythonModules('numpy');

interface ReferenceReport {
  weights: Float64Array;
  zeroed: WeightReport['zeroed'];
  skipped: boolean;
  pxlMinRatio: number;
  groups: { pxlMinZero: boolean; s2: number | null; sTest: number | null; multiplier: number; trainImages: number; targetImages: number }[];
}

/** Runs reference_sample_weights.py on the same inputs, written to files. */
function reference(inputs: WeightInputs, options: WeightOptions = {}): ReferenceReport {
  const { dir, cleanup } = tempDir('ich-weights-ref-');
  try {
    const put = (name: string, a: ArrayBufferView) => writeFileSync(path.join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const { train, target } = inputs;
    put('train_categorical.i32', train.features.categorical);
    put('train_continuous.f32', train.features.continuous);
    put('train_pxlmin_zero.u8', train.features.pxlMinZero);
    put('train_any.u8', train.anyLabel);
    put('train_series_any.u8', train.seriesAny);
    put('train_pixel_representation.i32', train.pixelRepresentation);
    put('train_rescale_intercept.f32', train.rescaleIntercept);
    writeFileSync(path.join(dir, 'train_ids.txt'), train.features.imageIds.join('\n'));
    writeFileSync(path.join(dir, 'train_excluded.txt'), [...(train.excludedIds ?? [])].join('\n'));
    put('target_categorical.i32', target.features.categorical);
    put('target_continuous.f32', target.features.continuous);
    put('target_pxlmin_zero.u8', target.features.pxlMinZero);
    put('target_predicted_any.f32', target.predictedAny);
    writeFileSync(path.join(dir, 'header.json'), JSON.stringify({
      n_cat: N_CAT, n_continuous: N_CONTINUOUS, n_bool: N_BOOL, pxlmin_grp_col: PXLMIN_GRP_COL,
      max_unseen_fraction: options.maxUnseenFraction ?? 0.5,
      train: { n: train.features.imageIds.length }, target: { n: target.features.imageIds.length },
    }));
    const r = spawnSync('/usr/bin/python3', [path.join(HERE, 'reference_sample_weights.py'), dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`reference_sample_weights.py failed: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as Omit<ReferenceReport, 'weights'>;
    const buf = readFileSync(path.join(dir, 'weights.f64'));
    return { ...report, weights: new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
  } finally {
    cleanup();
  }
}

/** Every output of computeSampleWeights equals the reference's (weights to float32 precision). */
function expectReference(r: WeightReport, ref: ReferenceReport): void {
  expect(r.zeroed).toEqual(ref.zeroed);
  expect(r.skipped?.unseenCategory !== undefined).toBe(ref.skipped);
  expect(r.pxlMinRatio).toBeCloseTo(ref.pxlMinRatio, 12);
  expect(r.groups.map((g) => [g.pxlMinZero, g.trainImages, g.targetImages])).toEqual(ref.groups.map((g) => [g.pxlMinZero, g.trainImages, g.targetImages]));
  r.groups.forEach((g, k) => {
    const want = ref.groups[k]!;
    for (const [got, exp] of [[g.s2, want.s2], [g.sTest, want.sTest]] as const) {
      if (exp === null) expect(got).toBeNaN();
      else expect(got).toBeCloseTo(exp, 10);
    }
    expect(g.multiplier).toBeCloseTo(want.multiplier, 9);
  });
  expect(r.weights.length).toBe(ref.weights.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < r.weights.length; i++) {
    const d = Math.abs(r.weights[i]! - ref.weights[i]!) / Math.max(1, Math.abs(ref.weights[i]!));
    if (d > worst) [worst, at] = [d, i];
  }
  expect(worst, `worst relative difference at image ${at}: ${r.weights[at]} vs ${ref.weights[at]}`).toBeLessThan(1e-6);
}

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

/** A seeded random population: series of 10-40 slices, scanner groups, unseen categories, broken intercepts, the outlier. */
function randomInputs(seed: number, nSeries: number, nTarget: number, targetCats: number): WeightInputs {
  const rng = createRng(seed);
  const rnd = () => rng.next();
  const pick = (n: number) => rng.int(0, n - 1);
  const train: { zero: number; grp: number; cats: number[]; bools: number[]; any: number; seriesAny: number; broken: boolean; id: string }[] = [];
  for (let s = 0; s < nSeries; s++) {
    const zero = rnd() < 0.4 ? 1 : 0;
    const seriesAny = rnd() < 0.3 ? 1 : 0;
    const slices = 10 + pick(31);
    for (let k = 0; k < slices; k++) {
      // grp 0 in most slices of a PxlMin_zero series, rarely elsewhere
      const grp = zero ? (rnd() < 0.9 ? 0 : 1 + pick(2)) : (rnd() < 0.05 ? 0 : 1 + pick(2));
      // categorical values 0..3; a value 4 the small targets never show, in 2% of the images
      const cats = Array.from({ length: N_CAT }, (_, j) => (j === PXLMIN_GRP_COL ? grp : rnd() < 0.02 ? 4 : pick(4)));
      const bools = Array.from({ length: N_BOOL }, (_, j) => (j === 3 ? (rnd() < 0.01 ? 1 : 0) : pick(2)));
      train.push({ zero, grp, cats, bools, any: seriesAny && rnd() < 0.4 ? 1 : 0, seriesAny, broken: rnd() < 0.01, id: `ID_${s}_${k}` });
    }
  }
  train[7]!.id = 'ID_b79eed528';
  const feats = (rows: { zero: number; cats: number[]; bools: number[] }[], ids: string[]): MetaFeatures => {
    const n = rows.length;
    const categorical = new Int32Array(n * N_CAT);
    const continuous = new Float32Array(n * N_CONTINUOUS);
    rows.forEach((r, i) => {
      r.cats.forEach((v, j) => (categorical[i * N_CAT + j] = v));
      r.bools.forEach((v, j) => (continuous[i * N_CONTINUOUS + j] = v));
      for (let j = N_BOOL; j < N_CONTINUOUS; j++) continuous[i * N_CONTINUOUS + j] = (i % 7) * 0.1; // floats: not compared
    });
    return { imageIds: ids, continuous, categorical, rawFloats: new Float32Array(n * N_FLOAT), posIdx1: new Int32Array(n),
      seriesSize: new Int32Array(n).fill(1), pxlMinZero: Uint8Array.from(rows, (r) => r.zero) };
  };
  // target: categories 0..targetCats-1 only (every category when targetCats >= 4), boolean 3 always 0
  const target = Array.from({ length: nTarget }, () => {
    const zero = rnd() < 0.3 ? 1 : 0;
    const grp = zero ? 0 : rnd() < 0.1 ? 0 : 1 + pick(2);
    return { zero, cats: Array.from({ length: N_CAT }, (_, j) => (j === PXLMIN_GRP_COL ? grp : pick(targetCats))),
      bools: Array.from({ length: N_BOOL }, (_, j) => (j === 3 ? 0 : pick(2))), p: rnd() * (zero ? 0.1 : 0.4) };
  });
  return {
    train: {
      features: feats(train, train.map((m) => m.id)),
      anyLabel: Uint8Array.from(train, (m) => m.any),
      seriesAny: Uint8Array.from(train, (m) => m.seriesAny),
      pixelRepresentation: Int32Array.from(train, (m) => (m.broken ? 0 : rnd() < 0.5 ? 1 : 0)),
      rescaleIntercept: Float32Array.from(train, (m) => (m.broken ? (rnd() < 0.5 ? 0 : 1) : -1024)),
      excludedIds: new Set(train.filter((_, i) => i % 97 === 5).map((m) => m.id).concat(['ID_b79eed528'])),
    },
    target: { features: feats(target, target.map((_, t) => `t${t}`)), predictedAny: Float32Array.from(target, (m) => m.p) },
  };
}

describe.skipIf(!HAS_NUMPY)('computeSampleWeights = the numpy reference (reference_sample_weights.py)', () => {
  it('on the golden case and its edge cases', () => {
    expectReference(computeSampleWeights(inputs()), reference(inputs()));
    const excluded = inputs(TRAIN, TARGET, ['ID_a0', 'ID_b79eed528']);
    expectReference(computeSampleWeights(excluded), reference(excluded));
    const clamped = inputs(TRAIN, TARGET.map((m) => (m.zero ? m : { ...m, p: 0.9 })));
    expectReference(computeSampleWeights(clamped), reference(clamped));
    const noGrp0 = inputs(TRAIN, TARGET.map((m) => ({ ...m, grp0: false })));
    expectReference(computeSampleWeights(noGrp0), reference(noGrp0));
    expectReference(computeSampleWeights(noGrp0, { maxUnseenFraction: 1 }), reference(noGrp0, { maxUnseenFraction: 1 }));
  });

  it('on random populations: unseen categories zeroed, and skipped when a small target shows few of them', () => {
    // the target shows every category (0..4) but never boolean 3 = 1: step 2 zeroes the images that have it
    const a = randomInputs(11, 150, 2_000, 5);
    const ra = computeSampleWeights(a);
    expect(ra.zeroed.unseenCategory).toBeGreaterThan(0);
    expect(ra.zeroed.brokenIntercept).toBeGreaterThan(0);
    expect(ra.zeroed.excluded).toBeGreaterThan(0);
    expect(ra.zeroed.outliers).toBe(1);
    expect(ra.skipped).toBeUndefined();
    expectReference(ra, reference(a));
    // a target with three of the four categories per column: step 2 would zero most images and is skipped
    const b = randomInputs(12, 150, 60, 3);
    const rb = computeSampleWeights(b);
    expect(rb.skipped?.unseenCategory).toBeDefined();
    expectReference(rb, reference(b));
    expectReference(computeSampleWeights(b, { maxUnseenFraction: 1 }), reference(b, { maxUnseenFraction: 1 }));
  });
});

describe('computeSampleWeights at the seed scale', () => {
  // The population, from the spec's counts (docs/seed-pipeline.md section 5 and section 1):
  //   752,802 images (step 1); 123 broken intercepts and the outlier (steps 3-4); after them 300,830 images in
  //   PxlMin_grp 0 and 451,848 in the others (step 5). How these split into negative and positive series of each
  //   PxlMin_zero group is printed nowhere but in the final table's counts, so the cells take those counts; the
  //   table's weights are never an input, they are what must come out.
  // `any` inside the positive series: step 6's printed s2, 0.3402 (PxlMin_zero) and 0.3643 (the others), as
  //   round(s2 * n) positive images in each cell of positive series.
  // The target: the 121,232 stage-2 test images (section 1), split between the PxlMin groups so that step 5's
  //   formula gives its printed 1.50692 with the train counts above; each target image's P(any) is its group's
  //   printed test estimate, 0.04635 and 0.17880 (step 6's check line; 0.0464 / 0.1788 in its table).
  // Expected: the numpy reference on the same arrays, and the seed's printed numbers: multipliers 1.934 / 1.080,
  // the weighted `any` prevalence of each group at the estimate, and the final table (its counts exactly, its
  // weights to 1e-4: s2 and s_test are printed to 4 significant digits, which moves the weights by up to 6e-5).
  type Cell = { n: number; zero: boolean; grp0: boolean; pos: boolean; broken?: boolean; outlier?: boolean };
  const cells: Cell[] = [
    { n: 230_399, zero: true, grp0: true, pos: false },
    { n: 70_301, zero: true, grp0: true, pos: true },
    { n: 221_421, zero: false, grp0: false, pos: false },
    { n: 1, zero: false, grp0: true, pos: false },
    { n: 230_427, zero: false, grp0: false, pos: true },
    { n: 129, zero: false, grp0: true, pos: true },
    { n: 123, zero: false, grp0: false, pos: false, broken: true },
    { n: 1, zero: false, grp0: false, pos: false, outlier: true },
  ];
  const S2 = { zero: 0.3402, other: 0.3643 };
  const S_TEST = { zero: 0.04635, other: 0.1788 };
  const ODDS = 1.50692;
  const N_TEST = 121_232;

  function seedInputs(): WeightInputs {
    const N = cells.reduce((a, g) => a + g.n, 0);
    const categorical = new Int32Array(N * N_CAT);
    const pxlMinZero = new Uint8Array(N);
    const anyLabel = new Uint8Array(N);
    const seriesAny = new Uint8Array(N);
    const pixelRepresentation = new Int32Array(N).fill(1);
    const rescaleIntercept = new Float32Array(N).fill(-1024);
    const imageIds = new Array<string>(N);
    let i = 0;
    for (const g of cells) {
      const positives = g.pos ? Math.round((g.zero ? S2.zero : S2.other) * g.n) : 0;
      for (let k = 0; k < g.n; k++, i++) {
        categorical[i * N_CAT + PXLMIN_GRP_COL] = g.grp0 ? 0 : 2;
        pxlMinZero[i] = g.zero ? 1 : 0;
        anyLabel[i] = k < positives ? 1 : 0;
        seriesAny[i] = g.pos ? 1 : 0;
        if (g.broken) {
          rescaleIntercept[i] = 0;
          pixelRepresentation[i] = 0;
        }
        imageIds[i] = g.outlier ? 'ID_b79eed528' : `ID_${i}`;
      }
    }
    // step 5: ratio = (t_other * 300,830) / (t_grp0 * 451,848) = 1.50692 with t_grp0 + t_other = 121,232
    const tGrp0 = Math.round(N_TEST / (1 + (ODDS * 451_848) / 300_830));
    const tCat = new Int32Array(N_TEST * N_CAT);
    const tZero = new Uint8Array(N_TEST);
    const predictedAny = new Float32Array(N_TEST);
    for (let t = 0; t < N_TEST; t++) {
      tCat[t * N_CAT + PXLMIN_GRP_COL] = t < tGrp0 ? 0 : 2;
      tZero[t] = t < tGrp0 ? 1 : 0;
      predictedAny[t] = t < tGrp0 ? S_TEST.zero : S_TEST.other;
    }
    const meta = (ids: string[], cat: Int32Array, zero: Uint8Array): MetaFeatures => ({
      imageIds: ids, continuous: new Float32Array(ids.length * N_CONTINUOUS), categorical: cat, rawFloats: new Float32Array(0),
      posIdx1: new Int32Array(ids.length), seriesSize: new Int32Array(ids.length), pxlMinZero: zero,
    });
    return {
      train: { features: meta(imageIds, categorical, pxlMinZero), anyLabel, seriesAny, pixelRepresentation, rescaleIntercept },
      target: { features: meta(Array.from({ length: N_TEST }, (_, t) => `t${t}`), tCat, tZero), predictedAny },
    };
  }

  const input = seedInputs();
  const r = computeSampleWeights(input);

  it('steps 2-6 give the printed counts, odds ratio, multipliers and prevalences', () => {
    expect(input.train.anyLabel.length).toBe(752_802);
    expect(r.zeroed).toEqual({ unseenCategory: 0, brokenIntercept: 123, outliers: 1, excluded: 0 });
    expect(r.pxlMinRatio).toBeCloseTo(ODDS, 4);
    expect(r.groups.map((g) => g.s2)).toEqual([expect.closeTo(S2.zero, 4), expect.closeTo(S2.other, 4)]);
    expect(r.groups.map((g) => g.multiplier)).toEqual([expect.closeTo(1.934, 3), expect.closeTo(1.080, 3)]);
    for (const [k, zero] of [[0, 1], [1, 0]] as const) {
      let s = 0;
      let a = 0;
      r.weights.forEach((w, i) => {
        if (input.train.features.pxlMinZero[i] !== zero) return;
        s += w;
        a += w * input.train.anyLabel[i]!;
      });
      expect(a / s, `weighted any, group ${k}`).toBeCloseTo(k === 0 ? S_TEST.zero : S_TEST.other, 5);
    }
  });

  it("the final weights are the seed's printed value counts", () => {
    const printed = [1.111931, 0.864417, 1.20091, 0.446933, 0.737883, 0, 0.79693];
    const counts = [230_427, 230_399, 221_421, 70_301, 129, 124, 1];
    const got = printed.map(() => 0);
    const outside: number[] = [];
    for (const w of r.weights) {
      const k = printed.findIndex((p) => Math.abs(w - p) < 1e-4);
      if (k < 0) outside.push(w);
      else got[k]!++;
    }
    expect(outside.slice(0, 5), `${outside.length} weights are not in the printed table`).toEqual([]);
    expect(got).toEqual(counts);
  });

  it.skipIf(!HAS_NUMPY)('equals the numpy reference on the same 752,802 + 121,232 images', () => {
    expectReference(r, reference(input));
  });
});
