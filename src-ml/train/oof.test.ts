import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseProbabilityFloor, flooredBaseOof } from './oof.ts';

describe('base OOF probabilities read with the probability floor', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'ich-oof-floor-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const modelDir = (name: string, meta: unknown): string => {
    const dir = path.join(root, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    if (meta !== undefined) writeFileSync(path.join(dir, 'meta.json'), typeof meta === 'string' ? meta : JSON.stringify(meta));
    return dir;
  };

  it('takes the floor from meta.json, or from the training image count of a model saved before it', () => {
    expect(baseProbabilityFloor(modelDir('new', { probabilityFloor: 0.004, trainImages: 9 }))).toBe(0.004);
    expect(baseProbabilityFloor(modelDir('old', { trainImages: 9 }))).toBeCloseTo(0.05, 12);
    expect(baseProbabilityFloor(modelDir('none', { fold: 0 }))).toBe(0);
    expect(baseProbabilityFloor(modelDir('bad', '{not json'))).toBe(0);
    expect(baseProbabilityFloor(modelDir('missing', undefined))).toBe(0);
  });

  it('clamps an old model\'s unseen-class predictions (1e-12 for a class it never saw) and leaves the input alone', () => {
    const dir = modelDir('old2', { trainImages: 99 });
    const raw = Float32Array.from([1e-12, 0.2, 0.3, 0.4, 1 - 1e-7, 0.6]);
    const out = flooredBaseOof(dir, raw);
    expect(out[0]).toBeCloseTo(0.005, 7);
    expect(out[4]).toBeCloseTo(0.995, 7);
    expect(Array.from(out.subarray(1, 4))).toEqual(Array.from(raw.subarray(1, 4)));
    expect(raw[0]).toBe(Math.fround(1e-12));
  });
});
