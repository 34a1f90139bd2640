// The stage itself runs on the feature-workspace fixture in shallow-train.test.ts (one fixture per file).
import { describe, expect, it } from 'vitest';
import { N_CAT, N_CONTINUOUS, N_FLOAT, type MetaFeatures } from '../data/metadata-features.ts';
import { subsetMetaFeatures } from './sample-weights-stage.ts';

describe('subsetMetaFeatures', () => {
  it('takes the rows in the given order, every field', () => {
    const N = 4;
    const f: MetaFeatures = {
      imageIds: ['a', 'b', 'c', 'd'],
      continuous: Float32Array.from({ length: N * N_CONTINUOUS }, (_, i) => i),
      categorical: Int32Array.from({ length: N * N_CAT }, (_, i) => i),
      rawFloats: Float32Array.from({ length: N * N_FLOAT }, (_, i) => -i),
      posIdx1: Int32Array.from([0, 1, 2, 3]),
      seriesSize: Int32Array.from([4, 4, 4, 4]),
      pxlMinZero: Uint8Array.from([0, 1, 0, 1]),
    };
    const s = subsetMetaFeatures(f, [3, 1]);
    expect(s.imageIds).toEqual(['d', 'b']);
    expect(Array.from(s.continuous.subarray(0, N_CONTINUOUS))).toEqual(Array.from(f.continuous.subarray(3 * N_CONTINUOUS, 4 * N_CONTINUOUS)));
    expect(Array.from(s.categorical.subarray(N_CAT))).toEqual(Array.from(f.categorical.subarray(N_CAT, 2 * N_CAT)));
    expect(Array.from(s.rawFloats.subarray(0, N_FLOAT))).toEqual(Array.from(f.rawFloats.subarray(3 * N_FLOAT, 4 * N_FLOAT)));
    expect(Array.from(s.posIdx1)).toEqual([3, 1]);
    expect(Array.from(s.pxlMinZero)).toEqual([1, 1]);
  });
});
