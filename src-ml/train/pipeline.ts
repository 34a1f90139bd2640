/**
 * `ich pipeline`: the whole seed pipeline from a DICOM folder and a labels file to both ensembles:
 * scan, labels, folds, base CNNs (every model x fold), TTA features, Pooled-Res, sample weights, the
 * shallow NN, its weighted fine-tune, the ensembles, and a report of the out-of-fold metric per stage.
 * Every stage is resumable: a finished model is kept (its record in the index says so), a killed
 * base-CNN run continues from its last epoch checkpoint, a killed feature extraction from its last chunk;
 * the short full-head runs restart.
 */
import path from 'node:path';
import { writeFileAtomic } from '../base/atomic-write.ts';
import { familyId } from '../base/model-id.ts';
import { PIPELINE_STAGES, type PipelineStage, type TrainingEvent } from '../api/training.ts';
import { CancelledError } from '../jobs/progress.ts';
import { foldPrevalenceBaseline, prevalenceBaseline, weightedLogLoss } from '../metrics/log-loss.ts';
import { calibrationByLabel } from '../metrics/calibration.ts';
import { DEFAULT_FLAG_THRESHOLD } from '../../src-shared/engine.ts';
import type { ClassCalibration } from '../../src-shared/training.ts';
import { extractFeatures, featureDirOf } from './feature-stage.ts';
import { importLabels } from '../store/labels.ts';
import { LABELS } from '../../src-shared/labels.ts';
import { imageIdsOfFiles } from '../store/image-files.ts';
import { scanFolders } from '../store/scan.ts';
import { getModel, labelledImageTable, listRuns, unlabeledImages, type LabelledImageTable } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import { activeVersion, beginVersion, dataFingerprint, finishVersion } from '../store/versions.ts';
import { describeInit, resolveBaseInit, type BaseInit, type InitFlags } from './base-init.ts';
import { baseModelId, modelDirOf, trainBase, trainedOnCurrentData, type BaseRunConfig } from './base-train.ts';
import { loadMemberFamilies, runEnsembleStage, type EnsembleStageResult } from './ensemble-stage.ts';
import { fullheadModelId, readMemberOutputs } from './member-outputs.ts';
import { flooredBaseOof } from './oof.ts';
import { trainPooledRes } from './pooled-res-train.ts';
import { foldsOf, type BaseModelPreset, type FoldSpec, type Preset } from './presets.ts';
import { computeAndStoreSampleWeights, describeWeights } from './sample-weights-stage.ts';
import { countsByPatient, ensureFolds, loadFoldsOf } from './ensure-folds.ts';
import { checkDataFolder, checkLabelsMatch, checkTrainable, pipelineFoldCount } from './preflight.ts';
import { trainShallow } from './shallow-train.ts';
import { existsSync, readFileSync } from 'node:fs';
import { REPORT_STAGES } from '../../src-shared/stages.ts';

export interface StageReport {
  name: (typeof REPORT_STAGES)[number];
  oofMetric: number;
  perClass: Record<string, number>;
  n: number;
  models: string[];
  /** Out of fold worse than predicting the prevalence: such a stage never enters an ensemble. */
  worseThanBaseline?: boolean;
  /** The ensembles' out-of-fold calibration per label: sensitivity and specificity at the flag threshold, reliability bins. */
  calibration?: Record<string, ClassCalibration>;
}

export interface PipelineReport {
  baseline: number;
  /** The prevalence baseline per label (the bar each stage's perClass has to beat). */
  baselinePerClass?: Record<string, number>;
  /**
   * Predicting, for each image, the prevalence of the other folds' labelled images: the constant an out-of-fold
   * model could know (`baseline` uses every label, the image's own fold's included, so on small data with a rare
   * class in one fold it is a bar no out-of-fold model can reach).
   */
  baselineTrainingFolds?: number;
  baselineTrainingFoldsPerClass?: Record<string, number>;
  stages: StageReport[];
  preset: string;
  folds: FoldSpec;
  images: number;
  createdAt: string;
  /** The model version this run made (absent when it ran no ensembles). */
  version?: { id: string; status: string };
}

export interface PipelineOptions {
  ws: Workspace;
  preset: Preset;
  backend: string;
  dataDirs?: string[];
  /**
   * Unlabelled test folders (`--test`), scanned before everything else: their images get TTA features and
   * predictions, and they are the target the sample weights of the risky ensemble aim at (docs/seed-pipeline.md
   * section 5: the seed weighted toward the stage-2 test set).
   */
  testDirs?: string[];
  labelsCsv?: string;
  /** Where the base CNNs start (--init, --from-scratch): base-init.ts. */
  init?: InitFlags;
  /** Overrides the preset's folds (the --folds flag). */
  folds?: FoldSpec;
  /** Stages to run (default: all). A stage left out is not run; a later stage that needs its models fails, naming them. */
  stages?: readonly PipelineStage[];
  signal?: AbortSignal;
  onEvent?: (e: TrainingEvent) => void;
  log?: (line: string) => void;
  /** Make the run's version active when it finishes (`--promote`). */
  promote?: boolean;
}

/**
 * The fold schemes of the full-head members: every base model with features gets its Pooled-Res, shallow and
 * weighted shallow models on its own folds (rsna: the 5-fold SE-nets on 5, the 3-fold SE-nets and DenseNets on
 * 3, as the seed's), and all of them enter the ensembles; `override` (--folds) puts every model on one scheme.
 */
export function memberFoldSchemes(preset: Preset, override?: FoldSpec): FoldSpec[] {
  const out: FoldSpec[] = [];
  for (const m of preset.base) {
    if (!m.features) continue;
    const f = foldsOf(preset, m, override);
    if (!out.some((o) => o.k === f.k && o.seed === f.seed)) out.push(f);
  }
  return out;
}

function featuresCurrent(ws: Workspace, base: BaseModelPreset, folds: FoldSpec, fold: number): boolean {
  const idsFile = path.join(featureDirOf(ws, base.name, folds.k, fold), 'ids.json');
  if (!existsSync(idsFile)) return false;
  const ids = JSON.parse(readFileSync(idsFile, 'utf8')) as { train: { ids: string[] }; test: { ids: string[] } };
  const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  return same(ids.train.ids, labelledImageTable(ws).ids) && same(ids.test.ids, unlabeledImages(ws).map((im) => im.imageId));
}

/** A family's out-of-fold probabilities by row of the labelled-image table (`has` marks the predicted rows). */
type Family = { name: string; oof: Float32Array; hasOof: Uint8Array };
type StageProbs = { probs: Float32Array; has: Uint8Array };

/** The stage's out-of-fold probabilities: the mean of its member families', on the images all of them cover. */
function stageProbs(families: readonly Family[], n: number): StageProbs | undefined {
  if (families.length === 0) return undefined;
  const probs = new Float32Array(n * 6);
  const has = new Uint8Array(n);
  let any = false;
  for (let r = 0; r < n; r++) {
    if (!families.every((f) => f.hasOof[r] === 1)) continue;
    for (const f of families) {
      for (let k = 0; k < 6; k++) probs[r * 6 + k]! += f.oof[r * 6 + k]! / families.length;
    }
    has[r] = 1;
    any = true;
  }
  return any ? { probs, has } : undefined;
}

function stageReport(name: StageReport['name'], stage: StageProbs, rows: Int32Array, table: LabelledImageTable, models: string[]): StageReport {
  const p = new Float32Array(rows.length * 6);
  const y = new Uint8Array(rows.length * 6);
  rows.forEach((r, i) => {
    p.set(stage.probs.subarray(r * 6, r * 6 + 6), i * 6);
    y.set(table.labels.subarray(r * 6, r * 6 + 6), i * 6);
  });
  const m = weightedLogLoss(p, y);
  const calibration = name.startsWith('ensemble') ? { calibration: calibrationByLabel(p, y, DEFAULT_FLAG_THRESHOLD) } : {};
  return { name, oofMetric: m.loss, perClass: m.perClass, n: m.n, models, ...calibration };
}

async function baseFamilies(ws: Workspace, preset: Preset, rowOf: ReadonlyMap<string, number>, n: number, override?: FoldSpec): Promise<Family[]> {
  const out: Family[] = [];
  for (const m of preset.base) {
    if (!m.features) continue;
    const folds = foldsOf(preset, m, override);
    const oof = new Float32Array(n * 6);
    const hasOof = new Uint8Array(n);
    for (let f = 0; f < folds.k; f++) {
      const id = baseModelId(m.name, folds, f);
      if (!getModel(ws, id)) continue;
      const dir = modelDirOf(ws, id);
      const o = await readMemberOutputs(dir);
      const probs = flooredBaseOof(dir, o.oofProbs);
      o.oofIds.forEach((imageId, i) => {
        const r = rowOf.get(imageId);
        if (r === undefined) return;
        oof.set(probs.subarray(i * 6, i * 6 + 6), r * 6);
        hasOof[r] = 1;
      });
    }
    out.push({ name: familyId(`base.${m.name}`, folds.k), oof, hasOof });
  }
  return out;
}

/**
 * The out-of-fold metric of every stage, all on the same images: the labelled images that every stage
 * predicted out of fold (base CNN OOF covers only the images the base models were trained around; images
 * added later, as the seed's stage-2 data, have full-head OOF predictions only). Probabilities are held as
 * arrays by labelled-image row, not per-image objects.
 */
export async function buildReport(ws: Workspace, preset: Preset, folds: FoldSpec, ensemble?: EnsembleStageResult, override?: FoldSpec): Promise<PipelineReport> {
  const { labelled: table, labelledRow, families: fams } = await loadMemberFamilies(ws, memberFoldSchemes(preset, override));
  const n = table.ids.length;
  const stages: { name: StageReport['name']; probs: StageProbs; models: string[] }[] = [];
  const base = await baseFamilies(ws, preset, labelledRow, n, override);
  const add = (name: StageReport['name'], families: readonly Family[]): void => {
    const probs = stageProbs(families, n);
    if (probs) stages.push({ name, probs, models: families.map((f) => f.name) });
  };
  add('base', base);
  for (const stage of ['pooled-res', 'shallow', 'shallow-weighted'] as const) add(stage, fams.filter((f) => f.stage === stage));
  if (ensemble) {
    const byRow = (a: Float32Array): StageProbs => {
      const probs = new Float32Array(n * 6);
      const has = new Uint8Array(n);
      ensemble.oofIds.forEach((id, i) => {
        const r = labelledRow.get(id);
        if (r === undefined) return;
        probs.set(a.subarray(i * 6, i * 6 + 6), r * 6);
        has[r] = 1;
      });
      return { probs, has };
    };
    stages.push({ name: 'ensemble-safe', probs: byRow(ensemble.oofSafe), models: ensemble.fit.safe.kept });
    if (ensemble.oofRisky && ensemble.fit.risky) stages.push({ name: 'ensemble-risky', probs: byRow(ensemble.oofRisky), models: ensemble.fit.risky.kept });
  }
  const rows = Int32Array.from(table.ids.keys()).filter((r) => stages.every((s) => s.probs.has[r] === 1));
  const all = new Uint8Array(rows.length * 6);
  rows.forEach((r, i) => all.set(table.labels.subarray(r * 6, r * 6 + 6), i * 6));
  const prior = rows.length > 0 ? prevalenceBaseline(all) : null;
  const baseline = prior ? prior.loss : Number.NaN;
  const foldOfPatient = loadFoldsOf(ws, folds);
  const fold = Int32Array.from(rows, (r) => foldOfPatient.get(table.patients[table.patient[r]!]!) ?? -1);
  const outOfFold = rows.length > 0 ? foldPrevalenceBaseline(all, fold) : null;
  return {
    baseline,
    ...(prior ? { baselinePerClass: { ...prior.perClass } } : {}),
    ...(outOfFold ? { baselineTrainingFolds: outOfFold.loss, baselineTrainingFoldsPerClass: { ...outOfFold.perClass } } : {}),
    stages: rows.length > 0 ? stages.map((s) => {
      const r = stageReport(s.name, s.probs, rows, table, s.models);
      return { ...r, worseThanBaseline: !(r.oofMetric <= baseline) };
    }) : [],
    preset: preset.name, folds, images: rows.length, createdAt: new Date().toISOString(),
  };
}

/**
 * Ends the version a run's ensemble stage wrote to: its models, report and data fingerprint recorded, active
 * (the workspace's first, or `promote`) or a candidate; the report names it.
 */
export function finishRunVersion(ws: Workspace, version: string, preset: Preset, folds: FoldSpec, report: PipelineReport, promote: boolean, log: (line: string) => void): void {
  const v = finishVersion(ws, version, {
    preset: preset.name, report, promote,
    fingerprint: dataFingerprint(ws, folds, { name: preset.name, version: preset.version, json: JSON.stringify(preset) }),
  });
  report.version = { id: v.version, status: v.status };
  log(`version ${v.version}: ${v.status}${v.status === 'candidate' ? ` (the active version is ${activeVersion(ws)?.version}; ich models promote ${v.version} makes it active)` : ''}`);
}

export async function writeReport(ws: Workspace, report: PipelineReport): Promise<string> {
  const file = path.join(ws.dir, 'report.json');
  await writeFileAtomic(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

/** Whether the trained model `id` started where a run now would (its meta.json's init; none recorded counts as random init with the preset's rates). */
function startedAsNow(ws: Workspace, id: string, init: BaseInit): boolean {
  let was: BaseInit | undefined;
  try {
    was = (JSON.parse(readFileSync(path.join(modelDirOf(ws, id), 'meta.json'), 'utf8')) as { init?: BaseInit }).init;
  } catch {
    return false;
  }
  const before = was ?? { kind: 'random', rates: 'preset' };
  if (before.kind !== init.kind) return false;
  if (before.kind === 'imported' && init.kind === 'imported') return before.sha256 === init.sha256;
  if (before.kind === 'random' && init.kind === 'random') return before.rates === init.rates;
  return true;
}

/** A resumable run of this model x fold: the newest failed or cancelled one with the same settings. */
function resumableRun(ws: Workspace, m: BaseModelPreset, folds: FoldSpec, fold: number): string | undefined {
  const runs = listRuns(ws).filter((r) => {
    if (r.stage !== 'base' || r.modelName !== m.name || r.fold !== fold || r.nFolds !== folds.k) return false;
    if (r.status !== 'failed' && r.status !== 'cancelled') return false;
    const cfg = r.config as unknown as BaseRunConfig;
    return JSON.stringify(cfg.model) === JSON.stringify(m) && cfg.folds.seed === folds.seed && !!cfg.folds.stratify === !!folds.stratify;
  });
  return runs.at(-1)?.id;
}

export async function runPipeline(opts: PipelineOptions): Promise<PipelineReport> {
  const { ws, preset, backend, signal } = opts;
  const log = opts.log ?? (() => {});
  const emit = opts.onEvent ?? (() => {});
  const check = (): void => {
    if (signal?.aborted) throw new CancelledError('pipeline');
  };
  for (const d of [...(opts.testDirs ?? []), ...(opts.dataDirs ?? [])]) checkDataFolder(d);
  // Where each base CNN starts, checked before anything is scanned or trained (an rsna model without
  // weights refuses here, unless --from-scratch).
  const starts = new Map(preset.base.map((m) => [m.name, resolveBaseInit(ws, preset.name, m, opts.init)]));
  let testImages: string[] = [];
  if (opts.testDirs?.length) {
    // The test images first: unlabelled, they are the sample weights' target and get predictions.
    log(`test: ${opts.testDirs.join(', ')}`);
    const s = await scanFolders(ws, { roots: opts.testDirs, ...(signal ? { signal } : {}) });
    testImages = imageIdsOfFiles(ws, s.files);
    log(`test: ${s.indexed} indexed, ${s.unchanged} unchanged, ${s.problems} problems; ${testImages.length} images`);
  }
  if (opts.dataDirs?.length) {
    log(`scan: ${opts.dataDirs.join(', ')}`);
    const s = await scanFolders(ws, { roots: opts.dataDirs, ...(signal ? { signal } : {}) });
    log(`scan: ${s.indexed} indexed, ${s.unchanged} unchanged, ${s.problems} problems`);
  }
  if (opts.labelsCsv) {
    checkLabelsMatch(ws, opts.labelsCsv);
    const r = await importLabels(ws, opts.labelsCsv, signal);
    log(`labels: ${r.images} images${r.errors.length ? `, ${r.errors.length} rejected (first: ${r.errors[0]})` : ''}`);
  }
  if (opts.testDirs?.length) {
    const unlabelled = new Set(unlabeledImages(ws).map((im) => im.imageId));
    const labelled = testImages.filter((id) => !unlabelled.has(id)).length;
    log(`test: ${testImages.length - labelled} unlabelled images, the sample weights' target${labelled ? `; ${labelled} of the test images have labels and train as labelled images` : ''}`);
  }
  checkTrainable(ws, pipelineFoldCount(preset, opts.folds));
  const baseModels = preset.base.filter((m) => m.features);
  if (baseModels.length === 0) throw new Error(`preset ${preset.name} has no base model with a features section`);
  const folds = opts.folds ?? foldsOf(preset, baseModels[0]!);
  const selected = new Set<PipelineStage>(opts.stages ?? PIPELINE_STAGES);
  /** Runs one stage's units (skipping it when not selected), with its start and end events. */
  const stage = async (name: PipelineStage, units: { id: string; done: boolean; run: () => Promise<void> }[]): Promise<void> => {
    let done = units.filter((u) => u.done).length;
    if (!selected.has(name)) {
      emit({ type: 'stage', stage: name, status: 'skipped', units: units.length, done });
      return;
    }
    emit({ type: 'stage', stage: name, status: 'started', units: units.length, done });
    for (const u of units) {
      check();
      if (u.done) continue;
      await u.run();
      emit({ type: 'stage', stage: name, status: 'running', units: units.length, done: ++done });
    }
    emit({ type: 'stage', stage: name, status: 'done', units: units.length, done: units.length });
  };
  /** A stage that was left out must have left its models behind for the next one. */
  const requireModels = (ids: string[], by: PipelineStage): void => {
    const missing = ids.filter((id) => !getModel(ws, id));
    if (missing.length) throw new Error(`stage ${by} needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not trained: include its stage`);
  };
  const retrainedBase = new Set<string>();
  await stage('base', preset.base.flatMap((presetModel) => {
    const mf = foldsOf(preset, presetModel, opts.folds);
    // The model as it trains (--from-scratch swaps in its from-scratch rates) and where it starts.
    const { model: m, init } = starts.get(presetModel.name)!;
    return Array.from({ length: mf.k }, (_, fold) => {
      const id = baseModelId(m.name, mf, fold);
      const trained = !!getModel(ws, id);
      // A model trained on other images or labels (the workspace's data changed), or from another start
      // (random init, now imported weights), is trained again.
      const current = trained && trainedOnCurrentData(ws, id, mf, fold);
      const done = current && startedAsNow(ws, id, init);
      if (done) log(`base ${id}: trained`);
      else if (current) log(`base ${id}: trained from another start (now: ${describeInit(init)}); training it again`);
      else if (trained) log(`base ${id}: trained on other data; training it again`);
      return {
        id, done, run: async () => {
          retrainedBase.add(m.name);
          const resume = resumableRun(ws, m, mf, fold);
          log(`base ${id}: ${resume ? `resuming ${resume}` : 'training'}`);
          await trainBase({ ws, preset, model: m, init, fold, folds: mf, backend, ...(signal ? { signal } : {}), onEvent: emit }, resume);
        },
      };
    });
  }));
  // Patients added after the base CNNs were trained (the seed's stage-2 data) get their folds now:
  // their own seeded KFold, existing patients keep theirs.
  {
    const table = labelledImageTable(ws);
    ensureFolds(ws, folds, countsByPatient(table.ids.length, (i) => table.patients[table.patient[i]!]!, table.labels, LABELS.length));
  }
  const refreshed = new Set<string>();
  if (selected.has('features')) requireModels(baseModels.flatMap((m) => Array.from({ length: foldsOf(preset, m, opts.folds).k }, (_, f) => baseModelId(m.name, foldsOf(preset, m, opts.folds), f))), 'features');
  await stage('features', baseModels.flatMap((m) => {
    const mf = foldsOf(preset, m, opts.folds);
    return Array.from({ length: mf.k }, (_, fold) => ({
      id: baseModelId(m.name, mf, fold), done: featuresCurrent(ws, m, mf, fold) && !retrainedBase.has(m.name), run: async () => {
        log(`features ${baseModelId(m.name, mf, fold)}`);
        await extractFeatures({ ws, modelId: baseModelId(m.name, mf, fold), ...(signal ? { signal } : {}), onEvent: emit });
        refreshed.add(m.name);
      },
    }));
  }));
  // Full-head stages: every base model with features, each on its own folds (the seed's members: the 5-fold
  // SE-nets on 5 folds, the 3-fold SE-nets and DenseNets on 3); all of them enter the ensembles.
  const heads = baseModels.map((m) => ({ m, mf: foldsOf(preset, m, opts.folds) }));
  const needs = (id: string, base: BaseModelPreset): boolean => !getModel(ws, id) || refreshed.has(base.name);
  type HeadRun = (m: BaseModelPreset, fold: number, mf: FoldSpec) => Promise<void>;
  const headUnits = (kind: 'pooled-res' | 'shallow' | 'shallow-weighted', run: HeadRun, redo?: (m: BaseModelPreset, fold: number) => boolean) =>
    heads.flatMap(({ m, mf }) => Array.from({ length: mf.k }, (_, fold) => {
      const id = fullheadModelId(kind, m.name, mf, fold);
      return { id, done: !needs(id, m) && !(redo?.(m, fold) ?? false), run: async () => {
        log(`${kind} ${id}`);
        await run(m, fold, mf);
      } };
    }));
  const eachFold = <T>(f: (m: BaseModelPreset, mf: FoldSpec, fold: number) => T): T[] => heads.flatMap(({ m, mf }) => Array.from({ length: mf.k }, (_, fold) => f(m, mf, fold)));
  const featureIds = (): string[] => eachFold((m, mf, f) => baseModelId(m.name, mf, f));
  if (selected.has('pooled-res')) requireModels(featureIds(), 'pooled-res');
  await stage('pooled-res', headUnits('pooled-res', (m, fold, mf) => trainPooledRes({ ws, preset, base: m, fold, folds: mf, backend, ...(signal ? { signal } : {}), onEvent: emit }).then(() => {})));
  if (selected.has('shallow')) requireModels(featureIds(), 'shallow');
  await stage('shallow', headUnits('shallow', async (m, fold, mf) => {
    await trainShallow({ ws, preset, base: m, fold, folds: mf, backend, weighted: false, ...(signal ? { signal } : {}), onEvent: emit });
    refreshed.add(`shallow:${m.name}:${fold}`);
  }));
  if (selected.has('shallow-weighted')) {
    // The weighted fine-tune starts from the shallow model and weighs toward the Pooled-Res estimate of the target.
    requireModels(eachFold((m, mf, f) => [fullheadModelId('shallow', m.name, mf, f), fullheadModelId('pooled-res', m.name, mf, f)]).flat(), 'shallow-weighted');
    check();
    const weights = await computeAndStoreSampleWeights(ws, folds);
    log(describeWeights(weights));
  }
  // Redo a fine-tune whenever its shallow model was redone.
  await stage('shallow-weighted', headUnits('shallow-weighted', (m, fold, mf) => trainShallow({ ws, preset, base: m, fold, folds: mf, backend, weighted: true, ...(signal ? { signal } : {}), onEvent: emit }).then(() => {}),
    (m, fold) => refreshed.has(`shallow:${m.name}:${fold}`)));
  check();
  let ensemble: EnsembleStageResult | undefined;
  let version: string | undefined;
  if (selected.has('ensembles')) {
    emit({ type: 'stage', stage: 'ensembles', status: 'started', units: 1, done: 0 });
    // The run's ensembles, report and models become a new model version (a candidate once one is active).
    version = beginVersion(ws);
    ensemble = await runEnsembleStage(ws, folds, log, version, memberFoldSchemes(preset, opts.folds));
    emit({ type: 'stage', stage: 'ensembles', status: 'done', units: 1, done: 1 });
  } else {
    emit({ type: 'stage', stage: 'ensembles', status: 'skipped', units: 1, done: 0 });
  }
  const report = await buildReport(ws, preset, folds, ensemble, opts.folds);
  if (version) finishRunVersion(ws, version, preset, folds, report, opts.promote ?? false, log);
  await writeReport(ws, report);
  return report;
}

export function formatReport(r: PipelineReport): string {
  const rows = [['stage', 'OOF metric', 'vs baseline', 'images'], ['baseline (prevalence)', r.baseline.toFixed(4), '', String(r.images)]];
  if (r.baselineTrainingFolds !== undefined) rows.push(["baseline (training folds' prevalence)", r.baselineTrainingFolds.toFixed(4), '', String(r.images)]);
  for (const s of r.stages) {
    const gain = 100 * (1 - s.oofMetric / r.baseline);
    rows.push([s.name, s.oofMetric.toFixed(4), gain >= 0 ? `${gain.toFixed(1)}% better` : `${(-gain).toFixed(1)}% WORSE than the baseline`, String(s.n)]);
  }
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(w[c]!)).join('  ')).join('\n');
}
