#!/usr/bin/python3
"""Independent reference decoder for pixels.test.ts.

Usage: /usr/bin/python3 reference_hu.py OUT_DIR [FILE...]   (no FILE: one path per line on stdin)

For every FILE, decodes all frames with pydicom (+ the GDCM handler for compressed syntaxes) and
writes OUT_DIR/<n>.npy (int32, shape frames x rows x columns) holding the STORED values: Bits
Stored masked out of Bits Allocated (after a High Bit shift for native data) and sign-extended when
Pixel Representation is 1, because pydicom 2.3's pixel_array returns the raw allocated words.
OUT_DIR/<n>_hu.npy (float32, frame 0) is pydicom's apply_modality_lut of those stored values.
OUT_DIR/index.json maps each FILE to {ok, npy, hu_npy, frames, rows, columns, transfer_syntax,
photometric, via, second_opinion?, pydicom_rejected?} or {ok: false, error}.

`via` names the decoder whose values were written: "pydicom" (native data, or compressed data
through the GDCM handler) or a command line tool (dcmdjpeg / dcmdjpls / dcmdrle / gdcmconv --raw)
that turned the file into native data for pydicom to read. For JPEG, JPEG-LS and RLE, DCMTK also
decodes every file as a second opinion (`second_opinion`: tool and max |difference|); where it
disagrees with pydicom+GDCM, DCMTK's values are written and
`pydicom_rejected` is set. Where pydicom+GDCM fails outright, DCMTK (or gdcmconv) stands in.
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


def pixel_module(ds):
    """Read before pixel_array: pydicom 2.3's GDCM handler sets PixelRepresentation to 0 on the data
    set itself when it corrects a J2K sign mismatch (J2K_pixelrep_mismatch.dcm)."""
    bits_stored = int(ds.BitsStored)
    return {
        "bits_allocated": int(ds.BitsAllocated),
        "bits_stored": bits_stored,
        "high_bit": int(getattr(ds, "HighBit", bits_stored - 1)),
        "signed": int(ds.PixelRepresentation) == 1,
    }


def stored_values(pm, arr, native):
    """Raw allocated words -> stored values (masked, shifted, sign-extended)."""
    bits_stored = pm["bits_stored"]
    raw = arr.astype(np.int64) & ((1 << pm["bits_allocated"]) - 1)
    if native:
        raw = raw >> (pm["high_bit"] + 1 - bits_stored)
    raw = raw & ((1 << bits_stored) - 1)
    if pm["signed"]:
        raw = np.where(raw >= (1 << (bits_stored - 1)), raw - (1 << bits_stored), raw)
    return raw.astype(np.int32)


def dcmtk_tool(ts):
    if ts in DCMTK_JPEG:
        return "dcmdjpeg"
    if ts in DCMTK_JPLS:
        return "dcmdjpls"
    if ts in DCMTK_RLE:
        return "dcmdrle"
    return None


def run_tool(cmd, path, workdir):
    """Decompress with a command line tool and read the native result with pydicom."""
    out = os.path.join(workdir, "converted.dcm")
    if os.path.exists(out):
        os.remove(out)
    args = [cmd, "--raw", path, out] if cmd == "gdcmconv" else [cmd, path, out]
    res = subprocess.run(args, capture_output=True, text=True)
    if res.returncode != 0 or not os.path.exists(out):
        lines = (res.stderr or res.stdout).strip().splitlines()
        raise RuntimeError("%s failed: %s" % (cmd, lines[-1] if lines else res.returncode))
    ds = pydicom.dcmread(out)
    pm = pixel_module(ds)
    return ds, stored_values(pm, ds.pixel_array, True)


def decode_pydicom(ds, ts):
    pm = pixel_module(ds)
    return stored_values(pm, ds.pixel_array, ts in NATIVE or ts == "")


def decode(path, workdir):
    """Returns (ds, ts, via, stored, notes). pydicom+GDCM is the reference; for syntaxes that DCMTK
    also decodes (JPEG, JPEG-LS, RLE) DCMTK gives a second opinion, and wins when the two disagree. Where pydicom+GDCM fails, DCMTK or `gdcmconv --raw` stands in."""
    ds = read(path)
    if "PixelData" not in ds:
        raise ValueError("no Pixel Data")
    ts = str(ds.file_meta.TransferSyntaxUID) if "TransferSyntaxUID" in ds.file_meta else ""
    if int(getattr(ds, "SamplesPerPixel", 1)) != 1:
        raise ValueError("SamplesPerPixel %s" % ds.SamplesPerPixel)
    errors, notes = [], {}
    primary = None
    try:
        primary = decode_pydicom(ds, ts)
    except Exception as err:  # noqa: BLE001 - any handler failure triggers the fallback
        errors.append("pydicom: %s" % err)
    tool = dcmtk_tool(ts)
    second = None
    if tool:
        try:
            second = run_tool(tool, path, workdir)
        except Exception as err:  # noqa: BLE001
            errors.append(str(err))
    if primary is None and second is None:
        try:
            second, tool = run_tool("gdcmconv", path, workdir), "gdcmconv"
        except Exception as err:  # noqa: BLE001
            errors.append(str(err))
            raise RuntimeError("; ".join(errors)) from None
    if primary is not None and second is not None:
        a, b = primary.ravel(), second[1].ravel()
        diff = int(np.abs(a.astype(np.int64) - b).max()) if a.shape == b.shape else -1
        notes["second_opinion"] = {"tool": tool, "max_diff": diff}
        if diff != 0:
            # Both use IJG-derived JPEG code and deterministic JPEG-LS / RLE decoding, so a
            # difference is a bug, seen in GDCM for multi-frame JPEG-LS split over fragments with
            # no offset table: trust DCMTK.
            primary = None
            notes["pydicom_rejected"] = True
    if primary is not None:
        stored, via = primary, "pydicom"
    else:
        ds, stored, via = second[0], second[1], tool
    rows, cols = int(ds.Rows), int(ds.Columns)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    stored = stored.reshape(frames, rows, cols)
    hu = np.asarray(apply_modality_lut(stored[0], ds), dtype=np.float32)
    return ds, ts, via, stored, hu, notes


def main():
    out_dir, paths = sys.argv[1], sys.argv[2:]
    if not paths:
        paths = [line.strip() for line in sys.stdin if line.strip()]
    warnings.simplefilter("ignore")
    index = {"pydicom": pydicom.__version__, "numpy": np.__version__, "files": {}}
    with tempfile.TemporaryDirectory() as workdir:
        for n, path in enumerate(paths):
            try:
                ds, ts, via, stored, hu, notes = decode(path, workdir)
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
                **notes,
            }
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
