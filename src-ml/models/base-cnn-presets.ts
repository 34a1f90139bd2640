/**
 * Base-CNN architecture presets (docs/seed-pipeline.md section 3): the seed's four backbones at their full
 * ImageNet shapes, and tiny variants of each family for CPU demos and tests.
 *
 * Full presets follow PyTorch `pretrainedmodels` senet.py (se_resnext101_32x4d, se_resnet101) and
 * torchvision densenet.py (densenet161, densenet169); only the ImageNet head is replaced by the seed's
 * head (channel-group max pool, dropout 0.2, linear -> 6 logits) and the WSO windowing layer is added
 * in front. Trainable parameters (counted in base-cnn.test.ts against the torch totals):
 *   se_resnext101_32x4d 46,907,964; se_resnet101 47,279,420; densenet161 26,475,324; densenet169 12,485,740.
 */
import { DENSENET_WINDOWS, SE_NET_WINDOWS } from '../nn/layers/windowing.ts';

export type BaseFamily = 'se-resnext' | 'se-resnet' | 'densenet';

export interface BaseCnnArch {
  family: BaseFamily;
  /** Stage block counts, e.g. se-resnext101: [3, 4, 23, 3]; densenet161: [6, 12, 36, 24]. */
  blocks: number[];
  /** SE-nets: stem conv width (64). DenseNet: num_init_features (96 for D161, 64 for D169). */
  stemChannels: number;
  /** SE-nets: planes per stage (64, 128, 256, 512); the stage output is planes * expansion. DenseNet: ignored. */
  widths: number[];
  /** ResNeXt cardinality (32); 1 for SE-ResNet. */
  groups?: number;
  /** ResNeXt base width (4): grouped width = floor(planes * baseWidth / 64) * groups. */
  baseWidth?: number;
  /** Bottleneck expansion (4). */
  expansion?: number;
  /** DenseNet growth rate k (48 for D161, 32 for D169). */
  growthRate?: number;
  /** DenseNet bottleneck factor: the 1x1 conv has bnSize * growthRate channels (4). */
  bnSize?: number;
  /** DenseNet transition compression (0.5): out = floor(in * compression). */
  compression?: number;
  /** SE reduction ratio (16). */
  seReduction?: number;
  /** Stride of the 7x7 stem conv (2 in every seed net). Small inputs need 1: at 64 px a stride-2 stem
   * plus the max pool leaves 16x16 maps for layer1, and lesions of a few pixels vanish before it. */
  stemStride?: number;
  /** Channel-group max pool group (8 for SE-nets and D169, 4 for D161). */
  poolGroup: number;
  /** Dropout before the classifier (0.2). */
  dropout: number;
  /** WSO init windows, [center, width] in HU. */
  windows: [number, number][];
  /** WSO init sharpness (1, the seed's soft window; see windowInitialWeights). */
  windowGain?: number;
}

const seWindows = (): [number, number][] => SE_NET_WINDOWS.map(([c, w]) => [c, w]);
const denseWindows = (): [number, number][] => DENSENET_WINDOWS.map(([c, w]) => [c, w]);

/** The tiny nets train from scratch at 64 px: they start from sharp windows (see windowInitialWeights). */
export const TINY_WINDOW_GAIN = 8;

export const BASE_ARCHS: Record<string, BaseCnnArch> = {
  se_resnext101_32x4d: {
    family: 'se-resnext',
    blocks: [3, 4, 23, 3],
    stemChannels: 64,
    widths: [64, 128, 256, 512],
    groups: 32,
    baseWidth: 4,
    expansion: 4,
    seReduction: 16,
    poolGroup: 8,
    dropout: 0.2,
    windows: seWindows(),
  },
  se_resnet101: {
    family: 'se-resnet',
    blocks: [3, 4, 23, 3],
    stemChannels: 64,
    widths: [64, 128, 256, 512],
    groups: 1,
    expansion: 4,
    seReduction: 16,
    poolGroup: 8,
    dropout: 0.2,
    windows: seWindows(),
  },
  densenet161: {
    family: 'densenet',
    blocks: [6, 12, 36, 24],
    stemChannels: 96,
    widths: [],
    growthRate: 48,
    bnSize: 4,
    compression: 0.5,
    poolGroup: 4,
    dropout: 0.2,
    windows: denseWindows(),
  },
  densenet169: {
    family: 'densenet',
    blocks: [6, 12, 32, 32],
    stemChannels: 64,
    widths: [],
    growthRate: 32,
    bnSize: 4,
    compression: 0.5,
    poolGroup: 8,
    dropout: 0.2,
    windows: denseWindows(),
  },
  // Tiny CPU variants (64 x 64 input in tests). trainOnBatch step, batch 16, 64 x 64, wasm on 2 shared
  // cores (`npx vitest run src-ml/models/base-cnn.test.ts`, the "tiny step time" lines, 2026-11-30):
  // tiny-se-resnext 273-390 ms, tiny-se-resnet 236-335 ms, tiny-densenet 395-464 ms (median of 5 after 2 warm-ups).
  /** 4 stages of one block; grouped width = floor(planes * 16 / 64) * 4 = planes (4 groups of planes/4). Output 256 ch -> 128 features. */
  'tiny-se-resnext': {
    family: 'se-resnext',
    blocks: [1, 1, 1, 1],
    stemChannels: 16,
    widths: [16, 32, 64, 128],
    groups: 4,
    baseWidth: 16,
    expansion: 2,
    seReduction: 8,
    poolGroup: 2,
    dropout: 0.2,
    windows: seWindows(),
    windowGain: TINY_WINDOW_GAIN,
  },
  /** Same shape as tiny-se-resnext with plain (groups 1) bottlenecks, stride on the first 1x1 conv. 128 features. */
  'tiny-se-resnet': {
    family: 'se-resnet',
    blocks: [1, 1, 1, 1],
    stemChannels: 16,
    widths: [16, 32, 64, 128],
    groups: 1,
    expansion: 2,
    seReduction: 8,
    poolGroup: 2,
    dropout: 0.2,
    windows: seWindows(),
    windowGain: TINY_WINDOW_GAIN,
  },
  /** growth 16, blocks [2, 2, 2, 2], init 32, bnSize 2: 32 -> 64 -> 32 -> 64 -> 32 -> 64 -> 32 -> 64 ch -> 64 features. */
  'tiny-densenet': {
    family: 'densenet',
    blocks: [2, 2, 2, 2],
    stemChannels: 32,
    widths: [],
    growthRate: 16,
    bnSize: 2,
    compression: 0.5,
    poolGroup: 1,
    dropout: 0.2,
    windows: denseWindows(),
    windowGain: TINY_WINDOW_GAIN,
  },
};

/** The preset of the given name, or an error listing the known ones. */
export function baseArch(name: string): BaseCnnArch {
  const arch = BASE_ARCHS[name];
  if (!arch) throw new Error(`unknown base CNN preset "${name}" (known: ${Object.keys(BASE_ARCHS).join(', ')})`);
  return arch;
}
