// @vitest-environment jsdom
// The training panel over the fake engine: launch with the chosen data/preset/stages, live progress from
// training events, cancel, resume (the same request again), the run history, one-line errors, and the
// worklist refreshed when a job ends done. uPlot is replaced by a recorder (jsdom has no canvas).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { App } from '../app/App.tsx';
import { renderWithStore } from '../test/render.tsx';
import { trainState } from '../test/fixtures.ts';
import { PIPELINE_STAGES } from '../../src-shared/stages.ts';
import { fmtEta, validationSeries } from './TrainingPanel.tsx';

const plots = vi.hoisted(() => ({ made: [] as { data: unknown[][]; destroyed: boolean }[] }));
vi.mock('./chart-lib.ts', () => ({
  loadUPlot: async () => class {
    rec: { data: unknown[][]; destroyed: boolean };
    constructor(_opts: unknown, data: unknown[][]) {
      this.rec = { data, destroyed: false };
      plots.made.push(this.rec);
    }
    setData(d: unknown[][]) { this.rec.data = d; }
    setSize() {}
    destroy() { this.rec.destroyed = true; }
  },
}));

afterEach(() => {
  cleanup();
  plots.made.length = 0;
});

async function openPanel() {
  const r = renderWithStore((client) => <App client={client} />);
  await waitFor(() => expect(screen.getAllByTestId('study-row')).toHaveLength(2));
  fireEvent.click(screen.getByTestId('open-training'));
  await screen.findByTestId('training-panel');
  return r;
}

const stageStates = () => Object.fromEntries(screen.getAllByTestId('train-stage').map((li) => [li.dataset.stage, li.dataset.state]));
const batch = { type: 'batch', runId: 'r1', stage: 'base', model: 'tiny-se-resnext', fold: 1, epoch: 2, epochs: 8, batch: 3, batches: 5,
  loss: 0.4321, lr: 1e-3, imagesPerSec: 37.25, etaSec: 125, backend: 'wasm' } as const;

describe('training panel', () => {
  it('opens from the toolbar and by key T, closes with Escape', async () => {
    const { store } = renderWithStore((client) => <App client={client} />);
    await waitFor(() => expect(screen.getAllByTestId('study-row')).toHaveLength(2));
    expect(screen.queryByTestId('training-panel')).toBeNull();
    fireEvent.keyDown(window, { key: 't' });
    expect(screen.getByTestId('training-panel')).toBeTruthy();
    // the viewer's keys rest while the panel shows
    fireEvent.keyDown(window, { key: '2' });
    expect(store.getState().preset).toBe(1);
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('training-panel')).toBeNull();
    fireEvent.click(screen.getByTestId('open-training'));
    expect(screen.getByTestId('training-panel')).toBeTruthy();
  });

  it('launches with this workspace\'s data, the preset and the checked stages', async () => {
    const { client } = await openPanel();
    const checks = screen.getAllByTestId('train-stage-check') as HTMLInputElement[];
    expect(checks.map((c) => [c.dataset.stage, c.checked])).toEqual(PIPELINE_STAGES.map((s) => [s, true]));
    fireEvent.click(checks.find((c) => c.dataset.stage === 'ensembles')!);
    fireEvent.click(checks.find((c) => c.dataset.stage === 'features')!);
    fireEvent.change(screen.getByTestId('train-preset'), { target: { value: 'rsna' } });
    fireEvent.click(screen.getByTestId('train-launch'));
    await waitFor(() => expect(client.calls.some((c) => c.method === 'startTraining')).toBe(true));
    expect(client.calls.find((c) => c.method === 'startTraining')!.arg).toEqual({ preset: 'rsna', stages: ['base', 'pooled-res', 'shallow', 'shallow-weighted'] });
    // shown as started until the engine's first event
    await waitFor(() => expect(screen.getByTestId('train-status').textContent).toBe('running'));
    expect((screen.getByTestId('train-launch') as HTMLButtonElement).disabled).toBe(true);
  });

  it('a DICOM folder and labels: both paths are needed, then sent; no stage checked: no launch', async () => {
    const { client } = await openPanel();
    fireEvent.click(screen.getByTestId('train-source-folder'));
    const launch = screen.getByTestId('train-launch') as HTMLButtonElement;
    expect(launch.disabled).toBe(true);
    fireEvent.change(screen.getByTestId('train-data'), { target: { value: ' /data/dicom ' } });
    expect(launch.disabled).toBe(true);
    fireEvent.change(screen.getByTestId('train-labels'), { target: { value: '/data/labels.csv' } });
    expect(launch.disabled).toBe(false);
    for (const c of screen.getAllByTestId('train-stage-check')) fireEvent.click(c);
    expect(launch.disabled).toBe(true);
    fireEvent.click(screen.getAllByTestId('train-stage-check')[0]!);
    fireEvent.click(launch);
    await waitFor(() => expect(client.calls.find((c) => c.method === 'startTraining')?.arg).toEqual({ preset: 'tiny', stages: ['base'], data: '/data/dicom', labels: '/data/labels.csv' }));
  });

  it('init weights folder, From scratch and a test folder: absolute paths only, sent as initDir / fromScratch / testDirs', async () => {
    const { client } = await openPanel();
    const launch = screen.getByTestId('train-launch') as HTMLButtonElement;
    const init = screen.getByTestId('train-init') as HTMLInputElement;
    const test = screen.getByTestId('train-test') as HTMLInputElement;
    fireEvent.change(screen.getByTestId('train-preset'), { target: { value: 'rsna' } });
    // a relative path would be refused by the engine: shown at once, no launch
    fireEvent.change(init, { target: { value: 'weights' } });
    expect(init.getAttribute('aria-invalid')).toBe('true');
    expect(launch.disabled).toBe(true);
    expect(launch.title).toBe('the init weights folder must be an absolute path');
    fireEvent.change(init, { target: { value: ' /w/imagenet ' } });
    expect(init.getAttribute('aria-invalid')).toBe('false');
    fireEvent.change(test, { target: { value: 'test' } });
    expect(test.getAttribute('aria-invalid')).toBe('true');
    expect(launch.title).toBe('the test folder must be an absolute path');
    fireEvent.change(test, { target: { value: 'C:\\rsna\\stage_2_test' } });
    expect(launch.disabled).toBe(false);
    fireEvent.click(launch);
    await waitFor(() => expect(client.calls.filter((c) => c.method === 'startTraining')).toHaveLength(1));
    expect(client.calls.find((c) => c.method === 'startTraining')!.arg)
      .toEqual({ preset: 'rsna', stages: [...PIPELINE_STAGES], initDir: '/w/imagenet', testDirs: ['C:\\rsna\\stage_2_test'] });
    await waitFor(() => expect(screen.getByTestId('train-status').textContent).toBe('running'));
    expect(screen.getByTestId('training-panel').querySelector('.train-job-head')!.textContent).toContain('init /w/imagenet · test C:\\rsna\\stage_2_test');
  });

  it('From scratch replaces the init folder (they exclude each other); the preflight\'s refusal shows in one line', async () => {
    const { client } = await openPanel();
    fireEvent.change(screen.getByTestId('train-preset'), { target: { value: 'rsna' } });
    client.training.startError = 'preset rsna model se_resnext101 fine-tunes ImageNet weights (the seed\'s rates would leave a random body where it starts) and /ws/weights/se_resnext101_32x4d holds none: import them, set the Init weights folder to a folder of imported weights, or tick From scratch to train from random init';
    fireEvent.click(screen.getByTestId('train-launch'));
    expect((await screen.findByTestId('train-error')).textContent).toMatch(/^startTraining: preset rsna .* or tick From scratch to train from random init$/);
    client.training.startError = null;
    const init = screen.getByTestId('train-init') as HTMLInputElement;
    fireEvent.change(init, { target: { value: 'not/absolute' } });
    fireEvent.click(screen.getByTestId('train-from-scratch'));
    // the folder no longer counts: disabled, not invalid, not sent
    expect(init.disabled).toBe(true);
    expect(init.getAttribute('aria-invalid')).toBe('false');
    fireEvent.click(screen.getByTestId('train-launch'));
    await waitFor(() => expect(client.calls.filter((c) => c.method === 'startTraining')).toHaveLength(2));
    expect(client.calls.filter((c) => c.method === 'startTraining')[1]!.arg).toEqual({ preset: 'rsna', stages: [...PIPELINE_STAGES], fromScratch: true });
    await waitFor(() => expect(screen.getByTestId('training-panel').querySelector('.train-job-head')!.textContent).toContain('from scratch'));
  });

  it('follows the job live: stage bars, model/fold/epoch/batch, loss, metric, speed, ETA, backend, charts', async () => {
    const { client } = await openPanel();
    client.training.history = {
      jobId: 'train-7',
      losses: [{ step: 1, loss: 0.9, model: 'm', fold: 0, stage: 'base' }, { step: 2, loss: 0.7, model: 'm', fold: 0, stage: 'base' }],
      epochs: [{ type: 'epoch', runId: 'r1', stage: 'base', model: 'm', fold: 0, epoch: 1, epochs: 8, trainLoss: 0.8, valLoss: 0.6, valMetric: 0.55, perClass: {}, seconds: 2 }],
    };
    const stages = trainState('train-7').stages;
    stages.base = { state: 'running', units: 3, done: 1 };
    act(() => client.emit({ type: 'training', state: trainState('train-7', { stage: 'base', stages, batch, lastEpoch: client.training.history!.epochs[0]!, etaSec: 725 }) }));
    expect(screen.getByTestId('train-status').textContent).toBe('running');
    expect(stageStates()).toEqual({ base: 'running', features: 'pending', 'pooled-res': 'pending', shallow: 'pending', 'shallow-weighted': 'pending', ensembles: 'pending' });
    const base = screen.getAllByTestId('train-stage').find((li) => li.dataset.stage === 'base')!;
    expect(base.querySelector('progress')!.value).toBe(1);
    expect(base.querySelector('progress')!.max).toBe(3);
    expect(base.textContent).toContain('1/3');
    expect(screen.getByTestId('train-model').textContent).toBe('base · tiny-se-resnext · fold 1');
    const now = screen.getByTestId('train-now').textContent!;
    expect(now).toContain('2/8');
    expect(now).toContain('3/5');
    expect(screen.getByTestId('train-loss').textContent).toBe('0.4321');
    expect(screen.getByTestId('train-val-metric').textContent).toBe('0.5500');
    expect(screen.getByTestId('train-speed').textContent).toBe('37.3');
    // the whole job's estimate (the engine's), not the current model's 125 s
    expect(screen.getByTestId('train-eta').textContent).toBe('12 min 5 s');
    expect(screen.getByTestId('train-backend').textContent).toBe('wasm');
    // the history arrives (throttled fetch) and goes into the charts
    await waitFor(() => expect(screen.getByTestId('loss-chart').dataset.points).toBe('2'), { timeout: 3000 });
    expect(screen.getByTestId('val-chart').dataset.points).toBe('1');
    expect(plots.made.some((p) => JSON.stringify(p.data) === JSON.stringify([[1, 2], [0.9, 0.7]]))).toBe(true);
    expect(plots.made.some((p) => JSON.stringify(p.data) === JSON.stringify([[1], [0.55]]))).toBe(true);
    expect(client.calls.filter((c) => c.method === 'getTrainingHistory').every((c) => c.arg === 'train-7')).toBe(true);
  });

  it('cancel, then resume with the same request; the run history lists the runs', async () => {
    const { client } = await openPanel();
    const request = { preset: 'rsna', stages: ['base' as const], data: '/d', labels: '/l.csv', fromScratch: true, testDirs: ['/t1', '/t2'] };
    act(() => client.emit({ type: 'training', state: trainState('train-1', { request }) }));
    expect(screen.queryByTestId('train-resume')).toBeNull();
    fireEvent.click(screen.getByTestId('train-cancel'));
    await waitFor(() => expect(client.calls.find((c) => c.method === 'cancelTraining')?.arg).toBe('train-1'));
    client.training.runs = [
      { id: 'run-a', stage: 'base', preset: 'tiny', fold: 0, status: 'cancelled', metrics: { valMetric: 0.61234, epoch: 2 }, model: 'tiny-se-resnext', nFolds: 3 },
      { id: 'run-b', stage: 'base', preset: 'tiny', fold: 1, status: 'done', metrics: {}, model: 'tiny-se-resnext', nFolds: 3 },
    ];
    act(() => client.emit({ type: 'training', state: trainState('train-1', { request, status: 'cancelled' }) }));
    expect(screen.getByTestId('train-status').textContent).toBe('cancelled');
    expect(screen.queryByTestId('train-cancel')).toBeNull();
    await waitFor(() => expect(screen.getAllByTestId('run-row')).toHaveLength(2));
    const rows = screen.getAllByTestId('run-row');
    expect([...rows[0]!.querySelectorAll('th, td')].map((c) => c.textContent)).toEqual(['run-a', 'base', 'tiny-se-resnext', '0/3', 'cancelled', '0.6123']);
    expect(within(rows[1]!).getAllByRole('cell').at(-1)!.textContent).toBe('–');

    fireEvent.click(screen.getByTestId('train-resume'));
    await waitFor(() => expect(client.calls.filter((c) => c.method === 'startTraining')).toHaveLength(1));
    expect(client.calls.find((c) => c.method === 'startTraining')!.arg).toEqual(request);
  });

  it('a failed job says why in one line and can be resumed; a refused launch shows its one-line error', async () => {
    const { client } = await openPanel();
    act(() => client.emit({ type: 'training', state: trainState('train-1', { status: 'failed', error: 'no labelled images in the workspace' }) }));
    expect(screen.getByTestId('train-job-error').textContent).toBe('no labelled images in the workspace');
    expect(screen.getByTestId('train-resume')).toBeTruthy();
    client.training.startError = 'training job train-0 is running: cancel it or wait for it';
    fireEvent.click(screen.getByTestId('train-resume'));
    const err = await screen.findByTestId('train-error');
    expect(err.textContent).toBe('startTraining: training job train-0 is running: cancel it or wait for it');
    expect(err.getAttribute('role')).toBe('alert');
  });

  it('a job that ends done refreshes the worklist; a replayed finished job does not', async () => {
    const { client } = await openPanel();
    const listings = () => client.calls.filter((c) => c.method === 'listStudies').length;
    const before = listings();
    act(() => client.emit({ type: 'training', state: trainState('train-1', { status: 'done' }) }));
    expect(listings()).toBe(before);
    act(() => client.emit({ type: 'training', state: trainState('train-2') }));
    act(() => client.emit({ type: 'training', state: trainState('train-2', { status: 'done', report: { baseline: 0.2, stages: [{ name: 'base', oofMetric: 0.41 }] } }) }));
    await waitFor(() => expect(listings()).toBe(before + 1));
    expect(screen.getByTestId('train-report').textContent).toContain('base 0.4100');
  });

  it('jobs the engine ran before the page loaded are listed at start', async () => {
    const r = renderWithStore((client) => {
      client.training.jobs = [trainState('train-3', { status: 'cancelled' })];
      return <App client={client} />;
    });
    await waitFor(() => expect(r.store.getState().trainingJobs.map((j) => j.jobId)).toEqual(['train-3']));
    fireEvent.click(screen.getByTestId('open-training'));
    expect(screen.getByTestId('train-status').textContent).toBe('cancelled');
    expect(screen.getByTestId('open-training').textContent).toBe('Training');
  });

  it('opening moves the focus into the panel; the history is fetched at most once a second while a job reports', async () => {
    const { client } = await openPanel();
    expect(document.activeElement).toBe(screen.getByTestId('training-panel'));
    const fetches = () => client.calls.filter((c) => c.method === 'getTrainingHistory').length;
    act(() => client.emit({ type: 'training', state: trainState('train-5') }));
    const start = fetches();
    for (let i = 1; i <= 20; i++) act(() => client.emit({ type: 'training', state: trainState('train-5', { batch: { ...batch, batch: i } }) }));
    await new Promise((r) => setTimeout(r, 1300));
    expect(fetches() - start).toBeGreaterThanOrEqual(1);
    expect(fetches() - start).toBeLessThanOrEqual(2);
  });

  it('stage rows end as the job did: failed or cancelled, never running after the end', async () => {
    const { client } = await openPanel();
    const stages = trainState('train-1').stages;
    stages.base = { state: 'done', units: 3, done: 3 };
    stages.features = { state: 'running', units: 3, done: 1 };
    act(() => client.emit({ type: 'training', state: trainState('train-1', { stage: 'features', stages }) }));
    expect(stageStates()).toMatchObject({ base: 'done', features: 'running', 'pooled-res': 'pending' });
    // the end as an engine that left the row running would send it
    act(() => client.emit({ type: 'training', state: trainState('train-1', { status: 'failed', error: 'out of memory', stages }) }));
    expect(stageStates()).toEqual({ base: 'done', features: 'failed', 'pooled-res': 'pending', shallow: 'pending', 'shallow-weighted': 'pending', ensembles: 'pending' });
    expect(screen.getAllByTestId('train-stage').find((li) => li.dataset.stage === 'features')!.textContent).toContain('failed');
    act(() => client.emit({ type: 'training', state: trainState('train-2', { stage: 'base', stages: { ...stages, base: { state: 'running', units: 3, done: 1 }, features: { state: 'pending', units: 0, done: 0 } } }) }));
    act(() => client.emit({ type: 'training', state: trainState('train-2', { status: 'cancelled', stages: { ...stages, base: { state: 'cancelled', units: 3, done: 1 }, features: { state: 'pending', units: 0, done: 0 } } }) }));
    expect(stageStates()).toMatchObject({ base: 'cancelled', features: 'pending' });
    expect(Object.values(stageStates())).not.toContain('running');
  });

  it('the validation chart: one line per stage, model and fold on a shared epoch axis, with a legend', async () => {
    const { client } = await openPanel();
    const ep = (stage: string, model: string, fold: number, epoch: number, valMetric: number) => ({
      type: 'epoch' as const, runId: `${stage}-${fold}`, stage, model, fold, epoch, epochs: 2, trainLoss: 0.3, valLoss: 0.2, valMetric, perClass: {}, seconds: 1 });
    client.training.history = { jobId: 'train-4', losses: [], epochs: [
      ep('base', 'se', 0, 1, 0.5), ep('base', 'se', 0, 2, 0.4), ep('base', 'se', 1, 1, 0.6), ep('base', 'se', 1, 2, 0.45), ep('pooled-res', 'se', 0, 1, 0.3),
    ] };
    act(() => client.emit({ type: 'training', state: trainState('train-4') }));
    await waitFor(() => expect(screen.getByTestId('val-chart').dataset.series).toBe('3'), { timeout: 3000 });
    expect(screen.getByTestId('val-chart').dataset.points).toBe('2');
    expect(screen.getAllByTestId('val-chart-series').map((li) => li.textContent)).toEqual(['base · se · fold 0', 'base · se · fold 1', 'pooled-res · se · fold 0']);
    expect(plots.made.some((p) => JSON.stringify(p.data) === JSON.stringify([[1, 2], [0.5, 0.4], [0.6, 0.45], [0.3, null]]))).toBe(true);
    // a resumed run's repeated epoch keeps its latest value
    const v = validationSeries({ jobId: 'x', losses: [], epochs: [ep('base', 'se', 0, 1, 0.5), ep('base', 'se', 0, 1, 0.42)] });
    expect(v.data).toEqual([[1], [0.42]]);
    expect(v.series).toHaveLength(1);
    expect(validationSeries(null).data).toEqual([[]]);
  });

  it('the Folds setting: the preset\'s by default (not sent), a chosen count is sent, a bad one blocks the launch', async () => {
    const { client } = await openPanel();
    const folds = screen.getByTestId('training-folds') as HTMLInputElement;
    expect(folds.value).toBe('3');
    fireEvent.change(screen.getByTestId('train-preset'), { target: { value: 'rsna' } });
    expect(folds.value).toBe('5');
    fireEvent.change(screen.getByTestId('train-preset'), { target: { value: 'tiny' } });
    const launch = screen.getByTestId('train-launch') as HTMLButtonElement;
    for (const bad of ['1', '21', '2.5', '']) {
      fireEvent.change(folds, { target: { value: bad } });
      expect(launch.disabled).toBe(true);
    }
    fireEvent.change(folds, { target: { value: '4' } });
    expect(launch.disabled).toBe(false);
    fireEvent.click(launch);
    await waitFor(() => expect(client.calls.find((c) => c.method === 'startTraining')?.arg).toEqual({ preset: 'tiny', stages: [...PIPELINE_STAGES], folds: 4 }));
    await waitFor(() => expect(screen.getByTestId('train-status').textContent).toBe('running'));
    expect(screen.getByText(/4 folds/)).toBeTruthy();
  });

  it('a refused launch shows the engine\'s reason; too few patients offers the fold count that works', async () => {
    const { client } = await openPanel();
    client.training.startError = '2 patients with labelled images in /w cannot fill 3 folds: set Folds to 2 (the largest that works) or label more patients';
    fireEvent.click(screen.getByTestId('train-launch'));
    const err = await screen.findByTestId('train-error');
    expect(err.textContent).toBe(`startTraining: ${client.training.startError}`);
    expect(screen.queryByTestId('train-status')).toBeNull();
    fireEvent.click(screen.getByTestId('training-folds-suggest'));
    expect((screen.getByTestId('training-folds') as HTMLInputElement).value).toBe('2');
    expect(screen.queryByTestId('training-folds-suggest')).toBeNull();
    client.training.startError = null;
    fireEvent.click(screen.getByTestId('train-launch'));
    await waitFor(() => expect(client.calls.filter((c) => c.method === 'startTraining').at(-1)?.arg).toEqual({ preset: 'tiny', stages: [...PIPELINE_STAGES], folds: 2 }));
    await waitFor(() => expect(screen.queryByTestId('train-error')).toBeNull());
  });

  it('a run that scans a folder refreshes the worklist while it runs: when its scan is over and when training starts', async () => {
    const { client } = await openPanel();
    const listings = () => client.calls.filter((c) => c.method === 'listStudies').length;
    const request = { preset: 'tiny', data: '/d', labels: '/l.csv' };
    act(() => client.emit({ type: 'training', state: trainState('train-1', { request, message: 'scan: /d' }) }));
    const before = listings();
    act(() => client.emit({ type: 'training', state: trainState('train-1', { request, message: 'scan: 12 indexed, 0 unchanged, 0 problems' }) }));
    await waitFor(() => expect(listings()).toBe(before + 1));
    act(() => client.emit({ type: 'training', state: trainState('train-1', { request, message: 'labels: 12 images' }) }));
    const stages = trainState('train-1').stages;
    stages.base = { state: 'running', units: 3, done: 0 };
    act(() => client.emit({ type: 'training', state: trainState('train-1', { request, stage: 'base', stages }) }));
    await waitFor(() => expect(listings()).toBe(before + 2));
    // later progress does not list again
    act(() => client.emit({ type: 'training', state: trainState('train-1', { request, stage: 'base', stages, batch }) }));
    await new Promise((r) => setTimeout(r, 50));
    expect(listings()).toBe(before + 2);
  });

  it('formats the ETA', () => {
    expect([fmtEta(undefined), fmtEta(-1), fmtEta(42.4), fmtEta(125), fmtEta(3 * 3600 + 61)]).toEqual(['–', '–', '42 s', '2 min 5 s', '3 h 1 min']);
  });
});
