// Pixel data -> stored values -> HU. Validates the Image Pixel module, picks the codec for the
// transfer syntax (transfer-syntax.ts) and turns every codec's output into stored values.
import { DicomError } from './errors.ts';
import { checkFrameCount, MAX_FRAMES } from './frame-count.ts';
import type { DataSet, ParsedDicom } from './parse.ts';
import { transferSyntaxInfo } from './transfer-syntax.ts';
import type { CodecId } from './transfer-syntax.ts';
import * as charls from './codecs/charls.ts';
import { readEncapsulatedFrame } from './codecs/fragments.ts';
import type { DecodedFrame, FrameInfo } from './codecs/frame-info.ts';
import * as ijg12 from './codecs/ijg12.ts';
import { readJpegFrameHeader } from './codecs/jpeg-header.ts';
import * as jpegLossless from './codecs/jpeg-lossless.ts';
import * as libjpegTurbo from './codecs/libjpeg-turbo.ts';
import { readNativeFrame } from './codecs/native.ts';
import * as openjpeg from './codecs/openjpeg.ts';
import * as rle from './codecs/rle.ts';
import { toStoredValues } from './codecs/stored-values.ts';

/** Image Pixel module values (PS3.3 C.7.6.3) the decoder relies on. */
export interface PixelModule {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  samplesPerPixel: number;
  photometricInterpretation: 'MONOCHROME1' | 'MONOCHROME2';
  numberOfFrames: number;
}

/** Larger than any CT; a bigger header is taken to be lying rather than allocated for. */
export const MAX_DIMENSION = 16384;
export { MAX_FRAMES };

function requiredUint16(ds: DataSet, tag: string, name: string): number {
  const value = ds.uint16(tag);
  if (value === undefined) throw new DicomError('unreadable', `${name} ${tag.slice(1)} is missing`);
  return value;
}

/** Reads and validates the pixel module; throws DicomError ('no_pixels' | 'unsupported' | 'unreadable'). */
export function readPixelModule(ds: DataSet): PixelModule {
  if (!ds.elements['x7fe00010']) {
    if (ds.elements['x7fe00008'] || ds.elements['x7fe00009']) {
      throw new DicomError('unsupported', 'float pixel data (7FE0,0008/0009) is not supported');
    }
    throw new DicomError('no_pixels', 'no Pixel Data (7FE0,0010)');
  }
  // Absent Samples per Pixel / Photometric Interpretation are read as the only values CT uses.
  const samplesPerPixel = ds.uint16('x00280002') ?? 1;
  const photometric = (ds.string('x00280004') ?? 'MONOCHROME2').trim().toUpperCase();
  if (samplesPerPixel !== 1) throw new DicomError('unsupported', `Samples per Pixel is ${samplesPerPixel}, only 1 is supported`);
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') {
    throw new DicomError('unsupported', `Photometric Interpretation ${photometric} is not supported (MONOCHROME1/2 only)`);
  }
  const rows = requiredUint16(ds, 'x00280010', 'Rows');
  const columns = requiredUint16(ds, 'x00280011', 'Columns');
  if (rows < 1 || columns < 1 || rows > MAX_DIMENSION || columns > MAX_DIMENSION) {
    throw new DicomError('unreadable', `image size ${columns}x${rows} is outside 1..${MAX_DIMENSION}`);
  }
  const bitsAllocated = requiredUint16(ds, 'x00280100', 'Bits Allocated');
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    const legal = bitsAllocated === 1 || bitsAllocated % 8 === 0;
    throw new DicomError(legal ? 'unsupported' : 'unreadable', `Bits Allocated ${bitsAllocated} is not supported (8 or 16 only)`);
  }
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    throw new DicomError('unreadable', `Bits Stored ${bitsStored} does not fit Bits Allocated ${bitsAllocated}`);
  }
  const highBit = ds.uint16('x00280102') ?? bitsStored - 1;
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw new DicomError('unreadable', `High Bit ${highBit} is inconsistent with Bits Stored ${bitsStored} / Allocated ${bitsAllocated}`);
  }
  const pixelRepresentation = ds.uint16('x00280103') ?? 0;
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1) {
    throw new DicomError('unreadable', `Pixel Representation ${pixelRepresentation} is neither 0 nor 1`);
  }
  // Like pydicom, an absent or zero Number of Frames means one frame; the count must fit the pixel data.
  const numberOfFrames = checkFrameCount(ds);
  return {
    rows,
    columns,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation,
    samplesPerPixel,
    photometricInterpretation: photometric,
    numberOfFrames,
  };
}

interface Codec {
  init?: () => Promise<void>;
  decode: (encoded: Uint8Array, info: FrameInfo) => DecodedFrame;
}

/** DCT JPEG by the frame's SOF precision: 8-bit to libjpeg-turbo, the rest (12-bit) to IJG 12-bit (ijg12.ts). */
const jpegDct: Codec = {
  init: async () => {
    await Promise.all([libjpegTurbo.init(), ijg12.init()]);
  },
  decode: (encoded, info) => (readJpegFrameHeader(encoded).precision === 8 ? libjpegTurbo : ijg12).decode(encoded, info),
};

const CODECS: Record<Exclude<CodecId, 'native'>, Codec> = {
  rle,
  'jpeg-dct': jpegDct,
  'jpeg-lossless': jpegLossless,
  'jpeg-ls': charls,
  jpeg2000: openjpeg,
};

/** Codecs whose wasm is loaded; native needs none. Loading is lazy so a scan of plain files never pays for wasm. */
const ready = new Set<CodecId>(['native', ...(Object.keys(CODECS) as CodecId[]).filter((id) => !CODECS[id as Exclude<CodecId, 'native'>].init)]);
const loading = new Map<CodecId, Promise<void>>();

/** Loads one codec's wasm once; later calls return the same promise, and a failed load can be retried. */
export function initCodec(id: CodecId): Promise<void> {
  if (ready.has(id)) return Promise.resolve();
  let p = loading.get(id);
  if (!p) {
    p = Promise.resolve(CODECS[id as Exclude<CodecId, 'native'>].init?.()).then(
      () => {
        ready.add(id);
      },
      (err: unknown) => {
        loading.delete(id);
        throw err;
      },
    );
    loading.set(id, p);
  }
  return p;
}

/** Loads what decoding this transfer syntax needs (nothing for native or unknown syntaxes: decoding reports those). */
export function initCodecsFor(transferSyntaxUid: string): Promise<void> {
  let codec: CodecId;
  try {
    codec = transferSyntaxInfo(transferSyntaxUid).codec;
  } catch {
    return Promise.resolve();
  }
  return initCodec(codec);
}

/** Loads every codec (for tools that decode many syntaxes up front). */
export async function initCodecs(): Promise<void> {
  await Promise.all((Object.keys(CODECS) as CodecId[]).map(initCodec));
}

/**
 * Decodes frame `frameIndex` (0-based) to its stored values (rows*columns, row-major): Bits Stored
 * bits taken from below High Bit, sign-extended when Pixel Representation is 1, in host order.
 * Synchronous, but needs the syntax's codec loaded first (`await initCodecsFor(uid)` or `initCodecs()`).
 * Problems are DicomErrors.
 */
export function decodeFrameStored(parsed: ParsedDicom, frameIndex: number): Int32Array {
  const pm = readPixelModule(parsed.dataSet);
  const syntax = transferSyntaxInfo(parsed.transferSyntaxUid);
  if (!ready.has(syntax.codec)) throw new Error(`the ${syntax.codec} codec is not loaded: await initCodecsFor('${syntax.uid}') before decoding`);
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= pm.numberOfFrames) {
    throw new RangeError(`frame ${frameIndex} is outside 0..${pm.numberOfFrames - 1}`);
  }
  const info: FrameInfo = {
    rows: pm.rows,
    columns: pm.columns,
    bitsAllocated: pm.bitsAllocated,
    bitsStored: pm.bitsStored,
    pixelRepresentation: pm.pixelRepresentation,
  };
  const signed = pm.pixelRepresentation === 1;
  if (syntax.codec === 'native') {
    const element = parsed.dataSet.elements['x7fe00010']!;
    if (element.encapsulatedPixelData) throw new DicomError('unreadable', `pixel data is encapsulated but ${syntax.name} is native`);
    const words = readNativeFrame(
      { byteArray: parsed.byteArray, dataOffset: element.dataOffset, length: element.length },
      info,
      pm.numberOfFrames,
      frameIndex,
      syntax.bigEndian,
    );
    return toStoredValues(words, pm.bitsStored, pm.highBit + 1 - pm.bitsStored, signed);
  }
  const encoded = readEncapsulatedFrame(parsed.dataSet, frameIndex, pm.numberOfFrames, syntax.codec === 'rle');
  const decoded = CODECS[syntax.codec].decode(encoded, info);
  if (decoded.samples.length !== pm.rows * pm.columns) {
    throw new DicomError('unreadable', `${syntax.name} frame decoded to ${decoded.samples.length} samples, expected ${pm.rows * pm.columns}`);
  }
  // Codecs return right-aligned samples, so High Bit plays no part here.
  return toStoredValues(decoded.samples, decoded.bits, 0, signed);
}

/**
 * HU = slope * stored + intercept: the Modality LUT, nothing more. MONOCHROME1 is not inverted here:
 * PS3.3 C.7.6.3.1.2 applies the photometric interpretation after the Modality and VOI LUTs, at display,
 * so the HU of a MONOCHROME1 image are its rescaled stored values (as pydicom's apply_modality_lut
 * gives, and as the seed computed them); the viewer inverts the display for MONOCHROME1.
 */
export function storedToHu(stored: Int32Array, slope: number, intercept: number): Float32Array {
  const hu = new Float32Array(stored.length);
  for (let i = 0; i < stored.length; i++) hu[i] = slope * stored[i]! + intercept;
  return hu;
}
