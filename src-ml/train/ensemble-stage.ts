/**
 * The ensemble stage (docs/seed-pipeline.md section 7): every full-head member family (a stage x base model, its
 * folds together) gives out-of-fold probabilities for the labelled images and fold-averaged
 * probabilities for the unlabelled ones; the safe and risky ensembles are fitted on the former and
 * applied to both, and everything (ensembles, bounded members, flags) is stored per slice.
 */
import { familyId, parseModelId } from '../base/model-id.ts';
import { applyEnsemble, buildEnsemble, type EnsembleFit, type EnsembleMember, type EnsemblePredictions } from '../ensemble/safe-risky.ts';
import { prevalenceBaseline, weightedLogLoss, type MetricResult } from '../metrics/log-loss.ts';
import { savePredictions, saveEnsembleRecord, type PredictionRow } from '../store/predictions.ts';
import { labeledImages, listModels, loadFolds, loadSampleWeights } from '../store/training-store.ts';
import { setVersionEnsemble } from '../store/versions.ts';
import type { Workspace } from '../store/workspace.ts';
import { modelDirOf } from './base-train.ts';
import { FULLHEAD_STAGES, readMemberOutputs, type FullheadStage } from './member-outputs.ts';
import type { FoldSpec } from './presets.ts';

export interface MemberFamily {
  /** e.g. 'shallow.tiny-se-resnext.k3' */
  name: string;
  stage: FullheadStage;
  /** imageId -> out-of-fold probabilities (labelled images). */
  oof: Map<string, Float32Array>;
  /** imageId -> probabilities averaged over the fold models (unlabelled images). */
  test: Map<string, Float32Array>;
  folds: number[];
}

/** Groups the trained full-head models of `folds` into families and joins their per-fold outputs. */
export async function loadMemberFamilies(ws: Workspace, folds: FoldSpec, stages: readonly FullheadStage[] = FULLHEAD_STAGES): Promise<MemberFamily[]> {
  const families = new Map<string, MemberFamily>();
  const testSums = new Map<string, Map<string, { sum: Float64Array; n: number }>>();
  for (const m of listModels(ws)) {
    if (!(stages as readonly string[]).includes(m.stage) || m.nFolds !== folds.k || m.fold === null) continue;
    const id = parseModelId(m.id);
    const name = id ? familyId(id.name, id.k) : m.id;
    let fam = families.get(name);
    if (!fam) {
      fam = { name, stage: m.stage as FullheadStage, oof: new Map(), test: new Map(), folds: [] };
      families.set(name, fam);
      testSums.set(name, new Map());
    }
    fam.folds.push(m.fold);
    const out = await readMemberOutputs(modelDirOf(ws, m.id));
    out.oofIds.forEach((id, i) => fam.oof.set(id, out.oofProbs.slice(i * 6, i * 6 + 6)));
    const sums = testSums.get(name)!;
    out.testIds.forEach((id, i) => {
      let s = sums.get(id);
      if (!s) sums.set(id, (s = { sum: new Float64Array(6), n: 0 }));
      for (let k = 0; k < 6; k++) s.sum[k]! += out.testProbs[i * 6 + k]!;
      s.n++;
    });
  }
  for (const [name, fam] of families) {
    for (const [id, s] of testSums.get(name)!) fam.test.set(id, Float32Array.from(s.sum, (v) => v / s.n));
  }
  return [...families.values()].sort((a, b) => a.name.localeCompare(b.name));
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

function stack(ids: readonly string[], map: Map<string, Float32Array>): Float32Array {
  const out = new Float32Array(ids.length * 6);
  ids.forEach((id, i) => out.set(map.get(id)!, i * 6));
  return out;
}

function rowsOf(ids: readonly string[], preds: EnsemblePredictions, oof: boolean): PredictionRow[] {
  const rows: PredictionRow[] = [];
  ids.forEach((imageId, i) => {
    const slice = (a: Float32Array): Float32Array => a.subarray(i * 6, i * 6 + 6);
    rows.push({ imageId, source: 'safe', kind: 'ensemble', oof, probs: slice(preds.safe.blended) });
    if (preds.risky) rows.push({ imageId, source: 'risky', kind: 'ensemble', oof, probs: slice(preds.risky.blended) });
    for (const m of preds.members) {
      rows.push({ imageId, source: m.name, kind: 'member', oof, probs: slice(m.bounded), bounded: (m.rule1[i]! ? 1 : 0) | (m.rule2[i]! ? 2 : 0) });
    }
  });
  return rows;
}

/**
 * `version`: the model version being built (store/versions.ts) that gets the fit and the predictions;
 * without one they go straight to the live tables (the active ensemble).
 */
export async function runEnsembleStage(ws: Workspace, folds: FoldSpec, log: (line: string) => void = () => {}, version?: string): Promise<EnsembleStageResult> {
  const families = await loadMemberFamilies(ws, folds);
  const groupOf = (f: MemberFamily): 'A' | 'B' => (f.stage === 'pooled-res' ? 'B' : 'A');
  if (!families.some((f) => groupOf(f) === 'A') || !families.some((f) => groupOf(f) === 'B')) {
    throw new Error(`the ensemble needs trained shallow-NN and Pooled-Res models for ${folds.k} folds (found: ${families.map((f) => f.name).join(', ') || 'none'})`);
  }
  for (const f of families) {
    if (f.folds.length !== folds.k) log(`warning: ${f.name} has ${f.folds.length} of ${folds.k} folds; its out-of-fold predictions cover part of the images`);
  }
  // Labelled images every member predicted out of fold.
  const labelled = labeledImages(ws).filter((im) => families.every((f) => f.oof.has(im.imageId)));
  if (labelled.length === 0) throw new Error('no labelled image has out-of-fold predictions from every member');
  const ids = labelled.map((im) => im.imageId);
  const labels = new Uint8Array(ids.length * 6);
  labelled.forEach((im, i) => labels.set(im.labels, i * 6));
  const foldOf = loadFolds(ws, folds.k, folds.seed);
  const foldArr = Int32Array.from(labelled, (im) => foldOf.get(im.patientId) ?? 0);
  const stored = loadSampleWeights(ws);
  const imageWeights = stored.size > 0 ? Float32Array.from(ids, (id) => stored.get(id) ?? 1) : undefined;

  // A member worse than predicting the prevalence never enters an ensemble.
  const baseline = prevalenceBaseline(labels).loss;
  const members: EnsembleMember[] = families.map((f) => {
    const probs = stack(ids, f.oof);
    const loss = weightedLogLoss(probs, labels).loss;
    const excluded = !(loss <= baseline);
    if (excluded) log(`ensemble: ${f.name} is left out: out of fold ${loss.toFixed(4)}, worse than the prevalence baseline ${baseline.toFixed(4)}`);
    return { name: f.name, group: groupOf(f), weighted: f.stage === 'shallow-weighted', probs, excluded };
  });
  const result = buildEnsemble({ members, labels, folds: foldArr, ...(imageWeights ? { imageWeights } : {}) });
  if (result.riskySkipped) log(`no risky ensemble: ${result.riskySkipped}`);

  // Unlabelled images that every member predicted.
  const testIds = [...(families[0]?.test.keys() ?? [])].filter((id) => families.every((f) => f.test.has(id))).sort();
  const testPreds = testIds.length > 0 ? applyEnsemble(result, new Map(families.map((f) => [f.name, stack(testIds, f.test)]))) : null;

  const fit: EnsembleFit = { labels: result.labels, members: result.members, safe: result.safe, risky: result.risky, ...(result.riskySkipped ? { riskySkipped: result.riskySkipped } : {}) };
  const safe = weightedLogLoss(result.oof.safe.blended, labels);
  const risky = result.oof.risky ? weightedLogLoss(result.oof.risky.blended, labels) : null;
  const memberMetrics = Object.fromEntries(members.map((m) => [m.name, weightedLogLoss(m.probs, labels).loss]));
  const n = savePredictions(ws, [...rowsOf(ids, result.oof, true), ...(testPreds ? rowsOf(testIds, testPreds, false) : [])], true, version);
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
