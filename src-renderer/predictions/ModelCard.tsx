// The active model version's card beside the numbers: what it was trained on (synthetic phantoms or real data,
// how many studies and labelled slices, folds, preset) and how it did out of fold (the seed's weighted log loss per
// ensemble and per class, against the prevalence baseline), from the version's report and data fingerprint; and,
// folded, the ensembles' calibration: per-class sensitivity and specificity at the flag threshold and a reliability
// diagram (10 bins: mean predicted against observed rate), from the report's calibration (older reports lack it).
import { useState } from 'react';
import type { ClassCalibration, VersionSummary } from '../../src-ml/api/training.ts';
import { LABELS, LABEL_COLOR, LABEL_SHORT, type Label } from '../../src-shared/labels.ts';
import { useApp } from '../state/context.tsx';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const fmtLoss = (v: number | null | undefined) => (v == null ? '–' : v.toFixed(3));

/** What the card says a version learnt from, from its fingerprint (and the demo's trainedOn note). */
export function trainedFrom(v: VersionSummary): { source: string; synthetic: boolean; studies: number | null; images: number | null; folds: number | null } {
  const f = v.fingerprint;
  const note = typeof f.trainedOn === 'string' ? f.trainedOn : '';
  const folds = num((f.folds as { k?: unknown } | undefined)?.k) ?? num((v.report as { folds?: { k?: unknown } } | null)?.folds?.k);
  const studies = num(f.studies) ?? num(Number(/(\d[\d,]*) studies/.exec(note)?.[1]?.replace(/,/g, '')));
  const images = num(f.images) ?? num(v.report?.images);
  const synthetic = /synthetic|phantom/i.test(note);
  return { source: note ? note.split(';')[0]! : 'this workspace\'s labelled studies', synthetic, studies, images, folds };
}

const fmtRate = (v: number | null | undefined) => (v == null ? '–' : v.toFixed(2));
const ENSEMBLE_COLOR = { safe: '#5aa0e8', risky: '#e8904a' } as const;

/** The reliability diagram of one label: each ensemble's bins (mean predicted, observed rate) against the diagonal. */
export function ReliabilityPlot({ label, safe, risky }: { label: Label; safe?: ClassCalibration; risky?: ClassCalibration }) {
  const size = 132;
  const pad = 16;
  const span = size - pad - 6;
  const x = (p: number) => pad + p * span;
  const y = (o: number) => size - pad - o * span;
  const series = ([['safe', safe], ['risky', risky]] as const).filter((e): e is readonly ['safe' | 'risky', ClassCalibration] => !!e[1] && e[1].bins.length > 0);
  return (
    <svg className="reliability" data-testid="reliability" data-label={label} width={size} height={size} viewBox={`0 0 ${size} ${size}`}
      role="img" aria-label={`reliability diagram, ${label}: mean predicted probability (x) against the observed rate (y) in 10 bins`}>
      <rect x={pad} y={6} width={span} height={span} fill="none" stroke="#444" />
      <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} stroke="#666" strokeDasharray="3 3" />
      {series.map(([name, c]) => (
        <g key={name} data-testid="reliability-series" data-ensemble={name} stroke={ENSEMBLE_COLOR[name]} fill={ENSEMBLE_COLOR[name]}>
          <polyline fill="none" strokeWidth={1.5} points={c.bins.map((b) => `${x(b.p).toFixed(1)},${y(b.observed).toFixed(1)}`).join(' ')} />
          {c.bins.map((b, i) => (
            <circle key={i} data-testid="reliability-bin" cx={x(b.p)} cy={y(b.observed)} r={2} stroke="none">
              <title>{`${name}: predicted ${b.p.toFixed(2)}, observed ${b.observed.toFixed(2)} (${b.n} slices)`}</title>
            </circle>
          ))}
        </g>
      ))}
      <text x={x(0.5)} y={size - 3} textAnchor="middle" fontSize={9} fill="#999">predicted</text>
      <text x={9} y={y(0.5)} textAnchor="middle" fontSize={9} fill="#999" transform={`rotate(-90 9 ${y(0.5)})`}>observed</text>
    </svg>
  );
}

/** Sensitivity / specificity at the threshold per class and ensemble, and the reliability diagram of the label chosen. */
function Calibration({ safe, risky }: { safe?: Record<string, ClassCalibration>; risky?: Record<string, ClassCalibration> }) {
  const [label, setLabel] = useState<Label>('any');
  if (!safe && !risky) {
    return <p className="muted" data-testid="model-calibration-missing">Sensitivity, specificity and calibration: not in this version's report.</p>;
  }
  const threshold = (safe ?? risky)!.any?.threshold ?? (Object.values((safe ?? risky)!)[0]?.threshold);
  return (
    <details className="model-calibration" data-testid="model-calibration">
      <summary>Sensitivity, specificity{threshold != null ? ` at ${threshold}` : ''}; calibration</summary>
      <table className="strip-now" data-testid="model-sens-spec" title="Out of fold, at the flag threshold: sensitivity = flagged positives / positives, specificity = unflagged negatives / negatives">
        <thead>
          <tr><th /><th colSpan={2}>safe</th><th colSpan={2}>risky</th></tr>
          <tr><th /><th>sens</th><th>spec</th><th>sens</th><th>spec</th></tr>
        </thead>
        <tbody>
          {LABELS.map((l) => (
            <tr key={l} data-label={l} className={l === label ? 'selected' : ''} onClick={() => setLabel(l)}>
              <th style={{ color: LABEL_COLOR[l] }}>{LABEL_SHORT[l]}</th>
              <td>{fmtRate(safe?.[l]?.sensitivity)}</td><td>{fmtRate(safe?.[l]?.specificity)}</td>
              <td>{fmtRate(risky?.[l]?.sensitivity)}</td><td>{fmtRate(risky?.[l]?.specificity)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="reliability-row">
        <ReliabilityPlot label={label} safe={safe?.[label]} risky={risky?.[label]} />
        <div className="muted">
          Reliability, {LABEL_SHORT[label]} (a row picks the class):{' '}
          <span style={{ color: ENSEMBLE_COLOR.safe }}>safe</span>, <span style={{ color: ENSEMBLE_COLOR.risky }}>risky</span>; on the diagonal, a predicted p means p of such slices bleed.
        </div>
      </div>
    </details>
  );
}

export function ModelCard() {
  const version = useApp((s) => s.versions.find((v) => v.version === s.activeVersion) ?? null);
  if (!version) return null;
  const t = trainedFrom(version);
  const stage = (name: string) => version.report?.stages.find((st) => st.name === name) ?? null;
  const safe = stage('ensemble-safe');
  const risky = stage('ensemble-risky');
  const base = version.report?.baselinePerClass;
  return (
    <section className="panel model-card" data-testid="model-card" data-version={version.version}>
      <h3>Model {version.version} <span className="muted">· {version.preset}{t.folds ? ` · ${t.folds} folds` : ''}</span></h3>
      <p className={t.synthetic ? 'trained-synthetic' : ''} data-testid="model-trained-on" title={typeof version.fingerprint.trainedOn === 'string' ? version.fingerprint.trainedOn : undefined}>
        Trained on {t.source}
        {t.studies !== null || t.images !== null ? ` (${[t.studies !== null ? `${t.studies.toLocaleString('en')} studies` : '', t.images !== null ? `${t.images.toLocaleString('en')} labelled slices` : ''].filter(Boolean).join(', ')})` : ''}
      </p>
      {version.report && (
        <table className="strip-now" data-testid="model-metrics" title="Out-of-fold weighted log loss (the seed's metric): lower is better; the baseline predicts each label's prevalence">
          <thead><tr><th>OOF loss</th><th>safe</th><th>risky</th><th>base</th></tr></thead>
          <tbody>
            {LABELS.map((label) => (
              <tr key={label} data-label={label}>
                <th style={{ color: LABEL_COLOR[label] }}>{LABEL_SHORT[label]}</th>
                <td>{fmtLoss(safe?.perClass[label])}</td>
                <td>{fmtLoss(risky?.perClass[label])}</td>
                <td className="muted">{fmtLoss(base?.[label])}</td>
              </tr>
            ))}
            <tr className="total" data-label="all">
              <th>all</th><td>{fmtLoss(safe?.oofMetric)}</td><td>{fmtLoss(risky?.oofMetric)}</td><td className="muted">{fmtLoss(version.report.baseline)}</td>
            </tr>
          </tbody>
        </table>
      )}
      {version.report && <Calibration safe={safe?.calibration} risky={risky?.calibration} />}
    </section>
  );
}
