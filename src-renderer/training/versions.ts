// Model versions as the panel reads them: which version a finished training job made, the compare table's
// rows (a candidate's out-of-fold metric per stage beside a reference version's and the prevalence baseline),
// and the promote warning rule. Pure functions over the engine's VersionSummary; the metric is a loss, so
// higher is worse.
import type { TrainJobState, VersionReport, VersionSummary } from '../../src-ml/api/training.ts';
import { ENSEMBLE_STAGES, REPORT_STAGES } from '../../src-shared/stages.ts';

type Stage = VersionReport['stages'][number];

export function stageOf(v: VersionSummary | null | undefined, name: string): Stage | undefined {
  return v?.report?.stages.find((s) => s.name === name);
}

const finite = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);

/** Worse than predicting the prevalence (the engine's flag when the report has it, else the numbers). */
export function worseThanBaseline(report: VersionReport | null | undefined, stage: Stage | undefined): boolean {
  if (!report || !stage) return false;
  if (stage.worseThanBaseline !== undefined) return stage.worseThanBaseline;
  return finite(stage.oofMetric) && finite(report.baseline) && stage.oofMetric > report.baseline;
}

/** a's metric is worse (higher) than b's, by more than `tolerance`; false when either is missing. */
export function worseThan(a: number | undefined, b: number | undefined, tolerance = 0): boolean {
  return finite(a) && finite(b) && a > b + tolerance;
}

/**
 * Per class, a label no image has gives the prevalence a loss of ~0 that any model "loses" to by a hair:
 * per-class cells are marked worse than the prevalence only beyond this.
 */
export const PER_CLASS_TOLERANCE = 1e-3;

/**
 * The version a finished training job made: the one its report names, else the oldest version created
 * after the job started (a run makes at most one). Undefined when it made none (no ensembles stage).
 */
export function versionOfJob(job: TrainJobState, versions: readonly VersionSummary[]): VersionSummary | undefined {
  const named = job.report?.version;
  if (named) return versions.find((v) => v.version === named);
  const after = versions.filter((v) => v.createdAt >= job.startedAt);
  return after.at(-1);
}

export interface CompareRow {
  stage: string;
  candidate: Stage | undefined;
  reference: Stage | undefined;
  candidateWorseThanBaseline: boolean;
  referenceWorseThanBaseline: boolean;
  candidateWorseThanReference: boolean;
}

/** One row per report stage either version has, in pipeline order. */
export function compareRows(candidate: VersionSummary, reference: VersionSummary | null): CompareRow[] {
  const names = REPORT_STAGES.filter((s) => stageOf(candidate, s) || stageOf(reference, s));
  return names.map((stage) => {
    const c = stageOf(candidate, stage);
    const r = stageOf(reference, stage);
    return {
      stage, candidate: c, reference: r,
      candidateWorseThanBaseline: worseThanBaseline(candidate.report, c),
      referenceWorseThanBaseline: worseThanBaseline(reference?.report, r),
      candidateWorseThanReference: worseThan(c?.oofMetric, r?.oofMetric),
    };
  });
}

const f4 = (x: number) => x.toFixed(4);

/** How many labelled images a version's report (or fingerprint) measured on. */
export function imagesOf(v: VersionSummary): number | undefined {
  const n = v.report?.images ?? v.fingerprint.images;
  return typeof n === 'number' ? n : undefined;
}

/**
 * Why making `target` active deserves a second look, one line each; empty when it does not. Looks at the
 * ensembles (what predictions come from): worse than the prevalence baseline, or worse than the active
 * version's same ensemble. A version without a report cannot be judged, which is a reason too.
 */
export function promoteWarnings(target: VersionSummary, active: VersionSummary | null): string[] {
  if (active && target.version === active.version) return [];
  const report = target.report;
  const ensembles = ENSEMBLE_STAGES.map((name) => stageOf(target, name)).filter((s): s is Stage => s !== undefined);
  if (!report || ensembles.length === 0) return [`${target.version} has no ensemble report: its quality is unknown`];
  const out: string[] = [];
  for (const s of ensembles) {
    if (worseThanBaseline(report, s)) {
      out.push(`${target.version}'s ${s.name} (${f4(s.oofMetric)}) is worse than predicting the prevalence (${f4(report.baseline)})`);
    }
  }
  if (active) {
    for (const s of ensembles) {
      const a = stageOf(active, s.name);
      if (a && worseThan(s.oofMetric, a.oofMetric)) {
        out.push(`${target.version}'s ${s.name} (${f4(s.oofMetric)}) is worse than active ${active.version}'s (${f4(a.oofMetric)})`);
      }
    }
    const [ti, ai] = [imagesOf(target), imagesOf(active)];
    if (out.length > 0 && ti !== undefined && ai !== undefined && ti !== ai) {
      out.push(`out-of-fold metrics measured on different data: ${ti} images for ${target.version}, ${ai} for ${active.version}`);
    }
  }
  return out;
}

const seq = (version: string): number => Number(/^v(\d+)$/.exec(version)?.[1] ?? NaN);

/** What making `v` active is called: promote (a candidate), roll back (an older archived one), or re-activate a newer archived one. */
export function activateVerb(v: VersionSummary, active: string | null): 'promote' | 'rollback' | 'reactivate' {
  if (v.status === 'candidate') return 'promote';
  return active !== null && seq(v.version) < seq(active) ? 'rollback' : 'reactivate';
}
