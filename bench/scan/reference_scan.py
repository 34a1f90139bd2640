"""pydicom + numpy reference for bench/scan: the same work as `ich scan` on the same files.

For each file: parse every header element (pydicom dcmread), decode the pixels (pixel_array), compute the
seed's four statistics on raw * int(slope) + int(intercept), and write one row per image into SQLite in
batched transactions. Prints one JSON line: {"files": n, "seconds": s}.
Run with Debian's python3 (python3-pydicom, python3-numpy).
"""
import json
import sqlite3
import sys
import time

import numpy as np
import pydicom


def main() -> None:
    db_path, list_path = sys.argv[1], sys.argv[2]
    with open(list_path) as f:
        files = [line.strip() for line in f if line.strip()]
    start = time.perf_counter()
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE IF NOT EXISTS instances (path TEXT PRIMARY KEY, sop TEXT, series TEXT, patient TEXT,"
               " ipp TEXT, iop TEXT, wc TEXT, ww TEXT, intercept REAL, slope REAL,"
               " pxl_min REAL, pxl_max REAL, pxl_mean REAL, pxl_std REAL, header TEXT)")
    batch = []
    for path in files:
        try:
            ds = pydicom.dcmread(path)
            raw = ds.pixel_array
            slope = float(getattr(ds, "RescaleSlope", 1))
            intercept = float(getattr(ds, "RescaleIntercept", 0))
            px = raw * int(slope) + int(intercept)
            header = {str(el.tag): str(el.value) for el in ds if el.tag != 0x7FE00010}
            batch.append((path, ds.SOPInstanceUID, ds.SeriesInstanceUID, str(ds.PatientID),
                          str(ds.ImagePositionPatient), str(ds.ImageOrientationPatient),
                          str(ds.get("WindowCenter")), str(ds.get("WindowWidth")), intercept, slope,
                          float(px.min()), float(px.max()), float(px.mean()), float(px.std()), json.dumps(header)))
        except Exception as e:  # noqa: BLE001 - a bad file must not stop the reference either
            print(f"{path}: {e}", file=sys.stderr)
        if len(batch) >= 64:
            db.executemany("INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
            db.commit()
            batch = []
    if batch:
        db.executemany("INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
        db.commit()
    db.close()
    print(json.dumps({"files": len(files), "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
