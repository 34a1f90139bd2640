// `ich metric --pred <csv> --labels <csv>`: the competition metric (docs/seed-pipeline.md section 8) of a Kaggle-format
// submission against labels in the same format. Prints {"loss","perClass":{...},"n"} as one JSON line.
import type { Command } from 'commander';
import { KAGGLE_EPS, weightedLogLoss, type MetricResult } from '../metrics/log-loss.ts';
import { LABELS } from '../../src-shared/labels.ts';
import { readSubmissionCsv } from '../metrics/submission-csv.ts';

const SHOW = 5;

function listSome(ids: string[]): string {
  return `${ids.slice(0, SHOW).join(', ')}${ids.length > SHOW ? ', ...' : ''}`;
}

/** The metric over the images of the labels file; both files must cover the same images. */
export async function computeMetric(predFile: string, labelsFile: string): Promise<MetricResult> {
  const [pred, labels] = await Promise.all([readSubmissionCsv(predFile), readSubmissionCsv(labelsFile, { binary: true })]);
  const missing: string[] = [];
  for (const id of labels.keys()) if (!pred.has(id)) missing.push(id);
  const extra: string[] = [];
  for (const id of pred.keys()) if (!labels.has(id)) extra.push(id);
  const problems: string[] = [];
  if (missing.length) problems.push(`${predFile} has no predictions for ${missing.length} image${missing.length > 1 ? 's' : ''} of ${labelsFile} (${listSome(missing)})`);
  if (extra.length) problems.push(`${predFile} has ${extra.length} image${extra.length > 1 ? 's' : ''} that ${labelsFile} does not label (${listSome(extra)})`);
  if (problems.length) throw new Error(problems.join('; '));
  if (labels.size === 0) throw new Error(`${labelsFile}: no images`);
  const c = LABELS.length;
  const p = new Float64Array(labels.size * c);
  const y = new Float64Array(labels.size * c);
  let i = 0;
  for (const [id, row] of labels) {
    y.set(row, i * c);
    p.set(pred.get(id)!, i * c);
    i++;
  }
  return weightedLogLoss(p, y, KAGGLE_EPS);
}

export async function metricCommand(opts: { pred: string; labels: string }): Promise<void> {
  const r = await computeMetric(opts.pred, opts.labels);
  process.stdout.write(JSON.stringify({ loss: r.loss, perClass: r.perClass, n: r.n }) + '\n');
}

export function registerMetricCommand(program: Command): Command {
  return program.command('metric')
    .description('the competition metric (weighted log loss, any x2, clip 1e-15) of a submission against labels')
    .requiredOption('--pred <csv>', 'predictions, Kaggle format: ID,Label with ID = <image>_<subtype>')
    .requiredOption('--labels <csv>', 'labels in the same format (e.g. stage_2_train.csv), values 0 or 1')
    .action(metricCommand);
}
