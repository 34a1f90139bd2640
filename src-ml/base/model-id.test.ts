import { describe, expect, it } from 'vitest';
import { familyId, modelId, parseFamilyId, parseModelId } from './model-id.ts';

describe('model ids', () => {
  it('builds a fold model and its family', () => {
    expect(modelId('tiny-se-resnext', 5, 0)).toBe('tiny-se-resnext.k5.f0');
    expect(modelId('pooled-res.tiny-se-resnext', 3, 2)).toBe('pooled-res.tiny-se-resnext.k3.f2');
    expect(familyId('shallow-weighted.base', 10)).toBe('shallow-weighted.base.k10');
  });

  it('parses them back, the name keeping its own dots', () => {
    expect(parseModelId('pooled-res.tiny-se-resnext.k3.f2')).toEqual({ name: 'pooled-res.tiny-se-resnext', k: 3, fold: 2 });
    expect(parseModelId(modelId('a.k2', 12, 11))).toEqual({ name: 'a.k2', k: 12, fold: 11 });
    expect(parseFamilyId('shallow.base.k10')).toEqual({ name: 'shallow.base', k: 10 });
    expect(parseFamilyId(familyId('x.f1', 4))).toEqual({ name: 'x.f1', k: 4 });
  });

  it('gives null for what is not one', () => {
    for (const id of ['base', 'base.k3', 'base.f0', 'base.kx.f0', '.k3.f0', 'base.k3.f']) expect(parseModelId(id)).toBeNull();
    for (const id of ['base', 'base.k3.f0', 'base.k', '.k3']) expect(parseFamilyId(id)).toBeNull();
  });
});
