// The store's shape: four slices (worklist, viewer, predictions, panels) over one zustand store. Every user
// intent is a plain function here, so keys, buttons and tests call the same thing.
import type {
  EngineClient, JobEvent, SeriesDetail, SeriesPredictions, SeriesSummary, SliceDetail, StartTrainingRequest, StudyRow,
} from '../../src-ml/api/engine.ts';
import type { RunSummary, TrainHistory, TrainJobState } from '../../src-ml/api/training.ts';
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
  /** Starts indexing a folder; false when the engine refused it (its one-line reason is the store's error). */
  addFolder(path: string): Promise<boolean>;
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

export interface TrainingSlice {
  /** The training panel is showing. */
  trainingOpen: boolean;
  /** Latest state of every training job, in start order (the last one is the panel's current job). */
  trainingJobs: TrainJobState[];
  /** Loss and validation history of the current job, for the charts. */
  trainingHistory: TrainHistory | null;
  /** The workspace's runs (`ich runs`). */
  runs: RunSummary[];
  /** The panel's one-line error (a refused launch, a failed call); null when all is well. */
  trainingError: string | null;
  openTraining(): void;
  closeTraining(): void;
  toggleTraining(): void;
  /** Jobs and runs from the engine (on start, on opening the panel). */
  loadTraining(): Promise<void>;
  startTraining(req: StartTrainingRequest): Promise<void>;
  cancelTraining(jobId: string): Promise<void>;
  /** Launches the same request again: the pipeline resumes from what the job committed. */
  resumeTraining(jobId: string): Promise<void>;
  onTrainingEvent(state: TrainJobState): void;
}

export type AppState = WorklistSlice & ViewerSlice & PredictionsSlice & PanelsSlice & TrainingSlice;

/** What every slice creator receives: zustand's set/get plus the engine. */
export interface SliceContext {
  set: (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)) => void;
  get: () => AppState;
  client: EngineClient;
  /** Runs an engine call, turning a failure into the store's error line; undefined when it failed. */
  guard: <T>(p: Promise<T>) => Promise<T | undefined>;
}
