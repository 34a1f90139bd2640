// `ich train base` / `ich runs` / `ich features` / `ich bench train` as a user runs them, including a
// kill -9 in the middle of an epoch and `--resume` to completion.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary, TrainingEvent } from '../api/training.ts';
import { loadModel } from '../nn/model-io.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { testPreset } from '../train/test-preset.ts';

const ICH = path.join(REPO_ROOT, 'bin/ich.js');
const ich = (...args: string[]) => spawnSync(process.execPath, [ICH, ...args], { encoding: 'utf8', cwd: REPO_ROOT });

/** Every file under dir, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

describe('ich train base / runs / features', () => {
  const t = tempDir('ich-train-cli-');
  let ws = '';
  const presetFile = path.join(t.dir, 'preset.json');
  beforeAll(async () => {
    ws = await makeSynthWorkspace(t.dir, { studies: 6, seed: 5, size: 64 });
    writeFileSync(presetFile, JSON.stringify(testPreset({ epochs: 3 })));
  }, 120_000);
  afterAll(() => t.cleanup());

  it('a run killed with SIGKILL mid-epoch shows as failed and --resume finishes it with no corrupt file', async () => {
    const child = spawn(process.execPath, [ICH, 'train', 'base', '--workspace', ws, '--preset', presetFile, '--fold', '0', '--events'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let runId = '';
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const lines = createInterface({ input: child.stdout });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for await (const line of lines) {
      const e = JSON.parse(line) as TrainingEvent;
      if (e.type === 'batch') runId = e.runId;
      if (e.type === 'batch' && e.epoch === 2 && e.batch === 2) {
        child.kill('SIGKILL');
        break;
      }
    }
    expect(await exited, stderr).toBe(null);
    expect(runId).not.toBe('');

    const runs = JSON.parse(ich('runs', '--workspace', ws, '--json').stdout) as RunSummary[];
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: runId, stage: 'base', preset: 'tiny', fold: 0, status: 'failed' });
    expect(Object.keys(runs[0]!).slice(0, 6)).toEqual(['id', 'stage', 'preset', 'fold', 'status', 'metrics']);

    const resumed = ich('train', 'base', '--workspace', ws, '--resume', runId, '--events');
    expect(resumed.status, resumed.stderr).toBe(0);
    const events = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as TrainingEvent & { modelId?: string; status?: string });
    // the interrupted epoch 2 is redone from the epoch-1 checkpoint, then epoch 3
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch)).toEqual([2, 3]);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ runId, status: 'done', modelId: 'tiny-se-resnext.k2.f0' });

    const after = JSON.parse(ich('runs', '--workspace', ws, '--json').stdout) as RunSummary[];
    expect(after[0]).toMatchObject({ id: runId, status: 'done' });
    expect((after[0]!.metrics.curve as unknown[]).length).toBe(3);
    // nothing half-written anywhere, and the model loads
    expect(walk(ws).filter((f) => /\.tmp$|\.old$/.test(f))).toEqual([]);
    const { model } = await loadModel(path.join(ws, 'models', 'tiny-se-resnext.k2.f0'));
    model.dispose();

    const feats = ich('features', '--workspace', ws, '--model', 'tiny-se-resnext.k2.f0', '--no-progress');
    expect(feats.status, feats.stderr).toBe(0);
    expect(JSON.parse(feats.stdout.trim().split('\n').at(-1)!)).toMatchObject({ modelId: 'tiny-se-resnext.k2.f0', featureSize: 128, train: { copies: 2 } });
  }, 300_000);

  it('refuses a bad fold, an unknown run and an unknown model with one line', () => {
    const a = ich('train', 'base', '--workspace', ws, '--preset', presetFile, '--fold', '7');
    expect(a.status).toBe(1);
    expect(a.stderr.trim()).toMatch(/^ich: --fold must be 0\.\.1/);
    const b = ich('train', 'base', '--workspace', ws, '--resume', 'nope');
    expect(b.stderr.trim()).toMatch(/^ich: no run nope/);
    const c = ich('features', '--workspace', ws, '--model', 'nope');
    expect(c.stderr.trim()).toMatch(/^ich: no model nope/);
  });
});

describe('ich bench train', () => {
  it('--json prints backend, trainStepMedianMs and inferPerSec for bench-seq', () => {
    const r = ich('bench', 'train', '--model', 'bench-seq', '--json', '--steps', '5', '--infer-iters', '5');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out).slice(0, 3)).toEqual(['backend', 'trainStepMedianMs', 'inferPerSec']);
    expect(out.backend).toBe('wasm');
    expect(out.trainStepMedianMs).toBeGreaterThan(0);
    expect(out.inferPerSec).toBeGreaterThan(0);
    expect(out.onnxInferPerSec).toBeGreaterThan(0); // the same batch on ONNX Runtime
    expect(out.onnxMaxAbsDiff).toBeLessThan(1e-4);
    expect(out.params).toBe(394886);
  }, 120_000);

  it('refuses an unknown model', () => {
    const r = ich('bench', 'train', '--model', 'resnet', '--json');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--model must be one of bench-cnn, bench-seq/);
  });
});
