// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, screen } from '@testing-library/react';
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
});
