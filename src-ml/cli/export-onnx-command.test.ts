// ich models export-onnx on the demo's trained models: the graph is written atomically, checks with onnx.checker
// where Debian's python3-onnx is installed, and an unknown model is one line on stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDemo } from '../demo/demo-bundle.ts';
import { checkOnnx, hasPythonOnnx } from '../onnx/export-test-utils.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';

const ICH = path.join(REPO_ROOT, 'bin/ich.js');
const ich = (...args: string[]) => spawnSync(process.execPath, [ICH, ...args], { encoding: 'utf8', cwd: REPO_ROOT });
const tmp = tempDir('ich-export-onnx-');
const ws = path.join(tmp.dir, 'ws');

beforeAll(() => {
  installDemo(path.join(REPO_ROOT, 'assets', 'demo'), ws);
});
afterAll(() => tmp.cleanup());

describe('ich models export-onnx', () => {
  it('writes a base CNN and a shallow NN of the active version as ONNX, with their inputs and outputs', () => {
    const out = path.join(tmp.dir, 'base.onnx');
    const r = ich('models', 'export-onnx', 'tiny-se-resnext.k3.f0', '--out', out, '--workspace', ws);
    expect(r.stderr).not.toMatch(/^ich:/m);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { model: string; family: string; from: string; out: string; bytes: number; inputs: { shape: unknown[] }[]; outputs: unknown[] };
    expect(j).toMatchObject({ model: 'tiny-se-resnext.k3.f0', family: 'base-cnn', out });
    expect(j.from).toContain(`${path.sep}versions${path.sep}`);
    expect(j.inputs).toHaveLength(1);
    expect(j.inputs[0]!.shape).toEqual([null, 64, 64, 1]);
    expect(j.outputs).toHaveLength(2);
    expect(readFileSync(out).length).toBe(j.bytes);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.'))).toEqual([]); // no temporary file left

    const shallow = path.join(tmp.dir, 'shallow.onnx');
    const s = ich('models', 'export-onnx', 'shallow-weighted.tiny-se-resnext.k3.f2', '--out', shallow, '--workspace', ws);
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ family: 'shallow', inputs: [{ dtype: 'float32' }, { dtype: 'float32' }, { dtype: 'int32' }] });
    if (hasPythonOnnx()) {
      const checked = checkOnnx({ base: readFileSync(out), shallow: readFileSync(shallow) });
      expect(checked['base']!.error).toBeNull();
      expect(checked['shallow']!.error).toBeNull();
    }
  }, 120_000);

  it('an unknown model or a malformed id: exit 1, one line naming it, no file', () => {
    const out = path.join(tmp.dir, 'none.onnx');
    const unknown = ich('models', 'export-onnx', 'resnet.k3.f0', '--out', out, '--workspace', ws);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim().split('\n').filter((l) => l.startsWith('ich:'))).toEqual([`ich: no model resnet.k3.f0 in ${ws} (see ich runs)`]);
    const bad = ich('models', 'export-onnx', 'resnet', '--out', out, '--workspace', ws);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^ich: "resnet" is not a model id/m);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
