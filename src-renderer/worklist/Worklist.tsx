// One row per study in the API's priority order (or sorted by a column header), unread ones in bold, a filter box, the selected study's series, and the
// add-folder entry with job progress. The header names the model version the numbers come from; studies
// without predictions get a Predict action while a version is active (and all of them at once).
import type { JobEvent, StudyRow } from '../../src-ml/api/engine.ts';
import type { AppState } from '../state/types.ts';
import { useApp } from '../state/context.tsx';
import { fmtDate, fmtProb } from '../ui/format.ts';
import { AddFolder } from './AddFolder.tsx';
import { KeyImages } from './KeyImages.tsx';
import { fmtTime } from '../viewer/patient-info.ts';
import { sortStudies, type StudySortKey } from '../state/worklist-sort.ts';
import { LABELS, LABEL_COLOR, LABEL_SHORT } from '../../src-shared/labels.ts';

/** The sortable columns after the flag, in column order, with their header text and what they hold. */
const COLUMNS: { key: StudySortKey; label: string; title: string }[] = [
  { key: 'patient', label: 'Patient', title: 'patient name (or ID)' },
  { key: 'date', label: 'Date', title: 'study date' },
  { key: 'series', label: 'Ser', title: 'series' },
  { key: 'slices', label: 'Sl', title: 'slices' },
  { key: 'safe', label: 'safe', title: 'highest any, safe ensemble' },
  { key: 'risky', label: 'risky', title: 'highest any, risky ensemble' },
];

/** The subtypes the models see in the study (at or above the threshold), with their slice counts. */
function Subtypes({ row }: { row: StudyRow }) {
  const above = row.slicesAbove;
  if (!above) return null;
  const seen = LABELS.filter((l) => l !== 'any' && (above[l] ?? 0) > 0);
  if (seen.length === 0) return null;
  return (
    <div className="subtypes" data-testid="study-subtypes" title={seen.map((l) => `${l}: ${above[l]} slices`).join(', ')}>
      {seen.map((l) => (
        <span key={l} data-label={l} style={{ color: LABEL_COLOR[l] }}>{LABEL_SHORT[l]} {above[l]}</span>
      ))}
    </div>
  );
}

function SortHeader({ column }: { column: (typeof COLUMNS)[number] }) {
  const key = useApp((s) => s.sortKey);
  const dir = useApp((s) => s.sortDir);
  const setSort = useApp((s) => s.setSort);
  const on = key === column.key;
  return (
    <th aria-sort={on ? (dir === 1 ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" data-testid={`sort-${column.key}`} title={`sort by ${column.title} (again: reverse, a third time: priority order)`}
        onClick={() => setSort(column.key)}>
        {column.label}{on ? (dir === 1 ? '▲' : '▼') : ''}
      </button>
    </th>
  );
}

export const unpredicted = (s: StudyRow): boolean => s.maxAnySafe === null && s.maxAnyRisky === null;

const running = (j: JobEvent) => j.kind === 'predict' && (j.status === 'queued' || j.status === 'running');

/**
 * The studies a predict job still under way covers: those this page asked for, or every study without
 * predictions (a "predict all" or the engine's own job after Add folder): 'all'.
 */
export function predictingStudies(s: Pick<AppState, 'jobs' | 'predictRequests'>): Set<string> | 'all' {
  const out = new Set<string>();
  for (const j of s.jobs.filter(running)) {
    const asked = s.predictRequests[j.jobId];
    if (!asked) return 'all';
    for (const uid of asked) out.add(uid);
  }
  return out;
}

/** What the active version's models learned from, when it says (the demo's: synthetic phantoms only). */
function trainedOnOf(versions: readonly { version: string; fingerprint: Record<string, unknown> }[], active: string | null): string | null {
  const t = versions.find((v) => v.version === active)?.fingerprint.trainedOn;
  return typeof t === 'string' && t ? t : null;
}

function WorklistHead() {
  const active = useApp((s) => s.activeVersion);
  const trainedOn = useApp((s) => trainedOnOf(s.versions, s.activeVersion));
  const missing = useApp((s) => s.studies.filter(unpredicted).length);
  const busy = useApp((s) => predictingStudies(s) === 'all');
  const predict = useApp((s) => s.predictStudies);
  return (
    <div className="worklist-head">
      <span data-testid="worklist-version" data-version={active ?? ''} title={active ? `the numbers are model ${active}'s predictions (Training panel: versions)` : 'no model version yet: train one (Training panel)'}>
        {active ? `model ${active}` : 'no model version'}
      </span>
      {trainedOn && (
        <span className="trained-on" data-testid="version-trained-on" title={trainedOn}>
          {`Trained on ${trainedOn.split(';')[0]}`}
        </span>
      )}
      {active && missing > 0 && (
        <button type="button" data-testid="predict-missing" disabled={busy} title={`predict the ${missing} studies without predictions with ${active}`}
          onClick={() => void predict()}>
          Predict all unpredicted ({missing})
        </button>
      )}
    </div>
  );
}

export function Worklist() {
  const rows = useApp((s) => s.studies);
  const sortKey = useApp((s) => s.sortKey);
  const sortDir = useApp((s) => s.sortDir);
  const read = useApp((s) => s.readStudies);
  const studies = sortStudies(rows, sortKey, sortDir);
  const filter = useApp((s) => s.filter);
  const setFilter = useApp((s) => s.setFilter);
  const selected = useApp((s) => s.selectedStudyUid);
  const selectStudy = useApp((s) => s.selectStudy);
  const threshold = useApp((s) => s.threshold);
  const active = useApp((s) => s.activeVersion);
  const predict = useApp((s) => s.predictStudies);
  const jobs = useApp((s) => s.jobs);
  const predictRequests = useApp((s) => s.predictRequests);
  const predicting = predictingStudies({ jobs, predictRequests });

  return (
    <section className="worklist">
      <WorklistHead />
      <input
        className="filter"
        type="search"
        placeholder="Filter: patient, date, description, UID"
        aria-label="Filter studies"
        value={filter}
        onChange={(e) => void setFilter(e.target.value)}
      />
      <table>
        <colgroup>
          <col className="c-flag" /><col /><col className="c-date" /><col className="c-ser" /><col className="c-sl" /><col className="c-prob" /><col className="c-prob" />
        </colgroup>
        <thead>
          <tr>
            <th title={`any ≥ ${threshold}`}>⚑</th>
            {COLUMNS.map((c) => <SortHeader key={c.key} column={c} />)}
          </tr>
        </thead>
        <tbody>
          {studies.map((s) => (
            <tr
              key={s.studyUid}
              data-testid="study-row"
              data-study-uid={s.studyUid}
              data-flagged={s.flagged ? 'true' : 'false'}
              data-read={read[s.studyUid] ? 'true' : 'false'}
              className={`${s.studyUid === selected ? 'selected' : ''}${s.flagged ? ' flagged' : ''}${read[s.studyUid] ? '' : ' unread'}`}
              aria-selected={s.studyUid === selected}
              onClick={() => void selectStudy(s.studyUid)}
            >
              <td>{s.flagged && <span className="flag" data-testid="study-flag" title={`any ≥ ${threshold}`}>⚑</span>}</td>
              <td title={[s.patientName || s.patientId, s.patientId, s.description].filter(Boolean).join(' · ')}>
                {s.patientName || s.patientId}<div className="muted">{s.patientName ? s.patientId : s.description}</div>
                <Subtypes row={s} />
              </td>
              <td title={[fmtDate(s.studyDate), fmtTime(s.studyTime ?? '')].filter(Boolean).join(' ')}>
                {fmtDate(s.studyDate)}{s.studyTime && fmtTime(s.studyTime) && <div className="muted" data-testid="study-time">{fmtTime(s.studyTime)}</div>}
              </td>
              <td>{s.seriesCount}</td>
              <td>{s.sliceCount}</td>
              {active && unpredicted(s) ? (
                <td colSpan={2}>
                  <button type="button" className="predict-study" data-testid={`predict-study-${s.studyUid}`}
                    disabled={predicting === 'all' || predicting.has(s.studyUid)} title={`predict this study with ${active}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      void predict([s.studyUid]);
                    }}>
                    {predicting === 'all' || predicting.has(s.studyUid) ? 'Predicting…' : 'Predict'}
                  </button>
                </td>
              ) : (
                <>
                  <td>{fmtProb(s.maxAnySafe)}</td>
                  <td>{fmtProb(s.maxAnyRisky)}</td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {studies.length === 0 && <p className="muted">{filter ? 'No study matches the filter.' : 'No studies yet: add a folder below.'}</p>}
      <KeyImages />
      <SeriesList />
      <AddFolder />
    </section>
  );
}

function SeriesList() {
  const list = useApp((s) => s.seriesList);
  const current = useApp((s) => s.series?.seriesUid);
  const selectSeries = useApp((s) => s.selectSeries);
  if (list.length === 0) return null;
  return (
    <ul className="series-list" aria-label="Series">
      {list.map((s) => (
        <li key={s.seriesUid}>
          <button type="button" className={s.seriesUid === current ? 'selected' : ''} data-series-uid={s.seriesUid} onClick={() => void selectSeries(s.seriesUid)}>
            {s.seriesNumber ?? '?'} {s.description || s.modality} · {s.sliceCount} sl
          </button>
        </li>
      ))}
    </ul>
  );
}
