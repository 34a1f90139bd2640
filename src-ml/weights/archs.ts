/**
 * The backbones whose PyTorch checkpoints `ich weights import` reads, under the seed's names:
 * Cadene pretrainedmodels senet.py (se_resnext101_32x4d, se_resnext50_32x4d, se_resnet101, se_resnet50)
 * and torchvision densenet.py (densenet121, densenet161, densenet169). The 101/161/169 shapes are the
 * base-CNN presets (models/base-cnn-presets.ts); the 50/121 ones differ only in block counts / width.
 * Only the body matters here: the head fields (poolGroup, dropout, windows) keep the family's values.
 */
import { BASE_ARCHS, type BaseCnnArch } from '../models/base-cnn-presets.ts';
import type { ImportArchName } from './arch-names.ts';

function preset(name: string): BaseCnnArch {
  const a = BASE_ARCHS[name];
  if (!a) throw new Error(`base preset ${name} is missing`);
  return a;
}

export const IMPORT_ARCHS: Record<string, () => BaseCnnArch> = {
  se_resnext101_32x4d: () => preset('se_resnext101_32x4d'),
  se_resnext50_32x4d: () => ({ ...preset('se_resnext101_32x4d'), blocks: [3, 4, 6, 3] }),
  se_resnet101: () => preset('se_resnet101'),
  se_resnet50: () => ({ ...preset('se_resnet101'), blocks: [3, 4, 6, 3] }),
  densenet121: () => ({ ...preset('densenet169'), blocks: [6, 12, 24, 16], stemChannels: 64, growthRate: 32 }),
  densenet161: () => preset('densenet161'),
  densenet169: () => preset('densenet169'),
} satisfies Record<ImportArchName, () => BaseCnnArch>; // exactly the names of arch-names.ts

/** The body architecture of a seed backbone name, or one line listing the known ones. */
export function importArch(name: string): BaseCnnArch {
  const make = IMPORT_ARCHS[name];
  if (!make) throw new Error(`unknown --arch "${name}" (known: ${Object.keys(IMPORT_ARCHS).join(', ')})`);
  return make();
}
