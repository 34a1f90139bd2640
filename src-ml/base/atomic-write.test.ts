import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  replaceDir, replaceDirSync, siblingTempPath, writeFileAtomic, writeFileAtomicSync, writeFileAtomicSyncWith, writeFileAtomicWith, writeFileSynced,
} from './atomic-write.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'ich-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const dir = path.join(root, `d${n++}`);
  mkdirSync(dir);
  return dir;
};

describe('siblingTempPath', () => {
  it('is a hidden name in the target folder, different each time', () => {
    const a = siblingTempPath('/x/y/model.json');
    expect(path.dirname(a)).toBe('/x/y');
    expect(path.basename(a)).toMatch(new RegExp(`^\\.model\\.json\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
    expect(siblingTempPath('/x/y/model.json')).not.toBe(a);
    expect(siblingTempPath('/x/m', 'old')).toMatch(/\.old$/);
  });
});

describe('writeFileAtomicSync', () => {
  it('replaces the target in one step and leaves no temp file, even when the write fails', () => {
    const dir = freshDir();
    const file = path.join(dir, 'x.dcm');
    writeFileAtomicSync(file, new Uint8Array([1, 2, 3]));
    writeFileAtomicSync(file, new Uint8Array([4, 5]));
    expect([...readFileSync(file)]).toEqual([4, 5]);
    expect(() => writeFileAtomicSync(path.join(dir, 'missing', 'y.dcm'), new Uint8Array(1))).toThrow(/^cannot write .*missing.y\.dcm \(ENOENT/);
    expect(readdirSync(dir)).toEqual(['x.dcm']);
  });

  it('writes text as UTF-8 and keeps the errno code of a failure', () => {
    const dir = freshDir();
    const file = path.join(dir, 'settings.json');
    writeFileAtomicSync(file, '{"a":"é"}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"a":"é"}\n');
    let code: unknown;
    try {
      writeFileAtomicSync(path.join(dir, 'no', 'f'), 'x');
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
    }
    expect(code).toBe('ENOENT');
  });
});

describe('writeFileAtomicSyncWith', () => {
  it('streams the parts into the file', () => {
    const dir = freshDir();
    const file = path.join(dir, 'rows.csv');
    writeFileAtomicSyncWith(file, (write) => {
      write('a,b\n');
      for (let i = 0; i < 3; i++) write(`${i},${i * i}\n`);
    });
    expect(readFileSync(file, 'utf8')).toBe('a,b\n0,0\n1,1\n2,4\n');
  });

  it("passes the writer's own error through unchanged and keeps the old file", () => {
    const dir = freshDir();
    const file = path.join(dir, 'rows.csv');
    writeFileSync(file, 'old');
    const bad = new RangeError('row 2 is bad');
    expect(() => writeFileAtomicSyncWith(file, (write) => {
      write('partial');
      throw bad;
    })).toThrow(bad);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['rows.csv']);
  });
});

describe('writeFileAtomic and writeFileAtomicWith', () => {
  it('replace the target and leave no temp file', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'report.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, new Uint8Array([0x74, 0x77, 0x6f]));
    expect(readFileSync(file, 'utf8')).toBe('two');
    await writeFileAtomicWith(file, async (write) => {
      await write('th');
      await write(new Uint8Array([0x72, 0x65, 0x65]));
    });
    expect(readFileSync(file, 'utf8')).toBe('three');
    await expect(writeFileAtomic(path.join(dir, 'missing', 'y.json'), 'x')).rejects.toThrow(/^cannot write .*missing.y\.json \(ENOENT/);
    expect(readdirSync(dir)).toEqual(['report.json']);
  });

  it("pass the writer's own error through and keep the old file", async () => {
    const dir = freshDir();
    const file = path.join(dir, 'a.npy');
    writeFileSync(file, 'old');
    await expect(writeFileAtomicWith(file, async (write) => {
      await write('part');
      throw new RangeError('npy: parts exceed the shape');
    })).rejects.toThrow(RangeError);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['a.npy']);
  });
});

describe('writeFileSynced', () => {
  it('writes a new file and refuses to overwrite one', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'weights.bin');
    await writeFileSynced(file, new Uint8Array([9, 8]));
    expect([...readFileSync(file)]).toEqual([9, 8]);
    await expect(writeFileSynced(file, 'x')).rejects.toThrow(/EEXIST/);
  });
});

describe('replaceDir and replaceDirSync', () => {
  const staged = (dir: string, name: string, text: string): string => {
    const s = path.join(dir, name);
    mkdirSync(s);
    writeFileSync(path.join(s, 'f.txt'), text);
    return s;
  };

  it('put a staged folder in place of a missing or existing target, leaving nothing aside', async () => {
    const dir = freshDir();
    const target = path.join(dir, 'model');
    await replaceDir(staged(dir, '.a.tmp', 'one'), target);
    expect(readFileSync(path.join(target, 'f.txt'), 'utf8')).toBe('one');
    await replaceDir(staged(dir, '.b.tmp', 'two'), target);
    expect(readFileSync(path.join(target, 'f.txt'), 'utf8')).toBe('two');
    replaceDirSync(staged(dir, '.c.tmp', 'three'), target);
    expect(readFileSync(path.join(target, 'f.txt'), 'utf8')).toBe('three');
    replaceDirSync(staged(dir, '.d.tmp', 'four'), path.join(dir, 'other'));
    expect(readdirSync(dir).sort()).toEqual(['model', 'other']);
  });

  it('keep the old folder when the staged one is missing', async () => {
    const dir = freshDir();
    const target = path.join(dir, 'model');
    replaceDirSync(staged(dir, '.a.tmp', 'one'), target);
    await expect(replaceDir(path.join(dir, 'nope'), target)).rejects.toThrow(/ENOENT/);
    expect(() => replaceDirSync(path.join(dir, 'nope'), target)).toThrow(/ENOENT/);
    expect(readFileSync(path.join(target, 'f.txt'), 'utf8')).toBe('one');
    expect(readdirSync(dir)).toEqual(['model']);
  });
});
