/**
 * A workspace of the RSNA 2019 size for bench:scale, fabricated without DICOM files or a trained base CNN:
 * 752,797 labelled + 121,232 unlabelled images (times `scale`) in series of 20-60 slices (about 25,000 at
 * full size), their index rows (files, studies, series, instances with the seed's metadata columns, labels,
 * folds) written straight into index.sqlite, and one base model's TTA features on fold 0 (F = 256, 4 copies
 * per labelled image, 8 per unlabelled one) written as the feature stage writes them. Random but well-formed:
 * labels are consistent (any = OR of the subtypes, contiguous positive runs within a series), the metadata
 * comes from a few scanner profiles shared by both sets, and the features carry a label-dependent signal so
 * the stages have something to learn.
 *
 * The other folds' full-head members (out-of-fold and test probabilities, registered as models) are
 * fabricated too, so the ensembles see every labelled image out of fold as in a full run; only fold 0 is
 * trained by the bench.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { LABELS } from '../../src-shared/labels.ts';
import { familyId } from '../../src-ml/base/model-id.ts';
import { createRng } from '../../src-ml/base/random.ts';
import { writeFileAtomic } from '../../src-ml/base/atomic-write.ts';
import { writeNpyAtomic, writeNpyPartsAtomic } from '../../src-ml/store/npy.ts';
import { labelledImageTable, unlabeledImages, upsertFeatureSet, upsertModel } from '../../src-ml/store/training-store.ts';
import type { Workspace } from '../../src-ml/store/workspace.ts';
import { modelDirOf } from '../../src-ml/store/workspace-paths.ts';
import { ensureFolds } from '../../src-ml/train/ensure-folds.ts';
import { featureDirOf } from '../../src-ml/train/feature-stage.ts';
import { FULLHEAD_STAGES, fullheadModelId, writeMemberOutputs } from '../../src-ml/train/member-outputs.ts';
import type { FoldSpec } from '../../src-ml/train/presets.ts';

export const RSNA_LABELLED = 752_797;
export const RSNA_UNLABELLED = 121_232;
export const FEATURE_SIZE = 256;
export const TRAIN_COPIES = 4;
export const TEST_COPIES = 8;
const MIN_SLICES = 20;
const MAX_SLICES = 60;

export interface FabricateOptions {
  ws: Workspace;
  scale: number;
  baseName: string;
  folds: FoldSpec;
  seed?: number;
  log?: (line: string) => void;
}

export interface Fabricated {
  labelled: number;
  unlabelled: number;
  series: number;
  patients: number;
  featureDir: string;
  /** Bytes of the feature files written. */
  featureBytes: number;
}

/** A 32-bit bijection (so ids from distinct counters never collide). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

const hex8 = (x: number): string => x.toString(16).padStart(8, '0');
/** RSNA-style ids: ID_ and 9 hex digits, the first 8 a bijection of (kind, counter). */
const idOf = (kind: number, i: number): string => `ID_${hex8(mix32((kind << 28) ^ i))}${(mix32(i + 0x9e3779b9 * kind) & 15).toString(16)}`;

/** Series lengths 20..60 (mean about 35) adding up to exactly `total`. */
function seriesLengths(total: number, rng: ReturnType<typeof createRng>): number[] {
  const out: number[] = [];
  let left = total;
  while (left > 0) {
    let n = MIN_SLICES + Math.floor((MAX_SLICES - MIN_SLICES + 1) * rng.next() ** 1.73);
    if (left <= MAX_SLICES) n = left;
    else if (left - n < MIN_SLICES) n = left - MIN_SLICES;
    out.push(n);
    left -= n;
  }
  return out;
}

interface Profile {
  p: number;
  bits: number;
  prep: number;
  intercept: number;
  wc: [number, number | null];
  ww: [number, number | null];
  pxlMin: number;
  spacing: number;
}

/** Scanner settings of the seed's data (bit types, window values, pixel-minimum groups), shared by both sets. */
const PROFILES: Profile[] = [
  { p: 0.45, bits: 16, prep: 1, intercept: -1024, wc: [40, null], ww: [80, null], pxlMin: -3024, spacing: 0.488281 },
  { p: 0.25, bits: 12, prep: 0, intercept: -1024, wc: [36, 40], ww: [80, 80], pxlMin: -2000, spacing: 0.429688 },
  { p: 0.15, bits: 12, prep: 1, intercept: 0, wc: [30, null], ww: [80, null], pxlMin: -1024, spacing: 0.5 },
  { p: 0.15, bits: 16, prep: 1, intercept: -1024, wc: [50, null], ww: [150, null], pxlMin: -3024, spacing: 0.46875 },
];

function pickProfile(u: number): Profile {
  let acc = 0;
  for (const p of PROFILES) if (u < (acc += p.p)) return p;
  return PROFILES[PROFILES.length - 1]!;
}

/** Per-class series prevalence of each subtype among positive series (epidural rare, subdural common). */
const SUBTYPE_P = [0.05, 0.35, 0.25, 0.35, 0.45];

/** Latent labels of every image (the unlabelled ones' too): 6 per image at the image's row. */
interface Labels {
  row: Map<string, number>;
  y: Uint8Array;
}

const labelsOf = (labels: Labels, id: string): Uint8Array => {
  const r = labels.row.get(id)!;
  return labels.y.subarray(r * 6, r * 6 + 6);
};

/**
 * The index rows: one study and one series per series, 1-3 series per patient, every slice a file row and an
 * instance with geometry and metadata; labels for the labelled series. Returns the latent labels of every
 * image (the unlabelled ones' too, for the features' signal) by image id.
 */
function writeIndex(ws: Workspace, labelled: number, unlabelled: number, seed: number): { labels: Labels; series: number; patients: number } {
  const rng = createRng(`scale:${seed}`);
  const lengths = [...seriesLengths(labelled, rng).map((n) => ({ n, labelled: true })), ...seriesLengths(unlabelled, rng).map((n) => ({ n, labelled: false }))];
  const db = ws.db;
  const insFile = db.prepare("INSERT INTO files (path, size, mtime_ms, status, transfer_syntax, scanned_at) VALUES (?, 0, 0, 'ok', '1.2.840.10008.1.2.1', ?) RETURNING file_id");
  const insStudy = db.prepare("INSERT INTO studies (study_uid, patient_id, patient_name, study_date, study_description) VALUES (?, ?, '', '20190101', 'CT HEAD')");
  const insSeries = db.prepare("INSERT INTO series (series_uid, study_uid, modality, series_number, series_description, manufacturer) VALUES (?, ?, 'CT', 1, '', 'bench')");
  const insInstance = db.prepare(`INSERT INTO instances (image_id, file_id, frame, series_uid, study_uid, InstanceNumber, SliceThickness,
      SOPInstanceUID, Modality, PatientID, StudyInstanceUID, SeriesInstanceUID,
      ImagePositionPatient_0, ImagePositionPatient_1, ImagePositionPatient_2,
      ImageOrientationPatient_0, ImageOrientationPatient_1, ImageOrientationPatient_2, ImageOrientationPatient_3, ImageOrientationPatient_4, ImageOrientationPatient_5,
      SamplesPerPixel, PhotometricInterpretation, Rows, Columns, PixelSpacing_0, PixelSpacing_1, BitsAllocated, BitsStored, HighBit, PixelRepresentation,
      WindowCenter, WindowCenter_0, WindowCenter_1, WindowWidth, WindowWidth_0, WindowWidth_1, RescaleIntercept, RescaleSlope, PxlMin, PxlMax, PxlMean, PxlStd)
    VALUES (?, ?, NULL, ?, ?, ?, 5, ?, 'CT', ?, ?, ?, ?, ?, ?, 1, 0, 0, 0, ?, ?, 1, 'MONOCHROME2', 512, 512, ?, ?, 16, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`);
  const insLabel = db.prepare(`INSERT INTO labels (image_id, ${LABELS.map((l) => `"${l}"`).join(', ')}, excluded, source) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'bench')`);
  const labels: Labels = { row: new Map(), y: new Uint8Array((labelled + unlabelled) * 6) };
  const now = new Date().toISOString();
  let image = 0;
  let patient = 0;
  let patientId = '';
  ws.transaction(() => {
    lengths.forEach(({ n, labelled: isLabelled }, s) => {
      if (s === 0 || rng.next() < 0.87) patientId = idOf(3, patient++);
      const studyUid = `1.2.826.0.1.3680043.8.1.${s + 1}.1`;
      const seriesUid = idOf(2, s);
      insStudy.run(studyUid, patientId);
      insSeries.run(seriesUid, studyUid);
      const prof = pickProfile(rng.next());
      const tilted = rng.next() < 0.3;
      const iop4 = tilted ? 0.927184 + 5e-7 : 1;
      const iop5 = tilted ? -0.374607 : 0;
      const ipp1 = rng.next() < 0.7 ? -125 : Math.round(-150 + 50 * rng.next());
      const dz = [5, 5, 5, 4.5, 3, 2.5][rng.int(0, 5)]!;
      const z0 = Math.round(-150 + 100 * rng.next());
      // A positive series: a run of slices with bleeding, subtypes chosen for the series.
      const positive = rng.next() < 0.35;
      const runStart = rng.int(0, Math.floor(n / 2));
      const runEnd = Math.min(n, runStart + Math.max(1, Math.round(n * (0.3 + 0.4 * rng.next()))));
      const subtypes = SUBTYPE_P.map((p) => rng.next() < p);
      if (positive && !subtypes.some(Boolean)) subtypes[4] = true;
      for (let j = 0; j < n; j++) {
        const imageId = idOf(1, image++);
        const { file_id: fileId } = insFile.get(`/bench-scale/${seriesUid}/${imageId}.dcm`, now) as { file_id: number };
        labels.row.set(imageId, image - 1);
        const y = labels.y.subarray((image - 1) * 6, image * 6);
        if (positive && j >= runStart && j < runEnd) {
          subtypes.forEach((on, k) => (y[k] = on && rng.next() < 0.85 ? 1 : 0));
          if (!y.subarray(0, 5).some((v) => v === 1)) y[4] = 1;
          y[5] = 1;
        }
        const wcText = prof.wc[1] === null ? String(prof.wc[0]) : `[${prof.wc[0]}, ${prof.wc[1]}]`;
        const wwText = prof.ww[1] === null ? String(prof.ww[0]) : `[${prof.ww[0]}, ${prof.ww[1]}]`;
        insInstance.run(
          imageId, fileId, seriesUid, studyUid, j + 1, imageId, patientId, studyUid, seriesUid,
          -125, ipp1, z0 + j * dz, iop4, iop5, prof.spacing, prof.spacing, prof.bits, prof.bits - 1, prof.prep,
          wcText, prof.wc[0], prof.wc[1], wwText, prof.ww[0], prof.ww[1], prof.intercept,
          prof.pxlMin, 1500 + Math.round(1500 * rng.next()), -400 + 300 * rng.next(), 900 + 300 * rng.next(),
        );
        if (isLabelled) insLabel.run(imageId, ...y);
      }
    });
  });
  return { labels, series: lengths.length, patients: patient };
}

/** Uniform noise of unit variance, fast (xorshift32): the features' bulk. */
function noiseFiller(seed: number): (out: Float32Array, from: number, to: number) => void {
  let x = mix32(seed) || 1;
  return (out, from, to) => {
    for (let i = from; i < to; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = ((x >>> 0) * 2.3283064365386963e-10 - 0.5) * 3.4641016;
    }
  };
}

/** Writes `<split>.npy` and `<split>_logits.npy` of images `ids` (their latent labels give the signal). */
async function writeSplit(dir: string, name: 'train' | 'test', ids: readonly string[], labels: Labels, copies: number, seed: number): Promise<number> {
  const F = FEATURE_SIZE;
  const chunk = 2048;
  const fill = noiseFiller(seed);
  const parts = function* (logits: boolean): Generator<Float32Array> {
    const width = logits ? 6 : F;
    for (let at = 0; at < ids.length; at += chunk) {
      const n = Math.min(chunk, ids.length - at);
      const out = new Float32Array(n * copies * width);
      fill(out, 0, out.length);
      for (let i = 0; i < n; i++) {
        const y = labelsOf(labels, ids[at + i]!);
        for (let c = 0; c < copies; c++) {
          const row = (i * copies + c) * width;
          // Signal: the labels shift the first dimensions (features) or the logits.
          for (let k = 0; k < 6; k++) out[row + k]! += logits ? 4 * y[k]! - 3 : 1.5 * y[k]!;
        }
      }
      yield out;
    }
  };
  await writeNpyPartsAtomic(path.join(dir, `${name}.npy`), [ids.length * copies, F], parts(false));
  await writeNpyPartsAtomic(path.join(dir, `${name}_logits.npy`), [ids.length * copies, 6], parts(true));
  return ids.length * copies * (F + 6) * 4;
}

/** Probabilities around the labels (one member's out-of-fold or test output). */
function memberProbs(ids: readonly string[], labels: Labels, rng: ReturnType<typeof createRng>): Float32Array {
  const out = new Float32Array(ids.length * 6);
  ids.forEach((id, i) => {
    const y = labelsOf(labels, id);
    for (let k = 0; k < 6; k++) out[i * 6 + k] = 1 / (1 + Math.exp(-(-3.5 + 4 * y[k]! + 1.2 * rng.normal())));
  });
  return out;
}

export async function fabricateWorkspace(opts: FabricateOptions): Promise<Fabricated> {
  const { ws, scale, baseName, folds } = opts;
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? 2019;
  const nLabelled = Math.max(5 * MIN_SLICES, Math.round(RSNA_LABELLED * scale));
  const nUnlabelled = Math.max(MIN_SLICES, Math.round(RSNA_UNLABELLED * scale));
  let t0 = performance.now();
  const { labels, series, patients } = writeIndex(ws, nLabelled, nUnlabelled, seed);
  log(`index: ${nLabelled} labelled + ${nUnlabelled} unlabelled images, ${series} series, ${patients} patients (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  t0 = performance.now();
  const table = labelledImageTable(ws);
  const testIds = unlabeledImages(ws).map((im) => im.imageId);
  const foldOf = ensureFolds(ws, folds, table.patients);
  const dir = featureDirOf(ws, baseName, folds.k, 0);
  mkdirSync(dir, { recursive: true });
  let featureBytes = await writeSplit(dir, 'train', table.ids, labels, TRAIN_COPIES, seed + 1);
  featureBytes += await writeSplit(dir, 'test', testIds, labels, TEST_COPIES, seed + 2);
  const black = new Float32Array(FEATURE_SIZE);
  noiseFiller(seed + 3)(black, 0, FEATURE_SIZE);
  await writeNpyAtomic(path.join(dir, 'black.npy'), black, [1, FEATURE_SIZE]);
  const baseId = `${familyId(baseName, folds.k)}.f0`;
  await writeFileAtomic(path.join(dir, 'ids.json'), JSON.stringify({
    modelId: baseId, featureSize: FEATURE_SIZE, layout: 'image-major: rows copies*i .. copies*i+copies-1 are image i',
    train: { copies: TRAIN_COPIES, ids: table.ids }, test: { copies: TEST_COPIES, ids: testIds },
  }));
  upsertFeatureSet(ws, { modelId: baseId, dir, trainImages: table.ids.length, testImages: testIds.length, trainCopies: TRAIN_COPIES, testCopies: TEST_COPIES, featureSize: FEATURE_SIZE });
  log(`features: ${(featureBytes / 2 ** 30).toFixed(2)} GiB in ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  // The other folds' members: out-of-fold probabilities of their fold's labelled images, test probabilities of all unlabelled ones.
  t0 = performance.now();
  for (let fold = 1; fold < folds.k; fold++) {
    const oofIds = table.ids.filter((_, i) => foldOf.get(table.patients[table.patient[i]!]!) === fold);
    for (const stage of FULLHEAD_STAGES) {
      const id = fullheadModelId(stage, baseName, folds, fold);
      const rng = createRng(`scale-member:${id}`);
      mkdirSync(modelDirOf(ws, id), { recursive: true });
      await writeMemberOutputs(modelDirOf(ws, id), { oofIds, oofProbs: memberProbs(oofIds, labels, rng), testIds, testProbs: memberProbs(testIds, labels, rng) });
      upsertModel(ws, { id, stage, modelName: baseName, fold, nFolds: folds.k, runId: null, featureSize: FEATURE_SIZE, metrics: { fabricated: true } });
    }
  }
  log(`members of folds 1..${folds.k - 1} fabricated (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return { labelled: nLabelled, unlabelled: nUnlabelled, series, patients, featureDir: dir, featureBytes };
}
