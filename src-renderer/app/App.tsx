// The layout and the global wiring: hotkeys to store intents, engine events (scan and predict jobs, training
// jobs, model versions) into the store, the slice detail following the current slice, and the error line. The
// image is the largest element: the worklist left, the current slice's numbers right (the member, blend and
// feature tables only behind the engineering toggle), a six-row probability strip under the image.
import { useEffect } from 'react';
import type { EngineClient } from '../../src-ml/api/engine.ts';
import { useApp, useAppStore } from '../state/context.tsx';
import { runKey } from '../state/keymap.ts';
import { Worklist } from '../worklist/Worklist.tsx';
import { Viewport } from '../viewer/Viewport.tsx';
import { ProbabilityStrip } from '../predictions/ProbabilityStrip.tsx';
import { EnsembleModeControl } from '../predictions/EnsembleModeControl.tsx';
import { MetadataPanel } from '../metadata/MetadataPanel.tsx';
import { EnsemblePanel } from '../ensemble/EnsemblePanel.tsx';
import { WINDOW_PRESETS } from '../../src-shared/windows.ts';
import type { PresetNumber } from '../state/windows.ts';
import { TrainingPanel } from '../training/TrainingPanel.tsx';
import { SliceNumbers } from '../predictions/SliceNumbers.tsx';
import { ModelCard } from '../predictions/ModelCard.tsx';
import { HelpSheet } from './HelpSheet.tsx';

/** Waits this long after the last slice change before fetching its detail, so scrolling stays cheap. */
const DETAIL_DELAY_MS = 120;

export function App({ client }: { client: EngineClient }) {
  const store = useAppStore();
  const error = useApp((s) => s.error);
  const trainingOpen = useApp((s) => s.trainingOpen);
  const engineering = useApp((s) => s.engineering);
  const helpOpen = useApp((s) => s.helpOpen);

  useEffect(() => {
    void store.getState().loadStudies();
    void store.getState().loadProblems();
    // Training jobs started before this page (or before a reload) show as they are now; so do the versions.
    void store.getState().loadTraining();
    void store.getState().loadActiveVersion();
    return client.onEvent((e) => {
      switch (e.type) {
        case 'job': // scan and predict jobs
          store.getState().onJobEvent(e);
          break;
        case 'training':
          store.getState().onTrainingEvent(e.state);
          break;
        case 'versions':
          store.getState().onVersionsEvent(e);
          break;
        default:
          // An event type this page does not know (a newer engine): ignored.
          break;
      }
    });
  }, [client, store]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
      // Space and Enter on a focused button press it (they are not the viewer's then).
      if (t?.tagName === 'BUTTON' && (e.key === ' ' || e.key === 'Enter')) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      // The help sheet over everything: ? or Escape closes it, the other keys rest.
      if (store.getState().helpOpen) {
        if (e.key === 'Escape' || e.key === '?') {
          store.getState().closeHelp();
          e.preventDefault();
        }
        return;
      }
      // Over the training panel the viewer's keys rest; Escape (or T) closes it.
      if (store.getState().trainingOpen) {
        if (e.key === 'Escape' || e.key === 't') {
          store.getState().closeTraining();
          e.preventDefault();
        }
        return;
      }
      if (runKey(store.getState(), e.key)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  return (
    <div className={`app${engineering ? ' engineering' : ''}`}>
      <header className="topbar">
        <strong>ICH Viewer</strong>
        <Presets />
        <EnsembleModeControl />
        <TrainingButton />
        <EngineeringButton />
        <button type="button" data-testid="open-help" title="Keys (?)" aria-pressed={helpOpen} onClick={() => store.getState().toggleHelp()}>?</button>
        <span className="ruo">Research use only. Not a medical device.</span>
      </header>
      {error && (
        <div className="error" role="alert" data-testid="app-error">
          {error} <button type="button" onClick={() => store.getState().setError(null)}>dismiss</button>
        </div>
      )}
      <aside className="left"><Worklist /></aside>
      <main className="center">
        <Viewport />
        <ProbabilityStrip />
      </main>
      <aside className="right">
        <SliceDetailLoader />
        <SliceNumbers />
        <ModelCard />
        {/* Engineering detail, not a reading aid: the member and blend tables, then the long header tables. */}
        {engineering && (
          <>
            <EnsemblePanel />
            <MetadataPanel />
          </>
        )}
      </aside>
      {/* Over the viewer and the panels (they stay mounted); the worklist stays in view for new predictions. */}
      {trainingOpen && <div className="training-area"><TrainingPanel /></div>}
      {helpOpen && <HelpSheet />}
    </div>
  );
}

function EngineeringButton() {
  const on = useApp((s) => s.engineering);
  const toggle = useApp((s) => s.toggleEngineering);
  return (
    <button type="button" data-testid="engineering-toggle" className={on ? 'selected' : ''} aria-pressed={on}
      title="Engineering tables: member models, blend weights, metadata features (key E)" onClick={toggle}>
      Engineering
    </button>
  );
}

function TrainingButton() {
  const open = useApp((s) => s.trainingOpen);
  const toggle = useApp((s) => s.toggleTraining);
  const running = useApp((s) => s.trainingJobs.some((j) => j.status === 'running' || j.status === 'queued'));
  return (
    <button type="button" data-testid="open-training" className={open ? 'selected' : ''} aria-pressed={open} title="Training (key T)" onClick={toggle}>
      Training{running ? ' ●' : ''}
    </button>
  );
}

/**
 * Loads the current slice's detail once the scroll settles. Its own component, so a slice change re-renders
 * only what shows the slice (viewport, overlay, strip, panel headers), never the whole app: that re-render
 * was most of the time per scroll step in the browser benchmark.
 */
function SliceDetailLoader() {
  const store = useAppStore();
  const imageId = useApp((s) => s.series?.slices[s.sliceIndex]?.imageId ?? null);
  useEffect(() => {
    if (!imageId) return;
    const t = setTimeout(() => void store.getState().loadSliceDetail(imageId), DETAIL_DELAY_MS);
    return () => clearTimeout(t);
  }, [imageId, store]);
  return null;
}

function Presets() {
  const preset = useApp((s) => s.preset);
  const setPreset = useApp((s) => s.setPreset);
  const locked = useApp((s) => s.windowLocked);
  const toggleLock = useApp((s) => s.toggleWindowLock);
  return (
    <span className="presets" role="group" aria-label="Window presets">
      {WINDOW_PRESETS.map((p, i) => {
        const n = (i + 1) as PresetNumber;
        return (
          <button key={p.id} type="button" className={preset === n ? 'selected' : ''} title={`${p.label} (key ${n})`} onClick={() => setPreset(n)}>
            {n} {p.label}
          </button>
        );
      })}
      <button type="button" data-testid="window-lock" className={`lock${locked ? ' selected' : ''}`} aria-pressed={locked}
        title={locked ? 'Window locked: the next study keeps it (key L)' : 'Each new study starts at the brain window; lock to keep this one (key L)'} onClick={toggleLock}>
        {locked ? 'Locked' : 'Lock'}
      </button>
    </span>
  );
}
