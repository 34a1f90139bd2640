// Saliency maps from the demo bundle's trained base CNNs (tiny-se-resnext, 3 folds, 64 px) on a synthetic slice
// with an intraparenchymal bleed, cropped to a non-square image so the map's aspect and alignment are tested.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHuSlice } from '../dicom/read-hu.ts';
import { writeCtSlice } from '../dicom/write.ts';
import { buildBaseCnn } from '../models/base-cnn.ts';
import { BASE_ARCHS } from '../models/base-cnn-presets.ts';
import { initBackend } from '../nn/backend.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { disposeSaliencyNet, mapToImageGrid, saliencyMethodFor, saliencyNet } from './saliency.ts';
import { SaliencyMaps, type SaliencyVersion } from './saliency-maps.ts';

const DEMO = path.join(REPO_ROOT, 'assets/demo');
const MODELS_DIR = path.join(DEMO, 'workspace/models');
/** A demo slice whose synthetic-labels.csv row says intraparenchymal (with subarachnoid and subdural). */
const BLEED = 'ID_805e3e6b5';
const IPH = 1;
const SDH = 4;
/** The crop: rows 28..227 of the 256 x 256 slice (the head stays in), so the image is 256 wide, 200 high. */
const TOP = 28;
const ROWS = 200;

const tmp = tempDir('ich-saliency-');
const version: SaliencyVersion = { version: 'v1', models: readdirSync(MODELS_DIR).sort(), modelsDir: MODELS_DIR };
let ref: { imageId: string; path: string; frame: null };
let hu: Float32Array;
let columns: number;

beforeAll(async () => {
  await initBackend({ purpose: 'infer' }, { log: () => {} });
  const slice = await readHuSlice(path.join(DEMO, 'dicom/synthetic', `${BLEED}.dcm`));
  columns = slice.columns;
  hu = slice.hu.slice(TOP * columns, (TOP + ROWS) * columns);
  const file = path.join(tmp.dir, 'crop.dcm');
  writeFileSync(file, writeCtSlice({
    sopInstanceUid: '1.2.826.0.1.3680043.2.1125.77.4', patientId: 'P', patientName: 'Crop^Test',
    studyInstanceUid: '1.2.826.0.1.3680043.2.1125.77.1', studyId: '1', studyDate: '20260101', studyTime: '120000',
    seriesInstanceUid: '1.2.826.0.1.3680043.2.1125.77.2', seriesNumber: 1, frameOfReferenceUid: '1.2.826.0.1.3680043.2.1125.77.3',
    manufacturer: 'ICH test', instanceNumber: 1, imagePositionPatient: [0, 0, 0], imageOrientationPatient: [1, 0, 0, 0, 1, 0],
    pixelSpacing: [1, 1], sliceThickness: 5, kvp: 120, rows: ROWS, columns, bitsStored: 16, pixelRepresentation: 1,
    rescaleIntercept: -1024, rescaleSlope: 1, pixels: Int16Array.from(hu, (v) => Math.round(v) + 1024),
  }));
  ref = { imageId: 'crop', path: file, frame: null };
}, 60_000);

afterAll(() => tmp.cleanup());

const mean = (v: ArrayLike<number>, keep: (i: number) => boolean = () => true): number => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    if (!keep(i)) continue;
    s += v[i]!;
    n++;
  }
  return s / n;
};

describe('SaliencyMaps (SmoothGrad on the demo base CNNs)', () => {
  const maps = new SaliencyMaps({ initBackend: false });
  afterAll(() => maps.close());

  it('is a non-trivial 0..1 map with the image\'s aspect, highest on the bleed, different per label, cached, tensor count flat', async () => {
    const empty = tf.memory().numTensors;
    const t0 = performance.now();
    const iph = await maps.compute(version, ref, IPH);
    const first = performance.now() - t0;
    expect(iph.method).toBe('smoothgrad');
    expect(iph.models).toEqual(['tiny-se-resnext.k3.f0', 'tiny-se-resnext.k3.f1', 'tiny-se-resnext.k3.f2']);
    // 64 px model image of a 256-wide square: 64 x 50, the image's 256:200.
    expect([iph.width, iph.height]).toEqual([64, 50]);
    expect(iph.values.length).toBe(64 * 50);
    expect(Math.min(...iph.values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...iph.values)).toBeCloseTo(1, 6);
    const hot = iph.values.filter((v) => v > 0.5).length / iph.values.length;
    expect(hot).toBeGreaterThan(0.005);
    expect(hot).toBeLessThan(0.3);

    // The bleed (60-100 HU in the phantom, brain is 20-45) draws more attention than the rest of the head.
    const at = (i: number) => {
      const y = Math.floor(((Math.floor(i / iph.width) + 0.5) * ROWS) / iph.height);
      const x = Math.floor((((i % iph.width) + 0.5) * columns) / iph.width);
      return hu[y * columns + x]!;
    };
    const bleed = (i: number) => at(i) >= 60 && at(i) <= 100;
    const brain = (i: number) => at(i) > 0 && at(i) < 50;
    expect(iph.values.filter((_, i) => bleed(i)).length).toBeGreaterThan(10);
    process.stdout.write(`saliency means: bleed ${mean(iph.values, bleed).toFixed(3)}, rest of the brain ${mean(iph.values, brain).toFixed(3)}\n`);
    expect(mean(iph.values, bleed)).toBeGreaterThan(1.5 * mean(iph.values, brain));

    const sdh = await maps.compute(version, ref, SDH);
    expect([sdh.width, sdh.height]).toEqual([64, 50]);
    expect(mean(iph.values.map((v, i) => Math.abs(v - sdh.values[i]!)))).toBeGreaterThan(0.03);

    const again = await maps.compute(version, ref, IPH);
    expect(again.cached).toBe(true);
    expect(again.ms).toBe(0);
    expect([...again.values]).toEqual([...iph.values]);

    // Nets loaded: every further map, of any label or image, leaves the tensor count where it was.
    const tensors = tf.memory().numTensors;
    const times: number[] = [];
    for (const label of [0, 2, 3, 5]) {
      const r = await maps.compute(version, ref, label);
      times.push(r.ms);
      expect(tf.memory().numTensors).toBe(tensors);
    }
    // Another version of the same models: the old nets are freed, the new ones take their place.
    await maps.compute({ ...version, version: 'v2' }, ref, IPH);
    expect(tf.memory().numTensors).toBe(tensors);
    process.stdout.write(`saliency (smoothgrad, 3 nets, ${tf.getBackend()}): first call ${first.toFixed(0)} ms, then ${times.map((t) => t.toFixed(0)).join(' / ')} ms\n`);
    // Disposed, nothing of it is left.
    await maps.dispose();
    expect(tf.memory().numTensors).toBe(empty);
  });

  it('Grad-CAM (forced) gives a 0..1 map of the same shape, tensor count flat', async () => {
    const cam = new SaliencyMaps({ initBackend: false, method: 'grad-cam' });
    try {
      const r = await cam.compute(version, ref, IPH);
      expect(r.method).toBe('grad-cam');
      expect([r.width, r.height]).toEqual([64, 50]);
      expect(Math.max(...r.values)).toBeCloseTo(1, 6);
      const tensors = tf.memory().numTensors;
      await cam.compute(version, ref, SDH);
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      await cam.close();
    }
  });

  it('refuses a version without base CNNs', async () => {
    await expect(maps.compute({ version: 'v9', models: ['pooled-res.tiny-se-resnext.k3.f0'], modelsDir: MODELS_DIR }, ref, IPH)).rejects.toThrow(/no base CNN/);
  });
});

describe('saliencyMethodFor', () => {
  it('Grad-CAM when the last feature map is at least 7 on a side, SmoothGrad for the tiny 64 px nets (2 x 2)', () => {
    const small = saliencyNet('s', buildBaseCnn(BASE_ARCHS['tiny-se-resnext']!, 64, { seed: 1 }), 64);
    const large = saliencyNet('l', buildBaseCnn(BASE_ARCHS['tiny-se-resnext']!, 256, { seed: 1 }), 256);
    try {
      expect([small.featureSide, large.featureSide]).toEqual([2, 8]);
      expect(saliencyMethodFor([small])).toBe('smoothgrad');
      expect(saliencyMethodFor([large])).toBe('grad-cam');
      expect(saliencyMethodFor([small, large])).toBe('smoothgrad');
    } finally {
      disposeSaliencyNet(small);
      disposeSaliencyNet(large);
    }
  });
});

describe('mapToImageGrid', () => {
  it('samples each image pixel centre where the padded, resized model image has it', () => {
    // A map whose value is its own row coordinate: the output's row i must read the model row its centre falls on.
    const size = 64;
    const ramp = Float32Array.from({ length: size * size }, (_, i) => Math.floor(i / size));
    const rows = 100;
    const cols = 250;
    const g = mapToImageGrid(ramp, size, rows, cols);
    expect([g.width, g.height]).toEqual([64, 26]);
    const top = Math.floor((cols - rows) / 2);
    for (let i = 0; i < g.height; i++) {
      const imageRow = ((i + 0.5) * rows) / g.height - 0.5;
      expect(g.values[i * g.width + 7]).toBeCloseTo(((imageRow + top + 0.5) * size) / cols - 0.5, 4);
    }
  });

  it('keeps a square map of a square image as it is', () => {
    const map = Float32Array.from({ length: 16 * 16 }, (_, i) => (i * 37) % 11);
    expect([...mapToImageGrid(map, 16, 512, 512).values]).toEqual([...map]);
  });
});
