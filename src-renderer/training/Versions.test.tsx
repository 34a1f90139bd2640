// @vitest-environment jsdom
// Model versions in the training panel over the fake engine: a finished job's version beside the active
// one (per stage, per class, worse cells marked), Promote never the default action, the warning and its
// second confirmation, promote and rollback from the versions list, the refreshes a switch causes (worklist,
// open series, list), and the engine's versions event. uPlot is replaced by a stub (jsdom has no canvas).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { App } from '../app/App.tsx';
import { renderWithStore } from '../test/render.tsx';
import { trainState, versionOf, type FakeClient } from '../test/fixtures.ts';
import type { VersionSummary } from '../../src-ml/api/training.ts';

vi.mock('./chart-lib.ts', () => ({
  loadUPlot: async () => class {
    setData() {}
    setSize() {}
    destroy() {}
  },
}));

afterEach(cleanup);

const AFTER_START = '2026-11-30T10:05:00.000Z';

/** The app with the panel open on a workspace with these versions, and a study's series open. */
async function panelWith(versions: VersionSummary[]) {
  const r = renderWithStore((client) => {
    client.versions.push(...versions);
    return <App client={client} />;
  });
  await waitFor(() => expect(screen.getAllByTestId('study-row')).toHaveLength(2));
  await act(() => r.store.getState().selectStudy('1.2.9'));
  fireEvent.click(screen.getByTestId('open-training'));
  await screen.findByTestId('training-panel');
  await waitFor(() => expect(screen.queryAllByTestId(/^version-row-/)).toHaveLength(versions.length));
  await waitFor(() => expect(r.client.calls.some((c) => c.method === 'listVersions')).toBe(true));
  return r;
}

/** A training job that runs, then ends done (the panel's current job). */
function finishJob(client: FakeClient, report?: { version: string }) {
  act(() => client.emit({ type: 'training', state: trainState('train-1') }));
  act(() => client.emit({ type: 'training', state: trainState('train-1', { status: 'done', report: { baseline: 0.2, stages: [], ...report } }) }));
}

const count = (client: FakeClient, method: string) => client.calls.filter((c) => c.method === method).length;
const cell = (stage: string, col: string) => within(screen.getByTestId(`compare-row-${stage}`)).getByText((_, el) => el?.tagName === 'TD' && el.getAttribute('data-col') === col);

describe('model versions in the training panel', () => {
  it('a finished job shows its candidate beside the active version and the baseline; worse cells are marked', async () => {
    const { client } = await panelWith([versionOf('v1', 'active', { safe: 0.1, baseline: 0.18 })]);
    expect(screen.queryByTestId('version-compare')).toBeNull();
    // the run's version appears while it finishes: the list is fetched again when the job ends
    client.versions.unshift(versionOf('v2', 'candidate', { safe: 0.12, risky: 0.25, baseline: 0.2, createdAt: AFTER_START }));
    const before = count(client, 'listVersions');
    finishJob(client);
    await waitFor(() => expect(screen.getByTestId('version-compare').dataset.version).toBe('v2'));
    expect(count(client, 'listVersions')).toBeGreaterThan(before);
    const compare = screen.getByTestId('version-compare');
    expect(compare.dataset.status).toBe('candidate');
    expect(compare.textContent).toContain('v1 stays active until you promote it');
    // rows: the baseline, then every stage in pipeline order
    const rows = within(compare).getAllByTestId(/^compare-row-/).map((r) => r.dataset.testid);
    expect(rows).toEqual(['compare-row-baseline', 'compare-row-base', 'compare-row-pooled-res', 'compare-row-shallow', 'compare-row-shallow-weighted',
      'compare-row-ensemble-safe', 'compare-row-ensemble-risky']);
    expect(cell('baseline', 'candidate').textContent).toBe('0.2000');
    expect(cell('baseline', 'active').textContent).toBe('0.1800');
    // ensemble-safe: better than the prevalence, worse than v1
    expect(cell('ensemble-safe', 'candidate').textContent).toBe('0.1200 ▼');
    expect(cell('ensemble-safe', 'candidate').dataset).toMatchObject({ worseActive: 'true' });
    expect(cell('ensemble-safe', 'candidate').dataset.worseBaseline).toBeUndefined();
    expect(cell('ensemble-safe', 'active').textContent).toBe('0.1000');
    expect(screen.getByTestId('compare-row-ensemble-safe').textContent).toContain('+0.0200');
    // ensemble-risky: worse than the prevalence and than v1
    expect(cell('ensemble-risky', 'candidate').textContent).toBe('0.2500 ▲ ▼');
    expect(cell('ensemble-risky', 'candidate').dataset).toMatchObject({ worseBaseline: 'true', worseActive: 'true' });
    expect(cell('ensemble-risky', 'candidate').className).toContain('worse-baseline');
    // per class, for the two ensembles, beside the prevalence's
    const any = screen.getByTestId('compare-class-ensemble-risky-any');
    expect([...any.querySelectorAll('td')].map((td) => td.textContent)).toEqual(['0.3750 ▲ ▼', '0.1500', '0.3000']);
    expect(screen.getByTestId('compare-class-ensemble-safe-epidural').querySelector('td')!.dataset.worseBaseline).toBeUndefined();
    expect(screen.getByTestId('version-promote').textContent).toBe('Promote v2…');
  });

  it('Promote is not the default action: not focused, not primary, outside the launch form; Enter launches, never promotes', async () => {
    const { client } = await panelWith([versionOf('v1', 'active', { safe: 0.1 })]);
    client.versions.unshift(versionOf('v2', 'candidate', { safe: 0.05, createdAt: AFTER_START }));
    finishJob(client, { version: 'v2' });
    const promote = await screen.findByTestId('version-promote');
    expect(document.activeElement).not.toBe(promote);
    expect(promote.getAttribute('type')).toBe('button');
    expect(promote.className).not.toMatch(/primary/);
    expect(promote.closest('form')).toBeNull();
    expect(promote.hasAttribute('autofocus')).toBe(false);
    // Enter in the form submits the launch
    fireEvent.submit(screen.getByTestId('train-launch').closest('form')!);
    await waitFor(() => expect(count(client, 'startTraining')).toBe(1));
    expect(count(client, 'promoteVersion')).toBe(0);
  });

  it('a candidate better than the active version and the baseline: one click promotes; the worklist, the open series and the list refresh', async () => {
    const { client, store } = await panelWith([versionOf('v1', 'active', { safe: 0.1 })]);
    client.versions.unshift(versionOf('v2', 'candidate', { safe: 0.05, createdAt: AFTER_START }));
    finishJob(client, { version: 'v2' });
    await screen.findByTestId('version-promote');
    expect(screen.getByTestId('worklist-version').textContent).toBe('model v1');
    const [studies, preds] = [count(client, 'listStudies'), count(client, 'getPredictions')];
    fireEvent.click(screen.getByTestId('version-promote'));
    await waitFor(() => expect(store.getState().activeVersion).toBe('v2'));
    expect(screen.queryByTestId('promote-warning')).toBeNull();
    expect(client.calls.filter((c) => c.method === 'promoteVersion').map((c) => c.arg)).toEqual(['v2']);
    await waitFor(() => expect(count(client, 'listStudies')).toBeGreaterThan(studies));
    expect(count(client, 'getPredictions')).toBeGreaterThan(preds);
    await waitFor(() => expect(screen.getByTestId('version-row-v2').dataset.status).toBe('active'));
    expect(screen.getByTestId('version-row-v1').dataset.status).toBe('archived');
    expect(screen.getByTestId('worklist-version').textContent).toBe('model v2');
    expect(store.getState().predictions?.model?.modelVersion).toBe('v2');
    // no Promote for the active version; the heading says so
    expect(screen.queryByTestId('version-promote')).toBeNull();
    expect(screen.getByTestId('version-compare').dataset.status).toBe('active');
  });

  it('a candidate worse than the active version: Promote warns and needs a second, explicit confirmation', async () => {
    const { client, store } = await panelWith([versionOf('v1', 'active', { safe: 0.1 })]);
    client.versions.unshift(versionOf('v2', 'candidate', { safe: 0.12, risky: 0.08, createdAt: AFTER_START }));
    finishJob(client, { version: 'v2' });
    fireEvent.click(await screen.findByTestId('version-promote'));
    const warning = await screen.findByTestId('promote-warning');
    expect(warning.textContent).toContain("v2's ensemble-safe (0.1200) is worse than active v1's (0.1000)");
    expect(count(client, 'promoteVersion')).toBe(0);
    // the focus goes to "keep": Enter keeps the active version
    expect(document.activeElement).toBe(screen.getByTestId('version-promote-cancel'));
    fireEvent.click(screen.getByTestId('version-promote-cancel'));
    expect(screen.queryByTestId('promote-warning')).toBeNull();
    expect(count(client, 'promoteVersion')).toBe(0);
    // asked again and confirmed
    fireEvent.click(screen.getByTestId('version-promote'));
    fireEvent.click(await screen.findByTestId('version-promote-confirm'));
    await waitFor(() => expect(store.getState().activeVersion).toBe('v2'));
    expect(client.calls.filter((c) => c.method === 'promoteVersion').map((c) => c.arg)).toEqual(['v2']);
    expect(screen.queryByTestId('promote-warning')).toBeNull();
  });

  it('a candidate worse than the prevalence baseline warns even as the first version to promote', async () => {
    const { client } = await panelWith([versionOf('v1', 'candidate', { safe: 0.3, risky: 0.1, baseline: 0.2 })]);
    fireEvent.click(screen.getByTestId('version-activate-v1'));
    const warning = await screen.findByTestId('promote-warning');
    expect(warning.textContent).toContain("v1's ensemble-safe (0.3000) is worse than predicting the prevalence (0.2000)");
    expect(count(client, 'promoteVersion')).toBe(0);
  });

  it('the versions list: statuses, rollback with the same warning rule, a failed promote says why', async () => {
    const { client, store } = await panelWith([
      versionOf('v3', 'candidate', { safe: 0.09 }), versionOf('v2', 'active', { safe: 0.08 }), versionOf('v1', 'archived', { safe: 0.11 }),
    ]);
    const list = screen.getByTestId('versions-list');
    expect(within(list).getAllByTestId(/^version-row-/).map((r) => [r.dataset.testid, r.dataset.status]))
      .toEqual([['version-row-v3', 'candidate'], ['version-row-v2', 'active'], ['version-row-v1', 'archived']]);
    expect(screen.queryByTestId('version-activate-v2')).toBeNull();
    expect(screen.getByTestId('version-activate-v3').textContent).toBe('Promote…');
    expect(screen.getByTestId('version-activate-v1').textContent).toBe('Roll back…');
    expect(screen.getByTestId('version-row-v1').textContent).toContain('0.1100');
    // v1 is worse than v2: rolling back asks twice
    fireEvent.click(screen.getByTestId('version-activate-v1'));
    expect((await within(list).findByTestId('promote-warning')).textContent).toContain("v1's ensemble-safe (0.1100) is worse than active v2's (0.0800)");
    fireEvent.click(screen.getByTestId('version-promote-confirm'));
    await waitFor(() => expect(screen.getByTestId('version-row-v1').dataset.status).toBe('active'));
    expect(screen.getByTestId('version-row-v2').dataset.status).toBe('archived');
    expect(store.getState().activeVersion).toBe('v1');
    // a newer archived version is made active again, not "rolled back" to
    expect(screen.getByTestId('version-activate-v2').textContent).toBe('Make active…');
    expect(screen.getByTestId('worklist-version').textContent).toBe('model v1');
    // the engine refuses: its one line shows, nothing changes
    client.promoteVersion = (v) => (client.calls.push({ method: 'promoteVersion', arg: v }), Promise.reject(new Error(`promoteVersion: no version ${v}`)));
    await act(() => store.getState().promoteVersion('v9'));
    expect(screen.getByTestId('versions-error').textContent).toBe('promoteVersion: no version v9');
    expect(store.getState().activeVersion).toBe('v1');
  });

  it('the engine\'s versions event (a promote elsewhere) refreshes the list, the worklist and the open series', async () => {
    const { client, store } = await panelWith([versionOf('v2', 'candidate', { safe: 0.09 }), versionOf('v1', 'active', { safe: 0.08 })]);
    fireEvent.click(screen.getByTestId('version-activate-v2'));
    await screen.findByTestId('promote-warning');
    const [studies, preds] = [count(client, 'listStudies'), count(client, 'getPredictions')];
    client.versions[0]!.status = 'active';
    client.versions[1]!.status = 'archived';
    act(() => client.emit({ type: 'versions', active: 'v2' }));
    await waitFor(() => expect(screen.getByTestId('version-row-v2').dataset.status).toBe('active'));
    expect(screen.getByTestId('worklist-version').textContent).toBe('model v2');
    expect(count(client, 'listStudies')).toBeGreaterThan(studies);
    await waitFor(() => expect(count(client, 'getPredictions')).toBeGreaterThan(preds));
    // a pending warning about the old state is dropped
    expect(screen.queryByTestId('promote-warning')).toBeNull();
    expect(store.getState().predictions?.model?.modelVersion).toBe('v2');
  });

  it('the first version is active by itself: shown alone, no Promote; a run without ensembles made none', async () => {
    const { client } = await panelWith([]);
    expect(screen.getByTestId('versions-list').textContent).toContain('No model version yet');
    client.versions.push(versionOf('v1', 'active', { safe: 0.1, createdAt: AFTER_START }));
    finishJob(client, { version: 'v1' });
    await waitFor(() => expect(screen.getByTestId('version-compare').dataset.version).toBe('v1'));
    expect(screen.getByTestId('version-compare').textContent).toContain('the active version (the workspace\'s first)');
    expect(screen.queryByTestId('version-promote')).toBeNull();
    expect(screen.getByTestId('compare-row-ensemble-safe').querySelectorAll('td')).toHaveLength(1);
    expect(screen.getByTestId('worklist-version').textContent).toBe('model v1');
    act(() => client.emit({ type: 'training', state: trainState('train-2', { request: { preset: 'tiny', stages: ['base'] } }) }));
    act(() => client.emit({ type: 'training', state: trainState('train-2', { request: { preset: 'tiny', stages: ['base'] }, status: 'done', startedAt: '2026-12-01T00:00:00.000Z' }) }));
    await waitFor(() => expect(screen.getByTestId('version-compare').dataset.state).toBe('none'));
    expect(screen.getByTestId('version-compare').textContent).toContain('This run made no model version');
  });
});
