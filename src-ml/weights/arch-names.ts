// The seed backbone names `ich weights import --arch` takes (archs.ts maps each to its architecture). Apart from
// archs.ts so that the CLI's help text lists them without loading the model code (and TensorFlow.js with it).
export const IMPORT_ARCH_NAMES = [
  'se_resnext101_32x4d', 'se_resnext50_32x4d', 'se_resnet101', 'se_resnet50', 'densenet121', 'densenet161', 'densenet169',
] as const;

export type ImportArchName = (typeof IMPORT_ARCH_NAMES)[number];
