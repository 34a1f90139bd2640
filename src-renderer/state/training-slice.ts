// Training from the GUI: launch, follow, cancel and resume `ich pipeline` runs the engine starts in a child
// process (so the UI never waits on training), the run history, and the charts' data. The engine pushes each
// job's state as a training event; the history (every batch loss, every epoch) is fetched, throttled, while
// the job runs. A job that ends done refreshes the worklist: its predictions are new. A job that scans a folder
// first refreshes it too while it runs: every few seconds until its scan is over ("scan: N indexed"), then
// once its first stage starts, so the studies show long before the training ends.
import type { StartTrainingRequest } from '../../src-ml/api/engine.ts';
import type { TrainJobState } from '../../src-ml/api/training.ts';
import type { SliceContext, TrainingSlice } from './types.ts';
import { isPresetName, PIPELINE_STAGES } from '../../src-shared/stages.ts';

/** At most one history fetch per this many ms while a job reports progress. */
export const HISTORY_INTERVAL_MS = 1000;
/** Worklist refreshes while a job's scan runs (the pipeline's scan reports nothing until it is over). */
export const SCAN_REFRESH_MS = 5000;

const SCAN_DONE = /^scan: \d+ indexed/;

/**
 * A job that ended has no running stage: the one it was in ends as the job did (done, failed, cancelled).
 * The engine says so itself; this keeps the rows right for a state from an engine that did not.
 */
export function settleStages(state: TrainJobState): TrainJobState {
  if (state.status === 'running' || state.status === 'queued') return state;
  if (!Object.values(state.stages).some((s) => s.state === 'running')) return state;
  const end = state.status === 'done' ? 'done' : state.status === 'cancelled' ? 'cancelled' : 'failed';
  const stages = Object.fromEntries(Object.entries(state.stages).map(([k, s]) => [k, s.state === 'running' ? { ...s, state: end } : s])) as TrainJobState['stages'];
  return { ...state, stages };
}

const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

export function createTrainingSlice({ set, get, client }: SliceContext): TrainingSlice {
  let historyTimer: ReturnType<typeof setTimeout> | null = null;
  let lastHistory = 0;
  let scanTimer: ReturnType<typeof setInterval> | null = null;
  const stopScanRefresh = () => {
    if (scanTimer) clearInterval(scanTimer);
    scanTimer = null;
  };

  const call = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      set({ trainingError: oneLine(err) });
      return undefined;
    }
  };

  const fetchHistory = async (jobId: string) => {
    lastHistory = Date.now();
    const h = await call(client.getTrainingHistory(jobId));
    // Only the current job's history is kept (a newer job may have started meanwhile).
    if (h && get().trainingJobs.at(-1)?.jobId === jobId) set({ trainingHistory: h });
  };

  const loadRuns = async () => {
    const runs = await call(client.listRuns());
    if (runs) set({ runs });
  };

  /** A history fetch now, or once the interval since the last one has passed (one pending at most). */
  const scheduleHistory = (jobId: string, now = false) => {
    if (historyTimer) return;
    const wait = now ? 0 : Math.max(0, HISTORY_INTERVAL_MS - (Date.now() - lastHistory));
    historyTimer = setTimeout(() => {
      historyTimer = null;
      void fetchHistory(jobId);
    }, wait);
  };

  return {
    trainingOpen: false,
    trainingJobs: [],
    trainingHistory: null,
    runs: [],
    trainingError: null,

    openTraining() {
      set({ trainingOpen: true });
      void get().loadTraining();
    },
    closeTraining: () => set({ trainingOpen: false }),
    toggleTraining() {
      if (get().trainingOpen) get().closeTraining();
      else get().openTraining();
    },

    async loadTraining() {
      const jobs = await call(client.listTrainingJobs());
      if (jobs) {
        // Events that arrived meanwhile are newer than the listing: keep them.
        const seen = new Map(get().trainingJobs.map((j) => [j.jobId, j]));
        set({ trainingJobs: jobs.map((j) => seen.get(j.jobId) ?? j).concat(get().trainingJobs.filter((j) => !jobs.some((x) => x.jobId === j.jobId))) });
        const current = get().trainingJobs.at(-1);
        if (current) void fetchHistory(current.jobId);
      }
      await Promise.all([loadRuns(), get().loadVersions()]);
    },

    async startTraining(req: StartTrainingRequest) {
      set({ trainingError: null });
      const r = await call(client.startTraining(req));
      if (!r) return;
      // The engine's first event normally comes before this answer; if not, show the job as started.
      if (!get().trainingJobs.some((j) => j.jobId === r.jobId)) {
        const stages = Object.fromEntries(PIPELINE_STAGES.map((s) => [s, { state: 'pending', units: 0, done: 0 }])) as TrainJobState['stages'];
        get().onTrainingEvent({ jobId: r.jobId, request: req, status: 'running', startedAt: new Date().toISOString(), stages });
      }
      set({ trainingHistory: { jobId: r.jobId, epochs: [], losses: [] } });
    },

    async cancelTraining(jobId) {
      set({ trainingError: null });
      await call(client.cancelTraining(jobId));
    },

    async resumeTraining(jobId) {
      const job = get().trainingJobs.find((j) => j.jobId === jobId);
      if (!job) return;
      const { preset, stages, data, labels, folds, initDir, fromScratch, testDirs } = job.request;
      if (!isPresetName(preset)) {
        set({ trainingError: `resume: preset "${preset}" cannot be launched from here` });
        return;
      }
      // The same request again (every field the pipeline's command line has), so the pipeline resumes it.
      await get().startTraining({
        preset, ...(stages ? { stages } : {}), ...(data ? { data } : {}), ...(labels ? { labels } : {}), ...(folds !== undefined ? { folds } : {}),
        ...(initDir ? { initDir } : {}), ...(fromScratch ? { fromScratch: true } : {}), ...(testDirs ? { testDirs } : {}),
      });
    },

    onTrainingEvent(incoming) {
      const state = settleStages(incoming);
      const before = get().trainingJobs.find((j) => j.jobId === state.jobId);
      set((s) => ({ trainingJobs: before ? s.trainingJobs.map((j) => (j.jobId === state.jobId ? state : j)) : [...s.trainingJobs, state] }));
      if (get().trainingJobs.at(-1)?.jobId !== state.jobId) return;
      const ended = state.status !== 'running' && state.status !== 'queued';
      const wasRunning = before !== undefined && (before.status === 'running' || before.status === 'queued');
      // A new epoch, a stage step or the end: new rows in the run history.
      const newEpoch = state.lastEpoch && (before?.lastEpoch?.epoch !== state.lastEpoch.epoch || before.lastEpoch.runId !== state.lastEpoch.runId);
      const stageStep = before && JSON.stringify(before.stages) !== JSON.stringify(state.stages);
      if (!ended) scheduleHistory(state.jobId);
      if ((ended && wasRunning) || newEpoch || stageStep || !before) void loadRuns();
      // The run's own scan indexes studies before any training: show them while it runs.
      const scanning = !ended && !!state.request.data && !state.stage && !Object.values(state.stages).some((s) => s.state !== 'pending')
        && !(state.message && SCAN_DONE.test(state.message));
      if (scanning && !scanTimer) scanTimer = setInterval(() => void get().loadStudies(), SCAN_REFRESH_MS);
      if (!scanning) stopScanRefresh();
      const scanDone = !!state.message && SCAN_DONE.test(state.message) && state.message !== before?.message;
      const firstStage = !!before && !ended && Object.values(before.stages).every((s) => s.state === 'pending')
        && Object.values(state.stages).some((s) => s.state !== 'pending');
      if (scanDone || firstStage) void get().loadStudies();
      if (ended && wasRunning) {
        scheduleHistory(state.jobId, true);
        // Finished: its models made a new version (the compare table and the versions list show it); a first
        // version is active at once, with new predictions that the worklist and the open series show (and a
        // failed or cancelled run's scan its studies).
        // The studies first: a first version's studies never show as "to predict" in between.
        if (state.status === 'done' || state.request.data) {
          void (async () => {
            await get().loadStudies();
            if (state.status === 'done') await Promise.all([get().loadVersions(), get().reloadPredictions()]);
          })();
        }
      }
    },
  };
}
