import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { GE_DIR, hasCommand, tempDir } from '../testing/fixtures.ts';
import { readSliceHeaders } from './header.ts';
import { parseDicomBytes } from './parse.ts';
import { decodeFrameStored, initCodecsFor, storedToHu } from './pixels.ts';
import { encodeGrayPng, encodeOverlayPng, maskOutline, renderWindowedGray } from './render-png.ts';

describe('renderWindowedGray: the linear VOI LUT of PS3.3 C.11.2.1.2.1', () => {
  it('maps c - 0.5 - (w-1)/2 and below to 0, above c - 0.5 + (w-1)/2 to 255, linear between', () => {
    // Brain window: c 40, w 80 -> 0 at or below 0 HU, 255 above 79 HU.
    const hu = Float32Array.from([-1000, 0, 0.01, 39.5, 79, 79.01, 3000, Number.NaN]);
    expect([...renderWindowedGray(hu, 1, 8, 40, 80)]).toEqual([0, 0, 0, 128, 255, 255, 255, 0]);
    const ramp = Float32Array.from({ length: 80 }, (_, i) => i);
    const y = renderWindowedGray(ramp, 8, 10, 40, 80);
    for (let i = 0; i < 80; i++) expect(y[i]).toBe(Math.round((((i - 39.5) / 79) + 0.5) * 255));
  });

  it('treats width 1 as a threshold at c - 0.5, and inverts for MONOCHROME1', () => {
    expect([...renderWindowedGray(Float32Array.from([39, 39.5, 39.6, 41]), 2, 2, 40, 1)]).toEqual([0, 0, 255, 255]);
    expect([...renderWindowedGray(Float32Array.from([-1000, 39.5, 3000]), 1, 3, 40, 80, { invert: true })]).toEqual([255, 127, 0]);
  });

  it('refuses a size mismatch or a width below 1', () => {
    expect(() => renderWindowedGray(new Float32Array(5), 2, 3, 40, 80)).toThrow('HU image has 5 values, 2 rows x 3 columns need 6');
    expect(() => renderWindowedGray(new Float32Array(6), 2, 3, 40, 0.5)).toThrow('width must be at least 1');
  });

  it.skipIf(!hasCommand('dcm2pnm'))('agrees with dcmtk dcm2pnm (which truncates where we round) within 1 on a real slice', async () => {
    const file = path.join(GE_DIR, '14.dcm');
    const parsed = parseDicomBytes(new Uint8Array(readFileSync(file)));
    await initCodecsFor(parsed.transferSyntaxUid);
    const h = readSliceHeaders(parsed.dataSet)[0]!;
    const hu = storedToHu(decodeFrameStored(parsed, 0), h.rescaleSlope, h.rescaleIntercept);
    const t = tempDir();
    try {
      for (const [c, w] of [[40, 80], [600, 2800], [80, 200]] as const) {
        const pgm = path.join(t.dir, 'x.pgm');
        execFileSync('dcm2pnm', ['+Ww', String(c), String(w), '+Wfl', '+op', file, pgm]);
        const bytes = readFileSync(pgm);
        const theirs = bytes.subarray(bytes.length - 512 * 512);
        const ours = renderWindowedGray(hu, 512, 512, c, w);
        let worst = 0;
        for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!));
        expect(worst, `${c}/${w}`).toBeLessThanOrEqual(1);
      }
    } finally {
      t.cleanup();
    }
  });
});

describe('encodeGrayPng', () => {
  it('round-trips through a PNG decoder: 8-bit, one channel, columns wide and rows high', () => {
    const gray = Uint8Array.from({ length: 3 * 5 }, (_, i) => i * 17);
    const png = decode(encodeGrayPng(gray, 3, 5));
    expect({ width: png.width, height: png.height, depth: png.depth, channels: png.channels }).toEqual({ width: 5, height: 3, depth: 8, channels: 1 });
    expect([...png.data]).toEqual([...gray]);
    expect(() => encodeGrayPng(gray, 5, 5)).toThrow('gray image has 15 values, 5 rows x 5 columns need 25');
  });
});

describe('mask outlines', () => {
  const square = (rows: number, cols: number, r0: number, c0: number, size: number) =>
    Uint8Array.from({ length: rows * cols }, (_, i) => {
      const r = Math.floor(i / cols);
      const c = i % cols;
      return r >= r0 && r < r0 + size && c >= c0 && c < c0 + size ? 1 : 0;
    });
  const cells = (m: Uint8Array, cols: number) => [...m].flatMap((v, i) => (v ? [[Math.floor(i / cols), i % cols]] : []));

  it('keeps the inside pixels next to the outside or the image edge', () => {
    const outline = maskOutline(square(7, 8, 1, 2, 4), 7, 8);
    expect(cells(outline, 8)).toEqual([
      [1, 2], [1, 3], [1, 4], [1, 5],
      [2, 2], [2, 5],
      [3, 2], [3, 5],
      [4, 2], [4, 3], [4, 4], [4, 5],
    ]);
    // A mask filling the image: its outline is the image border.
    expect(cells(maskOutline(new Uint8Array(9).fill(1), 3, 3), 3)).toHaveLength(8);
  });

  it('reads booleans and area fractions (inside at 0.5 or more)', () => {
    expect([...maskOutline([false, true, true, false], 1, 4)]).toEqual([0, 1, 1, 0]);
    expect([...maskOutline(Float32Array.from([0.2, 0.5, 0.9, 0.49]), 1, 4)]).toEqual([0, 1, 1, 0]);
  });

  it('draws the outline over the gray image, opaque, blended at alpha', () => {
    const gray = new Uint8Array(7 * 8).fill(100);
    const mask = square(7, 8, 1, 2, 4);
    const png = decode(encodeOverlayPng(gray, mask, 7, 8, [255, 0, 0]));
    expect({ width: png.width, height: png.height, channels: png.channels, depth: png.depth }).toEqual({ width: 8, height: 7, channels: 4, depth: 8 });
    const px = (r: number, c: number) => [...png.data.subarray((r * 8 + c) * 4, (r * 8 + c) * 4 + 4)];
    expect(px(1, 2)).toEqual([255, 0, 0, 255]); // outline
    expect(px(2, 3)).toEqual([100, 100, 100, 255]); // inside, not outline
    expect(px(0, 0)).toEqual([100, 100, 100, 255]); // outside
    const half = decode(encodeOverlayPng(gray, mask, 7, 8, [255, 0, 0], { alpha: 0.5 }));
    expect([...half.data.subarray((1 * 8 + 2) * 4, (1 * 8 + 2) * 4 + 4)]).toEqual([178, 50, 50, 255]);
  });

  it('without a gray image, leaves all but the outline transparent', () => {
    const png = decode(encodeOverlayPng(null, square(7, 8, 1, 2, 4), 7, 8, [0, 255, 0], { alpha: 0.8 }));
    const alpha = [...png.data].filter((_, i) => i % 4 === 3);
    expect(alpha.filter((a) => a === 204)).toHaveLength(12);
    expect(alpha.filter((a) => a === 0)).toHaveLength(7 * 8 - 12);
    expect([...png.data.subarray((1 * 8 + 2) * 4, (1 * 8 + 2) * 4 + 4)]).toEqual([0, 255, 0, 204]);
  });

  it('refuses bad colours, alpha and sizes', () => {
    const gray = new Uint8Array(4);
    expect(() => encodeOverlayPng(gray, new Uint8Array(4), 2, 2, [256, 0, 0])).toThrow('colour [256, 0, 0] must be three integers 0..255');
    expect(() => encodeOverlayPng(gray, new Uint8Array(4), 2, 2, [1, 2, 3], { alpha: 2 })).toThrow('alpha 2 must be in 0..1');
    expect(() => encodeOverlayPng(gray, new Uint8Array(3), 2, 2, [1, 2, 3])).toThrow('mask has 3 values');
  });
});
