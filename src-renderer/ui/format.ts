// Display formatting shared by the panels.

export const fmtProb = (p: number | null | undefined): string => (p == null || !Number.isFinite(p) ? '–' : p.toFixed(2));

/** DICOM DA (YYYYMMDD) as YYYY-MM-DD; anything else as stored. */
export const fmtDate = (da: string): string => (/^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6)}` : da);

export const fmtMm = (v: number | null): string => (v == null ? '–' : `${Number(v.toFixed(2))} mm`);

/** Heat colour for a probability: dark blue (0) through orange to yellow (1). */
export function heat(p: number): string {
  const t = Math.max(0, Math.min(1, p));
  const hue = 240 - 190 * t;
  return `hsl(${hue.toFixed(0)} 85% ${(18 + 42 * t).toFixed(0)}%)`;
}

/**
 * Diverging colour for risky minus safe: blue (safe higher), grey (equal), red (risky higher). Saturation
 * grows with the difference (full from 0.2 on), so equal ensembles read as grey, not as a faint red.
 */
export function diverging(d: number): string {
  const t = Math.max(-1, Math.min(1, d));
  const a = Math.abs(t);
  return `hsl(${t >= 0 ? 0 : 215} ${Math.min(80, 400 * a).toFixed(0)}% ${(22 + 38 * a).toFixed(0)}%)`;
}

/** A difference of probabilities with its sign, two decimals; one that rounds to zero is "0.00", never "-0.00". */
export function fmtDiff(d: number | null | undefined): string {
  if (d == null || !Number.isFinite(d)) return '–';
  const r = Math.round(d * 100) / 100;
  if (r === 0) return '0.00';
  return `${r > 0 ? '+' : '−'}${Math.abs(r).toFixed(2)}`;
}
