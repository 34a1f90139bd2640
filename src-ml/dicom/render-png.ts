// HU -> 8-bit display gray through a DICOM linear VOI window, and PNG encoding (fast-png, pure JS) of
// the gray image or of a lesion outline drawn over it, for the CLI and galleries.
import { encode } from 'fast-png';

function checkSize(length: number, rows: number, cols: number, what: string): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) throw new RangeError(`image size ${rows}x${cols} must be positive integers`);
  if (length !== rows * cols) throw new RangeError(`${what} has ${length} values, ${rows} rows x ${cols} columns need ${rows * cols}`);
}

export interface RenderOptions {
  /** Black for high values: MONOCHROME1 images, whose photometric interpretation applies after the VOI LUT. */
  invert?: boolean;
}

/**
 * The DICOM linear VOI LUT (PS3.3 C.11.2.1.2.1) to 0..255: at or below c - 0.5 - (w-1)/2 is 0, above
 * c - 0.5 + (w-1)/2 is 255, and in between ((x - (c - 0.5)) / (w-1) + 0.5) * 255, rounded.
 * Width must be at least 1; NaN HU render as 0.
 */
export function renderWindowedGray(hu: Float32Array, rows: number, cols: number, center: number, width: number, options: RenderOptions = {}): Uint8Array {
  checkSize(hu.length, rows, cols, 'HU image');
  if (!Number.isFinite(center) || !Number.isFinite(width) || width < 1) throw new RangeError(`window center ${center} width ${width}: width must be at least 1`);
  const lo = center - 0.5 - (width - 1) / 2;
  const hi = center - 0.5 + (width - 1) / 2;
  // (x - (c - 0.5)) / (w-1) + 0.5 is (x - lo) / (w-1); width 1 is a pure threshold (the ramp is empty).
  const scale = width > 1 ? 255 / (width - 1) : 0;
  const flip = options.invert ? 255 : 0;
  const out = new Uint8Array(hu.length);
  for (let i = 0; i < hu.length; i++) {
    const x = hu[i]!;
    // Comparisons with NaN are false, so NaN lands on 0.
    const y = x > hi ? 255 : x > lo ? ((x - lo) * scale + 0.5) | 0 : 0;
    out[i] = y ^ flip;
  }
  return out;
}

/** An 8-bit grayscale PNG of `gray` (rows*cols, row-major). */
export function encodeGrayPng(gray: Uint8Array, rows: number, cols: number): Uint8Array {
  checkSize(gray.length, rows, cols, 'gray image');
  return encode({ width: cols, height: rows, data: gray, depth: 8, channels: 1 });
}

/** A mask: booleans, 0/1 (or 0/255) bytes, or per-pixel area fractions; a pixel is inside at >= 0.5. */
export type Mask = Uint8Array | Float32Array | readonly boolean[];

export interface OverlayOptions {
  /** Opacity of the outline, 0..1 (default 1). */
  alpha?: number;
}

/**
 * Where the mask's outline is: inside pixels with a 4-neighbour outside the mask or the image edge
 * beside them, so the outline lies on the lesion's own boundary pixels, one pixel wide.
 */
export function maskOutline(mask: Mask, rows: number, cols: number): Uint8Array {
  checkSize(mask.length, rows, cols, 'mask');
  const inside = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) inside[i] = Number(mask[i]!) >= 0.5 ? 1 : 0;
  const edge = new Uint8Array(mask.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      if (!inside[i]) continue;
      const border = r === 0 || c === 0 || r === rows - 1 || c === cols - 1;
      edge[i] = border || !inside[i - 1] || !inside[i + 1] || !inside[i - cols] || !inside[i + cols] ? 1 : 0;
    }
  }
  return edge;
}

/**
 * An RGBA PNG marking a mask's outline in colour `rgb` (0..255 each). Over `gray`, the image is opaque
 * with the outline blended in at `alpha`; with `gray` null, everything but the outline is transparent,
 * for layering over a separately drawn slice.
 */
export function encodeOverlayPng(gray: Uint8Array | null, mask: Mask, rows: number, cols: number, rgb: readonly [number, number, number], options: OverlayOptions = {}): Uint8Array {
  if (gray) checkSize(gray.length, rows, cols, 'gray image');
  if (rgb.length !== 3 || rgb.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) throw new RangeError(`colour [${rgb.join(', ')}] must be three integers 0..255`);
  const alpha = options.alpha ?? 1;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha ${alpha} must be in 0..1`);
  const edge = maskOutline(mask, rows, cols);
  const out = new Uint8Array(rows * cols * 4);
  for (let i = 0; i < edge.length; i++) {
    const o = i * 4;
    if (gray) {
      const g = gray[i]!;
      const a = edge[i] ? alpha : 0;
      out[o] = Math.round(rgb[0] * a + g * (1 - a));
      out[o + 1] = Math.round(rgb[1] * a + g * (1 - a));
      out[o + 2] = Math.round(rgb[2] * a + g * (1 - a));
      out[o + 3] = 255;
    } else if (edge[i]) {
      out[o] = rgb[0];
      out[o + 1] = rgb[1];
      out[o + 2] = rgb[2];
      out[o + 3] = Math.round(alpha * 255);
    }
  }
  return encode({ width: cols, height: rows, data: out, depth: 8, channels: 4 });
}
