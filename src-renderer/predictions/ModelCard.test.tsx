// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import type { ClassCalibration } from '../../src-ml/api/training.ts';
import { LABELS } from '../../src-shared/labels.ts';
import { ModelCard, trainedFrom } from './ModelCard.tsx';
import { renderWithStore } from '../test/render.tsx';
import { versionOf } from '../test/fixtures.ts';

afterEach(cleanup);

describe('ModelCard', () => {
  it('the active version: what it was trained on and its out-of-fold loss per ensemble and class against the baseline', async () => {
    const r = renderWithStore((client) => {
      const v = versionOf('v2', 'active', { safe: 0.1, risky: 0.12, images: 9040 });
      v.fingerprint = { ...v.fingerprint, studies: 300, folds: { k: 3, seed: 1 } };
      client.versions.push(v, versionOf('v1', 'archived'));
      return <ModelCard />;
    });
    expect(screen.queryByTestId('model-card')).toBeNull();
    await act(() => r.store.getState().loadVersions());
    const card = screen.getByTestId('model-card');
    expect(card.dataset.version).toBe('v2');
    expect(card.querySelector('h3')!.textContent).toBe('Model v2 · tiny · 3 folds');
    expect(screen.getByTestId('model-trained-on').textContent).toBe("Trained on this workspace's labelled studies (300 studies, 9,040 labelled slices)");
    const rows = [...screen.getByTestId('model-metrics').querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent));
    expect(rows[1]).toEqual(['IPH', '0.100', '0.120', '0.200']);
    expect(rows.at(-1)).toEqual(['all', '0.100', '0.120', '0.200']);
  });

  it('the demo: synthetic phantoms, from its trainedOn note', () => {
    const v = versionOf('v1', 'active');
    v.fingerprint = { trainedOn: 'synthetic head-CT phantoms only (ich synth), not real CT: a demonstration; 300 studies, 9040 labelled slices, preset tiny' };
    v.report = { ...v.report!, images: 9040 };
    expect(trainedFrom(v)).toEqual({ source: 'synthetic head-CT phantoms only (ich synth), not real CT: a demonstration', synthetic: true, studies: 300, images: 9040, folds: null });
  });

  it('the ensembles\' sensitivity and specificity at the threshold per class and a reliability diagram; an older report says it lacks them', async () => {
    const cal = (sens: number, spec: number, bins: ClassCalibration['bins']): ClassCalibration => ({ threshold: 0.5, sensitivity: sens, specificity: spec, positives: 10, negatives: 90, bins });
    const r = renderWithStore((client) => {
      const v = versionOf('v2', 'active');
      const safeBins = [{ p: 0.05, observed: 0.02, n: 80 }, { p: 0.45, observed: 0.5, n: 10 }, { p: 0.92, observed: 0.9, n: 10 }];
      for (const st of v.report!.stages) {
        if (st.name === 'ensemble-safe') st.calibration = Object.fromEntries(LABELS.map((l) => [l, cal(l === 'any' ? 0.9 : 0.8, 0.95, safeBins)]));
        if (st.name === 'ensemble-risky') st.calibration = Object.fromEntries(LABELS.map((l) => [l, cal(0.7, l === 'subdural' ? 0.875 : 0.99, l === 'subdural' ? safeBins.slice(1) : safeBins)]));
      }
      client.versions.push(v, versionOf('v1', 'archived'));
      return <ModelCard />;
    });
    await act(() => r.store.getState().loadVersions());
    expect(screen.queryByTestId('model-calibration-missing')).toBeNull();
    const rows = [...screen.getByTestId('model-sens-spec').querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent));
    expect(rows.at(-1)).toEqual(['ANY', '0.90', '0.95', '0.70', '0.99']);
    expect(rows[4]).toEqual(['SDH', '0.80', '0.95', '0.70', '0.88']);
    expect(screen.getByTestId('model-calibration').querySelector('summary')!.textContent).toContain('at 0.5');
    // The diagram shows `any` first: both ensembles, three bins each; a row picks another class.
    const plot = () => screen.getByTestId('reliability');
    expect(plot().dataset.label).toBe('any');
    expect([...plot().querySelectorAll<SVGElement>('[data-testid="reliability-series"]')].map((g) => g.dataset.ensemble)).toEqual(['safe', 'risky']);
    expect(plot().querySelectorAll('[data-testid="reliability-bin"]')).toHaveLength(6);
    expect(plot().querySelector('title')!.textContent).toBe('safe: predicted 0.05, observed 0.02 (80 slices)');
    fireEvent.click(screen.getByTestId('model-sens-spec').querySelector('tr[data-label="subdural"]')!);
    expect(plot().dataset.label).toBe('subdural');
    expect(plot().querySelectorAll('[data-testid="reliability-bin"]')).toHaveLength(5);
    // A point at (0.92, 0.9) sits near the diagonal's top right: x and y in the plot's frame.
    const pt = plot().querySelectorAll<SVGCircleElement>('circle')[2]!;
    expect(Number(pt.getAttribute('cx'))).toBeGreaterThan(100);
    expect(Number(pt.getAttribute('cy'))).toBeLessThan(30);
  });

  it('a report from before the calibration was recorded: the card says it is not in this version\'s report', async () => {
    const r = renderWithStore((client) => {
      client.versions.push(versionOf('v1', 'active'));
      return <ModelCard />;
    });
    await act(() => r.store.getState().loadVersions());
    expect(screen.getByTestId('model-calibration-missing').textContent).toContain("not in this version's report");
    expect(screen.queryByTestId('reliability')).toBeNull();
  });
});
