// Render-time benchmark (not part of the engine): median ms per slice over whole heads, after warm-up.
//   npx tsx bench/synth/render-time.ts [size]
import { headCentre, headZRange, randomHead } from '../../src-ml/synth/anatomy.ts';
import { createRng } from '../../src-ml/base/random.ts';
import { renderSlice } from '../../src-ml/synth/render-slice.ts';
const size = Number(process.argv[2] ?? 256);
const all: number[] = [];
for (let h = 0; h < 3; h++) {
  const head = randomHead(createRng(`bench:${h}`));
  const { baseMm, vertexMm } = headZRange(head);
  const c = headCentre(head);
  const sp = 250 / size;
  const grid = { size, spacingMm: sp, originX: -125 + sp / 2, originY: c.y - 125 + sp / 2 };
  const noise = createRng(1);
  for (let z = baseMm + 1; z < vertexMm; z += 5) renderSlice(head, [], z, 5, grid, noise);
  const ts: number[] = [];
  for (let z = baseMm + 1; z < vertexMm; z += 5) { const t0 = performance.now(); renderSlice(head, [], z, 5, grid, noise); ts.push(performance.now() - t0); }
  all.push(...ts);
  const lo = ts.slice(0, 8).map((t) => t.toFixed(1)).join(' ');
  console.log(`head ${h}: low slices ${lo} | median ${[...ts].sort((a, b) => a - b)[ts.length >> 1]!.toFixed(2)}`);
}
all.sort((a, b) => a - b);
console.log(`size ${size}: n=${all.length} median ${all[all.length >> 1]!.toFixed(2)} p90 ${all[Math.floor(all.length * 0.9)]!.toFixed(2)}`);
