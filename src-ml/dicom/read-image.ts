// Reads one DICOM file into CT slices: headers, per-frame seed pixel statistics, and the header dump.
// This is the unit of work of a scan; it never touches the workspace. Cheap checks come first (one
// frame's header, then the pixel module, whose frame count is checked against the bytes the file
// holds), so no per-frame work starts before the file is known to hold every frame it claims.
import { DicomError } from './errors.ts';
import type { ParsedDicom } from './parse.ts';
import { dumpHeader, isCtImage, MAX_HEADER_DUMP_CHARS, readSliceHeader, readSliceHeaders, type SliceHeader } from './header.ts';
import { decodeFrameStored, readPixelModule } from './pixels.ts';
import { seedPixelStats, type PixelStats } from './pixel-stats.ts';

export interface CtSlice {
  header: SliceHeader;
  stats: PixelStats;
}

export interface CtImageFile {
  transferSyntaxUid: string;
  slices: CtSlice[];
  /** Every header element but pixel data, for the metadata panel. */
  headerDump: Record<string, string>;
  /** File-level oddities worth a warning (the file was still read). */
  warnings: string[];
}

/**
 * Checks a parsed file is a CT image with usable pixels, and decodes every frame for its statistics
 * (the syntax's codec must be loaded: initCodecsFor).
 */
export function readCtImageFile(parsed: ParsedDicom): CtImageFile {
  const ds = parsed.dataSet;
  const first = readSliceHeader(ds, 0);
  if (!ds.elements['x7fe00010']) {
    const what = (first.sopClassUid || (ds.string('x00020002') ?? '').trim()) === '1.2.840.10008.1.3.10' ? 'DICOMDIR (media storage directory)' : `${first.modality || 'unknown modality'} object`;
    throw new DicomError('no_pixels', `${what} has no pixel data`);
  }
  if (!isCtImage(first)) {
    throw new DicomError('not_ct', `modality is ${first.modality || `missing (SOP class ${first.sopClassUid || 'missing'})`}, not CT`);
  }
  if (!first.sopInstanceUid) throw new DicomError('unreadable', 'no SOPInstanceUID (0008,0018)');
  if (!first.seriesInstanceUid) throw new DicomError('unreadable', 'no SeriesInstanceUID (0020,000E)');
  // Checks Number of Frames against the pixel data before any per-frame header or decode.
  const pixels = readPixelModule(ds);
  const headers = readSliceHeaders(ds);
  const warnings: string[] = [];
  if (!parsed.hasMetaHeader) warnings.push('no preamble or meta header; read as a bare data set');
  if (ds.warnings?.length) warnings.push(...ds.warnings.slice(0, 3).map((w) => `parser: ${w}`));
  if (pixels.numberOfFrames !== headers.length) {
    throw new DicomError('unreadable', `header frame count ${headers.length} disagrees with pixel module ${pixels.numberOfFrames}`);
  }
  const slices = headers.map((header, i) => {
    const stored = decodeFrameStored(parsed, i);
    return { header, stats: seedPixelStats(stored, header.rescaleSlope, header.rescaleIntercept) };
  });
  // The dump is stored with every slice, so its limit shrinks as the frame count grows (from 64 KiB
  // down to 4 KiB) and the index stays in proportion to the file.
  const dumpChars = Math.min(MAX_HEADER_DUMP_CHARS, Math.max(4096, Math.floor(parsed.byteArray.length / slices.length)));
  return { transferSyntaxUid: parsed.transferSyntaxUid, slices, headerDump: dumpHeader(ds, dumpChars), warnings };
}
