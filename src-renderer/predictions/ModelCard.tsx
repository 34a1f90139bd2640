// The active model version's card beside the numbers: what it was trained on (synthetic phantoms or real data,
// how many studies and labelled slices, folds, preset) and how it did out of fold (the seed's weighted log loss per
// ensemble and per class, against the prevalence baseline), from the version's report and data fingerprint.
import type { VersionSummary } from '../../src-ml/api/training.ts';
import { LABELS, LABEL_COLOR, LABEL_SHORT } from '../../src-shared/labels.ts';
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
    </section>
  );
}
