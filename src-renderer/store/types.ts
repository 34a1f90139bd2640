// The store's shape: four slices (worklist, viewer, predictions, panels) over one zustand store. Every user
// intent is a plain function here, so keys, buttons and tests call the same thing.
import type { EngineClient, JobEvent, SeriesDetail, SeriesPredictions, SeriesSummary, SliceDetail, StudyRow } from '../../src-ml/api/engine.ts';
import type { PresetNumber } from './windows.ts';

export interface WorklistSlice {
  studies: StudyRow[];
  filter: string;
  threshold: number;
  studiesLoading: boolean;
  selectedStudyUid: string | null;
  seriesList: SeriesSummary[];
  /** Latest event per job, in arrival order. */
  jobs: JobEvent[];
  loadStudies(): Promise<void>;
  setFilter(filter: string): Promise<void>;
  selectStudy(studyUid: string): Promise<void>;
  addFolder(path: string): Promise<void>;
  onJobEvent(e: JobEvent): void;
}

export interface ViewerSlice {
  series: SeriesDetail | null;
  sliceIndex: number;
  wc: number;
  ww: number;
  /** 1-6 while a preset is applied; null after a manual window change. */
  preset: PresetNumber | null;
  /** Images fetched and decoded so far ("x of y loaded"). */
  loaded: number;
  /** Series + slice index the renderer has drawn last; data-status is ready when it is the current one. */
  drawn: { seriesUid: string; index: number } | null;
  cine: boolean;
  /** 1 = fit to the viewport. */
  zoom: number;
  pan: { x: number; y: number };
  selectSeries(seriesUid: string): Promise<void>;
  nextSlice(): void;
  prevSlice(): void;
  firstSlice(): void;
  lastSlice(): void;
  jumpToSlice(index: number): void;
  /** Cine step: the next slice, wrapping to the first. */
  cineStep(): void;
  nextSeries(): Promise<void>;
  prevSeries(): Promise<void>;
  setPreset(n: PresetNumber): void;
  setWindow(wc: number, ww: number): void;
  toggleCine(): void;
  zoomIn(): void;
  zoomOut(): void;
  fit(): void;
  panBy(dx: number, dy: number): void;
  setLoaded(seriesUid: string, loaded: number): void;
  setDrawn(seriesUid: string, index: number): void;
}

export type EnsembleMode = 'safe' | 'risky' | 'compare';

export interface PredictionsSlice {
  predictions: SeriesPredictions | null;
  ensembleMode: EnsembleMode;
  toggleEnsembleMode(mode: EnsembleMode): void;
}

export interface PanelsSlice {
  sliceDetail: SliceDetail | null;
  /** The one-line error the UI shows; null when all is well. */
  error: string | null;
  loadSliceDetail(imageId: string): Promise<void>;
  setError(message: string | null): void;
}

export type AppState = WorklistSlice & ViewerSlice & PredictionsSlice & PanelsSlice;

/** What every slice creator receives: zustand's set/get plus the engine. */
export interface SliceContext {
  set: (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)) => void;
  get: () => AppState;
  client: EngineClient;
  /** Runs an engine call, turning a failure into the store's error line; undefined when it failed. */
  guard: <T>(p: Promise<T>) => Promise<T | undefined>;
}
