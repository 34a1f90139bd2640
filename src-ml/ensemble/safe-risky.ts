// The two final ensembles of the seed (docs/seed-pipeline.md section 7, "Safe vs risky"), from the member models'
// out-of-fold probabilities:
//   safe  = the unweighted members (group A shallow NNs trained without weighted sampling, group B
//           Pooled-Res) and a blend fitted with the unweighted log loss;
//   risky = group A members after weighted fine-tuning, the same group B members, and a blend fitted
//           with the per-image weighted log loss.
// Each variant runs backward elimination twice on its candidates (unweighted and, where image weights
// are given, weighted) and keeps the union; bounds every member; fits the fold-averaged two-weight blend
// on the group means of its kept, bounded members. `applyEnsemble` then predicts new images, and
// `explainImage` says for one image what every member said, what bounding changed and how the blend
// weighed the two groups.
import { KAGGLE_EPS, weightedLogLoss } from '../metrics/log-loss.ts';
import { LABELS } from '../../src-shared/labels.ts';
import { applyBlend, fitBlendWithOof, meanOf, type BlendFit } from './blend.ts';
import { boundPredictions, countBounding, type BoundingCounts } from './bounding.ts';
import { backwardElimination, type EliminationResult } from './elimination.ts';
import { imageWeightedLogLoss, N_CLASSES } from './image-weighted-loss.ts';

export type MemberGroup = 'A' | 'B';
export type VariantName = 'safe' | 'risky';

export interface EnsembleMember {
  /** Unique; also the key for applyEnsemble's test predictions. */
  name: string;
  /** A: shallow NN family (seed: Zahar), B: Pooled-Res family (seed: Yuval). */
  group: MemberGroup;
  /** Group A only: fine-tuned with the section 5 weighted sampler (a risky member). */
  weighted: boolean;
  /** N x 6 probabilities in the project's order (out of fold when fitting). */
  probs: Float32Array;
  /**
   * Worse than the prevalence out of fold: not a candidate of any variant (when every candidate of a
   * variant is excluded, its blend is fitted on them all and falls back to the prior where that pays).
   */
  excluded?: boolean;
}

export interface EnsembleInput {
  members: readonly EnsembleMember[];
  labels: Uint8Array;
  /** Fold per image (>= 0); the blend is fitted on the other folds. */
  folds: Int32Array;
  /** Per-image weights (docs/seed-pipeline.md section 5). Without them there is no risky variant. */
  imageWeights?: Float32Array;
}

export interface NamedElimination extends EliminationResult {
  /** `kept` and the dropped models as member names. */
  keptNames: string[];
  droppedNames: string[];
}

export interface VariantFit {
  variant: VariantName;
  /** Member names considered, in input order. */
  candidates: string[];
  /** Union of the two eliminations' kept sets (plus any restored member), in input order. */
  kept: string[];
  elimination: { unweighted: NamedElimination; weighted?: NamedElimination };
  /** Members put back because elimination emptied their group (the blend needs both groups). */
  restored: string[];
  /** Whether the blend was fitted with the image weights. */
  weightedFit: boolean;
  fit: BlendFit;
  /** Metric of the simple mean of the kept members before and after bounding (unweighted). */
  meanMetric: { raw: number; bounded: number };
  /**
   * Per class, what the variant outputs: 'blend', a member's own (raw) probabilities by name, or 'prior'
   * (the labels' prevalence). The blend falls back per class to the best candidate member or the prior
   * when, out of fold, it does not pay. Absent in fits made before the fallback (all 'blend').
   */
  classSources?: string[];
  /** The prevalence per class, used by 'prior' sources. */
  prior?: number[];
  /** Out-of-fold metric per class of each source considered (unweighted): blend, members, prior. */
  sourceMetrics?: Record<string, Record<string, number>>;
}

export interface MemberReport {
  name: string;
  group: MemberGroup;
  weighted: boolean;
  /** Variants that considered this member / kept it. */
  candidateIn: VariantName[];
  keptIn: VariantName[];
  /** Unweighted metric of the member alone, before and after bounding. */
  metric: { raw: number; bounded: number };
  bounding: BoundingCounts;
}

export interface EnsembleFit {
  labels: readonly string[];
  members: MemberReport[];
  safe: VariantFit;
  risky: VariantFit | null;
  /** Why there is no risky variant, when there is none. */
  riskySkipped?: string;
}

export interface MemberPredictions {
  name: string;
  group: MemberGroup;
  probs: Float32Array;
  bounded: Float32Array;
  rule1: Uint8Array;
  rule2: Uint8Array;
}

export interface VariantPredictions {
  /** Group means of the kept, bounded members: the blend's two columns. */
  groupA: Float32Array;
  groupB: Float32Array;
  /** The blended prediction (not re-bounded). */
  blended: Float32Array;
}

export interface EnsemblePredictions {
  n: number;
  members: MemberPredictions[];
  safe: VariantPredictions;
  risky: VariantPredictions | null;
}

export interface EnsembleResult extends EnsembleFit {
  /** The out-of-fold predictions behind the fit: `blended` is each image predicted by the fit that held its fold out. */
  oof: EnsemblePredictions;
}

const row = (a: Float32Array, i: number): number[] => Array.from(a.subarray(i * N_CLASSES, (i + 1) * N_CLASSES));

function name(members: readonly EnsembleMember[], e: EliminationResult, idx: number[]): NamedElimination {
  return {
    ...e,
    keptNames: e.kept.map((j) => members[idx[j]!]!.name),
    droppedNames: e.steps.map((s) => members[idx[s.dropped]!]!.name),
  };
}

function validate(input: EnsembleInput): number {
  const n = input.folds.length;
  if (input.labels.length !== n * N_CLASSES) throw new Error(`ensemble: ${input.labels.length} labels for ${n} images x ${N_CLASSES}`);
  if (input.imageWeights && input.imageWeights.length !== n) throw new Error(`ensemble: ${input.imageWeights.length} image weights for ${n} images`);
  const seen = new Set<string>();
  for (const m of input.members) {
    if (seen.has(m.name)) throw new Error(`ensemble: two members are named "${m.name}"`);
    seen.add(m.name);
    if (m.probs.length !== n * N_CLASSES) throw new Error(`ensemble: member "${m.name}" has ${m.probs.length} values for ${n} images x ${N_CLASSES}`);
    if (m.group === 'B' && m.weighted) throw new Error(`ensemble: member "${m.name}" is group B and weighted; only group A members are fine-tuned with weights`);
  }
  return n;
}

function fitVariant(
  variant: VariantName,
  input: EnsembleInput,
  bounded: readonly Float32Array[],
): { fit: VariantFit; oof: VariantPredictions } {
  const { members, labels, folds, imageWeights } = input;
  const inVariant = members.map((_, j) => j).filter((j) => {
    const m = members[j]!;
    return m.group === 'B' || m.weighted === (variant === 'risky');
  });
  if (inVariant.length === 0) throw new Error(`ensemble: the ${variant} ensemble has no member`);
  const admitted = inVariant.filter((j) => !members[j]!.excluded);
  const idx = admitted.length > 0 ? admitted : inVariant;
  const raw = idx.map((j) => members[j]!.probs);
  const unweighted = name(members, backwardElimination(raw, labels), idx);
  const weighted = imageWeights ? name(members, backwardElimination(raw, labels, imageWeights), idx) : undefined;
  const keptSet = new Set([...unweighted.kept, ...(weighted?.kept ?? [])].map((j) => idx[j]!));
  const restored: string[] = [];
  for (const g of ['A', 'B'] as const) {
    if ([...keptSet].some((j) => members[j]!.group === g)) continue;
    if (!idx.some((j) => members[j]!.group === g)) continue; // a group with no candidate: the other stands for it
    let best = -1;
    let bestLoss = Infinity;
    for (const j of idx) {
      if (members[j]!.group !== g) continue;
      const l = weightedLogLoss(members[j]!.probs, labels, KAGGLE_EPS).loss;
      if (l < bestLoss) [best, bestLoss] = [j, l];
    }
    keptSet.add(best);
    restored.push(members[best]!.name);
  }
  const kept = idx.filter((j) => keptSet.has(j));
  const inA = kept.filter((j) => members[j]!.group === 'A').map((j) => bounded[j]!);
  const inB = kept.filter((j) => members[j]!.group === 'B').map((j) => bounded[j]!);
  const groupA = meanOf(inA.length ? inA : inB);
  const groupB = meanOf(inB.length ? inB : inA);
  const weightedFit = variant === 'risky';
  const { fit, oof } = fitBlendWithOof(groupA, groupB, labels, folds, weightedFit ? imageWeights : undefined);
  const fallback = chooseClassSources(oof, admitted.map((j) => members[j]!), labels);
  const blended = applyClassSources(oof, fallback.classSources, fallback.prior, (name) => members.find((m) => m.name === name)!.probs);
  const meanMetric = {
    raw: weightedLogLoss(meanOf(kept.map((j) => members[j]!.probs)), labels, KAGGLE_EPS).loss,
    bounded: weightedLogLoss(meanOf(kept.map((j) => bounded[j]!)), labels, KAGGLE_EPS).loss,
  };
  return {
    fit: {
      variant,
      candidates: idx.map((j) => members[j]!.name),
      kept: kept.map((j) => members[j]!.name),
      elimination: weighted ? { unweighted, weighted } : { unweighted },
      restored,
      weightedFit,
      fit,
      meanMetric,
      ...fallback,
    },
    oof: { groupA, groupB, blended },
  };
}

/**
 * Per class, the source with the lowest out-of-fold loss: the blend (each image predicted by the fit that
 * held its fold out), a candidate member alone, or the prevalence. The blend's weights are fitted on two
 * folds and judged on the third; with one member per group and little data that can cost more than it
 * gains, and then the best member (or the prior) is the honest answer.
 */
export function chooseClassSources(blendOof: Float32Array, candidates: readonly EnsembleMember[], labels: Uint8Array): { classSources: string[]; prior: number[]; sourceMetrics: Record<string, Record<string, number>> } {
  const n = labels.length / N_CLASSES;
  const prior = Array.from({ length: N_CLASSES }, (_, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += labels[i * N_CLASSES + k]!;
    return Math.min(1 - 1e-6, Math.max(1e-6, s / Math.max(n, 1)));
  });
  const priorProbs = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) priorProbs[i] = prior[i % N_CLASSES]!;
  const sources: [string, Float32Array][] = [['blend', blendOof], ...candidates.map((m): [string, Float32Array] => [m.name, m.probs]), ['prior', priorProbs]];
  const sourceMetrics: Record<string, Record<string, number>> = {};
  for (const [name, probs] of sources) sourceMetrics[name] = weightedLogLoss(probs, labels, KAGGLE_EPS).perClass;
  const classSources = LABELS.map((label) => {
    let best = 'blend';
    for (const [name] of sources) if (sourceMetrics[name]![label]! < sourceMetrics[best]![label]!) best = name;
    return best;
  });
  return { classSources, prior, sourceMetrics };
}

/** `blended` with each class column taken from its source (a copy; 'blend' columns unchanged). */
function applyClassSources(blended: Float32Array, classSources: readonly string[] | undefined, prior: readonly number[] | undefined, memberProbs: (name: string) => Float32Array): Float32Array {
  if (!classSources || classSources.every((s) => s === 'blend')) return blended;
  const out = blended.slice();
  const n = out.length / N_CLASSES;
  classSources.forEach((src, k) => {
    if (src === 'blend') return;
    if (src === 'prior') {
      for (let i = 0; i < n; i++) out[i * N_CLASSES + k] = prior![k]!;
      return;
    }
    const p = memberProbs(src);
    for (let i = 0; i < n; i++) out[i * N_CLASSES + k] = p[i * N_CLASSES + k]!;
  });
  return out;
}

/** Fits the safe and (where possible) risky ensembles on out-of-fold member predictions. */
export function buildEnsemble(input: EnsembleInput): EnsembleResult {
  const n = validate(input);
  const { members, labels, imageWeights } = input;
  const bounds = members.map((m) => boundPredictions(m.probs));
  const bounded = bounds.map((b) => b.probs);
  const safe = fitVariant('safe', input, bounded);
  let risky: ReturnType<typeof fitVariant> | null = null;
  let riskySkipped: string | undefined;
  if (!imageWeights) riskySkipped = 'no image weights were given';
  else if (!members.some((m) => m.group === 'A' && m.weighted)) riskySkipped = 'no group A member was fine-tuned with weights';
  else risky = fitVariant('risky', input, bounded);
  const reports: MemberReport[] = members.map((m, j) => {
    const candidateIn: VariantName[] = [];
    const keptIn: VariantName[] = [];
    for (const v of [safe, risky]) {
      if (!v) continue;
      if (v.fit.candidates.includes(m.name)) candidateIn.push(v.fit.variant);
      if (v.fit.kept.includes(m.name)) keptIn.push(v.fit.variant);
    }
    return {
      name: m.name,
      group: m.group,
      weighted: m.weighted,
      candidateIn,
      keptIn,
      metric: { raw: weightedLogLoss(m.probs, labels).loss, bounded: weightedLogLoss(bounded[j]!, labels).loss },
      bounding: countBounding(bounds[j]!),
    };
  });
  const result: EnsembleResult = {
    labels: LABELS,
    members: reports,
    safe: safe.fit,
    risky: risky?.fit ?? null,
    oof: {
      n,
      members: members.map((m, j) => ({ name: m.name, group: m.group, probs: m.probs, bounded: bounded[j]!, rule1: bounds[j]!.rule1, rule2: bounds[j]!.rule2 })),
      safe: safe.oof,
      risky: risky?.oof ?? null,
    },
  };
  if (riskySkipped) result.riskySkipped = riskySkipped;
  return result;
}

/**
 * Predicts new images with a fitted ensemble. `members` maps member names to N x 6 probabilities; every
 * member a variant kept is needed (others are bounded and reported if given, and otherwise ignored).
 */
export function applyEnsemble(fit: EnsembleFit, members: ReadonlyMap<string, Float32Array> | Readonly<Record<string, Float32Array>>): EnsemblePredictions {
  const get = (k: string): Float32Array | undefined => (members instanceof Map ? members.get(k) : (members as Readonly<Record<string, Float32Array>>)[k]);
  const sourceMembers = (v: VariantFit | null): string[] => (v?.classSources ?? []).filter((src) => src !== 'blend' && src !== 'prior');
  const needed = new Set([...fit.safe.kept, ...(fit.risky?.kept ?? []), ...sourceMembers(fit.safe), ...sourceMembers(fit.risky)]);
  const missing = [...needed].filter((k) => !get(k));
  if (missing.length) throw new Error(`ensemble: no predictions for kept member(s) ${missing.join(', ')}`);
  let n = -1;
  const preds: MemberPredictions[] = [];
  for (const report of fit.members) {
    const probs = get(report.name);
    if (!probs) continue;
    if (probs.length % N_CLASSES !== 0 || (n >= 0 && probs.length !== n * N_CLASSES)) {
      throw new Error(`ensemble: member "${report.name}" has ${probs.length} values${n >= 0 ? ` (others have ${n} images x ${N_CLASSES})` : ''}`);
    }
    n = probs.length / N_CLASSES;
    const b = boundPredictions(probs);
    preds.push({ name: report.name, group: report.group, probs, bounded: b.probs, rule1: b.rule1, rule2: b.rule2 });
  }
  const variant = (v: VariantFit): VariantPredictions => {
    const pick = (g: MemberGroup): Float32Array[] => preds.filter((p) => p.group === g && v.kept.includes(p.name)).map((p) => p.bounded);
    const [a, b] = [pick('A'), pick('B')];
    const groupA = meanOf(a.length ? a : b);
    const groupB = meanOf(b.length ? b : a);
    const blended = applyClassSources(applyBlend(v.fit, groupA, groupB), v.classSources, v.prior, (name) => preds.find((p) => p.name === name)!.probs);
    return { groupA, groupB, blended };
  };
  return { n, members: preds, safe: variant(fit.safe), risky: fit.risky ? variant(fit.risky) : null };
}

export interface ImageExplanation {
  index: number;
  labels: readonly string[];
  members: { name: string; group: MemberGroup; raw: number[]; bounded: number[]; rule1: boolean; rule2: boolean; keptIn: VariantName[] }[];
  safe: VariantExplanation;
  risky: VariantExplanation | null;
}

export interface VariantExplanation {
  groupA: number[];
  groupB: number[];
  /** Per class [x_A, x_B], the fold mean. */
  weights: [number, number][];
  blended: number[];
}

/** Everything behind one image's safe and risky probabilities. */
export function explainImage(fit: EnsembleFit, preds: EnsemblePredictions, index: number): ImageExplanation {
  if (!(index >= 0 && index < preds.n)) throw new Error(`ensemble: image ${index} is outside 0..${preds.n - 1}`);
  const keptIn = new Map(fit.members.map((m) => [m.name, m.keptIn]));
  const variant = (v: VariantFit, p: VariantPredictions): VariantExplanation => ({
    groupA: row(p.groupA, index),
    groupB: row(p.groupB, index),
    weights: v.fit.classes.map((c) => c.mean),
    blended: row(p.blended, index),
  });
  return {
    index,
    labels: fit.labels,
    members: preds.members.map((m) => ({
      name: m.name,
      group: m.group,
      raw: row(m.probs, index),
      bounded: row(m.bounded, index),
      rule1: m.rule1[index] === 1,
      rule2: m.rule2[index] === 1,
      keptIn: keptIn.get(m.name) ?? [],
    })),
    safe: variant(fit.safe, preds.safe),
    risky: fit.risky && preds.risky ? variant(fit.risky, preds.risky) : null,
  };
}

/** The image-weighted metric of a prediction, for reports (e.g. the risky blend's target). */
export function weightedMetric(probs: Float32Array, labels: Uint8Array, weights: Float32Array): number {
  return imageWeightedLogLoss(probs, labels, weights, KAGGLE_EPS).loss;
}
