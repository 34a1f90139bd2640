// The few reads the training preflight (train/preflight.ts) makes before a run starts: how many images are
// indexed, which patients have labelled (not excluded) images, and an indexed image's patient.
import type { Workspace } from './workspace.ts';

/** Number of indexed images (slices). */
export function countIndexedImages(ws: Workspace): number {
  return Number((ws.db.prepare('SELECT COUNT(*) n FROM instances').get() as { n: number }).n);
}

/** Labelled images that training would use (indexed, labels not excluded) and their distinct patients. */
export function labelledPatients(ws: Workspace): { images: number; patients: Set<string> } {
  const rows = ws.db.prepare(`SELECT st.patient_id, COUNT(*) n FROM instances i
    JOIN studies st ON st.study_uid = i.study_uid JOIN labels l ON l.image_id = i.image_id
    WHERE l.excluded = 0 GROUP BY st.patient_id`).all() as { patient_id: string; n: number }[];
  return { images: rows.reduce((s, r) => s + Number(r.n), 0), patients: new Set(rows.map((r) => r.patient_id)) };
}

/** A lookup of an indexed image's patient id (undefined when the image is not indexed). */
export function imagePatientLookup(ws: Workspace): (imageId: string) => string | undefined {
  const q = ws.db.prepare('SELECT st.patient_id FROM instances i JOIN studies st ON st.study_uid = i.study_uid WHERE i.image_id = ?');
  return (imageId) => (q.get(imageId) as { patient_id: string } | undefined)?.patient_id;
}
