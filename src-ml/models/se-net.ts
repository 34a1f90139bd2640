/**
 * SE-ResNeXt / SE-ResNet body (PyTorch `pretrainedmodels` senet.py, input_3x3=False, downsample
 * kernel 1 / padding 0), channels-last. Layer names (prefix = parameter group):
 *
 *   layer0: `layer0_conv1` 7x7/2 (torch padding 3: `layer0_conv1_pad` + valid conv), `layer0_bn1`,
 *           `layer0_relu1`, `layer0_pool` 3x3/2 max pool.
 *           torch uses ceil_mode=True with no padding; TF 'same' max pooling takes exactly the same
 *           windows for an even input (it pads one cell at the bottom/right only, and padding never wins
 *           a max), so 'same' is used; for an odd input 'same' gives one more row/column than torch.
 *   layer1..4, block j (0-based like torch `layer3.22`): `layer{i}_b{j}_conv1/bn1/relu1/conv2/bn2/relu2/conv3/bn3`,
 *           SE on the residual branch `layer{i}_b{j}_se_{pool,fc1,fc2,reshape,scale}`, the shortcut
 *           `layer{i}_b{j}_down_conv/down_bn` when the shape changes, `layer{i}_b{j}_add`, `layer{i}_b{j}_relu`.
 *
 * SEResNeXtBottleneck: 1x1 conv to width = floor(planes * baseWidth / 64) * groups, 3x3 grouped conv
 * with the stage stride (torch padding 1), 1x1 conv to planes * expansion.
 * SEResNetBottleneck: the stride sits on the first 1x1 conv (planes), then a 3x3 conv (padding 1 = 'same'),
 * then 1x1 to planes * expansion.
 */
import * as tf from '@tensorflow/tfjs';
import { groupedConv2dLayer } from '../nn/layers/grouped-conv2d.ts';
import { squeezeExcitation } from '../nn/layers/squeeze-excitation.ts';
import type { BaseCnnArch } from './base-cnn-presets.ts';
import { batchNorm, channelsOf, conv, relu, type Sym } from './base-layers.ts';

export const SE_NET_STAGES = 4;

/** Output channels of the SE-net body: planes of the last stage times the expansion. */
export function seNetOutputChannels(arch: BaseCnnArch): number {
  const last = arch.widths[SE_NET_STAGES - 1];
  if (last === undefined) throw new Error(`SE-net arch needs ${SE_NET_STAGES} widths, got ${arch.widths.length}`);
  return last * (arch.expansion ?? 4);
}

function checkArch(arch: BaseCnnArch): void {
  if (arch.blocks.length !== SE_NET_STAGES || arch.widths.length !== SE_NET_STAGES) {
    throw new Error(`SE-net arch needs ${SE_NET_STAGES} stages (blocks and widths), got ${arch.blocks.length} and ${arch.widths.length}`);
  }
  if (arch.blocks.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`SE-net blocks must be positive integers: [${arch.blocks.join(', ')}]`);
}

function bottleneck(x: Sym, arch: BaseCnnArch, planes: number, stride: number, name: string): Sym {
  const expansion = arch.expansion ?? 4;
  const groups = arch.groups ?? 1;
  const out = planes * expansion;
  const inplanes = channelsOf(x);
  let y: Sym;
  if (arch.family === 'se-resnext') {
    const width = Math.floor((planes * (arch.baseWidth ?? 4)) / 64) * groups;
    if (width < groups) throw new Error(`${name}: grouped width ${width} is smaller than groups ${groups}`);
    y = relu(batchNorm(conv(x, { filters: width, kernelSize: 1, name: `${name}_conv1` }), `${name}_bn1`), `${name}_relu1`);
    const c2 = groups === 1
      ? conv(y, { filters: width, kernelSize: 3, strides: stride, padding: 1, name: `${name}_conv2` })
      : groupedConv2dLayer({ filters: width, kernelSize: 3, groups, strides: stride, padding: 1, useBias: false, name: `${name}_conv2` }).apply(y) as Sym;
    y = relu(batchNorm(c2, `${name}_bn2`), `${name}_relu2`);
  } else {
    y = relu(batchNorm(conv(x, { filters: planes, kernelSize: 1, strides: stride, name: `${name}_conv1` }), `${name}_bn1`), `${name}_relu1`);
    const c2 = groups === 1
      ? conv(y, { filters: planes, kernelSize: 3, padding: 'same', name: `${name}_conv2` })
      : groupedConv2dLayer({ filters: planes, kernelSize: 3, groups, strides: 1, padding: 1, useBias: false, name: `${name}_conv2` }).apply(y) as Sym;
    y = relu(batchNorm(c2, `${name}_bn2`), `${name}_relu2`);
  }
  y = batchNorm(conv(y, { filters: out, kernelSize: 1, name: `${name}_conv3` }), `${name}_bn3`);
  y = squeezeExcitation(y, { reduction: arch.seReduction ?? 16, name: `${name}_se` });
  let shortcut = x;
  if (stride !== 1 || inplanes !== out) {
    shortcut = batchNorm(conv(x, { filters: out, kernelSize: 1, strides: stride, name: `${name}_down_conv` }), `${name}_down_bn`);
  }
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as Sym;
  return relu(sum, `${name}_relu`);
}

/** layer0 .. layer4 on a 3-channel NHWC tensor; returns the layer4 output (seNetOutputChannels channels). */
export function seNetBody(x: Sym, arch: BaseCnnArch): Sym {
  checkArch(arch);
  let y = conv(x, { filters: arch.stemChannels, kernelSize: 7, strides: arch.stemStride ?? 2, padding: 3, name: 'layer0_conv1' });
  y = relu(batchNorm(y, 'layer0_bn1'), 'layer0_relu1');
  y = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'layer0_pool' }).apply(y) as Sym;
  for (let s = 0; s < SE_NET_STAGES; s++) {
    const planes = arch.widths[s]!;
    for (let j = 0; j < arch.blocks[s]!; j++) {
      const stride = j === 0 && s > 0 ? 2 : 1;
      y = bottleneck(y, arch, planes, stride, `layer${s + 1}_b${j}`);
    }
  }
  return y;
}
