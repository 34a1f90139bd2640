import { describe, expect, it } from 'vitest';
import { diverging, heat } from './format.ts';
import { panelState } from './panel-state.ts';
import type { SliceDetail } from '../../src-ml/api/engine.ts';

describe('strip colours', () => {
  it('the difference row is grey where safe and risky agree, red where risky is higher, blue where safe is', () => {
    expect(diverging(0)).toBe('hsl(0 0% 22%)');
    expect(diverging(0.5)).toBe('hsl(0 80% 41%)');
    expect(diverging(-0.5)).toBe('hsl(215 80% 41%)');
    expect(diverging(0.01)).not.toBe(diverging(-0.01));
    expect(diverging(5)).toBe(diverging(1));
  });

  it('heat runs from dark blue to yellow and clamps', () => {
    expect(heat(0)).toBe('hsl(240 85% 18%)');
    expect(heat(1)).toBe('hsl(50 85% 60%)');
    expect(heat(-1)).toBe(heat(0));
  });
});

describe('panelState', () => {
  it('is stale while the detail belongs to another slice than the current one', () => {
    const detail = { imageId: 'a' } as SliceDetail;
    expect(panelState(null, 'a')).toBe('empty');
    expect(panelState(detail, 'a')).toBe('current');
    expect(panelState(detail, 'b')).toBe('stale');
  });
});
