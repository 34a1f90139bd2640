import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomicSync } from '../base/atomic-write.ts';
import { hasCommand, hasPythonModules, tempDir } from '../testing/fixtures.ts';
import { readSliceHeaders } from './header.ts';
import { parseDicomBytes } from './parse.ts';
import { decodeFrameStored, initCodecsFor, readPixelModule } from './pixels.ts';
import {
  CT_IMAGE_STORAGE, DicomWriteError, EXPLICIT_VR_LITTLE_ENDIAN, formatDs, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME,
  writeCtSlice, writeDicomPart10,
} from './write.ts';
import type { CtSliceSpec, DicomElement } from './write.ts';

const ROWS = 24;
const COLS = 32; // not square, so a rows/columns mix-up shows

/** A deterministic ramp of stored values covering [lo, hi], both ends included. */
function ramp<T extends Int16Array | Uint16Array>(make: new (n: number) => T, lo: number, hi: number): T {
  const out = new make(ROWS * COLS);
  for (let i = 0; i < out.length; i++) out[i] = lo + Math.round(((hi - lo) * ((i * 7919) % out.length)) / (out.length - 1));
  out[0] = lo;
  out[1] = hi;
  return out;
}

function signed16Spec(): CtSliceSpec {
  return {
    sopInstanceUid: '1.2.826.0.1.3680043.8.498.1001',
    patientId: 'ID_0a1b2c3d',
    patientName: 'Synthetic^Patient',
    studyInstanceUid: '1.2.826.0.1.3680043.8.498.1002',
    seriesInstanceUid: '1.2.826.0.1.3680043.8.498.1003',
    frameOfReferenceUid: '1.2.826.0.1.3680043.8.498.1004',
    studyId: '7',
    studyDate: '20190417',
    studyTime: '083015.25',
    studyDescription: 'CT HEAD W/O CONTRAST',
    seriesDescription: 'Axial 5mm',
    seriesNumber: 3,
    instanceNumber: 12,
    imagePositionPatient: [-125.25, -98.5, -33.333333333333336],
    imageOrientationPatient: [1, 0, 0, 0, 0.9483236552061993, -0.3173046564050921],
    pixelSpacing: [0.48828125, 0.5],
    sliceThickness: 5,
    kvp: 120,
    manufacturer: 'ICH Synth',
    rows: ROWS,
    columns: COLS,
    bitsStored: 16,
    pixelRepresentation: 1,
    windowCenter: '00036\\00036',
    windowWidth: '00080\\00080',
    rescaleIntercept: -1024,
    rescaleSlope: 1,
    pixels: ramp(Int16Array, -32768, 32767),
  };
}

function unsigned12Spec(): CtSliceSpec {
  return {
    ...signed16Spec(),
    sopInstanceUid: '1.2.826.0.1.3680043.8.498.10051', // odd length: padded with NUL
    bitsStored: 12,
    pixelRepresentation: 0,
    windowCenter: '40\\40',
    windowWidth: '80\\80',
    rescaleIntercept: -1024.5,
    rescaleSlope: 0.5,
    imagePositionPatient: [-0.5, -250.75, -1234.125],
    pixels: ramp(Uint16Array, 0, 4095),
  };
}

function signed12Spec(): CtSliceSpec {
  return { ...signed16Spec(), sopInstanceUid: '1.2.826.0.1.3680043.8.498.1006', bitsStored: 12, windowCenter: 40, windowWidth: [80], pixels: ramp(Int16Array, -2048, 2047) };
}

const CASES: [string, () => CtSliceSpec][] = [
  ['signed 16-bit', signed16Spec],
  ['unsigned 12-bit', unsigned12Spec],
  ['signed 12-bit', signed12Spec],
];

/** The explicit-VR LE elements of a Part 10 file, walked by hand (no parser): tag, VR, length, value offset. */
function walk(bytes: Uint8Array): { tag: number; vr: string; length: number; offset: number; headerLength: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  let pos = 132;
  while (pos < bytes.length) {
    const tag = ((view.getUint16(pos, true) << 16) | view.getUint16(pos + 2, true)) >>> 0;
    const vr = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!);
    const long = ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'].includes(vr);
    const length = long ? view.getUint32(pos + 8, true) : view.getUint16(pos + 6, true);
    if (long) expect(view.getUint16(pos + 6, true)).toBe(0);
    const headerLength = long ? 12 : 8;
    out.push({ tag, vr, length, offset: pos + headerLength, headerLength });
    pos += headerLength + length;
  }
  expect(pos).toBe(bytes.length);
  return out;
}

const text = (bytes: Uint8Array, el: { offset: number; length: number }) => Buffer.from(bytes.subarray(el.offset, el.offset + el.length)).toString('latin1');

describe('writeCtSlice: our reader gets back exactly what was written', () => {
  for (const [name, make] of CASES) {
    it(name, async () => {
      const spec = make();
      const parsed = parseDicomBytes(writeCtSlice(spec));
      expect(parsed.hasMetaHeader).toBe(true);
      expect(parsed.transferSyntaxUid).toBe(EXPLICIT_VR_LITTLE_ENDIAN);
      await initCodecsFor(parsed.transferSyntaxUid);
      expect([...decodeFrameStored(parsed, 0)]).toEqual([...spec.pixels]);
      const pm = readPixelModule(parsed.dataSet);
      expect(pm).toEqual({
        rows: ROWS, columns: COLS, bitsAllocated: 16, bitsStored: spec.bitsStored, highBit: spec.bitsStored - 1,
        pixelRepresentation: spec.pixelRepresentation, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2', numberOfFrames: 1,
      });
      const [h, ...more] = readSliceHeaders(parsed.dataSet);
      expect(more).toEqual([]);
      const raw = (v: CtSliceSpec['windowCenter']) => (typeof v === 'string' ? v : [v].flat().join('\\'));
      expect(h).toEqual({
        sopInstanceUid: spec.sopInstanceUid,
        sopClassUid: CT_IMAGE_STORAGE,
        frame: null,
        modality: 'CT',
        patientId: spec.patientId,
        patientName: spec.patientName,
        studyInstanceUid: spec.studyInstanceUid,
        seriesInstanceUid: spec.seriesInstanceUid,
        studyId: spec.studyId,
        studyDate: spec.studyDate,
        studyDescription: spec.studyDescription,
        seriesDescription: spec.seriesDescription,
        seriesNumber: spec.seriesNumber,
        instanceNumber: spec.instanceNumber,
        manufacturer: spec.manufacturer,
        // DS keeps at most 16 characters: -33.333333333333336 comes back as -33.333333333333.
        imagePositionPatient: spec.imagePositionPatient.map((v) => Number(formatDs(v))),
        imageOrientationPatient: spec.imageOrientationPatient.map((v) => Number(formatDs(v))),
        sliceThickness: spec.sliceThickness,
        samplesPerPixel: 1,
        photometricInterpretation: 'MONOCHROME2',
        rows: ROWS,
        columns: COLS,
        pixelSpacing: [...spec.pixelSpacing],
        bitsAllocated: 16,
        bitsStored: spec.bitsStored,
        highBit: spec.bitsStored - 1,
        pixelRepresentation: spec.pixelRepresentation,
        windowCenterRaw: raw(spec.windowCenter),
        windowWidthRaw: raw(spec.windowWidth),
        windowCenter: raw(spec.windowCenter).split('\\').map(Number),
        windowWidth: raw(spec.windowWidth).split('\\').map(Number),
        rescaleIntercept: spec.rescaleIntercept,
        rescaleSlope: spec.rescaleSlope,
        numberOfFrames: 1,
      });
      expect(h!.imagePositionPatient![2]).toBeCloseTo(spec.imagePositionPatient[2], 11);
    });
  }

  it('shifts stored values up to a High Bit above Bits Stored - 1', async () => {
    const spec = { ...unsigned12Spec(), highBit: 15 };
    const bytes = writeCtSlice(spec);
    const pixelData = walk(bytes).find((e) => e.tag === 0x7fe00010)!;
    expect(new DataView(bytes.buffer).getUint16(pixelData.offset + 2, true)).toBe(spec.pixels[1]! << 4);
    const parsed = parseDicomBytes(bytes);
    await initCodecsFor(parsed.transferSyntaxUid);
    expect([...decodeFrameStored(parsed, 0)]).toEqual([...spec.pixels]);
    const signed = { ...signed12Spec(), highBit: 13 };
    const parsedSigned = parseDicomBytes(writeCtSlice(signed));
    expect([...decodeFrameStored(parsedSigned, 0)]).toEqual([...signed.pixels]);
  });
});

describe('writeDicomPart10: PS3.10 file layout and PS3.5 encoding', () => {
  const bytes = writeCtSlice({ ...unsigned12Spec(), patientName: 'Odd^Name', studyId: 'ABC' });
  const elements = walk(bytes);

  it('has a zero preamble, DICM, and a meta group with its true length', () => {
    expect(bytes.subarray(0, 128).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(bytes.subarray(128, 132)).toString('latin1')).toBe('DICM');
    const meta = elements.filter((e) => e.tag >>> 16 === 0x0002);
    expect(meta.map((e) => [e.tag.toString(16), e.vr])).toEqual([
      ['20000', 'UL'], ['20001', 'OB'], ['20002', 'UI'], ['20003', 'UI'], ['20010', 'UI'], ['20012', 'UI'], ['20013', 'SH'],
    ]);
    const groupLength = new DataView(bytes.buffer).getUint32(meta[0]!.offset, true);
    const firstData = elements.find((e) => e.tag >>> 16 !== 0x0002)!;
    expect(groupLength).toBe(firstData.offset - firstData.headerLength - (meta[0]!.offset + 4));
    expect([...bytes.subarray(meta[1]!.offset, meta[1]!.offset + 2)]).toEqual([0, 1]);
    const value = (tag: number) => text(bytes, elements.find((e) => e.tag === tag)!).replace(/[\0 ]+$/, '');
    expect(value(0x00020002)).toBe(CT_IMAGE_STORAGE);
    expect(value(0x00020003)).toBe(unsigned12Spec().sopInstanceUid);
    expect(value(0x00020010)).toBe(EXPLICIT_VR_LITTLE_ENDIAN);
    expect(value(0x00020012)).toBe(IMPLEMENTATION_CLASS_UID);
    expect(value(0x00020013)).toBe(IMPLEMENTATION_VERSION_NAME);
  });

  it('writes the data set in ascending tag order with even lengths and the right padding', () => {
    const data = elements.filter((e) => e.tag >>> 16 !== 0x0002);
    for (let i = 1; i < data.length; i++) expect(data[i]!.tag).toBeGreaterThan(data[i - 1]!.tag);
    for (const e of elements) expect(e.length % 2, e.tag.toString(16)).toBe(0);
    const byTag = (tag: number) => elements.find((e) => e.tag === tag)!;
    // UI padded with NUL, other strings with a space.
    expect(text(bytes, byTag(0x00080018))).toBe(`${unsigned12Spec().sopInstanceUid}\0`);
    expect(text(bytes, byTag(0x00200010))).toBe('ABC ');
    expect(text(bytes, byTag(0x00281052))).toBe('-1024.5 ');
    expect(text(bytes, byTag(0x00281053))).toBe('0.5 ');
    expect(text(bytes, byTag(0x00200013))).toBe('12');
    // US binary; OW with the 4-byte length form.
    expect(byTag(0x00280010)).toMatchObject({ vr: 'US', length: 2, headerLength: 8 });
    expect(new DataView(bytes.buffer).getUint16(byTag(0x00280010).offset, true)).toBe(ROWS);
    expect(byTag(0x7fe00010)).toMatchObject({ vr: 'OW', length: ROWS * COLS * 2, headerLength: 12 });
  });

  it('encodes every VR family: 2-byte and 4-byte length forms, binary numbers, padding bytes', () => {
    const els: DicomElement[] = [
      { tag: 0x00080016, vr: 'UI', value: '1.2.3' },
      { tag: 0x00080018, vr: 'UI', value: '1.2.34' },
      { tag: 0x00091001, vr: 'OB', value: new Uint8Array([1, 2, 3]) },
      { tag: 0x00091002, vr: 'UN', value: new Uint8Array([9]) },
      { tag: 0x00091003, vr: 'UT', value: 'free text\r\nline 2' },
      { tag: 0x00091004, vr: 'SS', value: [-2, 3] },
      { tag: 0x00091005, vr: 'UL', value: 0xfffffffe },
      { tag: 0x00091006, vr: 'FD', value: [Math.PI] },
      { tag: 0x00091007, vr: 'FL', value: 0.25 },
      { tag: 0x00091008, vr: 'AT', value: 0x7fe00010 },
      { tag: 0x00091009, vr: 'OF', value: [1.5, -2] },
      { tag: 0x0009100a, vr: 'UC', value: 'x' },
      { tag: 0x0009100b, vr: 'UR', value: 'http://example.org/a' },
      { tag: 0x0009100c, vr: 'OD', value: [2.5] },
      { tag: 0x0009100d, vr: 'OL', value: [7] },
      { tag: 0x0009100e, vr: 'IS', value: [-2147483648, 2147483647] },
      { tag: 0x0009100f, vr: 'LT', value: 'a\\b' },
    ];
    const out = writeDicomPart10(els);
    const walked = walk(out);
    const view = new DataView(out.buffer);
    const get = (el: number) => walked.find((e) => e.tag === (0x00090000 | el))!;
    expect([0x1001, 0x1002, 0x1003, 0x1009, 0x100a, 0x100b, 0x100c, 0x100d].map((t) => get(t).headerLength)).toEqual([12, 12, 12, 12, 12, 12, 12, 12]);
    expect([0x1004, 0x1005, 0x1006, 0x1007, 0x1008, 0x100e, 0x100f].map((t) => get(t).headerLength)).toEqual([8, 8, 8, 8, 8, 8, 8]);
    expect([...out.subarray(get(0x1001).offset, get(0x1001).offset + 4)]).toEqual([1, 2, 3, 0]);
    expect(get(0x1002).length).toBe(2);
    expect(text(out, get(0x1003))).toBe('free text\r\nline 2 ');
    expect([view.getInt16(get(0x1004).offset, true), view.getInt16(get(0x1004).offset + 2, true)]).toEqual([-2, 3]);
    expect(view.getUint32(get(0x1005).offset, true)).toBe(0xfffffffe);
    expect(view.getFloat64(get(0x1006).offset, true)).toBe(Math.PI);
    expect(view.getFloat32(get(0x1007).offset, true)).toBe(0.25);
    expect([view.getUint16(get(0x1008).offset, true), view.getUint16(get(0x1008).offset + 2, true)]).toEqual([0x7fe0, 0x0010]);
    expect([view.getFloat32(get(0x1009).offset, true), view.getFloat32(get(0x1009).offset + 4, true)]).toEqual([1.5, -2]);
    expect(text(out, get(0x100e))).toBe('-2147483648\\2147483647');
    expect(text(out, get(0x100f))).toBe('a\\b ');
    // dicom-parser agrees on every element.
    const ds = parseDicomBytes(out).dataSet;
    expect(ds.double('x00091006')).toBe(Math.PI);
    expect(ds.string('x00091003')).toBe('free text\r\nline 2');
  });

  it('writes non-ASCII text as UTF-8 under ISO_IR 192 and refuses it otherwise', () => {
    const base: DicomElement[] = [{ tag: 0x00080016, vr: 'UI', value: '1.2.3' }, { tag: 0x00080018, vr: 'UI', value: '1.2.4' }];
    const name: DicomElement = { tag: 0x00100010, vr: 'PN', value: 'Müller^Jörg' };
    expect(() => writeDicomPart10([...base, name])).toThrow('(0010,0010): non-ASCII text needs SpecificCharacterSet (0008,0005) ISO_IR 192 or ISO_IR 100');
    const out = writeDicomPart10([...base, name, { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' }]);
    const el = walk(out).find((e) => e.tag === 0x00100010)!;
    expect(Buffer.from(out.subarray(el.offset, el.offset + el.length)).toString('utf8')).toBe('Müller^Jörg ');
    const latin = writeDicomPart10([...base, name, { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 100' }]);
    const el1 = walk(latin).find((e) => e.tag === 0x00100010)!;
    expect(el1.length).toBe(12);
  });
});

describe('formatDs', () => {
  it('keeps at most 16 characters and as many significant digits as fit', () => {
    const cases: [number, string][] = [
      [0, '0'], [-0, '0'], [5, '5'], [-1024, '-1024'], [0.48828125, '0.48828125'], [0.1 + 0.2, '0.3'],
      [-33.333333333333336, '-33.333333333333'], [1e-7, '1e-7'], [123456789012345680000, '1.2345678901e+20'],
      [-0.00012345678901234567, '-1.2345678901e-4'], [2 ** 53, '9007199254740992'],
    ];
    for (const [x, s] of cases) expect(formatDs(x), String(x)).toBe(s);
    for (let i = 1; i <= 2000; i++) {
      const x = (Math.sin(i * 12.9898) * 43758.5453) ** ((i % 7) - 3);
      const s = formatDs(x);
      expect(s.length).toBeLessThanOrEqual(16);
      expect(s).toMatch(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/);
      expect(Math.abs(Number(s) - x)).toBeLessThanOrEqual(Math.abs(x) * 1e-9);
    }
    expect(() => formatDs(Number.NaN)).toThrow('DS value NaN is not a finite number');
  });
});

describe('validation: clear errors, nothing written', () => {
  const uid = signed16Spec().sopInstanceUid;
  const cases: [string, Partial<CtSliceSpec>, string][] = [
    ['pixel count', { pixels: new Int16Array(ROWS * COLS - 1) }, `CT slice ${uid}: 767 pixels, but Rows x Columns is 24 x 32 = 768`],
    ['signed value above 12 bits', { bitsStored: 12, pixels: (() => { const p = ramp(Int16Array, -2048, 2047); p[40] = 2048; return p; })() },
      'stored value 2048 at pixel 40 (row 1, column 8) is outside -2048..2047 (BitsStored 12, PixelRepresentation 1)'],
    ['signed value below 12 bits', { bitsStored: 12, pixels: (() => { const p = ramp(Int16Array, -2048, 2047); p[767] = -2049; return p; })() },
      'stored value -2049 at pixel 767 (row 23, column 31) is outside -2048..2047'],
    ['unsigned value above 12 bits', { bitsStored: 12, pixelRepresentation: 0, pixels: (() => { const p = ramp(Uint16Array, 0, 4095); p[5] = 4096; return p; })() },
      'stored value 4096 at pixel 5 (row 0, column 5) is outside 0..4095 (BitsStored 12, PixelRepresentation 0)'],
    ['array type', { pixelRepresentation: 0 }, 'PixelRepresentation 0 (unsigned) needs a Uint16Array of stored values'],
    ['high bit', { bitsStored: 12, highBit: 10, pixels: new Int16Array(ROWS * COLS) }, 'HighBit 10 must be 11..15 for BitsStored 12'],
    ['bits stored', { bitsStored: 17 }, 'BitsStored 17 must be 1..16 (BitsAllocated is 16)'],
    ['window pairs', { windowCenter: '40\\40', windowWidth: '80' }, 'WindowCenter "40\\40" and WindowWidth "80" have different numbers of values'],
    ['window alone', { windowWidth: undefined }, 'WindowCenter and WindowWidth come together'],
    ['raw DS text', { windowCenter: '40.000000000000001', windowWidth: '80' }, '(0028,1050): DS value "40.000000000000001" is longer than 16 characters'],
    ['non-numeric DS', { windowCenter: 'forty', windowWidth: '80' }, '(0028,1050): "forty" is not a valid DS value'],
    ['position', { imagePositionPatient: [0, Number.NaN, 0] }, 'ImagePositionPatient must be 3 finite numbers, got [0, NaN, 0]'],
    ['spacing', { pixelSpacing: [0.5, 0] }, 'PixelSpacing [0.5, 0] must be positive'],
    ['instance number', { instanceNumber: 1.5 }, 'InstanceNumber 1.5 must be an integer'],
    ['date', { studyDate: '2019-04-17' }, '(0008,0020): DA value "2019-04-17" is longer than 8 characters'],
    ['month', { studyDate: '20191317' }, '(0008,0020): "20191317" is not a valid DA value'],
    ['time', { studyTime: '25:00' }, '(0008,0030): "25:00" is not a valid TM value'],
    ['UID', { seriesInstanceUid: '1.2.3 4' }, '(0020,000E): "1.2.3 4" is not a valid UI value'],
    ['long UID', { studyInstanceUid: `1.${'2'.repeat(63)}` }, '(0020,000D): UI value'],
    ['control character', { patientName: 'a\tb' }, '(0010,0010): PN value has control character 0x09'],
    ['SH length', { studyId: 'x'.repeat(17) }, '(0020,0010): SH value'],
    ['duplicate', { extra: [{ tag: 0x00280010, vr: 'US', value: 5 }] }, `CT slice ${uid}: (0028,0010) is given twice`],
    ['meta element', { extra: [{ tag: 0x00020010, vr: 'UI', value: '1.2' }] }, '(0002,0010): file meta elements (group 0002) are written by the writer'],
    ['sequence', { extra: [{ tag: 0x00081140, vr: 'SQ', value: new Uint8Array(0) }] }, '(0008,1140): sequences (SQ) are not supported'],
    ['US range', { extra: [{ tag: 0x00280106, vr: 'US', value: -1 }] }, '(0028,0106): -1 is not a valid US value'],
    ['unknown VR', { extra: [{ tag: 0x00091010, vr: 'XX', value: 'a' }] }, '(0009,1010): unknown VR "XX"'],
    ['odd group', { extra: [{ tag: 0x00031010, vr: 'LO', value: 'a' }] }, '(0003,1010): group 0003 is not allowed'],
  ];
  for (const [name, change, message] of cases) {
    it(name, () => {
      const spec = { ...signed16Spec(), ...change };
      let err: unknown;
      try {
        writeCtSlice(spec);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DicomWriteError);
      const text = (err as Error).message;
      expect(text).toContain(message);
      expect(text.startsWith(`CT slice ${uid}: `)).toBe(true);
      expect(text).not.toContain('\n');
    });
  }

  it('needs the SOP class and instance UIDs for the meta header', () => {
    expect(() => writeDicomPart10([{ tag: 0x00080016, vr: 'UI', value: '1.2' }])).toThrow('(0008,0018) SOPInstanceUID is required');
  });
});

describe('independent readers', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());
  const files = CASES.map(([name, make]) => {
    const file = path.join(t.dir, `${name.replace(/\W+/g, '-')}.dcm`);
    writeFileAtomicSync(file, writeCtSlice(make()));
    return { name, file, spec: make() };
  });

  const hasDcmdump = hasCommand('dcmdump');
  it.skipIf(!hasDcmdump)('dcmtk: dcmftest accepts the files and dcmdump reads them with nothing on stderr', () => {
    for (const { file, spec } of files) {
      expect(execFileSync('dcmftest', [file], { encoding: 'utf8' })).toMatch(/^yes: /);
      const r = spawnSync('dcmdump', ['-dc', file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('(0002,0010) UI =LittleEndianExplicit');
      // -dc shows values unaltered, padding included.
      const center = typeof spec.windowCenter === 'string' ? spec.windowCenter : [spec.windowCenter].flat().join('\\');
      expect(r.stdout).toContain(`(0028,1050) DS [${center}${center.length % 2 ? ' ' : ''}]`);
      expect(r.stdout).toContain(`(7fe0,0010) OW`);
      expect(r.stdout).toMatch(new RegExp(`\\(0028,0101\\) US ${spec.bitsStored} `));
    }
  });
  if (!hasDcmdump) it.skip('dcmtk checks: dcmdump is not installed (apt-get install dcmtk)', () => undefined);

  const hasPydicom = hasPythonModules('pydicom', 'numpy');
  it.skipIf(!hasPydicom)('pydicom (strict validation, warnings as errors) reads the same header values and pixel_array', () => {
    const script = `
import json, sys, warnings
warnings.simplefilter('error')
import pydicom
from pydicom import config
config.settings.reading_validation_mode = config.RAISE
out = []
for f in sys.argv[1:]:
    ds = pydicom.dcmread(f)
    # The value bytes as written, before pydicom turns them into numbers.
    raw = lambda kw: ds.get_item(kw).value.decode('ascii').rstrip(' ')
    center, width = raw('WindowCenter'), raw('WindowWidth')
    floats = lambda kw: [float(v) for v in ds[kw].value] if ds[kw].VM > 1 else [float(ds[kw].value)]
    px = ds.pixel_array
    out.append({
        'sopInstanceUid': ds.SOPInstanceUID, 'sopClassUid': ds.SOPClassUID, 'mediaSopInstanceUid': ds.file_meta.MediaStorageSOPInstanceUID,
        'transferSyntax': ds.file_meta.TransferSyntaxUID, 'implementationClassUid': ds.file_meta.ImplementationClassUID,
        'patientId': ds.PatientID, 'patientName': str(ds.PatientName), 'studyInstanceUid': ds.StudyInstanceUID,
        'seriesInstanceUid': ds.SeriesInstanceUID, 'frameOfReferenceUid': ds.FrameOfReferenceUID, 'studyId': ds.StudyID,
        'studyDate': ds.StudyDate, 'studyTime': ds.StudyTime, 'seriesNumber': int(ds.SeriesNumber), 'instanceNumber': int(ds.InstanceNumber),
        'imagePositionPatient': [float(v) for v in ds.ImagePositionPatient], 'imageOrientationPatient': [float(v) for v in ds.ImageOrientationPatient],
        'pixelSpacing': [float(v) for v in ds.PixelSpacing], 'sliceThickness': float(ds.SliceThickness), 'kvp': float(ds.KVP),
        'manufacturer': ds.Manufacturer, 'rows': ds.Rows, 'columns': ds.Columns, 'bitsAllocated': ds.BitsAllocated, 'bitsStored': ds.BitsStored,
        'highBit': ds.HighBit, 'pixelRepresentation': ds.PixelRepresentation, 'photometric': ds.PhotometricInterpretation,
        'samplesPerPixel': ds.SamplesPerPixel, 'windowCenter': center, 'windowWidth': width,
        'windowCenterValues': floats('WindowCenter'), 'windowWidthValues': floats('WindowWidth'),
        'rescaleIntercept': float(ds.RescaleIntercept), 'rescaleSlope': float(ds.RescaleSlope), 'rescaleType': ds.RescaleType,
        'shape': list(px.shape), 'dtype': str(px.dtype), 'pixels': px.ravel().tolist(),
    })
print(json.dumps(out))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, ...files.map((f) => f.file)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, unknown>[];
    files.forEach(({ spec }, i) => {
      const raw = (v: CtSliceSpec['windowCenter']) => (typeof v === 'string' ? v : [v].flat().join('\\'));
      expect(got[i]).toEqual({
        sopInstanceUid: spec.sopInstanceUid, sopClassUid: CT_IMAGE_STORAGE, mediaSopInstanceUid: spec.sopInstanceUid,
        transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN, implementationClassUid: IMPLEMENTATION_CLASS_UID,
        patientId: spec.patientId, patientName: spec.patientName, studyInstanceUid: spec.studyInstanceUid,
        seriesInstanceUid: spec.seriesInstanceUid, frameOfReferenceUid: spec.frameOfReferenceUid, studyId: spec.studyId,
        studyDate: spec.studyDate, studyTime: spec.studyTime, seriesNumber: spec.seriesNumber, instanceNumber: spec.instanceNumber,
        imagePositionPatient: spec.imagePositionPatient.map((v) => Number(formatDs(v))),
        imageOrientationPatient: spec.imageOrientationPatient.map((v) => Number(formatDs(v))),
        pixelSpacing: [...spec.pixelSpacing], sliceThickness: spec.sliceThickness, kvp: spec.kvp, manufacturer: spec.manufacturer,
        rows: ROWS, columns: COLS, bitsAllocated: 16, bitsStored: spec.bitsStored, highBit: spec.bitsStored - 1,
        pixelRepresentation: spec.pixelRepresentation, photometric: 'MONOCHROME2', samplesPerPixel: 1,
        windowCenter: raw(spec.windowCenter), windowWidth: raw(spec.windowWidth),
        windowCenterValues: raw(spec.windowCenter).split('\\').map(Number), windowWidthValues: raw(spec.windowWidth).split('\\').map(Number),
        rescaleIntercept: spec.rescaleIntercept, rescaleSlope: spec.rescaleSlope, rescaleType: 'HU',
        shape: [ROWS, COLS], dtype: spec.pixelRepresentation === 1 ? 'int16' : 'uint16', pixels: [...spec.pixels],
      });
    });
  });
  if (!hasPydicom) it.skip('pydicom checks: /usr/bin/python3 lacks pydicom or numpy (apt-get install python3-pydicom)', () => undefined);

  it.skipIf(!hasPydicom)('pydicom reads RSNA-style identifiers (ID_...) that are not UID syntax', () => {
    const file = path.join(t.dir, 'rsna.dcm');
    const spec = { ...unsigned12Spec(), sopInstanceUid: 'ID_0a1b2c3d4', studyInstanceUid: 'ID_5e6f7a8b9c', seriesInstanceUid: 'ID_0d1e2f3a4b' };
    writeFileSync(file, writeCtSlice(spec));
    const r = spawnSync('/usr/bin/python3', ['-c', 'import sys, pydicom; ds = pydicom.dcmread(sys.argv[1]); print(ds.SOPInstanceUID, ds.SeriesInstanceUID, int(ds.pixel_array.max()))', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('ID_0a1b2c3d4 ID_0d1e2f3a4b 4095');
    if (hasDcmdump) expect(spawnSync('dcmdump', [file], { encoding: 'utf8' }).stderr).toBe('');
    expect(existsSync(file)).toBe(true);
  });
});
