/**
 * Row access to float32 .npy matrices too big to read whole (the TTA feature files: at the RSNA size a fold's
 * train.npy is 752,797 images x 4 copies x 256 features, about 3.1 GB, above what one Node Buffer holds).
 * `NpyRowFile` reads a range of rows with positioned reads; `CachedNpyRows` serves single rows out of a small
 * direct-mapped cache of row groups (one group = one image's TTA copies), so a stage holds its batch and the
 * cache, never the file.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { readNpyLayoutSync, swapBytes, type NpyLayout } from './npy.ts';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An open 2-D float32 .npy file (a 1-D one is rows of one value), read by row ranges. */
export class NpyRowFile {
  readonly file: string;
  readonly rows: number;
  /** Floats per row. */
  readonly rowLength: number;
  readonly shape: readonly number[];
  private fd: number | null;
  private readonly dataStart: number;

  private constructor(file: string, fd: number, layout: NpyLayout) {
    this.file = file;
    this.fd = fd;
    this.shape = layout.shape;
    this.rows = layout.shape[0] ?? 1;
    this.rowLength = layout.shape.length <= 1 ? 1 : layout.shape.slice(1).reduce((a, b) => a * b, 1);
    this.dataStart = layout.dataStart;
  }

  /** Opens `file`; it must hold a float32 array of at least one dimension, complete. */
  static open(file: string): NpyRowFile {
    const fd = openSync(file, 'r');
    try {
      const layout = readNpyLayoutSync(fd);
      if (layout.dtype !== '<f4') throw new Error(`npy: ${file} holds '${layout.dtype}', rows are read from float32 files only`);
      if (layout.shape.length === 0) throw new Error(`npy: ${file} holds a scalar, not rows`);
      const need = layout.dataStart + layout.size * 4;
      const have = statSync(file).size;
      if (have < need) throw new Error(`npy: truncated data: ${have - layout.dataStart} bytes for ${layout.size} values of '<f4' in ${file}`);
      return new NpyRowFile(file, fd, layout);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Rows start .. start + count - 1 into `out` from `offset` (floats); returns `out`. */
  readRows(start: number, count: number, out: Float32Array = new Float32Array(count * this.rowLength), offset = 0): Float32Array {
    if (this.fd === null) throw new Error(`npy: ${this.file} is closed`);
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= this.rows)) {
      throw new RangeError(`npy: rows ${start}..${start + count - 1} outside 0..${this.rows - 1} of ${this.file}`);
    }
    const floats = count * this.rowLength;
    if (offset < 0 || offset + floats > out.length) throw new RangeError(`npy: ${floats} floats do not fit at ${offset} of ${out.length}`);
    const bytes = new Uint8Array(out.buffer, out.byteOffset + offset * 4, floats * 4);
    let done = 0;
    const position = this.dataStart + start * this.rowLength * 4;
    while (done < bytes.length) {
      const n = readSync(this.fd, bytes, done, Math.min(bytes.length - done, 1 << 30), position + done);
      if (n === 0) throw new Error(`npy: ${this.file} ended inside row ${start + Math.floor(done / (4 * this.rowLength))}`);
      done += n;
    }
    if (!HOST_LITTLE_ENDIAN) swapBytes(bytes, 4);
    return out;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Default cache size of CachedNpyRows: 32 MiB. */
export const ROW_CACHE_BYTES = 32 << 20;

/**
 * Single rows of an NpyRowFile through a direct-mapped cache of groups of `groupRows` consecutive rows (a
 * feature file's image: its TTA copies). `row(r)` returns a view into the cache, valid until the next call
 * (copy it to keep it).
 */
export class CachedNpyRows {
  readonly rows: number;
  readonly rowLength: number;
  private readonly groupRows: number;
  private readonly groupLength: number;
  private readonly slots: number;
  private readonly data: Float32Array;
  private readonly tags: Float64Array;

  constructor(readonly source: NpyRowFile, groupRows = 1, cacheBytes = ROW_CACHE_BYTES) {
    if (!(Number.isInteger(groupRows) && groupRows >= 1)) throw new RangeError(`npy: groupRows must be a positive integer, got ${groupRows}`);
    this.rows = source.rows;
    this.rowLength = source.rowLength;
    this.groupRows = groupRows;
    this.groupLength = groupRows * source.rowLength;
    const groups = Math.ceil(source.rows / groupRows);
    this.slots = Math.max(1, Math.min(groups, Math.floor(cacheBytes / Math.max(1, this.groupLength * 4))));
    this.data = new Float32Array(this.slots * this.groupLength);
    this.tags = new Float64Array(this.slots).fill(-1);
  }

  row(r: number): Float32Array {
    if (!(Number.isInteger(r) && r >= 0 && r < this.rows)) throw new RangeError(`npy: row ${r} outside 0..${this.rows - 1} of ${this.source.file}`);
    const g = Math.floor(r / this.groupRows);
    const slot = g % this.slots;
    const base = slot * this.groupLength;
    if (this.tags[slot] !== g) {
      const first = g * this.groupRows;
      this.source.readRows(first, Math.min(this.groupRows, this.rows - first), this.data, base);
      this.tags[slot] = g;
    }
    const at = base + (r - g * this.groupRows) * this.rowLength;
    return this.data.subarray(at, at + this.rowLength);
  }

  close(): void {
    this.source.close();
  }

  dispose(): void {
    this.close();
  }
}
