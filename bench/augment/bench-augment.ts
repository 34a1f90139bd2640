/**
 * Augmentation speed: src-ml/data/augment.ts (one composed affine map, sampled once) against the seed's skimage
 * sequence (src-ml/data/reference_augment.py: rotate, shift, rescale, centre crop; Debian /usr/bin/python3 with
 * python3-skimage + python3-numpy) on the same head-like image, in one run:
 *
 *   npx tsx bench/augment/bench-augment.ts [--count N] [--json]
 *
 * Both draw random SE-net training transforms (mean 15, flip, rotate 30, shift 10, zoom 0.2/0.2) and time one
 * image per call after a warm-up; the figure is the median ms per image at 256 and 512 px. The ratio is
 * project / reference: below 1 the project is faster. Single-threaded on both sides.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { augmentImage, SE_TRAIN_AUG } from '../../src-ml/data/augment.ts';
import { createRng } from '../../src-ml/base/random.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REFERENCE = path.resolve(HERE, '../../src-ml/data/reference_augment.py');

function headImage(size: number): Float32Array {
  const img = new Float32Array(size * size);
  const c = size / 2 - 0.5;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot((x - c) / 0.85, y - c) / (size * 0.42);
      img[y * size + x] = r > 1 ? -1000 : r > 0.9 ? 1000 : 30 + 40 * Math.sin(x / 3) * Math.cos(y / 4);
    }
  }
  return img;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function main(): void {
  const args = process.argv.slice(2);
  const countArg = args.indexOf('--count');
  const count = countArg >= 0 ? Number(args[countArg + 1]) : 40;
  const json = args.includes('--json');
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-bench-augment-'));
  const rows: { size: number; projectMs: number; referenceMs: number; ratio: number }[] = [];
  try {
    for (const size of [256, 512]) {
      const src = headImage(size);
      const out = new Float32Array(size * size);
      const rng = createRng(size);
      for (let i = 0; i < 3; i++) augmentImage(src, size, SE_TRAIN_AUG, rng, out);
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        augmentImage(src, size, SE_TRAIN_AUG, rng, out);
        times.push(performance.now() - t0);
      }
      const inPath = path.join(dir, `in-${size}.f32`);
      writeFileSync(inPath, src);
      const r = spawnSync('/usr/bin/python3', [REFERENCE, 'bench', inPath, String(size), String(count), String(size)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`reference_augment.py failed (needs python3-skimage, python3-numpy): ${r.stderr}`);
      const ref = JSON.parse(r.stdout) as { medianMs: number };
      const projectMs = median(times);
      rows.push({ size, projectMs, referenceMs: ref.medianMs, ratio: projectMs / ref.medianMs });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (json) {
    console.log(JSON.stringify({ count, rows }));
    return;
  }
  console.log(`augmentImage vs skimage sequence, median ms per image over ${count} images (ratio = project / reference)`);
  for (const r of rows) console.log(`${String(r.size).padStart(4)} px  project ${r.projectMs.toFixed(2)} ms  skimage ${r.referenceMs.toFixed(2)} ms  ratio ${r.ratio.toFixed(3)}`);
}

main();
