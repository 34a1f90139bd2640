// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { Worklist } from './Worklist.tsx';
import { renderWithStore } from '../test/render.tsx';
import { STUDIES } from '../test/fixtures.ts';
import type { KeyImage, StudyRow } from '../../src-ml/api/engine.ts';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

const key = (seriesUid: string, i: number, pAny: number): KeyImage => ({
  seriesUid, imageId: `${seriesUid}.${i}`, frame: null, dicomUrl: `/dicom/${seriesUid}.${i}?token=t`, pAny,
});
const WITH_KEYS: StudyRow[] = [
  { ...STUDIES[0]!, studyTime: '142305.123', keyImages: [key('1.2.9.1', 2, 0.95), key('1.2.9.2', 1, 0.6), key('1.2.9.1', 0, 0.2)] },
  STUDIES[1]!,
];

describe('KeyImages', () => {
  it('the open study\'s top slices as thumbnails at the brain window; a click opens that series and slice; the row shows the study time', async () => {
    const { store, client, renderer } = renderWithStore(() => <Worklist />);
    client.listStudies = () => Promise.resolve(WITH_KEYS);
    await act(() => store.getState().loadStudies());
    await waitFor(() => expect(store.getState().series?.seriesUid).toBe('1.2.9.1'));
    const strip = screen.getByTestId('key-images');
    const thumbs = [...strip.querySelectorAll<HTMLElement>('[data-testid="key-image"]')];
    expect(thumbs.map((t) => t.dataset.imageId)).toEqual(['1.2.9.1.2', '1.2.9.2.1', '1.2.9.1.0']);
    expect(thumbs.map((t) => t.textContent)).toEqual(['0.95', '0.60', '0.20']);
    // Each thumbnail is a one-image stack of its own, drawn at brain (40 / 80).
    for (const k of WITH_KEYS[0]!.keyImages!) expect(renderer.log.stacks).toContainEqual([k.dicomUrl]);
    await waitFor(() => expect(strip.querySelectorAll('[data-testid="key-thumb"][data-status="ready"]')).toHaveLength(3));
    // The study opens at its highest-any slice: the first key image is the current one.
    expect(thumbs[0]!.className).toBe('selected');

    fireEvent.click(thumbs[1]!);
    await waitFor(() => expect(store.getState().series?.seriesUid).toBe('1.2.9.2'));
    await waitFor(() => expect(store.getState().sliceIndex).toBe(1));
    fireEvent.click(screen.getAllByTestId('key-image')[2]!);
    await waitFor(() => expect(store.getState().series?.seriesUid).toBe('1.2.9.1'));
    await waitFor(() => expect(store.getState().sliceIndex).toBe(0));

    const row = screen.getAllByTestId('study-row')[0]!;
    expect(row.querySelector('[data-testid="study-time"]')!.textContent).toBe('14:23');
    expect(screen.getAllByTestId('study-row')[1]!.querySelector('[data-testid="study-time"]')).toBeNull();
  });

  it('no strip for a study without key images', async () => {
    const { store } = renderWithStore(() => <Worklist />);
    await act(() => store.getState().loadStudies());
    await act(() => store.getState().selectStudy('1.2.1'));
    expect(screen.queryByTestId('key-images')).toBeNull();
  });
});
