// The request validators every transport runs: ids, paths, numbers, unknown fields; one-line errors.
import { describe, expect, it } from 'vitest';
import { ENGINE_LABELS, ENGINE_METHODS, EngineError, isAbsolutePath, isEngineMethod, validateRequest } from './engine.ts';
import { METRIC_LABELS } from '../metrics/log-loss.ts';

const fails = (fn: () => unknown, re: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('invalid');
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain('\n');
    return;
  }
  throw new Error('expected a validation error');
};

describe('engine contract', () => {
  it('labels are the project order', () => {
    expect([...ENGINE_LABELS]).toEqual([...METRIC_LABELS]);
  });

  it('knows its methods and nothing inherited', () => {
    expect(ENGINE_METHODS).toContain('getSliceDetail');
    for (const m of ENGINE_METHODS) expect(isEngineMethod(m)).toBe(true);
    for (const m of ['constructor', 'toString', '__proto__', 'hasOwnProperty', '']) expect(isEngineMethod(m)).toBe(false);
  });

  it('accepts well-formed requests', () => {
    expect(validateRequest('info', undefined)).toEqual({});
    expect(validateRequest('listStudies', { filter: 'smith', threshold: 0.3 })).toEqual({ filter: 'smith', threshold: 0.3 });
    expect(validateRequest('getSeries', { seriesUid: '1.2.840.113619.2.55' })).toEqual({ seriesUid: '1.2.840.113619.2.55' });
    expect(validateRequest('getSliceDetail', { imageId: 'ID_0a1b2c#3' })).toEqual({ imageId: 'ID_0a1b2c#3' });
    expect(validateRequest('addFolder', { path: '/data/ct' })).toEqual({ path: '/data/ct' });
    expect(validateRequest('addFolder', { path: 'C:\\data\\ct' })).toEqual({ path: 'C:\\data\\ct' });
  });

  it('refuses malformed ones with one line', () => {
    fails(() => validateRequest('getSeries', { seriesUid: '../x/y' }), /seriesUid/);
    fails(() => validateRequest('getSeries', { seriesUid: 'a'.repeat(129) }), /seriesUid/);
    fails(() => validateRequest('getSeries', { seriesUid: 'a b' }), /seriesUid/);
    fails(() => validateRequest('getSeries', { seriesUid: 12 }), /string/);
    fails(() => validateRequest('getSeries', {}), /seriesUid/);
    fails(() => validateRequest('getSeries', 'x'), /JSON object/);
    fails(() => validateRequest('getSeries', [1]), /JSON object/);
    fails(() => validateRequest('info', { x: 1 }), /unknown field "x"/);
    fails(() => validateRequest('listStudies', { threshold: Number.NaN }), /finite/);
    fails(() => validateRequest('listStudies', { threshold: 1.5 }), /between 0 and 1/);
    fails(() => validateRequest('listStudies', { filter: 'a\nb' }), /control/);
    fails(() => validateRequest('listStudies', { filter: 'x'.repeat(201) }), /at most/);
    fails(() => validateRequest('addFolder', { path: 'data/ct' }), /absolute/);
    fails(() => validateRequest('addFolder', { path: '/data\u0000/x' }), /control/);
    fails(() => validateRequest('addFolder', { path: '' }), /characters/);
  });

  it('recognises absolute paths of every platform', () => {
    expect(['/a', 'C:\\a', 'c:/a', '\\\\srv\\share'].every(isAbsolutePath)).toBe(true);
    expect(['a', './a', 'C:a', '\\a\\b', '~/a'].some(isAbsolutePath)).toBe(false);
  });
});
