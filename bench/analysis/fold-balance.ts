/**
 * How evenly a workspace's labelled patients fall into folds, drawn both ways (issue 12; src-ml/data/folds.ts):
 * the seed's shuffled KFold and the stratified group KFold the tiny preset uses. Per fold: patients, slices and the
 * positive slices of each label. Draws the folds in memory; the workspace is only read.
 * Usage: npx tsx bench/analysis/fold-balance.ts WORKSPACE [--k 3] [--seed 8153]
 */
import { LABELS } from '../../src-shared/labels.ts';
import { assignFolds, assignStratifiedFolds } from '../../src-ml/data/folds.ts';
import { labelledImageTable } from '../../src-ml/store/training-store.ts';
import { Workspace } from '../../src-ml/store/workspace.ts';
import { countsByPatient } from '../../src-ml/train/ensure-folds.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const dir = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!dir) {
  console.error('usage: fold-balance.ts WORKSPACE [--k 3] [--seed 8153]');
  process.exit(2);
}
const k = flag('--k', 3);
const seed = flag('--seed', 8153);
const ws = Workspace.open(dir);
try {
  const table = labelledImageTable(ws);
  const counts = countsByPatient(table.ids.length, (i) => table.patients[table.patient[i]!]!, table.labels, LABELS.length);
  console.log(`${dir}: ${counts.size} labelled patients, ${table.ids.length} slices; ${k} folds, seed ${seed}`);
  console.log(`per fold: patients, slices, positives of ${LABELS.join(' / ')}`);
  for (const [name, folds] of [['kfold', assignFolds([...counts.keys()], k, seed)], ['stratified', assignStratifiedFolds(counts, k, seed)]] as const) {
    const load = Array.from({ length: k }, () => new Array<number>(LABELS.length + 2).fill(0));
    for (const [p, c] of counts) {
      const row = load[folds.get(p)!]!;
      row[0]! += 1;
      c.forEach((v, d) => (row[d + 1]! += v));
    }
    console.log(`${name.padEnd(10)} ${load.map((r) => `${r[0]} / ${r[1]} / ${r.slice(2).join(' ')}`).join('  |  ')}`);
  }
} finally {
  ws.close();
}
