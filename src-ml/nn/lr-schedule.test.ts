import { describe, expect, it } from 'vitest';
import { lrMultiplier } from './lr-schedule.ts';

describe('lrMultiplier (warmup + exponential + cosine restarts)', () => {
  const cfg = { cycles: 5, tau: 1, warmup: 0.002 };
  const T = 10_000;

  it('starts at 0, peaks after the warmup of each cycle, and restarts every cycle', () => {
    expect(lrMultiplier(0, T, cfg)).toBe(0);
    // warmup of a cycle = 0.002 * 5 of a cycle = 1% of 2000 steps = 20 steps
    expect(lrMultiplier(10, T, cfg)).toBeCloseTo(Math.exp(-10 / T) * 0.5, 10);
    expect(lrMultiplier(20, T, cfg)).toBeCloseTo(Math.exp(-20 / T), 10);
    // end of the first cycle: cosine near 0
    expect(lrMultiplier(1999, T, cfg)).toBeLessThan(1e-5);
    // start of the second cycle: warmup again
    expect(lrMultiplier(2000, T, cfg)).toBe(0);
    expect(lrMultiplier(2020, T, cfg)).toBeCloseTo(Math.exp(-2020 / T), 10);
  });

  it('matches the python formula at arbitrary points', () => {
    // python: p=step/t; w=0.002*cyc; c=(p*cyc)%1; exp(-tau*p)*(c/w if c<w else 0.5*(1+cos(pi*(c-w)/(1-w))))
    const py = (step: number, t: number, cyc: number, tau: number): number => {
      const p = step / t; const w = 0.002 * cyc; const c = (p * cyc) % 1;
      return Math.exp(-tau * p) * (c < w ? c / w : 0.5 * (1 + Math.cos(Math.PI * (c - w) / (1 - w))));
    };
    for (const [s, t, cyc, tau] of [[123, 1000, 2, 1], [777, 1000, 3, 1.5], [5, 60, 1, 1], [59, 60, 1, 1]] as const) {
      expect(lrMultiplier(s, t, { cycles: cyc, tau, warmup: 0.002 })).toBeCloseTo(py(s, t, cyc, tau), 12);
    }
  });

  it('decays under the envelope: the peak of the last cycle is exp(-tau * p)', () => {
    const peak = lrMultiplier(8020, T, cfg);
    expect(peak).toBeCloseTo(Math.exp(-0.802), 6);
  });

  it('refuses a zero total', () => {
    expect(() => lrMultiplier(0, 0, cfg)).toThrow(/tTotal/);
  });
});
