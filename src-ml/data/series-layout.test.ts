import { describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { drawWithoutReplacement, featureStats, pooledResSample, randomOffset, shallowSample } from './series-layout.ts';

const F = 3;

/** Features where every value names its origin: image·100 + copy·10 + dimension. */
function codedFeatures(images: number, copies: number): Float32Array {
  const out = new Float32Array(images * copies * F);
  for (let i = 0; i < images; i++) for (let c = 0; c < copies; c++) for (let f = 0; f < F; f++) out[(i * copies + c) * F + f] = i * 100 + c * 10 + f;
  return out;
}

function labelsOf(images: number): Uint8Array {
  return Uint8Array.from({ length: images * 6 }, (_, j) => (Math.floor(j / 6) + (j % 6)) % 2);
}

/** Decodes x [60, k, F] back to (image, copy) per cell; null for a zero row. */
function cells(x: Float32Array, k: number): ({ img: number; copy: number } | null)[][] {
  const rows: ({ img: number; copy: number } | null)[][] = [];
  for (let r = 0; r < 60; r++) {
    const row: ({ img: number; copy: number } | null)[] = [];
    for (let c = 0; c < k; c++) {
      const base = (r * k + c) * F;
      const v = x.subarray(base, base + F);
      if (v.every((q) => q === 0)) {
        row.push(null);
        continue;
      }
      expect([...v].map((q) => q % 10)).toEqual([0, 1, 2]);
      row.push({ img: Math.floor(v[0]! / 100), copy: Math.floor((v[0]! % 100) / 10) });
    }
    rows.push(row);
  }
  return rows;
}

describe('pooledResSample', () => {
  const feats = codedFeatures(10, 4);
  const labels = labelsOf(10);

  it('fills rows 0..n-1 in the given order with copies 0..k-1 (fixed), zero rows and -1 targets after', () => {
    const s = pooledResSample(feats, F, 4, [5, 2, 7], 4, 'fixed', labels);
    expect(s.n).toBe(3);
    expect(s.x.length).toBe(60 * 4 * F);
    expect(s.y.length).toBe(60 * 6);
    const c = cells(s.x, 4);
    [5, 2, 7].forEach((img, r) => expect(c[r]).toEqual([0, 1, 2, 3].map((copy) => ({ img, copy }))));
    for (let r = 3; r < 60; r++) expect(c[r]).toEqual([null, null, null, null]);
    [5, 2, 7].forEach((img, r) => expect([...s.y.subarray(r * 6, r * 6 + 6)]).toEqual([...labels.subarray(img * 6, img * 6 + 6)]));
    expect([...s.y.subarray(18)].every((v) => v === -1)).toBe(true);
    // Without labels the real rows are 0: the targets still carry the mask.
    const u = pooledResSample(feats, F, 4, [5, 2, 7], 4, 'fixed');
    expect([...u.y.subarray(0, 18)].every((v) => v === 0)).toBe(true);
    expect([...u.y.subarray(18)].every((v) => v === -1)).toBe(true);
  });

  it('standardises every row with norm, the rows past the series end to -mean/std; rejects a norm of another size', () => {
    const mean = Float32Array.from([1, 2, 3]);
    const std = Float32Array.from([2, 4, 0.5]);
    const raw = pooledResSample(feats, F, 4, [5, 2, 7], 2, 'fixed', labels);
    const z = pooledResSample(feats, F, 4, [5, 2, 7], 2, 'fixed', labels, { mean, std });
    for (let i = 0; i < raw.x.length; i++) expect(z.x[i]).toBeCloseTo((raw.x[i]! - mean[i % F]!) / std[i % F]!, 4);
    // a padding row: (0 - mean) / std
    expect([...z.x.subarray(59 * 2 * F, 59 * 2 * F + F)]).toEqual([-0.5, -0.5, -6]);
    expect(z.y).toEqual(raw.y);
    expect(() => pooledResSample(feats, F, 4, [5], 2, 'fixed', undefined, { mean: new Float32Array(2), std: new Float32Array(2).fill(1) })).toThrow(/input norm has 2 means/);
  });

  it('draws k distinct copies per slice, independently per slice, reproducibly from the Rng', () => {
    const rows = Array.from({ length: 60 }, (_, i) => i % 10);
    const a = pooledResSample(feats, F, 4, rows, 3, createRng(7), labels);
    const b = pooledResSample(feats, F, 4, rows, 3, createRng(7), labels);
    expect(a.x).toEqual(b.x);
    const c = cells(a.x, 3);
    const combos = new Set<string>();
    c.forEach((row, r) => {
      expect(row.every((q) => q?.img === rows[r])).toBe(true);
      const copies = row.map((q) => q!.copy);
      expect(new Set(copies).size).toBe(3);
      copies.forEach((q) => expect(q).toBeLessThan(4));
      combos.add(copies.join());
    });
    expect(combos.size).toBeGreaterThan(5); // not one draw repeated for every slice
    // test time: 4 of 8
    const t = pooledResSample(codedFeatures(10, 8), F, 8, [1, 3], 4, createRng(3));
    for (const row of cells(t.x, 4).slice(0, 2)) expect(new Set(row.map((q) => q!.copy)).size).toBe(4);
  });

  it('rejects empty or too long series, bad k and bad indices', () => {
    expect(() => pooledResSample(feats, F, 4, [], 3, 'fixed')).toThrow(/1\.\.60 slices/);
    expect(() => pooledResSample(feats, F, 4, Array.from({ length: 61 }, () => 0), 3, 'fixed')).toThrow(/sliding-windows/);
    expect(() => pooledResSample(feats, F, 4, [0], 5, 'fixed')).toThrow(/k must be/);
    expect(() => pooledResSample(feats, F, 4, [10], 3, 'fixed')).toThrow(/outside/);
    expect(() => pooledResSample(feats, F, 4, [1], 3, 'fixed', new Uint8Array(5))).toThrow(/labels/);
  });

  it('drawWithoutReplacement covers every subset over many draws', () => {
    const rng = createRng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(drawWithoutReplacement(4, 3, rng).sort().join());
    expect(seen.size).toBe(4);
  });
});

describe('shallowSample', () => {
  const images = 6;
  const feats = codedFeatures(images, 4);
  const mean = Float32Array.from([1, 2, 3]);
  const std = Float32Array.from([2, 4, 1]);
  const black = Float32Array.from([-5, -6, -7]);
  const continuous = Float32Array.from({ length: images * 2 }, (_, j) => 1000 + j);
  const categorical = Int32Array.from({ length: images * 3 }, (_, j) => j);
  const labels = labelsOf(images);
  const sliceRows = [4, 1, 3];

  it('lays out 12 + offset dummy rows, the slices (one z-scored copy each), then dummy rows', () => {
    const offset = 5;
    const s = shallowSample({ features: feats, featureSize: F, copiesPerImage: 4, mean, std, black, continuous, categorical, sliceRows, copyOf: (slot) => slot + 1, offset, labels });
    expect(s.features.length).toBe(84 * F);
    expect(s.continuous.length).toBe(84 * 2);
    expect(s.categorical.length).toBe(84 * 3);
    const z = (v: number[]) => v.map((q, f) => (q - mean[f]!) / std[f]!);
    const zBlack = z([...black]);
    const first = 12 + offset;
    for (let r = 0; r < 84; r++) {
      const slot = r - first;
      const real = slot >= 0 && slot < 3;
      const metaImg = sliceRows[Math.min(Math.max(slot, 0), 2)]!;
      const row = [...s.features.subarray(r * F, r * F + F)];
      if (real) {
        const img = sliceRows[slot]!;
        expect(row).toEqual(z([0, 1, 2].map((f) => img * 100 + (slot + 1) * 10 + f)).map((v) => Math.fround(v)));
      } else {
        expect(row).toEqual(zBlack.map((v) => Math.fround(v)));
      }
      expect([...s.continuous.subarray(r * 2, r * 2 + 2)]).toEqual([1000 + metaImg * 2, 1001 + metaImg * 2]);
      expect([...s.categorical.subarray(r * 3, r * 3 + 3)]).toEqual([metaImg * 3, metaImg * 3 + 1, metaImg * 3 + 2]);
    }
    // dummy rows: 12 + offset above, 60 - n - offset + 12 below
    expect(first).toBe(17);
    expect(84 - first - 3).toBe(60 - 3 - offset + 12);
    // targets: output row j = slice j - offset
    for (let j = 0; j < 60; j++) {
      const slot = j - offset;
      const want = slot >= 0 && slot < 3 ? [...labels.subarray(sliceRows[slot]! * 6, sliceRows[slot]! * 6 + 6)] : [-1, -1, -1, -1, -1, -1];
      expect([...s.y.subarray(j * 6, j * 6 + 6)]).toEqual(want);
    }
  });

  it('accepts offsets 0..60-n only and copies inside the file', () => {
    const base = { features: feats, featureSize: F, copiesPerImage: 4, mean, std, black, continuous, categorical, sliceRows, copyOf: () => 0 };
    expect(() => shallowSample({ ...base, offset: 57 })).not.toThrow();
    expect(() => shallowSample({ ...base, offset: 58 })).toThrow(/offset/);
    expect(() => shallowSample({ ...base, offset: -1 })).toThrow(/offset/);
    expect(() => shallowSample({ ...base, offset: 0, copyOf: () => 4 })).toThrow(/copy 4/);
    const rng = createRng(5);
    const offs = new Set(Array.from({ length: 300 }, () => randomOffset(58, rng)));
    expect([...offs].sort()).toEqual([0, 1, 2]);
    expect(randomOffset(60, rng)).toBe(0);
  });
});

describe('featureStats', () => {
  it('gives per-dimension mean and population std, std 1 for a constant dimension', () => {
    const x = Float32Array.from([1, 5, 0.1, 3, 5, 0.1, 5, 5, 0.1, 7, 5, 0.1]); // 4 rows x 3
    const { mean, std } = featureStats(x, 3);
    expect(mean[0]).toBeCloseTo(4, 6);
    expect(std[0]).toBeCloseTo(Math.sqrt(5), 6);
    expect(mean[1]).toBe(5);
    expect(std[1]).toBe(1);
    expect(mean[2]).toBeCloseTo(0.1, 6);
    expect(std[2]).toBe(1);
    expect(() => featureStats(new Float32Array(5), 3)).toThrow();
  });
});
