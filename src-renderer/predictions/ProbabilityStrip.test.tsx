// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { ProbabilityStrip } from './ProbabilityStrip.tsx';
import { SliceNumbers } from './SliceNumbers.tsx';
import { renderWithStore } from '../test/render.tsx';
import { versionOf } from '../test/fixtures.ts';

afterEach(cleanup);

async function stripOnSeries() {
  const r = renderWithStore(() => <><ProbabilityStrip /><SliceNumbers /></>);
  await act(() => r.store.getState().selectStudy('1.2.9'));
  act(() => r.store.getState().firstSlice());
  return r;
}

describe('ProbabilityStrip', () => {
  it('has one cell per label and slice, the current slice marked', async () => {
    const { store } = await stripOnSeries();
    const strip = screen.getByTestId('prob-strip');
    expect(strip.dataset.state).toBe('ready');
    const cells = screen.getAllByTestId('strip-cell');
    expect(cells).toHaveLength(6 * 4);
    const current = cells.filter((c) => c.dataset.current === 'true');
    expect(current).toHaveLength(6);
    expect(new Set(current.map((c) => c.dataset.slice))).toEqual(new Set(['0']));
    act(() => store.getState().nextSlice());
    expect(screen.getAllByTestId('strip-cell').filter((c) => c.dataset.current === 'true').map((c) => c.dataset.slice)).toEqual(Array(6).fill('1'));
  });

  it('a click on a cell jumps to its slice', async () => {
    const { store } = await stripOnSeries();
    const cell = screen.getAllByTestId('strip-cell').find((c) => c.dataset.slice === '3' && c.dataset.label === 'any')!;
    fireEvent.click(cell);
    expect(store.getState().sliceIndex).toBe(3);
  });

  it('compare mode keeps six rows: each cell holds safe, risky and their difference (drawn between them); values above threshold are marked', async () => {
    const { store } = await stripOnSeries();
    act(() => store.getState().toggleEnsembleMode('compare'));
    const cells = screen.getAllByTestId('strip-cell');
    expect(cells).toHaveLength(3 * 6 * 4);
    expect(new Set(cells.map((c) => c.dataset.source))).toEqual(new Set(['safe', 'risky', 'diff']));
    // Six label rows, one threshold tick each; the three values of a label and slice share one column.
    expect(screen.getAllByTestId('threshold-tick')).toHaveLength(6);
    const column = cells.find((c) => c.dataset.label === 'subdural' && c.dataset.slice === '2')!.parentElement!;
    expect([...column.children].map((c) => (c as HTMLElement).dataset.source)).toEqual(['safe', 'risky', 'diff']);
    const above = cells.filter((c) => c.classList.contains('above')).map((c) => `${c.dataset.source}:${c.dataset.label}:${c.dataset.slice}`);
    expect(above.sort()).toEqual(['risky:any:2', 'risky:subdural:2', 'safe:any:2', 'safe:subdural:2']);
  });

  it('shows the current numbers, threshold ticks, the model and "research use only"', async () => {
    const { store } = await stripOnSeries();
    act(() => store.getState().jumpToSlice(2));
    const row = screen.getByTestId('strip-current').querySelector('tr[data-label="subdural"]')!;
    expect(row.textContent).toContain('0.80');
    expect(row.textContent).toContain('0.90');
    expect(row.textContent).toContain('+0.10');
    // A difference that rounds to zero reads 0.00, never -0.00.
    expect(screen.getByTestId('strip-current').querySelector('tr[data-label="epidural"]')!.textContent).toContain('0.00');
    expect(screen.getByTestId('strip-current').textContent).not.toContain('-0.00');
    expect(screen.getAllByTestId('threshold-tick')).toHaveLength(6);
    expect(screen.getByTestId('prob-strip').textContent).toContain('ich-ensemble · ensemble abc123 · trained 2026-11-01');
    expect(screen.getByTestId('prob-strip').textContent).toMatch(/research use only/i);
  });

  it('says so when the workspace has no predictions for the series', async () => {
    const { store } = await stripOnSeries();
    const p = store.getState().predictions!;
    act(() => store.setState({ predictions: { ...p, model: null, slices: p.slices.map((x) => ({ ...x, safe: null, risky: null })) } }));
    expect(screen.getByTestId('prob-strip').dataset.state).toBe('empty');
    expect(screen.queryAllByTestId('strip-cell')).toHaveLength(0);
    expect(screen.getByTestId('prob-strip').textContent).toMatch(/no predictions/i);
    expect(screen.queryByTestId('strip-version')).toBeNull();
    expect(screen.queryByTestId('strip-predict')).toBeNull();
  });

  it('names the model version its predictions come from, and the new one after a switch', async () => {
    const r = renderWithStore((client) => {
      client.versions.push(versionOf('v2', 'active'), versionOf('v1', 'archived'));
      return <ProbabilityStrip />;
    });
    await act(() => r.store.getState().selectStudy('1.2.9'));
    expect(screen.getByTestId('strip-version').textContent).toBe('model v2');
    expect(screen.getByTestId('strip-version').dataset.version).toBe('v2');
    r.client.versions[0]!.status = 'archived';
    r.client.versions[1]!.status = 'active';
    await act(() => r.store.getState().reloadPredictions());
    expect(screen.getByTestId('strip-version').textContent).toBe('model v1');
  });

  it('no predictions for the series while a version is active: says which, and offers Predict for its study', async () => {
    const r = renderWithStore((client) => {
      client.versions.push(versionOf('v3', 'active'));
      return <ProbabilityStrip />;
    });
    await act(() => Promise.all([r.store.getState().selectStudy('1.2.9'), r.store.getState().loadActiveVersion()]));
    const p = r.store.getState().predictions!;
    act(() => r.store.setState({ predictions: { ...p, slices: p.slices.map((x) => ({ ...x, safe: null, risky: null })) } }));
    expect(screen.getByTestId('prob-strip').dataset.state).toBe('empty');
    expect(screen.getByTestId('strip-version').textContent).toBe('model v3');
    fireEvent.click(screen.getByTestId('strip-predict'));
    await waitFor(() => expect(r.client.calls.find((c) => c.method === 'predictStudies')?.arg).toEqual({ studyUids: ['1.2.9'] }));
  });
});
