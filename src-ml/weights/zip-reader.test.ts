// The zip reader on archives written by testing/zip-writer.ts, intact and damaged: truncation, a
// flipped data byte (CRC), directory offsets past the end, a bad local header; each one line naming the file.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.ts';
import { writeZip } from './testing/zip-writer.ts';
import { ZipError, ZipReader } from './zip-reader.ts';

const t = tempDir('ich-zip-');
afterAll(() => t.cleanup());

const A = new TextEncoder().encode('hello zip');
const B = new Uint8Array(1000).map((_, i) => i % 251);
const good = writeZip([{ name: 'ck/data.pkl', data: A }, { name: 'ck/data/0', data: B }]);

function file(name: string, bytes: Uint8Array): string {
  const f = path.join(t.dir, name);
  writeFileSync(f, bytes);
  return f;
}

async function failure(f: string, entry?: string): Promise<string> {
  try {
    const z = await ZipReader.open(f);
    try {
      await z.read(entry ?? 'ck/data/0');
    } finally {
      await z.close();
    }
  } catch (err) {
    expect(err).toBeInstanceOf(ZipError);
    const msg = (err as Error).message;
    expect(msg.startsWith(`${f}: `)).toBe(true);
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected a ZipError');
}

describe('ZipReader', () => {
  it('lists and reads stored entries', async () => {
    const z = await ZipReader.open(file('good.zip', good));
    expect([...z.entries.keys()]).toEqual(['ck/data.pkl', 'ck/data/0']);
    expect(await z.read('ck/data.pkl')).toEqual(A);
    expect(await z.read('ck/data/0')).toEqual(B);
    await z.close();
  });

  it('a truncated archive: no end-of-central-directory record', async () => {
    expect(await failure(file('trunc.zip', good.subarray(0, Math.floor(good.length / 2))))).toMatch(/no zip end-of-central-directory record .*truncated/);
  });

  it('a flipped data byte: CRC-32 mismatch naming the entry', async () => {
    const bad = new Uint8Array(good);
    bad[30 + 'ck/data.pkl'.length + A.length + 30 + 'ck/data/0'.length + 500]! ^= 0x10;
    expect(await failure(file('crc.zip', bad))).toMatch(/entry ck\/data\/0: CRC-32 mismatch .*corrupted/);
  });

  it('a central directory offset past the end of the file', async () => {
    const bad = new Uint8Array(good);
    new DataView(bad.buffer).setUint32(bad.length - 6, 0x7fff0000, true);
    expect(await failure(file('cdoff.zip', bad))).toMatch(/central directory at offset 2147418112 .* past the end/);
  });

  it('an entry offset that points at no local header', async () => {
    const bad = new Uint8Array(good);
    const cdStart = new DataView(bad.buffer).getUint32(bad.length - 6, true);
    const second = cdStart + 46 + 'ck/data.pkl'.length;
    new DataView(bad.buffer).setUint32(second + 42, 3, true);
    expect(await failure(file('local.zip', bad))).toMatch(/entry ck\/data\/0: bad local header signature at offset 3/);
  });
});
