// The generator's gallery: one positive slice of each type and one normal slice from a generated folder,
// at the brain window, plain and with the bleed outlined (masks re-rendered from the plan in truth.json).
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WINDOW_PRESETS } from '../api/windows.ts';
import { readHuSlice } from '../dicom/read-hu.ts';
import { encodeGrayPng, encodeOverlayPng, renderWindowedGray } from '../dicom/render-png.ts';
import { writeFileAtomicSync } from '../base/atomic-write.ts';
import { createRng } from '../base/random.ts';
import { renderSliceWithMasks } from './render-slice.ts';
import { planDataset, type PlanOptions } from './study-plan.ts';
import { SUBTYPES, type Subtype } from './types.ts';

interface TruthSlice {
  types: Subtype[];
  areaMm2: Partial<Record<Subtype, number>>;
}

interface Truth {
  options: { studies: number; seed: number; size: number; patients: number | null; prevalence: PlanOptions['prevalence'] | null };
  slices: Record<string, TruthSlice>;
}

/**
 * Per type, the slice whose area is nearest that type's 75th percentile (typical, not the most obvious),
 * preferring slices with no other type; plus a normal slice from the middle of the list.
 */
export function pickGallerySlices(slices: Record<string, TruthSlice>): { name: Subtype | 'normal'; id: string }[] {
  const entries = Object.entries(slices).sort(([a], [b]) => a.localeCompare(b));
  const picks: { name: Subtype | 'normal'; id: string }[] = [];
  for (const type of SUBTYPES) {
    const candidates = entries.filter(([, s]) => s.types.includes(type));
    if (!candidates.length) continue;
    const areas = candidates.map(([, s]) => s.areaMm2[type]!).sort((a, b) => a - b);
    const target = areas[Math.floor(0.75 * (areas.length - 1))]!;
    const cost = ([, s]: [string, TruthSlice]) => Math.abs(Math.log(s.areaMm2[type]! / target)) + (s.types.length - 1);
    picks.push({ name: type, id: candidates.reduce((best, c) => (cost(c) < cost(best) ? c : best))[0] });
  }
  const normal = entries.filter(([, s]) => !s.types.length);
  if (normal.length) picks.push({ name: 'normal', id: normal[Math.floor(normal.length / 2)]![0] });
  return picks;
}

/** Writes <name>.png and, for bleeds, <name>-outlined.png; returns what was written. */
export async function writeGallery(dir: string, out: string): Promise<{ name: string; id: string; files: string[] }[]> {
  const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth;
  const o = truth.options;
  const plans = planDataset({ studies: o.studies, seed: o.seed, size: o.size, patients: o.patients ?? undefined, prevalence: o.prevalence ?? undefined });
  mkdirSync(out, { recursive: true });
  const brain = WINDOW_PRESETS.find((p) => p.id === 'brain')!;
  const written: { name: string; id: string; files: string[] }[] = [];
  for (const { name, id } of pickGallerySlices(truth.slices)) {
    const slice = await readHuSlice(path.join(dir, `${id}.dcm`));
    const gray = renderWindowedGray(slice.hu, slice.rows, slice.columns, brain.center!, brain.width!);
    const files = [path.join(out, `${name}.png`)];
    writeFileAtomicSync(files[0]!, encodeGrayPng(gray, slice.rows, slice.columns));
    if (name !== 'normal') {
      // The blood mask is geometry only, so any noise stream gives the same outline.
      const s = plans.find((p) => p.sopInstanceUids.includes(id))!;
      const i = s.sopInstanceUids.indexOf(id);
      const { masks } = renderSliceWithMasks(s.head, s.lesions, s.zMm[i]!, s.thicknessMm, s.grid, createRng(0), true);
      const mask = masks!.blood[SUBTYPES.indexOf(name)]!;
      files.push(path.join(out, `${name}-outlined.png`));
      writeFileAtomicSync(files[1]!, encodeOverlayPng(gray, mask, slice.rows, slice.columns, [255, 40, 40]));
    }
    written.push({ name, id, files });
  }
  return written;
}
