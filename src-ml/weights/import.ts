/**
 * `ich weights import`: a PyTorch checkpoint of a seed backbone -> the engine's model folder
 * (nn/model-io.ts: model.json + weights.bin + meta.json) holding the body alone:
 *
 *   input `image` [B, H, W, 3] float32 (NHWC; the torch input, already normalised, transposed)
 *     -> models/se-net.ts seNetBody | models/densenet.ts denseNetBody (same layer names as in the base CNN)
 *     -> the last feature map [B, h, w, C] before pooling.
 *
 * H and W are free (the folder runs at any size). Because the layer names are the base CNN's, a
 * trainer can copy these weights into a base model layer by layer (copyBodyWeights).
 * Every key of the state dict must be used (the ImageNet head and num_batches_tracked excepted) and
 * every weight of the body found, with its torch shape; otherwise one line names the offending keys.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BaseCnnArch, BaseFamily } from '../models/base-cnn-presets.ts';
import type { Sym } from '../models/base-layers.ts';
import { denseNetBody } from '../models/densenet.ts';
import { seNetBody } from '../models/se-net.ts';
import { saveModel } from '../nn/model-io.ts';
import { importArch } from './archs.ts';
import { openCheckpoint, type TensorSource } from './checkpoint.ts';
import { isIgnoredKey, normaliseKey, weightSlots, type WeightSlot } from './key-map.ts';
import { BODY_WEIGHTS_KIND, type BodyWeightsMeta } from './body-meta.ts';

export { BODY_WEIGHTS_KIND, type BodyWeightsMeta } from './body-meta.ts';
export const BODY_INPUT = 'image';

export interface ImportResult {
  out: string;
  meta: BodyWeightsMeta;
}

/** The body of `arch` as a model on NHWC images of any size. */
export function buildBody(arch: BaseCnnArch): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] as unknown as number[], name: BODY_INPUT });
  const out: Sym = arch.family === 'densenet' ? denseNetBody(input, arch) : seNetBody(input, arch);
  return tf.model({ inputs: input, outputs: out, name: 'body' });
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function listed(keys: string[], max = 6): string {
  return keys.slice(0, max).join(', ') + (keys.length > max ? ` and ${keys.length - max} more` : '');
}

const FLOAT_DTYPES = new Set(['float32', 'float16', 'bfloat16', 'float64']);

function checkKeys(file: string, archName: string, slots: WeightSlot[], tensors: Map<string, TensorSource>, family: BaseFamily): string[] {
  const expected = new Map(slots.map((s) => [s.key, s]));
  const ignored: string[] = [];
  const unexpected: string[] = [];
  for (const k of tensors.keys()) {
    if (expected.has(k)) continue;
    if (isIgnoredKey(family, k)) ignored.push(k);
    else unexpected.push(k);
  }
  const missing = slots.filter((s) => !tensors.has(s.key)).map((s) => s.key);
  const misShaped: string[] = [];
  for (const s of slots) {
    const t = tensors.get(s.key);
    if (!t) continue;
    if (t.shape.length !== s.torchShape.length || t.shape.some((d, i) => d !== s.torchShape[i])) {
      misShaped.push(`${s.key} ${t.shape.join('x') || 'scalar'} (expected ${s.torchShape.join('x')})`);
    } else if (!FLOAT_DTYPES.has(t.dtype)) {
      misShaped.push(`${s.key} ${t.dtype} (expected a float type)`);
    }
  }
  const parts: string[] = [];
  if (missing.length) parts.push(`${missing.length} missing key${missing.length === 1 ? '' : 's'} (${listed(missing)})`);
  if (unexpected.length) parts.push(`${unexpected.length} unexpected key${unexpected.length === 1 ? '' : 's'} (${listed(unexpected)})`);
  if (misShaped.length) parts.push(`${misShaped.length} mis-shaped key${misShaped.length === 1 ? '' : 's'} (${listed(misShaped, 4)})`);
  if (parts.length) throw new Error(`${file} does not fit --arch ${archName}: ${parts.join('; ')}`);
  return ignored;
}

/** Reads `checkpoint`, checks it against `archName` and writes the body model folder `out`. */
export async function importWeights(checkpoint: string, archName: string, out: string): Promise<ImportResult> {
  const arch = importArch(archName);
  const ckpt = await openCheckpoint(checkpoint);
  const body = buildBody(arch);
  try {
    let renamed = 0;
    const tensors = new Map<string, TensorSource>();
    for (const [k, v] of ckpt.tensors) {
      const nk = normaliseKey(arch.family, k);
      if (nk !== k) renamed++;
      if (tensors.has(nk)) throw new Error(`${checkpoint}: key ${nk} appears twice (once as ${k})`);
      tensors.set(nk, v);
    }
    const slots = weightSlots(body, arch.family);
    const ignoredKeys = checkKeys(checkpoint, archName, slots, tensors, arch.family);

    const byLayer = new Map<tf.layers.Layer, WeightSlot[]>();
    for (const s of slots) byLayer.set(s.layer, [...(byLayer.get(s.layer) ?? []), s]);
    let values = 0;
    for (const [layer, layerSlots] of byLayer) {
      const arrays: Float32Array[] = [];
      for (const s of layerSlots) arrays.push(await tensors.get(s.key)!.read());
      tf.tidy(() => {
        const ws = layerSlots.map((s, i) => {
          const t = tf.tensor(arrays[i]!, s.torchShape, 'float32');
          if (s.transform === 'conv') return t.transpose([2, 3, 1, 0]);
          if (s.transform === 'dense') return t.reshape([s.torchShape[0]!, s.torchShape[1]!]).transpose([1, 0]);
          return t;
        });
        layer.setWeights(ws);
      });
      values += arrays.reduce((n, a) => n + a.length, 0);
    }

    const { size } = await stat(checkpoint);
    const meta: BodyWeightsMeta = {
      kind: BODY_WEIGHTS_KIND,
      version: 1,
      arch: archName,
      family: arch.family,
      archSpec: arch,
      input: `${BODY_INPUT} [N, H, W, 3] float32: the torch input [N, 3, H, W] (already normalised) transposed to NHWC`,
      output: 'the body\'s last feature map [N, h, w, C] before pooling (NHWC)',
      source: {
        file: path.resolve(checkpoint),
        bytes: size,
        sha256: await sha256File(checkpoint),
        format: ckpt.format,
        nestedUnder: ckpt.nestedUnder,
        strippedPrefix: ckpt.strippedPrefix,
      },
      tensors: slots.length,
      values,
      ignoredKeys,
      renamedKeys: renamed,
      createdAt: new Date().toISOString(),
    };
    await saveModel(body, out, meta);
    return { out: path.resolve(out), meta };
  } finally {
    body.dispose();
    await ckpt.close();
  }
}
