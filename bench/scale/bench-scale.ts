/**
 * bench:scale: the stages after the features at the RSNA 2019 size, for memory (issue 18). Fabricates a
 * workspace of 752,797 labelled + 121,232 unlabelled images (bench/scale/fabricate.ts: index rows, one base
 * model's TTA features on fold 0 at F = 256 with 4 / 8 copies, about 4 GB of .npy), then runs on fold 0 of the
 * rsna preset's folds, one epoch each: Pooled-Res, the shallow NN, the sample weights and the weighted
 * fine-tune, and the ensembles with the pipeline's report and model version. The other folds' members are
 * fabricated outputs, so the ensembles fit on every labelled image out of fold.
 *
 *   npm run bench:scale -- [--json] [--scale <fraction>] [--passes N] [--dir <folder>] [--keep]
 *
 * --scale 0.02 makes every count 2% (a quick run; the suite runs a small one). --passes sets the OOF and test
 * passes of the three trained stages (default 1; the rsna preset's 32 multiply their prediction time, not
 * their memory: each series is predicted on its own). The workspace goes in a fresh folder under --dir (default
 * the system's temporary folder; the free space is checked first) and is deleted at the end unless --keep.
 * Progress goes to stderr; the last line on stdout is JSON:
 *   {"images","peakRssMb","stages":{"pooled-res":s,"shallow":s,"shallow-weighted":s,"ensembles":s}, ...}
 * peakRssMb is the process's peak resident set (getrusage maxrss), fabrication included. Seconds per stage
 * depend on the load: the JSON carries the 1-minute load average before and after.
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../src-ml/base/errors.ts';
import { initBackend } from '../../src-ml/nn/backend.ts';
import { beginVersion } from '../../src-ml/store/versions.ts';
import { Workspace } from '../../src-ml/store/workspace.ts';
import { runEnsembleStage } from '../../src-ml/train/ensemble-stage.ts';
import { buildReport, finishRunVersion, writeReport } from '../../src-ml/train/pipeline.ts';
import { trainPooledRes } from '../../src-ml/train/pooled-res-train.ts';
import { foldsOf, loadPreset, type Preset } from '../../src-ml/train/presets.ts';
import { computeAndStoreSampleWeights, describeWeights } from '../../src-ml/train/sample-weights-stage.ts';
import { trainShallow } from '../../src-ml/train/shallow-train.ts';
import { FEATURE_SIZE, RSNA_LABELLED, RSNA_UNLABELLED, TEST_COPIES, TRAIN_COPIES, fabricateWorkspace } from './fabricate.ts';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

/** The rsna preset, one base model, one epoch per stage, no step floors, `passes` OOF / test passes. */
function benchPreset(passes: number): Preset {
  const p = loadPreset('rsna');
  const base = p.base.find((m) => m.features && foldsOf(p, m).k === p.folds.k && foldsOf(p, m).seed === p.folds.seed);
  if (!base) throw new Error('the rsna preset has no base model with features on its folds');
  return {
    ...p,
    base: [base],
    pooledRes: { ...p.pooledRes, epochs: 1, minSteps: 0, oofPasses: passes, testPasses: passes },
    shallow: {
      ...p.shallow, lrSteps: [[p.shallow.lrSteps[0]![0], 1]], passes, minSteps: 0,
      weighted: { ...p.shallow.weighted, lrSteps: [[p.shallow.weighted.lrSteps[0]![0], 1]], minSteps: 0 },
    },
  };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const keep = process.argv.includes('--keep');
  const scale = Number(option('--scale') ?? 1);
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${option('--scale')}`);
  const passes = Number(option('--passes') ?? 1);
  if (!(Number.isInteger(passes) && passes >= 1)) throw new Error(`--passes must be a positive integer, got ${option('--passes')}`);
  const parent = path.resolve(option('--dir') ?? tmpdir());
  const progress = (line: string): void => {
    process.stderr.write(`[bench:scale] ${line}\n`);
  };
  const rssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

  // Disk: the features (train + test rows x F float32, logits beside them), the index with its predictions.
  const labelled = Math.round(RSNA_LABELLED * scale);
  const unlabelled = Math.round(RSNA_UNLABELLED * scale);
  const needBytes = (labelled * TRAIN_COPIES + unlabelled * TEST_COPIES) * (FEATURE_SIZE + 6) * 4 + (labelled + unlabelled) * 4000;
  const fsStat = statfsSync(parent);
  const freeBytes = fsStat.bavail * fsStat.bsize;
  if (freeBytes < needBytes * 1.1) {
    throw new Error(`${parent} has ${(freeBytes / 2 ** 30).toFixed(1)} GiB free, the workspace needs about ${(needBytes / 2 ** 30).toFixed(1)} GiB: use --dir or a smaller --scale`);
  }

  const dir = mkdtempSync(path.join(parent, 'ich-bench-scale-'));
  const loadBefore = loadavg()[0]!;
  const stages: Record<string, number> = {};
  const rssAfter: Record<string, number> = {};
  let result: Record<string, unknown> | undefined;
  try {
    const backend = await initBackend({ purpose: 'train' }, { log: progress });
    const preset = benchPreset(passes);
    const base = preset.base[0]!;
    const folds = preset.folds;
    const ws = Workspace.open(path.join(dir, 'ws'));
    try {
      let t0 = performance.now();
      const fab = await fabricateWorkspace({ ws, scale, baseName: base.name, folds, log: progress });
      const setupS = (performance.now() - t0) / 1000;
      rssAfter.setup = rssMb();
      progress(`setup ${setupS.toFixed(1)} s, peak RSS so far ${rssAfter.setup} MB`);
      const timed = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
        progress(`${name} ...`);
        const t = performance.now();
        await fn();
        stages[name] = Math.round((performance.now() - t) / 100) / 10;
        rssAfter[name] = rssMb();
        progress(`${name}: ${stages[name]} s, peak RSS so far ${rssAfter[name]} MB`);
      };
      const stageOpts = { ws, preset, base, fold: 0, folds, backend };
      await timed('pooled-res', () => trainPooledRes(stageOpts));
      await timed('shallow', () => trainShallow({ ...stageOpts, weighted: false }));
      let weightsS = 0;
      await timed('shallow-weighted', async () => {
        t0 = performance.now();
        progress(describeWeights(await computeAndStoreSampleWeights(ws, folds)));
        weightsS = (performance.now() - t0) / 1000;
        await trainShallow({ ...stageOpts, weighted: true });
      });
      await timed('ensembles', async () => {
        const version = beginVersion(ws);
        const ensemble = await runEnsembleStage(ws, folds, progress, version);
        const report = await buildReport(ws, preset, folds, ensemble);
        finishRunVersion(ws, version, preset, folds, report, false, progress);
        await writeReport(ws, report);
      });
      result = {
        images: fab.labelled + fab.unlabelled,
        peakRssMb: rssMb(),
        stages,
        scale, labelled: fab.labelled, unlabelled: fab.unlabelled, series: fab.series, passes, epochs: 1, fold: 0, folds: folds.k,
        featureGiB: Math.round((fab.featureBytes / 2 ** 30) * 100) / 100, setupS: Math.round(setupS * 10) / 10,
        sampleWeightsS: Math.round(weightsS * 10) / 10, peakRssAfterMb: rssAfter, backend,
        loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadavg()[0]! * 100) / 100 },
      };
    } finally {
      ws.close();
    }
  } finally {
    if (keep) progress(`workspace kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  if (!json) {
    for (const [name, s] of Object.entries(stages)) process.stdout.write(`${name.padEnd(18)} ${String(s).padStart(8)} s   peak RSS so far ${rssAfter[name]} MB\n`);
    process.stdout.write(`${result!.images} images, peak RSS ${result!.peakRssMb} MB\n`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:scale: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
