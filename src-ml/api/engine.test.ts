// The request validators every transport runs: ids, paths, numbers, unknown fields; one-line errors.
import { describe, expect, it } from 'vitest';
import { ENGINE_LABELS, ENGINE_METHODS, EngineError, isAbsolutePath, isEngineMethod, validateRequest } from './engine.ts';
import { LABELS } from '../../src-shared/labels.ts';
import { PIPELINE_STAGES } from './training.ts';

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
    expect(ENGINE_LABELS).toBe(LABELS);
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

  it('training requests: a preset by name, known stages in pipeline order, absolute data and labels', () => {
    expect(validateRequest('startTraining', { preset: 'tiny' })).toEqual({ preset: 'tiny' });
    expect(validateRequest('startTraining', { preset: 'rsna', stages: ['ensembles', 'base'], data: '/d', labels: 'C:\\l.csv' }))
      .toEqual({ preset: 'rsna', stages: ['base', 'ensembles'], data: '/d', labels: 'C:\\l.csv' });
    expect(validateRequest('startTraining', { preset: 'tiny', stages: [...PIPELINE_STAGES] }).stages).toEqual([...PIPELINE_STAGES]);
    expect(validateRequest('startTraining', { preset: 'tiny', folds: 2 })).toEqual({ preset: 'tiny', folds: 2 });
    expect(validateRequest('startTraining', { preset: 'tiny', folds: 20 }).folds).toBe(20);
    expect(validateRequest('cancelTraining', { jobId: 'train-1' })).toEqual({ jobId: 'train-1' });
    expect(validateRequest('getTrainingHistory', { jobId: 'train-2' })).toEqual({ jobId: 'train-2' });
    expect(validateRequest('listTrainingJobs', {})).toEqual({});
    expect(validateRequest('listRuns', undefined)).toEqual({});
    for (const m of ['startTraining', 'cancelTraining', 'listTrainingJobs', 'getTrainingHistory', 'listRuns']) expect(ENGINE_METHODS).toContain(m);
  });

  it('training requests: an init folder or from scratch, and test folders', () => {
    expect(validateRequest('startTraining', { preset: 'rsna', initDir: '/w/imagenet', testDirs: ['/t/stage_2_test', 'D:\\test'] }))
      .toEqual({ preset: 'rsna', initDir: '/w/imagenet', testDirs: ['/t/stage_2_test', 'D:\\test'] });
    expect(validateRequest('startTraining', { preset: 'rsna', fromScratch: true })).toEqual({ preset: 'rsna', fromScratch: true });
    // false is the default, left out: the same run as a request without it.
    expect(validateRequest('startTraining', { preset: 'rsna', fromScratch: false, initDir: '/w' })).toEqual({ preset: 'rsna', initDir: '/w' });
  });

  it('refuses bad init and test fields with one line', () => {
    fails(() => validateRequest('startTraining', { preset: 'rsna', initDir: 'weights' }), /initDir must be an absolute path/);
    fails(() => validateRequest('startTraining', { preset: 'rsna', initDir: 1 }), /initDir must be a string/);
    fails(() => validateRequest('startTraining', { preset: 'rsna', fromScratch: 'yes' }), /fromScratch must be true or false/);
    fails(() => validateRequest('startTraining', { preset: 'rsna', initDir: '/w', fromScratch: true }), /initDir and fromScratch exclude each other/);
    fails(() => validateRequest('startTraining', { preset: 'rsna', testDirs: '/t' }), /testDirs must be an array of 1-8 absolute folder paths/);
    fails(() => validateRequest('startTraining', { preset: 'rsna', testDirs: [] }), /testDirs must be an array/);
    fails(() => validateRequest('startTraining', { preset: 'rsna', testDirs: Array.from({ length: 9 }, (_, i) => `/t${i}`) }), /1-8/);
    fails(() => validateRequest('startTraining', { preset: 'rsna', testDirs: ['/t', 'rel'] }), /testDirs\[1\] must be an absolute path/);
    fails(() => validateRequest('startTraining', { preset: 'rsna', testDirs: ['/t', 5] }), /testDirs\[1\] must be a string/);
    fails(() => validateRequest('startTraining', { preset: 'rsna', testDirs: ['/t', '/t'] }), /testDirs names a folder twice/);
  });

  it('refuses bad training requests with one line', () => {
    fails(() => validateRequest('startTraining', {}), /preset must be one of tiny, rsna/);
    fails(() => validateRequest('startTraining', { preset: '/tmp/evil.json' }), /preset must be one of/);
    fails(() => validateRequest('startTraining', { preset: '../presets/tiny' }), /preset must be one of/);
    fails(() => validateRequest('startTraining', { preset: 'TINY' }), /preset must be one of/);
    fails(() => validateRequest('startTraining', { preset: 1 }), /preset must be one of/);
    fails(() => validateRequest('startTraining', { preset: 'tiny', stages: [] }), /non-empty/);
    fails(() => validateRequest('startTraining', { preset: 'tiny', stages: 'base' }), /non-empty array/);
    fails(() => validateRequest('startTraining', { preset: 'tiny', stages: ['base', 'predict'] }), /unknown stage "predict"/);
    fails(() => validateRequest('startTraining', { preset: 'tiny', stages: [1] }), /unknown stage 1/);
    fails(() => validateRequest('startTraining', { preset: 'tiny', stages: ['base', 'base'] }), /twice/);
    fails(() => validateRequest('startTraining', { preset: 'tiny', data: 'rel/dir' }), /data must be an absolute path/);
    fails(() => validateRequest('startTraining', { preset: 'tiny', labels: '/l\n.csv' }), /labels must not contain control/);
    fails(() => validateRequest('startTraining', { preset: 'tiny', labels: 3 }), /labels must be a string/);
    for (const folds of [1, 21, 2.5, '3', null]) fails(() => validateRequest('startTraining', { preset: 'tiny', folds }), /folds must be an integer from 2 to 20/);
    fails(() => validateRequest('startTraining', { preset: 'tiny', presetFile: '/x.json' }), /unknown field "presetFile"/);
    fails(() => validateRequest('startTraining', ['tiny']), /JSON object/);
    fails(() => validateRequest('cancelTraining', {}), /jobId must be a string/);
    fails(() => validateRequest('cancelTraining', { jobId: '../x' }), /jobId/);
    fails(() => validateRequest('cancelTraining', { jobId: 'train-1', force: true }), /unknown field "force"/);
    fails(() => validateRequest('getTrainingHistory', { jobId: 'a b' }), /jobId/);
    fails(() => validateRequest('listTrainingJobs', { all: true }), /unknown field "all"/);
    fails(() => validateRequest('listRuns', { stage: 'base' }), /unknown field "stage"/);
  });

  it('recognises absolute paths of every platform', () => {
    expect(['/a', 'C:\\a', 'c:/a', '\\\\srv\\share'].every(isAbsolutePath)).toBe(true);
    expect(['a', './a', 'C:a', '\\a\\b', '~/a'].some(isAbsolutePath)).toBe(false);
  });
});
