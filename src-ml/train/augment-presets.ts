// Preset augmentation names -> the seed's augmentation settings (seed spec section 2).
import { DENSENET_TRAIN_AUG, SE_TRAIN_AUG, SE_TRAIN_AUG_SHIFT20, SE_TTA_AUG, SE_TTA_AUG_MILD, type AugmentConfig } from '../data/augment.ts';
import type { AugmentName, TtaAugmentName } from './presets.ts';

export function augmentConfigOf(name: AugmentName | TtaAugmentName): AugmentConfig | null {
  switch (name) {
    case 'se':
      return SE_TRAIN_AUG;
    case 'se-shift20':
      return SE_TRAIN_AUG_SHIFT20;
    case 'densenet':
      return DENSENET_TRAIN_AUG;
    case 'se-tta':
      return SE_TTA_AUG;
    case 'se-tta-mild':
      return SE_TTA_AUG_MILD;
    case 'none':
      return null;
  }
}
