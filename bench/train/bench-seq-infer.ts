/**
 * BenchSeq inference alone (docs/bench-models.md: batch 32, studies/s), ONNX Runtime against PyTorch in one run,
 * without bench-train's training. Contenders, taking turns (ITERS forwards each per round, so load from other
 * processes falls on all of them; medians per contender):
 *   default      what a long inference run settles in: Winograd Conv1D export, openOrtModel's layout
 *                (ICH_ORT_SESSIONS / _THREADS; split across sessions after SPLIT_AFTER_MS, here from the start)
 *   wino1x2      the same graph on one session with 2 intra-op threads
 *   wino1x1      the same graph on one session with 1 thread
 *   conv1x2      the export with ONNX Conv nodes on one 2-thread session (the layout and lowering before issue 15's fix)
 *   torch        PyTorch (reference_torch_infer.py, 2 threads)
 *
 *   npx tsx bench/train/bench-seq-infer.ts [--rounds 8] [--iters 5] [--json]
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-ml/nn/backend.ts';
import { buildBenchSeq } from '../../src-ml/nn/bench-seq.ts';
import { exportToOnnx, type ExportOptions } from '../../src-ml/onnx/export.ts';
import { asRank4 } from '../../src-ml/onnx/runtime-bench.ts';
import { openOrtModel, type OrtRunner } from '../../src-ml/onnx/runtime.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BATCH = 32;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The PyTorch side: one persistent process, asked for n timed forwards at a time. */
async function startTorch(): Promise<{ info: { torch: string; threads: number }; run: (n: number) => Promise<number[]>; stop: () => void }> {
  const child = spawn('/usr/bin/python3', [path.join(HERE, 'reference_torch_infer.py')], { cwd: HERE, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<unknown> => {
    const r = await lines.next();
    if (r.done) throw new Error('reference_torch_infer.py ended early');
    return JSON.parse(r.value) as unknown;
  };
  const info = (await next()) as { torch: string; threads: number };
  return {
    info,
    run: async (n) => {
      child.stdin.write(`${n}\n`);
      return ((await next()) as { ms: number[] }).ms;
    },
    stop: () => child.stdin.end(),
  };
}

async function ortContender(model: tf.LayersModel, options: ExportOptions, layout: { sessions: number; threads: number } | null, label: string): Promise<{ session: OrtRunner; run: (n: number) => Promise<number[]> }> {
  const rank4 = asRank4(model);
  let bytes: Uint8Array;
  try {
    bytes = (await exportToOnnx(rank4, 'pooled-res', options)).bytes;
  } finally {
    rank4.dispose();
  }
  const session = await openOrtModel(bytes, label, layout ?? {});
  await session.settle?.();
  const data = Float32Array.from({ length: BATCH * 60 * 256 }, (_, i) => ((i * 7919) % 1000) / 1000);
  const inputs = [{ data, dims: [BATCH, 60, 1, 256] }];
  return {
    session,
    run: async (n) => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await session.run(inputs);
        ms.push(performance.now() - t0);
      }
      return ms;
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '8' }, iters: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
  const rounds = Number(values.rounds);
  const iters = Number(values.iters);
  await initBackend({ purpose: 'infer' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
  const model = buildBenchSeq();
  const ort = {
    default: await ortContender(model, {}, null, 'BenchSeq'),
    wino1x2: await ortContender(model, {}, { sessions: 1, threads: 2 }, 'BenchSeq 1x2'),
    wino1x1: await ortContender(model, {}, { sessions: 1, threads: 1 }, 'BenchSeq 1x1'),
    conv1x2: await ortContender(model, { conv1d: 'conv' }, { sessions: 1, threads: 2 }, 'BenchSeq conv 1x2'),
  };
  model.dispose();
  const torch = await startTorch();
  const contenders: Record<string, (n: number) => Promise<number[]>> = { ...Object.fromEntries(Object.entries(ort).map(([k, v]) => [k, v.run])), torch: torch.run };
  const defaultLayout = { sessions: ort.default.session.sessions, threads: ort.default.session.threads };
  const ms: Record<string, number[]> = {};
  const loads: number[] = [loadavg()[0]!];
  try {
    for (const [k, run] of Object.entries(contenders)) {
      await run(2); // warm-up
      ms[k] = [];
    }
    for (let r = 0; r < rounds; r++) {
      for (const [k, run] of Object.entries(contenders)) ms[k]!.push(...(await run(iters)));
      loads.push(loadavg()[0]!);
    }
  } finally {
    torch.stop();
    for (const o of Object.values(ort)) await o.session.release();
  }
  const perSec = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, BATCH / (median(v) / 1000)]));
  const result = {
    batch: BATCH,
    rounds,
    iters,
    defaultLayout,
    torchThreads: torch.info.threads,
    torch: torch.info.torch,
    medianMs: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, +median(v).toFixed(2)])),
    minMs: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, +Math.min(...v).toFixed(2)])),
    studiesPerSec: Object.fromEntries(Object.entries(perSec).map(([k, v]) => [k, Math.round(v)])),
    ratioToTorch: Object.fromEntries(Object.entries(perSec).filter(([k]) => k !== 'torch').map(([k, v]) => [k, +(v / perSec['torch']!).toFixed(2)])),
    loadAverage1m: { min: Math.min(...loads), max: Math.max(...loads), cpus: cpus().length },
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else console.log(JSON.stringify(result));
}

await main();
