// The pipeline's stages and the presets the GUI launches, as data the renderer owns (it imports only types
// from src-ml/api; a test checks these match the engine's lists).
import type { PipelineStage, TrainPresetName } from '../../src-ml/api/training.ts';

export const STAGES: readonly PipelineStage[] = ['base', 'features', 'pooled-res', 'shallow', 'shallow-weighted', 'ensembles'];

export const STAGE_LABEL: Record<PipelineStage, string> = {
  base: 'Base CNNs',
  features: 'Features (TTA)',
  'pooled-res': 'Pooled-Res',
  shallow: 'Shallow NN',
  'shallow-weighted': 'Weighted fine-tune',
  ensembles: 'Ensembles (safe, risky)',
};

export const PRESET_NAMES: readonly TrainPresetName[] = ['tiny', 'rsna'];

export const PRESET_HINT: Record<TrainPresetName, string> = {
  tiny: 'tiny: small CNN at 64 px, minutes on a CPU',
  rsna: 'rsna: the seed solution\'s full settings (GPU)',
};

/** Each preset's patient folds (src-ml/presets/*.json folds.k): the Folds setting's default. */
export const PRESET_FOLDS: Record<TrainPresetName, number> = { tiny: 3, rsna: 5 };

/** The fold counts a training request may ask for (the engine's startTraining.folds). */
export const MIN_FOLDS = 2;
export const MAX_FOLDS = 20;

export function isPresetName(p: string): p is TrainPresetName {
  return (PRESET_NAMES as readonly string[]).includes(p);
}
