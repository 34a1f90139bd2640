// Training job events and records and the stage list, for the engine's own importers: they live in
// src-shared/training.ts and src-shared/stages.ts, one copy for every process.
export * from '../../src-shared/training.ts';
export { PIPELINE_STAGES, TRAIN_PRESETS, type PipelineStage, type TrainPresetName } from '../../src-shared/stages.ts';
