/**
 * A read-only ZIP reader for torch.save checkpoints (the zip format PyTorch writes since 1.6), by
 * positional reads on an open file: the end-of-central-directory record (zip64 too), the central
 * directory, then one entry at a time, stored or deflated, each checked against its CRC-32.
 * Nothing is read whole, so a checkpoint of any size opens with O(entries) memory.
 *
 * Every defect (no end record, offsets past the end of the file, a bad signature, a CRC mismatch, a
 * size that disagrees with the directory) throws a ZipError whose one-line message names the file and
 * the reason.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;

export class ZipError extends Error {
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export class ZipReader {
  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    readonly fileSize: number,
    readonly entries: Map<string, ZipEntry>,
  ) {}

  /** Opens `file` and reads its central directory (throws ZipError for a damaged archive). */
  static async open(file: string): Promise<ZipReader> {
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      const entries = await readDirectory(file, fh, size);
      return new ZipReader(file, fh, size, entries);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** The bytes of one entry, inflated if needed and checked against the directory's size and CRC-32. */
  async read(name: string): Promise<Uint8Array> {
    const e = this.entries.get(name);
    if (!e) throw new ZipError(this.file, `has no entry ${name}`);
    const head = await readAt(this.file, this.fh, this.fileSize, e.localHeaderOffset, 30, `local header of ${name}`);
    const hv = view(head);
    if (hv.getUint32(0, true) !== LOCAL_SIG) throw new ZipError(this.file, `entry ${name}: bad local header signature at offset ${e.localHeaderOffset} (corrupted)`);
    const dataStart = e.localHeaderOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
    const raw = await readAt(this.file, this.fh, this.fileSize, dataStart, e.compressedSize, `data of ${name}`);
    let data: Uint8Array;
    if (e.method === 0) {
      data = raw;
    } else if (e.method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (err) {
        throw new ZipError(this.file, `entry ${name}: cannot inflate (${err instanceof Error ? err.message : String(err)})`);
      }
    } else {
      throw new ZipError(this.file, `entry ${name}: unsupported compression method ${e.method}`);
    }
    if (data.length !== e.size) throw new ZipError(this.file, `entry ${name}: ${data.length} bytes, the directory says ${e.size} (corrupted)`);
    const got = crc32(data) >>> 0;
    if (got !== e.crc32) {
      throw new ZipError(this.file, `entry ${name}: CRC-32 mismatch (${hex(got)}, expected ${hex(e.crc32)}): the file is corrupted`);
    }
    return data;
  }
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

async function readAt(file: string, fh: FileHandle, fileSize: number, pos: number, len: number, what: string): Promise<Uint8Array> {
  if (!Number.isSafeInteger(pos) || !Number.isSafeInteger(len) || pos < 0 || len < 0 || pos + len > fileSize) {
    throw new ZipError(file, `${what} at offset ${pos} (${len} bytes) lies past the end of the ${fileSize}-byte file (truncated or corrupted)`);
  }
  const buf = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const { bytesRead } = await fh.read(buf, done, len - done, pos + done);
    if (bytesRead === 0) throw new ZipError(file, `${what}: unexpected end of file at offset ${pos + done}`);
    done += bytesRead;
  }
  return buf;
}

function u64(v: DataView, at: number): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) return Number.POSITIVE_INFINITY;
  return Number(n);
}

async function readDirectory(file: string, fh: FileHandle, size: number): Promise<Map<string, ZipEntry>> {
  if (size < EOCD_MIN) throw new ZipError(file, `${size} bytes is too short for a zip archive (truncated, or not a torch.save zip)`);
  const tailLen = Math.min(size, EOCD_MIN + MAX_COMMENT);
  const tailStart = size - tailLen;
  const tail = await readAt(file, fh, size, tailStart, tailLen, 'end of file');
  const tv = view(tail);
  let eocd = -1;
  for (let i = tailLen - EOCD_MIN; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG && i + EOCD_MIN + tv.getUint16(i + 20, true) <= tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError(file, 'no zip end-of-central-directory record (the file is truncated, or not a torch.save zip)');
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== ZIP64_LOCATOR_SIG) throw new ZipError(file, 'zip64 end record locator missing (corrupted)');
    const z64at = u64(tv, loc + 8);
    const z = view(await readAt(file, fh, size, z64at, 56, 'zip64 end-of-central-directory record'));
    if (z.getUint32(0, true) !== ZIP64_EOCD_SIG) throw new ZipError(file, `bad zip64 end record signature at offset ${z64at} (corrupted)`);
    count = u64(z, 32);
    cdSize = u64(z, 40);
    cdOffset = u64(z, 48);
  }
  if (cdOffset + cdSize > size) {
    throw new ZipError(file, `central directory at offset ${cdOffset} (${cdSize} bytes) lies past the end of the ${size}-byte file (truncated or corrupted)`);
  }
  const cd = await readAt(file, fh, size, cdOffset, cdSize, 'central directory');
  const cv = view(cd);
  const entries = new Map<string, ZipEntry>();
  const dec = new TextDecoder('utf-8', { fatal: false });
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cv.getUint32(p, true) !== CENTRAL_SIG) {
      throw new ZipError(file, `central directory entry ${n} at offset ${cdOffset + p} has a bad signature (corrupted)`);
    }
    const method = cv.getUint16(p + 10, true);
    const crc = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let usize = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw new ZipError(file, `central directory entry ${n} runs past the directory (corrupted)`);
    const name = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: only the fields whose 32-bit slot is 0xffffffff, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (usize === 0xffffffff && q + 8 <= e + 4 + len) { usize = u64(cv, q); q += 8; }
        if (compressedSize === 0xffffffff && q + 8 <= e + 4 + len) { compressedSize = u64(cv, q); q += 8; }
        if (localHeaderOffset === 0xffffffff && q + 8 <= e + 4 + len) { localHeaderOffset = u64(cv, q); q += 8; }
      }
      e += 4 + len;
    }
    if (localHeaderOffset + compressedSize > size) {
      throw new ZipError(file, `entry ${name} at offset ${localHeaderOffset} (${compressedSize} bytes) lies past the end of the ${size}-byte file (truncated or corrupted)`);
    }
    entries.set(name, { name, method, crc32: crc, compressedSize, size: usize, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
