// The training pipeline's stages and the presets the GUI may launch, in order, with the names the training
// panel shows: `ich pipeline --stages`, the engine's startTraining validation and the panel's checkboxes all
// read these lists. Data only: no Node or DOM imports.

/** The pipeline's stages, in order. */
export const PIPELINE_STAGES = ['base', 'features', 'pooled-res', 'shallow', 'shallow-weighted', 'ensembles'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

/** What the training panel calls each stage. */
export const STAGE_LABEL: Readonly<Record<PipelineStage, string>> = {
  base: 'Base CNNs',
  features: 'Features (TTA)',
  'pooled-res': 'Pooled-Res',
  shallow: 'Shallow NN',
  'shallow-weighted': 'Weighted fine-tune',
  ensembles: 'Ensembles (safe, risky)',
};

/** The presets the GUI may ask for, by name (files stay a CLI matter). */
export const TRAIN_PRESETS = ['tiny', 'rsna'] as const;
export type TrainPresetName = (typeof TRAIN_PRESETS)[number];

export function isPresetName(p: string): p is TrainPresetName {
  return (TRAIN_PRESETS as readonly string[]).includes(p);
}

export const PRESET_HINT: Readonly<Record<TrainPresetName, string>> = {
  tiny: 'tiny: small CNN at 64 px, minutes on a CPU',
  rsna: 'rsna: the seed solution\'s full settings (GPU)',
};

/** Each preset's patient folds (src-ml/presets/*.json folds.k; a test keeps them equal): the Folds setting's default. */
export const PRESET_FOLDS: Readonly<Record<TrainPresetName, number>> = { tiny: 3, rsna: 5 };

/** Patient folds a training request may ask for (startTraining.folds, `ich pipeline --folds`). */
export const MIN_FOLDS = 2;
export const MAX_FOLDS = 20;

/** Unlabelled test folders a training request may name (startTraining.testDirs, `ich pipeline --test` from the app). */
export const MAX_TEST_DIRS = 8;

/** The stages a pipeline report (report.json) lists, in order: the training panel compares versions by these. */
export const REPORT_STAGES = ['base', 'pooled-res', 'shallow', 'shallow-weighted', 'ensemble-safe', 'ensemble-risky'] as const;
export type ReportStage = (typeof REPORT_STAGES)[number];

/** The report stages that serve predictions: the promote warning looks at these. */
export const ENSEMBLE_STAGES = ['ensemble-safe', 'ensemble-risky'] as const;

/** What the training panel calls each report stage (by name: a report's stage names are plain strings). */
export const REPORT_STAGE_LABEL: Readonly<Record<string, string>> = {
  base: 'Base CNNs',
  'pooled-res': 'Pooled-Res',
  shallow: 'Shallow NN',
  'shallow-weighted': 'Weighted fine-tune',
  'ensemble-safe': 'Ensemble safe',
  'ensemble-risky': 'Ensemble risky',
} satisfies Record<ReportStage, string>;
