import { describe, expect, it } from 'vitest';
import { assignFolds, DEFAULT_FOLD_SEEDS, extendFolds, foldSizes, foldSplit } from './folds.ts';

const ids = (n: number, prefix = 'ID_') => Array.from({ length: n }, (_, i) => `${prefix}${i.toString(16).padStart(6, '0')}`);

describe('assignFolds', () => {
  it('puts every patient in exactly one fold, with KFold sizes', () => {
    for (const [n, k] of [[10, 3], [101, 5], [7, 7], [1000, 3]] as const) {
      const folds = assignFolds(ids(n), k, 1);
      expect(folds.size).toBe(n);
      const counts = new Array<number>(k).fill(0);
      for (const f of folds.values()) counts[f]!++;
      expect(counts).toEqual(foldSizes(n, k));
    }
    expect(foldSizes(11, 3)).toEqual([4, 4, 3]);
    expect(foldSizes(12, 5)).toEqual([3, 3, 2, 2, 2]);
  });

  it('is deterministic for a seed, independent of input order and duplicates, and differs across seeds', () => {
    const list = ids(200);
    const a = assignFolds(list, 5, DEFAULT_FOLD_SEEDS[5]);
    const shuffled = [...list].reverse().concat(list.slice(0, 50));
    expect([...assignFolds(shuffled, 5, 432)].sort()).toEqual([...a].sort());
    expect(assignFolds(list, 5, 432)).toEqual(a);
    const b = assignFolds(list, 5, 433);
    expect(list.some((id) => a.get(id) !== b.get(id))).toBe(true);
    expect(DEFAULT_FOLD_SEEDS).toEqual({ 3: 8153, 5: 432 });
  });

  it('rejects impossible fold counts', () => {
    expect(() => assignFolds(ids(2), 3, 1)).toThrow(RangeError);
    expect(() => assignFolds(ids(10), 1, 1)).toThrow(RangeError);
  });
});

describe('extendFolds / foldSplit', () => {
  it('keeps old patients in their folds and splits the new ones by their own KFold', () => {
    const old = assignFolds(ids(30), 3, 8153);
    const fresh = ids(9, 'NEW_');
    const merged = extendFolds(old, [...ids(30), ...fresh], 3, 8153);
    for (const [id, f] of old) expect(merged.get(id)).toBe(f);
    const own = assignFolds(fresh, 3, 8153);
    for (const id of fresh) expect(merged.get(id)).toBe(own.get(id));
  });

  it('splits image rows by patient fold', () => {
    const patients = ids(12);
    const folds = assignFolds(patients, 3, 5);
    const images = patients.flatMap((p) => [p, p, p]);
    for (let f = 0; f < 3; f++) {
      const { train, val } = foldSplit(images, folds, f);
      expect(train.length + val.length).toBe(images.length);
      expect(val.length).toBe(12);
      for (const i of val) expect(folds.get(images[i]!)).toBe(f);
      for (const i of train) expect(folds.get(images[i]!)).not.toBe(f);
    }
    expect(() => foldSplit(['nobody'], folds, 0)).toThrow(/no fold/);
  });
});
