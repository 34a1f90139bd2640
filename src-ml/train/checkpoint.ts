/**
 * Per-epoch training checkpoints: runs/<run-id>/checkpoints/epoch-NNN/ holding the model
 * (model.json + weights.bin + meta.json), the optimizer moments (optimizer.bin, float32, in the order of
 * state.json's varNames) and state.json (epoch, step, history). A checkpoint folder is written under a
 * temporary name and renamed into place, so a folder that exists is complete: a run killed mid-write
 * resumes from the previous one.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { replaceDir, siblingTempPath, writeFileSynced } from '../base/atomic-write.ts';
import { errorMessage } from '../base/errors.ts';
import { loadModel, saveModel } from '../nn/model-io.ts';

export const CHECKPOINT_DIR = 'checkpoints';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valMetric: number;
  perClass: Record<string, number>;
  seconds: number;
  lr: number;
}

export interface CheckpointState {
  /** Epochs completed (1-based count). */
  epoch: number;
  /** Optimizer steps completed. */
  step: number;
  iterations: number;
  history: EpochRecord[];
  varNames: string[];
}

export interface LoadedCheckpoint {
  dir: string;
  state: CheckpointState;
  model: tf.LayersModel;
  moments: Float32Array[];
}

function epochDirName(epoch: number): string {
  return `epoch-${String(epoch).padStart(3, '0')}`;
}

/** `extras`: more files for the checkpoint folder (the epoch's validation predictions). */
export async function writeCheckpoint(runDir: string, model: tf.LayersModel, moments: Float32Array[], state: CheckpointState, meta: object, extras: Record<string, Uint8Array> = {}): Promise<string> {
  const root = path.join(runDir, CHECKPOINT_DIR);
  await mkdir(root, { recursive: true });
  const final = path.join(root, epochDirName(state.epoch));
  const tmp = siblingTempPath(final);
  try {
    await mkdir(tmp);
    await saveModel(model, path.join(tmp, 'model'), meta);
    const total = moments.reduce((n, m) => n + m.length, 0);
    const buf = new Float32Array(total);
    let at = 0;
    for (const m of moments) {
      buf.set(m, at);
      at += m.length;
    }
    await writeFileSynced(path.join(tmp, 'optimizer.bin'), new Uint8Array(buf.buffer));
    await writeFileSynced(path.join(tmp, 'state.json'), JSON.stringify({ ...state, momentSizes: moments.map((m) => m.length) }, null, 1));
    for (const [name, bytes] of Object.entries(extras)) await writeFileSynced(path.join(tmp, name), bytes);
    await replaceDir(tmp, final);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`cannot write checkpoint ${final}: ${errorMessage(err)}`, { cause: err });
  }
  return final;
}

/** Completed checkpoint epochs of a run, ascending. */
export async function listCheckpoints(runDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(path.join(runDir, CHECKPOINT_DIR));
  } catch {
    return [];
  }
  return names.map((n) => /^epoch-(\d+)$/.exec(n)?.[1]).filter((x): x is string => x !== undefined).map(Number).sort((a, b) => a - b);
}

export async function readCheckpoint(runDir: string, epoch: number): Promise<LoadedCheckpoint> {
  const dir = path.join(runDir, CHECKPOINT_DIR, epochDirName(epoch));
  const stateFile = path.join(dir, 'state.json');
  let state: CheckpointState & { momentSizes: number[] };
  try {
    state = JSON.parse(await readFile(stateFile, 'utf8')) as CheckpointState & { momentSizes: number[] };
  } catch (err) {
    throw new Error(`${stateFile}: ${errorMessage(err)}`, { cause: err });
  }
  const bytes = await readFile(path.join(dir, 'optimizer.bin'));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const expected = state.momentSizes.reduce((a, b) => a + b, 0);
  if (all.length !== expected) throw new Error(`${path.join(dir, 'optimizer.bin')}: ${all.length} floats, state.json says ${expected}`);
  const moments: Float32Array[] = [];
  let at = 0;
  for (const n of state.momentSizes) {
    moments.push(all.slice(at, at + n));
    at += n;
  }
  const { model } = await loadModel(path.join(dir, 'model'));
  return { dir, state, model, moments };
}

/** Removes checkpoints other than the given epochs (the last and the best are what a run needs). */
export async function pruneCheckpoints(runDir: string, keep: Set<number>): Promise<void> {
  for (const e of await listCheckpoints(runDir)) {
    if (!keep.has(e)) await rm(path.join(runDir, CHECKPOINT_DIR, epochDirName(e)), { recursive: true, force: true });
  }
}

export function checkpointFile(runDir: string, epoch: number, name: string): string {
  return path.join(runDir, CHECKPOINT_DIR, epochDirName(epoch), name);
}

export function checkpointModelDir(runDir: string, epoch: number): string {
  return path.join(runDir, CHECKPOINT_DIR, epochDirName(epoch), 'model');
}
