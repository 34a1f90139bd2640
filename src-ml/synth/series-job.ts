// Renders and writes one planned series (the unit of work of `ich synth`, run on worker threads):
// per slice, HU from the phantom, stored values as the series' scanner writes them, a DICOM file.
import path from 'node:path';
import { writeFileAtomicSync } from '../base/atomic-write.ts';
import { writeCtSlice } from '../dicom/write.ts';
import { serveJobs } from '../jobs/worker-serve.ts';
import { createRng } from '../base/random.ts';
import { renderSlice } from './render-slice.ts';
import { toStoredPixels } from './scanner.ts';
import { planDataset, type PlanOptions, type SeriesPlan } from './study-plan.ts';
import { SUBTYPES, type LesionAreas, type Subtype } from './types.ts';

/** A type is labelled on a slice when at least this much of it (mm^2) is cut by the slice. */
export const LABEL_MIN_AREA_MM2 = 1;

export interface SeriesJob {
  plan: PlanOptions;
  index: number;
  out: string;
}

export interface SliceTruth {
  id: string;
  zMm: number;
  instanceNumber: number;
  types: Subtype[];
  areaMm2: Partial<LesionAreas>;
}

export interface SeriesResult {
  index: number;
  slices: SliceTruth[];
}

// A worker plans the whole data set once (cheap, deterministic) and then renders the series it is given.
let cached: { key: string; plans: SeriesPlan[] } | undefined;
function planFor(options: PlanOptions): SeriesPlan[] {
  const key = JSON.stringify(options);
  if (cached?.key !== key) cached = { key, plans: planDataset(options) };
  return cached.plans;
}

export async function renderSeriesJob(job: SeriesJob): Promise<SeriesResult> {
  const s = planFor(job.plan)[job.index];
  if (!s) throw new RangeError(`series ${job.index} is not in the plan`);
  const noise = createRng(s.noiseSeed);
  const slices: SliceTruth[] = [];
  s.zMm.forEach((z, i) => {
    const rendered = renderSlice(s.head, s.lesions, z, s.thicknessMm, s.grid, noise);
    const pixels = toStoredPixels(rendered.hu, s.grid.size, s.scanner);
    const id = s.sopInstanceUids[i]!;
    const bytes = writeCtSlice({
      sopInstanceUid: id,
      patientId: s.patientId,
      patientName: s.patientId,
      studyInstanceUid: s.studyInstanceUid,
      seriesInstanceUid: s.seriesInstanceUid,
      frameOfReferenceUid: s.studyInstanceUid,
      studyId: s.studyId,
      studyDate: s.studyDate,
      studyTime: '120000',
      seriesNumber: 1,
      instanceNumber: s.instanceNumbers[i]!,
      imagePositionPatient: [s.grid.originX, s.grid.originY, z],
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      pixelSpacing: [s.grid.spacingMm, s.grid.spacingMm],
      sliceThickness: s.thicknessMm,
      kvp: 120,
      manufacturer: 'ICH Viewer synthetic phantom',
      rows: s.grid.size,
      columns: s.grid.size,
      bitsStored: s.scanner.bitsStored,
      highBit: s.scanner.bitsStored - 1,
      pixelRepresentation: s.scanner.pixelRepresentation,
      windowCenter: s.window.center,
      windowWidth: s.window.width,
      rescaleIntercept: s.scanner.rescaleIntercept,
      rescaleSlope: 1,
      pixels,
    });
    writeFileAtomicSync(path.join(job.out, `${id}.dcm`), bytes);
    const areaMm2: Partial<LesionAreas> = {};
    const types: Subtype[] = [];
    for (const t of SUBTYPES) {
      const a = rendered.areas[t];
      if (a > 0) areaMm2[t] = Math.round(a * 100) / 100;
      if (a >= LABEL_MIN_AREA_MM2) types.push(t);
    }
    slices.push({ id, zMm: z, instanceNumber: s.instanceNumbers[i]!, types, areaMm2 });
  });
  return { index: job.index, slices };
}

serveJobs(renderSeriesJob);
