// Model records as whole index rows, for moving a trained pipeline between workspaces (demo/model-transfer.ts):
// the rows of `models`, `ensembles` and `runs` read out of one index and written into another as they are.
import type { Workspace } from './workspace.ts';

/** One index row, column -> value. */
export type RecordRow = Record<string, unknown>;

export interface ModelRecordRows {
  /** The models rows (those of `modelIds` when given), by model id. */
  models: RecordRow[];
  /** Every ensembles row, by name. */
  ensembles: RecordRow[];
  /** The runs rows that made those models, by run id. */
  runs: RecordRow[];
}

/** Reads the model rows (all, or those of `modelIds`), every ensemble row and the runs that made the models. */
export function readModelRecordRows(ws: Workspace, modelIds?: ReadonlySet<string>): ModelRecordRows {
  const models = (ws.db.prepare('SELECT * FROM models ORDER BY model_id').all() as RecordRow[]).filter((m) => !modelIds || modelIds.has(m['model_id'] as string));
  const ensembles = ws.db.prepare('SELECT * FROM ensembles ORDER BY name').all() as RecordRow[];
  const runIds = new Set(models.map((m) => m['run_id']).filter((r): r is string => typeof r === 'string'));
  const runs = (ws.db.prepare('SELECT * FROM runs ORDER BY run_id').all() as RecordRow[]).filter((r) => runIds.has(r['run_id'] as string));
  return { models, ensembles, runs };
}

/** Writes model and run rows as they are, replacing rows with the same key, in one transaction. */
export function writeModelRecordRows(ws: Workspace, rows: { models: readonly RecordRow[]; runs: readonly RecordRow[] }): void {
  const insert = (table: 'models' | 'runs', row: RecordRow): void => {
    const cols = Object.keys(row);
    ws.db.prepare(`INSERT OR REPLACE INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
      .run(...cols.map((c) => row[c] as string | number | null));
  };
  ws.transaction(() => {
    for (const m of rows.models) insert('models', m);
    for (const r of rows.runs) insert('runs', r);
  });
}
