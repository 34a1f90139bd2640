import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.ts';
import { importLabels, isLabelImageId, LabelImportError, MAX_LABEL_LINE_BYTES, parseLabelId } from './labels.ts';
import { LABELS } from '../../src-shared/labels.ts';
import { Workspace } from './workspace.ts';

const rowsFor = (image: string, positives: string[]) => LABELS.map((l) => `${image}_${l},${positives.includes(l) || (l === 'any' && positives.length) ? 1 : 0}`);

describe('labels import (RSNA stage_2_train.csv format)', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());
  let n = 0;
  /** A fresh workspace and a labels file holding `content`. */
  const setup = (content: string | Buffer) => {
    const dir = path.join(t.dir, `case-${++n}`);
    const ws = Workspace.open(path.join(dir, 'ws'));
    const csv = path.join(dir, 'labels.csv');
    writeFileSync(csv, content);
    return { ws, csv };
  };
  const labelCount = (ws: Workspace) => (ws.db.prepare('SELECT count(*) n FROM labels').get() as { n: number }).n;
  /** The one-line error an import of `content` fails with; asserts nothing was imported. */
  const refusal = async (content: string | Buffer): Promise<{ message: string; csv: string; err: LabelImportError }> => {
    const { ws, csv } = setup(content);
    try {
      const err = await importLabels(ws, csv).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(LabelImportError);
      const message = (err as Error).message;
      expect(message).not.toMatch(/[\n\r]/);
      expect(labelCount(ws)).toBe(0);
      return { message, csv, err: err as LabelImportError };
    } finally {
      ws.close();
    }
  };

  it('parses ids at the last underscore, only of image ids an API can reach', () => {
    expect(parseLabelId('ID_28fbab7eb_epidural')).toEqual({ imageId: 'ID_28fbab7eb', subtype: 'epidural' });
    expect(parseLabelId('ID_28fbab7eb_any')).toEqual({ imageId: 'ID_28fbab7eb', subtype: 'any' });
    expect(parseLabelId('1.2.840.113619.2.55.3_any')).toEqual({ imageId: '1.2.840.113619.2.55.3', subtype: 'any' });
    expect(parseLabelId('1.2.3#2_subdural')).toEqual({ imageId: '1.2.3#2', subtype: 'subdural' });
    expect(parseLabelId('ID_28fbab7eb_bleed')).toBeUndefined();
    expect(parseLabelId('epidural')).toBeUndefined();
    expect(parseLabelId('ID_nothex_any')).toBeUndefined();
    expect(parseLabelId('<b>x</b>_any')).toBeUndefined();
  });

  it('accepts the RSNA form (ID_ + hex) and the SOP instance UID form the index uses, within the id limit', () => {
    for (const ok of ['ID_0a1b2c', 'ID_ABCDEF012', '1.2.3', '1.2.826.0.1.3680043.2.1125.1', '1.2.3#1', `ID_${'a'.repeat(125)}`]) expect(isLabelImageId(ok), ok).toBe(true);
    for (const bad of ['', 'ID_', 'ID_xyz', 'id_abc', 'ID_abc def', '1..2', '.1.2', '1.2.', '1.2#', '1.2#x', `ID_${'a'.repeat(126)}`,
      '1.' + '2'.repeat(63), 'ID_abc\u00e9', 'ID_abc/..', '<script>', 'ID_abc,1', ' ID_abc']) {
      expect(isLabelImageId(bad), bad).toBe(false);
    }
  });

  it('pivots six rows per image, drops exact duplicate rows, marks the seed bad images; re-import is idempotent', async () => {
    const lines = [
      'ID,Label',
      ...rowsFor('ID_000000001', ['subdural']),
      ...rowsFor('ID_000000001', ['subdural']), // the whole image duplicated, as in the RSNA file
      ...rowsFor('ID_000000002', []),
      '',
      ...rowsFor('ID_6431af929', []), // one of the seed's six bad images
      ...rowsFor('1.2.826.0.1.3680043.2.1125.7', ['epidural']), // a SOP instance UID
    ];
    const { ws, csv } = setup('\uFEFF' + lines.join('\r\n') + '\r\n');
    const r = await importLabels(ws, csv);
    expect(r).toEqual({ images: 4, rows: 30, duplicateRows: 6, excluded: 1, errors: [] });
    const rows = ws.db.prepare('SELECT * FROM labels ORDER BY image_id').all() as Record<string, unknown>[];
    expect(rows.map((x) => x.image_id)).toEqual(['1.2.826.0.1.3680043.2.1125.7', 'ID_000000001', 'ID_000000002', 'ID_6431af929']);
    expect(rows[1]).toMatchObject({ subdural: 1, any: 1, epidural: 0, excluded: 0 });
    expect(rows[3]).toMatchObject({ excluded: 1, exclude_reason: 'seed bad image' });
    await importLabels(ws, csv);
    expect(labelCount(ws)).toBe(4);
    ws.close();
  });

  it('one rejected row rejects the file: one line with the file, the first bad row, the reason and the count; nothing imported', async () => {
    const cases: [string[], RegExp, number][] = [
      [['ID_000000004_epidural,maybe'], /:8: label "maybe" of ID_000000004_epidural is not 0 or 1; 1 row rejected, nothing imported$/, 8],
      [['ID_000000004_epidural,1,2'], /:8: bad row "ID_000000004_epidural,1,2": expected ID_<image>_<subtype>,<0 or 1>; 1 row rejected/, 8],
      [['ID_000000004_bleed,1'], /:8: bad row "ID_000000004_bleed,1": the id does not end in _<subtype> \(epidural, /, 8],
      [['ID_000000001_epidural,1'], /:8: ID_000000001 has conflicting epidural labels; 1 row rejected/, 8],
      // an incomplete image: every one of its rows is rejected, the first named
      [['ID_000000003_epidural,1', 'ID_000000003_any,1'], /:8: ID_000000003 lacks intraparenchymal, intraventricular, subarachnoid, subdural; 2 rows rejected/, 8],
      [[`${'x'.repeat(300)} <b>markup</b>_any,1`], /:8: bad image id "x{60}\.\.\.": expected ID_<hex> or a DICOM UID, at most 128 characters/, 8],
      [[`ID_${'a'.repeat(200)}_any,1`], /:8: bad image id "ID_a+\.\.\.": expected ID_<hex> or a DICOM UID/, 8],
      [['ID_00\u0000\u001b[31m_any,1'], /:8: bad image id "ID_00\\u0000\\u001b\[31m"/, 8],
    ];
    for (const [bad, pattern, line] of cases) {
      const { message, csv, err } = await refusal(['ID,Label', ...rowsFor('ID_000000001', []), ...bad, ...rowsFor('ID_000000002', [])].join('\n') + '\n');
      expect(message.startsWith(`${csv}:`), message).toBe(true);
      expect(message, bad[0]).toMatch(pattern);
      expect(err.line).toBe(line);
    }
  });

  it('ten garbage rows: the first named, all ten counted', async () => {
    const garbage = Array.from({ length: 10 }, (_, i) => `garbage row ${i + 1}`);
    const { message, csv, err } = await refusal(['ID,Label', ...garbage].join('\n') + '\n');
    expect(message).toBe(`${csv}:2: bad row "garbage row 1": expected ID_<image>_<subtype>,<0 or 1>; 10 rows rejected, nothing imported`);
    expect(err.rejected).toBe(10);
  });

  it('refuses an empty file, a header with no rows, a missing header, a missing file, a FIFO', async () => {
    expect((await refusal('')).message).toMatch(/labels\.csv: empty file \(expected an "ID,Label" header and label rows\)$/);
    expect((await refusal('ID,Label\n')).message).toMatch(/labels\.csv: no label rows after the "ID,Label" header$/);
    expect((await refusal('ID,Label\n\n  \n')).message).toMatch(/no label rows/);
    expect((await refusal('foo,bar\n1,2\n')).message).toMatch(/labels\.csv: header is "foo,bar", expected "ID,Label"$/);
    const { ws } = setup('');
    await expect(importLabels(ws, path.join(t.dir, 'none.csv'))).rejects.toThrow(/none\.csv: no such file$/);
    const fifo = path.join(t.dir, 'labels.fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(importLabels(ws, fifo)).rejects.toThrow(/labels\.fifo: not a regular file$/);
    ws.close();
  });

  it('refuses invalid UTF-8 and over-long lines (also one without any newline), naming the line', async () => {
    const good = ['ID,Label', ...rowsFor('ID_000000001', [])].join('\n') + '\n';
    const invalid = Buffer.concat([Buffer.from(good), Buffer.from('ID_000000002_any,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
    expect((await refusal(invalid)).message).toMatch(/labels\.csv:8: not UTF-8 text; 1 row rejected, nothing imported$/);
    expect((await refusal(Buffer.from([0x49, 0x44, 0xc3, 0x28, 0x0a]))).message).toMatch(/labels\.csv:1: not UTF-8 text, expected the "ID,Label" header$/);
    const long = `${good}ID_${'a'.repeat(MAX_LABEL_LINE_BYTES)}_any,1\n${rowsFor('ID_000000002', []).join('\n')}\n`;
    expect((await refusal(long)).message).toMatch(/labels\.csv:8: line over 1024 bytes; 1 row rejected/);
    // 3 MB and not one newline after the header: bounded memory, one rejected line
    const noNewline = `${good}${'Z'.repeat(3 * 1024 * 1024)}`;
    expect((await refusal(noNewline)).message).toMatch(/labels\.csv:8: line over 1024 bytes; 1 row rejected/);
  });
});
