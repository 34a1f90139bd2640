// EngineClient over a workspace, in the engine's process: the one implementation both hosts (the web host
// now, the Electron engine host later) put behind their transport. Reads go straight to the index (WAL lets
// them run beside a scan, here or in another process); folder scans run as background jobs, one at a time
// because they share this process's database connection.
import { createHash } from 'node:crypto';
import { errorMessage } from '../base/errors.ts';
import { CancelledError } from '../jobs/progress.ts';
import { loadEnsembleRecord, predictionsOf, seriesEnsemblePredictions } from '../store/predictions.ts';
import { indexCounts, listProblems, orderedSeriesSlices, type OrderedSeries } from '../store/queries.ts';
import { scanFolders } from '../store/scan.ts';
import { listModels, listRunSummaries } from '../store/training-store.ts';
import { seriesSummaries, sliceRecord, studySummaries } from '../store/viewer-queries.ts';
import { imageFileRefs } from '../store/image-files.ts';
import type { SaliencyMaps } from '../predict/saliency-maps.ts';
import type { Workspace } from '../store/workspace.ts';
import type { EnsembleFit } from '../ensemble/safe-risky.ts';
import {
  DEFAULT_FLAG_THRESHOLD, ENGINE_LABELS, EngineError,
  type EngineClient, type EngineEvent, type EngineInfo, type JobEvent, type MemberDetail, type ModelInfo, type PredictStudiesRequest,
  type SaliencyMap, type SaliencyRequest, type ScanProblemRecord, type SeriesDetail, type SeriesPredictions, type SeriesSummary, type SliceDetail, type SliceInfo, type StartTrainingRequest, type StudyQuery, type StudyRow,
} from '../api/engine.ts';
import type { PromoteResult, RunSummary, TrainHistory, TrainJobState, VersionSummary } from '../api/training.ts';
import { sliceMetadataFeatures } from './slice-features.ts';
import { runPredictChild } from './predict-child.ts';
import { activeVersion, promoteVersion, versionSummaries } from '../store/versions.ts';
import type { JobLauncher } from './job-launcher.ts';
import { TrainingJobs, type TrainingJobsOptions } from './training-jobs.ts';
import { checkDataFolder, preflightTraining } from '../train/preflight.ts';

export interface EngineServiceOptions {
  /** The URL the transport serves an image's file bytes at. */
  dicomUrl: (imageId: string) => string;
  /** Milliseconds between progress events of one job (the first and last always go out). */
  progressIntervalMs?: number;
  /** Training jobs: throttle of batch updates, and (tests) how the `ich pipeline` child is started. */
  training?: Pick<TrainingJobsOptions, 'progressIntervalMs' | 'spawnChild'>;
  /** Predict a scanned folder's new slices when a version is active (default true). */
  predictAfterScan?: boolean;
  /** Tests: how the `ich predict` child is started. */
  predictChild?: JobLauncher;
  /** How jobs (`ich pipeline`, `ich predict`) start: default a Node child; the desktop app's engine passes its relay. */
  jobLauncher?: JobLauncher;
}

type StoredEnsemble = { fit: EnsembleFit; createdAt: string; version: string };

export class EngineService implements EngineClient {
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private readonly jobs = new Map<string, JobEvent>();
  private readonly abort = new AbortController();
  private queue: Promise<void> = Promise.resolve();
  private nextJob = 1;
  private readonly training: TrainingJobs;
  /** Loaded with the first training request: presets pull in the model code (tfjs), which reading the index never needs. */
  private presets: typeof import('../train/presets.ts') | undefined;
  /** Loaded with the first saliency request, for the same reason (predict/saliency-maps.ts: base CNNs, tfjs). */
  private saliency: Promise<SaliencyMaps> | undefined;

  constructor(private readonly ws: Workspace, private readonly options: EngineServiceOptions) {
    // Training runs in an `ich pipeline` child on the same workspace folder; its state changes become events.
    this.training = new TrainingJobs({
      workspaceDir: ws.dir,
      // The same checks `ich pipeline` makes, before the child starts: a request that cannot work is refused.
      preflight: (req) => preflightTraining(ws, {
        preset: this.presets!.loadPreset(req.preset), via: 'app',
        ...(req.folds !== undefined ? { folds: req.folds } : {}), ...(req.data ? { data: [req.data] } : {}), ...(req.labels ? { labels: req.labels } : {}),
        ...(req.testDirs ? { test: req.testDirs } : {}),
        init: { ...(req.initDir ? { initDir: req.initDir } : {}), ...(req.fromScratch ? { fromScratch: true } : {}) },
      }),
      ...(options.jobLauncher ? { spawnChild: options.jobLauncher } : {}),
      ...options.training,
      onUpdate: (state) => this.broadcast({ type: 'training', state }),
    });
  }

  get workspaceDir(): string {
    return this.ws.dir;
  }

  async info(): Promise<EngineInfo> {
    const ens = this.ensemble();
    return {
      workspace: this.ws.dir,
      activeVersion: activeVersion(this.ws)?.version ?? null,
      counts: indexCounts(this.ws),
      models: listModels(this.ws).map((m) => ({ id: m.id, stage: m.stage, fold: m.fold, createdAt: m.createdAt })),
      ensemble: ens && {
        createdAt: ens.createdAt,
        version: ens.version,
        members: ens.fit.members.map((m) => m.name),
        safeKept: ens.fit.safe.kept,
        riskyKept: ens.fit.risky?.kept ?? [],
      },
      labels: [...ENGINE_LABELS],
    };
  }

  async listStudies(query: StudyQuery = {}): Promise<StudyRow[]> {
    const threshold = query.threshold ?? DEFAULT_FLAG_THRESHOLD;
    const needle = query.filter?.trim().toLowerCase() ?? '';
    const out: StudyRow[] = [];
    for (const r of studySummaries(this.ws, threshold)) {
      const { keyImages, ...rest } = r;
      const row: StudyRow = {
        ...rest, flagged: false,
        ...(keyImages ? { keyImages: keyImages.map(({ urlImageId, ...k }) => ({ ...k, dicomUrl: this.options.dicomUrl(urlImageId) })) } : {}),
      };
      row.flagged = Math.max(row.maxAnySafe ?? -1, row.maxAnyRisky ?? -1) >= threshold;
      if (needle && ![row.patientId, row.patientName, row.studyDate, row.description, row.studyUid].some((f) => f.toLowerCase().includes(needle))) continue;
      out.push(row);
    }
    const top = (r: StudyRow) => Math.max(r.maxAnySafe ?? -1, r.maxAnyRisky ?? -1);
    return out.sort((a, b) => Number(b.flagged) - Number(a.flagged) || top(b) - top(a)
      || b.studyDate.localeCompare(a.studyDate) || a.studyUid.localeCompare(b.studyUid));
  }

  async getSeriesList(studyUid: string): Promise<SeriesSummary[]> {
    const rows = seriesSummaries(this.ws, studyUid);
    if (!rows.length) throw new EngineError('not_found', `no study ${studyUid} in the workspace`);
    return rows;
  }

  async getSeries(seriesUid: string): Promise<SeriesDetail> {
    const { slices: ordered, warnings } = this.orderedSlices(seriesUid);
    const first = ordered[0]!;
    // The frames of a multi-frame file share one URL (that of its lowest frame), so the renderer fetches and
    // parses the file once and picks each slice's frame from it (SliceInfo.frame).
    const fileUrl = new Map<number, { frame: number; id: string }>();
    for (const sl of ordered) {
      const f = sl.frame ?? 0;
      const had = fileUrl.get(sl.fileId);
      if (!had || f < had.frame) fileUrl.set(sl.fileId, { frame: f, id: sl.imageId });
    }
    const slices: SliceInfo[] = ordered.map((sl, index) => ({
      imageId: sl.imageId, sopInstanceUid: sl.sopInstanceUid, frame: sl.frame, index,
      position: sl.position, thickness: sl.thickness,
      windowCenter: sl.windowCenter, windowWidth: sl.windowWidth, instanceNumber: sl.instanceNumber,
      dicomUrl: this.options.dicomUrl(sl.frame == null ? sl.imageId : fileUrl.get(sl.fileId)!.id),
    }));
    return {
      seriesUid, studyUid: first.studyUid, patientId: first.patientId, modality: first.modality,
      rows: first.rows, columns: first.columns, slices, warnings,
    };
  }

  /** Per slice in slice order: the one ordering (store/queries orderedSeriesSlices) read once, not through getSeries. */
  async getPredictions(seriesUid: string): Promise<SeriesPredictions> {
    const { slices } = this.orderedSlices(seriesUid);
    const found = seriesEnsemblePredictions(this.ws, seriesUid);
    return {
      seriesUid,
      labels: [...ENGINE_LABELS],
      slices: slices.map((s) => ({ imageId: s.imageId, ...(found.get(s.imageId) ?? { safe: null, risky: null, oof: false }) })),
      thresholds: ENGINE_LABELS.map(() => DEFAULT_FLAG_THRESHOLD),
      model: this.modelInfo(),
    };
  }

  async getSliceDetail(imageId: string): Promise<SliceDetail> {
    const r = sliceRecord(this.ws, imageId);
    if (!r) throw new EngineError('not_found', `no image ${imageId} in the workspace`);
    const ens = this.ensemble();
    const memberInfo = new Map(ens?.fit.members.map((m) => [m.name, m]) ?? []);
    const preds = predictionsOf(this.ws, imageId);
    const members: MemberDetail[] = preds.filter((p) => p.kind === 'member').map((p) => {
      const m = memberInfo.get(p.source);
      return {
        name: p.source, group: m?.group ?? null, probs: p.probs,
        bounded: { anyRaised: (p.bounded & 1) !== 0, anyLowered: (p.bounded & 2) !== 0 },
        keptIn: m?.keptIn ?? [],
      };
    });
    const weights = (v: EnsembleFit['safe'] | null | undefined): [number, number][] | null => v ? v.fit.classes.map((c) => c.mean) : null;
    return {
      imageId,
      seriesUid: r.seriesUid,
      header: r.header,
      fields: r.fields,
      metadataFeatures: sliceMetadataFeatures(this.ws, imageId),
      members,
      blend: { safe: weights(ens?.fit.safe), risky: weights(ens?.fit.risky) },
      safe: preds.find((p) => p.source === 'safe')?.probs ?? null,
      risky: preds.find((p) => p.source === 'risky')?.probs ?? null,
    };
  }

  async addFolder(folder: string): Promise<{ jobId: string }> {
    // A wrong path is refused at once (not a scan that ends "done, 0 files").
    try {
      checkDataFolder(folder);
    } catch (err) {
      throw new EngineError('invalid', errorMessage(err));
    }
    const jobId = `scan-${this.nextJob++}`;
    this.emit({ type: 'job', jobId, kind: 'scan', stage: 'scan', done: 0, total: 0, status: 'queued' });
    this.queue = this.queue.then(() => this.runScan(jobId, folder));
    return { jobId };
  }

  async listJobs(): Promise<JobEvent[]> {
    return [...this.jobs.values()];
  }

  async startTraining(req: StartTrainingRequest): Promise<{ jobId: string }> {
    try {
      this.presets ??= await import('../train/presets.ts');
      return this.training.start({ ...req, ...(req.stages ? { stages: [...req.stages] } : {}) });
    } catch (err) {
      // One at a time (the runs would share the CPU and the models), and the preflight's one-line reason.
      throw new EngineError('invalid', errorMessage(err));
    }
  }

  async cancelTraining(jobId: string): Promise<{ cancelled: boolean }> {
    if (!this.training.get(jobId)) throw new EngineError('not_found', `no training job ${jobId}`);
    return this.training.cancel(jobId);
  }

  async listTrainingJobs(): Promise<TrainJobState[]> {
    return this.training.list().map((s) => structuredClone(s));
  }

  async listVersions(): Promise<VersionSummary[]> {
    return versionSummaries(this.ws);
  }

  async promoteVersion(version: string): Promise<PromoteResult> {
    let r: { version: string; previous: string | null };
    try {
      r = promoteVersion(this.ws, version);
    } catch (err) {
      throw new EngineError('not_found', errorMessage(err));
    }
    this.broadcast({ type: 'versions', active: r.version });
    return { active: r.version, previous: r.previous };
  }

  async predictStudies(req: PredictStudiesRequest): Promise<{ jobId: string }> {
    if (!activeVersion(this.ws)) throw new EngineError('invalid', 'no active model version to predict with: train one first (Training panel or ich pipeline)');
    return { jobId: this.queuePredict(req.studyUids) };
  }

  /** Every file the scans could not index, by path (the index's problems, as `ich scan` reports them). */
  async listProblems(): Promise<ScanProblemRecord[]> {
    return listProblems(this.ws);
  }

  /** The active version's base CNNs on one slice (predict/saliency-maps.ts), cached per version, slice and label. */
  async getSaliency(req: SaliencyRequest): Promise<SaliencyMap> {
    const active = activeVersion(this.ws);
    if (!active) throw new EngineError('invalid', 'no active model version to compute a saliency map with: train one first (Training panel or ich pipeline)');
    const ref = imageFileRefs(this.ws, [req.imageId])[0];
    if (!ref?.path) throw new EngineError('not_found', `no image ${req.imageId} in the workspace`);
    this.saliency ??= import('../predict/saliency-maps.ts').then((m) => new m.SaliencyMaps());
    const maps = await this.saliency;
    try {
      const r = await maps.compute(active, ref, ENGINE_LABELS.indexOf(req.label));
      return {
        imageId: req.imageId, label: req.label, version: r.version, method: r.method, models: r.models, width: r.width, height: r.height,
        // Three decimals: a heat map needs no more, and the JSON stays small (128 x 128 at most).
        values: Array.from(r.values, (v) => Math.round(v * 1000) / 1000), ms: Math.round(r.ms), cached: r.cached,
      };
    } catch (err) {
      throw new EngineError('internal', `saliency of ${req.imageId}: ${errorMessage(err)}`);
    }
  }

  /** A predict job behind the scans (it needs their images indexed); the child writes the predictions. */
  private queuePredict(studyUids?: readonly string[]): string {
    const jobId = `predict-${this.nextJob++}`;
    const base = { type: 'job', jobId, kind: 'predict', stage: 'predict' } as const;
    this.emit({ ...base, done: 0, total: 0, status: 'queued' });
    this.queue = this.queue.then(async () => {
      if (this.abort.signal.aborted) return this.emit({ ...base, done: 0, total: 0, status: 'cancelled' });
      this.emit({ ...base, done: 0, total: 0, status: 'running' });
      try {
        const r = await runPredictChild({
          workspace: this.ws.dir, signal: this.abort.signal, ...(studyUids ? { studyUids } : {}),
          ...((this.options.predictChild ?? this.options.jobLauncher) ? { spawnChild: this.options.predictChild ?? this.options.jobLauncher } : {}),
          onProgress: (done, total, what) => this.emit({ ...base, done, total, item: what, status: 'running' }),
        });
        const prev = this.jobs.get(jobId);
        this.emit({ ...base, done: prev?.total ?? 0, total: prev?.total ?? 0, status: 'done', predicted: r.images });
      } catch (err) {
        const prev = this.jobs.get(jobId);
        const cancelled = this.abort.signal.aborted;
        this.emit({ ...base, done: prev?.done ?? 0, total: prev?.total ?? 0, status: cancelled ? 'cancelled' : 'failed', ...(cancelled ? {} : { error: errorMessage(err).split('\n')[0]! }) });
      }
    });
    return jobId;
  }

  async getTrainingHistory(jobId: string): Promise<TrainHistory> {
    const h = this.training.history(jobId);
    if (!h) throw new EngineError('not_found', `no training job ${jobId}`);
    return structuredClone(h);
  }

  /** The same rows as `ich runs --json`. */
  async listRuns(): Promise<RunSummary[]> {
    return listRunSummaries(this.ws);
  }

  onEvent(listener: (e: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Cancels running jobs (committed work stays) and waits for them, the training child included; the
   * workspace stays open (the caller owns it).
   */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all([this.queue, this.training.close(), this.saliency?.then((m) => m.close())]);
    this.listeners.clear();
  }

  private async runScan(jobId: string, folder: string): Promise<void> {
    const base = { type: 'job', jobId, kind: 'scan', stage: 'scan' } as const;
    if (this.abort.signal.aborted) {
      this.emit({ ...base, done: 0, total: 0, status: 'cancelled' });
      return;
    }
    const interval = this.options.progressIntervalMs ?? 100;
    let last = 0;
    this.emit({ ...base, done: 0, total: 0, status: 'running' });
    try {
      checkDataFolder(folder); // it may have gone while the job waited
      const summary = await scanFolders(this.ws, {
        roots: [folder],
        signal: this.abort.signal,
        onProgress: (p) => {
          const now = Date.now();
          if (p.done < p.total && now - last < interval) return;
          last = now;
          this.emit({ ...base, stage: p.stage, done: p.done, total: p.total, ...(p.item === undefined ? {} : { item: p.item }), status: 'running' });
        },
      });
      const n = summary.files.length;
      this.emit({ ...base, done: n, total: n, status: 'done',
        result: { indexed: summary.indexed, unchanged: summary.unchanged, removed: summary.removed, problems: summary.problems } });
      // A folder added while a model version is active is predicted once it is indexed.
      if (summary.indexed > 0 && activeVersion(this.ws) && this.options.predictAfterScan !== false) this.queuePredict();
    } catch (err) {
      const prev = this.jobs.get(jobId);
      const cancelled = err instanceof CancelledError;
      this.emit({ ...base, done: prev?.done ?? 0, total: prev?.total ?? 0, status: cancelled ? 'cancelled' : 'failed',
        ...(cancelled ? {} : { error: errorMessage(err).split('\n')[0]! }) });
    }
  }

  private emit(e: JobEvent): void {
    this.jobs.set(e.jobId, e);
    this.broadcast(e);
  }

  private broadcast(e: EngineEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's failure (a closed socket) must not stop the job or the other listeners.
      }
    }
  }

  /** A series' slices in the index slice order (the scan report's too); not_found for a series without slices. */
  private orderedSlices(seriesUid: string): OrderedSeries {
    const series = orderedSeriesSlices(this.ws, seriesUid);
    if (!series.slices.length) throw new EngineError('not_found', `no series ${seriesUid} in the workspace`);
    return series;
  }

  private ensemble(): StoredEnsemble | null {
    const rec = loadEnsembleRecord<EnsembleFit>(this.ws, 'current');
    if (!rec) return null;
    const version = createHash('sha256').update(JSON.stringify(rec.fit)).digest('hex').slice(0, 12);
    return { fit: rec.fit, createdAt: rec.createdAt, version };
  }

  private modelInfo(): ModelInfo | null {
    const ens = this.ensemble();
    if (!ens) return null;
    const active = activeVersion(this.ws)?.version;
    return {
      name: 'ICH safe/risky ensemble (RSNA 2019 12th place pipeline)', version: ens.version, trainedAt: ens.createdAt, members: ens.fit.members.map((m) => m.name),
      ...(active ? { modelVersion: active } : {}),
    };
  }
}
