// The webgpu backend in the chain (adapter probe, forced software adapter, the log line), its refusal of
// synchronous reads, and what a GPU failure does: one line naming the adapter, no checkpoint written over a good one.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { webGpuState } from './webgpu-backend.ts';
import { findAdapterInProcess, probeWebGpuAdapter } from './webgpu-probe.ts';
import { webGpuForTests } from './webgpu-test-utils.ts';
import { writeCheckpoint } from '../train/checkpoint.ts';

const gpu = await webGpuForTests();
const run = gpu.skip ? it.skip : it;
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const software = { adapter: { vendor: '', architecture: '', device: 'llvmpipe', description: 'Mesa', software: true, via: 'backend=opengl' } };
const noNative = (s: string): Promise<unknown> => (s.startsWith('@tensorflow/tfjs-node') ? Promise.reject(new Error(`Cannot find package '${s}'`)) : import(s));

describe('webgpu in the backend chain', () => {
  it('is passed over for a software adapter or none unless forced, without loading Dawn', async () => {
    for (const found of [software, { adapter: null, reason: 'dawn default: no adapter' }]) {
      const loaded: string[] = [];
      const importModule = (s: string): Promise<unknown> => {
        loaded.push(s);
        return noNative(s);
      };
      const name = await initBackend({ purpose: 'train' }, { env: {}, log: () => undefined, importModule, probeWebGpu: async () => found });
      expect(name).toBe('wasm');
      expect(loaded).not.toContain('webgpu');
    }
  });

  it('the probe finds no hardware adapter here, and the software one only when asked', async () => {
    const hw = await probeWebGpuAdapter(process.env, false);
    if (hw.adapter) expect(hw.adapter.software).toBe(false);
    const any = await probeWebGpuAdapter(process.env, true);
    if (gpu.skip) return;
    expect(any.adapter).not.toBeNull();
  }, 60_000);

  it('the in-process probe (Electron job processes, where no Node child may start) answers as the child does', async () => {
    const { createRequire } = await import('node:module');
    const { pathToFileURL } = await import('node:url');
    const { dawnAttempts } = await import('./webgpu-adapter.ts');
    const url = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
    const child = await probeWebGpuAdapter(process.env, true);
    const inProcess = await findAdapterInProcess({ url, attempts: dawnAttempts(process.env) });
    expect(inProcess).toEqual(child);
  }, 60_000);

  run('forced: the log line names the adapter (vendor, architecture, device, description, software or hardware)', () => {
    const state = webGpuState()!;
    expect(state.adapter.software).toBe(true);
    expect(gpu.log).toMatch(/^\[nn\] backend: webgpu \(adapter: .+, (software|hardware)(, dawn [^)]+)?\) for train \[forced by ICH_BACKEND\]$/);
    expect(gpu.log).toContain(state.adapter.device || state.adapter.description);
  });

  run('refuses a synchronous read of a GPU tensor with a clear message; CPU-resident values still read', async () => {
    await tf.setBackend('webgpu');
    const cpuSide = tf.tensor1d([1, 2, 3]);
    expect(Array.from(cpuSide.dataSync())).toEqual([1, 2, 3]);
    const onGpu = tf.add(tf.ones([64, 64]), 1);
    expect(() => onGpu.dataSync()).toThrow('webgpu: a GPU tensor cannot be read synchronously in Node (dataSync/arraySync); read it with await data()');
    expect((await onGpu.data())[0]).toBe(2);
    tf.dispose([cpuSide, onGpu]);
  });

  run('a training step reads nothing back from the GPU but the loss', async () => {
    await tf.setBackend('webgpu');
    const backend = tf.backend() as unknown as { read: (id: object) => Promise<unknown> };
    const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3 }), tf.layers.batchNormalization(), tf.layers.flatten(), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
    const x = tf.randomNormal([4, 8, 8, 2], 0, 1, 'float32', 1);
    const y = tf.randomNormal([4, 1], 0, 1, 'float32', 2);
    await model.trainOnBatch(x, y);
    const own = backend.read.bind(backend);
    let reads = 0;
    backend.read = (id) => {
      reads++;
      return own(id);
    };
    try {
      await model.trainOnBatch(x, y);
    } finally {
      backend.read = own;
    }
    expect(reads).toBe(1);
    model.dispose();
    tf.dispose([x, y]);
  }, 120_000);

  run('a GPU failure stops the next op with one line naming the adapter, leaves the last checkpoint intact, and a restart gets a new device', async () => {
    await tf.setBackend('webgpu');
    const dir = await mkdtemp(path.join(tmpdir(), 'ich-webgpu-'));
    dirs.push(dir);
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    const first = await writeCheckpoint(dir, model, [], { epoch: 1, step: 10, iterations: 10, history: [], varNames: [] }, { note: 'epoch 1' });
    const before = await Promise.all((await readdir(path.join(first, 'model'))).map(async (f) => [f, await readFile(path.join(first, 'model', f))] as const));

    const state = webGpuState()!;
    // an invalid buffer is a validation error nobody captures: WebGPU reports it as an uncapturederror event
    state.device.createBuffer({ size: 4, usage: 0 });
    await state.device.queue.onSubmittedWorkDone();
    for (let i = 0; i < 50 && !state.watch.failed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(state.watch.failed).toBe(true);

    const message = new RegExp(`^GPU failure on webgpu adapter ${state.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: GPUValidationError: .+; the run stops here and its last epoch checkpoint is intact \\(--resume continues it\\)$`);
    expect(() => tf.add(tf.ones([8]), tf.ones([8])).dataSync()).toThrow(message);
    const next = writeCheckpoint(dir, model, [], { epoch: 2, step: 20, iterations: 20, history: [], varNames: [] }, { note: 'epoch 2' });
    await expect(next).rejects.toThrow(/GPU failure on webgpu adapter/);
    expect((await readdir(path.join(dir, 'checkpoints'))).sort()).toEqual(['epoch-001']);
    for (const [f, bytes] of before) expect(await readFile(path.join(first, 'model', f))).toEqual(bytes);
    model.dispose();

    // the next initBackend starts a fresh device on the same adapter
    const lines: string[] = [];
    expect(await initBackend({ purpose: 'train' }, { env: { ...process.env, ICH_BACKEND: 'webgpu' }, log: (l) => lines.push(l) })).toBe('webgpu');
    expect(webGpuState()!.device).not.toBe(state.device);
    expect(Array.from(await tf.add(tf.ones([2]), 1).data())).toEqual([2, 2]);
  }, 120_000);

  run('a lost device is a failure too', async () => {
    const state = webGpuState()!;
    state.device.destroy();
    for (let i = 0; i < 50 && !state.watch.failed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(() => state.watch.check()).toThrow(/^GPU failure on webgpu adapter .+: device lost \(destroyed/);
  }, 60_000);
});
