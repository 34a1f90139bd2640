// Where a base CNN starts (base-init.ts). The refusals as a user meets them (`ich train base` with the rsna preset
// and no weights, an imported body of another arch, --init with --from-scratch), the resolution rules, and an init
// round trip: a body in the format `ich weights import` writes (built here for the tiny arch, with weights no
// initializer would draw), `ich train base --init` for one epoch with the stem's learning rate at 0, and the
// model's first layer holds exactly the imported weights while the rest of the net has trained away from them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { BASE_ARCHS } from '../models/base-cnn-presets.ts';
import { initBackend } from '../nn/backend.ts';
import { loadModel, saveModel } from '../nn/model-io.ts';
import { Workspace } from '../store/workspace.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { BODY_WEIGHTS_KIND, buildBody, type BodyWeightsMeta } from '../weights/import.ts';
import { findImportedBody, resolveBaseInit } from './base-init.ts';
import { loadPreset, type BaseModelPreset, type Preset } from './presets.ts';
import { testPreset } from './test-preset.ts';

const ICH = path.join(REPO_ROOT, 'bin/ich.js');
const ich = (...args: string[]) => spawnSync(process.execPath, [ICH, ...args], { encoding: 'utf8', cwd: REPO_ROOT });

const ARCH = 'tiny-se-resnext';
const SCRATCH_LR = { wso: 5e-5, layer0: 1e-3, layer1: 1e-3, layer2: 1e-3, layer3: 1e-3, layer4: 1e-3, classifier: 2e-3 };

/** The tiny test preset as an rsna-like one: an ImageNet init from <workspace>/weights, the stem frozen (LR 0). */
function initPreset(): Preset {
  const p = testPreset({ epochs: 1 });
  const m = p.base[0]!;
  p.base[0] = { ...m, init: { weights: 'imagenet', dir: 'weights', fromScratch: { lr: SCRATCH_LR } }, optimizer: { ...m.optimizer, lr: { ...m.optimizer.lr, layer0: 0 } } };
  return p;
}

function bodyMeta(arch: string): BodyWeightsMeta {
  return {
    kind: BODY_WEIGHTS_KIND, version: 1, arch, family: BASE_ARCHS[ARCH]!.family, archSpec: BASE_ARCHS[ARCH]!, input: 'image', output: 'feature map',
    source: { file: '/test/made-here.pth', bytes: 0, sha256: 'ab'.repeat(32), format: 'torch-zip', nestedUnder: null, strippedPrefix: null },
    tensors: 0, values: 0, ignoredKeys: [], renamedKeys: 0, createdAt: new Date(0).toISOString(),
  };
}

/** Writes an imported-body folder for the tiny arch with seeded weights (not the initializers' draws); returns two kernels. */
async function writeBody(dir: string): Promise<{ stem: Float32Array; deep: Float32Array }> {
  const body = buildBody(BASE_ARCHS[ARCH]!);
  const rng = createRng('base-init.test body');
  for (const layer of body.layers) {
    if (layer.weights.length === 0) continue;
    layer.setWeights(layer.weights.map((w) => {
      const n = w.shape.reduce((a: number, d) => a * (d ?? 1), 1);
      const name = w.originalName;
      // positive variances, gammas near 1, everything else small
      const v = Float32Array.from({ length: n }, () => (/moving_variance$/.test(name) ? 0.5 + rng.next() : /gamma$/.test(name) ? 0.9 + 0.2 * rng.next() : 0.1 * (rng.next() - 0.5)));
      return tf.tensor(v, w.shape as number[]);
    }));
  }
  const kernel = (layer: string): Float32Array => Float32Array.from(body.getLayer(layer).getWeights()[0]!.dataSync() as Float32Array);
  const out = { stem: kernel('layer0_conv1'), deep: kernel('layer4_b0_conv1') };
  await saveModel(body, dir, bodyMeta(ARCH));
  body.dispose();
  return out;
}

describe('base CNN init', () => {
  const t = tempDir('ich-base-init-');
  let ws = '';
  const presetFile = path.join(t.dir, 'preset.json');
  const bodyDir = path.join(t.dir, 'imported', ARCH);
  const otherArch = path.join(t.dir, 'other-arch');
  let imported: { stem: Float32Array; deep: Float32Array };

  beforeAll(async () => {
    await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
    ws = await makeSynthWorkspace(t.dir, { studies: 4, seed: 11, size: 64 });
    writeFileSync(presetFile, JSON.stringify(initPreset()));
    imported = await writeBody(bodyDir);
    // An imported body of another arch: only its meta.json is read before it is refused.
    mkdirSync(otherArch, { recursive: true });
    writeFileSync(path.join(otherArch, 'meta.json'), JSON.stringify(bodyMeta('se_resnet101')));
  }, 120_000);
  afterAll(() => t.cleanup());

  it('rsna refuses to train from random init with its fine-tuning rates, naming --from-scratch; so does a preset like it', () => {
    const r = ich('train', 'base', '--workspace', ws, '--preset', 'rsna', '--model', 'se_resnext101_32x4d_5');
    expect(r.status).toBe(1);
    const line = r.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^ich: preset rsna model se_resnext101_32x4d_5 fine-tunes ImageNet weights .* holds none: import them \(ich weights import <checkpoint> --arch se_resnext101_32x4d --out .*weights\/se_resnext101_32x4d\), .*--from-scratch/);
    const p = ich('pipeline', '--workspace', ws, '--preset', 'rsna');
    expect(p.status).toBe(1);
    expect(p.stderr.trim()).toMatch(/^ich: preset rsna model se_resnext101_32x4d_5 fine-tunes ImageNet weights/);
    const tiny = ich('train', 'base', '--workspace', ws, '--preset', presetFile, '--fold', '0');
    expect(tiny.status).toBe(1);
    expect(tiny.stderr.trim()).toMatch(/^ich: preset tiny model tiny-se-resnext fine-tunes ImageNet weights/);
  });

  it('an imported body of another arch, or --init with --from-scratch, is refused with one line', () => {
    const r = ich('train', 'base', '--workspace', ws, '--preset', presetFile, '--fold', '0', '--init', otherArch);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`ich: ${otherArch} holds se_resnet101 weights, but model tiny-se-resnext is tiny-se-resnext: import the tiny-se-resnext checkpoint (ich weights import <checkpoint> --arch tiny-se-resnext --out ${path.join(otherArch, ARCH)})`);
    const both = ich('train', 'base', '--workspace', ws, '--preset', presetFile, '--init', bodyDir, '--from-scratch');
    expect(both.status).toBe(1);
    expect(both.stderr.trim()).toBe('ich: --init and --from-scratch exclude each other: give one');
    const none = ich('train', 'base', '--workspace', ws, '--preset', presetFile, '--init', path.join(t.dir, 'nothing-here'));
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toMatch(/^ich: --init .*nothing-here: no imported tiny-se-resnext weights/);
  });

  it('resolution: --init (one folder or a folder of arch folders), <workspace>/weights, --from-scratch rates, initFrom', () => {
    const w = Workspace.open(ws);
    try {
      const m = initPreset().base[0]!;
      expect(resolveBaseInit(w, 'p', m, { initDir: bodyDir }).init).toEqual({ kind: 'imported', dir: bodyDir, arch: ARCH, sha256: 'ab'.repeat(32), source: '/test/made-here.pth' });
      expect(resolveBaseInit(w, 'p', m, { initDir: path.dirname(bodyDir) }).init).toMatchObject({ kind: 'imported', dir: bodyDir });
      expect(findImportedBody(path.join(t.dir, 'nothing-here'), ARCH, m.name)).toBeNull();
      const scratch = resolveBaseInit(w, 'p', m, { fromScratch: true });
      expect(scratch.init).toEqual({ kind: 'random', rates: 'from-scratch' });
      expect(scratch.model.optimizer.lr).toEqual(SCRATCH_LR);
      expect(scratch.model.init).toEqual(m.init);
      // a model that starts from another model, or a preset without an ImageNet init (tiny): as before
      const staged: BaseModelPreset = { ...m, name: 'b', initFrom: m.name };
      delete staged.init;
      expect(resolveBaseInit(w, 'p', staged, {}).init).toEqual({ kind: 'model', from: m.name });
      const tiny = loadPreset('tiny').base[0]!;
      expect(resolveBaseInit(w, 'tiny', tiny, {})).toEqual({ model: tiny, init: { kind: 'random', rates: 'preset' } });
      expect(resolveBaseInit(w, 'tiny', tiny, { fromScratch: true }).model).toBe(tiny);
      // the preset's default folder: <workspace>/weights/<arch>
      const inWs = path.join(ws, 'weights', ARCH);
      mkdirSync(inWs, { recursive: true });
      writeFileSync(path.join(inWs, 'meta.json'), JSON.stringify(bodyMeta(ARCH)));
      expect(resolveBaseInit(w, 'p', m, {}).init).toMatchObject({ kind: 'imported', dir: inWs });
      const elsewhere: BaseModelPreset = { ...m, init: { ...m.init!, dir: path.join(t.dir, 'imported') } };
      expect(resolveBaseInit(w, 'p', elsewhere, {}).init).toMatchObject({ kind: 'imported', dir: bodyDir });
    } finally {
      w.close();
    }
  });

  it('ich train base --init: the first layer starts as the imported weights (stem LR 0: still them after an epoch); the rest trains', async () => {
    const r = ich('train', 'base', '--workspace', ws, '--preset', presetFile, '--fold', '0', '--init', bodyDir, '--no-progress');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`tiny-se-resnext fold 0: starts from the imported tiny-se-resnext body in ${bodyDir}`);
    const dir = path.join(ws, 'models', 'tiny-se-resnext.k2.f0');
    const { model, meta } = await loadModel<{ init: unknown }>(dir);
    try {
      expect(meta.init).toEqual({ kind: 'imported', dir: bodyDir, arch: ARCH, sha256: 'ab'.repeat(32), source: '/test/made-here.pth' });
      expect(Array.from(model.getLayer('layer0_conv1').getWeights()[0]!.dataSync())).toEqual(Array.from(imported.stem));
      // a layer with a learning rate trained away from its imported values, which it started from
      const deep = model.getLayer('layer4_b0_conv1').getWeights()[0]!.dataSync();
      let moved = 0;
      let near = 0;
      deep.forEach((v, i) => {
        const d = Math.abs(v - imported.deep[i]!);
        if (d > 0) moved++;
        if (d < 0.01) near++;
      });
      expect(moved).toBeGreaterThan(deep.length / 2);
      expect(near, 'a few Adam steps of at most 1e-3 each').toBe(deep.length);
    } finally {
      model.dispose();
    }
  }, 300_000);
});
