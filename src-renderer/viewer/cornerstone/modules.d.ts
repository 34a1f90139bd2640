// The slice of the untyped cornerstone-core / cornerstone-wado-image-loader APIs this module uses.
declare module 'cornerstone-core' {
  export interface CsImage {
    imageId: string;
    width: number;
    height: number;
    rows: number;
    columns: number;
    /** The stored values (modality LUT not applied unless preScale.scaled). */
    getPixelData(): ArrayLike<number>;
    slope: number;
    intercept: number;
    /** Set when the loader applied the modality LUT to the pixel data already. */
    preScale?: { scaled?: boolean };
    rowPixelSpacing?: number;
    columnPixelSpacing?: number;
    color?: boolean;
  }
  export interface CsViewport {
    scale: number;
    translation: { x: number; y: number };
    voi: { windowWidth: number; windowCenter: number };
    invert: boolean;
  }
  export function enable(element: HTMLElement): void;
  export function disable(element: HTMLElement): void;
  export function loadAndCacheImage(imageId: string): Promise<CsImage>;
  export function displayImage(element: HTMLElement, image: CsImage, viewport?: Partial<CsViewport>): void;
  export function getViewport(element: HTMLElement): CsViewport | undefined;
  export function setViewport(element: HTMLElement, viewport: Partial<CsViewport>): void;
  export function getDefaultViewportForImage(element: HTMLElement, image: CsImage): CsViewport;
  export function resize(element: HTMLElement, fitToWindow?: boolean): void;
  export function pixelToCanvas(element: HTMLElement, point: { x: number; y: number }): { x: number; y: number };
  export function canvasToPixel(element: HTMLElement, point: { x: number; y: number }): { x: number; y: number };
  export const imageCache: { setMaximumSizeBytes(bytes: number): void };
  const cornerstone: {
    enable: typeof enable;
    disable: typeof disable;
    loadAndCacheImage: typeof loadAndCacheImage;
    displayImage: typeof displayImage;
    getViewport: typeof getViewport;
    setViewport: typeof setViewport;
    getDefaultViewportForImage: typeof getDefaultViewportForImage;
    resize: typeof resize;
    pixelToCanvas: typeof pixelToCanvas;
    canvasToPixel: typeof canvasToPixel;
    imageCache: typeof imageCache;
  };
  export default cornerstone;
}

declare module 'cornerstone-wado-image-loader' {
  const loader: {
    external: { cornerstone: unknown; dicomParser: unknown };
    webWorkerManager: { initialize(config: Record<string, unknown>): void };
  };
  export default loader;
}
