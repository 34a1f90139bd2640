import { describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { batches, DENSENET_STAGE1_REPEATS, sampleEpoch, sampleEpochPerClass } from './sampler.ts';

/** Label rows from [count, row] groups, in order. */
function makeLabels(groups: [number, number[]][]): Uint8Array {
  const rows = groups.flatMap(([count, row]) => Array.from({ length: count }, () => row));
  return Uint8Array.from(rows.flat());
}

const NEG = [0, 0, 0, 0, 0, 0];
const EDH = [1, 0, 0, 0, 0, 1];
const SDH = [0, 0, 0, 0, 1, 1];
const EDH_SAH = [1, 0, 0, 1, 0, 1];
const LABELS = makeLabels([[1000, NEG], [40, EDH], [100, SDH], [10, EDH_SAH]]);

function counts(idx: Int32Array): Map<number, number> {
  const m = new Map<number, number>();
  for (const i of idx) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

describe('sampleEpoch', () => {
  it('keeps every any-positive once and the given fraction of negatives, shuffled', () => {
    const idx = sampleEpoch(LABELS, 0.5, createRng(1));
    expect(idx.length).toBe(150 + 500);
    const c = counts(idx);
    for (let i = 1000; i < 1150; i++) expect(c.get(i)).toBe(1);
    let negs = 0;
    for (const [i, k] of c) {
      expect(k).toBe(1);
      if (i < 1000) negs++;
    }
    expect(negs).toBe(500);
    // Shuffled: positives are spread through the epoch, not appended at the end.
    expect(Array.from(idx.slice(0, 100)).some((i) => i >= 1000)).toBe(true);
  });

  it('fraction 1 is the whole fold shuffled; fractions above 1 repeat', () => {
    const idx = sampleEpoch(LABELS, 1, createRng(2));
    expect(Array.from(idx).sort((a, b) => a - b)).toEqual(Array.from({ length: 1150 }, (_, i) => i));
    expect(Array.from(idx)).not.toEqual(Array.from({ length: 1150 }, (_, i) => i));
    expect(sampleEpoch(LABELS, 1.25, createRng(2)).length).toBe(1250 + 150);
    expect(sampleEpoch(LABELS, 0, createRng(2)).length).toBe(150);
  });

  it('is deterministic for a seed and varies across epochs', () => {
    expect(sampleEpoch(LABELS, 0.5, createRng(7))).toEqual(sampleEpoch(LABELS, 0.5, createRng(7)));
    const rng = createRng(7);
    const e1 = sampleEpoch(LABELS, 0.5, rng);
    const e2 = sampleEpoch(LABELS, 0.5, rng);
    expect(e1).not.toEqual(e2);
  });

  it('validates its input', () => {
    expect(() => sampleEpoch(new Uint8Array(7), 0.5, createRng(1))).toThrow(RangeError);
    expect(() => sampleEpochPerClass(LABELS, 0.5, [1, 1], createRng(1))).toThrow(RangeError);
    expect(() => sampleEpoch(LABELS, -1, createRng(1))).toThrow(RangeError);
  });
});

describe('sampleEpochPerClass', () => {
  it('DenseNet stage 1: 20% negatives, epidural x10, each other subtype x1, any x0', () => {
    const idx = sampleEpochPerClass(LABELS, 0.2, DENSENET_STAGE1_REPEATS, createRng(3));
    // 200 negatives + EDH rows (40 + 10) x10 + SDH 100 x1 + SAH 10 x1.
    expect(idx.length).toBe(200 + 500 + 100 + 10);
    const c = counts(idx);
    for (let i = 1000; i < 1040; i++) expect(c.get(i)).toBe(10);
    for (let i = 1040; i < 1140; i++) expect(c.get(i)).toBe(1);
    for (let i = 1140; i < 1150; i++) expect(c.get(i)).toBe(11); // epidural x10 + subarachnoid x1
    expect(sampleEpochPerClass(LABELS, 0.2, DENSENET_STAGE1_REPEATS, createRng(3))).toEqual(idx);
  });
});

describe('batches', () => {
  it('cuts consecutive batches, dropping the short last one when asked', () => {
    const idx = Int32Array.from({ length: 10 }, (_, i) => i);
    expect(batches(idx, 4, false).map((b) => Array.from(b))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(batches(idx, 4, true).map((b) => b.length)).toEqual([4, 4]);
    expect(batches(idx, 5, true).length).toBe(2);
    expect(batches(new Int32Array(0), 3, false)).toEqual([]);
    expect(() => batches(idx, 0, false)).toThrow(RangeError);
  });
});
