import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { weightedLogLoss } from '../metrics/log-loss.ts';
import { writeSubmissionCsv } from '../metrics/submission-csv.ts';
import { tempDir } from '../testing/fixtures.ts';
import { registerMetricCommand } from './metric-command.ts';

const tmp = tempDir('ich-metric-');
afterAll(() => tmp.cleanup());

async function run(args: string[]): Promise<string> {
  const program = new Command('ich').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerMetricCommand(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('ich metric', () => {
  const probs = [
    [0.1, 0.2, 0.3, 0.05, 0.6, 0.7],
    [0.01, 0.02, 0.03, 0.04, 0.05, 0.1],
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.9],
  ];
  const labels = [
    [0, 0, 1, 0, 1, 1],
    [0, 0, 0, 0, 0, 0],
    [1, 0, 0, 0, 0, 1],
  ];
  const ids = ['ID_1', 'ID_2', 'ID_3'];
  const pred = path.join(tmp.dir, 'pred.csv');
  const lab = path.join(tmp.dir, 'labels.csv');

  it('prints {"loss","perClass","n"}: the metric of the images in the labels file', async () => {
    await writeSubmissionCsv(pred, ids.map((id, i) => [id, probs[i]!] as [string, number[]]).reverse());
    await writeSubmissionCsv(lab, ids.map((id, i) => [id, labels[i]!] as [string, number[]]));
    const out = await run(['metric', '--pred', pred, '--labels', lab]);
    const r = JSON.parse(out) as { loss: number; perClass: Record<string, number>; n: number };
    const expected = weightedLogLoss(probs.flat(), labels.flat());
    expect(Object.keys(r)).toEqual(['loss', 'perClass', 'n']);
    expect(r.n).toBe(3);
    expect(r.loss).toBeCloseTo(expected.loss, 14);
    expect(r.perClass).toEqual(expected.perClass);
  });

  it('images missing from either side are one error that names them and counts them', async () => {
    const short = path.join(tmp.dir, 'short.csv');
    await writeSubmissionCsv(short, [['ID_1', probs[0]!], ['ID_9', probs[1]!]]);
    const err = await run(['metric', '--pred', short, '--labels', lab]).then(() => undefined, (e: Error) => e);
    expect(err?.message).toBe(`${short} has no predictions for 2 images of ${lab} (ID_2, ID_3); ${short} has 1 image that ${lab} does not label (ID_9)`);
  });

  it('label values other than 0/1 and malformed files are errors naming file:line', async () => {
    const soft = path.join(tmp.dir, 'soft.csv');
    writeFileSync(soft, 'ID,Label\nID_1_any,0.5\n');
    await expect(run(['metric', '--pred', pred, '--labels', soft])).rejects.toThrow(`${soft}:2: label 0.5 for ID_1_any is not 0 or 1`);
    await expect(run(['metric', '--pred', path.join(tmp.dir, 'nope.csv'), '--labels', lab])).rejects.toThrow(/nope\.csv: cannot read/);
  });

  it('both options are required', async () => {
    await expect(run(['metric', '--pred', pred])).rejects.toThrow(/--labels/);
  });
});
