import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../base/random.ts';
import {
  gaussianBlur,
  gaussianKernel,
  mirrorIndex,
  padToSquare,
  prepareImage,
  resizeAntiAliased,
  resizeBilinear,
} from './prepare.ts';

/** Deterministic uniform [0, 1) generator (mulberry32). */
function rng(seed: number): () => number {
  return mulberry32(seed);
}

function randomImage(rows: number, cols: number, seed: number, scale = 1000): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: rows * cols }, () => Math.round((r() - 0.3) * scale));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// Naive references written independently of the implementation: 'mirror' by repeated reflection,
// a direct (non-separable) 2D Gaussian, and bilinear interpolation on the mirror-extended grid.
function reflectOnce(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i > n - 1) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

function naiveBlur(img: ArrayLike<number>, rows: number, cols: number, sr: number, sc: number): Float64Array {
  const kern = (s: number) => {
    if (s <= 1e-15) return [1];
    const rad = Math.trunc(4 * s + 0.5);
    const w = Array.from({ length: 2 * rad + 1 }, (_, k) => Math.exp(-((k - rad) ** 2) / (2 * s * s)));
    const sum = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / sum);
  };
  const kr = kern(sr);
  const kc = kern(sc);
  const rr = (kr.length - 1) / 2;
  const rc = (kc.length - 1) / 2;
  const out = new Float64Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let acc = 0;
      for (let a = 0; a < kr.length; a++) {
        for (let b = 0; b < kc.length; b++) {
          acc += kr[a]! * kc[b]! * img[reflectOnce(y + a - rr, rows) * cols + reflectOnce(x + b - rc, cols)]!;
        }
      }
      out[y * cols + x] = acc;
    }
  }
  return out;
}

function naiveBilinear(img: ArrayLike<number>, rows: number, cols: number, outRows: number, outCols: number): Float64Array {
  const out = new Float64Array(outRows * outCols);
  for (let y = 0; y < outRows; y++) {
    const cy = (y + 0.5) * (rows / outRows) - 0.5;
    const y0 = Math.floor(cy);
    const wy = cy - y0;
    for (let x = 0; x < outCols; x++) {
      const cx = (x + 0.5) * (cols / outCols) - 0.5;
      const x0 = Math.floor(cx);
      const wx = cx - x0;
      const at = (yy: number, xx: number) => img[reflectOnce(yy, rows) * cols + reflectOnce(xx, cols)]!;
      out[y * outCols + x] =
        (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x0 + 1)) + wy * ((1 - wx) * at(y0 + 1, x0) + wx * at(y0 + 1, x0 + 1));
    }
  }
  return out;
}

describe('padToSquare', () => {
  it('centres a wide image and fills with the value at [0,0]', () => {
    const { data, size } = padToSquare([7, 1, 2, 3, 4, 5, 6, 8], 2, 4);
    expect(size).toBe(4);
    expect(Array.from(data)).toEqual([7, 7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 8, 7, 7, 7, 7]);
  });

  it('puts the extra row/column of an odd difference after the image (numpy pad (d//2, d - d//2))', () => {
    // 1 row x 6 cols: rows pad (2, 3).
    const wide = padToSquare([9, 1, 2, 3, 4, 5], 1, 6);
    expect(Array.from(wide.data.subarray(0, 12))).toEqual([9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
    expect(Array.from(wide.data.subarray(12, 18))).toEqual([9, 1, 2, 3, 4, 5]);
    expect(Array.from(wide.data.subarray(18))).toEqual(Array<number>(18).fill(9));
    // 5 rows x 2 cols: columns pad (1, 2).
    const tall = padToSquare([-1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5, 2);
    expect(tall.size).toBe(5);
    const rowsOf = (d: Float64Array) => Array.from({ length: 5 }, (_, r) => Array.from(d.subarray(r * 5, r * 5 + 5)));
    expect(rowsOf(tall.data)).toEqual([
      [-1, -1, 2, -1, -1],
      [-1, 3, 4, -1, -1],
      [-1, 5, 6, -1, -1],
      [-1, 7, 8, -1, -1],
      [-1, 9, 10, -1, -1],
    ]);
  });

  it('returns square input unchanged', () => {
    expect(Array.from(padToSquare([1, 2, 3, 4], 2, 2).data)).toEqual([1, 2, 3, 4]);
  });

  it('rejects inconsistent dimensions', () => {
    expect(() => padToSquare([1, 2, 3], 2, 2)).toThrow(RangeError);
    expect(() => padToSquare([1, 2], 0, 2)).toThrow(RangeError);
  });
});

describe('mirror boundary', () => {
  it("matches scipy.ndimage 'mirror' (cbabcdcb|abcd|cbabcdcb)", () => {
    const letters = 'abcd';
    const ext = Array.from({ length: 20 }, (_, k) => letters[mirrorIndex(k - 8, 4)]).join('');
    expect(ext).toBe('cbabcdcbabcdcbabcdcb');
    expect(mirrorIndex(-5, 1)).toBe(0);
  });
});

describe('gaussianBlur', () => {
  it('uses scipy kernel radius int(4 sigma + 0.5) and normalised weights', () => {
    expect(gaussianKernel(0.5)).toHaveLength(5);
    expect(gaussianKernel(1)).toHaveLength(9);
    expect(gaussianKernel(1.125)).toHaveLength(11);
    const k = gaussianKernel(0.5);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    // exp(-2) / (1 + 2 exp(-2) + 2 exp(-8)) by hand.
    expect(k[1]).toBeCloseTo(Math.exp(-2) / (1 + 2 * Math.exp(-2) + 2 * Math.exp(-8)), 15);
  });

  it('agrees with a direct 2D convolution, including images narrower than the kernel', () => {
    for (const [rows, cols, sr, sc] of [
      [37, 53, 0.578125, 0.328125],
      [3, 7, 1.7, 0.5],
      [1, 6, 2, 2],
      [9, 2, 0, 3.2],
    ] as const) {
      const img = randomImage(rows, cols, rows * 100 + cols);
      expect(maxAbsDiff(gaussianBlur(img, rows, cols, sr, sc), naiveBlur(img, rows, cols, sr, sc))).toBeLessThan(1e-9);
    }
  });

  it('keeps a constant image constant', () => {
    const out = gaussianBlur(new Float64Array(40).fill(-1024), 5, 8, 1.3, 2.1);
    expect(maxAbsDiff(out, new Float64Array(40).fill(-1024))).toBeLessThan(1e-9);
  });
});

describe('resizeBilinear / resizeAntiAliased', () => {
  it('upsamples 2x2 -> 4x4 with mirrored pixel-centre sampling (skimage mode=reflect)', () => {
    // Input coordinates (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 mirror to 0.25, 0.25, 0.75, 0.75.
    const out = resizeAntiAliased([0, 1, 2, 3], 2, 2, 4, 4);
    expect(Array.from(out)).toEqual([
      0.75, 0.75, 1.25, 1.25,
      0.75, 0.75, 1.25, 1.25,
      1.75, 1.75, 2.25, 2.25,
      1.75, 1.75, 2.25, 2.25,
    ]);
  });

  it('upsamples 3x1 -> 6x2 by hand', () => {
    // Rows: coordinates -0.25, 0.25, 0.75, 1.25, 1.75, 2.25 -> mirrored 0.25, 0.25, 0.75, 1.25, 1.75, 1.75.
    const out = resizeBilinear([0, 10, 40], 3, 1, 6, 2);
    expect(Array.from(out)).toEqual([2.5, 2.5, 2.5, 2.5, 7.5, 7.5, 17.5, 17.5, 32.5, 32.5, 32.5, 32.5]);
  });

  it('is the identity at the same size', () => {
    const img = randomImage(6, 9, 1);
    expect(Array.from(resizeAntiAliased(img, 6, 9, 6, 9))).toEqual(Array.from(img));
  });

  it('agrees with naive blur + bilinear references for down- and upsampling', () => {
    for (const [rows, cols, outRows, outCols] of [
      [37, 53, 32, 32],
      [37, 53, 64, 64],
      [16, 16, 5, 7],
      [2, 9, 4, 3],
    ] as const) {
      const img = randomImage(rows, cols, rows + cols);
      const sr = Math.max(0, (rows / outRows - 1) / 2);
      const sc = Math.max(0, (cols / outCols - 1) / 2);
      const ref = naiveBilinear(naiveBlur(img, rows, cols, sr, sc), rows, cols, outRows, outCols);
      expect(maxAbsDiff(resizeAntiAliased(img, rows, cols, outRows, outCols), ref)).toBeLessThan(1e-9);
    }
  });

  it('keeps a constant image constant at any size', () => {
    for (const out of [1, 3, 16, 40]) {
      const r = resizeAntiAliased(new Float64Array(25 * 25).fill(37.5), 25, 25, out, out);
      expect(r.every((v) => v === 37.5)).toBe(true);
    }
  });

  it('smooths a downsampled checkerboard instead of aliasing it', () => {
    const n = 36;
    const board = Float64Array.from({ length: n * n }, (_, i) => ((Math.floor(i / n) + (i % n)) % 2) * 100);
    const plain = resizeBilinear(board, n, n, 16, 16);
    const smooth = resizeAntiAliased(board, n, n, 16, 16);
    const spread = (a: Float64Array) => Math.max(...a) - Math.min(...a);
    // Without the blur the 2.25x decimation keeps a strong beat pattern; with it values stay near 50.
    expect(spread(plain)).toBeGreaterThan(20);
    expect(spread(smooth)).toBeLessThan(spread(plain) / 4);
    for (const v of smooth) expect(Math.abs(v - 50)).toBeLessThan(5);
    // An integer factor samples exactly between the blurred squares: every output is 50.
    for (const v of resizeAntiAliased(board, n, n, 18, 18)) expect(v).toBeCloseTo(50, 9);
  });
});

describe('prepareImage', () => {
  it('pads with the raw [0,0] value, then converts to HU', () => {
    // 1 x 3 stored values, slope 2, intercept -1024; raw [0,0] = 5 fills the pad and becomes -1014.
    const out = prepareImage(Int16Array.from([5, 100, 200]), 1, 3, { slope: 2, intercept: -1024 }, 3);
    expect(Array.from(out)).toEqual([-1014, -1014, -1014, -1014, -824, -624, -1014, -1014, -1014]);
  });

  it('returns float32 HU without resizing when already outSize', () => {
    const stored = Uint16Array.from([0, 1, 2, 3]);
    const out = prepareImage(stored, 2, 2, { slope: 1, intercept: -1024 }, 2);
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(out)).toEqual([-1024, -1023, -1022, -1021]);
  });

  it('pads, rescales and resizes in that order', () => {
    const rows = 20;
    const cols = 26;
    const stored = randomImage(rows, cols, 42, 2000);
    const rescale = { slope: 1.5, intercept: -1024 };
    const { data, size } = padToSquare(stored, rows, cols);
    const hu = data.map((v) => 1.5 * v - 1024);
    const expected = Float32Array.from(resizeAntiAliased(hu, size, size, 16, 16));
    expect(Array.from(prepareImage(stored, rows, cols, rescale, 16))).toEqual(Array.from(expected));
  });

  it('resizes a 512x512 slice to 256 quickly', () => {
    const stored = Int16Array.from(randomImage(512, 512, 3, 3000));
    prepareImage(stored, 512, 512, { slope: 1, intercept: -1024 }, 256); // warm-up (JIT)
    const t0 = performance.now();
    const runs = 5;
    for (let i = 0; i < runs; i++) prepareImage(stored, 512, 512, { slope: 1, intercept: -1024 }, 256);
    const perSlice = (performance.now() - t0) / runs;
    // Generous bound for loaded CI machines; typically a few ms.
    expect(perSlice).toBeLessThan(100);
  });
});

// Cross-check against scikit-image itself when Debian's python3-skimage is importable. It is not
// installed by this project; without it the test is skipped.
const PYTHON = '/usr/bin/python3';
const skimageProbe = spawnSync(PYTHON, ['-c', 'import skimage, numpy'], { encoding: 'utf8' });
const hasSkimage = skimageProbe.status === 0;
const skipReason = hasSkimage ? '' : ` [skipped: skimage not importable from ${PYTHON}]`;

describe('skimage cross-check', () => {
  it.skipIf(!hasSkimage)(`matches skimage.transform.resize on a random 37x53 image${skipReason}`, () => {
    const rows = 37;
    const cols = 53;
    const img = randomImage(rows, cols, 2019, 3000);
    const script = `
import json, sys
import numpy as np
from skimage.transform import resize
d = json.load(sys.stdin)
img = np.array(d['img'], dtype=np.float64).reshape(d['rows'], d['cols'])
out = {}
for n in (32, 64):
    out['direct%d' % n] = resize(img, (n, n), order=1, mode='reflect', anti_aliasing=True, preserve_range=True).ravel().tolist()
    diff = img.shape[1] - img.shape[0]
    sq = np.pad(img, ((diff // 2, diff - diff // 2), (0, 0)), mode='constant', constant_values=img[0, 0])
    out['prepared%d' % n] = resize(sq * 1.25 - 1000, (n, n), order=1, mode='reflect', anti_aliasing=True, preserve_range=True).ravel().tolist()
json.dump(out, sys.stdout)
`;
    const res = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify({ img: Array.from(img), rows, cols }), encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const ref = JSON.parse(res.stdout) as Record<string, number[]>;
    for (const n of [32, 64]) {
      const direct = maxAbsDiff(resizeAntiAliased(img, rows, cols, n, n), ref[`direct${n}`]!);
      const prepared = maxAbsDiff(prepareImage(img, rows, cols, { slope: 1.25, intercept: -1000 }, n), ref[`prepared${n}`]!);
      console.log(`skimage cross-check ${rows}x${cols} -> ${n}x${n}: max |diff| resize ${direct.toExponential(2)}, prepareImage ${prepared.toExponential(2)}`);
      expect(direct).toBeLessThan(1e-3);
      expect(prepared).toBeLessThan(1e-3);
    }
  });
});
