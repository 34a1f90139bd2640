#!/usr/bin/python3
"""Independent reference decoder for pixels.test.ts.

Usage: /usr/bin/python3 reference_hu.py OUT_DIR [FILE...]   (no FILE: one path per line on stdin)

For every FILE, decodes all frames with pydicom (+ the GDCM handler for compressed syntaxes) and
writes OUT_DIR/<n>.npy (int32, shape frames x rows x columns) holding the STORED values: Bits
Stored masked out of Bits Allocated (after a High Bit shift for native data) and sign-extended when
Pixel Representation is 1, because pydicom 2.3's pixel_array returns the raw allocated words.
OUT_DIR/<n>_hu.npy (float32, frame 0) is pydicom's apply_modality_lut of those stored values.
OUT_DIR/index.json maps each FILE to {ok, npy, hu_npy, frames, rows, columns, transfer_syntax,
via} or {ok: false, error}. `via` names the decoder: "pydicom" (native or pydicom+gdcm) or the
DCMTK / GDCM command line tool that first turned the file into native data, used only where
pydicom+gdcm itself cannot decode a file.
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut

NATIVE = {
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
}
# Command line decoders to fall back on, by transfer syntax family.
DCMTK_JPEG = {"1.2.840.10008.1.2.4.%d" % n for n in (50, 51, 53, 55, 57, 70)}
DCMTK_JPLS = {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}
DCMTK_RLE = {"1.2.840.10008.1.2.5"}


def read(path):
    # force=True only for files with no preamble: pydicom refuses those otherwise.
    try:
        return pydicom.dcmread(path)
    except pydicom.errors.InvalidDicomError:
        ds = pydicom.dcmread(path, force=True)
        if "PixelData" not in ds and "SOPClassUID" not in ds:
            raise
        return ds


def stored_values(ds, arr, native):
    """Raw allocated words -> stored values (masked, shifted, sign-extended)."""
    bits_stored = int(ds.BitsStored)
    high_bit = int(getattr(ds, "HighBit", bits_stored - 1))
    signed = int(ds.PixelRepresentation) == 1
    raw = arr.astype(np.int64) & ((1 << int(ds.BitsAllocated)) - 1)
    if native:
        raw = raw >> (high_bit + 1 - bits_stored)
    raw = raw & ((1 << bits_stored) - 1)
    if signed:
        raw = np.where(raw >= (1 << (bits_stored - 1)), raw - (1 << bits_stored), raw)
    return raw.astype(np.int32)


def convert(path, ts, workdir):
    """Decompress with a command line tool; returns (tool, path of a native file)."""
    out = os.path.join(workdir, "converted.dcm")
    tools = []
    if ts in DCMTK_JPEG:
        tools.append(["dcmdjpeg", path, out])
    if ts in DCMTK_JPLS:
        tools.append(["dcmdjpls", path, out])
    if ts in DCMTK_RLE:
        tools.append(["dcmdrle", path, out])
    tools.append(["gdcmconv", "--raw", path, out])
    errors = []
    for cmd in tools:
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode == 0 and os.path.exists(out):
            return cmd[0], out
        errors.append("%s: %s" % (cmd[0], (res.stderr or res.stdout).strip().splitlines()[-1:]))
    raise RuntimeError("; ".join(errors))


def decode(path, workdir):
    ds = read(path)
    if "PixelData" not in ds:
        raise ValueError("no Pixel Data")
    ts = str(ds.file_meta.TransferSyntaxUID) if "TransferSyntaxUID" in ds.file_meta else ""
    via = "pydicom"
    try:
        arr = ds.pixel_array
    except Exception as first:  # noqa: BLE001 - any handler failure triggers the fallback
        try:
            via, converted = convert(path, ts, workdir)
        except RuntimeError as second:
            raise RuntimeError("pydicom: %s; %s" % (first, second)) from None
        ds = pydicom.dcmread(converted)
        arr = ds.pixel_array
    native = via != "pydicom" or ts in NATIVE or ts == ""
    rows, cols = int(ds.Rows), int(ds.Columns)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if int(getattr(ds, "SamplesPerPixel", 1)) != 1:
        raise ValueError("SamplesPerPixel %s" % ds.SamplesPerPixel)
    stored = stored_values(ds, arr, native).reshape(frames, rows, cols)
    hu = np.asarray(apply_modality_lut(stored[0], ds), dtype=np.float32)
    return ds, ts, via, stored, hu


def main():
    out_dir, paths = sys.argv[1], sys.argv[2:]
    if not paths:
        paths = [line.strip() for line in sys.stdin if line.strip()]
    warnings.simplefilter("ignore")
    index = {"pydicom": pydicom.__version__, "numpy": np.__version__, "files": {}}
    with tempfile.TemporaryDirectory() as workdir:
        for n, path in enumerate(paths):
            try:
                ds, ts, via, stored, hu = decode(path, workdir)
            except Exception as err:  # noqa: BLE001 - every failure is reported per file
                msg = str(err).splitlines()[0] if str(err) else type(err).__name__
                index["files"][path] = {"ok": False, "error": "%s: %s" % (type(err).__name__, msg)}
                continue
            npy, hu_npy = "%d.npy" % n, "%d_hu.npy" % n
            np.save(os.path.join(out_dir, npy), stored)
            np.save(os.path.join(out_dir, hu_npy), hu)
            index["files"][path] = {
                "ok": True,
                "npy": npy,
                "hu_npy": hu_npy,
                "frames": stored.shape[0],
                "rows": stored.shape[1],
                "columns": stored.shape[2],
                "transfer_syntax": ts,
                "photometric": str(getattr(ds, "PhotometricInterpretation", "")),
                "via": via,
            }
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
