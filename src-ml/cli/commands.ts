// The CLI's command handlers: argument checking and output only; the work is in the engine modules.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../dicom/errors.ts';
import { readSliceHeaders } from '../dicom/header.ts';
import { parseDicomBytes } from '../dicom/parse.ts';
import { decodeFrameStored, initCodecsFor, readPixelModule, storedToHu } from '../dicom/pixels.ts';
import { exportMetadataCsv } from '../store/export-metadata.ts';
import { importLabels } from '../store/labels.ts';
import { writeNpyAtomic } from '../store/npy.ts';
import { scanReport } from '../store/queries.ts';
import { scanFolders } from '../store/scan.ts';
import { defaultWorkspaceDir, Workspace } from '../store/workspace.ts';
import { progressBar } from './progress-bar.ts';

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

function openWorkspace(dir: string | undefined): Workspace {
  return Workspace.open(dir ?? defaultWorkspaceDir());
}

/** Cancels the job on Ctrl-C (committed work stays); a second Ctrl-C exits at once. */
function abortOnSigint(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

export async function scanCommand(dirs: string[], opts: { workspace?: string; json?: boolean; batchSize: string; progress: boolean }): Promise<void> {
  const batchSize = positiveInt(opts.batchSize, '--batch-size');
  const ws = openWorkspace(opts.workspace);
  const bar = progressBar('scan', opts.progress);
  const { signal, dispose } = abortOnSigint();
  try {
    const summary = await scanFolders(ws, { roots: dirs, batchSize, signal, onProgress: (p) => bar.update(p) });
    bar.stop();
    const report = scanReport(ws, summary.files);
    if (opts.json) {
      process.stdout.write(JSON.stringify(report) + '\n');
    } else {
      const slices = report.series.reduce((n, s) => n + s.instances.length, 0);
      process.stdout.write(`${summary.files.length} files: ${summary.indexed} read, ${summary.unchanged} unchanged, ${summary.removed} removed; `
        + `${report.series.length} series, ${slices} slices, ${report.problems.length} problems -> ${ws.dir}\n`);
      for (const p of report.problems) process.stdout.write(`  ${p.kind}: ${p.path}: ${p.message}\n`);
      for (const s of report.series) for (const w of s.warnings) process.stdout.write(`  warning: series ${s.seriesInstanceUid}: ${w}\n`);
    }
  } finally {
    bar.stop();
    dispose();
    ws.close();
  }
}

export async function huCommand(file: string, opts: { out: string; frame: string }): Promise<void> {
  const frame = positiveInt(opts.frame, '--frame');
  try {
    const bytes = readFileSync(file);
    const parsed = parseDicomBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    await initCodecsFor(parsed.transferSyntaxUid);
    const pixels = readPixelModule(parsed.dataSet);
    if (frame > pixels.numberOfFrames) throw new Error(`--frame ${frame} but the file has ${pixels.numberOfFrames} frame(s)`);
    const header = readSliceHeaders(parsed.dataSet)[frame - 1]!;
    const stored = decodeFrameStored(parsed, frame - 1);
    const hu = storedToHu(stored, header.rescaleSlope, header.rescaleIntercept);
    await writeNpyAtomic(opts.out, hu, [pixels.rows, pixels.columns]);
  } catch (err) {
    throw new Error(`${file}: ${errorMessage(err)}`, { cause: err });
  }
}

export async function labelsImportCommand(csv: string, opts: { workspace?: string }): Promise<void> {
  const ws = openWorkspace(opts.workspace);
  try {
    const r = await importLabels(ws, csv);
    for (const e of r.errors.slice(0, 20)) process.stderr.write(`ich: ${e}\n`);
    if (r.errors.length > 20) process.stderr.write(`ich: ... and ${r.errors.length - 20} more\n`);
    process.stdout.write(`${r.images} images labelled (${r.rows} rows, ${r.duplicateRows} duplicate rows dropped, `
      + `${r.excluded} excluded from training, ${r.errors.length} errors) -> ${ws.dir}\n`);
  } finally {
    ws.close();
  }
}

export async function exportMetadataCommand(opts: { workspace?: string; out: string }): Promise<void> {
  const ws = openWorkspace(opts.workspace);
  try {
    const rows = exportMetadataCsv(ws, opts.out);
    process.stdout.write(`${rows} images -> ${path.resolve(opts.out)}\n`);
  } finally {
    ws.close();
  }
}
