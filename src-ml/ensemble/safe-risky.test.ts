import { describe, expect, it } from 'vitest';
import { weightedLogLoss } from '../metrics/log-loss.ts';
import { applyBlend, fitBlend, meanOf } from './blend.ts';
import { boundPredictions } from './bounding.ts';
import { backwardElimination } from './elimination.ts';
import { applyEnsemble, buildEnsemble, explainImage, type EnsembleMember } from './safe-risky.ts';
import { noisyModel, syntheticImages } from './test-data.ts';

describe('buildEnsemble (safe and risky)', () => {
  const n = 1200;
  const { labels, truth } = syntheticImages(31, n, 0);
  const folds = new Int32Array(n).map((_, i) => i % 3);
  const imageWeights = new Float32Array(n).map((_, i) => 0.5 + (i % 4) / 2);
  const members: EnsembleMember[] = [
    { name: 'a1', group: 'A', weighted: false, probs: noisyModel(truth, 1, 0.5) },
    { name: 'a2', group: 'A', weighted: false, probs: noisyModel(truth, 2, 0.6) },
    { name: 'a-bad', group: 'A', weighted: false, probs: noisyModel(truth, 3, 3) },
    { name: 'a1w', group: 'A', weighted: true, probs: noisyModel(truth, 4, 0.5) },
    { name: 'a2w', group: 'A', weighted: true, probs: noisyModel(truth, 5, 0.6) },
    { name: 'b1', group: 'B', weighted: false, probs: noisyModel(truth, 6, 0.7) },
    { name: 'b2', group: 'B', weighted: false, probs: noisyModel(truth, 7, 0.8) },
  ];
  const byName = new Map(members.map((m) => [m.name, m]));
  const result = buildEnsemble({ members, labels, folds, imageWeights });

  it('safe uses the unweighted members, risky the weighted group A members and the same group B', () => {
    expect(result.safe.candidates).toEqual(['a1', 'a2', 'a-bad', 'b1', 'b2']);
    expect(result.risky?.candidates).toEqual(['a1w', 'a2w', 'b1', 'b2']);
    expect(result.safe.weightedFit).toBe(false);
    expect(result.risky?.weightedFit).toBe(true);
    expect(result.members.find((m) => m.name === 'b1')?.candidateIn).toEqual(['safe', 'risky']);
  });

  it('elimination runs unweighted and weighted, keeps the union, and drops the bad member', () => {
    const raw = result.safe.candidates.map((k) => byName.get(k)!.probs);
    const u = backwardElimination(raw, labels);
    const w = backwardElimination(raw, labels, imageWeights);
    expect(result.safe.elimination.unweighted.kept).toEqual(u.kept);
    expect(result.safe.elimination.weighted?.kept).toEqual(w.kept);
    const union = new Set([...u.kept, ...w.kept].map((j) => result.safe.candidates[j]!));
    expect(result.safe.kept).toEqual(result.safe.candidates.filter((k) => union.has(k)));
    expect(result.safe.kept).not.toContain('a-bad');
    expect(result.safe.elimination.unweighted.droppedNames).toContain('a-bad');
    expect(result.members.find((m) => m.name === 'a-bad')?.keptIn).toEqual([]);
    expect(result.safe.restored).toEqual([]);
  });

  it('the blend is fitted on the group means of the kept, bounded members (risky with the image weights)', () => {
    for (const v of [result.safe, result.risky!]) {
      const mean = (g: 'A' | 'B'): Float32Array => meanOf(v.kept.filter((k) => byName.get(k)!.group === g).map((k) => boundPredictions(byName.get(k)!.probs).probs));
      const direct = fitBlend(mean('A'), mean('B'), labels, folds, v.weightedFit ? imageWeights : undefined);
      expect(v.fit.classes).toEqual(direct.classes);
      expect(v.fit.cvMetric).toBe(direct.cvMetric);
      expect(v.meanMetric.bounded).toBeCloseTo(weightedLogLoss(meanOf(v.kept.map((k) => boundPredictions(byName.get(k)!.probs).probs)), labels).loss, 10);
    }
    expect(result.risky?.fit.cvWeightedMetric).toBeGreaterThan(0);
    // A blend of the two groups beats every single member out of fold.
    for (const m of result.members) expect(result.safe.fit.cvMetric).toBeLessThan(m.metric.raw);
  });

  it('applyEnsemble and explainImage give the viewer every step for one image', () => {
    const preds = applyEnsemble(result, Object.fromEntries(members.map((m) => [m.name, m.probs])));
    expect(preds.n).toBe(n);
    // Each class from its source: the blend, or (where the blend did not pay out of fold) a member or the prior.
    const plain = applyBlend(result.safe.fit, result.oof.safe.groupA, result.oof.safe.groupB);
    result.safe.classSources!.forEach((src, k) => {
      const want = src === 'blend' ? plain : src === 'prior' ? new Float32Array(plain.length).fill(result.safe.prior![k]!) : byName.get(src)!.probs;
      for (let i = 0; i < n; i++) expect(preds.safe.blended[i * 6 + k]).toBe(want[i * 6 + k]);
    });
    const i = 17;
    const e = explainImage(result, preds, i);
    const a1 = boundPredictions(byName.get('a1')!.probs);
    const m = e.members.find((x) => x.name === 'a1')!;
    expect(m.bounded).toEqual(Array.from(a1.probs.subarray(i * 6, i * 6 + 6)));
    expect(m.rule1).toBe(a1.rule1[i] === 1);
    expect(m.rule2).toBe(a1.rule2[i] === 1);
    expect(m.keptIn).toEqual(['safe']);
    e.safe.blended.forEach((p, k) => {
      if (result.safe.classSources![k] !== 'blend') return;
      const [xa, xb] = e.safe.weights[k]!;
      expect(p).toBeCloseTo(xa * e.safe.groupA[k]! + xb * e.safe.groupB[k]!, 6);
    });
    expect(e.risky?.weights).toHaveLength(6);
    // A kept member without predictions is an error that names it.
    expect(() => applyEnsemble(result, new Map([['a1', byName.get('a1')!.probs]]))).toThrow(/a2/);
  });

  it('no image weights: no risky variant, with the reason; an emptied group gets its best member back', () => {
    const onlyBadB: EnsembleMember[] = [
      members[0]!,
      members[1]!,
      { name: 'b-bad', group: 'B', weighted: false, probs: noisyModel(truth, 8, 4) },
    ];
    const r = buildEnsemble({ members: onlyBadB, labels, folds });
    expect(r.risky).toBeNull();
    expect(r.riskySkipped).toMatch(/image weights/);
    expect(r.safe.elimination.unweighted.droppedNames).toContain('b-bad');
    expect(r.safe.restored).toEqual(['b-bad']);
    expect(r.safe.kept).toContain('b-bad');
  });

  it('refuses inconsistent inputs', () => {
    expect(() => buildEnsemble({ members: [members[0]!, members[0]!], labels, folds })).toThrow(/two members/);
    expect(() => buildEnsemble({ members: [{ ...members[5]!, weighted: true }], labels, folds })).toThrow(/only group A/);
  });

  it('per class, the blend falls back to the best member or the prior when it does not pay out of fold', () => {
    for (const v of [result.safe, result.risky!]) {
      const m = v.sourceMetrics!;
      v.classSources!.forEach((src, k) => {
        const label = result.labels[k]!;
        for (const other of Object.keys(m)) expect(m[src]![label]!).toBeLessThanOrEqual(m[other]![label]!);
      });
    }
    // The variant's out-of-fold output is never worse than its best candidate alone, nor than the prior.
    const safeLoss = weightedLogLoss(result.oof.safe.blended, labels).loss;
    for (const name of result.safe.candidates) expect(safeLoss).toBeLessThanOrEqual(weightedLogLoss(byName.get(name)!.probs, labels).loss + 1e-9);
    // Members that are noise only: every class falls back to the prior.
    const noise: EnsembleMember[] = [
      { name: 'na', group: 'A', weighted: false, probs: noisyModel(truth, 11, 30) },
      { name: 'nb', group: 'B', weighted: false, probs: noisyModel(truth, 12, 30) },
    ];
    const r = buildEnsemble({ members: noise, labels, folds });
    const prior = weightedLogLoss(new Float32Array(labels.length).map((_, i) => r.safe.prior![i % 6]!), labels).loss;
    expect(weightedLogLoss(r.oof.safe.blended, labels).loss).toBeLessThanOrEqual(prior + 1e-9);
  });

  it('excluded members (worse than the prevalence) are no candidates; a group without candidates is stood in for by the other', () => {
    const r = buildEnsemble({ members: [members[0]!, members[1]!, { ...members[5]!, excluded: true }], labels, folds });
    expect(r.safe.kept).toEqual(['a1', 'a2']);
    expect(r.safe.classSources).not.toContain('b1');
    const onlyA = buildEnsemble({ members: [members[0]!, members[1]!], labels, folds });
    expect(onlyA.safe.kept).toEqual(['a1', 'a2']);
    expect(weightedLogLoss(onlyA.oof.safe.blended, labels).loss).toBeLessThanOrEqual(weightedLogLoss(members[0]!.probs, labels).loss + 1e-9);
  });
});
