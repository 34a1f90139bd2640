/**
 * BenchCNN and BenchSeq (docs/bench-models.md): train-step and inference speed of the project's engine
 * against PyTorch CPU (bench/train/reference_torch.py, Debian /usr/bin/python3 + python3-torch,
 * torch.set_num_threads(2)) in one run, on random inputs.
 *
 *   npm run bench:train -- [--json] [--cnn-steps N] [--seq-steps N] [--infer-iters N (default 20)]
 *
 * A train step is one step of the data-parallel trainer the pipeline uses (src-ml/nn/data-parallel.ts:
 * forward + BCE loss + backward on each rank's slice of the batch, gradients averaged, one Adam lr 1e-3
 * update), on as many ranks as cores (ICH_TRAIN_WORKERS overrides); the worker count is printed. Figures are medians over the timed steps after 2 warm-up steps (at least 5 timed).
 * Inference: model.predict at batch 32 (eval mode: dropout off, batch-norm moving statistics),
 * BenchCNN in images/s, BenchSeq in studies/s; and the same batch on ONNX Runtime (the trained model exported, what
 * ich predict runs; onnxInferPerSec, ratios.inferOnnx; null with onnxError where it cannot run). Every ratio is project / reference: above 1 the project
 * takes longer per train step, below 1 it infers fewer items per second.
 * Run it on an idle machine: with another process busy on one of the 2 cores, PyTorch's 2 OpenMP threads
 * slow down about 10x (BenchSeq step 67 ms -> ~950 ms measured), so the run warns when the 1-minute
 * load average is high and reports the load averages it saw.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src-ml/nn/backend.ts';
import { BENCH_INFER_BATCH as INFER_BATCH, BENCH_WARMUP as WARMUP, benchModel, type BenchFigures, type BenchModelResult } from '../../src-ml/train/bench-measure.ts';
import type { OnnxInferFigures } from '../../src-ml/onnx/runtime-bench.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface ModelResult extends BenchFigures, OnnxInferFigures {
  backend: string;
  workers: number;
  params: number;
  trainSteps: number;
  inferIters: number;
  reference: BenchFigures & { params: number; torch: string; threads: number };
  ratios: { trainStep: number; infer: number; inferOnnx: number | null };
  loadAverage1m: { before: number; after: number };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 5) throw new Error(`${name} needs an integer >= 5`);
  return v;
}

const json = process.argv.includes('--json');
const cnnSteps = arg('--cnn-steps', 5);
const seqSteps = arg('--seq-steps', 10);
// an inference batch takes 10-300 ms: 20 of them keep one busy moment of another process out of the median
const inferIters = arg('--infer-iters', 20);
const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const loadBefore = loadavg()[0]!;
if (loadBefore > 0.5) {
  progress(`warning: 1-min load average ${loadBefore.toFixed(2)} on ${cpus().length} CPUs before the run; other processes will distort both figures, PyTorch's most`);
}
const backend = await initBackend({ purpose: 'train' }, { log: json ? progress : undefined });
const project: Record<string, BenchModelResult> = {
  BenchCNN: await benchModel('bench-cnn', { steps: cnnSteps, inferIters, progress }),
  BenchSeq: await benchModel('bench-seq', { steps: seqSteps, inferIters, progress }),
};

progress('PyTorch reference running ...');
const refOut = execFileSync(
  '/usr/bin/python3',
  [path.join(HERE, 'reference_torch.py'), String(cnnSteps), String(seqSteps), String(inferIters), String(WARMUP)],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
const loadAfter = loadavg()[0]!;
const ref = JSON.parse(refOut.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown> & { torch: string; threads: number };

const results: Record<string, ModelResult> = {};
for (const name of ['BenchCNN', 'BenchSeq']) {
  const p = project[name]!;
  const r = ref[name] as BenchFigures & { params: number };
  results[name] = {
    backend,
    workers: p.workers,
    params: p.params,
    trainSteps: p.trainSteps,
    inferIters,
    trainStepMedianMs: p.trainStepMedianMs,
    inferPerSec: p.inferPerSec,
    onnxInferPerSec: p.onnxInferPerSec,
    onnxThreads: p.onnxThreads,
    onnxSessions: p.onnxSessions,
    onnxMaxAbsDiff: p.onnxMaxAbsDiff,
    ...(p.onnxError ? { onnxError: p.onnxError } : {}),
    reference: { trainStepMedianMs: r.trainStepMedianMs, inferPerSec: r.inferPerSec, params: r.params, torch: ref.torch, threads: ref.threads },
    ratios: { trainStep: p.trainStepMedianMs / r.trainStepMedianMs, infer: p.inferPerSec / r.inferPerSec, inferOnnx: p.onnxInferPerSec === null ? null : p.onnxInferPerSec / r.inferPerSec },
    loadAverage1m: { before: loadBefore, after: loadAfter },
  };
}

if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const rows: string[][] = [['model', 'figure', `project (${backend})`, `PyTorch ${ref.torch} (${ref.threads} thr)`, 'ratio = project / reference']];
  for (const [name, r] of Object.entries(results)) {
    const unit = name === 'BenchCNN' ? 'images/s' : 'studies/s';
    rows.push([name, `train step median (${r.trainSteps} steps, ${r.workers} worker${r.workers > 1 ? 's' : ''})`, `${r.trainStepMedianMs.toFixed(0)} ms`, `${r.reference.trainStepMedianMs.toFixed(0)} ms`, r.ratios.trainStep.toFixed(2)]);
    rows.push([name, `inference, batch ${INFER_BATCH}`, `${r.inferPerSec.toFixed(1)} ${unit}`, `${r.reference.inferPerSec.toFixed(1)} ${unit}`, r.ratios.infer.toFixed(2)]);
    rows.push(r.onnxInferPerSec === null
      ? [name, `inference on ONNX Runtime`, `none: ${r.onnxError ?? '?'}`, `${r.reference.inferPerSec.toFixed(1)} ${unit}`, '-']
      : [name, `inference on ONNX Runtime (${r.onnxSessions} x ${r.onnxThreads} thr), batch ${INFER_BATCH}`, `${r.onnxInferPerSec.toFixed(1)} ${unit}`, `${r.reference.inferPerSec.toFixed(1)} ${unit}`, r.ratios.inferOnnx!.toFixed(2)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const fmt = (row: string[]): string => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  console.log(fmt(rows[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows.slice(1)) console.log(fmt(row));
  console.log(`params: BenchCNN ${results['BenchCNN']!.params} / ${results['BenchCNN']!.reference.params}, BenchSeq ${results['BenchSeq']!.params} / ${results['BenchSeq']!.reference.params} (project / reference)`);
  console.log(`1-min load average: ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (${cpus().length} CPUs)`);
}
