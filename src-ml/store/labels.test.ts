import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.ts';
import { importLabels, parseLabelId } from './labels.ts';
import { LABELS } from './schema.ts';
import { Workspace } from './workspace.ts';

const rowsFor = (image: string, positives: string[]) => LABELS.map((l) => `${image}_${l},${positives.includes(l) || (l === 'any' && positives.length) ? 1 : 0}`);

describe('labels import (RSNA stage_2_train.csv format)', () => {
  const t = tempDir();
  afterEach(() => undefined);

  it('parses ids at the last underscore', () => {
    expect(parseLabelId('ID_28fbab7eb_epidural')).toEqual({ imageId: 'ID_28fbab7eb', subtype: 'epidural' });
    expect(parseLabelId('ID_28fbab7eb_any')).toEqual({ imageId: 'ID_28fbab7eb', subtype: 'any' });
    expect(parseLabelId('ID_28fbab7eb_bleed')).toBeUndefined();
    expect(parseLabelId('epidural')).toBeUndefined();
  });

  it('pivots six rows per image, drops duplicate rows, marks the seed bad images, rejects bad rows', async () => {
    const csv = path.join(t.dir, 'stage_2_train.csv');
    const lines = [
      'ID,Label',
      ...rowsFor('ID_000000001', ['subdural']),
      ...rowsFor('ID_000000001', ['subdural']), // the whole image duplicated, as in the RSNA file
      ...rowsFor('ID_000000002', []),
      ...rowsFor('ID_6431af929', []), // one of the seed's six bad images
      'ID_000000003_epidural,1', // incomplete image: only one of six rows
      'ID_000000004_epidural,maybe', // malformed label
      ...rowsFor('ID_000000005', ['epidural']),
      'ID_000000005_epidural,0', // conflicting duplicate
    ];
    writeFileSync(csv, lines.join('\r\n') + '\r\n');
    const ws = Workspace.open(path.join(t.dir, 'ws'));
    const r = await importLabels(ws, csv);
    expect(r.images).toBe(3);
    expect(r.duplicateRows).toBe(6);
    expect(r.excluded).toBe(1);
    expect(r.errors).toHaveLength(3);
    expect(r.errors.join('\n')).toMatch(/stage_2_train\.csv:\d+: bad row/);
    const rows = ws.db.prepare('SELECT * FROM labels ORDER BY image_id').all() as Record<string, unknown>[];
    expect(rows.map((x) => x.image_id)).toEqual(['ID_000000001', 'ID_000000002', 'ID_6431af929']);
    expect(rows[0]).toMatchObject({ subdural: 1, any: 1, epidural: 0, excluded: 0 });
    expect(rows[2]).toMatchObject({ excluded: 1, exclude_reason: 'seed bad image' });
    // Re-import is idempotent.
    await importLabels(ws, csv);
    expect((ws.db.prepare('SELECT count(*) n FROM labels').get() as { n: number }).n).toBe(3);
    ws.close();
    t.cleanup();
  });

  it('refuses a file without the ID,Label header', async () => {
    const t2 = tempDir();
    const csv = path.join(t2.dir, 'x.csv');
    writeFileSync(csv, 'foo,bar\n1,2\n');
    const ws = Workspace.open(t2.dir);
    await expect(importLabels(ws, csv)).rejects.toThrow(/x\.csv: header/);
    ws.close();
    t2.cleanup();
  });
});
