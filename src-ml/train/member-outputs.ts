/**
 * What every trained model leaves next to its files for the ensemble and the viewer:
 *   oof_probs.npy [N_val, 6] + oof_ids.json   out-of-fold probabilities of its validation images
 *   test_probs.npy [N_test, 6] + test_ids.json probabilities of the unlabelled images (mean of its passes)
 * Probabilities are in the project's label order (any last). Written atomically.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../base/atomic-write.ts';
import { modelId } from '../base/model-id.ts';
import { readNpy, writeNpyAtomic } from '../store/npy.ts';
import type { FoldSpec } from './presets.ts';

export const FULLHEAD_STAGES = ['pooled-res', 'shallow', 'shallow-weighted'] as const;
export type FullheadStage = (typeof FULLHEAD_STAGES)[number];

export interface MemberOutputs {
  oofIds: string[];
  oofProbs: Float32Array;
  testIds: string[];
  testProbs: Float32Array;
}

/** e.g. pooled-res.tiny-se-resnext.k3.f0 */
export function fullheadModelId(stage: FullheadStage, baseName: string, folds: FoldSpec, fold: number): string {
  return modelId(`${stage}.${baseName}`, folds.k, fold);
}

export async function writeMemberOutputs(modelDir: string, out: Partial<MemberOutputs>): Promise<void> {
  if (out.oofProbs && out.oofIds) {
    if (out.oofProbs.length !== out.oofIds.length * 6) throw new Error(`${modelDir}: ${out.oofProbs.length / 6} OOF rows for ${out.oofIds.length} ids`);
    await writeNpyAtomic(path.join(modelDir, 'oof_probs.npy'), out.oofProbs, [out.oofIds.length, 6]);
    await writeFileAtomic(path.join(modelDir, 'oof_ids.json'), JSON.stringify(out.oofIds));
  }
  if (out.testProbs && out.testIds) {
    if (out.testProbs.length !== out.testIds.length * 6) throw new Error(`${modelDir}: ${out.testProbs.length / 6} test rows for ${out.testIds.length} ids`);
    await writeNpyAtomic(path.join(modelDir, 'test_probs.npy'), out.testProbs, [out.testIds.length, 6]);
    await writeFileAtomic(path.join(modelDir, 'test_ids.json'), JSON.stringify(out.testIds));
  }
}

export async function readMemberOutputs(modelDir: string): Promise<MemberOutputs> {
  const read = async (probs: string, ids: string): Promise<{ ids: string[]; probs: Float32Array }> => {
    const p = path.join(modelDir, probs);
    if (!existsSync(p)) return { ids: [], probs: new Float32Array(0) };
    return { probs: (await readNpy(p)).data as Float32Array, ids: JSON.parse(await readFile(path.join(modelDir, ids), 'utf8')) as string[] };
  };
  const oof = await read('oof_probs.npy', 'oof_ids.json');
  const test = await read('test_probs.npy', 'test_ids.json');
  return { oofIds: oof.ids, oofProbs: oof.probs, testIds: test.ids, testProbs: test.probs };
}
