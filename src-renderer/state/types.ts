// The store's shape: seven slices (worklist, viewer, predictions, panels, training, versions, saliency) over one zustand store. Every user
// intent is a plain function here, so keys, buttons and tests call the same thing.
import type {
  EngineClient, JobEvent, KeyImage, SaliencyMap, ScanProblemRecord, SeriesDetail, SeriesPredictions, SeriesSummary, SliceDetail, StartTrainingRequest, StudyRow, VersionsEvent,
} from '../../src-ml/api/engine.ts';
import type { RunSummary, TrainHistory, TrainJobState, VersionSummary } from '../../src-ml/api/training.ts';
import type { PresetNumber } from './windows.ts';
import type { StudySortKey } from './worklist-sort.ts';
import type { Label } from '../../src-shared/labels.ts';

export interface WorklistSlice {
  studies: StudyRow[];
  filter: string;
  threshold: number;
  studiesLoading: boolean;
  selectedStudyUid: string | null;
  seriesList: SeriesSummary[];
  /** Latest event per background job (scan, predict), in arrival order. */
  jobs: JobEvent[];
  /** The files the scans could not index, and why (listProblems); refreshed when a scan ends. */
  problems: ScanProblemRecord[];
  loadProblems(): Promise<void>;
  /** The worklist from the engine; with no study open yet, opens the top one. */
  loadStudies(): Promise<void>;
  setFilter(filter: string): Promise<void>;
  /** A column the reader sorted by; null: the engine's priority order. */
  sortKey: StudySortKey | null;
  sortDir: 1 | -1;
  /** Studies the reader opened (or marked read), kept in the browser's storage. */
  readStudies: Record<string, true>;
  /** Sorts by the column; the same column again reverses it, a third time goes back to the priority order. */
  setSort(key: StudySortKey): void;
  /** Marks a study (default: the open one) read or unread. */
  toggleRead(studyUid?: string): void;
  /** Opens the study's first series and marks it read; a click on the study already open (or opening) changes nothing. */
  selectStudy(studyUid: string): Promise<void>;
  /** The next / previous study of the worklist as shown (the first when none is open). */
  nextStudy(): Promise<void>;
  prevStudy(): Promise<void>;
  /** Opens the study (if it is not open) and its key image's series at that slice. */
  openKeyImage(studyUid: string, key: KeyImage): Promise<void>;
  /** Starts indexing a folder; false when the engine refused it (its one-line reason is the store's error). */
  addFolder(path: string): Promise<boolean>;
  onJobEvent(e: JobEvent): void;
}

/** A distance drawn on a slice: image pixel coordinates and its length in mm (null without a pixel spacing). */
export interface Measurement {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  mm: number | null;
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
  /** Grey scale inverted (key i). */
  invert: boolean;
  /** The reader locked the window: a new study keeps it instead of starting at brain. */
  windowLocked: boolean;
  /** The distance tool is on (key m): a left drag measures instead of panning. */
  measuring: boolean;
  /** Distances drawn, per slice (imageId). */
  measurements: Record<string, Measurement[]>;
  /**
   * Shows the series at its highest-`any` slice (slice 0 without predictions). `newStudy`: the first series of a
   * study just opened, whose window starts at brain unless locked.
   */
  selectSeries(seriesUid: string, opts?: { newStudy?: boolean }): Promise<void>;
  nextSlice(): void;
  prevSlice(): void;
  firstSlice(): void;
  lastSlice(): void;
  jumpToSlice(index: number): void;
  /** The next / previous slice whose `any` (in the mode shown) is at or above its threshold; stays when none. */
  nextFlagged(): void;
  prevFlagged(): void;
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
  toggleInvert(): void;
  toggleWindowLock(): void;
  /** Fit, no pan, not inverted, brain window. */
  resetView(): void;
  toggleMeasure(): void;
  addMeasurement(imageId: string, m: Measurement): void;
  /** Removes the current slice's distances. */
  clearMeasurements(): void;
  panBy(dx: number, dy: number): void;
  setLoaded(seriesUid: string, loaded: number): void;
  setDrawn(seriesUid: string, index: number): void;
}

export type EnsembleMode = 'safe' | 'risky' | 'compare';

export interface PredictionsSlice {
  predictions: SeriesPredictions | null;
  ensembleMode: EnsembleMode;
  toggleEnsembleMode(mode: EnsembleMode): void;
  /** Fetches the open series' predictions (and the current slice's detail) again: a version or predict job changed them. */
  reloadPredictions(): Promise<void>;
}

export interface PanelsSlice {
  sliceDetail: SliceDetail | null;
  /** The one-line error the UI shows; null when all is well. */
  error: string | null;
  /** The member, blend and feature tables are showing (the "engineering" toggle). */
  engineering: boolean;
  /** The key help sheet is showing (key ?). */
  helpOpen: boolean;
  loadSliceDetail(imageId: string): Promise<void>;
  setError(message: string | null): void;
  toggleEngineering(): void;
  toggleHelp(): void;
  closeHelp(): void;
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
  /** Jobs, runs and model versions from the engine (on start, on opening the panel). */
  loadTraining(): Promise<void>;
  startTraining(req: StartTrainingRequest): Promise<void>;
  cancelTraining(jobId: string): Promise<void>;
  /** Launches the same request again: the pipeline resumes from what the job committed. */
  resumeTraining(jobId: string): Promise<void>;
  onTrainingEvent(state: TrainJobState): void;
}

/** A promote (or rollback) held for a second, explicit confirmation, and where it was asked from. */
export interface PromoteAsk {
  version: string;
  /** Why it needs one (promoteWarnings), one line each. */
  reasons: string[];
  from: 'compare' | 'list';
}

export interface VersionsSlice {
  /** The active model version, what the worklist and the strip show (info().activeVersion); null before the first. */
  activeVersion: string | null;
  /** Model versions, newest first (listVersions). */
  versions: VersionSummary[];
  promoteAsk: PromoteAsk | null;
  /** The version a promote is under way for. */
  promoting: string | null;
  /** The one-line error of a failed promote or rollback (a refused predict request is the app's error); null when all is well. */
  versionsError: string | null;
  /** Predict jobs this page asked for: jobId -> the studies (null: every study without predictions). */
  predictRequests: Record<string, string[] | null>;
  loadVersions(): Promise<void>;
  /** The active version from info() (on start). */
  loadActiveVersion(): Promise<void>;
  /**
   * Promote a candidate or roll back to an archived version: at once when nothing speaks against it, else
   * held as promoteAsk until confirmPromote (the warning rule: training/versions.ts promoteWarnings).
   */
  askPromote(version: string, from: PromoteAsk['from']): Promise<void>;
  confirmPromote(): Promise<void>;
  cancelPromote(): void;
  /** Makes the version active, then refreshes the versions, the worklist and the open series' predictions. */
  promoteVersion(version: string): Promise<boolean>;
  onVersionsEvent(e: VersionsEvent): void;
  /** Starts a predict job for these studies (none: every study without predictions). */
  predictStudies(studyUids?: string[]): Promise<void>;
}

/** The saliency overlay's state (saliency-slice.ts builds it). */
export type SaliencyStatus = 'off' | 'loading' | 'ready' | 'error';

export interface SaliencySlice {
  saliencyOn: boolean;
  /** The label the reader chose in the overlay; null: the current slice's top label (saliencyLabelOf). */
  saliencyLabel: Label | null;
  /** The map on screen: the current slice's, of the label shown; null while none is. */
  saliency: SaliencyMap | null;
  saliencyStatus: SaliencyStatus;
  /** One line, when the engine could not make the map (no model version, a file gone). */
  saliencyError: string | null;
  toggleSaliency(): void;
  setSaliencyLabel(label: Label | null): void;
  /** Shows the current slice's map (from the cache or the engine); the overlay calls it when the slice or the label changes. */
  loadSaliency(): Promise<void>;
}

export type AppState = WorklistSlice & ViewerSlice & PredictionsSlice & PanelsSlice & TrainingSlice & VersionsSlice & SaliencySlice;

/** What every slice creator receives: zustand's set/get plus the engine. */
export interface SliceContext {
  set: (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)) => void;
  get: () => AppState;
  client: EngineClient;
  /** Runs an engine call, turning a failure into the store's error line; undefined when it failed. */
  guard: <T>(p: Promise<T>) => Promise<T | undefined>;
}
