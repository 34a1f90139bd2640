// Preset augmentation names -> the seed's augmentation settings (docs/seed-pipeline.md section 2).
import {
  DENSENET_TRAIN_AUG, SE_TRAIN_AUG, SE_TRAIN_AUG_SHIFT20, SE_TTA_AUG, SE_TTA_AUG_MILD, type AugmentConfig } from './augment.ts';

/** Training augmentations a preset can name. */
export type AugmentName = 'se' | 'se-shift20' | 'densenet' | 'light' | 'none';
/** Feature-extraction (TTA) augmentations a preset can name. */
/**
 * 'light' is the tiny preset's TTA: the same family as its training augmentation, as the seed's TTA was the
 * same family as its training. Features from the seed's stronger TTA on a net trained with 'light' were far
 * worse than the net itself (fold 0 of the 300-study set: 0.285 vs 0.129 without augmentation), and the
 * full-head models trained on them lost to the base CNN.
 */
export type TtaAugmentName = 'se-tta' | 'se-tta-mild' | 'light' | 'none';

/**
 * A milder augmentation for the tiny preset: small models trained from scratch on a few thousand
 * synthetic slices did not learn under the seed's strong augmentation (tuned for ImageNet-pretrained
 * nets on 670k images), in particular the +-15 HU intensity offset, which is as large as the lesion contrast.
 */
export const LIGHT_AUG: AugmentConfig = { intensity: 0, flip: true, rotate: 10, shift: 3, zoom: [0.1, 0.1] };

export function augmentConfigOf(name: AugmentName | TtaAugmentName): AugmentConfig | null {
  switch (name) {
    case 'se':
      return SE_TRAIN_AUG;
    case 'se-shift20':
      return SE_TRAIN_AUG_SHIFT20;
    case 'densenet':
      return DENSENET_TRAIN_AUG;
    case 'light':
      return LIGHT_AUG;
    case 'se-tta':
      return SE_TTA_AUG;
    case 'se-tta-mild':
      return SE_TTA_AUG_MILD;
    case 'none':
      return null;
  }
}
