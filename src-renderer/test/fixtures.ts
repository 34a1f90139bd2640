// A fake EngineClient with two studies (the first with two series) and a recording fake StackRenderer,
// shared by the renderer tests.
import type { EngineClient, EngineEvent, SaliencyMap, ScanProblemRecord, SeriesDetail, SeriesPredictions, SeriesSummary, SliceDetail, StudyRow } from '../../src-ml/api/engine.ts';
import { LABELS, type Label } from '../../src-shared/labels.ts';
import type { RunSummary, TrainHistory, TrainJobState, VersionSummary } from '../../src-ml/api/training.ts';
import type { StackRenderer, ViewState } from '../viewer/stack-renderer.ts';

export const STUDIES: StudyRow[] = [
  {
    studyUid: '1.2.9', patientId: 'P9', patientName: 'Zed', studyDate: '20240102', description: 'CT HEAD', seriesCount: 2, sliceCount: 7, maxAnySafe: 0.91, maxAnyRisky: 0.95, flagged: true,
    slicesAbove: { epidural: 0, intraparenchymal: 0, intraventricular: 0, subarachnoid: 0, subdural: 1, any: 1 },
  },
  { studyUid: '1.2.1', patientId: 'P1', patientName: 'Amy', studyDate: '20240301', description: 'CT HEAD', seriesCount: 1, sliceCount: 3, maxAnySafe: 0.1, maxAnyRisky: 0.2, flagged: false },
];

export function seriesOf(uid: string, n: number, studyUid = '1.2.9'): SeriesDetail {
  return {
    seriesUid: uid, studyUid, patientId: 'P9', modality: 'CT', rows: 64, columns: 64, warnings: [],
    slices: Array.from({ length: n }, (_, i) => ({
      imageId: `${uid}.${i}`, sopInstanceUid: `${uid}.sop${i}`, frame: null, index: i, position: i * 5, thickness: 5,
      windowCenter: 35, windowWidth: 90, instanceNumber: n - i, dicomUrl: `/dicom/${uid}.${i}?token=t`,
    })),
  };
}

export function predictionsOf(uid: string, n: number): SeriesPredictions {
  return {
    seriesUid: uid,
    labels: ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any'],
    slices: Array.from({ length: n }, (_, i) => ({
      imageId: `${uid}.${i}`,
      safe: [0.01, 0.02, 0.03, 0.04, i === 2 ? 0.8 : 0.1, i === 2 ? 0.85 : 0.1],
      risky: [0.01, 0.02, 0.03, 0.04, i === 2 ? 0.9 : 0.2, i === 2 ? 0.95 : 0.2],
      oof: false,
    })),
    thresholds: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    model: { name: 'ich-ensemble', version: 'abc123', trainedAt: '2026-11-01', members: ['m1', 'm2'] },
  };
}

const SERIES: Record<string, SeriesSummary[]> = {
  '1.2.9': [
    { seriesUid: '1.2.9.1', studyUid: '1.2.9', modality: 'CT', seriesNumber: 1, description: 'axial', manufacturer: 'X', sliceCount: 4, maxAnySafe: 0.91, maxAnyRisky: 0.95 },
    { seriesUid: '1.2.9.2', studyUid: '1.2.9', modality: 'CT', seriesNumber: 2, description: 'thin', manufacturer: 'X', sliceCount: 3, maxAnySafe: 0.2, maxAnyRisky: 0.3 },
  ],
  '1.2.1': [{ seriesUid: '1.2.1.1', studyUid: '1.2.1', modality: 'CT', seriesNumber: 1, description: 'axial', manufacturer: 'X', sliceCount: 3, maxAnySafe: 0.1, maxAnyRisky: 0.2 }],
};
const COUNTS: Record<string, number> = { '1.2.9.1': 4, '1.2.9.2': 3, '1.2.1.1': 3 };

export function sliceDetailOf(imageId: string): SliceDetail {
  return {
    imageId, seriesUid: '1.2.9.1', header: { '0010,0020': 'P9' }, fields: { SOPInstanceUID: `${imageId}.sop`, KVP: 120 },
    metadataFeatures: { names: ['f_bool', 'f_float'], raw: [1, 3.5], scaled: [0.5, -1.25], categorical: { names: ['manufacturer'], values: [2] } },
    members: [
      { name: 'm1', group: 'A', probs: [0.1, 0.1, 0.1, 0.1, 0.7, 0.6], bounded: { anyRaised: true, anyLowered: false }, keptIn: ['safe', 'risky'] },
      { name: 'm2', group: 'B', probs: [0.1, 0.1, 0.1, 0.1, 0.5, 0.6], bounded: { anyRaised: false, anyLowered: false }, keptIn: ['risky'] },
    ],
    blend: { safe: Array.from({ length: 6 }, () => [0.6, 0.4] as [number, number]), risky: Array.from({ length: 6 }, () => [0.3, 0.7] as [number, number]) },
    safe: [0.1, 0.1, 0.1, 0.1, 0.8, 0.85], risky: [0.1, 0.1, 0.1, 0.1, 0.9, 0.95],
  };
}

/** A 16 x 16 saliency map (the fake series is 64 x 64): one blob, at a place that depends on the label. */
export function saliencyOf(imageId: string, label: Label, version = 'v1'): SaliencyMap {
  const k = LABELS.indexOf(label);
  const cx = 3 + 2 * k;
  const values = Array.from({ length: 256 }, (_, i) => Math.round(1000 * Math.exp(-(((i % 16) - cx) ** 2 + (Math.floor(i / 16) - 8) ** 2) / 8)) / 1000);
  return { imageId, label, version, method: 'smoothgrad', models: ['tiny.k3.f0', 'tiny.k3.f1'], width: 16, height: 16, values, ms: 12, cached: false };
}

export interface FakeClient extends EngineClient {
  calls: { method: string; arg: unknown }[];
  emit(e: EngineEvent): void;
  /** What the training calls answer (tests set them). */
  training: { jobs: TrainJobState[]; history: TrainHistory | null; runs: RunSummary[]; startError: string | null };
  /** What listVersions answers (tests set it); promoteVersion makes the named one active in it. */
  versions: VersionSummary[];
  /** What listProblems answers (tests set it). */
  problems: ScanProblemRecord[];
}

/** A training job's state as the engine reports it: all stages pending unless given. */
export function trainState(jobId: string, patch: Partial<TrainJobState> = {}): TrainJobState {
  const stages = Object.fromEntries(['base', 'features', 'pooled-res', 'shallow', 'shallow-weighted', 'ensembles']
    .map((s) => [s, { state: 'pending', units: 0, done: 0 }])) as TrainJobState['stages'];
  return { jobId, request: { preset: 'tiny' }, status: 'running', startedAt: '2026-11-30T10:00:00Z', stages, ...patch };
}

/**
 * A model version as listVersions answers: a report with the six stages at the given ensemble metrics
 * (base etc. a bit worse), against `baseline`.
 */
export function versionOf(version: string, status: VersionSummary['status'], o: { safe: number; risky?: number; baseline?: number; images?: number; createdAt?: string } = { safe: 0.1 }): VersionSummary {
  const baseline = o.baseline ?? 0.2;
  const perClass = (m: number) => ({ epidural: m / 2, intraparenchymal: m, intraventricular: m, subarachnoid: m, subdural: m, any: m * 1.5 });
  const stage = (name: string, oofMetric: number) => ({ name, oofMetric, perClass: perClass(oofMetric), n: o.images ?? 100, models: [`${name}.m`], worseThanBaseline: !(oofMetric <= baseline) });
  return {
    version, status, createdAt: o.createdAt ?? '2026-11-30T10:00:00.000Z', preset: 'tiny', promotedAt: status === 'candidate' ? null : '2026-11-30T10:00:00.000Z',
    fingerprint: { images: o.images ?? 100 },
    report: {
      baseline, baselinePerClass: perClass(baseline), images: o.images ?? 100,
      stages: [stage('base', o.safe + 0.05), stage('pooled-res', o.safe + 0.02), stage('shallow', o.safe + 0.03), stage('shallow-weighted', o.safe + 0.03),
        stage('ensemble-safe', o.safe), stage('ensemble-risky', o.risky ?? o.safe)],
    },
  };
}

export function fakeClient(): FakeClient {
  const listeners = new Set<(e: EngineEvent) => void>();
  const calls: FakeClient['calls'] = [];
  const rec = <T,>(method: string, arg: unknown, value: T) => {
    calls.push({ method, arg });
    return Promise.resolve(value);
  };
  const training: FakeClient['training'] = { jobs: [], history: null, runs: [], startError: null };
  const versions: VersionSummary[] = [];
  const problems: ScanProblemRecord[] = [];
  let nextTrain = 1;
  return {
    calls,
    training,
    emit: (e) => { for (const l of listeners) l(e); },
    info: () => rec('info', {}, {
      workspace: '/w', counts: { studies: 2, series: 3, slices: 10 }, models: [], ensemble: null, labels: [],
      ...(versions.length ? { activeVersion: versions.find((v) => v.status === 'active')?.version ?? null } : {}),
    }),
    listStudies: (q) => rec('listStudies', q, q?.filter ? STUDIES.filter((s) => s.patientName.toLowerCase().includes(q.filter!.toLowerCase())) : STUDIES),
    getSeriesList: (uid) => rec('getSeriesList', uid, SERIES[uid] ?? []),
    getSeries: (uid) => (COUNTS[uid] ? rec('getSeries', uid, seriesOf(uid, COUNTS[uid]!)) : Promise.reject(new Error(`getSeries: no series ${uid}`))),
    getPredictions: (uid) => {
      // With versions, the predictions name the active one (as the engine's do).
      const p = predictionsOf(uid, COUNTS[uid] ?? 0);
      const active = versions.find((v) => v.status === 'active')?.version;
      return rec('getPredictions', uid, active && p.model ? { ...p, model: { ...p.model, modelVersion: active } } : p);
    },
    getSliceDetail: (id) => rec('getSliceDetail', id, sliceDetailOf(id)),
    addFolder: (path) => rec('addFolder', path, { jobId: 'job-1' }),
    listJobs: () => rec('listJobs', {}, []),
    startTraining: (req) => (training.startError
      ? (calls.push({ method: 'startTraining', arg: req }), Promise.reject(new Error(`startTraining: ${training.startError}`)))
      : rec('startTraining', req, { jobId: `train-${nextTrain++}` })),
    cancelTraining: (jobId) => rec('cancelTraining', jobId, { cancelled: true }),
    listTrainingJobs: () => rec('listTrainingJobs', {}, training.jobs),
    getTrainingHistory: (jobId) => rec('getTrainingHistory', jobId, training.history ?? { jobId, epochs: [], losses: [] }),
    listRuns: () => rec('listRuns', {}, training.runs),
    versions,
    problems,
    listVersions: () => rec('listVersions', {}, versions),
    promoteVersion: (version) => {
      const previous = versions.find((v) => v.status === 'active')?.version ?? null;
      for (const v of versions) v.status = v.version === version ? 'active' : v.status === 'active' ? 'archived' : v.status;
      return rec('promoteVersion', version, { active: version, previous });
    },
    predictStudies: (req) => rec('predictStudies', req, { jobId: 'predict-1' }),
    getSaliency: (req) => rec('getSaliency', req, saliencyOf(req.imageId, req.label, versions.find((v) => v.status === 'active')?.version ?? 'v1')),
    listProblems: () => rec('listProblems', undefined, problems.map((p) => ({ ...p }))),
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

/** Records what the viewport asks of its renderer; `show` resolves at once (the image is "drawn"). */
export function fakeRenderer() {
  const log: { stacks: string[][]; shown: number[]; views: ViewState[] } = { stacks: [], shown: [], views: [] };
  const create = (): StackRenderer => ({
    setStack: (images, onLoaded) => {
      log.stacks.push(images.map((i) => (i.frame === null ? i.url : `${i.url}#frame${i.frame}`)));
      onLoaded(images.length);
    },
    show: (i) => {
      log.shown.push(i);
      return Promise.resolve();
    },
    setView: (v) => void log.views.push(v),
    resize: () => {},
    // The pixel under (x, y) is (x, y) itself, its HU x - 1000 (off the image left of 0 and past 63).
    probe: (x, y) => (x < 0 || y < 0 || x >= 64 || y >= 64 ? null : { column: Math.floor(x), row: Math.floor(y), hu: Math.floor(x) - 1000 }),
    destroy: () => {},
  });
  return { create, log };
}
