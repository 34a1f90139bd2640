/**
 * Training / inference images: one slice of an indexed file, prepared as the seed did (pad to square with
 * the raw [0,0] value, HU, anti-aliased resize to the model size), kept in memory while a budget allows
 * so that later epochs skip the decode. A file that cannot be read gives a zero image and one warning line
 * naming it (the seed's fallback), so one bad file never stops a run.
 */
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../base/errors.ts';
import { readSliceHeaders } from '../dicom/header.ts';
import { parseDicomBytes } from '../dicom/parse.ts';
import { decodeFrameStored, initCodecsFor, readPixelModule } from '../dicom/pixels.ts';
import { prepareImage } from '../dicom/prepare.ts';

export interface SliceRef {
  imageId: string;
  path: string;
  /** 1-based frame, or null for single-frame files. */
  frame: number | null;
}

export async function loadPreparedSlice(ref: SliceRef, size: number): Promise<Float32Array> {
  return (await loadPreparedSliceShaped(ref, size)).image;
}

/** loadPreparedSlice, with the stored image's rows and columns (what the square model image was padded from). */
export async function loadPreparedSliceShaped(ref: SliceRef, size: number): Promise<{ image: Float32Array; rows: number; columns: number }> {
  const bytes = await readFile(ref.path);
  const parsed = parseDicomBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const pm = readPixelModule(parsed.dataSet);
  const frameIndex = (ref.frame ?? 1) - 1;
  if (frameIndex < 0 || frameIndex >= pm.numberOfFrames) throw new RangeError(`frame ${ref.frame} but the file has ${pm.numberOfFrames}`);
  await initCodecsFor(parsed.transferSyntaxUid);
  const header = readSliceHeaders(parsed.dataSet)[frameIndex]!;
  const stored = decodeFrameStored(parsed, frameIndex);
  const image = prepareImage(stored, pm.rows, pm.columns, { slope: header.rescaleSlope, intercept: header.rescaleIntercept }, size);
  return { image, rows: pm.rows, columns: pm.columns };
}

export class SliceImages {
  private readonly cache = new Map<string, Float32Array>();
  private cachedBytes = 0;
  readonly warnings: string[] = [];

  /** budgetBytes: how much memory the cache may hold (default 1 GiB). */
  constructor(readonly size: number, private readonly budgetBytes = 1 << 30, private readonly warn: (line: string) => void = () => {}) {}

  async get(ref: SliceRef): Promise<Float32Array> {
    const hit = this.cache.get(ref.imageId);
    if (hit) return hit;
    let img: Float32Array;
    try {
      img = await loadPreparedSlice(ref, this.size);
    } catch (err) {
      const line = `${ref.path}: ${errorMessage(err)} (using a zero image)`;
      this.warnings.push(line);
      this.warn(line);
      img = new Float32Array(this.size * this.size);
    }
    if (this.cachedBytes + img.byteLength <= this.budgetBytes) {
      this.cache.set(ref.imageId, img);
      this.cachedBytes += img.byteLength;
    }
    return img;
  }
}
