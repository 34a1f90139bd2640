// What `ich weights import` writes next to an imported body (meta.json), apart from the import code: the
// training preflight reads it (train/init-resolve.ts) in the engine host, which must not load tfjs for that.
import type { BaseCnnArch, BaseFamily } from '../models/base-cnn-presets.ts';
import type { CheckpointFormat } from './checkpoint.ts';

export const BODY_WEIGHTS_KIND = 'ich-body-weights';
export interface BodyWeightsMeta {
  kind: typeof BODY_WEIGHTS_KIND;
  version: 1;
  /** The seed's backbone name (archs.ts). */
  arch: string;
  family: BaseFamily;
  archSpec: BaseCnnArch;
  input: string;
  output: string;
  source: {
    file: string;
    bytes: number;
    sha256: string;
    format: CheckpointFormat;
    nestedUnder: string | null;
    strippedPrefix: string | null;
  };
  /** Tensors written (including batch-norm running statistics) and their total size. */
  tensors: number;
  values: number;
  /** Keys of the checkpoint that were read but not used (ImageNet head, num_batches_tracked). */
  ignoredKeys: string[];
  /** Old-style DenseNet keys renamed as torchvision does ('norm.1' -> 'norm1'). */
  renamedKeys: number;
  createdAt: string;
}
