// What the viewport needs from an image renderer. The cornerstone implementation lives in ./cornerstone/
// and is handed in at the app root, so the rest of the UI (and its jsdom tests) never loads cornerstone.
import { createContext } from 'react';

export interface ViewState {
  wc: number;
  ww: number;
  /** 1 = fit. */
  zoom: number;
  pan: { x: number; y: number };
  /** Grey scale inverted. */
  invert?: boolean;
}

/** What is under a point of the element: the image pixel (column, row from 0) and its value in HU. */
export interface PixelProbe {
  column: number;
  row: number;
  /** The stored value through the modality LUT (rescale slope and intercept, as the header gives them). */
  hu: number;
}

/** One slice of a stack: its file's URL and, in a multi-frame file, the frame (from 1; null for single-frame). */
export interface StackImage {
  url: string;
  frame: number | null;
}

export interface StackRenderer {
  /** Starts fetching the stack's images (slice order); `onLoaded` gets the running count. */
  setStack(images: readonly StackImage[], onLoaded: (loaded: number) => void): void;
  /** Draws image `index` with the view; resolves once drawn (rejects with a one-line error). */
  show(index: number, view: ViewState): Promise<void>;
  /** Applies a changed window, zoom or pan to the image on screen. */
  setView(view: ViewState): void;
  /** The element changed size. */
  resize(): void;
  /**
   * Where a point of the shown image (pixel coordinates: (0, 0) the first pixel's top-left corner, (columns,
   * rows) the last one's bottom-right) is on the element, in CSS pixels; null before an image is shown.
   */
  pixelToElement?(x: number, y: number): { x: number; y: number } | null;
  /** The image point (pixel coordinates, as pixelToElement takes them) under a point of the element; null before an image is shown. */
  elementToPixel?(x: number, y: number): { x: number; y: number } | null;
  /** The pixel under a point of the element (CSS pixels from its top-left); null off the image or before one is shown. */
  probe?(x: number, y: number): PixelProbe | null;
  /** The shown image's pixel spacing in mm (row: between rows, column: between columns); null when unknown. */
  pixelSpacing?(): { row: number; column: number } | null;
  destroy(): void;
}

export type CreateStackRenderer = (element: HTMLElement) => StackRenderer;

export const StackRendererContext = createContext<CreateStackRenderer | null>(null);
