// getSaliency through the engine service on the installed demo (its active version v1 and base CNNs), and its
// refusals: no active version, an image not in the workspace, a label that is not one of the six.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callEngine } from '../api/engine.ts';
import { installDemo } from '../demo/demo-bundle.ts';
import { initBackend } from '../nn/backend.ts';
import { Workspace } from '../store/workspace.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { EngineService } from './engine-service.ts';

const tmp = tempDir('ich-engine-saliency-');
let ws: Workspace;
let svc: EngineService;

beforeAll(async () => {
  await initBackend({ purpose: 'infer' }, { log: () => {} });
  installDemo(path.join(REPO_ROOT, 'assets/demo'), path.join(tmp.dir, 'demo'));
  ws = Workspace.open(path.join(tmp.dir, 'demo'));
  svc = new EngineService(ws, { dicomUrl: (id) => `/dicom/${id}`, predictAfterScan: false });
}, 60_000);

afterAll(async () => {
  await svc?.close();
  ws?.close();
  tmp.cleanup();
});

describe('EngineService.getSaliency', () => {
  it('maps a demo slice with the active version\'s base CNNs, then answers from its cache', async () => {
    const r = await svc.getSaliency({ imageId: 'ID_805e3e6b5', label: 'intraparenchymal' });
    expect(r).toMatchObject({
      imageId: 'ID_805e3e6b5', label: 'intraparenchymal', version: 'v1', method: 'smoothgrad', width: 64, height: 64, cached: false,
      models: ['tiny-se-resnext.k3.f0', 'tiny-se-resnext.k3.f1', 'tiny-se-resnext.k3.f2'],
    });
    expect(r.values).toHaveLength(64 * 64);
    expect(r.values.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Math.max(...r.values)).toBe(1);
    expect(r.ms).toBeGreaterThan(0);
    // Through the table's validator and dispatch, as every transport calls it: the same map, cached.
    const again = await callEngine(svc, 'getSaliency', { imageId: 'ID_805e3e6b5', label: 'intraparenchymal' }) as typeof r;
    expect(again).toEqual({ ...r, ms: 0, cached: true });
    const other = await svc.getSaliency({ imageId: 'ID_805e3e6b5', label: 'subdural' });
    expect(other.values).not.toEqual(r.values);
  });

  it('refuses an unknown image, a label outside the six, unknown fields', async () => {
    await expect(svc.getSaliency({ imageId: 'ID_nothere', label: 'any' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(callEngine(svc, 'getSaliency', { imageId: 'ID_805e3e6b5', label: 'bleed' })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/label must be one of epidural/) });
    await expect(callEngine(svc, 'getSaliency', { imageId: 'ID_805e3e6b5' })).rejects.toMatchObject({ code: 'invalid' });
    await expect(callEngine(svc, 'getSaliency', { imageId: 'ID_805e3e6b5', label: 'any', method: 'x' })).rejects.toMatchObject({ code: 'invalid' });
  });

  it('says there is no model version on a workspace without one', async () => {
    const empty = Workspace.open(path.join(tmp.dir, 'empty'));
    const bare = new EngineService(empty, { dicomUrl: (id) => `/dicom/${id}` });
    try {
      await expect(bare.getSaliency({ imageId: 'ID_805e3e6b5', label: 'any' })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/no active model version/) });
    } finally {
      await bare.close();
      empty.close();
    }
  });
});
