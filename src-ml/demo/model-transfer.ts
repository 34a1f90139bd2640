// Moves a trained pipeline from one workspace to another: the model records and folders of every stage
// the predictor uses (base CNNs, Pooled-Res, shallow NNs), the runs that made them (history only, no
// checkpoints) and the fitted ensembles. This is how models trained on a GPU server reach a laptop, and
// how the demo workspace gets its models without its 9000 training slices. What is copied is the source's
// active model version (or its working models when it has none); in the receiving workspace it becomes a
// new version: active when that workspace has none yet, else a candidate to promote.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { replaceDirSync } from '../base/atomic-write.ts';
import { readModelRecordRows, writeModelRecordRows } from '../store/model-records.ts';
import { modelDirOf } from '../store/workspace-paths.ts';
import { activeVersion, beginVersion, finishVersion, servingModelDir, setVersionEnsemble } from '../store/versions.ts';
import type { Workspace } from '../store/workspace.ts';

export interface TransferSummary {
  models: string[];
  runs: number;
  ensembles: string[];
  /** The version made in the receiving workspace, and its status. */
  version?: { id: string; status: string };
}

/** Copies every model (records + folders), their runs and the ensembles; existing ones are replaced. */
export function copyTrainedModels(from: Workspace, to: Workspace, options: { skipFiles?: RegExp } = {}): TransferSummary {
  const active = activeVersion(from);
  const { models, ensembles, runs } = readModelRecordRows(from, active ? new Set(active.models) : undefined);
  if (models.length === 0) throw new Error(`${from.dir}: no trained models to copy (run ich pipeline first)`);

  // Folders first, each through a temporary name, so a record never points at a half-copied folder.
  for (const m of models) {
    const id = m['model_id'] as string;
    const src = servingModelDir(from, id);
    if (!existsSync(src)) throw new Error(`${src}: model folder missing for registered model ${id}`);
    const dst = modelDirOf(to, id);
    const tmp = `${dst}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(path.dirname(dst), { recursive: true });
    const skip = options.skipFiles;
    cpSync(src, tmp, { recursive: true, ...(skip ? { filter: (p: string) => !skip.test(path.basename(p)) } : {}) });
    replaceDirSync(tmp, dst);
  }
  // A copied run is history: it cannot be resumed here (its checkpoints stay behind).
  writeModelRecordRows(to, { models, runs: runs.map((r) => ({ ...r, pid: null, status: r['status'] === 'running' ? 'failed' : r['status'] })) });
  // The fitted ensembles arrive as a model version of their own (the predictions are the receiver's to make).
  let version: TransferSummary['version'];
  const current = ensembles.find((e) => e['name'] === 'current');
  if (current) {
    const v = beginVersion(to);
    setVersionEnsemble(to, v, JSON.parse(current['fit_json'] as string), JSON.parse(current['metrics_json'] as string));
    const made = finishVersion(to, v, {
      preset: active?.preset ?? '', report: active?.report ?? null,
      fingerprint: { copiedFrom: from.dir, version: active?.version ?? null, ...(active ? { data: active.fingerprint } : {}) },
    });
    version = { id: made.version, status: made.status };
  }
  return { models: models.map((m) => m['model_id'] as string), runs: runs.length, ensembles: ensembles.map((e) => e['name'] as string), ...(version ? { version } : {}) };
}
