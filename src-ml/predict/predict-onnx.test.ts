// ich predict on ONNX Runtime against the same run on tfjs (ICH_INFERENCE=tfjs): the demo's trained tiny models
// (3 base CNN folds, Pooled-Res, shallow, shallow-weighted) on one of its studies, every member and both
// ensembles within 1e-4; the graphs are exported once and cached beside the version's models.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDemo } from '../demo/demo-bundle.ts';
import { initBackend } from '../nn/backend.ts';
import { listSeries } from '../store/queries.ts';
import { Workspace } from '../store/workspace.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { predictImages, type PredictResult } from './predict-images.ts';

const tmp = tempDir('ich-predict-onnx-');
let ws: Workspace;
let imageIds: string[];

beforeAll(async () => {
  await initBackend({ purpose: 'infer' }, { log: () => {} });
  installDemo(path.join(REPO_ROOT, 'assets', 'demo'), path.join(tmp.dir, 'ws'));
  ws = Workspace.open(path.join(tmp.dir, 'ws'));
  const series = listSeries(ws).filter((s) => s.modality === 'CT').sort((a, b) => a.instances.length - b.instances.length);
  imageIds = series[0]!.instances;
}, 60_000);

afterAll(() => {
  ws.close();
  tmp.cleanup();
});

async function predictOn(engine: 'onnx' | 'tfjs', log: string[]): Promise<PredictResult> {
  const before = process.env['ICH_INFERENCE'];
  process.env['ICH_INFERENCE'] = engine;
  try {
    return await predictImages({ ws, imageIds, copies: 3, passes: 2, store: false, log: (l) => log.push(l) });
  } finally {
    if (before === undefined) delete process.env['ICH_INFERENCE'];
    else process.env['ICH_INFERENCE'] = before;
  }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('ich predict on ONNX Runtime', () => {
  it('equals the tfjs predictions within 1e-4, member by member, and caches each graph beside its model', async () => {
    const logTf: string[] = [];
    const logOrt: string[] = [];
    const tf = await predictOn('tfjs', logTf);
    const ort = await predictOn('onnx', logOrt);
    expect(logOrt).toEqual([]); // no fallback line: every model ran on ONNX Runtime
    expect(ort.imageIds).toEqual(tf.imageIds);
    expect(ort.preds.members.map((m) => m.name)).toEqual(tf.preds.members.map((m) => m.name));
    expect(ort.preds.members.length).toBeGreaterThanOrEqual(2);
    ort.preds.members.forEach((m, i) => expect(maxDiff(m.bounded, tf.preds.members[i]!.bounded), m.name).toBeLessThan(1e-4));
    expect(maxDiff(ort.preds.safe.blended, tf.preds.safe.blended)).toBeLessThan(1e-4);
    if (tf.preds.risky) expect(maxDiff(ort.preds.risky!.blended, tf.preds.risky.blended)).toBeLessThan(1e-4);

    const versionModels = path.join(ws.dir, 'versions');
    const onnxFiles = readdirSync(versionModels, { recursive: true }).map(String).filter((f) => f.endsWith('.onnx'));
    // Every model the run used: 3 base folds and 3 folds of each of the 3 member families.
    expect(onnxFiles.length).toBe(3 + 3 * ort.preds.members.length);

    // A second run reads the cached graphs and gives the same numbers.
    const again = await predictOn('onnx', logOrt);
    expect(again.preds.safe.blended).toEqual(ort.preds.safe.blended);
    expect(logOrt).toEqual([]);
  }, 300_000);

  it('keeps the probability floor a full-head model records in its meta.json (none recorded: output unchanged)', async () => {
    const log: string[] = [];
    const plain = await predictOn('onnx', log);
    const versionModels = path.join(ws.dir, 'versions');
    const metas = readdirSync(versionModels, { recursive: true }).map(String)
      .filter((f) => /(^|[/\\])(pooled-res|shallow)[^/\\]*[/\\]meta\.json$/.test(f)).map((f) => path.join(versionModels, f));
    expect(metas.length).toBe(3 * plain.preds.members.length);
    const setFloor = (floor: unknown): void => {
      for (const file of metas) writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), probabilityFloor: floor }));
    };
    setFloor(0.2);
    const floored = await predictOn('onnx', log);
    expect(log).toEqual([]);
    floored.preds.members.forEach((m, i) => {
      for (const v of m.probs) expect(v >= Math.fround(0.2) && v <= Math.fround(0.8), m.name).toBe(true);
      expect(maxDiff(m.probs, plain.preds.members[i]!.probs), m.name).toBeGreaterThan(1e-3); // the floor bit
    });
    setFloor(0.7);
    await expect(predictOn('onnx', log)).rejects.toThrow(/meta.json probabilityFloor must be a number in \[0, 0.5\), got 0.7/);
    setFloor(null);
    const again = await predictOn('onnx', log);
    again.preds.members.forEach((m, i) => expect(m.probs).toEqual(plain.preds.members[i]!.probs));
  }, 300_000);
});
