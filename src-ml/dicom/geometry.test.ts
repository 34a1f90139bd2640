import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { orderSlices, sliceNormal } from './geometry.ts';
import type { SliceGeometry } from './geometry.ts';
import { mulberry32 } from '../base/random.ts';

const AXIAL = [1, 0, 0, 0, 1, 0] as const;

/** Deterministic shuffle (mulberry32) so failures reproduce. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rand = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function axialSeries(n: number, spacing: number, z0 = -40): SliceGeometry[] {
  return Array.from({ length: n }, (_, k) => ({
    id: `s${String(k).padStart(2, '0')}`,
    position: [-125, -120, z0 + k * spacing],
    orientation: AXIAL,
    instanceNumber: k + 1,
  }));
}

describe('orderSlices: synthetic series', () => {
  it('orders a shuffled axial series by ascending z (the seed order), with uniform spacing', () => {
    const series = axialSeries(30, 5);
    const result = orderSlices(shuffled(series, 7));
    expect(result.order).toEqual(series.map((s) => s.id));
    // Axial normal is +z, so location is the raw z the seed sorts by.
    expect(sliceNormal(AXIAL)).toEqual([0, 0, 1]);
    expect(result.location).toEqual(series.map((s) => s.position![2]));
    expect(result.spacing).toHaveLength(29);
    for (const g of result.spacing) expect(g).toBeCloseTo(5, 9);
    expect(result.warnings).toEqual([]);
  });

  it('orders a series tilted 18.5 degrees about x, positions stepped along the tilted normal', () => {
    const t = (18.5 * Math.PI) / 180;
    const orientation = [1, 0, 0, 0, Math.cos(t), -Math.sin(t)];
    const normal = [0, Math.sin(t), Math.cos(t)];
    const series: SliceGeometry[] = Array.from({ length: 20 }, (_, k) => ({
      id: `t${k}`,
      position: [-125 + 0 * k, -100 + 4.5 * k * normal[1]!, 10 + 4.5 * k * normal[2]!],
      orientation,
      instanceNumber: 100 - k, // deliberately reversed: geometry, not InstanceNumber, decides
    }));
    const result = orderSlices(shuffled(series, 3));
    expect(sliceNormal(orientation)![1]).toBeCloseTo(Math.sin(t), 12);
    expect(result.order).toEqual(series.map((s) => s.id));
    for (const g of result.spacing) expect(g).toBeCloseTo(4.5, 9);
    expect(result.warnings).toEqual([]);
  });

  it('gives the true spacing for a GE-style tilted series whose table steps along z only', () => {
    const t = (18.5 * Math.PI) / 180;
    const orientation = [1, 0, 0, 0, Math.cos(t), -Math.sin(t)];
    // The table moves d / cos(t) in z per slice; the slices are d apart along their normal.
    const series: SliceGeometry[] = Array.from({ length: 10 }, (_, k) => ({
      id: `g${k}`,
      position: [-125, -123.5, 5 + (k * 4) / Math.cos(t)],
      orientation,
      instanceNumber: k + 1,
    }));
    const result = orderSlices(shuffled(series, 11));
    expect(result.order).toEqual(series.map((s) => s.id));
    for (const g of result.spacing) expect(g).toBeCloseTo(4, 9);
    expect(result.warnings).toEqual([]);
  });

  it('reports non-uniform spacing as an informative warning', () => {
    const series = [...axialSeries(4, 4, 0), ...axialSeries(3, 7, 19).map((s, k) => ({ ...s, id: `b${k}`, instanceNumber: 5 + k }))];
    const result = orderSlices(shuffled(series, 5));
    expect(result.order).toEqual(series.map((s) => s.id));
    expect(result.spacing.map((g) => Math.round(g * 1000) / 1000)).toEqual([4, 4, 4, 7, 7, 7]);
    expect(result.warnings).toEqual(['slice spacing varies: 4.0 mm to 7.0 mm']);
  });

  it('tolerates spacing jitter below the tolerance', () => {
    const series = axialSeries(5, 5).map((s, k) => ({ ...s, position: [-125, -120, k * 5 + (k % 2) * 0.004] }));
    expect(orderSlices(series).warnings).toEqual([]);
  });

  it('breaks duplicate locations by InstanceNumber then id, and names them', () => {
    const series: SliceGeometry[] = [
      { id: 'a', position: [0, 0, 0], orientation: AXIAL, instanceNumber: 1 },
      { id: 'c', position: [0, 0, 5.0004], orientation: AXIAL, instanceNumber: 3 },
      { id: 'b', position: [0, 0, 5], orientation: AXIAL, instanceNumber: 2 },
      { id: 'e', position: [0, 0, 10], orientation: AXIAL, instanceNumber: 4 },
      { id: 'd', position: [0, 0, 10], orientation: AXIAL, instanceNumber: 4 },
      { id: 'f', position: [0, 0, 15], orientation: AXIAL, instanceNumber: 6 },
    ];
    // c sits 0.0004 mm above b but has the larger InstanceNumber; d/e tie on both and go by id.
    const reversedC = series.map((s) => (s.id === 'c' ? { ...s, instanceNumber: 0 } : s));
    for (const seed of [1, 2, 3]) {
      const result = orderSlices(shuffled(series, seed));
      expect(result.order).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
      expect(result.warnings).toEqual(['duplicate slice locations (4 slices at 2 positions): b = c; d = e']);
      expect(orderSlices(shuffled(reversedC, seed)).order).toEqual(['a', 'c', 'b', 'd', 'e', 'f']);
    }
  });

  it('falls back to InstanceNumber, then id, when any slice lacks position or orientation', () => {
    const series: SliceGeometry[] = [
      { id: 'x3', position: [0, 0, -10], orientation: AXIAL, instanceNumber: 3 },
      { id: 'x1', position: [0, 0, 30], orientation: AXIAL, instanceNumber: 1 },
      { id: 'x2', instanceNumber: 2 },
      { id: 'x4', position: [0, 0, 40], instanceNumber: 4 },
      { id: 'x0', position: [0, 0, 50], orientation: AXIAL },
      { id: 'x5', position: [0, Number.NaN, 0], orientation: AXIAL, instanceNumber: 5 },
    ];
    const result = orderSlices(shuffled(series, 9));
    expect(result.order).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x0']);
    expect(result.location).toEqual([null, null, null, null, null, null]);
    expect(result.spacing).toEqual([]);
    expect(result.warnings).toEqual([
      '3 of 6 slices lack a usable ImagePositionPatient/ImageOrientationPatient (x2, x4, x5); ordered by InstanceNumber, then id',
      '1 slices lack InstanceNumber (x0); placed last, by id',
    ]);
  });

  it('projects on the most common orientation and warns about the others', () => {
    const series = axialSeries(5, 5);
    const odd = { ...series[2]!, orientation: [1, 0, 0, 0, 0.99, -0.141] };
    const result = orderSlices([series[4]!, odd, series[0]!, series[3]!, series[1]!]);
    expect(result.order).toEqual(series.map((s) => s.id));
    expect(result.location).toEqual(series.map((s) => s.position![2]));
    expect(result.warnings).toEqual([
      "mixed orientations: 1 of 5 slices differ from the series' most common orientation (s02); all projected on its normal",
    ]);
  });

  it('handles one and two slices without warnings', () => {
    expect(orderSlices([])).toEqual({ order: [], location: [], spacing: [], warnings: [] });
    expect(orderSlices([{ id: 'only', position: [1, 2, 3], orientation: AXIAL }])).toEqual({
      order: ['only'],
      location: [3],
      spacing: [],
      warnings: [],
    });
    expect(orderSlices([{ id: 'bare' }])).toEqual({ order: ['bare'], location: [null], spacing: [], warnings: [] });
    const two = orderSlices([
      { id: 'hi', position: [0, 0, 12], orientation: AXIAL, instanceNumber: 1 },
      { id: 'lo', position: [0, 0, 7], orientation: AXIAL, instanceNumber: 2 },
    ]);
    expect(two).toEqual({ order: ['lo', 'hi'], location: [7, 12], spacing: [5], warnings: [] });
  });
});

// Real series from the shared sample data (see /work/shared/dicom/ATTRIBUTION.md).
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedDicom = path.resolve(repoRoot, '../shared/dicom');

function numbers(ds: dicomParser.DataSet, tag: string): number[] | undefined {
  const s = ds.string(tag);
  return s === undefined ? undefined : s.split('\\').map(Number);
}

function readSeries(dir: string): SliceGeometry[] {
  return readdirSync(dir)
    .filter((f) => f !== 'DIRFILE')
    .map((f) => {
      const ds = dicomParser.parseDicom(new Uint8Array(readFileSync(path.join(dir, f))), { untilTag: 'x7fe00010' });
      return { id: f, position: numbers(ds, 'x00200032'), orientation: numbers(ds, 'x00200037'), instanceNumber: ds.intString('x00200013') };
    });
}

function byInstanceNumber(series: readonly SliceGeometry[]): string[] {
  return [...series].sort((a, b) => a.instanceNumber! - b.instanceNumber!).map((s) => s.id);
}

describe.skipIf(!existsSync(path.join(sharedDicom, 'head-ct-ge')))('orderSlices: real GE head CT (18.5 degree gantry tilt)', () => {
  it('orders by location = ascending InstanceNumber, 4 mm then 7 mm with a 1.08 mm junction', () => {
    const series = readSeries(path.join(sharedDicom, 'head-ct-ge'));
    expect(series).toHaveLength(28);
    const result = orderSlices(shuffled(series, 28));
    expect(result.order).toEqual(byInstanceNumber(series));
    for (let i = 1; i < result.location.length; i++) expect(result.location[i]!).toBeGreaterThan(result.location[i - 1]!);
    // Slices 1-14 are 4 mm apart along the tilted normal (raw z steps 4.22 mm = 4 / cos 18.5 deg),
    // 15-28 are 7 mm apart; the 7 mm block starts only 1.08 mm above slice 14 (SliceLocation 19.36 -> 20.50).
    const rounded = result.spacing.map((g) => Math.round(g * 100) / 100);
    expect(rounded).toEqual([...Array<number>(13).fill(4), 1.08, ...Array<number>(13).fill(7)]);
    expect(result.warnings).toEqual(['slice spacing varies: 1.1 mm to 7.0 mm']);
  });
});

describe.skipIf(!existsSync(path.join(sharedDicom, 'phantom-philips-head')))('orderSlices: real Philips head phantom', () => {
  it('orders by location = ascending InstanceNumber (not file-name order), uniform 5 mm', () => {
    const series = readSeries(path.join(sharedDicom, 'phantom-philips-head'));
    expect(series).toHaveLength(28);
    const result = orderSlices(series);
    expect(result.order).toEqual(byInstanceNumber(series));
    expect(result.order.slice(0, 3)).toEqual(['I10', 'I20', 'I30']);
    for (const g of result.spacing) expect(g).toBeCloseTo(5, 6);
    expect(result.location[0]).toBeCloseTo(696.21, 6);
    expect(result.warnings).toEqual([]);
  });
});
