// Test fixture of the DICOM-serving tests: a folder of a few tiny CT slices (ID_<hex>.dcm, as the RSNA release)
// scanned into a fresh workspace by the real scanner, so each file's identity is the one a scan records.
import { closeSync, fstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeCtSlice } from '../dicom/write.ts';
import { identityOf, openForIndex, type FileIdentity } from '../store/file-identity.ts';
import { scanFolders } from '../store/scan.ts';
import { Workspace } from '../store/workspace.ts';

export interface TinyCtWorkspace {
  wsDir: string;
  dataDir: string;
  /** Image id -> its file. */
  files: Map<string, string>;
}

/** `n` 16x16 slices of one series under `root`/data, indexed into `root`/ws (the workspace is closed again). */
export async function makeTinyCtWorkspace(root: string, n = 4): Promise<TinyCtWorkspace> {
  const dataDir = path.join(root, 'data');
  const wsDir = path.join(root, 'ws');
  mkdirSync(dataDir, { recursive: true });
  const files = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const id = `ID_${(0xa0 + i).toString(16)}0000001`;
    const size = 16;
    const px = new Int16Array(size * size).fill(1024 + 40);
    const bytes = writeCtSlice({
      sopInstanceUid: id, patientId: 'ID_patient1', patientName: 'Serve^Test',
      studyInstanceUid: '1.2.826.0.1.3680043.2.1125.888.1', studyId: '1', studyDate: '20260101', studyTime: '120000',
      seriesInstanceUid: '1.2.826.0.1.3680043.2.1125.888.2', seriesNumber: 1, frameOfReferenceUid: '1.2.826.0.1.3680043.2.1125.888.3',
      manufacturer: 'ICH test', instanceNumber: i + 1, imagePositionPatient: [-125, -125, i * 5], imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      pixelSpacing: [0.5, 0.5], sliceThickness: 5, kvp: 120, rows: size, columns: size, bitsStored: 16, pixelRepresentation: 1,
      windowCenter: 40, windowWidth: 80, rescaleIntercept: -1024, rescaleSlope: 1, pixels: px,
    });
    const file = path.join(dataDir, `${id}.dcm`);
    writeFileSync(file, bytes);
    files.set(id, file);
  }
  const ws = Workspace.open(wsDir);
  try {
    const s = await scanFolders(ws, { roots: [dataDir] });
    if (s.problems) throw new Error(`tiny CT fixture: ${s.problems} problems`);
  } finally {
    ws.close();
  }
  return { wsDir, dataDir, files };
}

/**
 * The whole file and the identity of exactly those bytes (fstat of the descriptor read), opened as the scanner
 * opens (store/scan-file.ts). Throws for anything
 * but a regular file (a device or FIFO swapped in after the folder walk), without blocking on a FIFO.
 */
export function readFileWithIdentity(filePath: string): { bytes: Buffer; identity: FileIdentity } {
  const { fd, link } = openForIndex(filePath);
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new Error('not a regular file (a device, FIFO or folder)');
    return { bytes: readFileSync(fd), identity: identityOf(st, link) };
  } finally {
    closeSync(fd);
  }
}
