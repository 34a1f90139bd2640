// EngineClient over a workspace, in the engine's process: the one implementation both hosts (the web host
// now, the Electron engine host later) put behind their transport. Reads go straight to the index (WAL lets
// them run beside a scan, here or in another process); folder scans run as background jobs, one at a time
// because they share this process's database connection.
import { createHash } from 'node:crypto';
import { orderSlices } from '../dicom/geometry.ts';
import { errorMessage } from '../base/errors.ts';
import { CancelledError } from '../jobs/progress.ts';
import { loadEnsembleRecord, predictionsOf } from '../store/predictions.ts';
import { scanFolders } from '../store/scan.ts';
import { LABELS, METADATA_COLUMNS } from '../store/schema.ts';
import { listModels, listRunSummaries } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import type { EnsembleFit } from '../ensemble/safe-risky.ts';
import {
  DEFAULT_FLAG_THRESHOLD, ENGINE_LABELS, EngineError,
  type EngineClient, type EngineEvent, type EngineInfo, type JobEvent, type MemberDetail, type ModelInfo, type PredictStudiesRequest, type Probs6,
  type SeriesDetail, type SeriesPredictions, type SeriesSummary, type SliceDetail, type SliceInfo, type StartTrainingRequest, type StudyQuery, type StudyRow,
} from '../api/engine.ts';
import type { PromoteResult, RunSummary, TrainHistory, TrainJobState, VersionSummary } from '../api/training.ts';
import { sliceMetadataFeatures } from './slice-features.ts';
import { runPredictChild } from './predict-child.ts';
import { activeVersion, promoteVersion, versionSummaries } from '../store/versions.ts';
import type { ChildProcess } from 'node:child_process';
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
  predictChild?: (args: string[]) => ChildProcess;
}

const P_ANY = 'p_any';
const P_COLS = LABELS.map((l) => `p_${l}`);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

function triple(v: (number | null)[]): number[] | undefined {
  return v.every((x) => x !== null) ? (v as number[]) : undefined;
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

  constructor(private readonly ws: Workspace, private readonly options: EngineServiceOptions) {
    // Training runs in an `ich pipeline` child on the same workspace folder; its state changes become events.
    this.training = new TrainingJobs({
      workspaceDir: ws.dir,
      // The same checks `ich pipeline` makes, before the child starts: a request that cannot work is refused.
      preflight: (req) => preflightTraining(ws, {
        preset: this.presets!.loadPreset(req.preset), via: 'app',
        ...(req.folds !== undefined ? { folds: req.folds } : {}), ...(req.data ? { data: [req.data] } : {}), ...(req.labels ? { labels: req.labels } : {}),
      }),
      ...options.training,
      onUpdate: (state) => this.broadcast({ type: 'training', state }),
    });
  }

  get workspaceDir(): string {
    return this.ws.dir;
  }

  async info(): Promise<EngineInfo> {
    const count = (sql: string) => Number((this.ws.db.prepare(sql).get() as { n: number }).n);
    const ens = this.ensemble();
    return {
      workspace: this.ws.dir,
      activeVersion: activeVersion(this.ws)?.version ?? null,
      counts: {
        studies: count('SELECT COUNT(*) n FROM studies'),
        series: count('SELECT COUNT(DISTINCT series_uid) n FROM instances'),
        slices: count('SELECT COUNT(*) n FROM instances'),
      },
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
    const rows = this.ws.db.prepare(`
      SELECT st.study_uid, st.patient_id, st.patient_name, st.study_date, st.study_description,
        COUNT(DISTINCT i.series_uid) series_count, COUNT(i.image_id) slice_count,
        MAX(ps.${P_ANY}) max_safe, MAX(pr.${P_ANY}) max_risky
      FROM studies st
        JOIN instances i ON i.study_uid = st.study_uid
        LEFT JOIN predictions ps ON ps.image_id = i.image_id AND ps.source = 'safe'
        LEFT JOIN predictions pr ON pr.image_id = i.image_id AND pr.source = 'risky'
      GROUP BY st.study_uid`).all() as Record<string, unknown>[];
    const needle = query.filter?.trim().toLowerCase() ?? '';
    const out: StudyRow[] = [];
    for (const r of rows) {
      const row: StudyRow = {
        studyUid: str(r.study_uid), patientId: str(r.patient_id), patientName: str(r.patient_name),
        studyDate: str(r.study_date), description: str(r.study_description),
        seriesCount: Number(r.series_count), sliceCount: Number(r.slice_count),
        maxAnySafe: num(r.max_safe), maxAnyRisky: num(r.max_risky), flagged: false,
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
    const rows = this.ws.db.prepare(`
      SELECT s.series_uid, s.study_uid, s.modality, s.series_number, s.series_description, s.manufacturer,
        COUNT(i.image_id) slice_count, MAX(ps.${P_ANY}) max_safe, MAX(pr.${P_ANY}) max_risky
      FROM series s
        JOIN instances i ON i.series_uid = s.series_uid
        LEFT JOIN predictions ps ON ps.image_id = i.image_id AND ps.source = 'safe'
        LEFT JOIN predictions pr ON pr.image_id = i.image_id AND pr.source = 'risky'
      WHERE s.study_uid = ?
      GROUP BY s.series_uid
      ORDER BY s.series_number IS NULL, s.series_number, s.series_uid`).all(studyUid) as Record<string, unknown>[];
    if (!rows.length) throw new EngineError('not_found', `no study ${studyUid} in the workspace`);
    return rows.map((r) => ({
      seriesUid: str(r.series_uid), studyUid: str(r.study_uid), modality: str(r.modality), seriesNumber: num(r.series_number),
      description: str(r.series_description), manufacturer: str(r.manufacturer), sliceCount: Number(r.slice_count),
      maxAnySafe: num(r.max_safe), maxAnyRisky: num(r.max_risky),
    }));
  }

  async getSeries(seriesUid: string): Promise<SeriesDetail> {
    const rows = this.ws.db.prepare(`
      SELECT i.image_id, i.file_id, i.frame, i.SOPInstanceUID sop, i.InstanceNumber inst, i.SliceThickness thick,
        i.WindowCenter_0 wc, i.WindowWidth_0 ww, i.Rows nrows, i.Columns ncols, i.study_uid, i.Modality modality, i.warnings,
        COALESCE(st.patient_id, i.PatientID, '') patient_id,
        i.ImagePositionPatient_0 p0, i.ImagePositionPatient_1 p1, i.ImagePositionPatient_2 p2,
        i.ImageOrientationPatient_0 o0, i.ImageOrientationPatient_1 o1, i.ImageOrientationPatient_2 o2,
        i.ImageOrientationPatient_3 o3, i.ImageOrientationPatient_4 o4, i.ImageOrientationPatient_5 o5
      FROM instances i LEFT JOIN studies st ON st.study_uid = i.study_uid
      WHERE i.series_uid = ?`).all(seriesUid) as Record<string, unknown>[];
    const first = rows[0];
    if (!first) throw new EngineError('not_found', `no series ${seriesUid} in the workspace`);
    // The same ordering as the scan report (store/queries listSeries): positions on the slice normal.
    const order = orderSlices(rows.map((r) => ({
      id: str(r.image_id),
      position: triple([num(r.p0), num(r.p1), num(r.p2)]),
      orientation: triple([num(r.o0), num(r.o1), num(r.o2), num(r.o3), num(r.o4), num(r.o5)]),
      instanceNumber: num(r.inst) ?? undefined,
    })));
    const byId = new Map(rows.map((r) => [str(r.image_id), r]));
    // The frames of a multi-frame file share one URL (that of its lowest frame), so the renderer fetches and
    // parses the file once and picks each slice's frame from it (SliceInfo.frame).
    const fileUrl = new Map<unknown, { frame: number; id: string }>();
    for (const r of rows) {
      const f = num(r.frame) ?? 0;
      const had = fileUrl.get(r.file_id);
      if (!had || f < had.frame) fileUrl.set(r.file_id, { frame: f, id: str(r.image_id) });
    }
    const fileWarnings = new Set<string>();
    for (const r of rows) for (const w of JSON.parse(str(r.warnings) || '[]') as string[]) fileWarnings.add(w);
    const slices: SliceInfo[] = order.order.map((id, index) => {
      const r = byId.get(id)!;
      return {
        imageId: id, sopInstanceUid: str(r.sop), frame: num(r.frame), index,
        position: order.location[index] ?? null, thickness: num(r.thick),
        windowCenter: num(r.wc), windowWidth: num(r.ww), instanceNumber: num(r.inst),
        dicomUrl: this.options.dicomUrl(r.frame == null ? id : fileUrl.get(r.file_id)!.id),
      };
    });
    return {
      seriesUid, studyUid: str(first.study_uid), patientId: str(first.patient_id), modality: str(first.modality),
      rows: num(first.nrows), columns: num(first.ncols), slices, warnings: [...order.warnings, ...fileWarnings],
    };
  }

  async getPredictions(seriesUid: string): Promise<SeriesPredictions> {
    const series = await this.getSeries(seriesUid);
    const rows = this.ws.db.prepare(`SELECT p.image_id, p.source, p.oof, ${P_COLS.map((c) => `p.${c}`).join(', ')}
      FROM predictions p JOIN instances i ON i.image_id = p.image_id
      WHERE i.series_uid = ? AND p.source IN ('safe', 'risky')`).all(seriesUid) as Record<string, unknown>[];
    const found = new Map<string, { safe: Probs6 | null; risky: Probs6 | null; oof: boolean }>();
    for (const r of rows) {
      const id = str(r.image_id);
      const e = found.get(id) ?? { safe: null, risky: null, oof: false };
      const probs = P_COLS.map((c) => Number(r[c]));
      if (r.source === 'safe') e.safe = probs;
      else e.risky = probs;
      e.oof ||= r.oof === 1;
      found.set(id, e);
    }
    return {
      seriesUid,
      labels: [...ENGINE_LABELS],
      slices: series.slices.map((s) => ({ imageId: s.imageId, ...(found.get(s.imageId) ?? { safe: null, risky: null, oof: false }) })),
      thresholds: ENGINE_LABELS.map(() => DEFAULT_FLAG_THRESHOLD),
      model: this.modelInfo(),
    };
  }

  async getSliceDetail(imageId: string): Promise<SliceDetail> {
    const cols = METADATA_COLUMNS.map(([c]) => `"${c}"`).join(', ');
    const r = this.ws.db.prepare(`SELECT series_uid, header_json, ${cols} FROM instances WHERE image_id = ?`).get(imageId) as Record<string, unknown> | undefined;
    if (!r) throw new EngineError('not_found', `no image ${imageId} in the workspace`);
    const fields: Record<string, string | number | null> = {};
    for (const [c] of METADATA_COLUMNS) {
      const v = r[c];
      fields[c] = typeof v === 'bigint' ? Number(v) : typeof v === 'number' || typeof v === 'string' ? v : null;
    }
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
      seriesUid: str(r.series_uid),
      header: JSON.parse(str(r.header_json) || '{}') as Record<string, string>,
      fields,
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
          ...(this.options.predictChild ? { spawnChild: this.options.predictChild } : {}),
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
    await Promise.all([this.queue, this.training.close()]);
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
