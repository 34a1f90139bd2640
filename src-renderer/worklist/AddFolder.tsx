// Add a DICOM folder by path (the web host cannot see a dropped folder's path; the native dialog comes with
// the desktop shell); each background job (a scan; a predict job, the engine's own after a folder is indexed
// while a version is active or one asked for from the worklist) shows a progress bar fed by job events. A
// path the engine refuses (it does not exist, is a file) stays in the box, and the error line says why. Below:
// the files the scans could not index, and why.
import { useState } from 'react';
import { useApp } from '../state/context.tsx';

export function AddFolder() {
  const [path, setPath] = useState('');
  const addFolder = useApp((s) => s.addFolder);
  const jobs = useApp((s) => s.jobs);
  return (
    <form
      className="add-folder"
      onSubmit={(e) => {
        e.preventDefault();
        void addFolder(path).then((ok) => { if (ok) setPath(''); });
      }}
    >
      <input aria-label="Folder to add" placeholder="/path/to/dicom/folder" value={path} onChange={(e) => setPath(e.target.value)} />
      <button type="submit" disabled={!path.trim()}>Add folder</button>
      {jobs.map((j) => (
        <div key={j.jobId} className={`job job-${j.status}`} data-testid="job" data-job-id={j.jobId} data-kind={j.kind} data-status={j.status}>
          <progress max={Math.max(1, j.total)} value={j.done} aria-label={`${j.kind} progress`} />
          <span>
            {j.stage} {j.done}/{j.total} · {j.status}
            {j.error ? ` · ${j.error}` : ''}
            {j.result ? ` · ${j.result.indexed} indexed, ${j.result.problems} problems` : ''}
            {j.predicted !== undefined ? ` · ${j.predicted} slices predicted` : ''}
          </span>
        </div>
      ))}
      <ScanProblems />
    </form>
  );
}

/** The files the scans could not index, and why (the index's problems), folded under their count. */
function ScanProblems() {
  const problems = useApp((s) => s.problems);
  if (problems.length === 0) return null;
  return (
    <details className="scan-problems" data-testid="scan-problems" data-count={problems.length}>
      <summary>{problems.length} file{problems.length === 1 ? '' : 's'} not indexed</summary>
      <ul>
        {problems.map((p) => (
          <li key={p.path} data-testid="scan-problem" data-kind={p.kind} title={`${p.path}: ${p.message}`}>
            <span className="problem-path">{p.path.split(/[\\/]/).at(-1)}</span> <span className="muted">{p.kind.replace('_', ' ')}</span>
            <div className="problem-message">{p.message}</div>
          </li>
        ))}
      </ul>
    </details>
  );
}
