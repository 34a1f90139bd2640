// Slice ordering for one series: project each ImagePositionPatient on the series' slice normal and
// sort by that location. The seed sorts by raw z (ImagePositionPatient[2]); for an axial series the
// normal is +z, so the order is the same, and for gantry-tilted series the projection gives the true
// slice spacing rather than the stretched z step.

export interface SliceGeometry {
  id: string;
  /** ImagePositionPatient (3 values, mm). */
  position?: readonly number[];
  /** ImageOrientationPatient (6 values: row direction cosines, then column direction cosines). */
  orientation?: readonly number[];
  instanceNumber?: number;
}

export interface SliceOrder {
  /** Slice ids in slice order (ascending location). */
  order: string[];
  /** Per ordered slice: position projected on the slice normal, mm; null when it cannot be computed. */
  location: (number | null)[];
  /** Gaps between consecutive locations (length order.length - 1); empty when locations are unknown. */
  spacing: number[];
  /** One short line per problem found; empty for a clean series. */
  warnings: string[];
}

/** Locations closer than this are the same slice position. */
export const DUPLICATE_TOLERANCE_MM = 0.001;
/** Spacings within this range of each other count as uniform (real series jitter in the last digits). */
export const SPACING_TOLERANCE_MM = 0.05;
/** Orientation components within this are the same orientation (values are rounded in the headers). */
const ORIENTATION_TOLERANCE = 1e-4;
/** How many ids a warning names before it summarises the rest. */
const MAX_IDS_IN_WARNING = 5;

type Vec3 = [number, number, number];

function validPosition(p: readonly number[] | undefined): Vec3 | undefined {
  if (!p || p.length < 3) return undefined;
  const [x, y, z] = p as [number, number, number];
  return Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z) ? [x, y, z] : undefined;
}

/** Unit normal (row x column) of an orientation, or undefined when it is missing or degenerate. */
export function sliceNormal(o: readonly number[] | undefined): Vec3 | undefined {
  if (!o || o.length < 6) return undefined;
  const v = o.slice(0, 6);
  if (!v.every(Number.isFinite)) return undefined;
  const [r0, r1, r2, c0, c1, c2] = v as [number, number, number, number, number, number];
  const n: Vec3 = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0];
  const len = Math.hypot(n[0], n[1], n[2]);
  if (!(len > 1e-6)) return undefined;
  return [n[0] / len, n[1] / len, n[2] / len];
}

function sameOrientation(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < 6; i++) {
    if (Math.abs(a[i]! - b[i]!) > ORIENTATION_TOLERANCE) return false;
  }
  return true;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** InstanceNumber ascending (missing ones last), then id: the deterministic tie-break everywhere. */
function compareInstanceThenId(a: SliceGeometry, b: SliceGeometry): number {
  const ia = Number.isFinite(a.instanceNumber) ? (a.instanceNumber as number) : Infinity;
  const ib = Number.isFinite(b.instanceNumber) ? (b.instanceNumber as number) : Infinity;
  if (ia !== ib) return ia < ib ? -1 : 1;
  return compareIds(a.id, b.id);
}

function nameIds(ids: readonly string[]): string {
  if (ids.length <= MAX_IDS_IN_WARNING) return ids.join(', ');
  return `${ids.slice(0, MAX_IDS_IN_WARNING).join(', ')} and ${ids.length - MAX_IDS_IN_WARNING} more`;
}

function mm(v: number): string {
  return `${v.toFixed(1)} mm`;
}

/** Most common orientation (within tolerance); ties go to the group whose first id sorts first. */
function dominantOrientation(slices: readonly SliceGeometry[]): { orientation: readonly number[]; outliers: string[] } {
  const groups: { orientation: readonly number[]; ids: string[] }[] = [];
  for (const s of slices) {
    const o = s.orientation!;
    const g = groups.find((gr) => sameOrientation(gr.orientation, o));
    if (g) g.ids.push(s.id);
    else groups.push({ orientation: o, ids: [s.id] });
  }
  for (const g of groups) g.ids.sort(compareIds);
  groups.sort((a, b) => b.ids.length - a.ids.length || compareIds(a.ids[0]!, b.ids[0]!));
  const best = groups[0]!;
  const outliers = groups.slice(1).flatMap((g) => g.ids).sort(compareIds);
  return { orientation: best.orientation, outliers };
}

function fallbackOrder(slices: readonly SliceGeometry[], missing: string[]): SliceOrder {
  const sorted = [...slices].sort(compareInstanceThenId);
  const warnings: string[] = [];
  if (slices.length > 1) {
    missing.sort(compareIds);
    warnings.push(
      `${missing.length} of ${slices.length} slices lack a usable ImagePositionPatient/ImageOrientationPatient ` +
        `(${nameIds(missing)}); ordered by InstanceNumber, then id`,
    );
    const noInstance = slices.filter((s) => !Number.isFinite(s.instanceNumber)).map((s) => s.id).sort(compareIds);
    if (noInstance.length > 0) warnings.push(`${noInstance.length} slices lack InstanceNumber (${nameIds(noInstance)}); placed last, by id`);
  }
  return { order: sorted.map((s) => s.id), location: sorted.map(() => null), spacing: [], warnings };
}

/**
 * Orders the slices of one series by their position along the slice normal (ascending), breaking
 * ties (locations within DUPLICATE_TOLERANCE_MM) by InstanceNumber, then id. When any slice lacks
 * position or orientation the whole series falls back to InstanceNumber order, then id.
 */
export function orderSlices(slices: readonly SliceGeometry[]): SliceOrder {
  if (slices.length === 0) return { order: [], location: [], spacing: [], warnings: [] };

  const missing = slices.filter((s) => !validPosition(s.position) || !sliceNormal(s.orientation)).map((s) => s.id);
  if (missing.length > 0) return fallbackOrder(slices, missing);

  const warnings: string[] = [];
  const { orientation, outliers } = dominantOrientation(slices);
  if (outliers.length > 0) {
    warnings.push(
      `mixed orientations: ${outliers.length} of ${slices.length} slices differ from the series' most common ` +
        `orientation (${nameIds(outliers)}); all projected on its normal`,
    );
  }
  const normal = sliceNormal(orientation)!;
  const located = slices.map((s) => {
    const p = validPosition(s.position)!;
    return { slice: s, location: p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2] };
  });
  located.sort((a, b) => a.location - b.location || compareInstanceThenId(a.slice, b.slice));

  // Runs of (near-)equal locations are re-sorted by InstanceNumber so float noise in the headers
  // cannot decide the order of duplicates.
  const duplicateRuns: string[][] = [];
  for (let start = 0; start < located.length; ) {
    let end = start + 1;
    while (end < located.length && located[end]!.location - located[end - 1]!.location <= DUPLICATE_TOLERANCE_MM) end++;
    if (end - start > 1) {
      const run = located.slice(start, end).sort((a, b) => compareInstanceThenId(a.slice, b.slice));
      located.splice(start, run.length, ...run);
      duplicateRuns.push(run.map((r) => r.slice.id));
    }
    start = end;
  }
  if (duplicateRuns.length > 0) {
    const count = duplicateRuns.reduce((n, r) => n + r.length, 0);
    const shown = duplicateRuns.slice(0, MAX_IDS_IN_WARNING).map((r) => r.join(' = ')).join('; ');
    const more = duplicateRuns.length > MAX_IDS_IN_WARNING ? `; and ${duplicateRuns.length - MAX_IDS_IN_WARNING} more` : '';
    warnings.push(`duplicate slice locations (${count} slices at ${duplicateRuns.length} positions): ${shown}${more}`);
  }

  const location = located.map((l) => l.location);
  const spacing: number[] = [];
  for (let i = 1; i < location.length; i++) spacing.push(location[i]! - location[i - 1]!);

  // Duplicates are reported above; leave their zero gaps out of the spacing range.
  const gaps = spacing.filter((g) => g > DUPLICATE_TOLERANCE_MM);
  if (gaps.length > 1) {
    const lo = Math.min(...gaps);
    const hi = Math.max(...gaps);
    if (hi - lo > SPACING_TOLERANCE_MM) warnings.push(`slice spacing varies: ${mm(lo)} to ${mm(hi)}`);
  }

  return {
    order: located.map((l) => l.slice.id),
    location,
    spacing,
    warnings: slices.length > 1 ? warnings : [],
  };
}
