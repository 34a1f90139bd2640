import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.ts';
import { loadEnsembleRecord, predictionsBySource, predictionsOf, saveEnsembleRecord, savePredictions } from './predictions.ts';
import { Workspace } from './workspace.ts';

describe('predictions store', () => {
  const t = tempDir('ich-pred-');
  const ws = Workspace.open(t.dir);
  afterAll(() => {
    ws.close();
    t.cleanup();
  });

  it('stores ensemble and member rows per slice, replaces on the same key, and refuses bad rows whole', () => {
    savePredictions(ws, [
      { imageId: 'ID_a', source: 'safe', kind: 'ensemble', oof: true, probs: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] },
      { imageId: 'ID_a', source: 'shallow.m.k3', kind: 'member', oof: true, probs: [0, 0, 0, 0, 0, 1], bounded: 3 },
    ]);
    savePredictions(ws, [{ imageId: 'ID_a', source: 'safe', kind: 'ensemble', oof: false, probs: [1, 1, 1, 1, 1, 1] }]);
    const rows = predictionsOf(ws, 'ID_a');
    expect(rows.map((r) => [r.source, r.oof, r.bounded])).toEqual([['safe', false, 0], ['shallow.m.k3', true, 3]]);
    expect(predictionsBySource(ws, 'safe').get('ID_a')).toEqual([1, 1, 1, 1, 1, 1]);
    expect(() => savePredictions(ws, [
      { imageId: 'ID_b', source: 'safe', kind: 'ensemble', oof: false, probs: [0, 0, 0, 0, 0, 0] },
      { imageId: 'ID_c', source: 'safe', kind: 'ensemble', oof: false, probs: [0, 0, Number.NaN, 0, 0, 0] },
    ])).toThrow(/ID_c/);
    expect(predictionsOf(ws, 'ID_b')).toEqual([]);
    savePredictions(ws, [], true);
    expect(predictionsOf(ws, 'ID_a')).toEqual([]);
  });

  it('keeps the fitted ensemble as JSON', () => {
    saveEnsembleRecord(ws, 'current', { safe: { kept: ['a'] } }, { safe: 0.1 });
    expect(loadEnsembleRecord(ws, 'current')).toMatchObject({ fit: { safe: { kept: ['a'] } }, metrics: { safe: 0.1 } });
    expect(loadEnsembleRecord(ws, 'nope')).toBeUndefined();
  });
});
