// The demo bundle's portability and the model transfer, on a hand-made bundle (the full `ich demo build`
// runs in src-ml/cli/pipeline-cli.test.ts on a trained workspace).
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanFolders } from '../store/scan.ts';
import { getModel, upsertModel } from '../store/training-store.ts';
import { modelDirOf } from '../store/workspace-paths.ts';
import { Workspace } from '../store/workspace.ts';
import { makeGeDemoBundle } from '../testing/demo-bundle-fixture.ts';
import { tempDir } from '../testing/fixtures.ts';
import { DEMO_ROOT_TOKEN, installDemo } from './demo-bundle.ts';
import { copyTrainedModels } from './model-transfer.ts';

describe('demo bundle', () => {
  const t = tempDir('ich-demo-');
  afterAll(() => t.cleanup());

  /** A bundle: 5 GE slices indexed, one prediction row per image, paths tokenized. */
  const makeBundle = () => makeGeDemoBundle(path.join(t.dir, 'bundle'), { slices: 5, anyProb: 0.3 });

  it('stores portable paths and installs into a new folder whose index points at the copies', async () => {
    const { bundle, images } = await makeBundle();
    expect(images.length).toBe(5);
    const src = Workspace.open(path.join(bundle, 'workspace'));
    const paths = (src.db.prepare('SELECT path FROM files').all() as { path: string }[]).map((r) => r.path);
    src.close();
    expect(paths.every((p) => p.startsWith(`${DEMO_ROOT_TOKEN}/head-ct-ge/`))).toBe(true);

    // a git checkout gives the bundle's files new mtimes
    const later = new Date(Date.now() + 60_000);
    for (const f of readdirSync(path.join(bundle, 'dicom', 'head-ct-ge'))) utimesSync(path.join(bundle, 'dicom', 'head-ct-ge', f), later, later);

    const dest = path.join(t.dir, 'installed');
    const m = installDemo(bundle, dest);
    expect(m.images).toBe(5);
    expect(readdirSync(t.dir).filter((n) => n.includes('.installing-'))).toEqual([]);
    const ws = Workspace.open(dest);
    try {
      const rows = ws.db.prepare('SELECT path FROM files ORDER BY path').all() as { path: string }[];
      expect(rows.length).toBe(5);
      for (const r of rows) {
        expect(r.path.startsWith(path.join(dest, 'dicom', 'head-ct-ge') + path.sep)).toBe(true);
        expect(existsSync(r.path)).toBe(true);
      }
      // the installed index sees its files as unchanged, and the predictions are there
      const rescan = await scanFolders(ws, { roots: [path.join(dest, 'dicom')] });
      expect(rescan).toMatchObject({ indexed: 0, unchanged: 5, removed: 0, problems: 0 });
      expect((ws.db.prepare("SELECT COUNT(*) AS n FROM predictions WHERE source = 'safe'").get() as { n: number }).n).toBe(5);
    } finally {
      ws.close();
    }
    // never over an existing workspace, never into a non-empty folder
    expect(() => installDemo(bundle, dest)).toThrow(/already a workspace/);
    const busy = path.join(t.dir, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'x'), 'x');
    expect(() => installDemo(bundle, busy)).toThrow(/not empty/);
    expect(() => installDemo(path.join(t.dir, 'nowhere'), path.join(t.dir, 'n2'))).toThrow(/not a demo bundle/);
  });

  it('copies model records, folders, runs and ensembles between workspaces', () => {
    const a = Workspace.open(path.join(t.dir, 'wa'));
    const b = Workspace.open(path.join(t.dir, 'wb'));
    try {
      expect(() => copyTrainedModels(a, b)).toThrow(/no trained models/);
      a.db.prepare(`INSERT INTO runs (run_id, stage, preset, model_name, fold, n_folds, status, config_json, started_at, updated_at)
        VALUES ('r1', 'base', 'tiny', 'm', 0, 3, 'done', '{}', 'x', 'x')`).run();
      upsertModel(a, { id: 'm.k3.f0', stage: 'base', modelName: 'm', fold: 0, nFolds: 3, runId: 'r1', featureSize: 8, metrics: { valMetric: 0.1 } });
      mkdirSync(modelDirOf(a, 'm.k3.f0'), { recursive: true });
      writeFileSync(path.join(modelDirOf(a, 'm.k3.f0'), 'weights.bin'), 'w');
      writeFileSync(path.join(modelDirOf(a, 'm.k3.f0'), 'oof_probs.npy'), 'o');
      a.db.prepare("INSERT INTO ensembles (name, fit_json, metrics_json, created_at) VALUES ('current', '{}', '{}', 'x')").run();
      const r = copyTrainedModels(a, b, { skipFiles: /^oof_/ });
      // The copied ensemble is a model version of the receiving workspace: its first, so active.
      expect(r).toEqual({ models: ['m.k3.f0'], runs: 1, ensembles: ['current'], version: { id: 'v1', status: 'active' } });
      expect(getModel(b, 'm.k3.f0')?.metrics).toEqual({ valMetric: 0.1 });
      expect(readdirSync(modelDirOf(b, 'm.k3.f0'))).toEqual(['weights.bin']);
      // a model whose folder is gone is an error that names it, and nothing is registered
      upsertModel(a, { id: 'gone.k3.f0', stage: 'base', modelName: 'gone', fold: 0, nFolds: 3, runId: null, featureSize: 8, metrics: {} });
      const c = Workspace.open(path.join(t.dir, 'wc'));
      expect(() => copyTrainedModels(a, c)).toThrow(/gone\.k3\.f0/);
      expect(getModel(c, 'm.k3.f0')).toBeUndefined();
      c.close();
    } finally {
      a.close();
      b.close();
    }
  });
});
