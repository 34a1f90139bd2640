// The overlay's patient and study lines from the slice's DICOM header dump ("GGGG,EEEE" -> value as text, as
// getSliceDetail gives it): patient, age, sex, study date and time, series number and description.
import { fmtDate } from '../ui/format.ts';

export interface PatientInfo {
  /** PN with its components joined: "Doe^Jane" -> "Doe Jane"; the ID when there is no name. */
  patient: string;
  patientId: string;
  /** "45 y" from PatientAge (or from the birth and study dates); "–" when neither says. */
  age: string;
  /** M, F, O; "–" when not given. */
  sex: string;
  /** YYYY-MM-DD HH:MM (what of it the header has); "–" when it has neither. */
  studyDateTime: string;
  /** "#2 HEAD 5mm" (series number and description, falling back to the study description). */
  series: string;
}

const tag = (h: Record<string, string>, t: string): string => (h[t] ?? '').trim();

/** DICOM AS ("045Y", "003M", "010D", "002W") as "45 y", "3 mo", "10 d", "2 wk". */
export function fmtAge(as: string): string {
  const m = /^(\d{1,3})\s*([DWMY])$/i.exec(as.trim());
  if (!m) return as.trim();
  const unit = { D: 'd', W: 'wk', M: 'mo', Y: 'y' }[m[2]!.toUpperCase() as 'D' | 'W' | 'M' | 'Y'];
  return `${Number(m[1])} ${unit}`;
}

/** Whole years between two DICOM DA dates; null when either is not YYYYMMDD. */
export function yearsBetween(birth: string, at: string): number | null {
  if (!/^\d{8}$/.test(birth) || !/^\d{8}$/.test(at)) return null;
  const [by, bm, bd] = [birth.slice(0, 4), birth.slice(4, 6), birth.slice(6)].map(Number) as [number, number, number];
  const [ay, am, ad] = [at.slice(0, 4), at.slice(4, 6), at.slice(6)].map(Number) as [number, number, number];
  const years = ay - by - (am < bm || (am === bm && ad < bd) ? 1 : 0);
  return years >= 0 ? years : null;
}

/** DICOM TM ("HHMMSS.frac", "HHMM", "HH:MM:SS" in old files) as HH:MM; "" when it is not a time. */
export function fmtTime(tm: string): string {
  const m = /^(\d{2}):?(\d{2})/.exec(tm.trim());
  return m ? `${m[1]}:${m[2]}` : '';
}

export function patientInfo(header: Record<string, string>): PatientInfo {
  const id = tag(header, '0010,0020');
  const name = tag(header, '0010,0010').split('^').map((x) => x.trim()).filter(Boolean).join(' ');
  const studyDate = tag(header, '0008,0020');
  const age = tag(header, '0010,1010');
  const fromBirth = yearsBetween(tag(header, '0010,0030'), studyDate);
  const date = studyDate ? fmtDate(studyDate) : '';
  const time = fmtTime(tag(header, '0008,0030'));
  const number = tag(header, '0020,0011');
  const description = tag(header, '0008,103E') || tag(header, '0008,1030');
  return {
    patient: name || id || '–',
    patientId: id,
    age: age ? fmtAge(age) : fromBirth !== null ? `${fromBirth} y` : '–',
    sex: tag(header, '0010,0040') || '–',
    studyDateTime: [date, time].filter(Boolean).join(' ') || '–',
    series: [number ? `#${number}` : '', description].filter(Boolean).join(' ') || '–',
  };
}

/**
 * The broken-intercept header (known from the RSNA 2019 data): unsigned pixels (PixelRepresentation 0) with a
 * RescaleIntercept of 0 or more, whose HU are off by about 1000 (the brain window shows the slice blown out). The
 * same rule the sample weights use to leave such training images out (data/sample-weights.ts, step 3).
 */
export function brokenIntercept(header: Record<string, string>): boolean {
  const pr = tag(header, '0028,0103');
  const intercept = Number(tag(header, '0028,1052'));
  return pr === '0' && tag(header, '0028,1052') !== '' && Number.isFinite(intercept) && intercept >= 0;
}
