// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { App } from './App.tsx';
import { renderWithStore } from '../test/render.tsx';
import { sliceDetailOf, trainState, versionOf } from '../test/fixtures.ts';
import { KEY_BINDINGS, keyName } from '../state/keymap.ts';

afterEach(cleanup);

async function app() {
  const r = renderWithStore((client) => <App client={client} />);
  await waitFor(() => expect(screen.getAllByTestId('study-row')).toHaveLength(2));
  return r;
}

describe('App: the test hooks and the wiring', () => {
  it('has every hook; the viewport carries series, slice, SOP, window and status', async () => {
    const { store, renderer } = await app();
    for (const id of ['viewport', 'prob-strip', 'ensemble-mode', 'engineering-toggle']) expect(screen.getByTestId(id)).toBeTruthy();
    // The engineering tables wait behind their toggle.
    expect(screen.queryByTestId('metadata-panel')).toBeNull();
    fireEvent.click(screen.getByTestId('engineering-toggle'));
    for (const id of ['metadata-panel', 'ensemble-panel']) expect(screen.getByTestId(id)).toBeTruthy();
    // The top study opens by itself, at its highest-`any` slice (slice 3 of 4).
    const vp = screen.getByTestId('viewport');
    await waitFor(() => expect(vp.dataset.status).toBe('ready'));
    expect(vp.dataset).toMatchObject({ seriesUid: '1.2.9.1', sliceIndex: '2', sopUid: '1.2.9.1.sop2', wc: '40', ww: '80' });
    expect(screen.getAllByTestId('study-row')[0]!.getAttribute('aria-selected')).toBe('true');
    expect(renderer.log.stacks).toEqual([[0, 1, 2, 3].map((i) => `/dicom/1.2.9.1.${i}?token=t`)]);
    expect(screen.getByTestId('viewport').textContent).toContain('Slice 3 / 4');
    fireEvent.keyDown(window, { key: 'Home' });
    await waitFor(() => expect(vp.dataset.sliceIndex).toBe('0'));

    fireEvent.keyDown(window, { key: 'ArrowDown' });
    fireEvent.keyDown(window, { key: '2' });
    await waitFor(() => expect(vp.dataset.status).toBe('ready'));
    expect(vp.dataset).toMatchObject({ sliceIndex: '1', sopUid: '1.2.9.1.sop1', wc: '80', ww: '200' });
    expect(renderer.log.views.at(-1)).toMatchObject({ wc: 80, ww: 200 });

    fireEvent.wheel(vp, { deltaY: 100 });
    expect(store.getState().sliceIndex).toBe(2);
    fireEvent.keyDown(window, { key: 'PageDown' });
    await waitFor(() => expect(vp.dataset.seriesUid).toBe('1.2.9.2'));
  });

  it('the overlay lists the labels above threshold, colour-coded, and follows the ensemble mode', async () => {
    const { store } = await app();
    await waitFor(() => expect(store.getState().series).not.toBeNull());
    act(() => store.getState().jumpToSlice(2));
    const findings = () => [...screen.getByTestId('overlay-findings').querySelectorAll('li')].map((li) => li.textContent);
    expect(findings()).toEqual(['SDH 0.80', 'ANY 0.85']);
    fireEvent.change(screen.getByTestId('ensemble-mode'), { target: { value: 'risky' } });
    expect(store.getState().ensembleMode).toBe('risky');
    expect(findings()).toEqual(['SDH 0.90', 'ANY 0.95']);
    fireEvent.change(screen.getByTestId('ensemble-mode'), { target: { value: 'compare' } });
    expect(findings()).toEqual(['SDH S 0.80 · R 0.90', 'ANY S 0.85 · R 0.95']);
    expect([...(screen.getByTestId('ensemble-mode') as HTMLSelectElement).options].map((o) => o.value)).toEqual(['safe', 'risky', 'compare']);
  });

  it('the panels show the current slice: fields, features raw and scaled, members, bounding, blend weights', async () => {
    await app();
    fireEvent.keyDown(window, { key: 'e' });
    await waitFor(() => expect(screen.getByTestId('metadata-features')).toBeTruthy());
    const meta = screen.getByTestId('metadata-panel');
    expect(meta.textContent).toContain('KVP');
    const feature = screen.getByTestId('metadata-features').querySelector('tbody tr')!;
    expect(feature.textContent).toBe('f_bool10.5000');
    const members = screen.getAllByTestId('ensemble-member');
    expect(members.map((m) => m.dataset.member)).toEqual(['m1', 'm2']);
    expect(members[0]!.querySelector('[data-bounded="raised"]')).not.toBeNull();
    expect(members[1]!.querySelector('[data-bounded]')).toBeNull();
    expect(screen.getByTestId('blend-weights').textContent).toContain('0.60 / 0.40');
    expect(screen.getByTestId('blend-weights').textContent).toContain('0.30 / 0.70');
  });

  it('a press on the image takes the keyboard from the control used before: Up/Down move the slice, not the ensemble', async () => {
    const { store } = await app();
    const vp = screen.getByTestId('viewport');
    await waitFor(() => expect(vp.dataset.status).toBe('ready'));
    const select = screen.getByTestId('ensemble-mode') as HTMLSelectElement;
    select.focus();
    fireEvent.change(select, { target: { value: 'compare' } });
    // On the select, arrows are the select's.
    fireEvent.keyDown(select, { key: 'ArrowDown' });
    expect(store.getState().sliceIndex).toBe(2);
    fireEvent.mouseDown(vp, { button: 0 });
    expect(document.activeElement).toBe(vp);
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    expect(store.getState().sliceIndex).toBe(3);
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    expect(store.getState().sliceIndex).toBe(1);
    expect(store.getState().ensembleMode).toBe('compare');
  });

  it('? opens the help sheet generated from the key map; ? or Escape closes it, keys rest meanwhile', async () => {
    const { store } = await app();
    await waitFor(() => expect(store.getState().series).not.toBeNull());
    fireEvent.keyDown(window, { key: '?' });
    const sheet = screen.getByTestId('help-sheet');
    const rows = screen.getAllByTestId('help-binding');
    expect(rows.length).toBe(KEY_BINDINGS.length);
    expect(rows.map((r) => r.dataset.keys)).toEqual(KEY_BINDINGS.map((b) => b.keys.map(keyName).join(' ')));
    const n = rows.find((r) => r.dataset.keys === 'Shift+N')!;
    expect(n.textContent).toContain('Shift+N');
    expect(n.textContent).toContain('Previous flagged slice');
    expect(sheet.textContent).toContain('Space');
    const at = store.getState().sliceIndex;
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    expect(store.getState().sliceIndex).toBe(at);
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('help-sheet')).toBeNull();
    fireEvent.click(screen.getByTestId('open-help'));
    expect(screen.getByTestId('help-sheet')).toBeTruthy();
    fireEvent.keyDown(window, { key: '?' });
    expect(screen.queryByTestId('help-sheet')).toBeNull();
  });

  it('the HU under the pointer shows as "<value> HU" and goes when the pointer leaves', async () => {
    await app();
    const vp = screen.getByTestId('viewport');
    await waitFor(() => expect(vp.dataset.status).toBe('ready'));
    expect(screen.queryByTestId('hu-probe')).toBeNull();
    fireEvent.mouseMove(vp, { clientX: 20, clientY: 30 });
    expect(screen.getByTestId('hu-probe').textContent).toBe('-980 HU');
    expect(screen.getByTestId('hu-probe').dataset).toMatchObject({ column: '20', row: '30' });
    fireEvent.mouseMove(vp, { clientX: 200, clientY: 30 });
    expect(screen.queryByTestId('hu-probe')).toBeNull();
    fireEvent.mouseMove(vp, { clientX: 5, clientY: 5 });
    expect(screen.getByTestId('hu-probe').textContent).toBe('-995 HU');
    fireEvent.mouseLeave(vp);
    expect(screen.queryByTestId('hu-probe')).toBeNull();
  });

  it('the overlay names the patient, age, sex, study date and time and series, with orientation markers', async () => {
    const { client, store } = await app();
    client.getSliceDetail = async (imageId) => ({
      ...sliceDetailOf(imageId),
      header: {
        '0010,0010': 'Doe^Jane', '0010,0020': 'P9', '0010,1010': '067Y', '0010,0040': 'F', '0008,0020': '20240102', '0008,0030': '134501.5',
        '0020,0011': '2', '0008,103E': 'HEAD 5mm', '0020,0037': '1\\0\\0\\0\\1\\0',
      },
    });
    await waitFor(() => expect(store.getState().series).not.toBeNull());
    await act(() => store.getState().loadSliceDetail(store.getState().series!.slices[store.getState().sliceIndex]!.imageId));
    const patient = screen.getByTestId('overlay-patient');
    expect([...patient.children].map((c) => c.textContent)).toEqual(['Doe Jane', 'P9 · age 67 y · sex F', '2024-01-02 13:45', '#2 HEAD 5mm']);
    const markers = Object.fromEntries(screen.getAllByTestId('orientation-marker').map((m) => [m.dataset.side, m.textContent]));
    expect(markers).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
  });

  it('a series with the broken-intercept header carries a warning: HU as written, as the model read them', async () => {
    const { client, store } = await app();
    const header = { '0028,0103': '0', '0028,1052': '1', '0010,0020': 'P9' };
    client.getSliceDetail = async (imageId) => ({ ...sliceDetailOf(imageId), header });
    await waitFor(() => expect(store.getState().series).not.toBeNull());
    const imageId = () => store.getState().series!.slices[store.getState().sliceIndex]!.imageId;
    await act(() => store.getState().loadSliceDetail(imageId()));
    expect(screen.getByTestId('intercept-warning').textContent).toContain('Broken-intercept header (unsigned, intercept 1)');
    // Signed pixels, or the usual -1024: no warning.
    header['0028,0103'] = '1';
    client.getSliceDetail = async (id) => ({ ...sliceDetailOf(id), header: { ...header } });
    await act(() => store.getState().loadSliceDetail(imageId()));
    expect(screen.queryByTestId('intercept-warning')).toBeNull();
    client.getSliceDetail = async (id) => ({ ...sliceDetailOf(id), header: { '0028,0103': '0', '0028,1052': '-1024' } });
    await act(() => store.getState().loadSliceDetail(imageId()));
    expect(screen.queryByTestId('intercept-warning')).toBeNull();
  });

  it('job events from the engine show a progress bar', async () => {
    const { client } = await app();
    act(() => client.emit({ type: 'job', jobId: 'job-1', kind: 'scan', stage: 'scan', done: 4, total: 10, status: 'running' }));
    const job = screen.getByTestId('job');
    expect(job.dataset.status).toBe('running');
    expect(job.querySelector('progress')!.value).toBe(4);
  });

  it('every engine event reaches the store: scan and predict jobs, training jobs, model versions; an unknown one is ignored', async () => {
    const { client, store } = await app();
    act(() => client.emit({ type: 'job', jobId: 'predict-2', kind: 'predict', stage: 'predict', done: 3, total: 9, status: 'running' }));
    expect(screen.getByTestId('job').dataset).toMatchObject({ kind: 'predict', status: 'running' });
    expect(screen.getByTestId('job').textContent).toContain('predict 3/9');
    act(() => client.emit({ type: 'training', state: trainState('train-1') }));
    expect(store.getState().trainingJobs.map((j) => j.jobId)).toEqual(['train-1']);
    client.versions.push(versionOf('v4', 'active'));
    act(() => client.emit({ type: 'versions', active: 'v4' }));
    expect(store.getState().activeVersion).toBe('v4');
    await waitFor(() => expect(screen.getByTestId('worklist-version').textContent).toBe('model v4'));
    act(() => client.emit({ type: 'bogus' } as never));
    expect(store.getState().error).toBeNull();
  });

  it('an engine error shows as one line', async () => {
    const { store } = await app();
    await act(() => store.getState().selectSeries('nope'));
    expect(screen.getByRole('alert').textContent).toContain('getSeries: no series nope');
  });
});
