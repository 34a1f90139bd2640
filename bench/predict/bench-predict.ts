/**
 * bench/predict: `ich predict` of 40 synthetic 512 px CT slices with the bundled demo's models (3 folds of the
 * tiny SE-ResNeXt, Pooled-Res, shallow NN and its weighted twin, safe/risky ensembles), timed as a whole command
 * (a child process, wall clock from spawn to exit, the way a user or the app's predict child pays it), against a
 * PyTorch CPU reference doing the same work on the same files (reference_predict.py: pydicom + skimage + the
 * same-size networks with random weights, Debian /usr/bin/python3, 2 threads), in one run.
 *
 *   npm run bench:predict [-- --json] [--runs 5] [--no-reference] [--cache DIR]
 *
 * The input is built once and cached (default: $TMPDIR/ich-bench-predict): `ich synth --studies 2 --size 512
 * --seed 1` (ich synth makes 24 to 36 slices per series, so the 40 slices are all of the first series and the
 * lower 10 of the second) and `ich demo install`. Each timed run predicts into a fresh copy of the demo
 * workspace (copied outside the timing), so every run scans the 40 files and stores 40 predictions. One
 * untimed warm-up run comes first (page cache, the engine bundle's first load); whatever it added beside the
 * models (the exported ONNX graphs) goes into the template, so the timed runs are every predict after a
 * workspace's first; the warm-up's own time is reported as "warmupS". The table splits the median
 * run into the stages `ich predict` reports; "start" is everything outside its own clock (process start,
 * imports, workspace open, exit). The last line is JSON:
 *   {"slices":40,"size":512,"studies":2,"runs":N,"medianS","minS","warmupS","stagesMedianS":{...},"backend","inference","cli",
 *    "loadAverage":[1m,5m,15m],"reference":{"what","medianS","computeMedianS","importMedianS","torch","threads"},
 *    "ratio": medianS / reference.medianS}
 * "cli" says whether `ich` ran from the engine bundle or through tsx (a source newer than the bundle).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freshManifest } from '../../src-ml/bundle/bundle-runtime.js';
import { median, medianByKey, ms3, pickSlices, type SynthTruth } from './predict-input.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const ICH = path.join(REPO, 'bin', 'ich.js');
const SLICES = 40;
const SIZE = 512;
const SEED = 1;
const PYTHON = '/usr/bin/python3';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    'no-reference': { type: 'boolean', default: false },
    cache: { type: 'string', default: path.join(tmpdir(), 'ich-bench-predict') },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got "${values.runs}"`);
const cache = path.resolve(values.cache);
const say = (line: string): void => {
  if (!values.json) process.stdout.write(`${line}\n`);
};
const note = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Runs `ich` to completion (setup steps); throws with its last stderr line on failure. */
function ich(args: string[]): string {
  const r = spawnSync(process.execPath, [ICH, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ich ${args[0]} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`}`);
  return r.stdout;
}

/** The cached input: synthetic studies, the 40-file folder, the demo workspace; rebuilt when the demo changes. */
function prepareInput(): { input: string; files: string[]; seriesSizes: number[]; demo: string; baseMeta: string } {
  const demoJson = readFileSync(path.join(REPO, 'assets', 'demo', 'demo.json'), 'utf8');
  const key = JSON.stringify({ format: 1, slices: SLICES, size: SIZE, seed: SEED, demo: (JSON.parse(demoJson) as { createdAt: string }).createdAt });
  const stamp = path.join(cache, 'input.json');
  const synth = path.join(cache, 'synth');
  const input = path.join(cache, 'input');
  const demo = path.join(cache, 'demo-workspace');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== key) {
    note(`bench/predict: building the input in ${cache} (once)`);
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    ich(['synth', '--out', synth, '--studies', '2', '--size', String(SIZE), '--seed', String(SEED), '--no-progress']);
    const { files } = pickSlices(JSON.parse(readFileSync(path.join(synth, 'truth.json'), 'utf8')) as SynthTruth, SLICES);
    mkdirSync(input);
    for (const f of files) {
      try {
        linkSync(path.join(synth, f), path.join(input, f));
      } catch {
        copyFileSync(path.join(synth, f), path.join(input, f));
      }
    }
    ich(['demo', 'install', '--workspace', demo]);
    writeFileSync(stamp, key);
  }
  const { files, seriesSizes } = pickSlices(JSON.parse(readFileSync(path.join(synth, 'truth.json'), 'utf8')) as SynthTruth, SLICES);
  const modelsDir = path.join(demo, 'models');
  const base = ['tiny-se-resnext.k3.f0'].map((m) => path.join(modelsDir, m, 'meta.json')).find((p) => existsSync(p));
  if (!base) throw new Error(`${modelsDir}: no tiny-se-resnext.k3.f0 base model (the reference builds its network from that meta.json)`);
  return { input, files: files.map((f) => path.join(input, f)), seriesSizes, demo, baseMeta: base };
}

interface PredictRun {
  wallS: number;
  seconds: Record<string, number>;
  backend: string;
  inference: string;
  cli: 'bundle' | 'tsx';
}

/**
 * Files a run added to model folders (<...>/models/<model>/<file>: the exported ONNX graphs, kept beside their
 * model by the engine) copied into the template, so that timed runs see the workspace as every predict after the
 * first does.
 */
function keepModelCaches(from: string, to: string): string[] {
  const kept: string[] = [];
  for (const rel of readdirSync(from, { recursive: true, encoding: 'utf8' })) {
    if (!/(^|[\\/])models[\\/][^\\/]+[\\/][^\\/]+$/.test(rel) || existsSync(path.join(to, rel))) continue;
    if (!statSync(path.join(from, rel)).isFile() || !existsSync(path.dirname(path.join(to, rel)))) continue;
    copyFileSync(path.join(from, rel), path.join(to, rel));
    kept.push(rel);
  }
  return kept;
}

/** One `ich predict` of the input into a fresh copy of the demo workspace, timed from spawn to exit. */
async function predictOnce(input: string, demo: string): Promise<PredictRun> {
  const ws = path.join(cache, 'run-workspace');
  rmSync(ws, { recursive: true, force: true });
  cpSync(demo, ws, { recursive: true });
  ensureBundle();
  const cli = freshManifest() && process.env.ICH_NO_BUNDLE !== '1' ? 'bundle' : 'tsx';
  const t0 = performance.now();
  const child = spawn(process.execPath, [ICH, 'predict', input, '--workspace', ws, '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`ich predict exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { images: number; seconds: Record<string, number> };
  if (summary.images !== SLICES) throw new Error(`ich predict predicted ${summary.images} images, ${SLICES} expected`);
  const backend = /\[nn\] backend: (.+?)(?: for \w+)?$/m.exec(stderr)?.[1]?.trim() ?? 'not reported';
  // The models' forward passes: on ONNX Runtime when the engine exported graphs beside the models and logged no
  // fallback to tfjs.
  const graphs = readdirSync(ws, { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.onnx'));
  const inference = /inference on tfjs/.test(stderr) ? 'tfjs (onnxruntime fell back)' : graphs ? 'onnxruntime' : 'tfjs';
  return { wallS, seconds: summary.seconds, backend, inference, cli };
}

interface ReferenceRun {
  wallS: number;
  seconds: number;
  importSeconds: number;
  torch: string;
  threads: number;
}

function referenceOnce(files: string[], seriesSizes: number[], baseMeta: string): ReferenceRun {
  const list = path.join(cache, 'files.txt');
  writeFileSync(list, files.join('\n') + '\n');
  const t0 = performance.now();
  const r = spawnSync(PYTHON, [path.join(HERE, 'reference_predict.py'), baseMeta, list, seriesSizes.join(','), '--threads', '2'], { encoding: 'utf8' });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`reference_predict.py exited ${r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return { wallS, ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<ReferenceRun, 'wallS'>) };
}

const REFERENCE_WHAT = 'python3 process: pydicom read + skimage anti-aliased resize 512->64 of the 40 slices once; per fold (3): '
  + '8 TTA copies (affine grid_sample) through the demo archConfig\'s SE-ResNeXt (windowing, SE, grouped conv, channel-group max pool) '
  + 'in batches of 64, Pooled-Res and two shallow NNs (8 passes) per series; random weights, torch.no_grad, 2 threads';

/**
 * Time `ich` as installed: from the engine bundle, rebuilt (outside the timing) whenever a source is newer, as
 * `ich` itself would in the background; ICH_NO_BUNDLE=1 times the sources through tsx.
 */
function ensureBundle(): void {
  for (let attempt = 0; attempt < 3 && process.env.ICH_NO_BUNDLE !== '1' && !freshManifest(); attempt++) {
    const b = spawnSync(process.execPath, [path.join(REPO, 'src-ml', 'bundle', 'build-bundle.js')], { encoding: 'utf8' });
    note(`bench/predict: ${b.stdout.trim()}`);
  }
}

const load0 = loadavg();
const { input, files, seriesSizes, demo, baseMeta } = prepareInput();
note('bench/predict: warm-up run');
const firstRun = await predictOnce(input, demo);
const kept = keepModelCaches(path.join(cache, 'run-workspace'), demo);
if (kept.length) note(`bench/predict: kept ${kept.length} files the first predict added beside the models (e.g. ${kept[0]}) in the template`);
const ours: PredictRun[] = [];
const ref: ReferenceRun[] = [];
const withReference = !values['no-reference'] && existsSync(PYTHON);
for (let r = 0; r < runs; r++) {
  ours.push(await predictOnce(input, demo));
  if (withReference) ref.push(referenceOnce(files, seriesSizes, baseMeta));
  note(`run ${r + 1}/${runs}: ich predict ${ours[r]!.wallS.toFixed(2)} s (${ours[r]!.cli})${withReference ? `, PyTorch reference ${ref[r]!.wallS.toFixed(2)} s` : ''}`);
}
const load1 = loadavg();

const medianS = median(ours.map((r) => r.wallS));
const stages = medianByKey(ours.map((r) => {
  const s = { ...r.seconds };
  const total = s.total ?? 0;
  delete s.total;
  const inStages = Object.values(s).reduce((a, b) => a + b, 0);
  // `total` runs from after the workspace opens to the summary line; the backend's start is inside it, in no stage.
  return { start: r.wallS - total, 'backend init': Math.max(0, total - inStages), ...s };
}));
const cliModes = [...new Set(ours.map((r) => r.cli))];
const result = {
  slices: SLICES,
  size: SIZE,
  studies: seriesSizes.length,
  runs,
  medianS: ms3(medianS),
  minS: ms3(Math.min(...ours.map((r) => r.wallS))),
  warmupS: ms3(firstRun.wallS),
  stagesMedianS: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, ms3(v)])),
  backend: ours[0]!.backend,
  inference: [...new Set(ours.map((r) => r.inference))].join('+'),
  cli: cliModes.length === 1 ? cliModes[0]! : cliModes.join('+'),
  loadAverage: load1.map((x) => Math.round(x * 100) / 100),
  loadAverageBefore: load0.map((x) => Math.round(x * 100) / 100),
  reference: withReference
    ? {
      what: REFERENCE_WHAT,
      medianS: ms3(median(ref.map((r) => r.wallS))),
      computeMedianS: ms3(median(ref.map((r) => r.seconds))),
      importMedianS: ms3(median(ref.map((r) => r.importSeconds))),
      torch: ref[0]!.torch,
      threads: ref[0]!.threads,
    }
    : null,
  ratio: withReference ? ms3(medianS / median(ref.map((r) => r.wallS))) : null,
};

say(`bench/predict: ich predict of ${SLICES} slices (${SIZE} px, ${seriesSizes.join(' + ')} slices of ${seriesSizes.length} synthetic series), demo models, ${runs} runs, inference ${result.inference}, tfjs backend ${result.backend}, ich from ${result.cli}`);
say('');
say('stage (median run)          seconds');
for (const [k, v] of Object.entries(stages)) say(`  ${k.padEnd(26)}${v.toFixed(3).padStart(7)}`);
say(`ich predict, whole command   median ${medianS.toFixed(2)} s, min ${result.minS.toFixed(2)} s (target < 3 s); warm-up (first predict of the workspace) ${result.warmupS.toFixed(2)} s`);
if (result.reference) {
  say(`PyTorch reference process   median ${result.reference.medianS.toFixed(2)} s (imports ${result.reference.importMedianS.toFixed(2)} s, work ${result.reference.computeMedianS.toFixed(2)} s)`);
  say(`ratio = ich / PyTorch = ${result.ratio!.toFixed(2)}x (below 1: ich is faster)`);
} else {
  say('PyTorch reference: skipped');
}
say(`load average ${result.loadAverageBefore.join(' ')} before, ${result.loadAverage.join(' ')} after (2 cores: timings above ~1 are inflated)`);
process.stdout.write(`${JSON.stringify(result)}\n`);
