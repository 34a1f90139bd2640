// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { App } from './App.tsx';
import { renderWithStore } from '../test/render.tsx';
import { trainState, versionOf } from '../test/fixtures.ts';

afterEach(cleanup);

async function app() {
  const r = renderWithStore((client) => <App client={client} />);
  await waitFor(() => expect(screen.getAllByTestId('study-row')).toHaveLength(2));
  return r;
}

describe('App: the test hooks and the wiring', () => {
  it('has every hook; the viewport carries series, slice, SOP, window and status', async () => {
    const { store, renderer } = await app();
    for (const id of ['viewport', 'prob-strip', 'ensemble-mode', 'metadata-panel', 'ensemble-panel']) expect(screen.getByTestId(id)).toBeTruthy();
    const vp = screen.getByTestId('viewport');
    expect(vp.dataset.status).toBe('loading');
    fireEvent.click(screen.getAllByTestId('study-row')[0]!);
    await waitFor(() => expect(vp.dataset.status).toBe('ready'));
    expect(vp.dataset).toMatchObject({ seriesUid: '1.2.9.1', sliceIndex: '0', sopUid: '1.2.9.1.sop0', wc: '40', ww: '80' });
    expect(renderer.log.stacks).toEqual([[0, 1, 2, 3].map((i) => `/dicom/1.2.9.1.${i}?token=t`)]);
    expect(screen.getByTestId('viewport').textContent).toContain('Slice 1 / 4');

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
    fireEvent.click(screen.getAllByTestId('study-row')[0]!);
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
    fireEvent.click(screen.getAllByTestId('study-row')[0]!);
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
