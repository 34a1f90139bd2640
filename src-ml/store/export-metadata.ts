// Exports the index as the seed's metadata CSV: one row per image, the seed's column names
// (docs/seed-pipeline.md section 6), then a few columns of ours. Written to a temp file and renamed (atomic).
import { writeFileAtomicSyncWith } from '../base/atomic-write.ts';
import { METADATA_COLUMNS } from './schema.ts';
import type { Workspace } from './workspace.ts';

const EXTRA_COLUMNS = ['ImageId', 'Frame', 'InstanceNumber', 'SliceThickness', 'Path'] as const;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function exportMetadataCsv(ws: Workspace, outPath: string): number {
  const columns = [...METADATA_COLUMNS.map(([name]) => name), ...EXTRA_COLUMNS];
  const select = [
    ...METADATA_COLUMNS.map(([name]) => `i."${name}"`),
    'i.image_id AS ImageId', 'i.frame AS Frame', 'i.InstanceNumber', 'i.SliceThickness', 'f.path AS Path',
  ].join(', ');
  const stmt = ws.db.prepare(`SELECT ${select} FROM instances i JOIN files f USING (file_id)
    ORDER BY i.SeriesInstanceUID, i.ImagePositionPatient_2, i.image_id`);
  let rows = 0;
  writeFileAtomicSyncWith(outPath, (write) => {
    write(columns.join(',') + '\n');
    let chunk: string[] = [];
    for (const row of stmt.iterate() as Iterable<Record<string, unknown>>) {
      chunk.push(columns.map((c) => csvCell(row[c])).join(','));
      rows++;
      if (chunk.length >= 2000) {
        write(chunk.join('\n') + '\n');
        chunk = [];
      }
    }
    if (chunk.length) write(chunk.join('\n') + '\n');
  });
  return rows;
}
