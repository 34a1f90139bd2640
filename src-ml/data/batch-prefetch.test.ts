import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { CancelledError } from '../jobs/progress.ts';
import { GE_DIR, REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { SE_TRAIN_AUG } from './augment.ts';
import { createBatchMaker, prefetchWanted, PrefetchBatchMaker } from './batch-prefetch.ts';
import { SliceImages } from './slice-images.ts';
import { inlineBatchMaker, type BatchItem, type BatchMaker, type PackedBatch } from './train-batch.ts';

const SIZE = 64;
const BATCH = 5;
const tmp = tempDir('ich-prefetch-');
afterAll(() => tmp.cleanup());

// The GE head CT's slices with made-up labels, and one file that does not exist (a zero image and a warning).
const MISSING = path.join(tmp.dir, 'gone.dcm');
const ITEMS: BatchItem[] = [
  ...readdirSync(GE_DIR).filter((f) => f.endsWith('.dcm')).sort().map((f, i) => ({
    imageId: `ID_${f}`, path: path.join(GE_DIR, f), frame: null, labels: [i % 2, 0, (i >> 1) % 2, 0, i % 3 === 0 ? 1 : 0, i % 2],
  })),
  { imageId: 'ID_gone', path: MISSING, frame: null, labels: [0, 0, 0, 0, 0, 0] },
];
// Two epochs of batches over a shuffled order (the second epoch meets the caches), the last batch short.
const orderOf = (epoch: number): number[] => {
  const rng = createRng(`order:${epoch}`);
  const order = ITEMS.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
};
const BATCHES = Math.ceil(ITEMS.length / BATCH);

async function epochs(maker: BatchMaker, augment: boolean): Promise<{ x: Uint8Array; y: Uint8Array; n: number }[]> {
  const out: { x: Uint8Array; y: Uint8Array; n: number }[] = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    const order = orderOf(epoch);
    const itemsOf = (b: number): BatchItem[] => order.slice(b * BATCH, (b + 1) * BATCH).map((i) => ITEMS[i]!);
    const at = maker.epoch(BATCHES, itemsOf, augment ? { cfg: SE_TRAIN_AUG, rng: createRng(`aug:${epoch}`) } : null);
    for (let b = 0; b < BATCHES; b++) {
      const { x, y, n }: PackedBatch = await at(b);
      // Copies: the inline maker reuses its buffers batch to batch.
      out.push({ x: new Uint8Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength)), y: new Uint8Array(y.buffer.slice(y.byteOffset, y.byteOffset + y.byteLength)), n });
    }
  }
  return out;
}

describe('batch prefetch', () => {
  for (const augment of [true, false]) {
    it(`gives the inline path's batches byte for byte (${augment ? 'augmented' : 'no augmentation'}) and the same warning line`, async () => {
      const inlineWarn: string[] = [];
      const inline = await epochs(inlineBatchMaker(new SliceImages(SIZE, 1 << 30, (l) => inlineWarn.push(l))), augment);
      const workerWarn: string[] = [];
      const maker = new PrefetchBatchMaker({ size: SIZE, cacheBytes: 1 << 30, warn: (l) => workerWarn.push(l) });
      try {
        const ahead = await epochs(maker, augment);
        expect(ahead.length).toBe(2 * BATCHES);
        expect(ahead.map((b) => b.n)).toEqual(inline.map((b) => b.n));
        for (let i = 0; i < inline.length; i++) {
          expect(Buffer.compare(ahead[i]!.x, inline[i]!.x), `batch ${i} x`).toBe(0);
          expect(Buffer.compare(ahead[i]!.y, inline[i]!.y), `batch ${i} y`).toBe(0);
        }
        // Real pixels went through (not two zero paths agreeing), and the missing file warned once, naming it.
        expect(new Float32Array(inline[0]!.x.buffer).some((v) => v > 0)).toBe(true);
        expect(inlineWarn).toHaveLength(1);
        expect(inlineWarn[0]).toContain(MISSING);
        expect(workerWarn).toEqual(inlineWarn);
      } finally {
        await maker.close();
      }
    });
  }

  it('fails a batch with the worker\'s one-line error', async () => {
    const maker = new PrefetchBatchMaker({ size: SIZE, cacheBytes: 0, warn: () => {} });
    try {
      // Seven labels overflow the batch's label array in the worker's fillBatch.
      const bad: BatchItem[] = [{ ...ITEMS[0]!, labels: [0, 0, 0, 0, 0, 0, 1] }];
      const at = maker.epoch(2, () => bad, null);
      await expect(at(0)).rejects.toThrow(/offset is out of bounds/);
      await expect(at(1)).rejects.toThrow(/offset is out of bounds/);
    } finally {
      await maker.close();
    }
  });

  it('an aborted signal ends the worker and rejects the pending batch with CancelledError', async () => {
    const ac = new AbortController();
    const maker = new PrefetchBatchMaker({ size: SIZE, cacheBytes: 0, warn: () => {}, signal: ac.signal });
    const at = maker.epoch(BATCHES, (b) => ITEMS.slice(b * BATCH, (b + 1) * BATCH), { cfg: SE_TRAIN_AUG, rng: createRng('x') });
    await at(0);
    const pending = at(1);
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    await expect(at(2)).rejects.toBeInstanceOf(CancelledError);
    // The worker has exited: terminate() settles.
    await maker.close();
  });

  // Batches that are always ready must not starve the event loop: the timer that aborts has to fire between steps.
  // In a child process: vitest's runner turns the loop on its own and hides the starvation.
  it('turns the event loop once per batch (prefetch, and inline from the cache), so a timer\'s abort is seen within a few steps', () => {
    const script = path.join(tmp.dir, 'starve.mts');
    const url = (f: string): string => JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'src-ml/data', f)).href);
    writeFileSync(script, `
      import { PrefetchBatchMaker } from ${url('batch-prefetch.ts')};
      import { SliceImages } from ${url('slice-images.ts')};
      import { inlineBatchMaker } from ${url('train-batch.ts')};
      const items = ${JSON.stringify(ITEMS.slice(0, 2))};
      const ac = new AbortController();
      const images = new SliceImages(64, 1 << 30);
      for (const it of items) await images.get(it);
      const maker = process.argv[2] === 'prefetch' ? new PrefetchBatchMaker({ size: 64, cacheBytes: 1 << 30, warn: () => {}, signal: ac.signal }) : inlineBatchMaker(images);
      const at = maker.epoch(200, () => items, null);
      await at(0); // the worker's start-up
      setTimeout(() => ac.abort(), 40);
      let b = 1;
      try {
        for (; b < 200 && !ac.signal.aborted; b++) {
          await at(b);
          const t = performance.now();
          while (performance.now() - t < 10); // a step that holds the thread, as a wasm step does
        }
      } catch (err) {
        if (err.name !== 'CancelledError') throw err;
      }
      maker.dispose();
      console.log(b);
    `);
    for (const mode of ['prefetch', 'inline']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', script, mode], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(Number(r.stdout.trim()), mode).toBeLessThan(50);
    }
  });

  it('refuses to make a batch twice (the augmentation stream would shift)', async () => {
    const maker = new PrefetchBatchMaker({ size: SIZE, cacheBytes: 0, warn: () => {} });
    try {
      const at = maker.epoch(3, () => ITEMS.slice(0, 2), null);
      await at(0);
      await expect(at(0)).rejects.toThrow(/asked for twice/);
    } finally {
      await maker.close();
    }
  });

  it('never keeps the process alive: cancelled, failed or never disposed, a script using it exits', () => {
    const script = path.join(tmp.dir, 'exit.mts');
    const mod = pathToFileURL(path.join(REPO_ROOT, 'src-ml/data/batch-prefetch.ts')).href;
    writeFileSync(script, `
      import { PrefetchBatchMaker } from ${JSON.stringify(mod)};
      const items = ${JSON.stringify(ITEMS.slice(0, 4))};
      const mode = process.argv[2];
      const ac = new AbortController();
      const maker = new PrefetchBatchMaker({ size: 64, cacheBytes: 1 << 20, warn: () => {}, signal: ac.signal });
      const at = maker.epoch(4, (b) => mode === 'fail' && b === 1 ? [{ ...items[0], labels: [0, 0, 0, 0, 0, 0, 1] }] : items.slice(b, b + 1), null);
      const first = await at(0);
      if (mode === 'cancel') ac.abort();
      const second = await at(1).then(() => 'ok', (e) => e.name + ': ' + e.message);
      console.log(JSON.stringify({ n: first.n, second }));
      // No close(): the process must still exit once nothing is pending.
    `);
    const run = (mode: string): { status: number | null; out: string; ms: number } => {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ['--import', 'tsx', script, mode], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15_000 });
      return { status: r.status, out: r.stdout.trim() + r.stderr.trim(), ms: Date.now() - t0 };
    };
    const ok = run('ok');
    expect(ok.status, ok.out).toBe(0);
    expect(JSON.parse(ok.out)).toEqual({ n: 1, second: 'ok' });
    const cancelled = run('cancel');
    expect(cancelled.status, cancelled.out).toBe(0);
    expect(JSON.parse(cancelled.out)).toEqual({ n: 1, second: 'CancelledError: training cancelled' });
    const failed = run('fail');
    expect(failed.status, failed.out).toBe(0);
    expect(JSON.parse(failed.out).second).toMatch(/^Error: .*offset is out of bounds/);
  });

  it('is on from 4 cores, off below, and ICH_PREFETCH decides when set', () => {
    expect(prefetchWanted({}, 4)).toBe(true);
    expect(prefetchWanted({}, 2)).toBe(false);
    expect(prefetchWanted({ ICH_PREFETCH: '0' }, 16)).toBe(false);
    expect(prefetchWanted({ ICH_PREFETCH: '1' }, 1)).toBe(true);
    const images = new SliceImages(SIZE);
    const inline = createBatchMaker(images, { cacheBytes: 0, warn: () => {} }, false);
    expect(inline).not.toBeInstanceOf(PrefetchBatchMaker);
    inline.dispose();
  });
});
