/**
 * Where a base CNN's weights start (docs/seed-pipeline.md section 3: the seed fine-tuned ImageNet bodies):
 *
 *   - a model with `initFrom` starts from that model (the seed's focal and DenseNet stage-2 runs);
 *   - a model with an `init` (presets.ts BaseInitPreset, every rsna model that starts from nothing) starts
 *     from the body `ich weights import` wrote for its arch: `--init <dir>`, else the preset's `init.dir`
 *     (default `<workspace>/weights`), each either one imported folder or a folder of `<arch>/` folders.
 *     Without weights it refuses, because its learning rates are the seed's fine-tuning rates (1e-5 to
 *     2e-4, windowing 5e-6, DenseNet transitions 0) that leave a random body next to where it started;
 *     `--from-scratch` trains from random init with the preset's `init.fromScratch.lr` instead;
 *   - any other model (the tiny presets) starts from random init with its own rates; --init still
 *     imports a body of its arch.
 *
 * What the imported body sees: the base CNN puts the learned windowing layer (`wso`) in front of it, so
 * the body's 3 input channels are sigmoid windows of the HU image after instance normalisation, per
 * image and channel mean 0 and variance 1 (measured on the bundled GE head CT with the initial windows:
 * -1.2 .. +3.5 in all; air about -0.8, brain +1, bone +2.1 to +2.5). The ImageNet bodies were trained on (RGB / 255 - mean) / std, about -2.1 .. +2.6 per channel, so the
 * scale is the one they know, though not the content; the seed fed its pretrained bodies exactly this,
 * with no ImageNet normalisation, and so does the engine. Window channel c goes to the body's input
 * channel c (R, G, B), as in the seed. The windowing layer and the 6-logit classifier are not in the
 * import: they start from the windows and the label prior, as always.
 */
import type * as tf from '@tensorflow/tfjs';
import { copyBodyWeights, loadBody } from '../weights/forward.ts';
import type { BaseInit } from './init-resolve.ts';

export {
  DEFAULT_INIT_DIR, describeInit, findImportedBody, resolveBaseInit, type BaseInit, type InitFlags, type ResolvedInit,
} from './init-resolve.ts';

/** Copies the imported body of `init` into `trainModel` (a base CNN of the same arch); returns the weights copied. */
export async function applyImportedBody(trainModel: tf.LayersModel, init: Extract<BaseInit, { kind: 'imported' }>): Promise<number> {
  const body = await loadBody(init.dir);
  try {
    if (body.meta.arch !== init.arch) throw new Error(`${init.dir} holds ${body.meta.arch} weights now, not ${init.arch}`);
    return copyBodyWeights(body.model, trainModel);
  } finally {
    body.model.dispose();
  }
}
