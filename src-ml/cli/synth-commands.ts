// `ich synth` and `ich synth-baseline`: the synthetic head-CT generator and its difficulty check.
import { evaluateBaseline } from '../synth/baseline.ts';
import { writeGallery } from '../synth/gallery.ts';
import { SUBTYPES } from '../synth/types.ts';
import { generateDataset } from '../synth/generate.ts';
import { RSNA_PREVALENCE, type Prevalence } from '../synth/study-plan.ts';
import { progressBar } from './progress-bar.ts';
import { abortOnSigint, positiveInt } from './cli-helpers.ts';

const LABEL_KEYS = Object.keys(RSNA_PREVALENCE);

/** `--prevalence '{"any":0.2}'` or per subtype; values are slice fractions in [0, 1]. */
export function parsePrevalence(text: string): Partial<Prevalence> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`--prevalence is not JSON: ${text.slice(0, 60)}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('--prevalence must be a JSON object like {"any":0.144,"epidural":0.004}');
  const out: Partial<Prevalence> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!LABEL_KEYS.includes(k)) throw new Error(`--prevalence: unknown label "${k}" (expected ${LABEL_KEYS.join(', ')})`);
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`--prevalence: ${k} must be a number in [0, 1]`);
    out[k as keyof Prevalence] = v;
  }
  return out;
}

export async function synthCommand(opts: { out: string; studies: string; seed: string; size: string; patients?: string; prevalence?: string; progress: boolean }): Promise<void> {
  const studies = positiveInt(opts.studies, '--studies');
  const size = positiveInt(opts.size, '--size');
  if (size < 32 || size > 1024) throw new Error(`--size must be 32..1024, got ${size}`);
  const seed = Number(opts.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got "${opts.seed}"`);
  const patients = opts.patients === undefined ? undefined : positiveInt(opts.patients, '--patients');
  const prevalence = opts.prevalence === undefined ? undefined : parsePrevalence(opts.prevalence);
  const bar = progressBar('synth', opts.progress);
  const { signal, dispose } = abortOnSigint();
  const started = performance.now();
  try {
    const s = await generateDataset({ out: opts.out, studies, seed, size, patients, prevalence, signal, onProgress: (p) => bar.update(p) });
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    process.stdout.write(`${s.slices} slices in ${s.studies} studies of ${s.patients} patients -> ${opts.out} (${(s.slices / seconds).toFixed(0)} slices/s)\n`
      + `prevalence: any ${pct(s.prevalence.any)}, ${Object.entries(s.prevalence).filter(([k]) => k !== 'any').map(([k, v]) => `${k} ${pct(v)}`).join(', ')}\n`);
  } finally {
    bar.stop();
    dispose();
  }
}

export async function synthBaselineCommand(dir: string, opts: { json?: boolean; progress: boolean }): Promise<void> {
  const bar = progressBar('baseline', opts.progress);
  try {
    const r = await evaluateBaseline(dir, (done, total) => bar.update({ stage: 'baseline', done, total }));
    bar.stop();
    if (opts.json) {
      process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    process.stdout.write(`baseline (count of ${50}-${90} HU pixels inside the skull) on ${r.slices} slices\n`);
    for (const [k, auc] of Object.entries(r.auc)) process.stdout.write(`  ${k.padEnd(17)} AUC ${Number.isNaN(auc) ? '  n/a' : auc.toFixed(3)}  (${r.positives[k as keyof typeof r.positives]} positive slices)\n`);
  } finally {
    bar.stop();
  }
}

/** One positive slice of each type and a normal one, at the brain window (bleeds also outlined). */
export async function synthGalleryCommand(dir: string, opts: { out: string }): Promise<void> {
  const written = await writeGallery(dir, opts.out);
  for (const w of written) process.stdout.write(`${w.name}: ${w.id} -> ${w.files.join(', ')}\n`);
  const missing = SUBTYPES.filter((t) => !written.some((w) => w.name === t));
  if (missing.length) process.stderr.write(`ich: ${dir}: no positive slice for ${missing.join(', ')}\n`);
}
