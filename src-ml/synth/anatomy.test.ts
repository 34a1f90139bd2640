import { describe, expect, it } from 'vitest';
import { headCentre, headZRange, randomHead, toHead, toPatient } from './anatomy.ts';
import { ellipsoid, ellipsoidRadius, slabFraction } from './ellipsoid.ts';
import { createRng } from '../base/random.ts';
import { innerDepth, innerRadius } from './vault.ts';

describe('randomHead', () => {
  it('is a pure function of its random stream', () => {
    const a = randomHead(createRng('same'));
    const b = randomHead(createRng('same'));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(randomHead(createRng('other')))).not.toBe(JSON.stringify(a));
  });

  it('spans 120-200 mm from the skull base to the vertex and sits near the table centre', () => {
    const heights: number[] = [];
    for (let k = 0; k < 60; k++) {
      const head = randomHead(createRng(`span:${k}`));
      const { baseMm, vertexMm } = headZRange(head);
      heights.push(vertexMm - baseMm);
      const c = headCentre(head);
      expect(Math.abs(c.x)).toBeLessThan(15);
      expect(Math.abs(c.y)).toBeLessThan(15);
    }
    expect(Math.min(...heights)).toBeGreaterThan(120);
    expect(Math.max(...heights)).toBeLessThan(200);
    // Heads differ: 5 mm slices from base to vertex give roughly 24-40 slices.
    expect(Math.max(...heights) - Math.min(...heights)).toBeGreaterThan(10);
  });

  it('varies size, shape, pose, age and tissue densities', () => {
    const heads = Array.from({ length: 40 }, (_, k) => randomHead(createRng(`vary:${k}`)));
    const spread = (f: (h: (typeof heads)[number]) => number) => Math.max(...heads.map(f)) - Math.min(...heads.map(f));
    expect(spread((h) => innerRadius(h.vault, 0, h.vault.wc))).toBeGreaterThan(6);
    expect(spread((h) => h.rotation)).toBeGreaterThan(0.1);
    expect(spread((h) => h.atrophy)).toBeGreaterThan(0.6);
    expect(spread((h) => h.hu.gm - h.hu.wm)).toBeGreaterThan(1.5);
    expect(spread((h) => h.noiseSd)).toBeGreaterThan(1.5);
  });

  it('converts between patient and head-local coordinates', () => {
    const head = randomHead(createRng('pose'));
    const p = toPatient(head, 12, -30);
    const q = toHead(head, p.x, p.y);
    expect(q.u).toBeCloseTo(12, 9);
    expect(q.v).toBeCloseTo(-30, 9);
  });

  it('measures 3-D depth under the inner table', () => {
    const head = randomHead(createRng('depth'));
    const w = head.vault.wc;
    const r = innerRadius(head.vault, 0.3, w);
    expect(innerDepth(head.vault, (r - 5) * Math.cos(0.3), (r - 5) * Math.sin(0.3), w)).toBeCloseTo(5, 0);
    expect(innerDepth(head.vault, (r + 3) * Math.cos(0.3), (r + 3) * Math.sin(0.3), w)).toBeCloseTo(-3, 0);
  });
});

describe('ellipsoid slab fraction', () => {
  it('is the exact fraction of a slab inside, along z', () => {
    const e = ellipsoid([0, 0, 10], [5, 5, 5]);
    expect(slabFraction(e, 0, 0, 9, 11)).toBeCloseTo(1, 9);
    expect(slabFraction(e, 0, 0, 14, 16)).toBeCloseTo(0.5, 9);
    expect(slabFraction(e, 3, 4, 9, 11)).toBeCloseTo(0, 9);
    expect(slabFraction(e, 3, 0, 0, 20)).toBeCloseTo(8 / 20, 9);
    const tilted = ellipsoid([0, 0, 0], [2, 10, 3], 0.4, 0.3);
    expect(ellipsoidRadius(tilted, 0, 0, 0)).toBe(0);
    expect(tilted.ew).toBeGreaterThan(3);
  });
});
