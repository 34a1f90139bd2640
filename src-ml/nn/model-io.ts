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
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { replaceDir, siblingTempPath, writeFileSynced } from '../base/atomic-write.ts';
import { errorMessage } from '../base/errors.ts';
import './layers/register.ts';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const META_JSON = 'meta.json';

export interface LoadedModel<M> {
  model: tf.LayersModel;
  meta: M;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, float16: 2 };

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function toBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (Array.isArray(data)) return new Uint8Array(tf.io.concatenateArrayBuffers(data));
  return new Uint8Array(data);
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
  const tmp = siblingTempPath(target);
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
    await writeFileSynced(path.join(tmp, WEIGHTS_BIN), weights);
    await writeFileSynced(path.join(tmp, META_JSON), metaBytes);
    await writeFileSynced(path.join(tmp, MODEL_JSON), modelBytes);
    await replaceDir(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`cannot save model to ${target}: ${errorMessage(err)}`, { cause: err });
  }
}

async function readOrFail(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file} is missing` : `cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

function parseJson(file: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${errorMessage(err)}`, { cause: err });
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
    throw new Error(`cannot build the model of ${modelFile} with ${weightsFile}: ${errorMessage(err)}`, { cause: err });
  }
  return { model, meta };
}
