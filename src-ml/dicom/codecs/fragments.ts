// Finds the bytes of one frame in encapsulated pixel data (PS3.5 A.4): with or without a Basic
// Offset Table, one or many fragments per frame.
import dicomParser from 'dicom-parser';
import { errorMessage } from '../../base/errors.ts';
import { DicomError } from '../errors.ts';

type DataSet = dicomParser.DataSet;
type Element = dicomParser.Element;

// Offset tables rebuilt by scanning fragments, kept per element so a multi-frame file is scanned once.
const rebuiltTables = new WeakMap<Element, number[]>();

function frameOffsets(dataSet: DataSet, element: Element): number[] {
  let table = rebuiltTables.get(element);
  if (!table) {
    // Groups fragments by the end-of-image marker (FFD9): JPEG, JPEG-LS and JPEG 2000 (EOC) all end with it.
    table = dicomParser.createJPEGBasicOffsetTable(dataSet, element);
    rebuiltTables.set(element, table);
  }
  return table;
}

/**
 * Returns the encoded bytes of frame `frameIndex` (0-based) out of `frames`. `oneFragmentPerFrame`
 * is true for RLE, whose frames are always exactly one fragment (PS3.5 A.4.2).
 */
export function readEncapsulatedFrame(dataSet: DataSet, frameIndex: number, frames: number, oneFragmentPerFrame: boolean): Uint8Array {
  const element = dataSet.elements['x7fe00010'];
  const fragments = element?.fragments;
  if (!element || !element.encapsulatedPixelData || !fragments) {
    throw new DicomError('unreadable', 'transfer syntax is compressed but pixel data is not encapsulated');
  }
  if (fragments.length < frames) {
    throw new DicomError('unreadable', `${frames} frames but only ${fragments.length} pixel data fragments`);
  }
  const bot = element.basicOffsetTable ?? [];
  try {
    if (frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, 0, fragments.length);
    if (bot.length > 0) {
      if (bot.length !== frames) throw new DicomError('unreadable', `basic offset table has ${bot.length} entries for ${frames} frames`);
      return dicomParser.readEncapsulatedImageFrame(dataSet, element, frameIndex);
    }
    if (fragments.length === frames) return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, frameIndex, 1);
    if (oneFragmentPerFrame) {
      throw new DicomError('unreadable', `${fragments.length} fragments for ${frames} frames; RLE needs one fragment per frame`);
    }
    const table = frameOffsets(dataSet, element);
    if (table.length !== frames) throw new DicomError('unreadable', `found ${table.length} frames in the fragments, header says ${frames}`);
    return dicomParser.readEncapsulatedImageFrame(dataSet, element, frameIndex, table);
  } catch (err) {
    if (err instanceof DicomError) throw err;
    throw new DicomError('unreadable', `cannot read frame ${frameIndex + 1}: ${errorMessage(err)}`);
  }
}
