// The CLI's command handlers: argument checking and output only; the work is in the engine modules.
import path from 'node:path';
import { parseWindowArg, resolveWindow } from '../api/windows.ts';
import { errorMessage } from '../base/errors.ts';
import { readHuSlice } from '../dicom/read-hu.ts';
import { encodeGrayPng, renderWindowedGray } from '../dicom/render-png.ts';
import { writeFileAtomicSync } from '../base/atomic-write.ts';
import { exportMetadataCsv } from '../store/export-metadata.ts';
import { importLabels } from '../store/labels.ts';
import { writeNpyAtomic } from '../store/npy.ts';
import { scanReport } from '../store/queries.ts';
import { scanFolders } from '../store/scan.ts';
import { defaultWorkspaceDir, Workspace } from '../store/workspace.ts';
import { checkScanPath } from '../train/preflight.ts';
import { abortOnSigint, positiveInt } from './cli-helpers.ts';
import { progressBar } from './progress-bar.ts';

function openWorkspace(dir: string | undefined): Workspace {
  return Workspace.open(dir ?? defaultWorkspaceDir());
}

export async function scanCommand(dirs: string[], opts: { workspace?: string; json?: boolean; batchSize: string; progress: boolean }): Promise<void> {
  const batchSize = positiveInt(opts.batchSize, '--batch-size');
  // A path that does not exist is an error, not an empty scan (nothing is opened or indexed).
  for (const d of dirs) checkScanPath(d);
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
  try {
    const slice = await readHuSlice(file, positiveInt(opts.frame, '--frame'));
    await writeNpyAtomic(opts.out, slice.hu, [slice.rows, slice.columns]);
  } catch (err) {
    throw new Error(`${file}: ${errorMessage(err)}`, { cause: err });
  }
}

export async function renderCommand(file: string, opts: { out: string; window: string; frame: string }): Promise<void> {
  try {
    const choice = parseWindowArg(opts.window);
    const { hu, header, pixels } = await readHuSlice(file, positiveInt(opts.frame, '--frame'));
    const window = resolveWindow(choice, header);
    if (!window) throw new Error(`--window header but the file has no usable WindowCenter/WindowWidth ("${header.windowCenterRaw}"/"${header.windowWidthRaw}")`);
    const gray = renderWindowedGray(hu, pixels.rows, pixels.columns, window.center, window.width, { invert: pixels.photometricInterpretation === 'MONOCHROME1' });
    writeFileAtomicSync(opts.out, encodeGrayPng(gray, pixels.rows, pixels.columns));
    process.stdout.write(`${pixels.columns}x${pixels.rows}, window center ${window.center} width ${window.width} -> ${path.resolve(opts.out)}\n`);
  } catch (err) {
    throw new Error(`${file}: ${errorMessage(err)}`, { cause: err });
  }
}

export async function labelsImportCommand(csv: string, opts: { workspace?: string }): Promise<void> {
  const ws = openWorkspace(opts.workspace);
  try {
    // All or nothing: a rejected row, an empty file or invalid UTF-8 throws one line (LabelImportError: the file,
    // the first bad row and the count), which main prints as `ich: ...` with exit status 1; nothing is imported.
    const r = await importLabels(ws, csv);
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
