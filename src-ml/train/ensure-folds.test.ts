import { afterAll, describe, expect, it } from 'vitest';
import { loadFolds } from '../store/training-store.ts';
import { Workspace } from '../store/workspace.ts';
import { tempDir } from '../testing/fixtures.ts';
import { ensureFolds } from './ensure-folds.ts';

describe('ensureFolds', () => {
  const t = tempDir('ich-folds-');
  const ws = Workspace.open(t.dir);
  afterAll(() => {
    ws.close();
    t.cleanup();
  });

  it('stores folds once; later patients get their own folds and nobody moves', () => {
    const first = ensureFolds(ws, { k: 3, seed: 8153 }, ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p1']);
    expect(first.size).toBe(6);
    expect(new Set(first.values())).toEqual(new Set([0, 1, 2]));
    const again = ensureFolds(ws, { k: 3, seed: 8153 }, ['p6', 'p7', 'p8', 'p9', 'p10']);
    for (const [p, f] of first) expect(again.get(p)).toBe(f);
    expect(again.size).toBe(10);
    const one = ensureFolds(ws, { k: 3, seed: 8153 }, ['p11']);
    expect([0, 1, 2]).toContain(one.get('p11'));
    expect(loadFolds(ws, 3, 8153).size).toBe(11);
    expect(() => ensureFolds(ws, { k: 5, seed: 432 }, ['a', 'b'])).toThrow(/2 patients cannot fill 5 folds/);
  });
});
