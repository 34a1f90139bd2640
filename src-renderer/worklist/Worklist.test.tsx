// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { Worklist } from './Worklist.tsx';
import { renderWithStore } from '../test/render.tsx';

afterEach(cleanup);

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
