// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { Worklist } from './Worklist.tsx';
import { renderWithStore } from '../test/render.tsx';
import { STUDIES, versionOf, type FakeClient } from '../test/fixtures.ts';
import type { JobEvent, StudyRow } from '../../src-ml/api/engine.ts';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

async function worklist() {
  const r = renderWithStore(() => <Worklist />);
  await act(() => r.store.getState().loadStudies());
  return r;
}

describe('Worklist', () => {
  it('shows one row per study in the order the API returns, with the flag', async () => {
    await worklist();
    const rows = screen.getAllByTestId('study-row');
    // The API's order (flagged first), not re-sorted by date or name.
    expect(rows.map((r) => r.dataset.studyUid)).toEqual(['1.2.9', '1.2.1']);
    expect(rows.map((r) => r.dataset.flagged)).toEqual(['true', 'false']);
    expect(rows[0]!.querySelector('[data-testid="study-flag"]')).not.toBeNull();
    expect(rows[1]!.querySelector('[data-testid="study-flag"]')).toBeNull();
    expect(rows[0]!.textContent).toContain('2024-01-02');
    expect(rows[0]!.textContent).toContain('0.91');
    expect(rows[0]!.textContent).toContain('0.95');
    // The subtypes the models see, on how many slices (any is the flag itself).
    expect(rows[0]!.querySelector('[data-testid="study-subtypes"]')!.textContent).toBe('SDH 1');
    expect(rows[1]!.querySelector('[data-testid="study-subtypes"]')).toBeNull();
  });

  it('a column header sorts by it, again reverses, a third time back to the priority order; ] follows the order shown', async () => {
    const { store } = await worklist();
    const order = () => screen.getAllByTestId('study-row').map((r) => r.dataset.studyUid);
    fireEvent.click(screen.getByTestId('sort-patient'));
    expect(order()).toEqual(['1.2.1', '1.2.9']); // Amy, Zed
    expect(screen.getByTestId('sort-patient').closest('th')!.getAttribute('aria-sort')).toBe('ascending');
    fireEvent.click(screen.getByTestId('sort-patient'));
    expect(order()).toEqual(['1.2.9', '1.2.1']);
    fireEvent.click(screen.getByTestId('sort-date'));
    expect(order()).toEqual(['1.2.1', '1.2.9']); // newest first
    expect(screen.getByTestId('sort-date').textContent).toBe('Date▼');
    // The study after the open one (1.2.9) in the order shown: none, it is last.
    await act(() => store.getState().nextStudy());
    expect(store.getState().selectedStudyUid).toBe('1.2.9');
    await act(() => store.getState().prevStudy());
    expect(store.getState().selectedStudyUid).toBe('1.2.1');
    fireEvent.click(screen.getByTestId('sort-date'));
    fireEvent.click(screen.getByTestId('sort-date'));
    expect(order()).toEqual(['1.2.9', '1.2.1']);
    expect(store.getState().sortKey).toBeNull();
  });

  it('studies opened are read (kept in the browser), the others bold; u marks the open one unread again', async () => {
    const { store } = await worklist();
    const read = () => screen.getAllByTestId('study-row').map((r) => r.dataset.read);
    // The top study opened by itself.
    expect(read()).toEqual(['true', 'false']);
    expect(screen.getAllByTestId('study-row')[1]!.classList.contains('unread')).toBe(true);
    fireEvent.click(screen.getAllByTestId('study-row')[1]!);
    await waitFor(() => expect(read()).toEqual(['true', 'true']));
    act(() => store.getState().toggleRead());
    expect(read()).toEqual(['true', 'false']);
    expect(JSON.parse(localStorage.getItem('ich-viewer.read-studies')!)).toEqual(['1.2.9']);
    // A new page (a new store) remembers them.
    cleanup();
    await worklist();
    expect(read()).toEqual(['true', 'false']);
  });

  it('the filter box queries the engine and shows what it returns', async () => {
    const { client } = await worklist();
    fireEvent.change(screen.getByLabelText('Filter studies'), { target: { value: 'amy' } });
    await waitFor(() => expect(screen.getAllByTestId('study-row').map((r) => r.dataset.studyUid)).toEqual(['1.2.1']));
    expect(client.calls.at(-1)).toEqual({ method: 'listStudies', arg: { filter: 'amy', threshold: 0.5 } });
  });

  it('a click selects the study and lists its series', async () => {
    const { store } = await worklist();
    fireEvent.click(screen.getAllByTestId('study-row')[0]!);
    await waitFor(() => expect(store.getState().series?.seriesUid).toBe('1.2.9.1'));
    expect(screen.getAllByRole('button', { name: /axial|thin/ })).toHaveLength(2);
  });

  it('the files the scans could not index show folded under their count, and refresh when a scan ends', async () => {
    const { client, store } = await worklist();
    await act(() => store.getState().loadProblems());
    expect(screen.queryByTestId('scan-problems')).toBeNull();
    client.problems.push({ path: '/data/ct/notes.txt', kind: 'not_dicom', message: 'no DICM prefix at byte 128' });
    const base = { type: 'job', jobId: 'scan-9', kind: 'scan', stage: 'scan', total: 3 } as const;
    act(() => store.getState().onJobEvent({ ...base, done: 1, status: 'running' }));
    act(() => store.getState().onJobEvent({ ...base, done: 3, status: 'done', result: { indexed: 2, unchanged: 0, removed: 0, problems: 1 } }));
    await waitFor(() => expect(screen.getByTestId('scan-problems').dataset.count).toBe('1'));
    expect(screen.getByTestId('scan-problems').querySelector('summary')!.textContent).toBe('1 file not indexed');
    const item = screen.getByTestId('scan-problem');
    expect(item.dataset.kind).toBe('not_dicom');
    expect(item.textContent).toBe('notes.txt not dicomno DICM prefix at byte 128');
    expect(item.title).toBe('/data/ct/notes.txt: no DICM prefix at byte 128');
  });

  it('adding a folder calls the engine and clears the entry', async () => {
    const { client } = await worklist();
    fireEvent.change(screen.getByLabelText('Folder to add'), { target: { value: '/data/new' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    await waitFor(() => expect(client.calls.some((c) => c.method === 'addFolder' && c.arg === '/data/new')).toBe(true));
    await waitFor(() => expect((screen.getByLabelText('Folder to add') as HTMLInputElement).value).toBe(''));
  });

  it('a folder the engine refuses: its one-line reason shows, the entry stays, no job', async () => {
    const { client, store } = await worklist();
    client.addFolder = (p) => (client.calls.push({ method: 'addFolder', arg: p }), Promise.reject(new Error(`addFolder: data folder ${p} does not exist`)));
    fireEvent.change(screen.getByLabelText('Folder to add'), { target: { value: '/nonexistent' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    await waitFor(() => expect(store.getState().error).toBe('addFolder: data folder /nonexistent does not exist'));
    expect((screen.getByLabelText('Folder to add') as HTMLInputElement).value).toBe('/nonexistent');
    expect(screen.queryByTestId('job')).toBeNull();
  });
});

/** Two studies with predictions and two without (maxAnySafe and maxAnyRisky null), in the API's order. */
const NEW: StudyRow[] = ['1.3.1', '1.3.2'].map((studyUid, i) => ({
  studyUid, patientId: `N${i}`, patientName: `New${i}`, studyDate: '20240401', description: 'CT HEAD', seriesCount: 1, sliceCount: 3,
  maxAnySafe: null, maxAnyRisky: null, flagged: false,
}));

async function worklistWithVersion(active: string | null) {
  const r = renderWithStore((client) => {
    if (active) client.versions.push(versionOf(active, 'active'));
    client.listStudies = (q) => (client.calls.push({ method: 'listStudies', arg: q }), Promise.resolve([...STUDIES, ...NEW]));
    return <Worklist />;
  });
  await act(() => Promise.all([r.store.getState().loadStudies(), r.store.getState().loadActiveVersion()]));
  return r;
}

const listCalls = (client: FakeClient) => client.calls.filter((c) => c.method === 'listStudies').length;

describe('Worklist: the model version and predict actions', () => {
  it('the header names the active version (info().activeVersion); none before the first', async () => {
    await worklistWithVersion('v2');
    expect(screen.getByTestId('worklist-version').textContent).toBe('model v2');
    cleanup();
    await worklistWithVersion(null);
    expect(screen.getByTestId('worklist-version').textContent).toBe('no model version');
    expect(screen.queryByTestId('version-trained-on')).toBeNull();
  });

  it('says what the active models were trained on when the version records it (the demo: synthetic phantoms only)', async () => {
    const r = renderWithStore((client) => {
      client.versions.push({ ...versionOf('v1', 'active'), fingerprint: { demo: true, trainedOn: 'synthetic head-CT phantoms only (ich synth), not real CT; 300 studies' } });
      return <Worklist />;
    });
    await act(() => Promise.all([r.store.getState().loadStudies(), r.store.getState().loadActiveVersion()]));
    expect(screen.getByTestId('version-trained-on').textContent).toBe('Trained on synthetic head-CT phantoms only (ich synth), not real CT');
  });

  it('studies without predictions get Predict while a version is active; predicted ones keep their numbers', async () => {
    const { client, store } = await worklistWithVersion('v1');
    expect(screen.queryByTestId('predict-study-1.2.9')).toBeNull();
    expect(screen.getByTestId('predict-study-1.3.1').textContent).toBe('Predict');
    fireEvent.click(screen.getByTestId('predict-study-1.3.2'));
    await waitFor(() => expect(client.calls.find((c) => c.method === 'predictStudies')?.arg).toEqual({ studyUids: ['1.3.2'] }));
    // the click does not open the study (the top one, opened by itself, stays)
    expect(store.getState().selectedStudyUid).toBe('1.2.9');
    expect(store.getState().predictRequests).toEqual({ 'predict-1': ['1.3.2'] });
    expect(screen.getByTestId('predict-missing').textContent).toBe('Predict all unpredicted (2)');
    fireEvent.click(screen.getByTestId('predict-missing'));
    await waitFor(() => expect(client.calls.filter((c) => c.method === 'predictStudies').map((c) => c.arg)).toEqual([{ studyUids: ['1.3.2'] }, {}]));
  });

  it('without an active version: no Predict actions', async () => {
    await worklistWithVersion(null);
    expect(screen.queryByTestId('predict-study-1.3.1')).toBeNull();
    expect(screen.queryByTestId('predict-missing')).toBeNull();
    expect(screen.getAllByTestId('study-row')[2]!.textContent).toContain('–');
  });

  it('a predict job shows its progress like a scan; its studies wait; when it is done the worklist and open series refresh', async () => {
    const { client, store } = await worklistWithVersion('v1');
    await act(() => store.getState().selectStudy('1.2.9'));
    fireEvent.click(screen.getByTestId('predict-study-1.3.1'));
    await waitFor(() => expect(store.getState().predictRequests['predict-1']).toEqual(['1.3.1']));
    const base = { type: 'job', jobId: 'predict-1', kind: 'predict', stage: 'predict' } as const satisfies Partial<JobEvent>;
    act(() => store.getState().onJobEvent({ ...base, done: 0, total: 0, status: 'queued' }));
    act(() => store.getState().onJobEvent({ ...base, done: 12, total: 30, status: 'running' }));
    const job = screen.getByTestId('job');
    expect(job.dataset).toMatchObject({ kind: 'predict', status: 'running', jobId: 'predict-1' });
    expect(job.textContent).toContain('predict 12/30 · running');
    expect(job.querySelector('progress')!.value).toBe(12);
    expect(job.querySelector('progress')!.max).toBe(30);
    // the study being predicted waits; the other one does not
    expect((screen.getByTestId('predict-study-1.3.1') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('predict-study-1.3.1').textContent).toBe('Predicting…');
    expect((screen.getByTestId('predict-study-1.3.2') as HTMLButtonElement).disabled).toBe(false);
    const [studies, preds] = [listCalls(client), client.calls.filter((c) => c.method === 'getPredictions').length];
    act(() => store.getState().onJobEvent({ ...base, done: 30, total: 30, status: 'done', predicted: 30 }));
    expect(screen.getByTestId('job').textContent).toContain('predict 30/30 · done · 30 slices predicted');
    await waitFor(() => expect(listCalls(client)).toBe(studies + 1));
    await waitFor(() => expect(client.calls.filter((c) => c.method === 'getPredictions').length).toBe(preds + 1));
  });

  it('the engine\'s own predict job (after Add folder) covers every unpredicted study', async () => {
    const { store } = await worklistWithVersion('v1');
    act(() => store.getState().onJobEvent({ type: 'job', jobId: 'predict-7', kind: 'predict', stage: 'predict', done: 1, total: 9, status: 'running' }));
    expect((screen.getByTestId('predict-study-1.3.1') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('predict-study-1.3.2') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('predict-missing') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('job').dataset.kind).toBe('predict');
  });

  it('a refused predict request is the app\'s one-line error', async () => {
    const { client, store } = await worklistWithVersion('v1');
    client.predictStudies = () => Promise.reject(new Error('predictStudies: no active model version to predict with'));
    fireEvent.click(screen.getByTestId('predict-missing'));
    await waitFor(() => expect(store.getState().error).toBe('predictStudies: no active model version to predict with'));
    expect(store.getState().predictRequests).toEqual({});
  });
});
