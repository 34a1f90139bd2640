// Add a DICOM folder by path (the web host cannot see a dropped folder's path; the native dialog comes with
// the desktop shell); each indexing job shows a progress bar fed by job events. A path the engine refuses (it
// does not exist, is a file) stays in the box, and the error line says why.
import { useState } from 'react';
import { useApp } from '../store/context.tsx';

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
        <div key={j.jobId} className={`job job-${j.status}`} data-testid="job" data-status={j.status}>
          <progress max={Math.max(1, j.total)} value={j.done} />
          <span>
            {j.stage} {j.done}/{j.total} · {j.status}
            {j.error ? ` · ${j.error}` : ''}
            {j.result ? ` · ${j.result.indexed} indexed, ${j.result.problems} problems` : ''}
          </span>
        </div>
      ))}
    </form>
  );
}
