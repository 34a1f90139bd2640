/**
 * The probability floor (issue 12): no model may claim odds finer than its training images resolve. The
 * training stages clamp their validation, OOF and test probabilities to it and record it in meta.json as
 * probabilityFloor; inference keeps the recorded floor.
 */

/**
 * The least probability a model trained on `n` images may give a class, and 1 minus it the most: the
 * smoothed prevalence (labelPrior) of a class with no positive among them, 0.5 / (n + 1). Odds finer than
 * that are not supported by the data: a fold whose training patients hold no epidural slice predicted
 * 1e-9 for its validation patient's six (a loss of 20 each, more than the whole stage gained on 24 studies);
 * at 6,000 training images the floor is 8e-5 and changes next to nothing.
 */
export function probabilityFloor(n: number): number {
  if (!(n >= 0)) throw new RangeError(`probabilityFloor: n must be >= 0, got ${n}`);
  return 0.5 / (n + 1);
}

/** Clamps every probability of `probs` to [floor, 1 - floor] in place; returns `probs`. */
export function clampProbabilities<T extends Float32Array | Float64Array>(probs: T, floor: number): T {
  if (!(floor >= 0 && floor < 0.5)) throw new RangeError(`clampProbabilities: floor must be in [0, 0.5), got ${floor}`);
  const hi = 1 - floor;
  for (let i = 0; i < probs.length; i++) probs[i] = Math.min(hi, Math.max(floor, probs[i]!));
  return probs;
}
