// The slice of the untyped cornerstone-core / cornerstone-wado-image-loader APIs this module uses.
declare module 'cornerstone-core' {
  export interface CsImage {
    imageId: string;
    width: number;
    height: number;
  }
  export interface CsViewport {
    scale: number;
    translation: { x: number; y: number };
    voi: { windowWidth: number; windowCenter: number };
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
