// Kaggle RSNA 2019 submission / label CSVs: header `ID,Label`, one row per image and subtype with
// ID = <imageId>_<subtype> (the image id itself begins with `ID_`), six rows per image. In memory an
// image's six values are in the project's order (src-shared/labels.ts, any last); on disk the rows of an
// image are written in the seed's submission order, any first (docs/seed-pipeline.md section 7, cell 107).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { writeFileAtomicWith } from '../base/atomic-write.ts';
import { LABELS, type Label } from '../../src-shared/labels.ts';

/** The seed's row order within an image: any, then the subtypes (in the project's order). */
export const SUBMISSION_ORDER: readonly Label[] = ['any', ...LABELS.filter((l) => l !== 'any')];
const N = LABELS.length;
const COLUMN = new Map<string, number>(LABELS.map((l, k) => [l, k]));
/** Project column of each submission-order row. */
const ORDER_COLUMN = SUBMISSION_ORDER.map((l) => COLUMN.get(l)!);

export interface ReadCsvOptions {
  /** Labels file: every value must be 0 or 1. */
  binary?: boolean;
}

interface Entry {
  values: Float64Array;
  /** Bit k set when column k has been read. */
  seen: number;
  line: number;
}

/** Splits `<imageId>_<subtype>` at its last underscore. */
export function parseSubmissionId(id: string): { imageId: string; column: number } | undefined {
  const cut = id.lastIndexOf('_');
  if (cut <= 0) return undefined;
  const column = COLUMN.get(id.slice(cut + 1));
  return column === undefined ? undefined : { imageId: id.slice(0, cut), column };
}

const clip = (s: string, n = 60): string => (s.length > n ? `${s.slice(0, n)}...` : s);

/** Reads a Kaggle `ID,Label` file into image id -> six values in the project's order (file order kept). */
export async function readSubmissionCsv(file: string, options: ReadCsvOptions = {}): Promise<Map<string, Float64Array>> {
  const images = new Map<string, Entry>();
  const input = createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new Error(`${file}: cannot read (${code})`);
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let header = false;
  try {
    for await (const raw of lines) {
      lineNo++;
      const line = raw.trim();
      if (lineNo === 1) {
        const h = line.replace(/^\uFEFF/, '').replace(/\s+/g, '').toLowerCase();
        if (h !== 'id,label') throw new Error(`${file}:1: header is "${clip(line, 40)}", expected "ID,Label"`);
        header = true;
        continue;
      }
      if (!line) continue;
      const fields = line.split(',');
      if (fields.length !== 2) throw new Error(`${file}:${lineNo}: bad row "${clip(line)}" (need 2 fields, ID,Label)`);
      const id = fields[0]!.trim();
      const text = fields[1]!.trim();
      const parsed = parseSubmissionId(id);
      if (!parsed) throw new Error(`${file}:${lineNo}: bad ID "${clip(id)}" (need <image>_<subtype>, subtype one of ${LABELS.join(', ')})`);
      const value = text === '' ? NaN : Number(text);
      if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`${file}:${lineNo}: bad value "${clip(text, 30)}" for ${id} (need a number in [0, 1])`);
      if (options.binary && value !== 0 && value !== 1) throw new Error(`${file}:${lineNo}: label ${text} for ${id} is not 0 or 1`);
      let entry = images.get(parsed.imageId);
      if (!entry) {
        entry = { values: new Float64Array(N), seen: 0, line: lineNo };
        images.set(parsed.imageId, entry);
      }
      const bit = 1 << parsed.column;
      if (entry.seen & bit) {
        const prev = entry.values[parsed.column]!;
        if (prev !== value) throw new Error(`${file}:${lineNo}: ${id} repeats with a different value (${text}, earlier ${prev})`);
        continue;
      }
      entry.seen |= bit;
      entry.values[parsed.column] = value;
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (!header) throw new Error(`${file}: empty file, expected the header "ID,Label"`);
  const all = (1 << N) - 1;
  const out = new Map<string, Float64Array>();
  let incomplete = 0;
  let first: string | undefined;
  for (const [imageId, entry] of images) {
    if (entry.seen !== all) {
      if (!first) {
        const missing = LABELS.filter((_, k) => !(entry.seen & (1 << k)));
        first = `${file}:${entry.line}: image ${imageId} has no ${missing.join(', ')} row${missing.length > 1 ? 's' : ''}`;
      }
      incomplete++;
      continue;
    }
    out.set(imageId, entry.values);
  }
  if (first) throw new Error(incomplete > 1 ? `${first} (and ${incomplete - 1} more incomplete image${incomplete > 2 ? 's' : ''})` : first);
  return out;
}

/**
 * Writes `ID,Label` rows, for each image its six values (given in the project's order) in the seed's
 * submission order, any first. Atomic: a temp file beside the target, flushed, then renamed.
 */
export async function writeSubmissionCsv(file: string, rows: Iterable<[string, ArrayLike<number>]>): Promise<void> {
  await writeFileAtomicWith(file, async (write) => {
    let chunk = 'ID,Label\n';
    const seen = new Set<string>();
    for (const [imageId, values] of rows) {
      if (!imageId || /[,\r\n]/.test(imageId)) throw new Error(`${file}: bad image id "${clip(imageId)}"`);
      if (seen.has(imageId)) throw new Error(`${file}: image ${imageId} is given twice`);
      seen.add(imageId);
      if (values.length !== N) throw new Error(`${file}: image ${imageId} has ${values.length} values, expected ${N}`);
      for (let r = 0; r < N; r++) {
        const v = Number(values[ORDER_COLUMN[r]!]);
        if (!Number.isFinite(v)) throw new Error(`${file}: image ${imageId} has ${SUBMISSION_ORDER[r]} = ${v}`);
        chunk += `${imageId}_${SUBMISSION_ORDER[r]},${v}\n`;
      }
      if (chunk.length > 1 << 20) {
        await write(chunk);
        chunk = '';
      }
    }
    await write(chunk);
  });
}
