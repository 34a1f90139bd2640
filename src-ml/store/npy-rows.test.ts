import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { featureImageCount } from '../data/feature-rows.ts';
import { pooledResSample, shallowSample } from '../data/series-layout.ts';
import { encodeNpy, npyHeader, readNpy } from './npy.ts';
import { CachedNpyRows, NpyRowFile } from './npy-rows.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'npy-rows-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function npyFile(name: string, data: Float32Array, shape: number[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, encodeNpy(data, shape));
  return file;
}

describe('NpyRowFile', () => {
  it('reads row ranges into a fresh array or at an offset of a given one', () => {
    const data = Float32Array.from({ length: 7 * 5 }, (_, i) => i / 3);
    const f = NpyRowFile.open(npyFile('a.npy', data, [7, 5]));
    try {
      expect([f.rows, f.rowLength]).toEqual([7, 5]);
      expect(Array.from(f.readRows(2, 3))).toEqual(Array.from(data.subarray(10, 25)));
      const out = new Float32Array(12).fill(-1);
      f.readRows(6, 1, out, 4);
      expect(Array.from(out)).toEqual([-1, -1, -1, -1, ...data.subarray(30, 35), -1, -1, -1]);
      expect(f.readRows(3, 0).length).toBe(0);
      expect(() => f.readRows(5, 3)).toThrow(/rows 5\.\.7 outside 0\.\.6/);
      expect(() => f.readRows(0, 2, new Float32Array(9))).toThrow(/do not fit/);
    } finally {
      f.close();
    }
    expect(() => f.readRows(0, 1)).toThrow(/closed/);
  });

  it('refuses other dtypes, scalars and truncated files, naming the file', () => {
    const ints = path.join(dir, 'i.npy');
    writeFileSync(ints, encodeNpy(new Int32Array(4), [2, 2]));
    expect(() => NpyRowFile.open(ints)).toThrow(/'<i4', rows are read from float32 files only/);
    expect(() => NpyRowFile.open(npyFile('s.npy', Float32Array.of(1), []))).toThrow(/scalar/);
    const bytes = encodeNpy(new Float32Array(20), [4, 5]);
    const cut = path.join(dir, 'cut.npy');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 4));
    expect(() => NpyRowFile.open(cut)).toThrow(/truncated data: 76 bytes for 20 values/);
  });

  it('opens a feature file above 2 GiB (sparse) and reads its last rows without reading the rest', async () => {
    // 752,797 images x 4 copies x 256 float32: the RSNA train.npy of one fold, about 3.1 GB.
    const rows = 752_797 * 4;
    const F = 256;
    const head = npyHeader('<f4', [rows, F]);
    const header = head.length;
    const file = path.join(dir, 'big.npy');
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, head, 0, head.length, 0);
      const last = Float32Array.from({ length: F }, (_, i) => i + 0.5);
      writeSync(fd, new Uint8Array(last.buffer), 0, last.byteLength, header + (rows - 1) * F * 4);
    } finally {
      closeSync(fd);
    }
    const f = new CachedNpyRows(NpyRowFile.open(file), 4);
    try {
      expect(f.rows).toBe(rows);
      expect(f.row(rows - 1)[3]).toBe(3.5);
      expect(f.row(rows - 2)[3]).toBe(0);
      expect(f.row(0)[0]).toBe(0);
    } finally {
      f.close();
    }
    await expect(readNpy(path.join(dir, 'a.npy'))).resolves.toMatchObject({ shape: [7, 5] });
  });
});

describe('CachedNpyRows', () => {
  const F = 6;
  const copies = 4;
  const images = 23;
  const values = createRng('cache');
  const data = Float32Array.from({ length: images * copies * F }, () => values.normal());
  const rng = createRng('rows-order');

  it('serves the rows of the file through a cache smaller than the file (evictions included)', () => {
    const file = npyFile('c.npy', Float32Array.from({ length: images * copies * F }, (_, i) => i), [images * copies, F]);
    // Three groups of one image's copies fit: most reads evict.
    const rows = new CachedNpyRows(NpyRowFile.open(file), copies, 3 * copies * F * 4);
    try {
      for (let k = 0; k < 500; k++) {
        const r = rng.int(0, images * copies - 1);
        expect(Array.from(rows.row(r))).toEqual(Array.from({ length: F }, (_, f) => r * F + f));
      }
      expect(() => rows.row(images * copies)).toThrow(/row 92 outside 0\.\.91/);
      expect(() => rows.row(1.5)).toThrow(/outside/);
    } finally {
      rows.close();
    }
  });

  it('gives the full-head samples the same values as the array in memory', () => {
    const file = npyFile('d.npy', data, [images * copies, F]);
    const rows = new CachedNpyRows(NpyRowFile.open(file), copies, 2 * copies * F * 4);
    try {
      expect(featureImageCount('t', rows, F, copies)).toBe(images);
      expect(() => featureImageCount('t', rows, F + 1, copies)).toThrow(/hold 6 floats, featureSize is 7/);
      expect(() => featureImageCount('t', rows, F, 5)).toThrow(/not whole images of 5 copies/);
      const slices = [3, 17, 4, 22, 0, 9, 3];
      const a = pooledResSample(data, F, copies, slices, 3, createRng(5));
      const b = pooledResSample(rows, F, copies, slices, 3, createRng(5));
      expect(Array.from(b.x)).toEqual(Array.from(a.x));
      const args = {
        featureSize: F, copiesPerImage: copies, mean: new Float32Array(F).fill(0.1), std: new Float32Array(F).fill(2), black: new Float32Array(F),
        continuous: new Float32Array(images * 2), categorical: new Int32Array(images), sliceRows: slices, copyOf: (s: number) => s % copies, offset: 5,
      };
      expect(Array.from(shallowSample({ ...args, features: rows }).features)).toEqual(Array.from(shallowSample({ ...args, features: data }).features));
    } finally {
      rows.close();
    }
  });
});
