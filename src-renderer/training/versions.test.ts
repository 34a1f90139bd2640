// The compare rows, the version a job made, and the promote warning rule (lower metric is better). The
// stage list against the pipeline's: src-ml/train/report-stages.test.ts (this side imports only engine types).
import { describe, expect, it } from 'vitest';
import { trainState, versionOf } from '../test/fixtures.ts';
import { REPORT_STAGES } from '../../src-shared/stages.ts';
import { activateVerb, compareRows, promoteWarnings, versionOfJob, worseThan } from './versions.ts';

describe('model versions in the panel', () => {
  it('compare rows: per stage, the candidate against its baseline and the reference', () => {
    const cand = versionOf('v2', 'candidate', { safe: 0.15, risky: 0.25, baseline: 0.2 });
    const act = versionOf('v1', 'active', { safe: 0.1, baseline: 0.18 });
    const rows = compareRows(cand, act);
    expect(rows.map((r) => r.stage)).toEqual([...REPORT_STAGES]);
    const safe = rows.find((r) => r.stage === 'ensemble-safe')!;
    expect([safe.candidate?.oofMetric, safe.reference?.oofMetric, safe.candidateWorseThanBaseline, safe.candidateWorseThanReference]).toEqual([0.15, 0.1, false, true]);
    const risky = rows.find((r) => r.stage === 'ensemble-risky')!;
    expect([risky.candidateWorseThanBaseline, risky.candidateWorseThanReference, risky.referenceWorseThanBaseline]).toEqual([true, true, false]);
    // without a reference: the candidate alone
    expect(compareRows(cand, null).every((r) => r.reference === undefined && !r.candidateWorseThanReference)).toBe(true);
    expect(worseThan(0.2, 0.1)).toBe(true);
    expect(worseThan(0.1, 0.1)).toBe(false);
    expect(worseThan(0.1005, 0.1, 1e-3)).toBe(false);
    expect(worseThan(undefined, 0.1)).toBe(false);
  });

  it('the version a job made: the one its report names, else the first made after it started', () => {
    const versions = [
      versionOf('v3', 'candidate', { safe: 0.1, createdAt: '2026-11-30T12:00:00.000Z' }),
      versionOf('v2', 'candidate', { safe: 0.1, createdAt: '2026-11-30T11:00:00.000Z' }),
      versionOf('v1', 'active', { safe: 0.1, createdAt: '2026-11-30T09:00:00.000Z' }),
    ];
    const job = trainState('t1', { status: 'done', startedAt: '2026-11-30T10:00:00.000Z' });
    expect(versionOfJob(job, versions)?.version).toBe('v2');
    expect(versionOfJob({ ...job, report: { baseline: 0.2, stages: [], version: 'v3' } }, versions)?.version).toBe('v3');
    expect(versionOfJob({ ...job, startedAt: '2026-11-30T13:00:00.000Z' }, versions)).toBeUndefined();
  });

  it('promote warnings: an ensemble worse than the baseline or than the active version; none when better', () => {
    const active = versionOf('v1', 'active', { safe: 0.1, baseline: 0.2 });
    expect(promoteWarnings(versionOf('v2', 'candidate', { safe: 0.09, baseline: 0.2 }), active)).toEqual([]);
    expect(promoteWarnings(versionOf('v2', 'candidate', { safe: 0.09 }), null)).toEqual([]);
    expect(promoteWarnings(active, active)).toEqual([]);
    // worse than the active version on ensemble-safe only
    expect(promoteWarnings(versionOf('v2', 'candidate', { safe: 0.12, risky: 0.08, baseline: 0.2 }), active))
      .toEqual(["v2's ensemble-safe (0.1200) is worse than active v1's (0.1000)"]);
    // worse than the prevalence on both ensembles (and than v1); measured on other data: said too
    expect(promoteWarnings(versionOf('v2', 'candidate', { safe: 0.25, baseline: 0.2, images: 40 }), active)).toEqual([
      "v2's ensemble-safe (0.2500) is worse than predicting the prevalence (0.2000)",
      "v2's ensemble-risky (0.2500) is worse than predicting the prevalence (0.2000)",
      "v2's ensemble-safe (0.2500) is worse than active v1's (0.1000)",
      "v2's ensemble-risky (0.2500) is worse than active v1's (0.1000)",
      'out-of-fold metrics measured on different data: 40 images for v2, 100 for v1',
    ]);
    // the first version, worse than the prevalence: warned without an active one
    expect(promoteWarnings(versionOf('v1', 'candidate', { safe: 0.3, risky: 0.1, baseline: 0.2 }), null))
      .toEqual(["v1's ensemble-safe (0.3000) is worse than predicting the prevalence (0.2000)"]);
    // no report: cannot be judged
    expect(promoteWarnings({ ...versionOf('v2', 'archived'), report: null }, active)).toEqual(['v2 has no ensemble report: its quality is unknown']);
  });

  it('making a version active: promote a candidate, roll back to an older one, re-activate a newer archived one', () => {
    expect(activateVerb(versionOf('v3', 'candidate'), 'v2')).toBe('promote');
    expect(activateVerb(versionOf('v1', 'archived'), 'v2')).toBe('rollback');
    expect(activateVerb(versionOf('v10', 'archived'), 'v9')).toBe('reactivate');
    expect(activateVerb(versionOf('v9', 'archived'), 'v10')).toBe('rollback');
  });
});
