// One row per study in the API's priority order, a filter box, the selected study's series, and the
// add-folder entry with job progress.
import { useApp } from '../store/context.tsx';
import { fmtDate, fmtProb } from '../app/format.ts';
import { AddFolder } from './AddFolder.tsx';

export function Worklist() {
  const studies = useApp((s) => s.studies);
  const filter = useApp((s) => s.filter);
  const setFilter = useApp((s) => s.setFilter);
  const selected = useApp((s) => s.selectedStudyUid);
  const selectStudy = useApp((s) => s.selectStudy);
  const threshold = useApp((s) => s.threshold);

  return (
    <section className="worklist">
      <input
        className="filter"
        type="search"
        placeholder="Filter: patient, date, description, UID"
        aria-label="Filter studies"
        value={filter}
        onChange={(e) => void setFilter(e.target.value)}
      />
      <table>
        <thead>
          <tr>
            <th title={`any ≥ ${threshold}`}>⚑</th><th>Patient</th><th>Date</th><th>Ser</th><th>Sl</th><th>safe</th><th>risky</th>
          </tr>
        </thead>
        <tbody>
          {studies.map((s) => (
            <tr
              key={s.studyUid}
              data-testid="study-row"
              data-study-uid={s.studyUid}
              data-flagged={s.flagged ? 'true' : 'false'}
              className={`${s.studyUid === selected ? 'selected' : ''}${s.flagged ? ' flagged' : ''}`}
              aria-selected={s.studyUid === selected}
              onClick={() => void selectStudy(s.studyUid)}
            >
              <td>{s.flagged && <span className="flag" data-testid="study-flag" title={`any ≥ ${threshold}`}>⚑</span>}</td>
              <td title={s.description}>{s.patientName || s.patientId}<div className="muted">{s.patientName ? s.patientId : s.description}</div></td>
              <td>{fmtDate(s.studyDate)}</td>
              <td>{s.seriesCount}</td>
              <td>{s.sliceCount}</td>
              <td>{fmtProb(s.maxAnySafe)}</td>
              <td>{fmtProb(s.maxAnyRisky)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {studies.length === 0 && <p className="muted">{filter ? 'No study matches the filter.' : 'No studies yet: add a folder below.'}</p>}
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
