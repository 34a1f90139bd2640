import { describe, expect, it } from 'vitest';
import { randomHead, type HeadModel } from './anatomy.ts';
import { lesionZRange, randomLesion, type Lesion } from './lesions.ts';
import { createRng } from '../base/random.ts';
import { renderSlice, renderSliceWithMasks } from './render-slice.ts';
import { coreOf, gridFor, meanAt } from './test-helpers.ts';
import { SUBTYPES, type Subtype } from './types.ts';

const heads = Array.from({ length: 3 }, (_, k) => randomHead(createRng(`lesion-test:${k}`)));

/** Slice centres every 5 mm across the lesion's z range (as a series would cut it), plus the middle. */
function slicesThrough(l: Lesion): number[] {
  const { fromMm, toMm } = lesionZRange(l);
  const zs: number[] = [];
  for (let z = fromMm + 1.5; z <= toMm - 1.5; z += 5) zs.push(z);
  zs.push((fromMm + toMm) / 2);
  return zs;
}

function draw(head: HeadModel, type: Subtype, severity: number, seed: string): Lesion {
  return randomLesion(createRng(seed), head, type, severity);
}

describe('randomLesion', () => {
  it('is a pure function of its random stream, and its z range lies in the head', () => {
    for (const type of SUBTYPES) {
      const head = heads[0]!;
      const a = draw(head, type, 0.5, 'same');
      expect(JSON.stringify(draw(head, type, 0.5, 'same'))).toBe(JSON.stringify(a));
      const { fromMm, toMm } = lesionZRange(a);
      expect(toMm).toBeGreaterThan(fromMm);
      expect(fromMm).toBeGreaterThan(head.baseZ - 1);
      expect(toMm).toBeLessThan(head.baseZ + head.vertexW);
    }
  });
});

describe('hemorrhage rendering', () => {
  for (const type of SUBTYPES) {
    it(`${type}: visible on the slices it spans, absent far from them, blood 45-95 HU`, () => {
      for (const [k, head] of heads.entries()) {
        const grid = gridFor(head);
        for (const severity of [0.25, 0.8]) {
          const l = draw(head, type, severity, `${type}:${k}:${severity}`);
          const zs = slicesThrough(l);
          const areas = zs.map((z) => renderSlice(head, [l], z, 5, grid, createRng(1)).areas[type]);
          // Most slices whose centre is inside the range show the blood; the middle one too, but for
          // ventricular blood, which may sit in separate ventricles (a fourth-ventricle cast and layers
          // in the occipital horns) with nothing between.
          expect(Math.max(...areas)).toBeGreaterThan(0);
          if (type !== 'intraventricular') expect(areas[areas.length - 1]).toBeGreaterThan(0);
          expect(areas.filter((a) => a > 0).length).toBeGreaterThanOrEqual(Math.ceil(0.6 * areas.length));
          for (const t of SUBTYPES) if (t !== type) expect(renderSlice(head, [l], zs[0]!, 5, grid, createRng(1)).areas[t]).toBe(0);
          const { fromMm, toMm } = lesionZRange(l);
          expect(renderSlice(head, [l], fromMm - 12, 5, grid, createRng(1)).areas[type]).toBe(0);
          expect(renderSlice(head, [l], toMm + 12, 5, grid, createRng(1)).areas[type]).toBe(0);
          if (severity < 0.8) continue;
          // Blood density where the slice is wholly blood (away from clipping and partial volume).
          let best: { hu: Float32Array; core: number[] } | null = null;
          for (const z of zs) {
            const { slice, masks } = renderSliceWithMasks(head, [l], z, 5, grid, createRng(2), true);
            const core = coreOf(masks!.blood[SUBTYPES.indexOf(type)]!, grid.size, 0.97);
            if (!best || core.length > best.core.length) best = { hu: slice.hu, core };
          }
          if (type === 'subarachnoid' && best!.core.length < 4) continue; // blood in thin sulci only
          expect(best!.core.length).toBeGreaterThanOrEqual(4);
          const m = meanAt(best!.hu, best!.core);
          expect(m).toBeGreaterThan(45);
          expect(m).toBeLessThan(95);
        }
      }
    });
  }

  it('keeps each kind of blood where it physically is', () => {
    for (const [k, head] of heads.entries()) {
      const grid = gridFor(head);
      for (const type of SUBTYPES) {
        const l = draw(head, type, 0.7, `place:${type}:${k}`);
        for (const z of slicesThrough(l)) {
          const before = renderSliceWithMasks(head, [], z, 5, grid, createRng(3), true).masks!;
          const after = renderSliceWithMasks(head, [l], z, 5, grid, createRng(3), true).masks!;
          const blood = after.blood[SUBTYPES.indexOf(type)]!;
          for (let i = 0; i < blood.length; i++) {
            if (blood[i]! < 0.01) continue;
            // Inside the cranial cavity, always.
            expect(before.cavity[i]!).toBeGreaterThan(0);
            if (type === 'intraventricular') expect(before.ventricle[i]!).toBeGreaterThan(0);
            if (type === 'subarachnoid') expect(before.subarachnoid[i]!).toBeGreaterThan(0);
            if (type === 'intraparenchymal') expect(before.brain[i]! + before.subarachnoid[i]!).toBeGreaterThan(0);
            if ((type === 'epidural' || type === 'subdural') && blood[i]! >= 0.5) {
              // Between the inner table and the (displaced) brain.
              expect(before.ventricle[i]!).toBeLessThan(0.5);
              expect(after.brain[i]!).toBeLessThan(0.5);
            }
          }
        }
      }
    }
  });

  it('draws subtle bleeds at severity 0 and large ones at 1', () => {
    const peak = (head: HeadModel, l: Lesion) => {
      const grid = gridFor(head);
      return Math.max(...slicesThrough(l).map((z) => renderSlice(head, [l], z, 5, grid, createRng(4)).areas[l.type]));
    };
    const limits: Record<Subtype, number> = { epidural: 150, subdural: 400, intraparenchymal: 60, intraventricular: 80, subarachnoid: 300 };
    for (const type of SUBTYPES) {
      const small: number[] = [];
      const large: number[] = [];
      for (const [k, head] of heads.entries()) {
        small.push(peak(head, draw(head, type, 0, `sev0:${type}:${k}`)));
        large.push(peak(head, draw(head, type, 1, `sev1:${type}:${k}`)));
      }
      const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
      expect(mean(small)).toBeLessThan(limits[type]);
      expect(mean(large)).toBeGreaterThan(3 * mean(small));
    }
  });
});
