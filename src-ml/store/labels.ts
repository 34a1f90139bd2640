// Imports RSNA `stage_2_train.csv`-format labels (ID_<image>_<subtype>,Label; six rows per image),
// pivoted to one row per image. Exact duplicate rows are dropped as the seed did; the seed's six bad
// images are kept but excluded from training. All or nothing: any rejected row (malformed, an image id no
// API can reach, a label that is not 0 or 1, conflicting duplicates, an image without all six subtypes,
// invalid UTF-8, an over-long line) fails the whole import with one line naming the file, the first bad
// row and the count, and nothing is written; so is an empty file or one with no label rows. The file is
// read as bytes, line by line (bounded memory, even for a file with no newline), from a regular file only.
import { isUtf8 } from 'node:buffer';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ID_PATTERN } from '../api/engine.ts';
import { LABELS, type Label } from '../../src-shared/labels.ts';
import type { Workspace } from './workspace.ts';

/** The seed's hard-coded bad images (docs/seed-pipeline.md section 1), removed from training. */
export const SEED_BAD_IMAGES = ['e20bf3f8a', '8da38f2e4', '6431af929', '470e639ae', '0e21abf7a', 'd91d52bdc'].map((id) => `ID_${id}`);

/** A label row is ~30 bytes; an image id is at most 128 characters (the API's limit). */
export const MAX_LABEL_LINE_BYTES = 1024;

export interface LabelImportResult {
  images: number;
  rows: number;
  duplicateRows: number;
  excluded: number;
  /** Kept for the result's shape; always empty, since any rejected row now fails the import (LabelImportError). */
  errors: string[];
}

/** A labels file that was refused as a whole; `message` is one line. Nothing was imported. */
export class LabelImportError extends Error {
  constructor(
    message: string,
    readonly file: string,
    /** The first rejected line (1-based), or null for a whole-file problem (empty, no rows). */
    readonly line: number | null,
    /** Rows rejected in all. */
    readonly rejected: number,
  ) {
    super(message);
    this.name = 'LabelImportError';
  }
}

const LABEL_SET = new Set<string>(LABELS);

/** The part of a DICOM UID (at most 64 characters of digits and dots) or `ID_<hex>` before an optional `#<frame>`. */
const RSNA_ID = /^ID_[0-9a-fA-F]+(#[0-9]{1,9})?$/;
const UID_ID = /^([0-9]+(\.[0-9]+)*)(#[0-9]{1,9})?$/;

/**
 * An image id a label may name: the RSNA form (`ID_` + hex) or the SOP instance UID form the index keys images
 * by (a DICOM UID, `#<frame>` for a frame of a multi-frame file), within the API's id limit (ID_PATTERN).
 */
export function isLabelImageId(id: string): boolean {
  if (!ID_PATTERN.test(id)) return false;
  if (RSNA_ID.test(id)) return true;
  const m = UID_ID.exec(id);
  return m !== null && m[1]!.length <= 64;
}

/** Splits `ID_<image>_<subtype>` at its last underscore; undefined unless the subtype is known and the image id valid. */
export function parseLabelId(id: string): { imageId: string; subtype: Label } | undefined {
  const cut = id.lastIndexOf('_');
  if (cut <= 0) return undefined;
  const imageId = id.slice(0, cut);
  const subtype = id.slice(cut + 1);
  if (!LABEL_SET.has(subtype) || !isLabelImageId(imageId)) return undefined;
  return { imageId, subtype: subtype as Label };
}

/** Why a row is refused, or null. */
function rowProblem(line: string): string | null {
  const fields = line.split(',');
  if (fields.length !== 2) return `bad row ${quote(line)}: expected ID_<image>_<subtype>,<0 or 1>`;
  const id = fields[0]!.trim();
  const label = fields[1]!.trim();
  const cut = id.lastIndexOf('_');
  const subtype = cut > 0 ? id.slice(cut + 1) : '';
  if (!LABEL_SET.has(subtype)) return `bad row ${quote(line)}: the id does not end in _<subtype> (${LABELS.join(', ')})`;
  if (!isLabelImageId(id.slice(0, cut))) {
    return `bad image id ${quote(id.slice(0, cut))}: expected ID_<hex> or a DICOM UID, at most 128 characters of A-Z a-z 0-9 . _ # -`;
  }
  if (label !== '0' && label !== '1') return `label ${quote(label)} of ${id} is not 0 or 1`;
  return null;
}

/** At most 60 characters of a row, quoted and escaped, so a message stays one line. */
function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}...` : s);
}

/** The lines of a regular file as raw bytes (without the line break), with their numbers; over-long lines come back as null. */
async function* linesOf(csvPath: string): AsyncGenerator<{ no: number; bytes: Buffer | null }> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO given as the labels file is refused below instead of blocking the open.
    handle = await open(csvPath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LabelImportError(code === 'ENOENT' ? `${csvPath}: no such file` : `${csvPath}: cannot be opened (${code ?? String(err)})`, csvPath, null, 0);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new LabelImportError(`${csvPath}: not a regular file`, csvPath, null, 0);
    if (st.size === 0) throw new LabelImportError(`${csvPath}: empty file (expected an "ID,Label" header and label rows)`, csvPath, null, 0);
    let no = 0;
    let parts: Buffer[] = [];
    let partLength = 0;
    let tooLong = false;
    const take = (tail: Buffer): { no: number; bytes: Buffer | null } => {
      const bytes = tooLong ? null : Buffer.concat([...parts, tail]);
      parts = [];
      partLength = 0;
      tooLong = false;
      return { no: ++no, bytes };
    };
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        const tail = chunk.subarray(start, nl);
        if (partLength + tail.length > MAX_LABEL_LINE_BYTES) tooLong = true;
        yield take(tail);
        start = nl + 1;
      }
      const rest = chunk.subarray(start);
      if (rest.length && !tooLong) {
        partLength += rest.length;
        if (partLength > MAX_LABEL_LINE_BYTES) {
          tooLong = true;
          parts = [];
        } else {
          parts.push(Buffer.from(rest));
        }
      }
    }
    if (partLength > 0 || tooLong) yield take(Buffer.alloc(0));
  } finally {
    await handle.close();
  }
}

export async function importLabels(ws: Workspace, csvPath: string, signal?: AbortSignal): Promise<LabelImportResult> {
  const result: LabelImportResult = { images: 0, rows: 0, duplicateRows: 0, excluded: 0, errors: [] };
  const images = new Map<string, { labels: Partial<Record<Label, number>>; firstLine: number; rows: number }>();
  let first: { line: number; reason: string } | null = null;
  let rejected = 0;
  const reject = (line: number, reason: string, rows = 1) => {
    rejected += rows;
    if (!first || line < first.line) first = { line, reason };
  };
  for await (const { no, bytes } of linesOf(csvPath)) {
    if (signal?.aborted) throw new Error(`${csvPath}: import cancelled`);
    if (bytes === null) {
      if (no === 1) throw new LabelImportError(`${csvPath}: the first line is over ${MAX_LABEL_LINE_BYTES} bytes, expected the "ID,Label" header`, csvPath, 1, 1);
      reject(no, `line over ${MAX_LABEL_LINE_BYTES} bytes`);
      continue;
    }
    if (!isUtf8(bytes)) {
      if (no === 1) throw new LabelImportError(`${csvPath}:1: not UTF-8 text, expected the "ID,Label" header`, csvPath, 1, 1);
      reject(no, 'not UTF-8 text');
      continue;
    }
    const text = bytes.toString('utf8');
    const line = text.trim();
    if (no === 1) {
      if (line.replace(/^\uFEFF/, '').toLowerCase() !== 'id,label') {
        throw new LabelImportError(`${csvPath}: header is ${JSON.stringify(line.slice(0, 40))}, expected "ID,Label"`, csvPath, 1, 1);
      }
      continue;
    }
    if (!line) continue;
    const problem = rowProblem(line);
    if (problem) {
      reject(no, problem);
      continue;
    }
    const [id, value] = line.split(',') as [string, string];
    const parsed = parseLabelId(id.trim())!;
    result.rows++;
    const entry = images.get(parsed.imageId) ?? { labels: {}, firstLine: no, rows: 0 };
    const v = Number(value.trim());
    const prev = entry.labels[parsed.subtype];
    if (prev !== undefined) {
      if (prev === v) result.duplicateRows++;
      else reject(no, `${parsed.imageId} has conflicting ${parsed.subtype} labels`);
      continue;
    }
    entry.labels[parsed.subtype] = v;
    entry.rows++;
    images.set(parsed.imageId, entry);
  }
  for (const [imageId, entry] of images) {
    const missing = LABELS.filter((l) => entry.labels[l] === undefined);
    if (missing.length) reject(entry.firstLine, `${imageId} lacks ${missing.join(', ')}`, entry.rows);
  }
  const bad = first as { line: number; reason: string } | null;
  if (bad) {
    throw new LabelImportError(`${csvPath}:${bad.line}: ${bad.reason}; ${rejected} ${rejected === 1 ? 'row' : 'rows'} rejected, nothing imported`, csvPath, bad.line, rejected);
  }
  if (images.size === 0) throw new LabelImportError(`${csvPath}: no label rows after the "ID,Label" header`, csvPath, null, 0);
  const seedBad = new Set(SEED_BAD_IMAGES);
  const insert = ws.db.prepare(`INSERT INTO labels (image_id, epidural, intraparenchymal, intraventricular, subarachnoid, subdural, "any", excluded, exclude_reason, source)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(image_id) DO UPDATE SET epidural = excluded.epidural, intraparenchymal = excluded.intraparenchymal,
      intraventricular = excluded.intraventricular, subarachnoid = excluded.subarachnoid, subdural = excluded.subdural,
      "any" = excluded."any", excluded = excluded.excluded, exclude_reason = excluded.exclude_reason, source = excluded.source`);
  ws.transaction(() => {
    for (const [imageId, entry] of images) {
      const isBad = seedBad.has(imageId);
      insert.run(imageId, ...LABELS.map((l) => entry.labels[l]!), isBad ? 1 : 0, isBad ? 'seed bad image' : null, csvPath);
      result.images++;
      if (isBad) result.excluded++;
    }
  });
  return result;
}
