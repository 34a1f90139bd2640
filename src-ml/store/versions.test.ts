import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnsembleRecord, predictionsBySource, saveEnsembleRecord, savePredictions } from './predictions.ts';
import { upsertModel } from './training-store.ts';
import { activeVersion, beginVersion, finishVersion, listVersions, promoteVersion, servingModelDir, setVersionEnsemble } from './versions.ts';
import { Workspace } from './workspace.ts';
import { modelDirOf } from './workspace-paths.ts';

function trainModel(ws: Workspace, id: string, weights: string): void {
  mkdirSync(modelDirOf(ws, id), { recursive: true });
  writeFileSync(path.join(modelDirOf(ws, id), 'weights.bin'), weights);
  upsertModel(ws, { id, stage: 'pooled-res', modelName: 'm', fold: 0, nFolds: 3, runId: null, featureSize: 8, metrics: {} });
}

/** A run's end: its ensemble and predictions under a new version. */
function finishRun(ws: Workspace, p: number, promote = false): string {
  const v = beginVersion(ws);
  setVersionEnsemble(ws, v, { tag: `fit-${p}` }, { safe: p });
  savePredictions(ws, [{ imageId: 'img1', source: 'safe', kind: 'ensemble', oof: true, probs: [p, p, p, p, p, p] }], true, v);
  finishVersion(ws, v, { preset: 'tiny', report: { baseline: 0.2, stages: [] }, fingerprint: { images: 1 }, promote });
  return v;
}

describe('model versions', () => {
  let dir: string;
  let ws: Workspace;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ich-versions-'));
    ws = Workspace.open(dir);
  });
  afterEach(() => {
    ws.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first version is active by itself; a later one is a candidate that changes nothing until promoted; promoting the old one rolls back', () => {
    trainModel(ws, 'pooled-res.m.k3.f0', 'one');
    const v1 = finishRun(ws, 0.1);
    expect(activeVersion(ws)?.version).toBe(v1);
    expect(predictionsBySource(ws, 'safe').get('img1')?.[0]).toBeCloseTo(0.1, 6);
    expect(loadEnsembleRecord(ws, 'current')?.fit).toEqual({ tag: 'fit-0.1' });
    expect(readFileSync(path.join(servingModelDir(ws, 'pooled-res.m.k3.f0'), 'weights.bin'), 'utf8')).toBe('one');

    // A new run retrains the working model (saveModel replaces the folder) and makes v2.
    rmSync(modelDirOf(ws, 'pooled-res.m.k3.f0'), { recursive: true });
    trainModel(ws, 'pooled-res.m.k3.f0', 'two');
    const v2 = finishRun(ws, 0.2);
    expect(listVersions(ws).map((v) => [v.version, v.status])).toEqual([[v2, 'candidate'], [v1, 'active']]);
    expect(predictionsBySource(ws, 'safe').get('img1')?.[0]).toBeCloseTo(0.1, 6);
    expect(loadEnsembleRecord(ws, 'current')?.fit).toEqual({ tag: 'fit-0.1' });
    expect(readFileSync(path.join(servingModelDir(ws, 'pooled-res.m.k3.f0'), 'weights.bin'), 'utf8')).toBe('one');

    expect(promoteVersion(ws, v2)).toEqual({ version: v2, previous: v1 });
    expect(listVersions(ws).map((v) => v.status)).toEqual(['active', 'archived']);
    expect(predictionsBySource(ws, 'safe').get('img1')?.[0]).toBeCloseTo(0.2, 6);
    expect(loadEnsembleRecord(ws, 'current')?.fit).toEqual({ tag: 'fit-0.2' });
    expect(readFileSync(path.join(servingModelDir(ws, 'pooled-res.m.k3.f0'), 'weights.bin'), 'utf8')).toBe('two');

    promoteVersion(ws, v1);
    expect(activeVersion(ws)?.version).toBe(v1);
    expect(predictionsBySource(ws, 'safe').get('img1')?.[0]).toBeCloseTo(0.1, 6);
    expect(readFileSync(path.join(servingModelDir(ws, 'pooled-res.m.k3.f0'), 'weights.bin'), 'utf8')).toBe('one');
    expect(() => promoteVersion(ws, 'v9')).toThrow(/no version v9 .*versions: v2, v1/);
  });

  it('predictions of the active version go to the live table and to the version; --promote makes a new version active at once', () => {
    trainModel(ws, 'pooled-res.m.k3.f0', 'one');
    const v1 = finishRun(ws, 0.1);
    savePredictions(ws, [{ imageId: 'img2', source: 'safe', kind: 'ensemble', oof: false, probs: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5] }]);
    const v2 = finishRun(ws, 0.3, true);
    expect(activeVersion(ws)?.version).toBe(v2);
    expect(predictionsBySource(ws, 'safe').has('img2')).toBe(false);
    promoteVersion(ws, v1);
    expect(predictionsBySource(ws, 'safe').get('img2')?.[0]).toBeCloseTo(0.5, 6);
  });

  it('a version killed while building is not listed and is cleared by the next run', () => {
    trainModel(ws, 'pooled-res.m.k3.f0', 'one');
    const stale = beginVersion(ws);
    expect(listVersions(ws)).toEqual([]);
    const v = finishRun(ws, 0.1);
    expect(stale).toBe('v1'); // the killed run's number is free again: it never made a version
    expect(listVersions(ws).map((x) => x.version)).toEqual([v]);
  });

  it('a workspace from before versions opens as one active version holding its models, ensemble and predictions', () => {
    trainModel(ws, 'pooled-res.m.k3.f0', 'legacy');
    saveEnsembleRecord(ws, 'current', { tag: 'legacy' }, {});
    savePredictions(ws, [{ imageId: 'img1', source: 'safe', kind: 'ensemble', oof: true, probs: [0.4, 0.4, 0.4, 0.4, 0.4, 0.4] }]);
    // Make it look like an index written before the versions migration.
    ws.db.exec('DELETE FROM versions; DELETE FROM version_predictions;');
    ws.close();
    ws = Workspace.open(dir);
    const v = activeVersion(ws)!;
    expect(v.version).toBe('v1');
    expect(v.models).toEqual(['pooled-res.m.k3.f0']);
    expect(existsSync(path.join(v.modelsDir, 'pooled-res.m.k3.f0', 'weights.bin'))).toBe(true);
    // A hard link, not a copy: a version costs no disk.
    expect(statSync(path.join(v.modelsDir, 'pooled-res.m.k3.f0', 'weights.bin')).ino).toBe(statSync(path.join(modelDirOf(ws, 'pooled-res.m.k3.f0'), 'weights.bin')).ino);
    const v2 = finishRun(ws, 0.2);
    promoteVersion(ws, v2);
    promoteVersion(ws, 'v1');
    expect(predictionsBySource(ws, 'safe').get('img1')?.[0]).toBeCloseTo(0.4, 6);
    expect(loadEnsembleRecord(ws, 'current')?.fit).toEqual({ tag: 'legacy' });
  });
});
