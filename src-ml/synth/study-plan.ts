// Plans a synthetic data set before any pixel is drawn: patients with one or more studies, each study
// one axial series with its scanner, window, slice positions and hemorrhages. Everything random is
// drawn here (or from per-series forks), so the plan is a pure function of the seed.
import { headCentre, headZRange, randomHead, type HeadModel } from './anatomy.ts';
import { lesionZRange, randomLesion, type Lesion } from './lesions.ts';
import { createRng, type Rng } from '../base/random.ts';
import { randomScanner, randomWindow, type ScannerProfile } from './scanner.ts';
import { SUBTYPES, type SliceGrid, type Subtype } from './types.ts';

/** Slice-level prevalence targets; RSNA stage-1 train by default (docs/seed-pipeline.md section 1). */
export type Prevalence = Record<Subtype | 'any', number>;
export const RSNA_PREVALENCE: Prevalence = {
  any: 0.144, epidural: 0.0041, intraparenchymal: 0.0483, intraventricular: 0.0352, subarachnoid: 0.0476, subdural: 0.063,
};

/**
 * Mean fraction of a series' slices labelled with a type when the series has one such lesion; turns
 * slice-level targets into per-study rates. Calibrated on 300 generated studies (size 128, planner's
 * severity skew) by scaling toward observed/target; bench/synth/calibrate.ts measures the raw extents.
 */
export const SLICE_COVERAGE: Record<Subtype, number> = {
  epidural: 0.14, intraparenchymal: 0.172, intraventricular: 0.19, subarachnoid: 0.182, subdural: 0.434,
};

/** Types that often come together: the second is added with this probability when the first is drawn. */
const COMPANIONS: readonly [Subtype, Subtype, number][] = [
  ['intraparenchymal', 'intraventricular', 0.3], // ventricular extension of a deep bleed
  ['subdural', 'subarachnoid', 0.35], // trauma
  ['epidural', 'subdural', 0.3],
  ['subarachnoid', 'intraventricular', 0.15], // aneurysmal SAH with reflux
];

export interface SeriesPlan {
  index: number;
  patientId: string;
  patientIndex: number;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  studyId: string;
  studyDate: string;
  head: HeadModel;
  lesions: Lesion[];
  scanner: ScannerProfile;
  window: { center: string; width: string };
  grid: SliceGrid;
  thicknessMm: number;
  /** Slice centres (mm), ascending from the skull base. */
  zMm: number[];
  /** `ID_<9 hex>` per slice, in the order of zMm. */
  sopInstanceUids: string[];
  /** Per slice: RSNA-style InstanceNumber (not always in z order, as in the real data). */
  instanceNumbers: number[];
  /** Seed of the series' noise stream. */
  noiseSeed: number;
}

export interface PlanOptions {
  studies: number;
  seed: number;
  size: number;
  patients?: number;
  prevalence?: Partial<Prevalence>;
}

/** Per-study probability of each type so that slice-level prevalence lands near the targets. */
export function studyRates(target: Partial<Prevalence> = {}): Record<Subtype, number> {
  const t: Prevalence = { ...RSNA_PREVALENCE };
  const given = SUBTYPES.filter((s) => target[s] !== undefined);
  if (target.any !== undefined && !given.length) {
    // Only `any` given: scale every subtype by the same factor.
    for (const s of SUBTYPES) t[s] = (RSNA_PREVALENCE[s] * target.any) / RSNA_PREVALENCE.any;
  }
  for (const s of given) t[s] = target[s]!;
  const rates = {} as Record<Subtype, number>;
  for (const s of SUBTYPES) rates[s] = Math.min(1, t[s] / SLICE_COVERAGE[s]);
  // Companions add studies of the second type: take that share out of its own rate.
  for (const [from, to, p] of COMPANIONS) rates[to] = Math.max(0, (rates[to] - rates[from] * p) / (1 - rates[from] * p));
  return rates;
}

function hexId(rng: Rng, digits: number, used: Set<string>): string {
  for (;;) {
    let s = '';
    for (let i = 0; i < digits; i++) s += Math.floor(rng.next() * 16).toString(16);
    const id = `ID_${s}`;
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

/** Severity skewed toward subtle bleeds, as in the real data, where many positives are small. */
function severity(rng: Rng): number {
  return rng.next() ** 1.4;
}

function drawTypes(rng: Rng, rates: Record<Subtype, number>): Set<Subtype> {
  const types = new Set<Subtype>();
  for (const s of SUBTYPES) if (rng.chance(rates[s])) types.add(s);
  for (const [from, to, p] of COMPANIONS) if (types.has(from) && rng.chance(p)) types.add(to);
  return types;
}

function studyDate(rng: Rng): string {
  const day = new Date(Date.UTC(2015, 0, 1) + rng.int(0, 4 * 365) * 86400000);
  return day.toISOString().slice(0, 10).replace(/-/g, '');
}

export function planDataset(options: PlanOptions): SeriesPlan[] {
  const { studies, size } = options;
  const patients = options.patients ?? Math.max(1, Math.round(studies * 0.87));
  if (!Number.isInteger(studies) || studies < 1) throw new RangeError(`--studies must be a positive integer, got ${studies}`);
  if (!Number.isInteger(patients) || patients < 1 || patients > studies) throw new RangeError(`--patients must be 1..studies (${studies}), got ${patients}`);
  const root = createRng(options.seed);
  const ids = root.fork('ids');
  const used = new Set<string>();
  const rates = studyRates(options.prevalence);
  // Every patient has a study; the remaining studies go to random patients (follow-up scans).
  const owner = Array.from({ length: studies }, (_, i) => (i < patients ? i : root.int(0, patients - 1)));
  const patientIds = Array.from({ length: patients }, () => hexId(ids, 8, used));
  const heads = Array.from({ length: patients }, (_, p) => randomHead(createRng(`${options.seed}:head:${p}`)));
  return owner.map((patientIndex, index) => {
    const rng = createRng(`${options.seed}:series:${index}`);
    const head = heads[patientIndex]!;
    const types = drawTypes(rng.fork('types'), rates);
    const lesionRng = rng.fork('lesions');
    const lesions = [...types].map((type) => randomLesion(lesionRng, head, type, severity(lesionRng)));
    const { baseMm, vertexMm } = headZRange(head);
    const thicknessMm = 5;
    let spacing = rng.chance(0.75) ? 5 : rng.uniform(4.5, 6);
    const start = baseMm + rng.uniform(-4, 6);
    let count = Math.round((vertexMm - start) / spacing) + 1;
    if (count < 24 || count > 40) {
      count = Math.min(40, Math.max(24, count));
      spacing = (vertexMm - start) / (count - 1);
    }
    const zMm = Array.from({ length: count }, (_, i) => Math.round((start + i * spacing) * 1000) / 1000);
    // The scanner's field of view is centred on the table, not on the head: RSNA's IPP0 is often -125.
    const fov = rng.chance(0.5) ? 250 : rng.uniform(220, 260);
    const spacingMm = Math.round((fov / size) * 1e6) / 1e6;
    const centre = headCentre(head);
    const shift = rng.chance(0.5) ? 0 : rng.uniform(-8, 8);
    const grid: SliceGrid = {
      size,
      spacingMm,
      originX: -fov / 2 + spacingMm / 2 + shift,
      originY: centre.y - fov / 2 + spacingMm / 2 + rng.uniform(-10, 10),
    };
    const sopInstanceUids = zMm.map(() => hexId(ids, 9, used));
    // InstanceNumber runs from the vertex down in about half of the series.
    const descending = rng.chance(0.5);
    const instanceNumbers = zMm.map((_, i) => (descending ? count - i : i + 1));
    const studyIdx = owner.slice(0, index).filter((p) => p === patientIndex).length;
    return {
      index,
      patientId: patientIds[patientIndex]!,
      patientIndex,
      studyInstanceUid: hexId(ids, 10, used),
      seriesInstanceUid: hexId(ids, 10, used),
      studyId: String(studyIdx + 1),
      studyDate: studyDate(rng),
      head,
      lesions,
      scanner: randomScanner(rng.fork('scanner')),
      window: randomWindow(rng.fork('window')),
      grid,
      thicknessMm,
      zMm,
      sopInstanceUids,
      instanceNumbers,
      noiseSeed: rng.int(0, 2 ** 31 - 1),
    };
  });
}

/** Which slices of a series a lesion can touch (used to skip lesion work on slices far away). */
export function lesionTouches(lesion: Lesion, zMm: number, thicknessMm: number): boolean {
  const r = lesionZRange(lesion);
  return zMm + thicknessMm / 2 >= r.fromMm && zMm - thicknessMm / 2 <= r.toMm;
}
