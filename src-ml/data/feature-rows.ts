/**
 * Where the full-head stages read TTA feature rows from: an array in memory (tests, `ich predict`'s small
 * sets) or rows read from a feature file on demand (store/npy-rows.ts CachedNpyRows, the training stages:
 * the RSNA-size files do not fit in memory). A row is one TTA copy of one image, `featureSize` floats;
 * image-major, row = copies x image + copy.
 */

/** Rows served one at a time; the view a call returns is valid until the next call. */
export interface FeatureRows {
  readonly rows: number;
  readonly rowLength: number;
  row(r: number): Float32Array;
}

export type FeatureSource = Float32Array | FeatureRows;

/** Row `r` of `src` (F floats); from FeatureRows a view valid until the next read of that source. */
export function featureRow(src: FeatureSource, r: number, F: number): Float32Array {
  if (src instanceof Float32Array) return src.subarray(r * F, r * F + F);
  return src.row(r);
}

/**
 * Images in `src` at `copiesPerImage` rows of `featureSize` floats each; throws (prefixed `name`) when the
 * source is not whole images of that shape.
 */
export function featureImageCount(name: string, src: FeatureSource, featureSize: number, copiesPerImage: number): number {
  if (!Number.isInteger(featureSize) || featureSize < 1) throw new Error(`${name}: featureSize must be a positive integer, got ${featureSize}`);
  if (!Number.isInteger(copiesPerImage) || copiesPerImage < 1) throw new Error(`${name}: copiesPerImage must be a positive integer, got ${copiesPerImage}`);
  if (src instanceof Float32Array) {
    const per = featureSize * copiesPerImage;
    if (src.length % per !== 0) throw new Error(`${name}: ${src.length} floats are not whole images of ${copiesPerImage} x ${featureSize}`);
    return src.length / per;
  }
  if (src.rowLength !== featureSize) throw new Error(`${name}: feature rows hold ${src.rowLength} floats, featureSize is ${featureSize}`);
  if (src.rows % copiesPerImage !== 0) throw new Error(`${name}: ${src.rows} feature rows are not whole images of ${copiesPerImage} copies`);
  return src.rows / copiesPerImage;
}
