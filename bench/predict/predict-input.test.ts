import { describe, expect, it } from 'vitest';
import { median, medianByKey, ms3, pickSlices } from './predict-input.ts';

const truth = {
  series: [
    { seriesInstanceUid: 'A', slices: Array.from({ length: 30 }, (_, i) => `ID_a${i}`) },
    { seriesInstanceUid: 'B', slices: Array.from({ length: 28 }, (_, i) => `ID_b${i}`) },
    { seriesInstanceUid: 'C', slices: ['ID_c0'] },
  ],
};

describe('bench/predict input', () => {
  it('takes whole series in z order, then the lower part of the next, up to the count', () => {
    const { files, seriesSizes } = pickSlices(truth, 40);
    expect(seriesSizes).toEqual([30, 10]);
    expect(files).toHaveLength(40);
    expect(files[0]).toBe('ID_a0.dcm');
    expect(files[30]).toBe('ID_b0.dcm');
    expect(files[39]).toBe('ID_b9.dcm');
    expect(pickSlices(truth, 30).seriesSizes).toEqual([30]);
  });

  it('says so when the studies hold fewer slices than wanted', () => {
    expect(() => pickSlices(truth, 60)).toThrow(/59 slices in 3 series, 60 wanted/);
  });

  it('medians per run and per stage', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(() => median([])).toThrow(/no values/);
    expect(medianByKey([{ a: 1, b: 5 }, { a: 3 }, { a: 2, b: 7 }])).toEqual({ a: 2, b: 6 });
    expect(ms3(1.23456)).toBe(1.235);
  });
});
