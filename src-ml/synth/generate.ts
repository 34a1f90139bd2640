// `ich synth`: plans a data set, renders its series on worker threads, and writes, side by side, the
// DICOM files (one flat folder of ID_<9 hex>.dcm, as the RSNA release), labels.csv in the
// stage_2_train.csv format and truth.json. Deterministic for a seed, whatever the worker count.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { LABELS } from '../../src-shared/labels.ts';
import { writeFileAtomicSync } from '../base/atomic-write.ts';
import { createPool, workerCount } from '../jobs/worker-pool.ts';
import { CancelledError, type ProgressListener } from '../jobs/progress.ts';
import { LABEL_MIN_AREA_MM2, renderSeriesJob, type SeriesJob, type SeriesResult } from './series-job.ts';
import { planDataset, type PlanOptions } from './study-plan.ts';
import { SUBTYPES, type Subtype } from './types.ts';

export interface SynthOptions extends PlanOptions {
  out: string;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Worker threads (default: ICH_SYNTH_WORKERS, else one per core, at most 4). */
  workers?: number;
}

export interface SynthSummary {
  studies: number;
  patients: number;
  slices: number;
  /** Slice-level prevalence of each label. */
  prevalence: Record<Subtype | 'any', number>;
}

export async function generateDataset(options: SynthOptions): Promise<SynthSummary> {
  const plan: PlanOptions = { studies: options.studies, seed: options.seed, size: options.size, patients: options.patients, prevalence: options.prevalence };
  const series = planDataset(plan);
  const out = path.resolve(options.out);
  mkdirSync(out, { recursive: true });
  const total = series.reduce((n, s) => n + s.zMm.length, 0);
  const results: SeriesResult[] = [];
  let done = 0;
  const failures: string[] = [];
  const pool = createPool<SeriesJob, SeriesResult>({
    module: new URL('./series-job.ts', import.meta.url),
    handler: renderSeriesJob,
    workers: Math.min(options.workers ?? workerCount('ICH_SYNTH_WORKERS'), Math.floor(series.length / 2)),
    inFlightPerWorker: 1,
  });
  try {
    await pool.run(
      series.map((s) => ({ plan, index: s.index, out })),
      (r) => {
        results[r.index] = r;
        done += r.slices.length;
        options.onProgress?.({ stage: 'synth', done, total, item: series[r.index]!.seriesInstanceUid });
      },
      (job, reason) => failures.push(`series ${job.index}: ${reason}`),
      options.signal,
    );
  } finally {
    await pool.close();
  }
  if (options.signal?.aborted) throw new CancelledError('synth');
  if (failures.length) throw new Error(`${out}: ${failures.length} series failed; first: ${failures[0]}`);

  const counts = Object.fromEntries(['any', ...SUBTYPES].map((t) => [t, 0])) as Record<Subtype | 'any', number>;
  const labelRows = ['ID,Label'];
  const truthSlices: Record<string, unknown> = {};
  const truthSeries = series.map((s) => {
    const r = results[s.index]!;
    for (const sl of r.slices) {
      for (const t of LABELS) {
        const positive = t === 'any' ? sl.types.length > 0 : sl.types.includes(t);
        if (positive) counts[t]++;
        labelRows.push(`${sl.id}_${t},${positive ? 1 : 0}`);
      }
      truthSlices[sl.id] = { series: s.seriesInstanceUid, zMm: sl.zMm, instanceNumber: sl.instanceNumber, types: sl.types, areaMm2: sl.areaMm2 };
    }
    return {
      seriesInstanceUid: s.seriesInstanceUid,
      studyInstanceUid: s.studyInstanceUid,
      patientId: s.patientId,
      scanner: s.scanner.name,
      rescaleIntercept: s.scanner.rescaleIntercept,
      brokenIntercept: s.scanner.brokenIntercept,
      lesions: s.lesions.map((l) => l.type),
      slices: r.slices.map((sl) => sl.id),
    };
  });
  const truth = {
    version: 1,
    generator: 'ich synth',
    options: { studies: plan.studies, seed: plan.seed, size: plan.size, patients: plan.patients ?? null, prevalence: plan.prevalence ?? null },
    labelMinAreaMm2: LABEL_MIN_AREA_MM2,
    series: truthSeries,
    slices: truthSlices,
  };
  writeFileAtomicSync(path.join(out, 'labels.csv'), labelRows.join('\n') + '\n');
  writeFileAtomicSync(path.join(out, 'truth.json'), JSON.stringify(truth, null, 1) + '\n');
  const prevalence = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, total ? v / total : 0])) as Record<Subtype | 'any', number>;
  return { studies: series.length, patients: new Set(series.map((s) => s.patientId)).size, slices: total, prevalence };
}
