// Model versions: the active one (named by the worklist and the strip), the list with promote and rollback,
// the promote warning held for a second confirmation, and predict jobs asked for from the worklist. A
// promote, a rollback or another client's (the engine's `versions` event) switches the stored predictions,
// so the worklist and the open series' predictions are fetched again.
import type { SliceContext, VersionsSlice } from './types.ts';
import { promoteWarnings } from '../training/versions.ts';

const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

export function createVersionsSlice({ set, get, client, guard }: SliceContext): VersionsSlice {
  let versionsRequest = 0;

  const call = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      set({ versionsError: oneLine(err) });
      return undefined;
    }
  };

  /** What a change of the active version changes: the list's statuses, the worklist, the open series. */
  const refreshAfterSwitch = async () => {
    await Promise.all([get().loadVersions(), get().loadStudies(), get().reloadPredictions()]);
  };

  return {
    activeVersion: null,
    versions: [],
    promoteAsk: null,
    promoting: null,
    versionsError: null,
    predictRequests: {},

    async loadVersions() {
      const n = ++versionsRequest;
      const versions = await call(client.listVersions());
      if (!versions || n !== versionsRequest) return;
      const active = versions.find((v) => v.status === 'active')?.version ?? null;
      set({ versions, activeVersion: active });
    },

    async loadActiveVersion() {
      const info = await call(client.info());
      // An engine from before versions leaves it out: keep what the list said.
      if (info && info.activeVersion !== undefined) set({ activeVersion: info.activeVersion });
      // The list too: what the active models were trained on is shown beside their name.
      if (info?.activeVersion) await get().loadVersions();
    },

    async askPromote(version, from) {
      const { versions } = get();
      const target = versions.find((v) => v.version === version);
      if (!target || target.status === 'active') return;
      const reasons = promoteWarnings(target, versions.find((v) => v.status === 'active') ?? null);
      if (reasons.length > 0) set({ promoteAsk: { version, reasons, from }, versionsError: null });
      else {
        set({ promoteAsk: null });
        await get().promoteVersion(version);
      }
    },

    async confirmPromote() {
      const ask = get().promoteAsk;
      if (!ask) return;
      set({ promoteAsk: null });
      await get().promoteVersion(ask.version);
    },

    cancelPromote: () => set({ promoteAsk: null }),

    async promoteVersion(version) {
      if (get().promoting) return false;
      set({ promoting: version, versionsError: null });
      const r = await call(client.promoteVersion(version));
      set({ promoting: null });
      if (!r) return false;
      // The engine's versions event may have come first and refreshed already.
      if (get().activeVersion === r.active) {
        await get().loadVersions();
        return true;
      }
      set({ activeVersion: r.active });
      await refreshAfterSwitch();
      return true;
    },

    onVersionsEvent(e) {
      if (e.active === get().activeVersion) {
        void get().loadVersions();
        return;
      }
      set({ activeVersion: e.active, promoteAsk: null });
      void refreshAfterSwitch();
    },

    async predictStudies(studyUids) {
      // Asked from the worklist: a refusal (no active version) is the app's error line.
      const r = await guard(client.predictStudies(studyUids ? { studyUids } : {}));
      if (r) set((s) => ({ predictRequests: { ...s.predictRequests, [r.jobId]: studyUids ?? null } }));
    },
  };
}
