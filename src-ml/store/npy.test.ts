import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, readNpy, writeNpyAtomic } from './npy.ts';
import type { NpyArray } from './npy.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'npy-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function headerOf(bytes: Uint8Array): string {
  const len = bytes[8]! | (bytes[9]! << 8);
  return Buffer.from(bytes.subarray(10, 10 + len)).toString('latin1');
}

function hex(data: NpyArray): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

const cases: { name: string; data: NpyArray; shape: number[] }[] = [
  { name: 'f4_2x3', data: Float32Array.from([1.5, -2, Number.NaN, -0, Infinity, 1e-30]), shape: [2, 3] },
  { name: 'f4_3d', data: Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1), shape: [2, 3, 4] },
  { name: 'f4_vector', data: Float32Array.from([0.25, -1024, 3071]), shape: [3] },
  { name: 'f4_scalar', data: Float32Array.of(42), shape: [] },
  { name: 'f4_empty', data: new Float32Array(0), shape: [0, 4] },
  { name: 'i4_2x2', data: Int32Array.from([-2147483648, 2147483647, -1, 0]), shape: [2, 2] },
  { name: 'u1_4x3', data: Uint8Array.from({ length: 12 }, (_, i) => (i * 23) % 256), shape: [4, 3] },
];

describe('encodeNpy', () => {
  it('writes the v1.0 header with a 64-byte aligned data start', () => {
    const bytes = encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const header = headerOf(bytes);
    expect((10 + header.length) % 64).toBe(0);
    expect(header.endsWith('\n')).toBe(true);
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(bytes.length).toBe(10 + header.length + 24);
    expect(Array.from(new Float32Array(bytes.slice(10 + header.length).buffer))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('writes Python tuple syntax for 1-D and 0-D shapes and the right descr per dtype', () => {
    expect(headerOf(encodeNpy(new Int32Array(5), [5]))).toContain("'descr': '<i4', 'fortran_order': False, 'shape': (5,), }");
    expect(headerOf(encodeNpy(new Uint8Array(1), []))).toContain("'descr': '|u1', 'fortran_order': False, 'shape': (), }");
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => encodeNpy(new Float32Array(6), [2, 2])).toThrow(/holds 4 values/);
    expect(() => encodeNpy(new Float32Array(6), [-2, -3])).toThrow(/bad shape/);
  });

  it('encodes only the view of a subarray', () => {
    const whole = Float32Array.from([9, 1, 2, 9]);
    expect(Array.from(decodeNpy(encodeNpy(whole.subarray(1, 3), [2])).data)).toEqual([1, 2]);
  });
});

describe('decodeNpy', () => {
  it('round-trips every dtype and shape', () => {
    for (const c of cases) {
      const back = decodeNpy(encodeNpy(c.data, c.shape));
      expect(back.shape).toEqual(c.shape);
      expect(back.data.constructor).toBe(c.data.constructor);
      expect(hex(back.data)).toBe(hex(c.data));
    }
  });

  it('reads from an unaligned offset inside a pooled Buffer', () => {
    const bytes = encodeNpy(Int32Array.from([1, -2, 3]), [3]);
    const carrier = Buffer.concat([Buffer.from([7, 7, 7]), Buffer.from(bytes)]).subarray(3);
    const { data, dtype } = decodeNpy(carrier);
    expect(dtype).toBe('<i4');
    expect(Array.from(data)).toEqual([1, -2, 3]);
  });

  it('rejects bad magic, unsupported dtypes, Fortran order and truncation', () => {
    expect(() => decodeNpy(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toThrow(/magic/);
    const f4 = encodeNpy(Float32Array.from([1, 2]), [2]);
    const patch = (from: string, to: string) => Buffer.from(Buffer.from(f4).toString('latin1').replace(from, to), 'latin1');
    expect(() => decodeNpy(patch("'<f4'", "'<f8'"))).toThrow(/unsupported dtype '<f8'/);
    expect(() => decodeNpy(patch("'<f4'", "'>f4'"))).toThrow(/unsupported dtype/);
    expect(() => decodeNpy(patch('False', 'True '))).toThrow(/Fortran/);
    expect(() => decodeNpy(f4.subarray(0, f4.length - 1))).toThrow(/truncated data/);
  });
});

describe('writeNpyAtomic', () => {
  it('writes, overwrites, and leaves no temp files', async () => {
    const file = path.join(dir, 'atomic.npy');
    await writeNpyAtomic(file, Float32Array.from([1, 2]), [2]);
    await writeNpyAtomic(file, Uint8Array.from([3, 4, 5]), [3, 1]);
    const back = await readNpy(file);
    expect(back).toEqual({ data: Uint8Array.from([3, 4, 5]), shape: [3, 1], dtype: '|u1' });
    expect(readdirSync(dir).filter((f) => f.includes('atomic'))).toEqual(['atomic.npy']);
  });

  it('fails cleanly when the directory does not exist', async () => {
    await expect(writeNpyAtomic(path.join(dir, 'missing', 'x.npy'), new Uint8Array(1), [1])).rejects.toThrow(/ENOENT/);
  });
});

// numpy interoperability through the system Python.
const PYTHON = '/usr/bin/python3';
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

function python(script: string, args: string[]): string {
  const res = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`python failed: ${res.stderr}`);
  return res.stdout;
}

describe.skipIf(!hasNumpy)(`numpy interoperability${hasNumpy ? '' : ` [skipped: numpy not importable from ${PYTHON}]`}`, () => {
  it('numpy.load reads our files with the same dtype, shape and bytes', async () => {
    const files = await Promise.all(
      cases.map(async (c) => {
        const file = path.join(dir, `ours_${c.name}.npy`);
        await writeNpyAtomic(file, c.data, c.shape);
        return file;
      }),
    );
    const script = `
import json, sys
import numpy as np
out = []
for f in sys.argv[1:]:
    a = np.load(f)
    out.append({'dtype': a.dtype.str, 'shape': list(a.shape), 'hex': a.tobytes().hex(), 'c': bool(a.flags['C_CONTIGUOUS'])})
print(json.dumps(out))
`;
    const loaded = JSON.parse(python(script, files)) as { dtype: string; shape: number[]; hex: string; c: boolean }[];
    cases.forEach((c, i) => {
      const got = loaded[i]!;
      expect(got.dtype, c.name).toBe(c.name.startsWith('f4') ? '<f4' : c.name.startsWith('i4') ? '<i4' : '|u1');
      expect(got.shape, c.name).toEqual(c.shape);
      expect(got.hex, c.name).toBe(hex(c.data));
      expect(got.c).toBe(true);
    });
  });

  it('reads files written by numpy.save (v1.0) and by format versions 2.0 and 3.0', async () => {
    const script = `
import sys
import numpy as np
from numpy.lib import format as fmt
d = sys.argv[1]
np.save(d + '/np_f4.npy', (np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5) / 3)
np.save(d + '/np_i4.npy', np.array([[-7, 0, 2**31 - 1]], dtype=np.int32))
np.save(d + '/np_u1.npy', np.arange(250, 256, dtype=np.uint8).reshape(1, 2, 3))
np.save(d + '/np_sliced.npy', np.arange(20, dtype=np.float32).reshape(4, 5)[:, 1:3])
np.save(d + '/np_f8.npy', np.zeros(2))
for v in ((2, 0), (3, 0)):
    with open(d + '/np_v%d.npy' % v[0], 'wb') as f:
        fmt.write_array(f, np.array([1.25, -3], dtype=np.float32), version=v)
`;
    python(script, [dir]);
    const f4 = await readNpy(path.join(dir, 'np_f4.npy'));
    expect(f4.dtype).toBe('<f4');
    expect(f4.shape).toEqual([3, 4]);
    expect(Array.from(f4.data)).toEqual(Array.from(Float32Array.from({ length: 12 }, (_, i) => (i - 5.5) / 3)));
    expect(await readNpy(path.join(dir, 'np_i4.npy'))).toEqual({ data: Int32Array.from([-7, 0, 2147483647]), shape: [1, 3], dtype: '<i4' });
    expect(await readNpy(path.join(dir, 'np_u1.npy'))).toEqual({ data: Uint8Array.from([250, 251, 252, 253, 254, 255]), shape: [1, 2, 3], dtype: '|u1' });
    // A non-contiguous slice is saved in C order.
    expect(Array.from((await readNpy(path.join(dir, 'np_sliced.npy'))).data)).toEqual([1, 2, 6, 7, 11, 12, 16, 17]);
    await expect(readNpy(path.join(dir, 'np_f8.npy'))).rejects.toThrow(/unsupported dtype '<f8'/);
    for (const v of [2, 3]) {
      expect(await readNpy(path.join(dir, `np_v${v}.npy`))).toEqual({ data: Float32Array.from([1.25, -3]), shape: [2], dtype: '<f4' });
    }
  });

  it('numpy reads our header byte for byte as it would its own', () => {
    // Guard against a header numpy accepts but parses differently (e.g. shape as a list).
    const file = path.join(dir, 'ours_header.npy');
    writeFileSync(file, encodeNpy(new Float32Array(2 * 512 * 512), [2, 512, 512]));
    const script = `
import sys
from numpy.lib import format as fmt
with open(sys.argv[1], 'rb') as f:
    v = fmt.read_magic(f)
    shape, fortran, dtype = fmt._read_array_header(f, v)
    print(v, shape, fortran, dtype.str, f.tell())
`;
    const header = headerOf(readFileSync(file));
    expect(python(script, [file]).trim()).toBe(`(1, 0) (2, 512, 512) False <f4 ${10 + header.length}`);
  });
});

describe('writeNpyPartsAtomic', () => {
  it('writes the same bytes as encodeNpy from parts, and refuses a short total', async () => {
    const { writeNpyPartsAtomic, encodeNpy: enc } = await import('./npy.ts');
    const { mkdtempSync, readFileSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const pathMod = await import('node:path');
    const dir = mkdtempSync(pathMod.join(tmpdir(), 'npy-parts-'));
    const all = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    const file = pathMod.join(dir, 'f.npy');
    await writeNpyPartsAtomic(file, [6, 4], [all.subarray(0, 8), all.subarray(8, 20), all.subarray(20)]);
    expect(new Uint8Array(readFileSync(file))).toEqual(enc(all, [6, 4]));
    await expect(writeNpyPartsAtomic(pathMod.join(dir, 'g.npy'), [6, 4], [all.subarray(0, 8)])).rejects.toThrow(/parts hold 8 values/);
    expect(readdirSync(dir)).toEqual(['f.npy']);
  });
});
