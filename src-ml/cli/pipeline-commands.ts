// `ich train fullhead|shallow`, `ich ensemble`, `ich predict`, `ich pipeline`: thin wrappers over
// src-ml/train and src-ml/predict with progress output, --events JSON lines and Ctrl-C cancellation.
import { PIPELINE_STAGES, type PipelineStage } from '../api/training.ts';
import { writeSubmissionCsv } from '../metrics/submission-csv.ts';
import { initBackend } from '../nn/backend.ts';
import { predictImages } from '../predict/predict-images.ts';
import { scanFolders } from '../store/scan.ts';
import { defaultWorkspaceDir, Workspace } from '../store/workspace.ts';
import { runEnsembleStage } from '../train/ensemble-stage.ts';
import { beginVersion } from '../store/versions.ts';
import { imagesToPredict } from '../store/predictions.ts';
import { imageIdsOfFiles } from '../store/image-files.ts';
import { resolveBaseInit } from '../train/base-init.ts';
import { buildReport, finishRunVersion, formatReport, memberFoldSchemes, runPipeline, writeReport } from '../train/pipeline.ts';
import { trainPooledRes } from '../train/pooled-res-train.ts';
import { foldsOf, loadPreset, type FoldSpec, type Preset } from '../train/presets.ts';
import { computeAndStoreSampleWeights, describeWeights } from '../train/sample-weights-stage.ts';
import { trainShallow } from '../train/shallow-train.ts';
import { DEFAULT_FOLD_SEEDS } from '../data/folds.ts';
import { abortOnSigint, positiveInt } from './cli-helpers.ts';
import { eventSink } from './train-commands.ts';

interface StageFlags {
  workspace?: string;
  preset: string;
  folds?: string;
  fold?: string;
  weighted?: boolean;
  events?: boolean;
  progress: boolean;
}

function foldSpec(preset: Preset, flag?: string): FoldSpec {
  if (!flag) return foldsOf(preset, preset.base.find((m) => m.features) ?? preset.base[0]!);
  const k = positiveInt(flag, '--folds');
  return { ...preset.folds, k, seed: DEFAULT_FOLD_SEEDS[k as 3 | 5] ?? preset.folds.seed };
}

function foldList(folds: FoldSpec, flag?: string): number[] {
  if (flag === undefined) return Array.from({ length: folds.k }, (_, i) => i);
  const f = Number(flag);
  if (!(Number.isInteger(f) && f >= 0 && f < folds.k)) throw new Error(`--fold must be 0..${folds.k - 1}, got "${flag}"`);
  return [f];
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export async function trainFullheadCommand(kind: 'fullhead' | 'shallow', flags: StageFlags): Promise<void> {
  const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
  const { signal, dispose } = abortOnSigint();
  const sink = eventSink(flags, `train ${kind}`);
  try {
    const preset = loadPreset(flags.preset);
    const folds = foldSpec(preset, flags.folds);
    if (flags.fold !== undefined && !Number.isInteger(Number(flags.fold))) foldList(folds, flags.fold); // one line for a bad --fold
    // Every base model with features on its own folds (as ich pipeline trains them), or those on --folds K.
    const heads = preset.base.filter((m) => m.features && (!flags.folds || foldsOf(preset, m).k === folds.k))
      .map((m) => ({ base: m, folds: flags.folds ? folds : foldsOf(preset, m) }))
      // --fold f: the heads whose scheme has a fold f (rsna's --fold 4: the 5-fold ones)
      .filter((h, _i, all) => flags.fold === undefined || Number(flags.fold) < h.folds.k || all.every((o) => Number(flags.fold) >= o.folds.k))
      .map((h) => ({ ...h, fl: foldList(h.folds, flags.fold) }));
    if (heads.length === 0) throw new Error(`preset ${preset.name} has no base model with features on ${folds.k} folds`);
    const backend = await initBackend({ purpose: 'train' }, { log });
    if (kind === 'shallow' && flags.weighted) {
      const r = await computeAndStoreSampleWeights(ws, folds);
      log(describeWeights(r));
    }
    for (const { base, folds, fl } of heads) {
      for (const fold of fl) {
        const common = { ws, preset, base, fold, folds, backend, signal, onEvent: sink.onEvent };
        const r = kind === 'fullhead' ? await trainPooledRes(common) : await trainShallow({ ...common, weighted: !!flags.weighted });
        sink.stop();
        process.stdout.write(`${JSON.stringify({ modelId: r.modelId, runId: r.runId, valMetric: r.metrics.valMetric, oofMetric: r.metrics.oofMetric })}\n`);
      }
    }
  } finally {
    sink.stop();
    dispose();
    ws.close();
  }
}

export async function ensembleCommand(flags: { workspace?: string; preset: string; folds?: string; json?: boolean }): Promise<void> {
  const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
  try {
    const preset = loadPreset(flags.preset);
    const folds = foldSpec(preset, flags.folds);
    // Refitted ensembles are a new model version, as a pipeline run's are.
    const version = beginVersion(ws);
    // The members of every fold scheme the preset's feature models use (or only --folds K's).
    const override = flags.folds ? folds : undefined;
    const r = await runEnsembleStage(ws, folds, log, version, memberFoldSchemes(preset, override));
    const report = await buildReport(ws, preset, folds, r, override);
    finishRunVersion(ws, version, preset, folds, report, false, log);
    await writeReport(ws, report);
    const summary = {
      members: r.members, oofImages: r.oofImages, testImages: r.testImages, safe: r.safe.loss, risky: r.risky?.loss ?? null,
      kept: { safe: r.fit.safe.kept, risky: r.fit.risky?.kept ?? null },
      weights: { safe: r.fit.safe.fit.classes.map((c) => ({ label: c.label, weights: c.mean })), risky: r.fit.risky?.fit.classes.map((c) => ({ label: c.label, weights: c.mean })) ?? null },
    };
    process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${formatReport(report)}\n`);
  } finally {
    ws.close();
  }
}

/** `--stages a,b`: known names, in pipeline order. */
export function parseStages(value: string): PipelineStage[] {
  const names = value.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = names.filter((n) => !(PIPELINE_STAGES as readonly string[]).includes(n));
  if (bad.length || names.length === 0) throw new Error(`--stages: unknown stage ${bad.join(', ') || '(none given)'}; known: ${PIPELINE_STAGES.join(', ')}`);
  return PIPELINE_STAGES.filter((s) => names.includes(s));
}

export async function pipelineCommand(flags: {
  data?: string[] | string; test?: string[] | string; labels?: string; stages?: string; workspace?: string; preset: string; folds?: string; init?: string; fromScratch?: boolean;
  events?: boolean; progress: boolean; json?: boolean; promote?: boolean;
}): Promise<void> {
  const stages = flags.stages ? parseStages(flags.stages) : undefined;
  const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
  const { signal, dispose } = abortOnSigint();
  const sink = eventSink(flags, 'pipeline');
  try {
    const preset = loadPreset(flags.preset);
    const folds = flags.folds ? foldSpec(preset, flags.folds) : undefined;
    const list = (v?: string[] | string): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    const dataDirs = list(flags.data);
    const testDirs = list(flags.test);
    const init = { ...(flags.init ? { initDir: flags.init } : {}), ...(flags.fromScratch ? { fromScratch: true } : {}) };
    // Where the base CNNs start, refused before the backend starts (runPipeline checks it again).
    for (const m of preset.base) resolveBaseInit(ws, preset.name, m, init);
    const backend = await initBackend({ purpose: 'train' }, { log });
    const report = await runPipeline({
      ws, preset, backend, dataDirs, testDirs, init, signal, onEvent: sink.onEvent, log: (line) => {
        sink.stop();
        log(line);
      },
      ...(flags.labels ? { labelsCsv: flags.labels } : {}), ...(folds ? { folds } : {}), ...(stages ? { stages } : {}), promote: !!flags.promote,
    });
    sink.stop();
    process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\nreport: ${ws.dir}/report.json\n`);
  } finally {
    sink.stop();
    dispose();
    ws.close();
  }
}

export async function predictCommand(dirs: string[], flags: { workspace?: string; ensemble: string; out?: string; copies?: string; passes?: string; json?: boolean; progress: boolean; studies?: string; missing?: boolean; events?: boolean }): Promise<void> {
  if (flags.ensemble !== 'safe' && flags.ensemble !== 'risky') throw new Error(`--ensemble must be safe or risky, got "${flags.ensemble}"`);
  if (dirs.length === 0 && !flags.studies && !flags.missing) throw new Error('name DICOM folders to predict, or indexed studies with --studies or --missing');
  const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
  // Ctrl-C (the app's cancel) stops it between chunks, its scratch folder removed; a second one exits at once.
  const { signal, dispose } = abortOnSigint();
  // SIGTERM ends it at once as before, but through process.exit, so the exit hook removes the scratch folder
  // (predictImages' removeOnExit); predictions are stored only at the end, so nothing half-written stays.
  const onTerm = (): void => process.exit(143);
  process.on('SIGTERM', onTerm);
  try {
    const t0 = performance.now();
    let imageIds: string[] = [];
    if (dirs.length > 0) {
      const scan = await scanFolders(ws, { roots: dirs, signal });
      imageIds = imageIdsOfFiles(ws, scan.files);
      if (imageIds.length === 0) throw new Error(`no CT slices in ${dirs.join(', ')}`);
    }
    if (flags.studies || flags.missing) {
      const studyUids = flags.studies ? flags.studies.split(',').map((u) => u.trim()).filter(Boolean) : undefined;
      imageIds.push(...imagesToPredict(ws, { ...(studyUids ? { studyUids } : {}), missingOnly: !!flags.missing }));
    }
    const scanSeconds = (performance.now() - t0) / 1000;
    if (imageIds.length === 0) {
      if (dirs.length === 0) {
        process.stdout.write(`${JSON.stringify({ images: 0, ensemble: flags.ensemble, stored: 0, out: null, seconds: { total: Number(scanSeconds.toFixed(3)) } })}\n`);
        return;
      }
      throw new Error(`no CT slices in ${dirs.join(', ')}`);
    }
    const r = await predictImages({
      ws, imageIds, log, signal,
      // The tfjs backend starts only where a model is exported or falls back to tfjs: ONNX Runtime needs none.
      prepareTfjs: () => initBackend({ purpose: 'infer' }, { log }),
      ...(flags.events ? { onProgress: (done: number, total: number, what: string) => process.stdout.write(`${JSON.stringify({ type: 'predict', done, total, what })}\n`) } : {}),
      ...(flags.copies ? { copies: positiveInt(flags.copies, '--copies') } : {}),
      ...(flags.passes ? { passes: positiveInt(flags.passes, '--passes') } : {}),
    });
    const variant = flags.ensemble === 'risky' ? r.preds.risky : r.preds.safe;
    if (!variant) throw new Error('the stored ensemble has no risky variant (no weighted models or sample weights)');
    const index = new Map(r.imageIds.map((id, i) => [id, i]));
    const wanted = imageIds.filter((id) => index.has(id));
    if (flags.out) {
      const t1 = performance.now();
      await writeSubmissionCsv(flags.out, wanted.map((id) => [id, variant.blended.subarray(index.get(id)! * 6, index.get(id)! * 6 + 6)] as [string, Float32Array]));
      r.timings['csv'] = (performance.now() - t1) / 1000;
    }
    const timings = { scan: scanSeconds, ...r.timings, total: (performance.now() - t0) / 1000 };
    const summary = { images: wanted.length, ensemble: flags.ensemble, stored: r.stored, out: flags.out ?? null, seconds: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Number(v.toFixed(3))])) };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    process.off('SIGTERM', onTerm);
    dispose();
    ws.close();
  }
}

