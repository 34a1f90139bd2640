// Studies, the selected study's series, and the engine's background jobs (folder scans, predictions).
import type { SliceContext, WorklistSlice } from './types.ts';
import { DEFAULT_FLAG_THRESHOLD } from '../../src-shared/engine.ts';
import { FIRST_DIR, loadRead, saveRead, sortStudies } from './worklist-sort.ts';
import { SCAN_REFRESH_MS } from './training-slice.ts';

export function createWorklistSlice({ set, get, client, guard }: SliceContext): WorklistSlice {
  // Only the latest listStudies answer is applied: typing in the filter fires several.
  let studiesRequest = 0;
  let studyRequest = 0;
  /** The study whose series are being fetched (a second click on it waits for that, it does not start over). */
  let opening: string | null = null;
  /** When a running scan job last reloaded the worklist (studies appear while a big folder is still indexing). */
  let lastLiveRefresh = 0;
  const stepStudy = async (delta: number) => {
    const { selectedStudyUid } = get();
    const studies = sortStudies(get().studies, get().sortKey, get().sortDir);
    const at = studies.findIndex((s) => s.studyUid === selectedStudyUid);
    const target = at < 0 ? studies[0] : studies[at + delta];
    if (target) await get().selectStudy(target.studyUid);
  };
  return {
    studies: [],
    filter: '',
    threshold: DEFAULT_FLAG_THRESHOLD,
    studiesLoading: false,
    selectedStudyUid: null,
    seriesList: [],
    jobs: [],
    problems: [],
    sortKey: null,
    sortDir: -1,
    readStudies: loadRead(),

    setSort(key) {
      const { sortKey, sortDir } = get();
      if (sortKey !== key) set({ sortKey: key, sortDir: FIRST_DIR[key] });
      else if (sortDir === FIRST_DIR[key]) set({ sortDir: (-sortDir) as 1 | -1 });
      else set({ sortKey: null, sortDir: -1 });
    },

    async loadProblems() {
      // An engine older than listProblems (or a failure) leaves the list as it was: not worth an error line.
      const problems = await client.listProblems().catch(() => null);
      if (problems) set({ problems });
    },

    toggleRead(studyUid) {
      const uid = studyUid ?? get().selectedStudyUid;
      if (!uid) return;
      const { [uid]: was, ...rest } = get().readStudies;
      const readStudies = was ? rest : { ...rest, [uid]: true as const };
      set({ readStudies });
      saveRead(readStudies);
    },

    async loadStudies() {
      const n = ++studiesRequest;
      const { filter, threshold } = get();
      set({ studiesLoading: true });
      const rows = await guard(client.listStudies(filter ? { filter, threshold } : { threshold }));
      if (n !== studiesRequest) return;
      set(rows ? { studies: rows, studiesLoading: false } : { studiesLoading: false });
      // The reading starts on the top of the worklist (the most suspicious study), as triage tools open.
      const top = rows?.[0];
      if (top && get().selectedStudyUid === null) await get().selectStudy(top.studyUid);
    },

    async setFilter(filter) {
      set({ filter });
      await get().loadStudies();
    },

    async selectStudy(studyUid) {
      const s = get();
      if (s.selectedStudyUid === studyUid && (opening === studyUid || s.series?.studyUid === studyUid)) return;
      const n = ++studyRequest;
      opening = studyUid;
      const readStudies = s.readStudies[studyUid] ? s.readStudies : { ...s.readStudies, [studyUid]: true as const };
      set({ selectedStudyUid: studyUid, seriesList: [], readStudies });
      if (readStudies !== s.readStudies) saveRead(readStudies);
      try {
        const list = await guard(client.getSeriesList(studyUid));
        if (!list || n !== studyRequest) return;
        set({ seriesList: list });
        const first = list[0];
        if (first) await get().selectSeries(first.seriesUid, { newStudy: true });
      } finally {
        if (n === studyRequest) opening = null;
      }
    },

    async openKeyImage(studyUid, key) {
      await get().selectStudy(studyUid);
      if (get().selectedStudyUid !== studyUid) return;
      if (get().series?.seriesUid !== key.seriesUid) await get().selectSeries(key.seriesUid);
      const s = get();
      if (s.selectedStudyUid !== studyUid || s.series?.seriesUid !== key.seriesUid) return;
      const index = s.series.slices.findIndex((x) => x.imageId === key.imageId);
      if (index >= 0) s.jumpToSlice(index);
    },

    nextStudy: () => stepStudy(1),
    prevStudy: () => stepStudy(-1),

    async addFolder(path) {
      const trimmed = path.trim();
      if (!trimmed) return false;
      return (await guard(client.addFolder(trimmed))) !== undefined;
    },

    onJobEvent(e) {
      const before = get().jobs.find((j) => j.jobId === e.jobId);
      set((s) => ({ jobs: before ? s.jobs.map((j) => (j.jobId === e.jobId ? e : j)) : [...s.jobs, e] }));
      // A running scan writes its batches as it goes: reload the worklist at most every SCAN_REFRESH_MS meanwhile.
      if (e.kind === 'scan' && e.status === 'running' && e.done > 0 && Date.now() - lastLiveRefresh >= SCAN_REFRESH_MS) {
        lastLiveRefresh = Date.now();
        void get().loadStudies();
      }
      // A finished scan or predict job changes the worklist; the replay of an old finished job on reconnect does not.
      if (e.status === 'done' && before && before.status !== 'done') {
        void get().loadStudies();
        if (e.kind === 'scan') void get().loadProblems();
        // New predictions: the open series may be among them.
        if (e.kind === 'predict') void get().reloadPredictions();
      }
    },
  };
}
