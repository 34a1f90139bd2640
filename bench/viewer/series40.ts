// 40-slice synthetic head-CT series for the viewer benchmark. `ich synth` plans 24-40 slices per series and in
// practice stops near 35, so this takes the generator's own planned series (head, bleeds, scanner, window)
// and re-slices each over the same head range into exactly `slices` slices, rendered by the same phantom code
// and written as the same DICOM.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeCtSlice } from '../../src-ml/dicom/write.ts';
import { createRng } from '../../src-ml/base/random.ts';
import { renderSlice } from '../../src-ml/synth/render-slice.ts';
import { toStoredPixels } from '../../src-ml/synth/scanner.ts';
import { planDataset } from '../../src-ml/synth/study-plan.ts';

export interface WrittenSeries {
  studyUid: string;
  seriesUid: string;
  /** SOPInstanceUIDs, bottom to top. */
  sops: string[];
}

export function writeSeries(out: string, opts: { series: number; slices: number; size: number; seed: number }): WrittenSeries[] {
  mkdirSync(out, { recursive: true });
  const plans = planDataset({ studies: opts.series, seed: opts.seed, size: opts.size });
  return plans.map((s, k) => {
    const from = s.zMm[0]!;
    const to = s.zMm[s.zMm.length - 1]!;
    const spacing = (to - from) / (opts.slices - 1);
    const thickness = Math.round(spacing * 100) / 100;
    const noise = createRng(s.noiseSeed);
    const sops: string[] = [];
    for (let i = 0; i < opts.slices; i++) {
      const z = Math.round((from + i * spacing) * 1000) / 1000;
      const hu = renderSlice(s.head, s.lesions, z, thickness, s.grid, noise).hu;
      const sop = `ID_${(0xb00000000 + k * 0x1000 + i).toString(16)}`;
      sops.push(sop);
      const bytes = writeCtSlice({
        sopInstanceUid: sop, patientId: s.patientId, patientName: s.patientId,
        studyInstanceUid: s.studyInstanceUid, seriesInstanceUid: s.seriesInstanceUid, frameOfReferenceUid: s.studyInstanceUid,
        studyId: s.studyId, studyDate: s.studyDate, studyTime: '120000', seriesNumber: 1, instanceNumber: i + 1,
        imagePositionPatient: [s.grid.originX, s.grid.originY, z], imageOrientationPatient: [1, 0, 0, 0, 1, 0],
        pixelSpacing: [s.grid.spacingMm, s.grid.spacingMm], sliceThickness: thickness, kvp: 120, manufacturer: 'ICH Viewer synthetic phantom',
        rows: s.grid.size, columns: s.grid.size, bitsStored: s.scanner.bitsStored, highBit: s.scanner.bitsStored - 1,
        pixelRepresentation: s.scanner.pixelRepresentation, windowCenter: s.window.center, windowWidth: s.window.width,
        rescaleIntercept: s.scanner.rescaleIntercept, rescaleSlope: 1, pixels: toStoredPixels(hu, s.grid.size, s.scanner),
      });
      writeFileSync(path.join(out, `${sop}.dcm`), bytes);
    }
    return { studyUid: s.studyInstanceUid, seriesUid: s.seriesInstanceUid, sops };
  });
}
