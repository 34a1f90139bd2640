// Number of Frames, checked against the bytes the file really holds before anything loops over frames
// or allocates per frame. A header may claim 99,999,999 frames in a 1 MB file; building a header (or a
// decode) per claimed frame would grow without limit, so the claim is refused up front: native pixel
// data must hold frames x (rows x columns x samples x bits) bytes, and encapsulated pixel data needs a
// fragment per frame (PS3.5 A.4: a fragment never holds data of two frames). The same check serves
// the slice headers (header.ts) and the pixel module (pixels.ts), so the two always agree.
import { DicomError } from './errors.ts';
import type { DataSet } from './parse.ts';

/** More frames than any CT series in one file; a bigger count is taken to be lying. */
export const MAX_FRAMES = 65536;

/**
 * Number of Frames (0028,0008) as declared: absent, empty or 0 is one frame (as pydicom reads it).
 * Throws DicomError('unreadable') for a value that is not an integer in 0..MAX_FRAMES.
 */
export function declaredFrameCount(ds: DataSet): number {
  const element = ds.elements['x00280008'];
  const text = element ? (ds.string('x00280008') ?? '').trim() : '';
  const n = text ? Number(text) : 1;
  if (!Number.isInteger(n) || n < 0 || n > MAX_FRAMES) {
    throw new DicomError('unreadable', `Number of Frames "${text.slice(0, 40)}" is not an integer in 0..${MAX_FRAMES}`);
  }
  return Math.max(1, n);
}

function headerUint16(ds: DataSet, tag: string): number {
  const el = ds.elements[tag];
  if (!el || el.length < 2 || el.dataOffset + 2 > ds.byteArray.length) return 0;
  return ds.uint16(tag) ?? 0;
}

/**
 * The declared frame count, once the pixel data is known to hold that many frames; O(1), allocates
 * nothing. Throws DicomError('unreadable') when it cannot, 'no_pixels' for several frames and no
 * Pixel Data at all.
 */
export function checkFrameCount(ds: DataSet): number {
  const frames = declaredFrameCount(ds);
  const pixels = ds.elements['x7fe00010'];
  if (!pixels) {
    if (frames > 1) throw new DicomError('no_pixels', `Number of Frames is ${frames} but there is no Pixel Data (7FE0,0010)`);
    return frames;
  }
  const bytes = ds.byteArray.length;
  if (pixels.encapsulatedPixelData) {
    const fragments = pixels.fragments ?? [];
    // The parser walks fragments by their lengths, so only the last one can claim bytes past the end.
    const last = fragments[fragments.length - 1];
    if (last && last.position + last.length > bytes) {
      throw new DicomError('unreadable', `pixel data fragment ${fragments.length} claims ${last.length} bytes; the file ends ${last.position + last.length - bytes} bytes early`);
    }
    if (fragments.length < frames) throw new DicomError('unreadable', `${frames} frames but only ${fragments.length} pixel data fragments`);
    return frames;
  }
  // Native: a lower bound of the bytes one frame needs (missing fields count as 1, so it never overshoots).
  const dim = (tag: string) => Math.max(1, headerUint16(ds, tag));
  const frameBits = dim('x00280010') * dim('x00280011') * dim('x00280002') * dim('x00280100');
  const frameBytes = Math.max(1, Math.floor(frameBits / 8));
  const implied = frames * frameBytes;
  const present = Math.max(0, bytes - pixels.dataOffset);
  if (implied > pixels.length) throw new DicomError('unreadable', `pixel data is ${pixels.length} bytes, header implies ${implied}`);
  if (implied > present) throw new DicomError('unreadable', `pixel data is cut short: the file ends ${implied - present} bytes early`);
  return frames;
}
