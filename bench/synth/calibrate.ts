// Calibration numbers for the study planner and the difficulty check (not part of the engine):
//   npx tsx bench/synth/calibrate.ts [lesions per type] [heads for the AUC]
// 1) per subtype, the mean number of 5 mm slices with area >= 1 mm^2 over random lesions at uniform
//    severity (and at severity 0); 2) the AUC of the 50-90 HU pixel-count baseline for "any bleed".
import { bloodPixelCount } from '../../src-ml/synth/baseline.ts';
import { headCentre, headZRange, randomHead } from '../../src-ml/synth/anatomy.ts';
import { lesionZRange, randomLesion, type Lesion } from '../../src-ml/synth/lesions.ts';
import { rocAuc } from '../../src-ml/metrics/auc.ts';
import { createRng } from '../../src-ml/base/random.ts';
import { renderSlice } from '../../src-ml/synth/render-slice.ts';
import { SUBTYPES } from '../../src-ml/synth/types.ts';

const perType = Number(process.argv[2] ?? 200);
const aucHeads = Number(process.argv[3] ?? 40);
const size = 256;

function gridFor(head: ReturnType<typeof randomHead>) {
  const c = headCentre(head);
  const sp = 250 / size;
  return { size, spacingMm: sp, originX: -125 + sp / 2, originY: c.y - 125 + sp / 2 };
}

if (perType > 0) {
  for (const type of SUBTYPES) {
    const counts: number[] = [];
    const sev0: number[] = [];
    const maxArea0: number[] = [];
    for (let k = 0; k < perType; k++) {
      const rng = createRng(`cal:${type}:${k}`);
      const head = randomHead(rng.fork('head'));
      const severity = k < perType / 5 ? 0 : rng.next();
      const lesion = randomLesion(rng.fork('lesion'), head, type, severity);
      const { fromMm, toMm } = lesionZRange(lesion);
      const grid = gridFor(head);
      const start = headZRange(head).baseMm + rng.uniform(-4, 6);
      const noise = createRng(k);
      let n = 0;
      let maxA = 0;
      for (let z = start; z < headZRange(head).vertexMm + 5; z += 5) {
        if (z + 2.5 < fromMm || z - 2.5 > toMm) continue;
        const a = renderSlice(head, [lesion], z, 5, grid, noise).areas[type];
        if (a >= 1) n++;
        maxA = Math.max(maxA, a);
      }
      if (severity === 0) {
        sev0.push(n);
        maxArea0.push(maxA);
      } else counts.push(n);
    }
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / Math.max(1, a.length);
    const sorted = [...counts].sort((a, b) => a - b);
    process.stdout.write(`${type.padEnd(17)} slices>=1mm2: mean ${mean(counts).toFixed(2)} (median ${sorted[sorted.length >> 1]}, min ${sorted[0]}, max ${sorted[sorted.length - 1]}); severity 0: mean ${mean(sev0).toFixed(2)} slices, max area mean ${mean(maxArea0).toFixed(0)} mm2, zero-slice ${sev0.filter((x) => x === 0).length}/${sev0.length}\n`);
  }
}

if (aucHeads > 0) {
  const scores: number[] = [];
  const labels: number[] = [];
  for (let h = 0; h < aucHeads; h++) {
    const rng = createRng(`auc:${h}`);
    const head = randomHead(rng.fork('head'));
    const lesions: Lesion[] = [];
    if (h % 2 === 0) {
      const types = SUBTYPES.filter(() => rng.chance(0.35));
      if (!types.length) types.push(rng.pick(SUBTYPES));
      for (const t of types) lesions.push(randomLesion(rng, head, t, rng.next() ** 1.4));
    }
    const grid = gridFor(head);
    const { baseMm, vertexMm } = headZRange(head);
    const noise = createRng(h);
    for (let z = baseMm + rng.uniform(-4, 6); z < vertexMm; z += 5) {
      const s = renderSlice(head, lesions, z, 5, grid, noise);
      scores.push(bloodPixelCount(s.hu, size, size));
      labels.push(SUBTYPES.some((t) => s.areas[t] >= 1) ? 1 : 0);
    }
  }
  const pos = labels.reduce((a, b) => a + b, 0);
  process.stdout.write(`baseline AUC (any) ${rocAuc(scores, labels).toFixed(3)} on ${labels.length} slices, ${pos} positive\n`);
}
