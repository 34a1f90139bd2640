// Model versions in the training panel: the compare table a finished job ends with (its version's
// out-of-fold metric per stage beside the active version's and the prevalence baseline, per class for the two
// ensembles), Promote, and the versions list with promote and rollback. Promote is never the default action:
// a plain button, not focused, outside the launch form (Enter launches, never promotes); when the target is
// worse than the baseline or than the active version on an ensemble, it asks a second time, with the reasons.
import { useEffect, useRef } from 'react';
import type { TrainJobState, VersionReport, VersionSummary } from '../../src-ml/api/training.ts';
import { LABELS } from '../../src-shared/labels.ts';
import { ENSEMBLE_STAGES, REPORT_STAGE_LABEL } from '../../src-shared/stages.ts';
import { useApp } from '../state/context.tsx';
import type { PromoteAsk } from '../state/types.ts';
import {
  activateVerb, compareRows, imagesOf, PER_CLASS_TOLERANCE, stageOf, versionOfJob, worseThan, type CompareRow,
} from './versions.ts';

const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(4));

function marks(worseBaseline: boolean, worseActive: boolean): { className: string; title: string; sign: string } {
  const why = [worseBaseline ? 'worse than the prevalence baseline' : '', worseActive ? 'worse than the active version' : ''].filter(Boolean);
  return {
    className: [worseBaseline ? 'worse-baseline' : '', worseActive ? 'worse-active' : ''].filter(Boolean).join(' '),
    title: why.join('; '),
    // A sign besides the colour: ▲ above the baseline, ▼ behind the active version.
    sign: `${worseBaseline ? ' ▲' : ''}${worseActive ? ' ▼' : ''}`,
  };
}

function Cell({ value, col, worseBaseline, worseActive = false }: { value: number | undefined; col: string; worseBaseline: boolean; worseActive?: boolean }) {
  const m = marks(worseBaseline, worseActive);
  return (
    <td className={m.className} title={m.title || undefined} data-col={col}
      data-worse-baseline={worseBaseline ? 'true' : undefined} data-worse-active={worseActive ? 'true' : undefined}>
      {fmt(value)}{m.sign}
    </td>
  );
}

function delta(row: CompareRow): string {
  const [c, r] = [row.candidate?.oofMetric, row.reference?.oofMetric];
  if (c === undefined || r === undefined || !Number.isFinite(c) || !Number.isFinite(r)) return '–';
  const d = c - r;
  return `${d > 0 ? '+' : ''}${d.toFixed(4)}`;
}

const statusWord = (v: VersionSummary) => (v.status === 'active' ? 'active' : v.status === 'candidate' ? 'candidate' : 'archived');

/** Stage rows (and the baseline row) of a version beside a reference version, lower is better. */
export function CompareTable({ candidate, reference }: { candidate: VersionSummary; reference: VersionSummary | null }) {
  const rows = compareRows(candidate, reference);
  return (
    <table className="grid compare-table">
      <thead>
        <tr>
          <th>Out-of-fold metric</th>
          <th data-col="candidate">{candidate.version} {statusWord(candidate)}</th>
          {reference && <th data-col="active">{reference.version} {statusWord(reference)}</th>}
          {reference && <th title={`${candidate.version} minus ${reference.version}: above 0 is worse`}>Δ</th>}
        </tr>
      </thead>
      <tbody>
        <tr data-testid="compare-row-baseline" className="baseline-row">
          <th title="predicting each label's prevalence for every image: the bar every stage has to beat">Prevalence baseline</th>
          <td data-col="candidate">{fmt(candidate.report?.baseline)}</td>
          {reference && <td data-col="active">{fmt(reference.report?.baseline)}</td>}
          {reference && <td />}
        </tr>
        {rows.map((row) => (
          <tr key={row.stage} data-testid={`compare-row-${row.stage}`} data-stage={row.stage}>
            <th>{REPORT_STAGE_LABEL[row.stage] ?? row.stage}</th>
            <Cell value={row.candidate?.oofMetric} col="candidate" worseBaseline={row.candidateWorseThanBaseline} worseActive={row.candidateWorseThanReference} />
            {reference && <Cell value={row.reference?.oofMetric} col="active" worseBaseline={row.referenceWorseThanBaseline} />}
            {reference && <td className={row.candidateWorseThanReference ? 'worse-active' : ''}>{delta(row)}</td>}
          </tr>
        ))}
        <tr className="images-row">
          <th>Labelled images</th>
          <td>{imagesOf(candidate) ?? '–'}</td>
          {reference && <td>{imagesOf(reference) ?? '–'}</td>}
          {reference && <td />}
        </tr>
      </tbody>
    </table>
  );
}

const perClass = (report: VersionReport | null | undefined, stage: string, label: string): number | undefined =>
  report?.stages.find((s) => s.name === stage)?.perClass[label];

/** Per label, for the two ensembles: the versions' out-of-fold loss and the prevalence's. */
function PerClassTables({ candidate, reference }: { candidate: VersionSummary; reference: VersionSummary | null }) {
  const stages = ENSEMBLE_STAGES.filter((s) => stageOf(candidate, s) || stageOf(reference, s));
  if (stages.length === 0) return null;
  const base = candidate.report?.baselinePerClass;
  return (
    <details className="compare-per-class" data-testid="compare-per-class">
      <summary>Per class, ensembles</summary>
      <p className="muted">Each label&apos;s log loss; ▲ worse than predicting that label&apos;s prevalence by more than {PER_CLASS_TOLERANCE}.</p>
      <div className="compare-per-class-tables">
        {stages.map((stage) => (
          <table key={stage} className="grid" data-stage={stage}>
            <thead>
              <tr>
                <th>{REPORT_STAGE_LABEL[stage]}</th>
                <th>{candidate.version}</th>
                {reference && <th>{reference.version}</th>}
                {base && <th>prevalence</th>}
              </tr>
            </thead>
            <tbody>
              {LABELS.map((label) => {
                const c = perClass(candidate.report, stage, label);
                const r = perClass(reference?.report, stage, label);
                const b = base?.[label];
                const rb = reference?.report?.baselinePerClass?.[label];
                return (
                  <tr key={label} data-testid={`compare-class-${stage}-${label}`}>
                    <th>{label}</th>
                    <Cell value={c} col="candidate" worseBaseline={worseThan(c, b, PER_CLASS_TOLERANCE)} worseActive={worseThan(c, r)} />
                    {reference && <Cell value={r} col="active" worseBaseline={worseThan(r, rb, PER_CLASS_TOLERANCE)} />}
                    {base && <td data-col="baseline">{fmt(b)}</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
        ))}
      </div>
    </details>
  );
}

/** The second confirmation: the reasons, "promote anyway", and "keep" (focused: Enter keeps the active version). */
export function PromoteWarning({ ask }: { ask: PromoteAsk }) {
  const confirm = useApp((s) => s.confirmPromote);
  const cancel = useApp((s) => s.cancelPromote);
  const active = useApp((s) => s.activeVersion);
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => keep.current?.focus(), [ask]);
  return (
    <div className="promote-warning" role="alert" data-testid="promote-warning" data-version={ask.version}>
      <strong>Make {ask.version} active{active ? ` instead of ${active}` : ''}? Check first:</strong>
      <ul>{ask.reasons.map((r) => <li key={r}>{r}</li>)}</ul>
      <button type="button" ref={keep} data-testid="version-promote-cancel" onClick={cancel}>Keep {active ?? 'the current models'}</button>
      <button type="button" className="danger" data-testid="version-promote-confirm" onClick={() => void confirm()}>Make {ask.version} active anyway</button>
    </div>
  );
}

/** The end of a finished job: the version it made beside the active one, and Promote. */
export function VersionCompare({ job }: { job: TrainJobState }) {
  const versions = useApp((s) => s.versions);
  const ask = useApp((s) => s.promoteAsk);
  const askPromote = useApp((s) => s.askPromote);
  const promoting = useApp((s) => s.promoting);
  const made = versionOfJob(job, versions);
  if (!made) {
    const ranEnsembles = !job.request.stages || job.request.stages.includes('ensembles');
    return (
      <section className="version-compare" data-testid="version-compare" data-state="none">
        <p className="muted">{ranEnsembles ? 'Looking up the model version this run made…' : 'This run made no model version: a version comes from the ensembles stage.'}</p>
      </section>
    );
  }
  const active = versions.find((v) => v.status === 'active') ?? null;
  const reference = active && active.version !== made.version ? active : null;
  return (
    <section className="version-compare" data-testid="version-compare" data-version={made.version} data-status={made.status}>
      <h3>
        This run made {made.version}
        {made.status === 'candidate' && (reference ? `, a candidate: ${reference.version} stays active until you promote it` : ', a candidate')}
        {made.status === 'active' && (made.promotedAt && versions.length > 1 ? ', now the active version' : ', the active version (the workspace\'s first)')}
        {made.status === 'archived' && `, archived (${active?.version ?? 'another version'} is active)`}
      </h3>
      <p className="muted">Out-of-fold metric per stage (weighted log loss, lower is better): ▲ worse than the prevalence baseline, ▼ {made.version} worse than {reference?.version ?? 'the active version'}.</p>
      <CompareTable candidate={made} reference={reference} />
      <PerClassTables candidate={made} reference={reference} />
      {made.status !== 'active' && (
        <div className="promote-row">
          <button type="button" className="promote" data-testid="version-promote" disabled={promoting !== null}
            title={`make ${made.version} the version the worklist, the viewer and ich predict use`}
            onClick={() => void askPromote(made.version, 'compare')}>
            {{ promote: `Promote ${made.version}`, rollback: `Roll back to ${made.version}`, reactivate: `Make ${made.version} active` }[activateVerb(made, active?.version ?? null)]}…
          </button>
        </div>
      )}
      {ask && ask.from === 'compare' && ask.version === made.version && <PromoteWarning ask={ask} />}
    </section>
  );
}

/** Every version with its status and ensembles; promote a candidate, roll back to an archived one. */
export function VersionsList() {
  const versions = useApp((s) => s.versions);
  const ask = useApp((s) => s.promoteAsk);
  const askPromote = useApp((s) => s.askPromote);
  const promoting = useApp((s) => s.promoting);
  const error = useApp((s) => s.versionsError);
  const active = useApp((s) => s.activeVersion);
  return (
    <section className="versions" data-testid="versions-list">
      <h3>Model versions</h3>
      {versions.length === 0 ? <p className="muted">No model version yet: a training run with the ensembles stage makes one.</p> : (
        <table className="grid versions-table">
          <thead>
            <tr><th>Version</th><th>Status</th><th>Created</th><th>Preset</th><th>Images</th><th>Baseline</th><th>Safe</th><th>Risky</th><th /></tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const safe = stageOf(v, 'ensemble-safe');
              const risky = stageOf(v, 'ensemble-risky');
              const below = (s: typeof safe) => (s && v.report && s.oofMetric > v.report.baseline ? ' worse-baseline' : '');
              return (
                <tr key={v.version} data-testid={`version-row-${v.version}`} data-status={v.status} className={`version-${v.status}`}>
                  <th title={typeof v.fingerprint.trainedOn === 'string' ? `trained on ${v.fingerprint.trainedOn}` : undefined}>{v.version}</th>
                  <td data-testid={`version-status-${v.version}`}>{v.status}</td>
                  <td title={v.createdAt}>{v.createdAt.slice(0, 16).replace('T', ' ')}</td>
                  <td>{v.preset}</td>
                  <td>{imagesOf(v) ?? '–'}</td>
                  <td>{fmt(v.report?.baseline)}</td>
                  <td className={below(safe)}>{fmt(safe?.oofMetric)}</td>
                  <td className={below(risky)}>{fmt(risky?.oofMetric)}</td>
                  <td>
                    {v.status !== 'active' && (
                      <button type="button" data-testid={`version-activate-${v.version}`} disabled={promoting !== null}
                        onClick={() => void askPromote(v.version, 'list')}>
                        {{ promote: 'Promote…', rollback: 'Roll back…', reactivate: 'Make active…' }[activateVerb(v, active)]}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {error && <div className="error training-error" role="alert" data-testid="versions-error">{error}</div>}
      {ask && ask.from === 'list' && <PromoteWarning ask={ask} />}
    </section>
  );
}
