import { describe, expect, it } from 'vitest';
import { createRng } from './random.ts';

describe('seeded random source', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('gives uniform values in [0, 1) and standard normals', () => {
    const r = createRng('stats');
    const u = Array.from({ length: 20000 }, () => r.next());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(u.reduce((s, x) => s + x, 0) / u.length).toBeCloseTo(0.5, 1);
    const n = Array.from({ length: 20000 }, () => r.normal());
    const mean = n.reduce((s, x) => s + x, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, x) => s + (x - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(sd).toBeCloseTo(1, 1);
  });

  it('forks independent streams: draws in one fork do not shift another', () => {
    const r1 = createRng(7);
    const f1 = r1.fork('anatomy');
    const g1 = r1.fork('lesions');
    const r2 = createRng(7);
    const f2 = r2.fork('anatomy');
    const g2 = r2.fork('lesions');
    f1.next();
    f1.next();
    expect(g1.next()).toBe(g2.next());
    expect(f2.next()).not.toBe(g2.next());
    expect(createRng(1).int(3, 3)).toBe(3);
  });
});
