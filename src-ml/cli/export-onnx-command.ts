// `ich models export-onnx <model> --out f.onnx`: one trained model of a workspace as an ONNX graph, for use
// outside the project (ONNX Runtime, Netron, other tools). A base CNN exports its feature model (outputs: the
// pooled features and the six logits); Pooled-Res and the shallow NNs their logits. Inputs keep the tfjs layout.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../base/atomic-write.ts';
import { parseModelId } from '../base/model-id.ts';
import { initBackend } from '../nn/backend.ts';
import { exportToOnnx, type OnnxFamily } from '../onnx/export.ts';
import { loadPooledRes } from '../predict/pooled-res-predict.ts';
import { loadShallow } from '../predict/shallow-predict.ts';
import { loadBaseFeatureModel } from '../predict/tta-features.ts';
import { getModel } from '../store/training-store.ts';
import { servingModelDir } from '../store/versions.ts';
import { modelDirOf } from '../store/workspace-paths.ts';
import { defaultWorkspaceDir, Workspace } from '../store/workspace.ts';

const FAMILY_OF_STAGE: Record<string, OnnxFamily> = { base: 'base-cnn', 'pooled-res': 'pooled-res', shallow: 'shallow', 'shallow-weighted': 'shallow' };

async function loadForExport(dir: string, family: OnnxFamily): Promise<tf.LayersModel> {
  if (family === 'base-cnn') return loadBaseFeatureModel(dir);
  if (family === 'pooled-res') return (await loadPooledRes(dir)).model;
  return (await loadShallow(dir)).model;
}

export async function exportOnnxCommand(model: string, flags: { out: string; workspace?: string }): Promise<void> {
  if (!parseModelId(model)) throw new Error(`"${model}" is not a model id: <name>.k<K>.f<fold>, e.g. tiny-se-resnext.k3.f0 (see ich runs)`);
  const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
  let dir: string;
  let family: OnnxFamily;
  try {
    const record = getModel(ws, model);
    if (!record) throw new Error(`no model ${model} in ${ws.dir} (see ich runs)`);
    const stageFamily = FAMILY_OF_STAGE[record.stage];
    if (!stageFamily) throw new Error(`${model} is a ${record.stage} model, which has no ONNX export`);
    family = stageFamily;
    // The active version's copy (what ich predict runs), else the working model a later run trained.
    const serving = servingModelDir(ws, model);
    dir = existsSync(serving) ? serving : modelDirOf(ws, model);
    if (!existsSync(dir)) throw new Error(`${model}: its folder ${dir} is missing`);
  } finally {
    ws.close();
  }
  await initBackend({ purpose: 'infer' }, { log: (line) => process.stderr.write(`${line}\n`) });
  const tfModel = await loadForExport(dir, family);
  let exported;
  try {
    exported = await exportToOnnx(tfModel, family);
  } finally {
    tfModel.dispose();
  }
  const out = path.resolve(flags.out);
  await writeFileAtomic(out, exported.bytes);
  process.stdout.write(`${JSON.stringify({ model, family, from: dir, out, bytes: exported.bytes.length, inputs: exported.inputs, outputs: exported.outputs })}\n`);
}
