import { describe, expect, it } from 'vitest';
import { parseWindowArg, resolveWindow, WINDOW_PRESETS } from './windows.ts';

describe('window presets', () => {
  it('lists the six presets in number-key order with their center/width', () => {
    expect(WINDOW_PRESETS.map((p) => [p.id, p.center, p.width])).toEqual([
      ['brain', 40, 80],
      ['subdural', 80, 200],
      ['stroke', 40, 40],
      ['bone', 600, 2800],
      ['soft', 40, 400],
      ['header', null, null],
    ]);
  });
});

describe('parseWindowArg', () => {
  it('takes preset names, any case', () => {
    expect(parseWindowArg('bone')).toEqual({ kind: 'preset', preset: WINDOW_PRESETS[3] });
    expect(parseWindowArg(' Soft ')).toEqual({ kind: 'preset', preset: WINDOW_PRESETS[4] });
    expect(parseWindowArg('header')).toEqual({ kind: 'preset', preset: WINDOW_PRESETS[5] });
  });

  it('reads C/W as center first, width second', () => {
    expect(parseWindowArg('40/80')).toEqual({ kind: 'explicit', window: { center: 40, width: 80 } });
    expect(parseWindowArg('-600 / 1500.5')).toEqual({ kind: 'explicit', window: { center: -600, width: 1500.5 } });
    expect(parseWindowArg('+.5/1')).toEqual({ kind: 'explicit', window: { center: 0.5, width: 1 } });
  });

  it('refuses anything else with a one-line reason', () => {
    expect(() => parseWindowArg('40')).toThrow('--window "40" is neither a preset (brain, subdural, stroke, bone, soft, header) nor center/width like 40/80');
    expect(() => parseWindowArg('40/80/3')).toThrow('is neither a preset');
    expect(() => parseWindowArg('brian')).toThrow('is neither a preset');
    expect(() => parseWindowArg('40/0.5')).toThrow('--window "40/0.5": width 0.5 must be at least 1 (the form is center/width)');
    expect(() => parseWindowArg('40/-80')).toThrow('width -80 must be at least 1');
  });
});

describe('resolveWindow', () => {
  const header = { windowCenter: [36, 47], windowWidth: [80, 150] };
  it('uses fixed presets and explicit values as they are', () => {
    expect(resolveWindow(parseWindowArg('subdural'), header)).toEqual({ center: 80, width: 200 });
    expect(resolveWindow(parseWindowArg('10/20'), header)).toEqual({ center: 10, width: 20 });
  });

  it('takes the first header pair for `header`, or null when there is none', () => {
    expect(resolveWindow(parseWindowArg('header'), header)).toEqual({ center: 36, width: 80 });
    expect(resolveWindow(parseWindowArg('header'), { windowCenter: [], windowWidth: [] })).toBeNull();
    expect(resolveWindow(parseWindowArg('header'), { windowCenter: [40], windowWidth: [0] })).toBeNull();
  });
});
