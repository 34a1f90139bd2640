import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { buildBenchCNN } from './bench-cnn.ts';
import { loadModel, saveModel } from './model-io.ts';

const quiet = { log: () => undefined };
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'model-io-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe('saveModel / loadModel', () => {
  it('round-trips BenchCNN with identical weights and predictions on wasm, and loads under cpu', async () => {
    expect(await initBackend({ purpose: 'train' }, { ...quiet, env: { ICH_BACKEND: 'wasm' } })).toBe('wasm');
    const model = buildBenchCNN(32);
    const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 11);
    const y = tf.tensor2d([[1], [0], [1], [0]]);
    await model.trainOnBatch(x, y); // moves batch-norm statistics away from their initial values
    const before = (model.predict(x) as tf.Tensor).dataSync().slice();
    const weightsBefore = weightsOf(model);
    const dir = path.join(root, 'cnn');
    await saveModel(model, dir, { epoch: 3, note: 'test' });
    expect((await readdir(dir)).sort()).toEqual(['meta.json', 'model.json', 'weights.bin']);
    expect(await readdir(root)).toEqual(['cnn']);

    const loaded = await loadModel<{ epoch: number; note: string }>(dir);
    expect(loaded.meta).toEqual({ epoch: 3, note: 'test' });
    expect(loaded.model.countParams()).toBe(model.countParams());
    expect(weightsOf(loaded.model)).toEqual(weightsBefore);
    expect((loaded.model.predict(x) as tf.Tensor).dataSync()).toEqual(before);
    // The training config comes back too: the loaded model trains without compile().
    expect(Number.isFinite(Number(await loaded.model.trainOnBatch(x, y)))).toBe(true);
    loaded.model.dispose();

    expect(await initBackend({ purpose: 'infer' }, { ...quiet, env: { ICH_BACKEND: 'cpu' } })).toBe('cpu');
    const onCpu = await loadModel(dir);
    expect(weightsOf(onCpu.model)).toEqual(weightsBefore);
    const xCpu = tf.tensor(x.dataSync(), x.shape);
    const cpuPred = (onCpu.model.predict(xCpu) as tf.Tensor).dataSync();
    for (let i = 0; i < before.length; i++) expect(cpuPred[i]!).toBeCloseTo(before[i]!, 4);
    onCpu.model.dispose();
    model.dispose();
    tf.dispose([x, y, xCpu]);
  });

  it('replaces an existing model atomically and leaves nothing behind when saving fails', async () => {
    await initBackend({ purpose: 'infer' }, { ...quiet, env: { ICH_BACKEND: 'cpu' } });
    const a = buildBenchCNN(16);
    const b = buildBenchCNN(16);
    const dir = path.join(root, 'replace');
    await saveModel(a, dir, { v: 1 });
    await saveModel(b, dir, { v: 2 });
    const loaded = await loadModel(dir);
    expect(loaded.meta).toEqual({ v: 2 });
    expect(weightsOf(loaded.model)).toEqual(weightsOf(b));
    // A meta that cannot be serialised fails before anything is written; the old model stays.
    await expect(saveModel(a, dir, { bad: 1n })).rejects.toThrow(/^cannot save model to .*replace: /);
    expect((await loadModel(dir)).meta).toEqual({ v: 2 });
    expect((await readdir(root)).filter((n) => n.includes('replace'))).toEqual(['replace']);
    for (const m of [a, b, loaded.model]) m.dispose();
  });

  it('fails with one line naming weights.bin when it is missing, truncated or corrupted', async () => {
    await initBackend({ purpose: 'infer' }, { ...quiet, env: { ICH_BACKEND: 'cpu' } });
    const model = buildBenchCNN(16);
    const dir = path.join(root, 'broken');
    const weights = path.join(dir, 'weights.bin');
    const oneLine = (re: RegExp) => (err: unknown): void => {
      const msg = (err as Error).message;
      expect(msg).not.toContain('\n');
      expect(msg).toMatch(re);
    };

    await saveModel(model, dir, {});
    await truncate(weights, 100);
    await loadModel(dir).then(() => expect.unreachable(), oneLine(/weights\.bin has 100 bytes; model\.json expects \d+ \(truncated or corrupted\)$/));

    await saveModel(model, dir, {});
    const bytes = await readFile(weights);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(weights, bytes);
    await loadModel(dir).then(() => expect.unreachable(), oneLine(/weights\.bin does not match the SHA-256 recorded in model\.json \(corrupted\)$/));

    await rm(weights);
    await loadModel(dir).then(() => expect.unreachable(), oneLine(/\/broken\/weights\.bin is missing$/));
    await rm(dir, { recursive: true });
    await loadModel(dir).then(() => expect.unreachable(), oneLine(/\/broken\/model\.json is missing$/));
    model.dispose();
  });
});
