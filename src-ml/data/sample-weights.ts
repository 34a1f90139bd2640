// Distribution-shift sample weights for the "risky" weighted fine-tuning (docs/seed-pipeline.md section 5, "How the sample
// weights were computed"; notebooks/Metadata.ipynb cells 91-135): make the training images resemble a target
// set (the seed's stage-2 test) in scanner type (the pixel-minimum group) and in `any` prevalence per
// series-type group. Steps, in the seed's order:
//   1. w = 1.
//   2. Zero images whose value of any categorical or boolean feature never occurs in the target.
//   3. Zero the broken intercept: PixelRepresentation == 0 & RescaleIntercept >= 0.
//   4. Zero the seed's hard-coded outlier ID_b79eed528 (and, our addition, the caller's excluded images).
//   5. Images with PxlMin_grp_le != 0 get the odds ratio
//        (n_target[grp!=0] * n_train[grp==0]) / (n_target[grp==0] * n_train[grp!=0]).
//   6. Per PxlMin_zero group: multiplier = max(0, (s2 / sTest - 1) * w2 / w1) on the negative-series weights,
//      then the group is rescaled to keep its total (so its mean) weight.
//   7. Normalise to mean 1.
// Choices where the seed's notebook is not specific (documented in the report too):
//   - n_train in step 5 counts the training images still weighted (w > 0) after steps 2-4, so the weighted
//     train mix matches the target's exactly; if any of the four counts is 0 the ratio is 1 (no reweighting).
//   - s2 in step 6 is the weight-averaged `any` over the positive series, so after step 6 the weighted `any`
//     prevalence of a group equals sTest exactly (w2*s2 / (w2 + m*w1) = sTest). The seed's printed check
//     (0.17876 vs 0.17880 in one group) suggests it used the unweighted mean; the two agree whenever the
//     weights within the positive series are equal.
//   - A group whose multiplier cannot be computed (no target images, sTest <= 0, w1 == 0 or w2 == 0) keeps
//     multiplier 1.
//   - zeroed counts are images newly zeroed by each step, so they add up to the number of zero weights.
//   - Our addition: step 2 is skipped (and `skipped.unseenCategory` says why) when it would zero more than
//     `maxUnseenFraction` of the training images. A target of a few studies (a handful of unlabelled
//     images in a workspace) sees only a few scanner categories, and step 2 would then keep a few dozen
//     training images with weights in the hundreds: the fine-tune would learn from noise. The seed's
//     target (121k images) zeroed none.
import { N_BOOL, N_CAT, N_CONTINUOUS, PXLMIN_GRP_COL, type MetaFeatures } from './metadata-features.ts';

/** The seed's hard-coded outlier (docs/seed-pipeline.md section 5, step 4). */
export const SEED_OUTLIER_IDS: readonly string[] = ['ID_b79eed528'];

export interface WeightInputs {
  train: {
    features: MetaFeatures;
    anyLabel: Uint8Array;
    /** Per image: its series has a positive `any`. */
    seriesAny: Uint8Array;
    pixelRepresentation: Int32Array;
    rescaleIntercept: Float32Array;
    excludedIds?: ReadonlySet<string>;
  };
  target: {
    features: MetaFeatures;
    /** Per target image, model-estimated P(any). */
    predictedAny: Float32Array;
  };
}

export interface WeightGroup {
  pxlMinZero: boolean;
  /** Weighted mean `any` over the positive series of the group (before step 6). */
  s2: number;
  /** Mean predicted `any` of the target images of the group (NaN when the target has none). */
  sTest: number;
  multiplier: number;
  /** Train / target images in the group. */
  trainImages: number;
  targetImages: number;
}

export interface WeightOptions {
  /** Skip step 2 when it would zero more than this fraction of the training images (default 0.5). */
  maxUnseenFraction?: number;
}

export interface WeightReport {
  /** Per train image, mean 1. */
  weights: Float32Array;
  zeroed: { brokenIntercept: number; unseenCategory: number; outliers: number; excluded: number };
  /** Steps that were skipped, with why. */
  skipped?: { unseenCategory?: string };
  pxlMinRatio: number;
  groups: WeightGroup[];
}

/** Value of categorical column j (0..9) or boolean column j (10..25) of image i. */
function discreteValue(f: MetaFeatures, i: number, j: number): number {
  return j < N_CAT ? f.categorical[i * N_CAT + j]! : f.continuous[i * N_CONTINUOUS + (j - N_CAT)]!;
}

export function computeSampleWeights(inputs: WeightInputs, options: WeightOptions = {}): WeightReport {
  const { train, target } = inputs;
  const N = train.features.imageIds.length;
  const T = target.features.imageIds.length;
  if (T === 0) throw new RangeError('computeSampleWeights: the target set is empty');
  for (const [name, len] of [['anyLabel', train.anyLabel.length], ['seriesAny', train.seriesAny.length],
    ['pixelRepresentation', train.pixelRepresentation.length], ['rescaleIntercept', train.rescaleIntercept.length]] as const) {
    if (len !== N) throw new RangeError(`computeSampleWeights: train.${name} has ${len} entries for ${N} images`);
  }
  if (target.predictedAny.length !== T) throw new RangeError(`computeSampleWeights: target.predictedAny has ${target.predictedAny.length} entries for ${T} images`);

  const w = new Float64Array(N).fill(1);
  const zeroed = { brokenIntercept: 0, unseenCategory: 0, outliers: 0, excluded: 0 };
  let skipped: WeightReport['skipped'];

  // 2. Categories (and boolean values) never seen in the target.
  const nDiscrete = N_CAT + N_BOOL;
  const seen = Array.from({ length: nDiscrete }, () => new Set<number>());
  for (let t = 0; t < T; t++) for (let j = 0; j < nDiscrete; j++) seen[j]!.add(discreteValue(target.features, t, j));
  const unseen: number[] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < nDiscrete; j++) {
      if (!seen[j]!.has(discreteValue(train.features, i, j))) {
        unseen.push(i);
        break;
      }
    }
  }
  const maxUnseen = options.maxUnseenFraction ?? 0.5;
  if (unseen.length > maxUnseen * N) {
    skipped = { unseenCategory: `it would zero ${unseen.length} of ${N} training images (over ${Math.round(maxUnseen * 100)}%): a target of ${T} images is too small to show which scanner categories the test set has` };
  } else {
    for (const i of unseen) w[i] = 0;
    zeroed.unseenCategory = unseen.length;
  }

  // 3. Broken intercept.
  for (let i = 0; i < N; i++) {
    if (train.pixelRepresentation[i] === 0 && train.rescaleIntercept[i]! >= 0 && w[i] !== 0) {
      w[i] = 0;
      zeroed.brokenIntercept++;
    }
  }

  // 4. The seed's outlier, and images the caller excluded from training.
  const outliers = new Set(SEED_OUTLIER_IDS);
  train.features.imageIds.forEach((id, i) => {
    if (w[i] === 0) return;
    if (outliers.has(id)) {
      w[i] = 0;
      zeroed.outliers++;
    } else if (train.excludedIds?.has(id)) {
      w[i] = 0;
      zeroed.excluded++;
    }
  });

  // 5. Pixel-minimum group odds.
  const grp0 = (f: MetaFeatures, i: number) => f.categorical[i * N_CAT + PXLMIN_GRP_COL] === 0;
  let trainZero = 0;
  let trainOther = 0;
  for (let i = 0; i < N; i++) {
    if (w[i] === 0) continue;
    if (grp0(train.features, i)) trainZero++;
    else trainOther++;
  }
  let targetZero = 0;
  for (let t = 0; t < T; t++) if (grp0(target.features, t)) targetZero++;
  const targetOther = T - targetZero;
  const pxlMinRatio = trainZero && trainOther && targetZero && targetOther ? (targetOther * trainZero) / (targetZero * trainOther) : 1;
  for (let i = 0; i < N; i++) if (!grp0(train.features, i)) w[i]! *= pxlMinRatio;

  // 6. `any` prevalence per PxlMin_zero group.
  const groups: WeightGroup[] = [];
  for (const zero of [true, false]) {
    const flag = zero ? 1 : 0;
    let trainImages = 0;
    let w1 = 0;
    let w2 = 0;
    let w2Any = 0;
    for (let i = 0; i < N; i++) {
      if (train.features.pxlMinZero[i] !== flag) continue;
      trainImages++;
      if (train.seriesAny[i]) {
        w2 += w[i]!;
        w2Any += w[i]! * (train.anyLabel[i] ? 1 : 0);
      } else {
        w1 += w[i]!;
      }
    }
    if (trainImages === 0) continue;
    let targetImages = 0;
    let sum = 0;
    for (let t = 0; t < T; t++) {
      if (target.features.pxlMinZero[t] !== flag) continue;
      targetImages++;
      sum += target.predictedAny[t]!;
    }
    const sTest = targetImages ? sum / targetImages : NaN;
    const s2 = w2 > 0 ? w2Any / w2 : NaN;
    const multiplier = targetImages && sTest > 0 && w1 > 0 && w2 > 0 ? Math.max(0, ((s2 / sTest - 1) * w2) / w1) : 1;
    const before = w1 + w2;
    const after = multiplier * w1 + w2;
    const rescale = after > 0 ? before / after : 1;
    for (let i = 0; i < N; i++) {
      if (train.features.pxlMinZero[i] !== flag) continue;
      w[i] = (train.seriesAny[i] ? w[i]! : w[i]! * multiplier) * rescale;
    }
    groups.push({ pxlMinZero: zero, s2, sTest, multiplier, trainImages, targetImages });
  }

  // 7. Mean 1.
  let total = 0;
  for (let i = 0; i < N; i++) total += w[i]!;
  if (!(total > 0)) throw new RangeError('computeSampleWeights: every training image has weight 0');
  const weights = new Float32Array(N);
  for (let i = 0; i < N; i++) weights[i] = (w[i]! * N) / total;
  return { weights, zeroed, pxlMinRatio, groups, ...(skipped ? { skipped } : {}) };
}

/** A series' sampling weight: the mean of its images' weights (docs/seed-pipeline.md section 5, weighted fine-tuning). */
export function seriesWeights(seriesUids: readonly string[], weights: Float32Array): Map<string, number> {
  const sums = new Map<string, [number, number]>();
  seriesUids.forEach((uid, i) => {
    const s = sums.get(uid) ?? [0, 0];
    s[0] += weights[i]!;
    s[1]++;
    sums.set(uid, s);
  });
  return new Map([...sums].map(([uid, [sum, count]]) => [uid, sum / count]));
}
