// Imports RSNA `stage_2_train.csv`-format labels (ID_<image>_<subtype>,Label; six rows per image),
// pivoted to one row per image. Exact duplicate rows are dropped as the seed did; the seed's six bad
// images are kept but excluded from training. The import is one transaction: all of it or nothing.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { LABELS, type Label } from './schema.ts';
import type { Workspace } from './workspace.ts';

/** The seed's hard-coded bad images (docs/seed-pipeline.md section 1), removed from training. */
export const SEED_BAD_IMAGES = ['e20bf3f8a', '8da38f2e4', '6431af929', '470e639ae', '0e21abf7a', 'd91d52bdc'].map((id) => `ID_${id}`);

export interface LabelImportResult {
  images: number;
  rows: number;
  duplicateRows: number;
  excluded: number;
  /** One line per rejected row or image, naming the file and line. */
  errors: string[];
}

const LABEL_SET = new Set<string>(LABELS);

/** Splits `ID_<image>_<subtype>` at its last underscore. */
export function parseLabelId(id: string): { imageId: string; subtype: Label } | undefined {
  const cut = id.lastIndexOf('_');
  if (cut <= 0) return undefined;
  const imageId = id.slice(0, cut);
  const subtype = id.slice(cut + 1);
  if (!LABEL_SET.has(subtype) || !imageId) return undefined;
  return { imageId, subtype: subtype as Label };
}

export async function importLabels(ws: Workspace, csvPath: string, signal?: AbortSignal): Promise<LabelImportResult> {
  const result: LabelImportResult = { images: 0, rows: 0, duplicateRows: 0, excluded: 0, errors: [] };
  const images = new Map<string, Partial<Record<Label, number>>>();
  const rejected = new Set<string>();
  const lines = createInterface({ input: createReadStream(csvPath), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    if (signal?.aborted) throw new Error(`${csvPath}: import cancelled`);
    const line = raw.trim();
    if (lineNo === 1) {
      if (line.replace(/^\uFEFF/, '').toLowerCase() !== 'id,label') throw new Error(`${csvPath}: header is "${line.slice(0, 40)}", expected "ID,Label"`);
      continue;
    }
    if (!line) continue;
    const [id, value, extra] = line.split(',');
    const parsed = id ? parseLabelId(id.trim()) : undefined;
    const label = value?.trim();
    if (!parsed || extra !== undefined || (label !== '0' && label !== '1')) {
      result.errors.push(`${csvPath}:${lineNo}: bad row "${line.slice(0, 60)}"`);
      continue;
    }
    result.rows++;
    const entry = images.get(parsed.imageId) ?? {};
    const v = Number(label);
    const prev = entry[parsed.subtype];
    if (prev !== undefined) {
      if (prev === v) result.duplicateRows++;
      else if (!rejected.has(parsed.imageId)) {
        rejected.add(parsed.imageId);
        result.errors.push(`${csvPath}:${lineNo}: ${parsed.imageId} has conflicting ${parsed.subtype} labels; image skipped`);
      }
      continue;
    }
    entry[parsed.subtype] = v;
    images.set(parsed.imageId, entry);
  }
  const bad = new Set(SEED_BAD_IMAGES);
  const insert = ws.db.prepare(`INSERT INTO labels (image_id, epidural, intraparenchymal, intraventricular, subarachnoid, subdural, "any", excluded, exclude_reason, source)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(image_id) DO UPDATE SET epidural = excluded.epidural, intraparenchymal = excluded.intraparenchymal,
      intraventricular = excluded.intraventricular, subarachnoid = excluded.subarachnoid, subdural = excluded.subdural,
      "any" = excluded."any", excluded = excluded.excluded, exclude_reason = excluded.exclude_reason, source = excluded.source`);
  ws.transaction(() => {
    for (const [imageId, entry] of images) {
      if (rejected.has(imageId)) continue;
      const missing = LABELS.filter((l) => entry[l] === undefined);
      if (missing.length) {
        result.errors.push(`${csvPath}: ${imageId} lacks ${missing.join(', ')}; image skipped`);
        continue;
      }
      const isBad = bad.has(imageId);
      insert.run(imageId, ...LABELS.map((l) => entry[l]!), isBad ? 1 : 0, isBad ? 'seed bad image' : null, csvPath);
      result.images++;
      if (isBad) result.excluded++;
    }
  });
  return result;
}
