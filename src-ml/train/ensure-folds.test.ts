import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../store/schema.ts';
import { loadFolds } from '../store/training-store.ts';
import { INDEX_FILE, Workspace } from '../store/workspace.ts';
import { tempDir } from '../testing/fixtures.ts';
import { countsByPatient, ensureFolds, loadFoldsOf } from './ensure-folds.ts';

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

  it('stratified folds are their own fold set, drawn from label counts, and spread a label the plain KFold bunches', () => {
    // 12 patients of 10 slices; p0..p5 have 4 positive slices of label 0 each. Plain KFold with this seed puts
    // four of them in fold 0; the stratified set puts two in each fold.
    const patients = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const labels = new Uint8Array(120 * 6);
    for (let p = 0; p < 6; p++) for (let s = 0; s < 4; s++) labels[(p * 10 + s) * 6] = 1;
    const counts = countsByPatient(120, (i) => patients[Math.floor(i / 10)]!, labels, 6);
    expect([...counts.get('s0')!]).toEqual([10, 4, 0, 0, 0, 0, 0]);
    expect(() => ensureFolds(ws, { k: 3, seed: 31, stratify: true }, patients)).toThrow(/label counts/);
    const strat = ensureFolds(ws, { k: 3, seed: 31, stratify: true }, counts);
    const plain = ensureFolds(ws, { k: 3, seed: 31 }, counts);
    const perFold = (f: Map<string, number>) => [0, 1, 2].map((k) => patients.slice(0, 6).filter((p) => f.get(p) === k).length);
    expect(perFold(strat)).toEqual([2, 2, 2]);
    expect(perFold(plain)).toEqual([4, 1, 1]);
    expect(loadFoldsOf(ws, { k: 3, seed: 31, stratify: true })).toEqual(strat);
    expect(loadFoldsOf(ws, { k: 3, seed: 31 })).toEqual(plain);
    // New patients later: the old ones keep their folds.
    const more = countsByPatient(30, (i) => `n${Math.floor(i / 10)}`, new Uint8Array(30 * 6), 6);
    const grown = ensureFolds(ws, { k: 3, seed: 31, stratify: true }, new Map([...counts, ...more]));
    for (const [p, f] of strat) expect(grown.get(p)).toBe(f);
    expect(grown.size).toBe(15);
  });

  it('migration 6 keeps an old index\'s folds as the plain KFold set', () => {
    const dir = path.join(t.dir, 'old');
    mkdirSync(dir);
    const db = new DatabaseSync(path.join(dir, INDEX_FILE));
    for (let v = 0; v < 5; v++) db.exec(MIGRATIONS[v]!);
    db.exec('PRAGMA user_version = 5');
    db.exec("INSERT INTO folds (n_folds, seed, patient_id, fold, batch) VALUES (3, 8153, 'a', 2, 0), (3, 8153, 'b', 0, 0)");
    db.close();
    const w = Workspace.open(dir);
    try {
      expect(w.schemaVersion).toBe(MIGRATIONS.length);
      expect(loadFolds(w, 3, 8153)).toEqual(new Map([['a', 2], ['b', 0]]));
      expect(loadFolds(w, 3, 8153, 'stratified').size).toBe(0);
      expect(() => w.db.exec("INSERT INTO folds (n_folds, seed, scheme, patient_id, fold, batch) VALUES (3, 8153, 'other', 'c', 0, 0)")).toThrow(/CHECK/);
    } finally {
      w.close();
    }
  });
});
