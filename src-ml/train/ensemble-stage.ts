/**
 * The ensemble stage (docs/seed-pipeline.md section 7): every full-head member family (a stage x base model, its
 * folds together) gives out-of-fold probabilities for the labelled images and fold-averaged
 * probabilities for the unlabelled ones; the safe and risky ensembles are fitted on the former and
 * applied to both, and everything (ensembles, bounded members, flags) is stored per slice.
 */
import { familyId, parseFamilyId, parseModelId } from '../base/model-id.ts';
import { applyEnsemble, buildEnsemble, type EnsembleFit, type EnsembleMember, type EnsemblePredictions } from '../ensemble/safe-risky.ts';
import { prevalenceBaseline, weightedLogLoss, type MetricResult } from '../metrics/log-loss.ts';
import { savePredictions, saveEnsembleRecord, type PredictionRow } from '../store/predictions.ts';
import { labelledImageTable, listModels, sampleWeightsByRow, type LabelledImageTable } from '../store/training-store.ts';
import { loadFoldsOf } from './ensure-folds.ts';
import { setVersionEnsemble } from '../store/versions.ts';
import type { Workspace } from '../store/workspace.ts';
import { modelDirOf } from './base-train.ts';
import { FULLHEAD_STAGES, readMemberOutputs, type FullheadStage } from './member-outputs.ts';
import type { FoldSpec } from './presets.ts';

/** Rows of the labelled images (labelledImageTable's order) and the unlabelled images the members predicted. */
export interface MemberFamilies {
  labelled: LabelledImageTable;
  /** Row of each labelled image id in `labelled`. */
  labelledRow: Map<string, number>;
  /** The images the members predicted as unlabelled (test outputs), in the order first seen: the test rows. */
  testIds: string[];
  families: MemberFamily[];
}

export interface MemberFamily {
  /** e.g. 'shallow.tiny-se-resnext.k3' */
  name: string;
  stage: FullheadStage;
  /** Out-of-fold probabilities by labelled row (N_labelled x 6); `hasOof` marks the rows a fold model predicted. */
  oof: Float32Array;
  hasOof: Uint8Array;
  /** Probabilities averaged over the fold models by test row (MemberFamilies.testIds x 6); `hasTest` marks the predicted rows. */
  test: Float32Array;
  hasTest: Uint8Array;
  folds: number[];
}

/** Per-row sums of six probabilities and their counts, growing with the rows (the test images, not known ahead). */
class RowSums {
  sum = new Float64Array(0);
  n = new Uint16Array(0);
  add(row: number, probs: Float32Array, i: number): void {
    if (row >= this.n.length) {
      const cap = Math.max(row + 1, 2 * this.n.length, 1024);
      const sum = new Float64Array(cap * 6);
      sum.set(this.sum);
      const n = new Uint16Array(cap);
      n.set(this.n);
      [this.sum, this.n] = [sum, n];
    }
    for (let k = 0; k < 6; k++) this.sum[row * 6 + k]! += probs[i * 6 + k]!;
    this.n[row]!++;
  }
}

/**
 * Groups the trained full-head models of `folds` (one fold scheme, or several: the rsna members train on 5 and on
 * 3 folds, pipeline.ts memberFoldSchemes) into families and joins their per-fold outputs, as arrays
 * by image row (no per-image objects: at the RSNA size 752,797 labelled and 121,232 unlabelled images).
 */
export async function loadMemberFamilies(ws: Workspace, folds: FoldSpec | readonly FoldSpec[], stages: readonly FullheadStage[] = FULLHEAD_STAGES): Promise<MemberFamilies> {
  const ks = new Set(('k' in folds ? [folds] : folds).map((f) => f.k));
  const labelled = labelledImageTable(ws);
  const labelledRow = new Map(labelled.ids.map((id, i) => [id, i]));
  const n = labelled.ids.length;
  const testRow = new Map<string, number>();
  const testIds: string[] = [];
  const families = new Map<string, MemberFamily>();
  const testSums = new Map<string, RowSums>();
  for (const m of listModels(ws)) {
    if (!(stages as readonly string[]).includes(m.stage) || m.nFolds === null || !ks.has(m.nFolds) || m.fold === null) continue;
    const id = parseModelId(m.id);
    const name = id ? familyId(id.name, id.k) : m.id;
    let fam = families.get(name);
    if (!fam) {
      fam = { name, stage: m.stage as FullheadStage, oof: new Float32Array(n * 6), hasOof: new Uint8Array(n), test: new Float32Array(0), hasTest: new Uint8Array(0), folds: [] };
      families.set(name, fam);
      testSums.set(name, new RowSums());
    }
    fam.folds.push(m.fold);
    const out = await readMemberOutputs(modelDirOf(ws, m.id));
    out.oofIds.forEach((imageId, i) => {
      const r = labelledRow.get(imageId);
      if (r === undefined) return; // not labelled (any more): no out-of-fold use
      fam.oof.set(out.oofProbs.subarray(i * 6, i * 6 + 6), r * 6);
      fam.hasOof[r] = 1;
    });
    const sums = testSums.get(name)!;
    out.testIds.forEach((imageId, i) => {
      let r = testRow.get(imageId);
      if (r === undefined) {
        r = testIds.push(imageId) - 1;
        testRow.set(imageId, r);
      }
      sums.add(r, out.testProbs, i);
    });
  }
  const t = testIds.length;
  for (const [name, fam] of families) {
    const s = testSums.get(name)!;
    fam.test = new Float32Array(t * 6);
    fam.hasTest = new Uint8Array(t);
    for (let r = 0; r < Math.min(t, s.n.length); r++) {
      const c = s.n[r]!;
      if (c === 0) continue;
      fam.hasTest[r] = 1;
      for (let k = 0; k < 6; k++) fam.test[r * 6 + k] = s.sum[r * 6 + k]! / c;
    }
  }
  return { labelled, labelledRow, testIds, families: [...families.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

export interface EnsembleStageResult {
  fit: EnsembleFit;
  members: string[];
  oofImages: number;
  testImages: number;
  safe: MetricResult;
  risky: MetricResult | null;
  /** Per member family: its own OOF metric on the ensemble's images. */
  memberMetrics: Record<string, number>;
  /** The labelled images of the fit and their out-of-fold ensemble probabilities (N x 6). */
  oofIds: string[];
  oofSafe: Float32Array;
  oofRisky: Float32Array | null;
}

/** Rows `rows` of a [*, 6] array, stacked. */
function stack(rows: Int32Array, probs: Float32Array): Float32Array {
  const out = new Float32Array(rows.length * 6);
  rows.forEach((r, i) => out.set(probs.subarray(r * 6, r * 6 + 6), i * 6));
  return out;
}

/** The prediction rows of images `ids` (one per ensemble and member), made as the store writes them. */
function* rowsOf(ids: readonly string[], preds: EnsemblePredictions, oof: boolean): Generator<PredictionRow> {
  for (let i = 0; i < ids.length; i++) {
    const imageId = ids[i]!;
    const slice = (a: Float32Array): Float32Array => a.subarray(i * 6, i * 6 + 6);
    yield { imageId, source: 'safe', kind: 'ensemble', oof, probs: slice(preds.safe.blended) };
    if (preds.risky) yield { imageId, source: 'risky', kind: 'ensemble', oof, probs: slice(preds.risky.blended) };
    for (const m of preds.members) {
      yield { imageId, source: m.name, kind: 'member', oof, probs: slice(m.bounded), bounded: (m.rule1[i]! ? 1 : 0) | (m.rule2[i]! ? 2 : 0) };
    }
  }
}

function* chain<T>(...parts: Iterable<T>[]): Generator<T> {
  for (const p of parts) yield* p;
}

/**
 * `version`: the model version being built (store/versions.ts) that gets the fit and the predictions;
 * without one they go straight to the live tables (the active ensemble). `folds`: the blend's folds;
 * `memberFolds`: the fold schemes whose members enter (default: `folds` alone).
 */
export async function runEnsembleStage(ws: Workspace, folds: FoldSpec, log: (line: string) => void = () => {}, version?: string, memberFolds: readonly FoldSpec[] = [folds]): Promise<EnsembleStageResult> {
  const { labelled, labelledRow, testIds: testSeen, families } = await loadMemberFamilies(ws, memberFolds);
  const groupOf = (f: MemberFamily): 'A' | 'B' => (f.stage === 'pooled-res' ? 'B' : 'A');
  if (!families.some((f) => groupOf(f) === 'A') || !families.some((f) => groupOf(f) === 'B')) {
    throw new Error(`the ensemble needs trained shallow-NN and Pooled-Res models for ${folds.k} folds (found: ${families.map((f) => f.name).join(', ') || 'none'})`);
  }
  for (const f of families) {
    const k = parseFamilyId(f.name)?.k ?? folds.k;
    if (f.folds.length !== k) log(`warning: ${f.name} has ${f.folds.length} of ${k} folds; its out-of-fold predictions cover part of the images`);
  }
  // Labelled images every member predicted out of fold (rows of the labelled table, in its order).
  const rows = Int32Array.from(labelled.ids.keys()).filter((r) => families.every((f) => f.hasOof[r] === 1));
  if (rows.length === 0) throw new Error('no labelled image has out-of-fold predictions from every member');
  const ids = Array.from(rows, (r) => labelled.ids[r]!);
  const labels = new Uint8Array(rows.length * 6);
  rows.forEach((r, i) => labels.set(labelled.labels.subarray(r * 6, r * 6 + 6), i * 6));
  const foldOf = loadFoldsOf(ws, folds);
  const foldArr = Int32Array.from(rows, (r) => foldOf.get(labelled.patients[labelled.patient[r]!]!) ?? 0);
  const stored = sampleWeightsByRow(ws, labelledRow, labelled.ids.length);
  const imageWeights = stored.stored > 0 ? Float32Array.from(rows, (r) => (Number.isNaN(stored.weights[r]!) ? 1 : stored.weights[r]!)) : undefined;

  // A member worse than predicting the prevalence never enters an ensemble.
  const baseline = prevalenceBaseline(labels).loss;
  const members: EnsembleMember[] = families.map((f) => {
    const probs = stack(rows, f.oof);
    const loss = weightedLogLoss(probs, labels).loss;
    const excluded = !(loss <= baseline);
    if (excluded) log(`ensemble: ${f.name} is left out: out of fold ${loss.toFixed(4)}, worse than the prevalence baseline ${baseline.toFixed(4)}`);
    return { name: f.name, group: groupOf(f), weighted: f.stage === 'shallow-weighted', probs, excluded };
  });
  const result = buildEnsemble({ members, labels, folds: foldArr, ...(imageWeights ? { imageWeights } : {}) });
  if (result.riskySkipped) log(`no risky ensemble: ${result.riskySkipped}`);

  // Unlabelled images that every member predicted, by image id.
  const testRows = Int32Array.from(testSeen.keys()).filter((r) => families.every((f) => f.hasTest[r] === 1))
    .sort((a, b) => (testSeen[a]! < testSeen[b]! ? -1 : testSeen[a]! > testSeen[b]! ? 1 : 0));
  const testIds = Array.from(testRows, (r) => testSeen[r]!);
  const testPreds = testIds.length > 0 ? applyEnsemble(result, new Map(families.map((f) => [f.name, stack(testRows, f.test)]))) : null;

  const fit: EnsembleFit = { labels: result.labels, members: result.members, safe: result.safe, risky: result.risky, ...(result.riskySkipped ? { riskySkipped: result.riskySkipped } : {}) };
  const safe = weightedLogLoss(result.oof.safe.blended, labels);
  const risky = result.oof.risky ? weightedLogLoss(result.oof.risky.blended, labels) : null;
  const memberMetrics = Object.fromEntries(members.map((m) => [m.name, weightedLogLoss(m.probs, labels).loss]));
  const n = savePredictions(ws, chain(rowsOf(ids, result.oof, true), testPreds ? rowsOf(testIds, testPreds, false) : []), true, version);
  const excluded = members.filter((m) => m.excluded).map((m) => m.name);
  for (const v of [result.safe, result.risky]) {
    if (v?.classSources?.some((src) => src !== 'blend')) log(`ensemble ${v.variant}: per class ${v.classSources.map((src, k) => `${result.labels[k]} ${src}`).join(', ')}`);
  }
  const metrics = { baseline, excluded, safe: safe.loss, risky: risky?.loss ?? null, perClass: { safe: safe.perClass, risky: risky?.perClass ?? null }, memberMetrics, oofImages: ids.length, testImages: testIds.length, predictionRows: n, folds };
  if (version) setVersionEnsemble(ws, version, fit, metrics);
  else saveEnsembleRecord(ws, 'current', fit, metrics);
  return {
    fit, members: families.map((f) => f.name), oofImages: ids.length, testImages: testIds.length, safe, risky, memberMetrics,
    oofIds: ids, oofSafe: result.oof.safe.blended, oofRisky: result.oof.risky?.blended ?? null,
  };
}
