// What every codec module is told about a frame, and what it hands back.

/** The pixel module values a codec needs to check and size its output. */
export interface FrameInfo {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
}

/** Samples as the codec produced them (one per pixel, row-major). */
export interface DecodedFrame {
  samples: Uint8Array | Uint16Array | Int16Array;
  /**
   * How many low bits of each sample hold the stored value. Usually BitsStored; a JPEG 2000
   * codestream can declare its own precision (see openjpeg.ts).
   */
  bits: number;
}
