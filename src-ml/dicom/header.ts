// Header fields of a CT image, one record per slice: multi-frame files give one record per frame,
// with Enhanced CT's per-frame functional groups (position, orientation, spacing, rescale, window)
// overriding the shared groups, which override the top-level elements. The frame count is checked
// against the pixel data the file holds (frame-count.ts) before the per-frame loop.
import { checkFrameCount } from './frame-count.ts';
import type { DataSet } from './parse.ts';

/** The header fields the seed's metadata extraction kept (docs/seed-pipeline.md section 6) plus what the viewer shows. */
export interface SliceHeader {
  sopInstanceUid: string;
  sopClassUid: string;
  /** 1-based frame number for multi-frame files, null for single-frame files. */
  frame: number | null;
  modality: string;
  patientId: string;
  patientName: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  studyId: string;
  studyDate: string;
  studyDescription: string;
  seriesDescription: string;
  seriesNumber: number | null;
  instanceNumber: number | null;
  manufacturer: string;
  imagePositionPatient: number[] | null;
  imageOrientationPatient: number[] | null;
  sliceThickness: number | null;
  samplesPerPixel: number | null;
  photometricInterpretation: string;
  rows: number | null;
  columns: number | null;
  pixelSpacing: number[] | null;
  bitsAllocated: number | null;
  bitsStored: number | null;
  highBit: number | null;
  pixelRepresentation: number | null;
  /** Raw (possibly multi-valued) strings as in the file, e.g. "00036\\00036". */
  windowCenterRaw: string;
  windowWidthRaw: string;
  windowCenter: number[];
  windowWidth: number[];
  rescaleIntercept: number;
  rescaleSlope: number;
  numberOfFrames: number;
}

const CT_SOP_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.2.1', '1.2.840.10008.5.1.4.1.1.2.2']);

export function isCtImage(h: Pick<SliceHeader, 'modality' | 'sopClassUid'>): boolean {
  if (h.modality) return h.modality.toUpperCase() === 'CT';
  return CT_SOP_CLASSES.has(h.sopClassUid);
}

function str(ds: DataSet | undefined, tag: string): string {
  if (!ds || !ds.elements[tag]) return '';
  return (ds.string(tag) ?? '').trim();
}

/** All values of a decimal/integer string element ("a\\b\\c"); non-numbers are dropped. */
function numbers(ds: DataSet | undefined, tag: string): number[] | null {
  const raw = str(ds, tag);
  if (!raw) return null;
  const values = raw.split('\\').map((s) => Number.parseFloat(s.trim())).filter((v) => Number.isFinite(v));
  return values.length ? values : null;
}

function num(ds: DataSet | undefined, tag: string): number | null {
  return numbers(ds, tag)?.[0] ?? null;
}

function us(ds: DataSet | undefined, tag: string): number | null {
  const el = ds?.elements[tag];
  if (!ds || !el || el.length < 2) return null;
  return ds.uint16(tag) ?? null;
}

/** First item's data set of a sequence element, if any. */
function item(ds: DataSet | undefined, tag: string): DataSet | undefined {
  return ds?.elements[tag]?.items?.[0]?.dataSet;
}

/** The functional-group fields that Enhanced CT stores per frame. */
interface FrameFields {
  imagePositionPatient?: number[] | null;
  imageOrientationPatient?: number[] | null;
  pixelSpacing?: number[] | null;
  sliceThickness?: number | null;
  rescaleIntercept?: number | null;
  rescaleSlope?: number | null;
  windowCenterRaw?: string;
  windowWidthRaw?: string;
}

function functionalGroup(group: DataSet | undefined): FrameFields {
  if (!group) return {};
  const out: FrameFields = {};
  const pos = item(group, 'x00209113');
  if (pos) out.imagePositionPatient = numbers(pos, 'x00200032');
  const ori = item(group, 'x00209116');
  if (ori) out.imageOrientationPatient = numbers(ori, 'x00200037');
  const measures = item(group, 'x00289110');
  if (measures) {
    out.pixelSpacing = numbers(measures, 'x00280030');
    out.sliceThickness = num(measures, 'x00180050');
  }
  const transform = item(group, 'x00289145');
  if (transform) {
    out.rescaleIntercept = num(transform, 'x00281052');
    out.rescaleSlope = num(transform, 'x00281053');
  }
  const voi = item(group, 'x00289132');
  if (voi) {
    out.windowCenterRaw = str(voi, 'x00281050');
    out.windowWidthRaw = str(voi, 'x00281051');
  }
  return out;
}

function defined<T>(...values: (T | null | undefined)[]): T | null {
  for (const v of values) if (v !== undefined && v !== null && v !== '') return v;
  return null;
}

function splitNumbers(raw: string): number[] {
  if (!raw) return [];
  return raw.split('\\').map((s) => Number.parseFloat(s.trim())).filter((v) => Number.isFinite(v));
}

/** What every frame's header is built from: read once per file, whatever the frame count. */
interface SliceContext {
  base: Omit<SliceHeader, 'frame' | keyof FrameFields | 'windowCenter' | 'windowWidth' | 'rescaleIntercept' | 'rescaleSlope'>;
  top: FrameFields;
  shared: FrameFields;
  perFrameItems: { dataSet?: DataSet }[];
  multiFrame: boolean;
}

function sliceContext(ds: DataSet, numberOfFrames: number): SliceContext {
  const perFrameItems = ds.elements['x52009230']?.items ?? [];
  return {
    multiFrame: ds.elements['x00280008'] !== undefined && (numberOfFrames > 1 || ds.elements['x52009230'] !== undefined),
    shared: functionalGroup(item(ds, 'x52009229')),
    perFrameItems,
    base: {
      sopInstanceUid: str(ds, 'x00080018'),
      sopClassUid: str(ds, 'x00080016'),
      modality: str(ds, 'x00080060'),
      patientId: str(ds, 'x00100020'),
      patientName: str(ds, 'x00100010'),
      studyInstanceUid: str(ds, 'x0020000d'),
      seriesInstanceUid: str(ds, 'x0020000e'),
      studyId: str(ds, 'x00200010'),
      studyDate: str(ds, 'x00080020'),
      studyDescription: str(ds, 'x00081030'),
      seriesDescription: str(ds, 'x0008103e'),
      seriesNumber: num(ds, 'x00200011'),
      instanceNumber: num(ds, 'x00200013'),
      manufacturer: str(ds, 'x00080070'),
      samplesPerPixel: us(ds, 'x00280002'),
      photometricInterpretation: str(ds, 'x00280004'),
      rows: us(ds, 'x00280010'),
      columns: us(ds, 'x00280011'),
      bitsAllocated: us(ds, 'x00280100'),
      bitsStored: us(ds, 'x00280101'),
      highBit: us(ds, 'x00280102'),
      pixelRepresentation: us(ds, 'x00280103'),
      numberOfFrames,
    },
    top: {
      imagePositionPatient: numbers(ds, 'x00200032'),
      imageOrientationPatient: numbers(ds, 'x00200037'),
      pixelSpacing: numbers(ds, 'x00280030'),
      sliceThickness: num(ds, 'x00180050'),
      rescaleIntercept: num(ds, 'x00281052'),
      rescaleSlope: num(ds, 'x00281053'),
      windowCenterRaw: str(ds, 'x00281050'),
      windowWidthRaw: str(ds, 'x00281051'),
    },
  };
}

function frameHeader(ctx: SliceContext, f: number): SliceHeader {
  const own = functionalGroup(ctx.perFrameItems[f]?.dataSet);
  const pick = <K extends keyof FrameFields>(k: K) => defined(own[k], ctx.shared[k], ctx.top[k]);
  const windowCenterRaw = (pick('windowCenterRaw') as string | null) ?? '';
  const windowWidthRaw = (pick('windowWidthRaw') as string | null) ?? '';
  return {
    ...ctx.base,
    frame: ctx.multiFrame ? f + 1 : null,
    imagePositionPatient: pick('imagePositionPatient') as number[] | null,
    imageOrientationPatient: pick('imageOrientationPatient') as number[] | null,
    pixelSpacing: pick('pixelSpacing') as number[] | null,
    sliceThickness: pick('sliceThickness') as number | null,
    windowCenterRaw,
    windowWidthRaw,
    windowCenter: splitNumbers(windowCenterRaw),
    windowWidth: splitNumbers(windowWidthRaw),
    // DICOM defaults when absent: identity rescale.
    rescaleIntercept: (pick('rescaleIntercept') as number | null) ?? 0,
    rescaleSlope: (pick('rescaleSlope') as number | null) ?? 1,
  };
}

/**
 * Reads the slice headers of a data set: one per frame (frames numbered from 1 when multi-frame).
 * Number of Frames is checked against the pixel data first (DicomError 'unreadable' when the file
 * cannot hold that many frames), so the loop is never longer than the file allows.
 */
export function readSliceHeaders(ds: DataSet): SliceHeader[] {
  const numberOfFrames = checkFrameCount(ds);
  const ctx = sliceContext(ds, numberOfFrames);
  const headers: SliceHeader[] = [];
  for (let f = 0; f < numberOfFrames; f++) headers.push(frameHeader(ctx, f));
  return headers;
}

/**
 * The header of one frame (0-based) without building the others, and without checking the frame
 * count (a first look at a file, before it is known to be a usable image): the declared count is
 * read leniently, as a number that may be anything.
 */
export function readSliceHeader(ds: DataSet, frameIndex = 0): SliceHeader {
  const framesRaw = num(ds, 'x00280008');
  const numberOfFrames = framesRaw && framesRaw > 0 ? Math.floor(framesRaw) : 1;
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= numberOfFrames) {
    throw new RangeError(`frame ${frameIndex} is outside 0..${numberOfFrames - 1}`);
  }
  return frameHeader(sliceContext(ds, numberOfFrames), frameIndex);
}

/** The image id used everywhere (index, JSON, labels): the SOP instance UID, with `#frame` for multi-frame. */
export function imageIdOf(h: Pick<SliceHeader, 'sopInstanceUid' | 'frame'>): string {
  return h.frame === null ? h.sopInstanceUid : `${h.sopInstanceUid}#${h.frame}`;
}

const PRINTABLE = /^[\x20-\x7e\t\r\n]*$/;

/** The header dump's size limit (it is stored with every slice of the file): 64 KiB of text. */
export const MAX_HEADER_DUMP_CHARS = 64 * 1024;

/**
 * Every top-level element except pixel data, as text where it is text (the seed dumped every header
 * element); binary values are summarised by length. Keys are tags like "0028,0030". At most
 * `maxChars` characters of keys and values: what does not fit is counted under the key "(more)".
 */
export function dumpHeader(ds: DataSet, maxChars = MAX_HEADER_DUMP_CHARS): Record<string, string> {
  const out: Record<string, string> = {};
  let used = 0;
  let skipped = 0;
  for (const [tag, el] of Object.entries(ds.elements)) {
    if (tag === 'x7fe00010' || tag.startsWith('x0002')) continue;
    const key = `${tag.slice(1, 5)},${tag.slice(5, 9)}`.toUpperCase();
    const value = elementText(ds, tag, el);
    if (used + key.length + value.length > maxChars) {
      skipped++;
      continue;
    }
    used += key.length + value.length;
    out[key] = value;
  }
  if (skipped) out['(more)'] = `${skipped} more element(s) not shown`;
  return out;
}

function elementText(ds: DataSet, tag: string, el: DataSet['elements'][string]): string {
  if (el.items) return `<sequence of ${el.items.length} item(s)>`;
  // Longer values, and values the file does not hold in full, are only sized.
  if (el.length > 1024 || el.dataOffset + el.length > ds.byteArray.length) return `<${el.length} bytes>`;
  const vr = el.vr;
  if (vr === 'US' || ((!vr || vr === 'xs') && el.length === 2 && !PRINTABLE.test(ds.string(tag) ?? '\0'))) {
    return String(ds.uint16(tag));
  }
  const text = ds.string(tag) ?? '';
  return PRINTABLE.test(text) ? text.trim() : `<${el.length} bytes>`;
}
