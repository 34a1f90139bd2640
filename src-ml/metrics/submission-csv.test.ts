import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.ts';
import { readSubmissionCsv, writeSubmissionCsv } from './submission-csv.ts';

const tmp = tempDir('ich-subcsv-');
afterAll(() => tmp.cleanup());
let count = 0;
function csv(lines: string[], eol = '\n'): string {
  const file = path.join(tmp.dir, `t${count++}.csv`);
  writeFileSync(file, lines.join(eol) + eol);
  return file;
}
const order = ['any', 'epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'];
const image = (id: string, values: number[]): string[] => order.map((s, r) => `${id}_${s},${values[r]}`);

describe('submission CSV', () => {
  it('round trip: written any-first in the seed order, read back in the project order, exactly', async () => {
    const file = path.join(tmp.dir, 'sub.csv');
    const a = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]); // project order: epi .. sdh, any
    const b = [1e-15, 0, 1, 0.123456789012345, 0.5, 0.999999];
    await writeSubmissionCsv(file, [['ID_aaa', a], ['ID_bbb', b]]);
    const text = readFileSync(file, 'utf8').split('\n');
    expect(text.slice(0, 4)).toEqual(['ID,Label', `ID_aaa_any,${a[5]}`, `ID_aaa_epidural,${a[0]}`, `ID_aaa_intraparenchymal,${a[1]}`]);
    expect(text).toHaveLength(1 + 12 + 1);
    const back = await readSubmissionCsv(file);
    expect([...back.keys()]).toEqual(['ID_aaa', 'ID_bbb']);
    expect(Array.from(back.get('ID_aaa')!)).toEqual(Array.from(a));
    expect(Array.from(back.get('ID_bbb')!)).toEqual(b);
    // No temp file is left behind.
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reads CRLF, a BOM, any row order, and exact duplicate rows', async () => {
    const rows = ['\uFEFFID,Label', 'ID_x_subdural,0.5', ...image('ID_x', [0.9, 0.1, 0.2, 0.3, 0.4, 0.5]), 'ID_x_any,0.9'];
    const m = await readSubmissionCsv(csv(rows, '\r\n'));
    expect(Array.from(m.get('ID_x')!)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.9]);
  });

  it('errors name the file and line', async () => {
    const good = image('ID_a', [0, 0, 0, 0, 0, 0]);
    const cases: [string[], RegExp][] = [
      [['foo,bar', ...good], /:1: header is "foo,bar"/],
      [['ID,Label', ...good, 'ID_b_any'], /:8: bad row "ID_b_any"/],
      [['ID,Label', ...good, 'ID_b_anything,0.1'], /:8: bad ID "ID_b_anything"/],
      [['ID,Label', ...good, 'ID_b_any,abc'], /:8: bad value "abc"/],
      [['ID,Label', ...good, 'ID_b_any,1.5'], /:8: bad value "1.5"/],
      [['ID,Label', ...good, 'ID_a_any,0.5'], /:8: ID_a_any repeats with a different value/],
      [['ID,Label', ...good, 'ID_b_any,0.5', 'ID_b_epidural,0.5', 'ID_c_any,0.1'], /:8: image ID_b has no intraparenchymal, intraventricular, subarachnoid, subdural rows \(and 1 more incomplete image\)/],
    ];
    for (const [lines, re] of cases) {
      const file = csv(lines);
      const err = await readSubmissionCsv(file).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(re);
      expect(err?.message.startsWith(file)).toBe(true);
      expect(err?.message).not.toContain('\n');
    }
    await expect(readSubmissionCsv(csv(['ID,Label', ...image('ID_a', [0, 0, 0.5, 0, 0, 0])]), { binary: true })).rejects.toThrow(/:4: label 0.5 for ID_a_intraparenchymal is not 0 or 1/);
    await expect(readSubmissionCsv(path.join(tmp.dir, 'none.csv'))).rejects.toThrow(/none\.csv: cannot read \(ENOENT\)/);
    await expect(readSubmissionCsv(csv([]))).rejects.toThrow(/header/);
  });

  it('the writer refuses bad rows and leaves no file', async () => {
    const file = path.join(tmp.dir, 'bad.csv');
    await expect(writeSubmissionCsv(file, [['ID_a', [0, 0, 0, 0, 0]]])).rejects.toThrow(/5 values, expected 6/);
    await expect(writeSubmissionCsv(file, [['ID_a', [0, 0, 0, 0, 0, 0]], ['ID_a', [0, 0, 0, 0, 0, 0]]])).rejects.toThrow(/given twice/);
    await expect(writeSubmissionCsv(file, [['ID_a', [0, 0, NaN, 0, 0, 0]]])).rejects.toThrow(/intraventricular = NaN/);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('bad.csv'))).toEqual([]);
  });
});
