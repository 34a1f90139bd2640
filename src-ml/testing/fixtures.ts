// Test fixtures shared by the engine's tests: where the sample DICOM lives, temp folders, and an
// Enhanced CT multi-frame file built by dcmtk's dump2dcm (an independent writer).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DICOM = path.resolve(REPO_ROOT, '../shared/dicom');
export const GE_DIR = path.join(SHARED_DICOM, 'head-ct-ge');
export const PHILIPS_DIR = path.join(SHARED_DICOM, 'phantom-philips-head');
export const SYNTAX_DIR = path.join(SHARED_DICOM, 'transfer-syntaxes');

export function tempDir(prefix = 'ich-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface EnhancedCtSpec {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  /** Per-frame ImagePositionPatient, in file order. */
  positions: [number, number, number][];
  rows: number;
  columns: number;
  /** Per-frame rescale intercept (PixelValueTransformationSequence), or one shared value. */
  intercepts: number[];
  /** int16 stored values, all frames back to back. */
  pixels: Int16Array;
}

const item = (lines: string[], indent: string) => [
  `${indent}(fffe,e000) na (Item with undefined length #=1)`,
  ...lines.map((l) => `${indent}  ${l}`),
  `${indent}(fffe,e00d) na (ItemDelimitationItem)`,
];
const seq = (tag: string, items: string[][], indent: string) => [
  `${indent}(${tag}) SQ (Sequence with undefined length #=${items.length})`,
  ...items.flatMap((lines) => item(lines, indent + '  ')),
  `${indent}(fffe,e0dd) na (SequenceDelimitationItem)`,
];

/** Writes an Enhanced CT Image Storage file with per-frame positions and rescale, using dump2dcm. */
export function writeEnhancedCt(dir: string, name: string, spec: EnhancedCtSpec): string {
  const raw = path.join(dir, `${name}.raw`);
  writeFileSync(raw, Buffer.from(spec.pixels.buffer, spec.pixels.byteOffset, spec.pixels.byteLength));
  const frames = spec.positions.map((p, i) => [
    ...seq('0020,9113', [[`(0020,0032) DS [${p.join('\\')}]`]], ''),
    ...seq('0028,9145', [[`(0028,1052) DS [${spec.intercepts[i] ?? spec.intercepts[0]}]`, '(0028,1053) DS [1]', '(0028,1054) LO [HU]']], ''),
  ]);
  const dump = [
    '(0008,0016) UI =EnhancedCTImageStorage',
    `(0008,0018) UI [${spec.sopInstanceUid}]`,
    '(0008,0060) CS [CT]',
    '(0010,0020) LO [ENHANCED^TEST]',
    '(0020,000d) UI [1.2.826.0.1.3680043.8.498.1]',
    `(0020,000e) UI [${spec.seriesInstanceUid}]`,
    '(0020,0013) IS [1]',
    '(0028,0002) US 1',
    '(0028,0004) CS [MONOCHROME2]',
    `(0028,0008) IS [${spec.positions.length}]`,
    `(0028,0010) US ${spec.rows}`,
    `(0028,0011) US ${spec.columns}`,
    '(0028,0100) US 16',
    '(0028,0101) US 16',
    '(0028,0102) US 15',
    '(0028,0103) US 1',
    ...seq('5200,9229', [[
      ...seq('0020,9116', [['(0020,0037) DS [1\\0\\0\\0\\1\\0]']], ''),
      ...seq('0028,9110', [['(0028,0030) DS [0.5\\0.5]', '(0018,0050) DS [5]']], ''),
    ]], ''),
    ...seq('5200,9230', frames, ''),
    `(7fe0,0010) OW =${raw}`,
  ].join('\n');
  const dumpPath = path.join(dir, `${name}.dump`);
  writeFileSync(dumpPath, dump + '\n');
  const out = path.join(dir, `${name}.dcm`);
  execFileSync('dump2dcm', ['+te', dumpPath, out], { stdio: 'pipe' });
  rmSync(raw);
  rmSync(dumpPath);
  return out;
}

/** Overwrites the tail of a UID element's value in place (same length, so offsets stay valid). */
function stampUid(bytes: Uint8Array, tag: string, suffix: string, parse: (b: Uint8Array) => { elements: Record<string, { dataOffset: number; length: number }> }): void {
  const el = parse(bytes).elements[tag];
  if (!el) throw new Error(`fixture has no ${tag}`);
  let end = el.dataOffset + el.length;
  while (end > el.dataOffset && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--; // UI padding
  const start = end - suffix.length;
  for (let i = 0; i < suffix.length; i++) bytes[start + i] = suffix.charCodeAt(i);
}

/**
 * Writes `sets` copies of a series (the GE head CT by default) with unique SOP and series UIDs, as
 * `<outDir>/s<set>/<name>`; for scan tests and benchmarks that need many distinct files.
 */
export async function writeSeriesCopies(outDir: string, sets: number, srcDir = GE_DIR): Promise<string[]> {
  const { readdirSync, readFileSync, mkdirSync } = await import('node:fs');
  const dicomParser = (await import('dicom-parser')).default;
  const parse = (b: Uint8Array) => dicomParser.parseDicom(b, { untilTag: 'x00200010' });
  const names = readdirSync(srcDir).filter((n) => n.endsWith('.dcm')).sort();
  const sources = names.map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(path.join(srcDir, n))) }));
  const written: string[] = [];
  for (let s = 0; s < sets; s++) {
    const dir = path.join(outDir, `s${s}`);
    mkdirSync(dir, { recursive: true });
    sources.forEach(({ name, bytes }, i) => {
      const copy = new Uint8Array(bytes);
      stampUid(copy, 'x0020000e', String(s).padStart(5, '0'), parse);
      stampUid(copy, 'x00080018', `${String(s).padStart(5, '0')}${String(i).padStart(3, '0')}`, parse);
      const out = path.join(dir, name);
      writeFileSync(out, copy);
      written.push(out);
    });
  }
  return written;
}

/** Whether Debian's python3 (not a pyenv one on PATH) can import all the given modules. */
export function hasPythonModules(...modules: string[]): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
