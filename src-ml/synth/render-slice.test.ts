import { describe, expect, it } from 'vitest';
import { headZRange, randomHead, type HeadModel } from './anatomy.ts';
import { randomLesion } from './lesions.ts';
import { createRng } from '../base/random.ts';
import { renderSlice, renderSliceWithMasks } from './render-slice.ts';
import { coreOf, gridFor, meanAt, patchStats, pixelAt } from './test-helpers.ts';

const heads = Array.from({ length: 4 }, (_, k) => randomHead(createRng(`render-test:${k}`)));
const zAt = (head: HeadModel, w: number) => head.baseZ + w;

describe('renderSlice', () => {
  it('is deterministic for the same head, slice and noise seed', () => {
    const head = heads[0]!;
    const grid = gridFor(head);
    const a = renderSlice(head, [], zAt(head, 80), 5, grid, createRng(9));
    const b = renderSlice(head, [], zAt(head, 80), 5, grid, createRng(9));
    const c = renderSlice(head, [], zAt(head, 80), 5, grid, createRng(10));
    expect(a.hu.length).toBe(256 * 256);
    expect(Buffer.from(a.hu.buffer).equals(Buffer.from(b.hu.buffer))).toBe(true);
    expect(Buffer.from(a.hu.buffer).equals(Buffer.from(c.hu.buffer))).toBe(false);
    expect(Object.values(a.areas).every((x) => x === 0)).toBe(true);
  });

  it('does not depend on what was rendered before (no state leaks between calls)', () => {
    const [a, b] = [heads[0]!, heads[3]!];
    // A wide field of view: the head's frame does not reach the image edges.
    const gridA = gridFor(a, 256, 400);
    const gridB = { ...gridFor(b, 256, 230), originX: gridFor(b, 256, 230).originX + 17 };
    const lesion = randomLesion(createRng('leak'), a, 'subdural', 0.6);
    const z = zAt(a, lesion.fromMm - a.baseZ + 20);
    const first = renderSlice(a, [lesion], z, 5, gridA, createRng(7));
    renderSlice(b, [], zAt(b, 30), 5, gridB, createRng(8));
    renderSlice(a, [], zAt(a, 20), 2.5, { ...gridA, originX: gridA.originX - 40 }, createRng(8));
    const again = renderSlice(a, [lesion], z, 5, gridA, createRng(7));
    expect(Buffer.from(again.hu.buffer).equals(Buffer.from(first.hu.buffer))).toBe(true);
    expect(again.areas).toEqual(first.areas);
    for (const i of [0, 255, 128 * 256, 128 * 256 + 255, 256 * 256 - 1]) expect(again.hu[i]!).toBeLessThan(-900);
  });

  it('gives tissues their HU: air, bone of the skull ring, brain, CSF in the ventricles', () => {
    for (const head of heads) {
      const grid = gridFor(head);
      const size = grid.size;
      const w = head.vault.wc + 10;
      const { slice, masks } = renderSliceWithMasks(head, [], zAt(head, w), 5, grid, createRng(1), true);
      const hu = slice.hu;
      expect(patchStats(hu, size, 4, 4, 3).mean).toBeLessThan(-900);
      // Along a ray from the centre to the left, the skull ring peaks at cortical-bone density.
      let peak = -Infinity;
      for (let u = 20; u < 110; u += 0.5) {
        const p = pixelAt(head, grid, u, 0);
        peak = Math.max(peak, hu[p.i]!);
      }
      expect(peak).toBeGreaterThan(700);
      expect(peak).toBeLessThan(1900);
      // Deep white matter of the centrum semiovale.
      const wm = renderSlice(head, [], zAt(head, head.vault.wc + 0.55 * head.vault.cUp), 5, grid, createRng(2)).hu;
      for (const u of [-22, 22]) {
        const p = pixelAt(head, grid, u, 0);
        const s = patchStats(wm, size, p.r, p.c, 3);
        expect(s.mean).toBeGreaterThan(20);
        expect(s.mean).toBeLessThan(45);
      }
      // CSF: the core of the ventricles (away from partial volume with their walls).
      const core = coreOf(masks!.ventricle, size, 0.99);
      if (core.length >= 6) {
        const m = meanAt(hu, core);
        expect(m).toBeGreaterThan(-2);
        expect(m).toBeLessThan(15);
      }
    }
  });

  it('finds CSF density in the ventricles at the level of the atria', () => {
    let checked = 0;
    for (const head of heads) {
      const grid = gridFor(head);
      for (const w of [72, 78, 84, 90].map((x) => x * head.sw)) {
        const { slice, masks } = renderSliceWithMasks(head, [], zAt(head, w), 5, grid, createRng(3), true);
        const core = coreOf(masks!.ventricle, grid.size, 0.99);
        if (core.length < 6) continue;
        const m = meanAt(slice.hu, core);
        expect(m).toBeGreaterThan(-2);
        expect(m).toBeLessThan(15);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('has 3-8 HU noise in the brain, slightly correlated', () => {
    for (const head of heads) {
      const grid = gridFor(head);
      const size = grid.size;
      const z = zAt(head, head.vault.wc + 0.55 * head.vault.cUp);
      const a = renderSlice(head, [], z, 5, grid, createRng(11)).hu;
      const b = renderSlice(head, [], z, 5, grid, createRng(12)).hu;
      const diff = new Float32Array(a.length);
      for (let i = 0; i < a.length; i++) diff[i] = (a[i]! - b[i]!) / Math.SQRT2;
      const p = pixelAt(head, grid, 22, 0);
      const pure = patchStats(diff, size, p.r, p.c, 12).sd;
      expect(pure).toBeGreaterThan(3);
      expect(pure).toBeLessThan(8);
      // A homogeneous white-matter patch of one image: noise plus almost no anatomy.
      const patch = patchStats(a, size, p.r, p.c, 4).sd;
      expect(patch).toBeGreaterThan(2.5);
      expect(patch).toBeLessThan(8.5);
      // Neighbouring pixels' noise is positively correlated (the point-spread function).
      let cov = 0;
      let vr = 0;
      for (let r = p.r - 10; r <= p.r + 10; r++) {
        for (let c = p.c - 10; c <= p.c + 10; c++) {
          cov += diff[r * size + c]! * diff[r * size + c + 1]!;
          vr += diff[r * size + c]! ** 2;
        }
      }
      expect(cov / vr).toBeGreaterThan(0.05);
    }
  });

  it('covers the head from the skull base to the vertex', () => {
    const head = heads[1]!;
    const grid = gridFor(head);
    const { baseMm, vertexMm } = headZRange(head);
    const count = (z: number) => renderSlice(head, [], z, 5, grid, createRng(4)).hu.filter((v) => v > -500).length;
    expect(count(baseMm + 2)).toBeGreaterThan(2000);
    expect(count((baseMm + vertexMm) / 2)).toBeGreaterThan(10000);
    expect(count(vertexMm - 3)).toBeGreaterThan(0);
    expect(count(vertexMm + 12)).toBe(0);
  });

  it('renders a 256 slice in well under 40 ms (median)', () => {
    const head = heads[2]!;
    const grid = gridFor(head);
    const { baseMm, vertexMm } = headZRange(head);
    const zs = Array.from({ length: 40 }, (_, k) => baseMm + ((k + 0.5) / 40) * (vertexMm - baseMm));
    const noise = createRng(5);
    for (const z of zs.slice(0, 15)) renderSlice(head, [], z, 5, grid, noise); // warm up the JIT
    const times = zs.map((z) => {
      const t0 = performance.now();
      renderSlice(head, [], z, 5, grid, noise);
      return performance.now() - t0;
    });
    times.sort((a, b) => a - b);
    expect(times[times.length >> 1]!).toBeLessThan(40);
  });
});
