// The training panel: pick the data, preset, folds and stages, launch; follow the current job live (a bar per
// stage, the model/fold/epoch/batch, loss and validation charts, images/s, the whole job's ETA, backend);
// cancel, resume; a finished job's model version beside the active one, with Promote; the versions list
// (promote, roll back); the workspace's run history. Everything goes through store intents; the engine trains in a
// child process. A launch the engine refuses (its preflight: no labels, too few patients for the folds, a
// missing folder) shows its one-line reason, and for too few patients offers the fold count that works.
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { PipelineStage, RunSummary, TrainHistory, TrainJobState, TrainPresetName } from '../../src-ml/api/training.ts';
import { useApp } from '../state/context.tsx';
import { Chart, type ChartSeries } from './Chart.tsx';
import { MAX_FOLDS, MIN_FOLDS, PIPELINE_STAGES, PRESET_FOLDS, PRESET_HINT, STAGE_LABEL, TRAIN_PRESETS } from '../../src-shared/stages.ts';
import { isAbsolutePath } from '../../src-shared/engine-validate.ts';
import { VersionCompare, VersionsList } from './Versions.tsx';

export function TrainingPanel() {
  const close = useApp((s) => s.closeTraining);
  const error = useApp((s) => s.trainingError);
  const jobs = useApp((s) => s.trainingJobs);
  const job = jobs.at(-1) ?? null;
  const root = useRef<HTMLElement>(null);
  // Keyboard users land in the panel when it opens (Tab then walks its controls; Escape closes it).
  useEffect(() => root.current?.focus(), []);
  return (
    <section className="training" data-testid="training-panel" aria-label="Training" ref={root} tabIndex={-1}
      onKeyDown={(e) => { if (e.key === 'Escape') close(); }}>
      <header className="training-head">
        <h2>Training</h2>
        <button type="button" onClick={close} aria-label="Close the training panel">Close</button>
      </header>
      {error && <div className="error training-error" role="alert" data-testid="train-error">{error}</div>}
      <LaunchForm running={job?.status === 'running' || job?.status === 'queued'} />
      {job ? <JobView job={job} /> : <p className="muted">No training job yet in this session.</p>}
      <VersionsList />
      <RunHistory />
    </section>
  );
}

function LaunchForm({ running }: { running: boolean }) {
  const start = useApp((s) => s.startTraining);
  const error = useApp((s) => s.trainingError);
  const id = useId();
  const [source, setSource] = useState<'workspace' | 'folder'>('workspace');
  const [data, setData] = useState('');
  const [labels, setLabels] = useState('');
  const [preset, setPreset] = useState<TrainPresetName>('tiny');
  const [stages, setStages] = useState<ReadonlySet<PipelineStage>>(new Set(PIPELINE_STAGES));
  // null: the preset's own folds (not sent, so a preset whose models have their own folds keeps them).
  const [foldsText, setFoldsText] = useState<string | null>(null);
  const folds = foldsText === null ? null : Number(foldsText);
  const foldsBad = folds !== null && !(Number.isInteger(folds) && folds >= MIN_FOLDS && folds <= MAX_FOLDS);
  // The engine's "too few patients" reason names the largest fold count that works.
  const suggested = Number(/set Folds to (\d+)/.exec(error ?? '')?.[1] ?? NaN);
  const folderMissing = source === 'folder' && (!data.trim() || !labels.trim());
  // Where the base CNNs start (rsna fine-tunes ImageNet bodies: weights or From scratch; the engine's
  // preflight says which is missing) and an optional unlabelled test folder. Both optional; a path given
  // must be absolute, as the engine requires, so a typo shows here instead of as a refusal.
  const [initDir, setInitDir] = useState('');
  const [fromScratch, setFromScratch] = useState(false);
  const [testDir, setTestDir] = useState('');
  const initBad = !fromScratch && !!initDir.trim() && !isAbsolutePath(initDir.trim());
  const testBad = !!testDir.trim() && !isAbsolutePath(testDir.trim());
  const disabled = running || stages.size === 0 || folderMissing || foldsBad || initBad || testBad;
  const toggle = (s: PipelineStage) => setStages((prev) => {
    const next = new Set(prev);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    return next;
  });
  return (
    <form className="train-form" onSubmit={(e) => {
      e.preventDefault();
      if (disabled) return;
      void start({
        preset,
        stages: PIPELINE_STAGES.filter((s) => stages.has(s)),
        ...(source === 'folder' ? { data: data.trim(), labels: labels.trim() } : {}),
        ...(folds !== null ? { folds } : {}),
        ...(fromScratch ? { fromScratch: true } : initDir.trim() ? { initDir: initDir.trim() } : {}),
        ...(testDir.trim() ? { testDirs: [testDir.trim()] } : {}),
      });
    }}>
      <fieldset>
        <legend>Data</legend>
        <label><input type="radio" name={`${id}-src`} checked={source === 'workspace'} onChange={() => setSource('workspace')} data-testid="train-source-workspace" /> This workspace&apos;s data (its studies and labels)</label>
        <label><input type="radio" name={`${id}-src`} checked={source === 'folder'} onChange={() => setSource('folder')} data-testid="train-source-folder" /> A DICOM folder and an RSNA labels CSV</label>
        <label className="train-path">DICOM folder
          <input data-testid="train-data" placeholder="/path/to/dicom" value={data} disabled={source !== 'folder'} onChange={(e) => setData(e.target.value)} />
        </label>
        <label className="train-path">Labels CSV
          <input data-testid="train-labels" placeholder="/path/to/stage_2_train.csv" value={labels} disabled={source !== 'folder'} onChange={(e) => setLabels(e.target.value)} />
        </label>
      </fieldset>
      <fieldset>
        <legend>Preset</legend>
        <select aria-label="Preset" data-testid="train-preset" value={preset} onChange={(e) => setPreset(e.target.value as TrainPresetName)}>
          {TRAIN_PRESETS.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
        <span className="muted"> {PRESET_HINT[preset]}</span>
        <span className="train-folds">
          <label>Folds{' '}
            <input type="number" data-testid="training-folds" min={MIN_FOLDS} max={MAX_FOLDS} step={1}
              value={foldsText ?? PRESET_FOLDS[preset]} aria-invalid={foldsBad}
              title={`patient folds for cross-validation, ${MIN_FOLDS} to ${MAX_FOLDS} (the preset's: ${PRESET_FOLDS[preset]})`}
              onChange={(e) => setFoldsText(e.target.value)} />
          </label>
          {Number.isInteger(suggested) && suggested >= MIN_FOLDS && suggested !== folds && (
            <button type="button" data-testid="training-folds-suggest" onClick={() => setFoldsText(String(suggested))}>Use {suggested} folds</button>
          )}
        </span>
      </fieldset>
      <fieldset>
        <legend>Weights and test data</legend>
        <label className="train-path">Init weights folder
          <input data-testid="train-init" placeholder="/path/to/imported/weights (default: the workspace's weights folder)" value={initDir}
            disabled={fromScratch} aria-invalid={initBad} onChange={(e) => setInitDir(e.target.value)}
            title="folder of ich weights import bodies the base CNNs start from: one body, or one folder per arch" />
        </label>
        <label className="train-check">
          <input type="checkbox" data-testid="train-from-scratch" checked={fromScratch} onChange={(e) => setFromScratch(e.target.checked)} /> From scratch
          <span className="muted"> (random init; rsna then uses its from-scratch learning rates)</span>
        </label>
        <label className="train-path">Test folder
          <input data-testid="train-test" placeholder="/path/to/unlabelled/test/dicom (optional)" value={testDir} aria-invalid={testBad}
            onChange={(e) => setTestDir(e.target.value)}
            title="unlabelled DICOM folder scanned first: the risky ensemble's sample weights aim at it, and it gets predictions" />
        </label>
      </fieldset>
      <fieldset>
        <legend>Stages</legend>
        {PIPELINE_STAGES.map((s) => (
          <label key={s} className="train-check">
            <input type="checkbox" data-testid="train-stage-check" data-stage={s} checked={stages.has(s)} onChange={() => toggle(s)} /> {STAGE_LABEL[s]}
          </label>
        ))}
      </fieldset>
      <button type="submit" data-testid="train-launch" disabled={disabled}
        title={running ? 'a training job is running' : folderMissing ? 'give the DICOM folder and the labels CSV' : stages.size === 0 ? 'pick a stage'
          : foldsBad ? `folds must be a whole number from ${MIN_FOLDS} to ${MAX_FOLDS}` : initBad ? 'the init weights folder must be an absolute path'
            : testBad ? 'the test folder must be an absolute path' : 'launch'}>
        Launch
      </button>
    </form>
  );
}

const fmt = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

export function fmtEta(sec: number | undefined): string {
  if (sec === undefined || !Number.isFinite(sec) || sec < 0) return '–';
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function JobView({ job }: { job: TrainJobState }) {
  const cancel = useApp((s) => s.cancelTraining);
  const resume = useApp((s) => s.resumeTraining);
  const history = useApp((s) => s.trainingHistory);
  const b = job.batch;
  const stagesAsked = job.request.stages ?? PIPELINE_STAGES;
  return (
    <div className="train-job" data-job-id={job.jobId}>
      <div className="train-job-head">
        <strong>{job.jobId}</strong> · preset {job.request.preset} · {stagesAsked.join(', ')}
        {job.request.data ? ` · ${job.request.data}` : ' · workspace data'}
        {job.request.folds !== undefined && ` · ${job.request.folds} folds`}
        {job.request.fromScratch && ' · from scratch'}
        {job.request.initDir && ` · init ${job.request.initDir}`}
        {job.request.testDirs && ` · test ${job.request.testDirs.join(', ')}`}
        {job.resumes && <span data-testid="train-resumes"> · continues {job.resumes}</span>}
        <span className={`train-status status-${job.status}`} data-testid="train-status">{job.status}</span>
        {(job.status === 'running' || job.status === 'queued') && (
          <button type="button" data-testid="train-cancel" onClick={() => void cancel(job.jobId)}>Cancel</button>
        )}
        {(job.status === 'cancelled' || job.status === 'failed') && (
          <button type="button" data-testid="train-resume" onClick={() => void resume(job.jobId)}>Resume</button>
        )}
      </div>
      {job.error && <div className="train-job-error" data-testid="train-job-error" title={job.error}>{job.error}</div>}
      <ul className="train-stages">
        {PIPELINE_STAGES.map((s) => {
          const st = job.stages[s];
          return (
            <li key={s} data-testid="train-stage" data-stage={s} data-state={st.state} className={`stage-${st.state}`}>
              <span className="train-stage-name">{STAGE_LABEL[s]}</span>
              <progress max={Math.max(1, st.units)} value={st.done} aria-label={`${STAGE_LABEL[s]} progress`} />
              <span className="train-stage-count">{st.units ? `${st.done}/${st.units}` : ''} {st.state}</span>
            </li>
          );
        })}
      </ul>
      <dl className="train-now" data-testid="train-now">
        <dt>Model</dt><dd data-testid="train-model">{b ? `${b.stage} · ${b.model} · fold ${b.fold}` : '–'}</dd>
        <dt>Epoch</dt><dd>{b ? `${b.epoch}/${b.epochs}` : '–'}</dd>
        <dt>Batch</dt><dd>{b ? `${b.batch}/${b.batches}` : '–'}</dd>
        <dt>Loss</dt><dd data-testid="train-loss">{fmt(b?.loss)}</dd>
        <dt>Val metric</dt><dd data-testid="train-val-metric">{fmt(job.lastEpoch?.valMetric)}</dd>
        <dt>Images/s</dt><dd data-testid="train-speed">{b ? b.imagesPerSec.toFixed(1) : job.features ? job.features.imagesPerSec.toFixed(1) : '–'}</dd>
        <dt>ETA</dt><dd data-testid="train-eta" title="the whole job: every stage still to run, from the time per model and fold so far">{fmtEta(job.etaSec)}</dd>
        <dt>Backend</dt><dd data-testid="train-backend">{b?.backend ?? '–'}</dd>
      </dl>
      {job.features && job.stage === 'features' && (
        <p className="muted">features {job.features.modelId} {job.features.split}: {job.features.done}/{job.features.total}</p>
      )}
      {job.message && <p className="muted train-message" title={job.message}>{job.message}</p>}
      {job.report && (
        <p data-testid="train-report">Out-of-fold metric: {job.report.stages.map((s) => `${s.name} ${s.oofMetric.toFixed(4)}`).join(' · ')} (baseline {job.report.baseline.toFixed(4)})</p>
      )}
      {job.status === 'done' && <VersionCompare job={job} />}
      <Charts history={history && history.jobId === job.jobId ? history : null} />
    </div>
  );
}

const LOSS_SERIES = [{ label: 'batch loss', stroke: '#4fa3ff' }];
const PALETTE = ['#ffb340', '#4fa3ff', '#6fd06f', '#ff6f91', '#c792ea', '#4dd0e1', '#f7e463', '#ff8a50', '#a1887f', '#90a4ae'];
/** One dash pattern per stage, so a stage's folds share a look and the colours tell the models and folds apart. */
const STAGE_DASH: Record<string, number[] | undefined> = { base: undefined, 'pooled-res': [6, 3], shallow: [2, 3], 'shallow-weighted': [8, 3, 2, 3] };

/**
 * The validation metric per epoch, one line per (stage, model, fold), on a shared epoch axis: each model x
 * fold trains its own epochs, so they are overlaid, not strung one after another. An epoch seen twice (a
 * resumed run) keeps its latest value.
 */
export function validationSeries(history: TrainHistory | null): { series: ChartSeries[]; data: [number[], ...(number | null)[][]] } {
  const byKey = new Map<string, { stage: string; points: Map<number, number> }>();
  let last = 0;
  for (const e of history?.epochs ?? []) {
    const key = `${e.stage} · ${e.model} · fold ${e.fold}`;
    const entry = byKey.get(key) ?? { stage: e.stage, points: new Map<number, number>() };
    entry.points.set(e.epoch, e.valMetric);
    byKey.set(key, entry);
    last = Math.max(last, e.epoch);
  }
  const xs = Array.from({ length: last }, (_, i) => i + 1);
  const series: ChartSeries[] = [];
  const ys: (number | null)[][] = [];
  [...byKey].forEach(([label, { stage, points }], i) => {
    const dash = STAGE_DASH[stage];
    series.push({ label, stroke: PALETTE[i % PALETTE.length]!, ...(dash ? { dash } : {}) });
    ys.push(xs.map((x) => points.get(x) ?? null));
  });
  return { series, data: [xs, ...ys] };
}

function Charts({ history }: { history: TrainHistory | null }) {
  const loss = useMemo((): [number[], number[]] => [history?.losses.map((l) => l.step) ?? [], history?.losses.map((l) => l.loss) ?? []], [history]);
  const val = useMemo(() => validationSeries(history), [history]);
  return (
    <div className="train-charts">
      <Chart testId="loss-chart" title="Loss per batch" xLabel="batch" series={LOSS_SERIES} data={loss} />
      <Chart testId="val-chart" title="Validation metric per epoch, one line per model and fold" xLabel="epoch" series={val.series} data={val.data} legend="list" />
    </div>
  );
}

function RunHistory() {
  const runs = useApp((s) => s.runs);
  return (
    <section className="run-history">
      <h3>Runs in this workspace</h3>
      {runs.length === 0 ? <p className="muted">No runs yet.</p> : (
        <table className="grid">
          <thead><tr><th>Run</th><th>Stage</th><th>Model</th><th>Fold</th><th>Status</th><th>Val metric</th></tr></thead>
          <tbody>{runs.map((r) => <RunRow key={r.id} run={r} />)}</tbody>
        </table>
      )}
    </section>
  );
}

function RunRow({ run }: { run: RunSummary }) {
  const metric = typeof run.metrics.valMetric === 'number' ? run.metrics.valMetric : null;
  return (
    <tr data-testid="run-row" data-run-id={run.id} data-status={run.status} title={run.error ?? undefined}>
      <th>{run.id}</th>
      <td>{run.stage}</td>
      <td>{run.model ?? ''}</td>
      <td>{run.fold === null ? '–' : `${run.fold}${run.nFolds ? `/${run.nFolds}` : ''}`}</td>
      <td>{run.status}</td>
      <td>{metric === null ? '–' : metric.toFixed(4)}</td>
    </tr>
  );
}
