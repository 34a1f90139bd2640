// Types shared by the synthetic head-CT generator's parts: anatomy and lesions (what is in the head),
// the renderer (HU slices), and the study writer (DICOM, labels, truth).
import { LABELS, type Label } from '../../src-shared/labels.ts';

export type Subtype = Exclude<Label, 'any'>;
/** The five hemorrhage subtypes, in the project's label order (`any` is derived). */
export const SUBTYPES: readonly Subtype[] = LABELS.filter((l): l is Subtype => l !== 'any');

/** The in-plane sampling of a slice in patient coordinates (mm): axial, rows along +y, columns along +x. */
export interface SliceGrid {
  /** Rows = columns. */
  size: number;
  /** Pixel spacing (mm), the same along rows and columns. */
  spacingMm: number;
  /** Patient x, y (mm) of the centre of pixel [0, 0]. */
  originX: number;
  originY: number;
}

/** Per slice: lesion area (mm^2) of each subtype cut by the slice's centre plane; absent subtypes are 0. */
export type LesionAreas = Record<Subtype, number>;

export function noLesionAreas(): LesionAreas {
  return { epidural: 0, intraparenchymal: 0, intraventricular: 0, subarachnoid: 0, subdural: 0 };
}
