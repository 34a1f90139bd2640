// The EngineClient over Electron IPC, for the renderer inside the desktop app: wraps `window.ich`, which the
// preload (src-main/preload.ts) exposes with exactly the EngineClient methods, onEvent and openFolderDialog.
// Failures become the same one-line EngineCallError the HTTP client throws.
import type { EngineClient, EngineEvent, StudyQuery } from '../../src-ml/api/engine.ts';
import type { IchDesktopApi, OpenFolderResult } from '../../src-main/ipc-contract.ts';
import { EngineCallError } from './http-client.ts';

/** The preload's API when this page runs in the desktop app; null in a browser. */
export function desktopApi(w: object = window): IchDesktopApi | null {
  const api = (w as { ich?: unknown }).ich;
  return typeof api === 'object' && api !== null && typeof (api as { info?: unknown }).info === 'function' ? (api as IchDesktopApi) : null;
}

export class IpcEngineClient implements EngineClient {
  constructor(private readonly api: IchDesktopApi) {}

  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new EngineCallError(method, null, err instanceof Error ? err.message : String(err));
    }
  }

  info() { return this.call('info', () => this.api.info()); }
  listStudies(query: StudyQuery = {}) { return this.call('listStudies', () => this.api.listStudies(query)); }
  getSeriesList(studyUid: string) { return this.call('getSeriesList', () => this.api.getSeriesList(studyUid)); }
  getSeries(seriesUid: string) { return this.call('getSeries', () => this.api.getSeries(seriesUid)); }
  getPredictions(seriesUid: string) { return this.call('getPredictions', () => this.api.getPredictions(seriesUid)); }
  getSliceDetail(imageId: string) { return this.call('getSliceDetail', () => this.api.getSliceDetail(imageId)); }
  addFolder(path: string) { return this.call('addFolder', () => this.api.addFolder(path)); }
  listJobs() { return this.call('listJobs', () => this.api.listJobs()); }

  onEvent(listener: (e: EngineEvent) => void): () => void {
    return this.api.onEvent(listener);
  }

  /** The native folder dialog; the chosen folder is indexed as a job (null when cancelled). */
  openFolderDialog(): Promise<OpenFolderResult> {
    return this.call('openFolderDialog', () => this.api.openFolderDialog());
  }
}
