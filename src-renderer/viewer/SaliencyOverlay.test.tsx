// @vitest-environment jsdom
// Key H and the saliency overlay with the fake engine: the map asked for the current slice and its top label,
// the legend, the label chooser, the cache per version, slice and label, H again to hide it. (Drawing is the
// browser test's: e2e/saliency.e2e.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { App } from '../app/App.tsx';
import { renderWithStore } from '../test/render.tsx';
import { topLabel } from '../state/saliency-slice.ts';
import { heatRgba, jet } from './SaliencyOverlay.tsx';

afterEach(cleanup);

const saliencyCalls = (calls: { method: string; arg: unknown }[]) => calls.filter((c) => c.method === 'getSaliency').map((c) => c.arg);

async function openStudy() {
  const r = renderWithStore((client) => <App client={client} />);
  await waitFor(() => expect(screen.getAllByTestId('study-row')).toHaveLength(2));
  fireEvent.click(screen.getAllByTestId('study-row')[0]!);
  await waitFor(() => expect(screen.getByTestId('viewport').dataset.status).toBe('ready'));
  return r;
}

describe('saliency overlay (key H)', () => {
  it('H shows the map of the slice\'s top label with a legend; the chooser changes the label; H hides it', async () => {
    const { client, store } = await openStudy();
    expect(screen.queryByTestId('saliency-overlay')).toBeNull();
    act(() => store.getState().jumpToSlice(2));
    fireEvent.keyDown(window, { key: 'h' });
    const overlay = await screen.findByTestId('saliency-overlay');
    await waitFor(() => expect(overlay.dataset.state).toBe('ready'));
    // Slice 2 of the fake series: SDH is its top subtype (safe 0.8).
    expect(overlay.dataset).toMatchObject({ label: 'subdural', imageId: '1.2.9.1.2', method: 'smoothgrad', version: 'v1' });
    expect(saliencyCalls(client.calls)).toEqual([{ imageId: '1.2.9.1.2', label: 'subdural' }]);
    expect(screen.getByTestId('saliency-legend').textContent).toContain('SmoothGrad, subdural, model v1');

    const chooser = screen.getByTestId('saliency-label') as HTMLSelectElement;
    expect(chooser.options[0]!.textContent).toBe('top: SDH');
    fireEvent.change(chooser, { target: { value: 'intraparenchymal' } });
    await waitFor(() => expect(overlay.dataset.label).toBe('intraparenchymal'));
    await waitFor(() => expect(overlay.dataset.state).toBe('ready'));
    expect(screen.getByTestId('saliency-legend').textContent).toContain('SmoothGrad, intraparenchymal, model v1');

    // Back to the top label: from the cache, no new call.
    fireEvent.change(chooser, { target: { value: '' } });
    await waitFor(() => expect(overlay.dataset.label).toBe('subdural'));
    expect(overlay.dataset.state).toBe('ready');
    expect(saliencyCalls(client.calls)).toHaveLength(2);

    fireEvent.keyDown(window, { key: 'h' });
    expect(screen.queryByTestId('saliency-overlay')).toBeNull();
    expect(store.getState().saliencyOn).toBe(false);
  });

  it('follows the slice (one call per slice and label), and says why when the engine cannot make a map', async () => {
    const { client, store } = await openStudy();
    act(() => store.getState().jumpToSlice(0));
    fireEvent.keyDown(window, { key: 'h' });
    const overlay = await screen.findByTestId('saliency-overlay');
    await waitFor(() => expect(overlay.dataset.imageId).toBe('1.2.9.1.0'));
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(overlay.dataset.imageId).toBe('1.2.9.1.1'));
    fireEvent.keyDown(window, { key: 'ArrowUp' });
    await waitFor(() => expect(overlay.dataset.imageId).toBe('1.2.9.1.0'));
    expect(saliencyCalls(client.calls)).toEqual([{ imageId: '1.2.9.1.0', label: 'subdural' }, { imageId: '1.2.9.1.1', label: 'subdural' }]);

    client.getSaliency = () => Promise.reject(new Error('no active model version to compute a saliency map with'));
    act(() => store.getState().jumpToSlice(3));
    await waitFor(() => expect(overlay.dataset.state).toBe('error'));
    expect(screen.getByTestId('saliency-legend').textContent).toContain('Saliency unavailable: no active model version');
  });
});

describe('topLabel', () => {
  const pred = { imageId: 'x', oof: false, safe: [0.1, 0.3, 0.2, 0.05, 0.25, 0.9], risky: [0.1, 0.2, 0.2, 0.05, 0.6, 0.95] };
  it('is the highest subtype of the ensemble shown (never any), any without a prediction', () => {
    expect(topLabel(pred, 'safe')).toBe('intraparenchymal');
    expect(topLabel(pred, 'risky')).toBe('subdural');
    expect(topLabel(pred, 'compare')).toBe('subdural');
    expect(topLabel(undefined, 'safe')).toBe('any');
    expect(topLabel({ imageId: 'x', oof: false, safe: null, risky: null }, 'compare')).toBe('any');
  });
});

describe('the heat scale', () => {
  it('is transparent up to 0.3, then blue to red with rising opacity, at most half opaque', () => {
    expect(heatRgba(0.1)).toEqual([0, 0, 0, 0]);
    expect(heatRgba(0.3)).toEqual([0, 0, 0, 0]);
    expect(heatRgba(1)).toEqual([...jet(1), 128]);
    expect(jet(0)[2]).toBeGreaterThan(jet(0)[0]);
    expect(jet(1)[0]).toBeGreaterThan(jet(1)[2]);
    expect(heatRgba(0.5)[3]).toBeLessThan(heatRgba(0.8)[3]);
  });
});
