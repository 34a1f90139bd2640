// `ich weights import` + `forward` against PyTorch itself (Debian python3-torch / python3-torchvision):
// testing/make_checkpoints.py builds each backbone (SE-nets from testing/reference_senet.py, Cadene's key
// names; DenseNets from torchvision) with randomised batch-norm statistics, saves it in one of the forms
// people download or write (nested under state_dict with DataParallel's module. prefix, under model with
// torchvision's old DenseNet names, bare, .safetensors in float32 and float16), and writes x and the body's
// output y in eval mode. The engine must reproduce y to 1e-4 of its largest magnitude. Damaged checkpoints,
// foreign pickle globals and the wrong --arch each get one line, and nothing is executed or written.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../nn/backend.ts';
import { readNpy } from '../store/npy.ts';
import { hasPythonModules, REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import * as tf from '@tensorflow/tfjs';
import { buildBaseCnn } from '../models/base-cnn.ts';
import { importArch } from './archs.ts';
import { copyBodyWeights, forwardNchw, loadBody } from './forward.ts';
import { importWeights } from './import.ts';

const HAS_TORCH = hasPythonModules('torch', 'torchvision', 'numpy');
const ICH = path.join(REPO_ROOT, 'bin/ich.js');
const MAKE = path.join(REPO_ROOT, 'src-ml/weights/testing/make_checkpoints.py');
const TOL = 1e-4;

interface Case {
  name: string;
  arch: string;
  form: string;
  size?: number;
  batch?: number;
  seed?: number;
  dtype?: string;
  marker?: string;
}

/** max |a - b| / max |b|, and the L2 ratio, over two arrays of the same length. */
function relErr(a: Float32Array, b: Float32Array): { maxRel: number; l2Rel: number } {
  let maxDiff = 0;
  let maxRef = 0;
  let d2 = 0;
  let r2 = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    maxDiff = Math.max(maxDiff, d);
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
    d2 += d * d;
    r2 += b[i]! * b[i]!;
  }
  return { maxRel: maxDiff / maxRef, l2Rel: Math.sqrt(d2 / r2) };
}

describe.skipIf(!HAS_TORCH)('weights import parity with PyTorch (needs /usr/bin/python3 with torch, torchvision and numpy)', () => {
  const t = tempDir('ich-weights-');
  const f = (name: string) => path.join(t.dir, name);
  const marker = f('PWNED');
  const cases: Case[] = [
    { name: 'sx50', arch: 'se_resnext50_32x4d', form: 'nested-module', size: 64, batch: 2, seed: 1 },
    { name: 'sr50', arch: 'se_resnet50', form: 'safetensors', size: 96, batch: 2, seed: 2, dtype: 'float16' },
    { name: 'd121', arch: 'densenet121', form: 'model-old-names', size: 64, batch: 2, seed: 3 },
    { name: 'd121s', arch: 'densenet121', form: 'safetensors', size: 80, batch: 2, seed: 4 },
    { name: 'd121b', arch: 'densenet121', form: 'bare', size: 48, batch: 1, seed: 5 },
    { name: 'ns', arch: 'densenet121', form: 'namespace', size: 32, batch: 1, seed: 6 },
    { name: 'evil', arch: '', form: 'foreign-global', marker },
  ];

  beforeAll(async () => {
    await initBackend({ purpose: 'infer' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
    writeFileSync(f('spec.json'), JSON.stringify(cases));
    const r = spawnSync('/usr/bin/python3', [MAKE, f('spec.json'), t.dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_checkpoints.py failed: ${r.stderr}`);
  }, 120_000);
  afterAll(() => t.cleanup());

  async function parity(name: string, outDir: string): Promise<{ maxRel: number; l2Rel: number }> {
    const x = await readNpy(f(`${name}.x.npy`));
    const y = await readNpy(f(`${name}.y.npy`));
    const body = await loadBody(outDir);
    try {
      const { parts, shape } = await forwardNchw(body, x.data as Float32Array, x.shape, 2);
      expect(shape).toEqual(y.shape);
      const got = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        got.set(p, at);
        at += p.length;
      }
      return relErr(got, y.data as Float32Array);
    } finally {
      body.model.dispose();
    }
  }

  it('se_resnext50_32x4d, {state_dict: {module.*}} .pth, through the CLI: the feature map matches torch to 1e-4', async () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', ICH, ...args], { encoding: 'utf8', cwd: REPO_ROOT });
    const imp = run('weights', 'import', f('sx50.pth'), '--arch', 'se_resnext50_32x4d', '--out', f('sx50.w'), '--json');
    expect(imp.status, imp.stderr).toBe(0);
    const summary = JSON.parse(imp.stdout) as { tensors: number; values: number; source: { nestedUnder: string; strippedPrefix: string; format: string }; ignoredKeys: string[] };
    expect(summary.source).toMatchObject({ format: 'torch-zip', nestedUnder: 'state_dict', strippedPrefix: 'module.' });
    // Cadene se_resnext50_32x4d: 27,559,896 parameters - last_linear 2,049,000 + BN running mean/var 68,224.
    expect(summary.values).toBe(27_559_896 - 2_049_000 + 68_224);
    expect(summary.ignoredKeys).toContain('last_linear.weight');
    expect(summary.ignoredKeys.filter((k) => k.endsWith('num_batches_tracked'))).toHaveLength(53);

    const fwd = run('weights', 'forward', f('sx50.w'), '--input', f('sx50.x.npy'), '--out', f('sx50.out.npy'));
    expect(fwd.status, fwd.stderr).toBe(0);
    const got = await readNpy(f('sx50.out.npy'));
    const want = await readNpy(f('sx50.y.npy'));
    expect(got.shape).toEqual([2, 2048, 2, 2]);
    const err = relErr(got.data as Float32Array, want.data as Float32Array);
    console.log(`parity se_resnext50_32x4d 64px (CLI): max rel ${err.maxRel.toExponential(2)}, L2 rel ${err.l2Rel.toExponential(2)}`);
    expect(err.maxRel).toBeLessThan(TOL);

    // an input whose stem output is odd is refused (torch's ceil_mode pool would give another size)
    const body = await loadBody(f('sx50.w'));
    await expect(forwardNchw(body, new Float32Array(3 * 66 * 66), [1, 3, 66, 66])).rejects.toThrow(/input H = 66 gives an odd stem output \(33\)/);
    body.model.dispose();
  });

  it.each([
    ['sr50', 'se_resnet50', 'safetensors', 'float16 .safetensors, 96 px'],
    ['d121', 'densenet121', 'pth', "{model: ...} with torchvision's old names (norm.1), 64 px"],
    ['d121s', 'densenet121', 'safetensors', 'float32 .safetensors, 80 px'],
    ['d121b', 'densenet121', 'pth', 'bare state_dict .pth, 48 px'],
  ])('%s (%s, %s): matches torch to 1e-4', async (name, arch, ext, what) => {
    const { meta } = await importWeights(f(`${name}.${ext}`), arch, f(`${name}.w`));
    // torchvision densenet121: 7,978,856 parameters - classifier 1,025,000 + BN running mean/var 83,648;
    // Cadene se_resnet50: 28,088,024 - last_linear 2,049,000 + 53,120.
    expect(meta.values).toBe(arch === 'densenet121' ? 7_978_856 - 1_025_000 + 83_648 : 28_088_024 - 2_049_000 + 53_120);
    // the old names: 58 dense layers x (norm1: 5 keys, conv1, norm2: 5, conv2) renamed as torchvision does
    if (name === 'd121') expect(meta).toMatchObject({ renamedKeys: 58 * 12, source: { nestedUnder: 'model', strippedPrefix: null } });
    const err = await parity(name, f(`${name}.w`));
    console.log(`parity ${arch} ${what}: max rel ${err.maxRel.toExponential(2)}, L2 rel ${err.l2Rel.toExponential(2)}`);
    expect(err.maxRel).toBeLessThan(TOL);
  });

  it('copyBodyWeights puts an imported body into a base CNN of the same arch, layer by layer', async () => {
    const body = await loadBody(f('d121b.w'));
    const cnn = buildBaseCnn(importArch('densenet121'), 64);
    try {
      // every body weight: 121 batch norms (norm0, 2 per dense layer, 3 transitions, norm5) x 4 + 120 convs
      expect(copyBodyWeights(body.model, cnn.trainModel)).toBe(121 * 4 + 120);
      const a = body.model.getLayer('denseblock3_l7_conv2').getWeights()[0]!;
      const b = cnn.trainModel.getLayer('denseblock3_l7_conv2').getWeights()[0]!;
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    } finally {
      body.model.dispose();
      cnn.trainModel.dispose();
    }
  });

  async function oneLineFailure(p: Promise<unknown>): Promise<string> {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }

  it('a pickle that calls os.system is refused with one line through the CLI, and nothing runs', () => {
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', ICH, 'weights', 'import', f('evil.pth'), '--arch', 'densenet121', '--out', f('evil.w')],
      { encoding: 'utf8', cwd: REPO_ROOT });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`ich: ${f('evil.pth')}: refused pickle global posix.system (only the records of a state_dict are accepted); nothing was executed`]);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(f('evil.w'))).toBe(false);
  });

  it('an argparse.Namespace next to the state dict is refused by name', async () => {
    expect(await oneLineFailure(importWeights(f('ns.pth'), 'densenet121', f('ns.w')))).toMatch(/ns\.pth: refused pickle global argparse\.Namespace/);
  });

  it('truncated and bit-flipped checkpoints: one line naming the file and the reason, nothing written', async () => {
    const bytes = readFileSync(f('d121.pth'));
    writeFileSync(f('trunc.pth'), bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    expect(await oneLineFailure(importWeights(f('trunc.pth'), 'densenet121', f('trunc.w'))))
      .toMatch(new RegExp(`^${f('trunc.pth')}: no zip end-of-central-directory record \\(the file is truncated`));
    copyFileSync(f('d121.pth'), f('flip.pth'));
    const flipped = readFileSync(f('flip.pth'));
    flipped[Math.floor(flipped.length / 2)]! ^= 0x40;
    writeFileSync(f('flip.pth'), flipped);
    expect(await oneLineFailure(importWeights(f('flip.pth'), 'densenet121', f('flip.w'))))
      .toMatch(new RegExp(`^${f('flip.pth')}: entry d121/data/\\d+: CRC-32 mismatch .*corrupted`));
    const st = readFileSync(f('d121s.safetensors'));
    writeFileSync(f('trunc.safetensors'), st.subarray(0, st.length - 1000));
    expect(await oneLineFailure(importWeights(f('trunc.safetensors'), 'densenet121', f('truncst.w')))).toMatch(/trunc\.safetensors: tensor .* lies past the end .*truncated/);
    for (const w of ['trunc.w', 'flip.w', 'truncst.w']) expect(existsSync(f(w))).toBe(false);
  });

  it('the wrong --arch: one line naming the missing and the mis-shaped keys', async () => {
    const asResnet = await oneLineFailure(importWeights(f('sx50.pth'), 'se_resnet50', f('x.w')));
    expect(asResnet).toMatch(/sx50\.pth does not fit --arch se_resnet50: \d+ mis-shaped keys \(layer1\.0\.conv1\.weight 128x64x1x1 \(expected 64x64x1x1\)/);
    const as169 = await oneLineFailure(importWeights(f('d121b.pth'), 'densenet169', f('x.w')));
    expect(as169).toMatch(/does not fit --arch densenet169: 240 missing keys \(features\.denseblock3\.denselayer25\.norm1\.weight, .* and 234 more\); \d+ mis-shaped keys/);
    const asSe = await oneLineFailure(importWeights(f('d121b.pth'), 'se_resnet50', f('x.w')));
    expect(asSe).toMatch(/missing keys \(layer0\.conv1\.weight.*unexpected keys \(features\.conv0\.weight/);
    expect(existsSync(f('x.w'))).toBe(false);
  });
});
