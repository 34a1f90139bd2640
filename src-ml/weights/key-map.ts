/**
 * The correspondence between a body's tfjs weights (models/se-net.ts, models/densenet.ts layer names)
 * and PyTorch state_dict keys:
 *
 *   SE-nets (Cadene pretrainedmodels):  layer0_conv1 <-> layer0.conv1, layer0_bn1 <-> layer0.bn1,
 *     layer{i}_b{j}_{conv,bn}{k} <-> layer{i}.{j}.{conv,bn}{k}, _se_fc{k} <-> .se_module.fc{k},
 *     _down_conv <-> .downsample.0, _down_bn <-> .downsample.1;
 *   DenseNet (torchvision):  conv0_conv <-> features.conv0, conv0_norm <-> features.norm0,
 *     denseblock{b}_l{l}_{norm,conv}{k} <-> features.denseblock{b}.denselayer{l}.{norm,conv}{k},
 *     transition{t}_{norm,conv} <-> features.transition{t}.{norm,conv}, norm5 <-> features.norm5.
 *
 * Parameters: kernel <-> weight (conv [O, I, kh, kw] -> [kh, kw, I, O]; the SE 1x1 convs
 * [O, I, 1, 1] -> dense [I, O]), gamma <-> weight, beta <-> bias, moving_mean <-> running_mean,
 * moving_variance <-> running_var, bias <-> bias.
 * The ImageNet head (last_linear.*, classifier.*) and BN num_batches_tracked are ignored; torchvision's
 * old DenseNet names (denselayer1.norm.1.weight, the ImageNet download's) are renamed as torchvision does.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BaseFamily } from '../models/base-cnn-presets.ts';

export type Transform = 'conv' | 'dense' | 'none';

export interface WeightSlot {
  /** The torch key this weight reads. */
  key: string;
  layer: tf.layers.Layer;
  /** Index in layer.weights. */
  index: number;
  transform: Transform;
  /** The torch shape the key must have. */
  torchShape: number[];
}

const PARAM: Record<string, string> = {
  kernel: 'weight', gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var', bias: 'bias',
};

function seModule(layer: string): string | null {
  if (layer === 'layer0_conv1') return 'layer0.conv1';
  if (layer === 'layer0_bn1') return 'layer0.bn1';
  const m = /^layer(\d)_b(\d+)_(.+)$/.exec(layer);
  if (!m) return null;
  const base = `layer${m[1]}.${m[2]}`;
  const part = m[3]!;
  if (/^(conv|bn)[123]$/.test(part)) return `${base}.${part}`;
  const se = /^se_fc([12])$/.exec(part);
  if (se) return `${base}.se_module.fc${se[1]}`;
  if (part === 'down_conv') return `${base}.downsample.0`;
  if (part === 'down_bn') return `${base}.downsample.1`;
  return null;
}

function denseModule(layer: string): string | null {
  if (layer === 'conv0_conv') return 'features.conv0';
  if (layer === 'conv0_norm') return 'features.norm0';
  if (layer === 'norm5') return 'features.norm5';
  const d = /^denseblock(\d+)_l(\d+)_((?:norm|conv)[12])$/.exec(layer);
  if (d) return `features.denseblock${d[1]}.denselayer${d[2]}.${d[3]}`;
  const t = /^transition(\d+)_(norm|conv)$/.exec(layer);
  if (t) return `features.transition${t[1]}.${t[2]}`;
  return null;
}

/** Every weight of `body` with the torch key it takes; throws for a weight with no torch counterpart. */
export function weightSlots(body: tf.LayersModel, family: BaseFamily): WeightSlot[] {
  const slots: WeightSlot[] = [];
  for (const layer of body.layers) {
    layer.weights.forEach((w, index) => {
      const module = family === 'densenet' ? denseModule(layer.name) : seModule(layer.name);
      const param = PARAM[w.originalName.split('/').pop()!.replace(/_\d+$/, '')];
      if (!module || !param) throw new Error(`weight ${w.originalName} has no PyTorch counterpart`);
      const cls = layer.getClassName();
      const s = w.shape as number[];
      let transform: Transform = 'none';
      let torchShape = s;
      if (param === 'weight' && (cls === 'Conv2D' || cls === 'ICHGroupedConv2D')) {
        transform = 'conv';
        torchShape = [s[3]!, s[2]!, s[0]!, s[1]!];
      } else if (param === 'weight' && cls === 'Dense') {
        transform = 'dense';
        torchShape = [s[1]!, s[0]!, 1, 1];
      }
      slots.push({ key: `${module}.${param}`, layer, index, transform, torchShape });
    });
  }
  return slots;
}

const HEAD_KEY: Record<BaseFamily, RegExp> = {
  'se-resnext': /^last_linear\.(weight|bias)$/,
  'se-resnet': /^last_linear\.(weight|bias)$/,
  densenet: /^classifier\.(weight|bias)$/,
};

/** Keys that are read but not used: the ImageNet head and BN's num_batches_tracked counters. */
export function isIgnoredKey(family: BaseFamily, key: string): boolean {
  return key.endsWith('.num_batches_tracked') || HEAD_KEY[family].test(key);
}

const OLD_DENSE = /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var|num_batches_tracked))$/;

/** torchvision's own renaming of old DenseNet checkpoints ('norm.1.weight' -> 'norm1.weight'); other keys unchanged. */
export function normaliseKey(family: BaseFamily, key: string): string {
  if (family !== 'densenet') return key;
  const m = OLD_DENSE.exec(key);
  return m ? `${m[1]}${m[2]}` : key;
}
