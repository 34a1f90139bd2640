import { describe, expect, it } from 'vitest';
import { rocAuc } from './auc.ts';

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 for all ties', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
  });

  it('matches a hand count of correctly ordered pairs, ties as half', () => {
    // positives 0.4, 0.7; negatives 0.1, 0.4, 0.8 -> pairs: (0.4>0.1)=1, (0.4=0.4)=.5, (0.4<0.8)=0, (0.7>0.1)=1, (0.7>0.4)=1, (0.7<0.8)=0
    expect(rocAuc([0.1, 0.4, 0.4, 0.7, 0.8], [0, 1, 0, 1, 0])).toBeCloseTo(3.5 / 6, 12);
  });

  it('is NaN without both classes', () => {
    expect(rocAuc([1, 2], [1, 1])).toBeNaN();
  });
});
