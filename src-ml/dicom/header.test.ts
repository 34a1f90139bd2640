import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GE_DIR, PHILIPS_DIR, SYNTAX_DIR } from '../testing/fixtures.ts';
import { dumpHeader, imageIdOf, isCtImage, readSliceHeaders } from './header.ts';
import { parseDicomBytes } from './parse.ts';

const headersOf = (file: string) => readSliceHeaders(parseDicomBytes(new Uint8Array(readFileSync(file))).dataSet);

describe('slice headers', () => {
  it('reads the seed fields of a GE head slice, gantry tilt in the orientation', () => {
    const [h] = headersOf(path.join(GE_DIR, '01.dcm'));
    expect(h).toMatchObject({ modality: 'CT', frame: null, rows: 512, columns: 512, bitsAllocated: 16, pixelRepresentation: 1, numberOfFrames: 1 });
    expect(h!.imagePositionPatient).toHaveLength(3);
    expect(h!.imageOrientationPatient).toHaveLength(6);
    expect(h!.pixelSpacing).toHaveLength(2);
    // Tilted 18.5 degrees: the column direction cosine has a z component.
    expect(Math.abs(h!.imageOrientationPatient![5]!)).toBeCloseTo(Math.sin((18.5 * Math.PI) / 180), 2);
    expect(isCtImage(h!)).toBe(true);
    expect(imageIdOf(h!)).toBe(h!.sopInstanceUid);
  });

  it('splits multi-valued window values and keeps the raw strings', () => {
    const [h] = headersOf(path.join(PHILIPS_DIR, 'I10'));
    expect(h!.windowCenterRaw).toContain('\\');
    expect(h!.windowCenter).toHaveLength(2);
    expect(h!.windowWidth).toHaveLength(2);
    expect(h!.rescaleIntercept).toBe(-1024);
    expect(h!.rescaleSlope).toBe(1);
  });

  it('gives one header per frame of a multi-frame file, with ids <uid>#<frame>', () => {
    const hs = headersOf(path.join(SYNTAX_DIR, 'dicomparser/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm'));
    expect(hs).toHaveLength(2);
    expect(hs.map((h) => h.frame)).toEqual([1, 2]);
    expect(imageIdOf(hs[1]!)).toBe(`${hs[1]!.sopInstanceUid}#2`);
  });

  it('defaults to identity rescale and reads implicit VR files', () => {
    const [h] = headersOf(path.join(SYNTAX_DIR, 'pydicom/MR_small_implicit.dcm'));
    expect(h!.modality).toBe('MR');
    expect(isCtImage(h!)).toBe(false);
    expect(h!.rescaleSlope).toBe(1);
    expect(h!.rescaleIntercept).toBe(0);
    expect(h!.rows).toBe(64);
  });

  it('dumps every header element but pixel data as text', () => {
    const dump = dumpHeader(parseDicomBytes(new Uint8Array(readFileSync(path.join(GE_DIR, '01.dcm')))).dataSet);
    expect(dump['0008,0060']).toBe('CT');
    expect(dump['0028,0010']).toBe('512');
    expect(dump['7FE0,0010']).toBeUndefined();
    expect(Object.keys(dump).length).toBeGreaterThan(30);
  });
});
