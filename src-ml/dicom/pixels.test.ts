import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEncapsulatedFrame } from './codecs/fragments.ts';
import { parseMinimal, problemOf } from './testing/dicom-problems.ts';
import { DicomError } from './errors.ts';
import type { ProblemKind } from './errors.ts';
import { parseDicomBytes } from './parse.ts';
import type { ParsedDicom } from './parse.ts';
import { decodeFrameStored, initCodecs, readPixelModule, storedToHu } from './pixels.ts';
import { transferSyntaxInfo } from './transfer-syntax.ts';
import { EXPLICIT_BE_UID, RLE_UID, writeMinimalDicom } from './testing/write-minimal-dicom.ts';
import type { MinimalImageSpec } from './testing/write-minimal-dicom.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLES = path.resolve(REPO_ROOT, '../shared/dicom');
const PYTHON = '/usr/bin/python3'; // Debian's, with python3-pydicom / python3-gdcm / python3-numpy
const REFERENCE_SCRIPT = fileURLToPath(new URL('./testing/reference_hu.py', import.meta.url));

const parse = parseMinimal;

/** An RLE frame (PS3.5 G.5): 64-byte header with segment offsets, then the given PackBits segments. */
function rleFrame(segments: readonly (readonly number[])[]): Uint8Array {
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += s.length;
  });
  return Uint8Array.from([...header, ...segments.flat()]);
}

// Runs first, before any describe's beforeAll has loaded the codecs.
it('decodes native data with no codec loaded, and refuses a wasm codec before it is loaded', () => {
  expect([...decodeFrameStored(parse({ rows: 1, columns: 1, pixels: [5] }), 0)]).toEqual([5]);
  const j2k = parseDicomBytes(new Uint8Array(readFileSync(path.join(SAMPLES, 'transfer-syntaxes/cornerstone/CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm'))));
  expect(() => decodeFrameStored(j2k, 0)).toThrow(/jpeg2000 codec is not loaded/);
  const rle = parse({ rows: 1, columns: 2, bitsAllocated: 8, bitsStored: 8, transferSyntaxUid: RLE_UID, fragments: [rleFrame([[0xff, 5]])] });
  expect(() => decodeFrameStored(rle, 0)).toThrow(/rle codec is not loaded/);
});

describe('decodeFrameStored on synthetic files', () => {
  beforeAll(async () => {
    await initCodecs();
    await initCodecs(); // idempotent
  });

  it('masks 12-bit signed values stored in 16 bits and sign-extends them, ignoring garbage high bits', () => {
    const values = [0, 1, 2047, -2048, -1, -1000];
    const words = values.map((v, i) => (v & 0xfff) | (i % 2 ? 0xa000 : 0x5000));
    const parsed = parse({ rows: 2, columns: 3, bitsStored: 12, pixelRepresentation: 1, pixels: words });
    expect([...decodeFrameStored(parsed, 0)]).toEqual(values);
  });

  it('shifts down when High Bit is not Bits Stored - 1', () => {
    const values = [0, 1, 2047, -2048, -1, 123];
    // 12 bits at 15..4, garbage in the low nibble
    const top = values.map((v) => ((v & 0xfff) << 4) | 0xf);
    expect([...decodeFrameStored(parse({ rows: 1, columns: 6, bitsStored: 12, highBit: 15, pixelRepresentation: 1, pixels: top }), 0)]).toEqual(values);
    // unsigned 12 bits at 13..2, garbage in bits 15..14 and 1..0
    const unsigned = [0, 1, 4095, 2048, 77, 3000];
    const mid = unsigned.map((v) => (v << 2) | 0xc003);
    expect([...decodeFrameStored(parse({ rows: 2, columns: 3, bitsStored: 12, highBit: 13, pixels: mid }), 0)]).toEqual(unsigned);
  });

  it('byte-swaps explicit VR big endian 16-bit data', () => {
    const values = [-1024, 0, 1, 3071, -32768, 32767];
    const bytes = writeMinimalDicom({ rows: 2, columns: 3, bitsStored: 16, pixelRepresentation: 1, transferSyntaxUid: EXPLICIT_BE_UID, pixels: values });
    const parsed = parseDicomBytes(bytes);
    expect(parsed.transferSyntaxUid).toBe(EXPLICIT_BE_UID);
    const element = parsed.dataSet.elements['x7fe00010']!;
    expect([...bytes.subarray(element.dataOffset, element.dataOffset + 2)]).toEqual([0xfc, 0x00]); // -1024, big endian
    expect([...decodeFrameStored(parsed, 0)]).toEqual(values);
    const unsigned = [0, 4095, 258];
    expect([...decodeFrameStored(parse({ rows: 1, columns: 3, transferSyntaxUid: EXPLICIT_BE_UID, pixels: unsigned }), 0)]).toEqual(unsigned);
  });

  it('reads 8-bit data, odd-length (padded) and signed', () => {
    const values = [0, 1, 2, 127, 128, 200, 254, 255, 9];
    expect([...decodeFrameStored(parse({ rows: 3, columns: 3, bitsAllocated: 8, bitsStored: 8, pixels: values }), 0)]).toEqual(values);
    const signed = [-128, -1, 0, 127];
    const parsed = parse({ rows: 2, columns: 2, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 1, pixels: signed });
    expect([...decodeFrameStored(parsed, 0)]).toEqual(signed);
  });

  it('reads each frame of native multi-frame data', () => {
    const parsed = parse({ rows: 2, columns: 2, numberOfFrames: 3, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
    expect(readPixelModule(parsed.dataSet).numberOfFrames).toBe(3);
    expect([...decodeFrameStored(parsed, 0)]).toEqual([1, 2, 3, 4]);
    expect([...decodeFrameStored(parsed, 2)]).toEqual([9, 10, 11, 12]);
    expect(() => decodeFrameStored(parsed, 3)).toThrow(RangeError);
  });

  it('reports a lying header as unreadable without allocating what it claims', () => {
    const lie = problemOf(() => decodeFrameStored(parse({ rows: 4096, columns: 4096, pixels: [1, 2, 3, 4] }), 0));
    expect(lie).toEqual({ kind: 'unreadable', message: 'pixel data is 8 bytes, header implies 33554432' });
    // 16384 x 16384 x 65536 frames x 2 bytes is 32 TiB: only a check before allocating can answer this.
    const huge = problemOf(() => decodeFrameStored(parse({ rows: 16384, columns: 16384, numberOfFrames: 65536, pixels: [1, 2] }), 0));
    expect(huge.kind).toBe('unreadable');
    expect(huge.message).toMatch(/^pixel data is 4 bytes, header implies \d+$/);
    expect(problemOf(() => readPixelModule(parse({ rows: 20000, columns: 2, pixels: [1] }).dataSet)).kind).toBe('unreadable');
    expect(problemOf(() => readPixelModule(parse({ rows: 2, columns: 2, numberOfFrames: 10_000_000, pixels: [1] }).dataSet)).kind).toBe('unreadable');
    // More data than the header implies is a mismatch too (beyond one padding byte).
    expect(problemOf(() => decodeFrameStored(parse({ rows: 1, columns: 2, pixels: [1, 2, 3, 4] }), 0)).message).toBe('pixel data is 8 bytes, header implies 4');
    // An RLE segment of a few bytes cannot expand to 16384 x 16384 pixels.
    const rle = parse({ rows: 16384, columns: 16384, bitsAllocated: 8, bitsStored: 8, transferSyntaxUid: RLE_UID, fragments: [rleFrame([[0x81, 0]])] });
    expect(problemOf(() => decodeFrameStored(rle, 0))).toEqual({ kind: 'unreadable', message: 'RLE segment 1 (2 bytes) cannot hold 268435456 pixels' });
  });

  it('reports missing pixel data as no_pixels', () => {
    const parsed = parse({ rows: 2, columns: 2, omitPixelData: true });
    expect(problemOf(() => readPixelModule(parsed.dataSet)).kind).toBe('no_pixels');
    expect(problemOf(() => decodeFrameStored(parsed, 0))).toEqual({ kind: 'no_pixels', message: 'no Pixel Data (7FE0,0010)' });
  });

  it('reports colour, multi-sample and unknown transfer syntaxes as unsupported', () => {
    expect(problemOf(() => readPixelModule(parse({ rows: 1, columns: 1, photometric: 'PALETTE COLOR', pixels: [1] }).dataSet)).kind).toBe('unsupported');
    expect(problemOf(() => readPixelModule(parse({ rows: 1, columns: 1, samplesPerPixel: 3, photometric: 'RGB', pixels: [1, 2, 3] }).dataSet)).kind).toBe('unsupported');
    const mpeg = parse({ rows: 1, columns: 1, transferSyntaxUid: '1.2.840.10008.1.2.4.100', fragments: [new Uint8Array(4)] });
    expect(problemOf(() => decodeFrameStored(mpeg, 0))).toEqual({ kind: 'unsupported', message: 'transfer syntax 1.2.840.10008.1.2.4.100 is not supported' });
    expect(problemOf(() => transferSyntaxInfo('1.2.840.10008.1.2.4.52')).kind).toBe('unsupported'); // retired, arithmetic coding
    expect(transferSyntaxInfo('1.2.840.10008.1.2.4.55')).toMatchObject({ encapsulated: true, lossy: true, codec: 'jpeg-dct' });
    expect(transferSyntaxInfo('1.2.840.10008.1.2.4.51')).toMatchObject({ encapsulated: true, lossy: true, codec: 'jpeg-dct' });
  });

  it('returns stored values for MONOCHROME1, and HU are the rescaled stored values (inversion is for display)', () => {
    const parsed = parse({ rows: 1, columns: 3, photometric: 'MONOCHROME1', pixels: [0, 4095, 1000] });
    const stored = decodeFrameStored(parsed, 0);
    expect([...stored]).toEqual([0, 4095, 1000]);
    // unsigned 12-bit: 4095 - v, then slope/intercept
    expect([...storedToHu(stored, 2, -1024)]).toEqual([-1024, 4095 * 2 - 1024, 2000 - 1024]);
    // signed 16-bit: min + max - v = -1 - v
    expect([...storedToHu(Int32Array.from([-32768, 32767, 0]), 1, 0)]).toEqual([-32768, 32767, 0]);
    expect([...storedToHu(Int32Array.from([3]), 0.5, 1.25)]).toEqual([2.75]);
  });

  /** A one-segment 8-bit RLE file of rows x columns. */
  function rle8(rows: number, columns: number, segment: readonly number[]): ParsedDicom {
    return parse({ rows, columns, bitsAllocated: 8, bitsStored: 8, transferSyntaxUid: RLE_UID, fragments: [rleFrame([segment])] });
  }

  it('decodes RLE literal, replicate and no-op runs (PS3.5 G.3.1), ignoring what follows a full plane', () => {
    // literal 2, repeat 3 (0xfe = -2), no-op (0x80), repeat 3 (0xfe)
    expect([...decodeFrameStored(rle8(2, 4, [1, 10, 11, 0xfe, 7, 0x80, 0xfe, 9]), 0)]).toEqual([10, 11, 7, 7, 7, 9, 9, 9]);
    // the longest runs: 128 literal bytes (0x7f), then 128 repeats (0x81)
    const literal = Array.from({ length: 128 }, (_, i) => (i * 7) & 0xff);
    expect([...decodeFrameStored(rle8(16, 16, [0x7f, ...literal, 0x81, 200]), 0)]).toEqual([...literal, ...new Array<number>(128).fill(200)]);
    // a pad byte, or further runs, after the plane is full are ignored
    expect([...decodeFrameStored(rle8(1, 2, [1, 4, 5, 0]), 0)]).toEqual([4, 5]);
    expect([...decodeFrameStored(rle8(1, 2, [1, 4, 5, 0xff, 9]), 0)]).toEqual([4, 5]);
    // 16-bit, both segments mixing replicate and literal runs
    const values = [0x0102, 0x0102, 0x0102, 0x0104, 0xff80, 0x7f00];
    const sixteen = parse({
      rows: 2, columns: 3, bitsStored: 16, transferSyntaxUid: RLE_UID,
      fragments: [rleFrame([[0xfd, 1, 1, 0xff, 0x7f], [0xfe, 2, 2, 4, 0x80, 0]])],
    });
    expect([...decodeFrameStored(sixteen, 0)]).toEqual(values);
  });

  it('refuses RLE frames whose segments do not fill, or overrun, the image before decoding them', () => {
    const problem = (parsed: ParsedDicom) => problemOf(() => decodeFrameStored(parsed, 0));
    // The codec would zero-fill the rest of a segment that ends early, and say nothing.
    expect(problem(rle8(2, 4, [0xfe, 7]))).toEqual({ kind: 'unreadable', message: 'RLE segment 1 decodes to 3 bytes, expected 8' });
    // A literal run of 6 cut off after 3 (the fragment is even-length, so no pad byte joins it).
    expect(problem(rle8(2, 3, [5, 1, 2, 3]))).toEqual({ kind: 'unreadable', message: 'RLE segment 1 decodes to 3 bytes, expected 6' });
    const truncated = parse({ rows: 2, columns: 2, bitsStored: 16, transferSyntaxUid: RLE_UID, fragments: [rleFrame([[3, 1, 2, 3, 4], [1, 5, 6]])] });
    expect(problem(truncated)).toEqual({ kind: 'unreadable', message: 'RLE segment 2 decodes to 2 bytes, expected 4' });
    // A run past the plane: a replicate run one sample over would be written past the codec's buffer.
    expect(problem(rle8(1, 3, [0xfd, 4]))).toEqual({ kind: 'unreadable', message: 'RLE segment 1 has a run past its 3 bytes' });
    expect(problem(rle8(1, 2, [0xfd, 4, 0]))).toEqual({ kind: 'unreadable', message: 'RLE segment 1 has a run past its 2 bytes' });
    expect(problem(rle8(1, 3, [3, 1, 2, 3, 4]))).toEqual({ kind: 'unreadable', message: 'RLE segment 1 has a run past its 3 bytes' });
  });

  it('refuses an RLE header that does not fit the data set or its own frame', () => {
    const problem = (parsed: ParsedDicom) => problemOf(() => decodeFrameStored(parsed, 0));
    const rle16 = (frame: Uint8Array) => parse({ rows: 2, columns: 2, bitsStored: 16, transferSyntaxUid: RLE_UID, fragments: [frame] });
    const good = rleFrame([[3, 1, 2, 3, 4], [3, 5, 6, 7, 8]]); // segments at 64 and 69, 74 bytes
    expect([...decodeFrameStored(rle16(good), 0)]).toEqual([0x0105, 0x0206, 0x0307, 0x0408]);
    /** `good` with header word `index` (0: segment count, 1..15: offsets) replaced. */
    const lie = (index: number, value: number) => {
      const frame = good.slice();
      new DataView(frame.buffer).setUint32(4 * index, value, true);
      return rle16(frame);
    };
    // The codec would decode as many segments as claimed into planes sized from the data set.
    expect(problem(lie(0, 3)).message).toBe('RLE frame has 3 segments, Bits Allocated 16 needs 2');
    expect(problem(lie(0, 0xffffffff)).message).toBe('RLE frame has 4294967295 segments, Bits Allocated 16 needs 2');
    const none = parse({ rows: 1, columns: 2, bitsAllocated: 8, bitsStored: 8, transferSyntaxUid: RLE_UID, fragments: [rleFrame([])] });
    expect(problem(none).message).toBe('RLE frame has 0 segments, Bits Allocated 8 needs 1');
    // Offsets before the header, past the frame, or descending.
    expect(problem(lie(1, 0))).toEqual({ kind: 'unreadable', message: 'RLE segment 1 has bad offsets 0..69' });
    expect(problem(lie(2, 1000))).toEqual({ kind: 'unreadable', message: 'RLE segment 1 has bad offsets 64..1000' });
    expect(problem(lie(2, 60)).message).toBe('RLE segment 1 has bad offsets 64..60');
    expect(problem(lie(2, 0x80000000)).message).toBe('RLE segment 1 has bad offsets 64..2147483648');
    expect(problem(rle16(Uint8Array.from(good.subarray(0, 60))))).toEqual({ kind: 'unreadable', message: 'RLE frame is 60 bytes, shorter than its header' });
  });

  it('decodes RLE frames: 8- and 16-bit, multi-frame, and rejects a wrong segment count', () => {
    const eight = parse({ rows: 3, columns: 3, bitsAllocated: 8, bitsStored: 8, transferSyntaxUid: RLE_UID, fragments: [rleFrame([[0xf9, 7, 0x00, 9]])] });
    expect([...decodeFrameStored(eight, 0)]).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 9]);
    // 16-bit signed: segment 1 holds the high bytes, segment 2 the low bytes
    const values = [0x0102, -1, -32768, 1000];
    const msb = values.map((v) => (v >> 8) & 0xff);
    const lsb = values.map((v) => v & 0xff);
    const frame = (s: number[]) => rleFrame([[3, ...s.map((v) => (v >> 8) & 0xff)], [3, ...s.map((v) => v & 0xff)]]);
    const multi = parse({
      rows: 2, columns: 2, bitsStored: 16, pixelRepresentation: 1, numberOfFrames: 2, transferSyntaxUid: RLE_UID,
      fragments: [rleFrame([[3, ...msb], [3, ...lsb]]), frame([5, 6, 7, 8])],
    });
    expect([...decodeFrameStored(multi, 0)]).toEqual(values);
    expect([...decodeFrameStored(multi, 1)]).toEqual([5, 6, 7, 8]);
    const wrong = parse({ rows: 2, columns: 2, bitsStored: 16, transferSyntaxUid: RLE_UID, fragments: [rleFrame([[0xfd, 1]])] });
    expect(problemOf(() => decodeFrameStored(wrong, 0)).message).toBe('RLE frame has 1 segments, Bits Allocated 16 needs 2');
    const short = parse({ rows: 2, columns: 2, numberOfFrames: 3, transferSyntaxUid: RLE_UID, fragments: [frame([1, 2, 3, 4]), frame([1, 2, 3, 4])] });
    expect(problemOf(() => decodeFrameStored(short, 0))).toEqual({ kind: 'unreadable', message: '3 frames but only 2 pixel data fragments' });
  });

  it('turns a codec failure into a one-line unreadable problem', () => {
    const garbage = parse({ rows: 2, columns: 2, transferSyntaxUid: '1.2.840.10008.1.2.4.80', fragments: [Uint8Array.from([0xff, 0xd8, 0xff, 0xf7, 0, 11, 16, 0, 2, 0, 2, 1, 1, 0x11, 0, 0xff, 0xd9])] });
    const problem = problemOf(() => decodeFrameStored(garbage, 0));
    expect(problem.kind).toBe('unreadable');
    expect(problem.message).toMatch(/^CharLS could not decode the frame: /);
    expect(problem.message).not.toContain('\n');
    const wrongSize = parse({ rows: 4, columns: 4, transferSyntaxUid: '1.2.840.10008.1.2.4.80', fragments: [Uint8Array.from([0xff, 0xd8, 0xff, 0xf7, 0, 11, 16, 0, 2, 0, 2, 1, 1, 0x11, 0])] });
    expect(problemOf(() => decodeFrameStored(wrongSize, 0)).message).toBe('JPEG frame is 2x2, header says 4x4');
  });
});

const JPEG_EXTENDED_UID = '1.2.840.10008.1.2.4.51';
const JPEG12_SAMPLE = path.resolve(REPO_ROOT, '../shared/dicom/transfer-syntaxes/cornerstone/CTImage.dcm_JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm');

describe.skipIf(!existsSync(JPEG12_SAMPLE))('12-bit DCT JPEG (IJG 12-bit from dcmjs-codecs)', () => {
  let frame: Uint8Array = new Uint8Array(0);
  let expected: Int32Array = new Int32Array(0);

  /** The sample's 512x512 12-bit frame wrapped in a minimal file, with header fields overridden. */
  function wrap(bytes: Uint8Array, spec: Partial<MinimalImageSpec> = {}): ParsedDicom {
    return parse({ rows: 512, columns: 512, bitsStored: 12, transferSyntaxUid: JPEG_EXTENDED_UID, fragments: [bytes], ...spec });
  }

  /** Index of the first value that differs, -1 if none (toEqual on 262144 values takes ~1 s). */
  function firstDifference(a: Int32Array, b: Int32Array): number {
    if (a.length !== b.length) return Math.min(a.length, b.length);
    return a.findIndex((v, i) => v !== b[i]);
  }

  /** Offset of the first `marker` (second byte) segment in the frame. */
  function markerAt(marker: number): number {
    const at = frame.findIndex((v, i) => v === 0xff && frame[i + 1] === marker);
    if (at < 0) throw new Error(`no FF${marker.toString(16)} in the sample frame`);
    return at;
  }

  beforeAll(async () => {
    await initCodecs();
    const parsed = parseDicomBytes(readFileSync(JPEG12_SAMPLE));
    frame = Uint8Array.from(readEncapsulatedFrame(parsed.dataSet, 0, 1, false));
    expected = decodeFrameStored(parsed, 0);
  });

  it('decodes the frame out of any file, to 12-bit values', () => {
    expect(readPixelModule(wrap(frame).dataSet).bitsStored).toBe(12);
    const stored = decodeFrameStored(wrap(frame), 0);
    expect(firstDifference(stored, expected)).toBe(-1);
    const max = stored.reduce((m, v) => Math.max(m, v), 0);
    expect(max).toBeGreaterThan(255); // really more than 8 bits
    expect(max).toBeLessThan(4096);
  });

  it('checks the frame header against the data set before decoding', () => {
    expect(problemOf(() => decodeFrameStored(wrap(frame, { rows: 256 }), 0))).toEqual({ kind: 'unreadable', message: 'JPEG frame is 512x512, header says 512x256' });
    const eightBit = wrap(frame, { bitsAllocated: 8, bitsStored: 8 });
    expect(problemOf(() => decodeFrameStored(eightBit, 0))).toEqual({ kind: 'unreadable', message: 'JPEG precision 12 does not fit Bits Allocated 8' });
    const tenBit = frame.slice();
    tenBit[markerAt(0xc1) + 4] = 10; // SOF precision
    expect(problemOf(() => decodeFrameStored(wrap(tenBit), 0))).toEqual({ kind: 'unreadable', message: 'DCT JPEG precision is 10; only 8 and 12 exist' });
  });

  it('stays usable after many frames the codec rejects', () => {
    // Bogus Huffman counts: the codec throws from inside wasm. Unless ijg12.ts restores the wasm
    // stack pointer, ~30 of these break every later decode.
    const bogus = frame.slice();
    const dht = markerAt(0xc4);
    bogus.fill(0xff, dht + 4, dht + 40);
    for (let i = 0; i < 100; i++) {
      const problem = problemOf(() => decodeFrameStored(wrap(bogus), 0));
      expect(problem.kind).toBe('unreadable');
      expect(problem.message).toMatch(/^IJG 12-bit \(dcmjs-codecs\) could not decode the frame: .*Bogus Huffman table/);
      expect(problem.message).not.toContain('\n');
    }
    expect(firstDifference(decodeFrameStored(wrap(frame), 0), expected)).toBe(-1);
  });
});

// ---------------------------------------------------------------------------------------------
// Every file in ../shared/dicom: decoded equal to pydicom (+GDCM) or reported with a stated kind.

/** Files we do not decode, and why. README.md files anywhere are not_dicom too. */
const EXPECTED_PROBLEMS: Record<string, { kind: ProblemKind; why: string }> = {
  'ATTRIBUTION.md': { kind: 'not_dicom', why: 'text' },
  'phantom-philips-head/DIRFILE': { kind: 'no_pixels', why: 'DICOMDIR of the series' },
  'transfer-syntaxes/cornerstone/no-pixel-data.dcm': { kind: 'no_pixels', why: 'no Pixel Data element' },
  'transfer-syntaxes/cornerstone/no-pixel-spacing.dcm': { kind: 'unsupported', why: 'PALETTE COLOR' },
  'transfer-syntaxes/dicomparser/deflate/report_dfl': { kind: 'no_pixels', why: 'deflated SR document' },
  'transfer-syntaxes/dicomparser/deflate/wave_dfl': { kind: 'no_pixels', why: 'deflated waveform (ECG)' },
  'transfer-syntaxes/pydicom/no_meta.dcm': { kind: 'not_dicom', why: 'stray leading byte; pydicom and dcmtk cannot read it either' },
};

// Where the reference is not pydicom+GDCM (reference_hu.py records `via`):
// - CT0012.fragmented_no_bot_jpeg_ls.80.dcm and .81.dcm (multi-frame JPEG-LS, fragmented, no
//   offset table): pydicom+GDCM returns wrong pixels (disagrees with DCMTK by up to 32540), so the
//   reference is dcmdjpls; ours equals it and the explicit-LE CT0012 file.
// - The retired 12-bit progressive JPEG files (CTImage .53 / .55): pydicom+GDCM fails on both,
//   so the reference is dcmdjpeg.
// 12-bit DCT JPEG (those two and the 12-bit .51 files) is decoded by IJG libjpeg 12-bit (ijg12.ts),
// 8-bit by libjpeg-turbo.

/** Largest |ours - pydicom| allowed in stored units, per lossy syntax (decoders may round differently). */
const LOSSY_TOLERANCE: Record<string, number> = {
  '1.2.840.10008.1.2.4.50': 1,
  // 8-bit .51 (libjpeg-turbo) and 12-bit .51/.53/.55 (IJG 12-bit, as in GDCM and dcmdjpeg): one
  // stored unit covers an IDCT rounding difference; all five 12-bit files are in fact exact.
  '1.2.840.10008.1.2.4.51': 1,
  '1.2.840.10008.1.2.4.53': 1,
  '1.2.840.10008.1.2.4.55': 1,
  '1.2.840.10008.1.2.4.81': 0,
  '1.2.840.10008.1.2.4.91': 1,
};

function expectedProblem(rel: string): { kind: ProblemKind; why: string } | undefined {
  if (path.basename(rel) === 'README.md') return { kind: 'not_dicom', why: 'text' };
  return EXPECTED_PROBLEMS[rel];
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** Reads a little-endian .npy (v1-3) of int32 or float32. */
function readNpy(file: string): { shape: number[]; data: Int32Array | Float32Array } {
  const buf = readFileSync(file);
  const major = buf[6]!;
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.subarray(start, start + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').filter((s) => s.trim()).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: fortran order`);
  const body = buf.subarray(start + headerLength);
  const copy = new Uint8Array(body).buffer; // aligned copy
  if (descr === '<i4') return { shape, data: new Int32Array(copy) };
  if (descr === '<f4') return { shape, data: new Float32Array(copy) };
  throw new Error(`${file}: unexpected dtype ${descr}`);
}

interface ReferenceEntry {
  ok: boolean;
  error?: string;
  npy?: string;
  hu_npy?: string;
  frames?: number;
  rows?: number;
  columns?: number;
  via?: string;
  second_opinion?: { tool: string; max_diff: number };
}

const HAVE_PYDICOM = spawnSync(PYTHON, ['-c', 'import pydicom, numpy'], { stdio: 'ignore' }).status === 0;
const FILES = listFiles(SAMPLES);

interface Row {
  file: string;
  result: 'exact' | 'lossy' | ProblemKind;
  detail: string;
}

describe(`every file in shared/dicom against pydicom${HAVE_PYDICOM ? '' : ' (SKIPPED: /usr/bin/python3 has no pydicom/numpy; apt-get install python3-pydicom python3-gdcm python3-numpy dcmtk)'}`, () => {
  let outDir = '';
  let reference: Record<string, ReferenceEntry> = {};
  const rows: Row[] = [];

  beforeAll(async () => {
    await initCodecs();
    if (!HAVE_PYDICOM || FILES.length === 0) return;
    outDir = mkdtempSync(path.join(tmpdir(), 'ich-pixels-ref-'));
    const run = spawnSync(PYTHON, [REFERENCE_SCRIPT, outDir], {
      input: FILES.map((f) => path.join(SAMPLES, f)).join('\n'),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`reference_hu.py failed (${run.status}): ${run.stderr}`);
    reference = (JSON.parse(readFileSync(path.join(outDir, 'index.json'), 'utf8')) as { files: Record<string, ReferenceEntry> }).files;
  });

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
    if (rows.length === 0) return;
    const count = (r: Row['result']) => rows.filter((x) => x.result === r).length;
    const problems = rows.filter((r) => r.result !== 'exact' && r.result !== 'lossy');
    const lines = [
      `shared/dicom: ${rows.length} files, ${count('exact')} exact, ${count('lossy')} lossy within tolerance, ${problems.length} reported problems`,
      ...rows.filter((r) => r.result === 'lossy' || r.detail.includes('reference from')).map((r) => `  ${r.result.padEnd(11)} ${r.file}: ${r.detail}`),
      ...problems.map((r) => `  ${r.result.padEnd(11)} ${r.file}: ${r.detail}`),
    ];
    console.log(lines.join('\n'));
  });

  it('finds the sample files', () => {
    expect(FILES.length, `no files under ${SAMPLES}`).toBeGreaterThan(100);
  });

  for (const rel of FILES) {
    it.skipIf(!HAVE_PYDICOM)(rel, () => {
      const abs = path.join(SAMPLES, rel);
      const expected = expectedProblem(rel);
      const ref = reference[abs];
      expect(ref, 'reference_hu.py wrote no entry').toBeDefined();
      let parsed: ParsedDicom | undefined;
      const frames: Int32Array[] = [];
      let error: unknown;
      try {
        parsed = parseDicomBytes(readFileSync(abs));
        const { numberOfFrames } = readPixelModule(parsed.dataSet);
        for (let f = 0; f < numberOfFrames; f++) frames.push(decodeFrameStored(parsed, f));
      } catch (err) {
        error = err;
      }
      if (expected) {
        expect(error, `expected ${expected.kind}, decoded instead`).toBeInstanceOf(DicomError);
        expect((error as DicomError).kind, (error as DicomError).message).toBe(expected.kind);
        rows.push({ file: rel, result: expected.kind, detail: `${expected.why} (${(error as DicomError).message}; pydicom: ${ref?.ok ? `decodes via ${ref.via}` : ref?.error?.slice(0, 60)})` });
        return;
      }
      if (error) throw error;
      expect(ref?.ok, `pydicom could not decode a file we decode: ${ref?.error}`).toBe(true);
      const refStored = readNpy(path.join(outDir, ref!.npy!));
      expect(refStored.shape).toEqual([frames.length, ref!.rows, ref!.columns]);
      const frameSize = ref!.rows! * ref!.columns!;
      let maxDiff = 0;
      frames.forEach((ours, f) => {
        expect(ours.length).toBe(frameSize);
        const theirs = refStored.data.subarray(f * frameSize, (f + 1) * frameSize);
        for (let i = 0; i < frameSize; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
      });
      const syntax = transferSyntaxInfo(parsed!.transferSyntaxUid);
      const source = ref!.via === 'pydicom' ? '' : `; reference from ${ref!.via}`;
      if (syntax.lossy) {
        const tolerance = LOSSY_TOLERANCE[syntax.uid] ?? 0;
        expect(maxDiff, `${syntax.name}: max |diff| ${maxDiff} > ${tolerance}`).toBeLessThanOrEqual(tolerance);
        rows.push({ file: rel, result: 'lossy', detail: `${syntax.name}, max |diff| ${maxDiff} (tolerance ${tolerance})${source}` });
      } else {
        expect(maxDiff, `${syntax.name} is lossless: max |diff| ${maxDiff}`).toBe(0);
        rows.push({ file: rel, result: 'exact', detail: `${syntax.name}${source}` });
      }
      // HU of frame 0 against pydicom's apply_modality_lut (MONOCHROME2 only: it does not invert).
      const pm = readPixelModule(parsed!.dataSet);
      if (pm.photometricInterpretation === 'MONOCHROME2') {
        const slope = parsed!.dataSet.floatString('x00281053') ?? 1;
        const intercept = parsed!.dataSet.floatString('x00281052') ?? 0;
        const hu = storedToHu(frames[0]!, slope, intercept);
        const refHu = readNpy(path.join(outDir, ref!.hu_npy!)).data;
        let huDiff = 0;
        for (let i = 0; i < frameSize; i++) huDiff = Math.max(huDiff, Math.abs(hu[i]! - refHu[i]!));
        expect(huDiff).toBeLessThanOrEqual(syntax.lossy ? (LOSSY_TOLERANCE[syntax.uid] ?? 0) * Math.abs(slope) + 1e-3 : 1e-3);
      }
    });
  }
});
