// Scanner variety as in the RSNA data: how HU become stored values, the circular field-of-view padding,
// and the window values a series carries. BitType names follow the seed's label encoder
// (str(BitsStored) + str(PixelRepresentation) + str(RescaleIntercept)).
import type { Rng } from '../base/random.ts';

export interface ScannerProfile {
  name: string;
  bitsStored: 12 | 16;
  pixelRepresentation: 0 | 1;
  /** What the header says. */
  rescaleIntercept: number;
  /** The intercept the stored values were really made with (differs only for the broken-intercept quirk). */
  trueIntercept: number;
  /** HU written outside the circular field of view, or null for no padding (the corners are air). */
  paddingHu: number | null;
  /** The known RSNA quirk: 12-bit unsigned data whose header intercept (0 or 1) is not the real one. */
  brokenIntercept: boolean;
}

/** Weights roughly as the RSNA BitType groups; the broken-intercept quirk is a small fraction. */
const PROFILES: readonly { weight: number; make: (rng: Rng) => ScannerProfile }[] = [
  { weight: 0.35, make: () => profile('unsigned12_m1024', 12, 0, -1024, -1024, null, false) },
  { weight: 0.3, make: (rng) => profile('signed16_m1024', 16, 1, -1024, -1024, rng.chance(0.7) ? -3024 : -2000, false) },
  { weight: 0.15, make: () => profile('signed12_0', 12, 1, 0, 0, -2000, false) },
  { weight: 0.17, make: (rng) => profile('signed16_0', 16, 1, 0, 0, rng.chance(0.5) ? -3024 : -2000, false) },
  { weight: 0.03, make: (rng) => profile('broken_intercept', 12, 0, rng.chance(0.5) ? 0 : 1, -1024, null, true) },
];

function profile(name: string, bitsStored: 12 | 16, pixelRepresentation: 0 | 1, rescaleIntercept: number, trueIntercept: number, paddingHu: number | null, brokenIntercept: boolean): ScannerProfile {
  return { name, bitsStored, pixelRepresentation, rescaleIntercept, trueIntercept, paddingHu, brokenIntercept };
}

export function randomScanner(rng: Rng): ScannerProfile {
  let u = rng.next() * PROFILES.reduce((s, p) => s + p.weight, 0);
  for (const p of PROFILES) {
    u -= p.weight;
    if (u < 0) return p.make(rng);
  }
  return PROFILES[0]!.make(rng);
}

/** The stored-value range a profile can hold. */
export function storedRange(p: ScannerProfile): { min: number; max: number } {
  return p.pixelRepresentation === 1
    ? { min: -(2 ** (p.bitsStored - 1)), max: 2 ** (p.bitsStored - 1) - 1 }
    : { min: 0, max: 2 ** p.bitsStored - 1 };
}

/**
 * HU -> stored values (rounded, clipped to what the bits hold, as scanners do), with padding outside
 * the circular field of view inscribed in the image.
 */
export function toStoredPixels(hu: Float32Array, size: number, p: ScannerProfile): Int16Array | Uint16Array {
  const { min, max } = storedRange(p);
  const out = p.pixelRepresentation === 1 ? new Int16Array(hu.length) : new Uint16Array(hu.length);
  const r = size / 2;
  const r2 = r * r;
  const pad = p.paddingHu === null ? null : Math.min(max, Math.max(min, Math.round(p.paddingHu - p.trueIntercept)));
  for (let y = 0; y < size; y++) {
    const dy = y + 0.5 - r;
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const dx = x + 0.5 - r;
      if (pad !== null && dx * dx + dy * dy > r2) {
        out[i] = pad;
        continue;
      }
      const v = Math.round(hu[i]! - p.trueIntercept);
      out[i] = v < min ? min : v > max ? max : v;
    }
  }
  return out;
}

/** Window strings as RSNA headers carry them: single values, or multi-valued, sometimes zero-padded. */
export function randomWindow(rng: Rng): { center: string; width: string } {
  const c = rng.pick([30, 36, 40, 35, 47, 50, 40, 40]);
  const w = rng.pick([80, 150, 100, 135, 120, 80, 80]);
  const style = rng.next();
  if (style < 0.55) return { center: String(c), width: String(w) };
  if (style < 0.8) {
    const pad = (v: number) => String(v).padStart(5, '0');
    return { center: `${pad(c)}\\${pad(c)}`, width: `${pad(w)}\\${pad(w)}` };
  }
  const c2 = rng.pick([36, 40, 47]);
  return { center: `${c}\\${c2}`, width: `${w}\\80` };
}
