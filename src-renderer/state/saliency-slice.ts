// The saliency overlay (key H): on or off, the label it shows (the reader's choice, else the slice's top label),
// and the map of the current slice, fetched from the engine (getSaliency) on demand and kept per model version,
// slice and label, so stepping back to a slice or a label shows its map at once.
import type { SaliencyMap, SlicePrediction } from '../../src-ml/api/engine.ts';
import { LABELS, type Label } from '../../src-shared/labels.ts';
import type { AppState, EnsembleMode, SaliencySlice, SliceContext } from './types.ts';

/** Maps kept in the page (each at most 128 x 128 numbers). */
const CACHE_SIZE = 200;

/**
 * The slice's top label: the subtype (`any` is their union) with the highest probability in the ensemble shown
 * (compare: the higher of safe and risky); `any` when the slice has no prediction.
 */
export function topLabel(pred: SlicePrediction | null | undefined, mode: EnsembleMode): Label {
  const probs = mode === 'risky' ? pred?.risky : mode === 'safe' ? pred?.safe ?? pred?.risky
    : pred?.safe && pred.risky ? pred.safe.map((p, k) => Math.max(p, pred.risky![k] ?? p)) : pred?.safe ?? pred?.risky;
  if (!probs) return 'any';
  let best = 0;
  for (let k = 1; k < LABELS.length - 1; k++) if ((probs[k] ?? -1) > (probs[best] ?? -1)) best = k;
  return LABELS[best]!;
}

/** The label the overlay shows now, and the slice it is for. */
export function saliencyTarget(s: Pick<AppState, 'series' | 'sliceIndex' | 'predictions' | 'ensembleMode' | 'saliencyLabel'>): { imageId: string; label: Label } | null {
  const imageId = s.series?.slices[s.sliceIndex]?.imageId;
  if (!imageId) return null;
  const pred = s.predictions?.slices.find((p) => p.imageId === imageId) ?? s.predictions?.slices[s.sliceIndex];
  return { imageId, label: s.saliencyLabel ?? topLabel(pred, s.ensembleMode) };
}

const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

export function createSaliencySlice({ set, get, client }: SliceContext): SaliencySlice {
  const cache = new Map<string, SaliencyMap>();
  /** Requests under way, so a toggle and the overlay asking for the same map make one engine call. */
  const pending = new Map<string, Promise<SaliencyMap>>();
  const keyOf = (version: string | null, t: { imageId: string; label: Label }) => `${version ?? ''}|${t.imageId}|${t.label}`;
  let request = 0;

  return {
    saliencyOn: false,
    saliencyLabel: null,
    saliency: null,
    saliencyStatus: 'off',
    saliencyError: null,

    toggleSaliency() {
      const on = !get().saliencyOn;
      set({ saliencyOn: on, saliencyStatus: on ? 'loading' : 'off', saliencyError: null, ...(on ? {} : { saliency: null }) });
      if (on) void get().loadSaliency();
    },

    setSaliencyLabel(label) {
      if (label === get().saliencyLabel) return;
      set({ saliencyLabel: label });
      if (get().saliencyOn) void get().loadSaliency();
    },

    async loadSaliency() {
      const s = get();
      const target = saliencyTarget(s);
      if (!s.saliencyOn || !target) return;
      const n = ++request;
      const key = keyOf(s.activeVersion, target);
      const hit = cache.get(key);
      if (hit) {
        set({ saliency: hit, saliencyStatus: 'ready', saliencyError: null });
        return;
      }
      set({ saliencyStatus: 'loading', saliencyError: null });
      try {
        let call = pending.get(key);
        if (!call) {
          call = client.getSaliency(target).then((map) => {
            cache.set(key, map);
            while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
            return map;
          }).finally(() => pending.delete(key));
          pending.set(key, call);
        }
        const map = await call;
        if (n !== request || !get().saliencyOn) return;
        set({ saliency: map, saliencyStatus: 'ready' });
      } catch (err) {
        if (n !== request || !get().saliencyOn) return;
        set({ saliency: null, saliencyStatus: 'error', saliencyError: oneLine(err) });
      }
    },
  };
}
