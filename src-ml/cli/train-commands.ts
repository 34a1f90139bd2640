// `ich train base`, `ich features`, `ich runs`, `ich bench train`: thin wrappers over src-ml/train,
// src-ml/predict and src-ml/nn that add progress bars, --events JSON lines and Ctrl-C cancellation.
import type { RunSummary, TrainingEvent } from '../api/training.ts';
import { DEFAULT_FOLD_SEEDS } from '../data/folds.ts';
import { initBackend } from '../nn/backend.ts';
import { BENCH_MODELS, benchModel, type BenchModelName } from '../train/bench-measure.ts';
import { extractFeatures } from '../train/feature-stage.ts';
import { getModel, getRun, listRunSummaries } from '../store/training-store.ts';
import { defaultWorkspaceDir, Workspace } from '../store/workspace.ts';
import { trainBase, type BaseRunConfig } from '../train/base-train.ts';
import { resolveBaseInit } from '../train/base-init.ts';
import { baseOofReport } from '../train/oof.ts';
import { foldsOf, loadPreset, type FoldSpec } from '../train/presets.ts';
import { abortOnSigint, positiveInt } from './cli-helpers.ts';
import { progressBar } from './progress-bar.ts';

interface TrainBaseFlags {
  workspace?: string;
  preset: string;
  folds?: string;
  fold?: string;
  epochs?: string;
  resume?: string;
  model?: string;
  init?: string;
  fromScratch?: boolean;
  events?: boolean;
  progress: boolean;
}

export function eventSink(flags: { events?: boolean; progress: boolean }, label: string): { onEvent: (e: TrainingEvent) => void; stop: () => void } {
  const bar = progressBar(label, flags.progress && !flags.events);
  let lastEpochLine = '';
  return {
    onEvent: (e) => {
      if (flags.events) {
        process.stdout.write(JSON.stringify(e) + '\n');
        return;
      }
      if (e.type === 'batch') {
        bar.update({ stage: 'train', done: (e.epoch - 1) * e.batches + e.batch, total: e.epochs * e.batches, item: `loss ${e.loss.toFixed(4)}` });
      } else if (e.type === 'epoch') {
        // Full-head epochs name their stage too: their model field is the base model whose features they use.
        const line = `${e.stage === 'base' ? '' : `${e.stage} `}${e.model} fold ${e.fold} epoch ${e.epoch}/${e.epochs}: train loss ${e.trainLoss.toFixed(4)}, val loss ${e.valLoss.toFixed(4)}, val metric ${e.valMetric.toFixed(4)} (${e.seconds.toFixed(0)} s)`;
        if (line !== lastEpochLine) process.stderr.write(`\n${line}\n`);
        lastEpochLine = line;
      } else if (e.type === 'features') {
        bar.update({ stage: `features ${e.split}`, done: e.done, total: e.total });
      } else if (e.type === 'message') {
        process.stderr.write(`${e.level === 'info' ? '' : `${e.level}: `}${e.text}\n`);
      }
    },
    stop: () => bar.stop(),
  };
}

export async function trainBaseCommand(flags: TrainBaseFlags): Promise<void> {
  const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
  const { signal, dispose } = abortOnSigint();
  const sink = eventSink(flags, 'train base');
  try {
    // Everything the flags can get wrong is checked before the backend starts.
    const backendLog = (line: string): void => {
      process.stderr.write(`${line}\n`);
    };
    if (flags.resume) {
      if (flags.init || flags.fromScratch) throw new Error('--resume continues a run from its checkpoint with its own start: it takes no --init or --from-scratch');
      const run = getRun(ws, flags.resume);
      if (!run) throw new Error(`no run ${flags.resume} in ${ws.dir} (see ich runs)`);
      const cfg = run.config as unknown as BaseRunConfig;
      const preset = loadPreset(cfg.preset);
      const backend = await initBackend({ purpose: 'train' }, { log: backendLog });
      const result = await trainBase({ ws, preset, model: cfg.model, fold: cfg.fold, folds: cfg.folds, epochs: cfg.epochs, ...(cfg.init ? { init: cfg.init } : {}), backend, signal, onEvent: sink.onEvent }, flags.resume);
      sink.stop();
      process.stdout.write(`${flags.events ? '' : '\n'}${JSON.stringify({ runId: result.runId, modelId: result.modelId, status: result.status, valMetric: result.metrics.valMetric })}\n`);
      return;
    }
    const preset = loadPreset(flags.preset);
    const k = flags.folds ? positiveInt(flags.folds, '--folds') : undefined;
    const override: FoldSpec | undefined = k ? { ...preset.folds, k, seed: DEFAULT_FOLD_SEEDS[k as 3 | 5] ?? preset.folds.seed } : undefined;
    const models = flags.model ? preset.base.filter((m) => m.name === flags.model) : preset.base;
    if (models.length === 0) throw new Error(`preset ${preset.name} has no base model ${flags.model} (has: ${preset.base.map((m) => m.name).join(', ')})`);
    const epochs = flags.epochs ? positiveInt(flags.epochs, '--epochs') : undefined;
    const initFlags = { ...(flags.init ? { initDir: flags.init } : {}), ...(flags.fromScratch ? { fromScratch: true } : {}) };
    const plan = models.map((m) => {
      const folds = foldsOf(preset, m, override);
      const fold = flags.fold !== undefined ? Number(flags.fold) : undefined;
      if (fold !== undefined && !(Number.isInteger(fold) && fold >= 0 && fold < folds.k)) throw new Error(`--fold must be 0..${folds.k - 1}, got "${flags.fold}"`);
      // Where its weights start (imported ImageNet weights, a parent model or random init): refused here, before
      // the backend starts, when an rsna model has no weights and no --from-scratch.
      const { model, init } = resolveBaseInit(ws, preset.name, m, initFlags);
      return { m: model, init, folds, foldList: fold !== undefined ? [fold] : Array.from({ length: folds.k }, (_, i) => i) };
    });
    const backend = await initBackend({ purpose: 'train' }, { log: backendLog });
    for (const { m, init, folds, foldList } of plan) {
      for (const fold of foldList) {
        const result = await trainBase({ ws, preset, model: m, init, fold, folds, ...(epochs ? { epochs } : {}), backend, signal, onEvent: sink.onEvent });
        sink.stop();
        process.stdout.write(`${flags.events ? '' : '\n'}${JSON.stringify({ runId: result.runId, modelId: result.modelId, status: result.status, valMetric: result.metrics.valMetric })}\n`);
      }
      const oof = await baseOofReport(ws, m.name, folds);
      if (oof && oof.missingFolds.length === 0) process.stdout.write(`${JSON.stringify({ oof })}\n`);
    }
  } finally {
    sink.stop();
    dispose();
    ws.close();
  }
}

export async function featuresCommand(flags: { workspace?: string; model: string; trainCopies?: string; testCopies?: string; batchSize?: string; events?: boolean; progress: boolean }): Promise<void> {
  const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
  const { signal, dispose } = abortOnSigint();
  const sink = eventSink(flags, 'features');
  try {
    if (!getModel(ws, flags.model)) throw new Error(`no model ${flags.model} in ${ws.dir} (see ich runs)`);
    await initBackend({ purpose: 'infer' }, { log: (line) => process.stderr.write(`${line}\n`) });
    const result = await extractFeatures({
      ws, modelId: flags.model, signal, onEvent: sink.onEvent,
      ...(flags.trainCopies ? { trainCopies: positiveInt(flags.trainCopies, '--train-copies') } : {}),
      ...(flags.testCopies ? { testCopies: positiveInt(flags.testCopies, '--test-copies') } : {}),
      ...(flags.batchSize ? { batchSize: positiveInt(flags.batchSize, '--batch-size') } : {}),
    });
    sink.stop();
    process.stdout.write(`${flags.events ? '' : '\n'}${JSON.stringify(result)}\n`);
  } finally {
    sink.stop();
    dispose();
    ws.close();
  }
}

export function runsCommand(flags: { workspace?: string; json?: boolean }): void {
  const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
  try {
    const runs: RunSummary[] = listRunSummaries(ws);
    if (flags.json) {
      process.stdout.write(JSON.stringify(runs) + '\n');
      return;
    }
    if (runs.length === 0) {
      process.stdout.write(`no runs in ${ws.dir}\n`);
      return;
    }
    for (const r of runs) {
      const metric = typeof r.metrics.valMetric === 'number' ? `val metric ${r.metrics.valMetric.toFixed(4)} (epoch ${String(r.metrics.epoch)})` : '';
      process.stdout.write(`${r.id}  ${r.stage}  ${r.preset}  ${r.model}  fold ${r.fold ?? '-'}/${r.nFolds ?? '-'}  ${r.status}  ${metric}${r.error ? `  ${r.error}` : ''}\n`);
    }
  } finally {
    ws.close();
  }
}

export async function benchTrainCommand(flags: { model: string; json?: boolean; steps: string; inferIters: string }): Promise<void> {
  if (!(BENCH_MODELS as readonly string[]).includes(flags.model)) throw new Error(`--model must be one of ${BENCH_MODELS.join(', ')}, got "${flags.model}"`);
  const steps = positiveInt(flags.steps, '--steps');
  const inferIters = positiveInt(flags.inferIters, '--infer-iters');
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const backend = await initBackend({ purpose: 'train' }, { log });
  const r = await benchModel(flags.model as BenchModelName, { steps, inferIters, progress: flags.json ? () => {} : log });
  const onnx = { onnxInferPerSec: r.onnxInferPerSec, onnxThreads: r.onnxThreads, onnxSessions: r.onnxSessions, onnxMaxAbsDiff: r.onnxMaxAbsDiff, ...(r.onnxError ? { onnxError: r.onnxError } : {}) };
  if (flags.json) process.stdout.write(JSON.stringify({ backend, trainStepMedianMs: r.trainStepMedianMs, inferPerSec: r.inferPerSec, params: r.params, workers: r.workers, trainSteps: steps, inferIters, ...onnx }) + '\n');
  else process.stdout.write(`${flags.model} on ${backend}: train step median ${r.trainStepMedianMs.toFixed(1)} ms (${steps} steps, ${r.workers} worker${r.workers > 1 ? 's' : ''}), inference ${r.inferPerSec.toFixed(1)} /s at batch 32, on ONNX Runtime ${r.onnxInferPerSec === null ? `none (${r.onnxError ?? '?'})` : `${r.onnxInferPerSec.toFixed(1)} /s (${r.onnxSessions ?? 1} session${(r.onnxSessions ?? 1) > 1 ? 's' : ''} x ${r.onnxThreads} thread${r.onnxThreads === 1 ? '' : 's'})`} (${r.params} params)\n`);
}
