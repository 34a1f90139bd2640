import { describe, expect, it } from 'vitest';
import { concatBytes, concatFloat32 } from './bytes.ts';

describe('typed-array concatenation', () => {
  it('joins the parts in order into a new array', () => {
    expect([...concatBytes([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)])]).toEqual([1, 2, 3]);
    const a = Float32Array.of(0.5, 1.5);
    const joined = concatFloat32([a, Float32Array.of(2.5)]);
    expect([...joined]).toEqual([0.5, 1.5, 2.5]);
    joined[0] = 9;
    expect(a[0]).toBe(0.5);
    expect(concatFloat32([]).length).toBe(0);
  });

  it('returns a lone Float32Array part itself (the callers that must own a copy make it)', () => {
    const a = Float32Array.of(1, 2);
    expect(concatFloat32([a])).toBe(a);
  });
});
