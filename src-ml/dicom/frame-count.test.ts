// Number of Frames and the other header counts are checked against the bytes the file holds before
// anything loops or allocates per frame (issue 14, item 1): a header claiming 99,999,999 frames is
// refused at once, with flat memory, by the slice headers, the pixel module and the whole-file read.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SYNTAX_DIR } from '../testing/fixtures.ts';
import { checkFrameCount, MAX_FRAMES } from './frame-count.ts';
import { dumpHeader, readSliceHeader, readSliceHeaders } from './header.ts';
import { DEFLATED_LE, maxInflatedBytes, parseDicomBytes } from './parse.ts';
import { decodeFrameStored, initCodecs, readPixelModule } from './pixels.ts';
import { readCtImageFile } from './read-image.ts';
import { parseMinimal, problemOf } from './testing/dicom-problems.ts';
import { setNumberOfFrames } from './testing/mutate-dicom.ts';
import { RLE_UID, writeMinimalDicom } from './testing/write-minimal-dicom.ts';
import { encodeDataSet, encodeFileMeta } from './write.ts';

const MULTI_FRAME = path.join(SYNTAX_DIR, 'dicomparser/encapsulated/multi-frame');

const parse = parseMinimal;

/** Runs fn and reports how long it took and how much the heap grew (after a GC where exposed). */
function cost(fn: () => void): { ms: number; heapGrowth: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  fn();
  return { ms: performance.now() - t0, heapGrowth: process.memoryUsage().heapUsed - heap0 };
}

describe('frame count against the file: checked before any per-frame work', () => {
  it('refuses 99,999,999 frames in a real 1 MB file at once, in the headers, the pixel module and the file read', async () => {
    await initCodecs();
    for (const name of ['CT0012.explicit_little_endian.dcm', 'CT0012.fragmented_no_bot_jpeg_ls.80.dcm']) {
      const bytes = setNumberOfFrames(new Uint8Array(readFileSync(path.join(MULTI_FRAME, name))), '99999999')!;
      const parsed = parseDicomBytes(bytes);
      const c = cost(() => {
        expect(problemOf(() => readSliceHeaders(parsed.dataSet))).toEqual({ kind: 'unreadable', message: `Number of Frames "99999999" is not an integer in 0..${MAX_FRAMES}` });
        expect(problemOf(() => readPixelModule(parsed.dataSet)).kind).toBe('unreadable');
        expect(problemOf(() => readCtImageFile(parsed)).kind).toBe('unreadable');
      });
      // One header per claimed frame took 40 MB/s without end; the check costs next to nothing.
      expect(c.ms).toBeLessThan(500);
      expect(c.heapGrowth).toBeLessThan(32 * 2 ** 20);
      // A first look at one frame's header still works (it builds no others).
      expect(readSliceHeader(parsed.dataSet, 0)).toMatchObject({ modality: 'CT', numberOfFrames: 99999999, frame: 1 });
    }
  });

  it('refuses a count within MAX_FRAMES that the native pixel data cannot hold, before building headers', () => {
    const bytes = setNumberOfFrames(new Uint8Array(readFileSync(path.join(MULTI_FRAME, 'CT0012.explicit_little_endian.dcm'))), '60000')!;
    const parsed = parseDicomBytes(bytes);
    const c = cost(() => {
      expect(problemOf(() => readSliceHeaders(parsed.dataSet))).toEqual({ kind: 'unreadable', message: `pixel data is ${2 * 512 * 512 * 2} bytes, header implies ${60000 * 512 * 512 * 2}` });
    });
    expect(c.ms).toBeLessThan(200);
    // The same count and the same file, honest: both frames.
    expect(readSliceHeaders(parseDicomBytes(setNumberOfFrames(bytes, '2')!).dataSet)).toHaveLength(2);
  });

  it('native: pixel data the element claims but the file does not hold is cut short', () => {
    // Implicit VR: the parser takes an element running past the end as it is (explicit VR refuses it).
    const full = readFileSync(path.join(SYNTAX_DIR, 'cornerstone/CTImage.dcm_LittleEndianImplicitTransferSyntax_1.2.840.10008.1.2.dcm'));
    const parsed = parseDicomBytes(new Uint8Array(full.subarray(0, full.length - 8)));
    expect(problemOf(() => checkFrameCount(parsed.dataSet))).toEqual({ kind: 'unreadable', message: 'pixel data is cut short: the file ends 8 bytes early' });
  });

  it('encapsulated: no more frames than fragments, and no fragment past the end of the file', () => {
    const frag = new Uint8Array([1, 2, 3, 4]);
    const many = parse({ rows: 2, columns: 2, numberOfFrames: 50000, transferSyntaxUid: RLE_UID, fragments: [frag, frag] });
    expect(problemOf(() => readSliceHeaders(many.dataSet))).toEqual({ kind: 'unreadable', message: '50000 frames but only 2 pixel data fragments' });
    // The last fragment claims 4 GiB: the copy of a multi-fragment frame would loop over 4 billion bytes.
    // (The explicit-VR parser refuses such a file itself; the check stands behind it for any that passes.)
    const parsed = parse({ rows: 2, columns: 2, transferSyntaxUid: RLE_UID, fragments: [frag, frag] });
    parsed.dataSet.elements['x7fe00010']!.fragments![1]!.length = 0xfffffff0;
    const c = cost(() => {
      expect(problemOf(() => decodeFrameStored(parsed, 0))).toMatchObject({ kind: 'unreadable', message: expect.stringMatching(/^pixel data fragment 2 claims 4294967280 bytes; the file ends \d+ bytes early$/) });
    });
    expect(c.ms).toBeLessThan(200);
  });

  it('several frames and no pixel data is no_pixels; a malformed count is unreadable', () => {
    expect(problemOf(() => readSliceHeaders(parse({ rows: 2, columns: 2, numberOfFrames: 1000, omitPixelData: true }).dataSet))).toEqual({
      kind: 'no_pixels', message: 'Number of Frames is 1000 but there is no Pixel Data (7FE0,0010)',
    });
    expect(problemOf(() => readCtImageFile(parse({ rows: 2, columns: 2, numberOfFrames: 99999999, omitPixelData: true })))).toEqual({ kind: 'no_pixels', message: 'CT object has no pixel data' });
    const one = writeMinimalDicom({ rows: 1, columns: 1, pixels: [1] });
    for (const text of ['-1', 'abc', '2.5', '1e9', '2\\3', '65537']) {
      expect(problemOf(() => checkFrameCount(parseDicomBytes(setNumberOfFrames(one, text)!).dataSet)).kind).toBe('unreadable');
    }
    // Absent, empty and 0 are one frame (as pydicom).
    expect(checkFrameCount(parse({ rows: 1, columns: 1, pixels: [1] }).dataSet)).toBe(1);
    expect(checkFrameCount(parse({ rows: 1, columns: 1, numberOfFrames: 0, pixels: [1] }).dataSet)).toBe(1);
  });
});

describe('other header sizes against the file', () => {
  it('a deflated data set that would inflate past its limit is refused, not inflated', () => {
    const zeros = new Uint8Array(80 * 2 ** 20);
    const body = encodeDataSet([
      { tag: 0x00080060, vr: 'CS', value: 'CT' },
      { tag: 0x7fe00010, vr: 'OB', value: zeros },
    ]);
    const deflated = deflateRawSync(body);
    expect(maxInflatedBytes(deflated.length)).toBeLessThan(body.length);
    const meta = encodeFileMeta('1.2.840.10008.5.1.4.1.1.2', '1.2.3.4', DEFLATED_LE);
    const file = new Uint8Array(meta.length + deflated.length);
    file.set(meta);
    file.set(deflated, meta.length);
    expect(problemOf(() => parseDicomBytes(file))).toEqual({ kind: 'unreadable', message: `deflated data set inflates to more than ${maxInflatedBytes(deflated.length)} bytes (from ${deflated.length})` });
  });

  it('the header dump is limited: what does not fit is counted', () => {
    const ds = parseDicomBytes(readFileSync(path.join(MULTI_FRAME, 'CT0012.explicit_little_endian.dcm'))).dataSet;
    const full = dumpHeader(ds);
    expect(full['(more)']).toBeUndefined();
    const small = dumpHeader(ds, 200);
    expect(JSON.stringify(small).length).toBeLessThan(400);
    expect(small['(more)']).toMatch(/^\d+ more element\(s\) not shown$/);
  });
});
