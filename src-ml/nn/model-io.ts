/**
 * Saves and loads tf.layers models as a folder of three files, without tfjs-node:
 *   model.json   tfjs layers format (modelTopology, weightsManifest -> weights.bin, trainingConfig,
 *                userDefinedMetadata.weightsSha256)
 *   weights.bin  all weights, concatenated in manifest order
 *   meta.json    caller's metadata (anything JSON-serialisable)
 * `saveModel` writes the files into a temp sibling folder (each file fsynced), then renames it onto
 * `dir`; an existing `dir` is first renamed aside and removed only after the new one is in place, so a
 * reader never sees a half-written model. The optimizer's state (Adam moments) is not saved; its
 * config is, so a loaded model can train again without compile(). `loadModel` checks every file and fails with one line naming it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import './layers/register.ts';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const META_JSON = 'meta.json';

export interface LoadedModel<M> {
  model: tf.LayersModel;
  meta: M;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2 };

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function toBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (Array.isArray(data)) return new Uint8Array(tf.io.concatenateArrayBuffers(data));
  return new Uint8Array(data);
}

async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    let done = 0;
    while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  }
}

function trainingConfigOf(model: tf.LayersModel): tf.io.TrainingConfig | undefined {
  if (!model.optimizer) return undefined;
  try {
    // getTrainingConfig is protected in the typings but is what model.save uses.
    return (model as unknown as { getTrainingConfig(): tf.io.TrainingConfig }).getTrainingConfig();
  } catch {
    return undefined;
  }
}

/** Writes model.json + weights.bin + meta.json into `dir`, replacing any previous model there. */
export async function saveModel(model: tf.LayersModel, dir: string, meta: object): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const tag = `${process.pid}.${randomBytes(6).toString('hex')}`;
  const tmp = path.join(parent, `.${path.basename(target)}.${tag}.tmp`);
  const old = path.join(parent, `.${path.basename(target)}.${tag}.old`);
  let artifacts: tf.io.ModelArtifacts | undefined;
  try {
    // Serialise everything before touching the disk, so a bad model or meta writes nothing.
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (!artifacts?.modelTopology || !artifacts.weightSpecs) throw new Error('the model gave no topology or weight specs');
    // tfjs records the loss/optimizer config only together with the optimizer's weights; keep the
    // config (so a loaded model can train without compile()) but not the optimizer state.
    const trainingConfig = artifacts.trainingConfig ?? trainingConfigOf(model);
    const weights = toBytes(artifacts.weightData);
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs }],
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      userDefinedMetadata: { weightsSha256: sha256(weights) },
      ...(trainingConfig ? { trainingConfig } : {}),
    };
    const enc = new TextEncoder();
    const modelBytes = enc.encode(JSON.stringify(modelJson));
    const metaText = JSON.stringify(meta, null, 2);
    if (typeof metaText !== 'string') throw new Error('meta is not JSON-serialisable');
    const metaBytes = enc.encode(metaText + '\n');

    await mkdir(parent, { recursive: true });
    await mkdir(tmp);
    await writeSynced(path.join(tmp, WEIGHTS_BIN), weights);
    await writeSynced(path.join(tmp, META_JSON), metaBytes);
    await writeSynced(path.join(tmp, MODEL_JSON), modelBytes);
    await fsyncDir(tmp);
    let movedOld = false;
    try {
      await rename(target, old);
      movedOld = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      await rename(tmp, target);
    } catch (err) {
      if (movedOld) await rename(old, target).catch(() => undefined);
      throw err;
    }
    await fsyncDir(parent);
    if (movedOld) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`cannot save model to ${target}: ${oneLine(err)}`, { cause: err });
  }
}

async function readOrFail(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file} is missing` : `cannot read ${file}: ${oneLine(err)}`, { cause: err });
  }
}

function parseJson(file: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${oneLine(err)}`, { cause: err });
  }
}

/** Loads a model written by saveModel (model.json, weights.bin, meta.json) from `dir`. */
export async function loadModel<M = Record<string, unknown>>(dir: string): Promise<LoadedModel<M>> {
  const target = path.resolve(dir);
  const modelFile = path.join(target, MODEL_JSON);
  const weightsFile = path.join(target, WEIGHTS_BIN);
  const metaFile = path.join(target, META_JSON);

  const modelJson = parseJson(modelFile, await readOrFail(modelFile)) as Partial<tf.io.ModelJSON>;
  const manifest = modelJson.weightsManifest;
  if (!modelJson.modelTopology || !Array.isArray(manifest) || manifest.length === 0) {
    throw new Error(`${modelFile} is not a tfjs layers model (no modelTopology or weightsManifest)`);
  }
  const files = manifest.flatMap((g) => g.paths);
  if (files.length !== 1 || files[0] !== WEIGHTS_BIN) {
    throw new Error(`${modelFile} names weight files ${JSON.stringify(files)}; expected ["${WEIGHTS_BIN}"]`);
  }
  const weightSpecs = manifest.flatMap((g) => g.weights);
  let expected = 0;
  for (const spec of weightSpecs) {
    const bytes = DTYPE_BYTES[spec.dtype];
    if (bytes === undefined || spec.quantization) throw new Error(`${modelFile}: unsupported weight ${spec.name} (${spec.dtype})`);
    expected += spec.shape.reduce((p, d) => p * d, 1) * bytes;
  }
  const weights = await readOrFail(weightsFile);
  if (weights.length !== expected) {
    throw new Error(`${weightsFile} has ${weights.length} bytes; ${MODEL_JSON} expects ${expected} (truncated or corrupted)`);
  }
  const wantSum = (modelJson.userDefinedMetadata as { weightsSha256?: unknown } | undefined)?.weightsSha256;
  if (typeof wantSum === 'string' && sha256(weights) !== wantSum) {
    throw new Error(`${weightsFile} does not match the SHA-256 recorded in ${MODEL_JSON} (corrupted)`);
  }
  const meta = parseJson(metaFile, await readOrFail(metaFile)) as M;
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;

  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs,
        weightData,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        ...(modelJson.trainingConfig ? { trainingConfig: modelJson.trainingConfig } : {}),
      }),
    );
  } catch (err) {
    throw new Error(`cannot build the model of ${modelFile} with ${weightsFile}: ${oneLine(err)}`, { cause: err });
  }
  return { model, meta };
}
