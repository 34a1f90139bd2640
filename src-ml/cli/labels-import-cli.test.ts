// `ich labels import` as a user runs it: a file of garbage rows, an empty file, invalid UTF-8 each exit 1 with
// one line on stderr (the file, the first bad row, the count) and import nothing; a good file still imports.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src-shared/labels.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';

const ICH = path.join(REPO_ROOT, 'bin/ich.js');
const ich = (...args: string[]) => spawnSync(process.execPath, [ICH, ...args], { encoding: 'utf8', cwd: REPO_ROOT });

describe('ich labels import', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());
  const ws = path.join(t.dir, 'ws');
  const labelCount = () => {
    if (!existsSync(path.join(ws, 'index.sqlite'))) return 0;
    const db = new DatabaseSync(path.join(ws, 'index.sqlite'), { readOnly: true });
    try {
      return (db.prepare('SELECT count(*) n FROM labels').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const file = (name: string, content: string | Buffer) => {
    const p = path.join(t.dir, name);
    writeFileSync(p, content);
    return p;
  };

  it('refuses garbage rows, an empty file and invalid UTF-8: exit 1, one line, nothing imported', () => {
    const garbage = file('garbage.csv', ['ID,Label', ...Array.from({ length: 10 }, (_, i) => `garbage ${i + 1}`)].join('\n') + '\n');
    const cases: [string, string][] = [
      [garbage, `ich: ${garbage}:2: bad row "garbage 1": expected ID_<image>_<subtype>,<0 or 1>; 10 rows rejected, nothing imported`],
      [file('empty.csv', ''), `ich: ${path.join(t.dir, 'empty.csv')}: empty file (expected an "ID,Label" header and label rows)`],
      [file('latin1.csv', Buffer.concat([Buffer.from('ID,Label\nID_0a_any,'), Buffer.from([0xe9]), Buffer.from('\n')])),
        `ich: ${path.join(t.dir, 'latin1.csv')}:2: not UTF-8 text; 1 row rejected, nothing imported`],
    ];
    for (const [csv, line] of cases) {
      const r = ich('labels', 'import', csv, '--workspace', ws);
      expect(r.status, csv).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`${line}\n`);
    }
    expect(labelCount()).toBe(0);
  });

  it('imports a good file as before', () => {
    const good = file('good.csv', ['ID,Label', ...LABELS.map((l) => `ID_0abc_${l},0`)].join('\n') + '\n');
    const r = ich('labels', 'import', good, '--workspace', ws);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`1 images labelled (6 rows, 0 duplicate rows dropped, 0 excluded from training, 0 errors) -> ${ws}\n`);
    expect(labelCount()).toBe(1);
  });
});
