"""The seed's augmentation as its sequence of skimage operations (docs/seed-pipeline.md section 2, MyTransform.random), the
reference for src-ml/data/augment.test.ts and bench/augment/bench-augment.ts. Debian /usr/bin/python3 with
python3-skimage and python3-numpy.

Shift and centre crop follow the documented intent (a true integer shift with min fill, a centre crop padded with
min), not the seed's `_shift` / `crop` slicing slips (see augment.ts).

  python3 reference_augment.py apply IN.f32 SIZE PARAMS.json OUT.f32
      IN: one float32 SIZE x SIZE image; PARAMS: a JSON list of AugmentParams; OUT: the outputs, concatenated.
  python3 reference_augment.py bench IN.f32 SIZE COUNT SEED
      prints {"medianMs": ...} for COUNT random SE-train transforms (mean 15, flip, rot 30, shift 10, zoom .2/.2).
"""
import json
import sys
import time

import numpy as np
from skimage.transform import rescale, rotate


def shift(arr, s, axis, fill):
    if s == 0:
        return arr
    out = np.full_like(arr, fill)
    n = arr.shape[axis]
    src = [slice(None)] * arr.ndim
    dst = [slice(None)] * arr.ndim
    if s > 0:
        src[axis], dst[axis] = slice(0, n - s), slice(s, n)
    else:
        src[axis], dst[axis] = slice(-s, n), slice(0, n + s)
    out[tuple(dst)] = arr[tuple(src)]
    return out


def centre_crop(img, size, fill):
    for axis in (0, 1):
        n = img.shape[axis]
        if n < size:
            pad = (size - n) // 2 + 1
            widths = [(0, 0), (0, 0)]
            widths[axis] = (pad, pad)
            img = np.pad(img, widths, constant_values=fill)
            start = 0
        else:
            start = n // 2 - size // 2
        img = img[start:start + size] if axis == 0 else img[:, start:start + size]
    return img


def seed_sequence(img, p):
    size = img.shape[0]
    img = img.astype(np.float64) + p["offset"]
    if p["flip"]:
        img = img[:, ::-1]
    m = float(img.min())
    if p["angleDeg"] != 0:
        img = rotate(img, p["angleDeg"], resize=True, order=1, mode="constant", cval=m, clip=True, preserve_range=True)
    img = shift(shift(img, p["shiftX"], 1, m), p["shiftY"], 0, m)
    if p["zoomX"] != 1 or p["zoomY"] != 1:
        img = rescale(img, (p["zoomY"], p["zoomX"]), order=1, mode="constant", cval=m, clip=True,
                      preserve_range=True)
    return centre_crop(img, size, m).astype(np.float32)


def random_params(rng):
    zy = 1 + rng.uniform(-1, 1) * 0.2
    return {"offset": rng.uniform(-15, 15), "flip": bool(rng.integers(0, 2)), "angleDeg": int(rng.integers(-30, 30)),
            "shiftX": int(rng.integers(-10, 10)), "shiftY": int(rng.integers(-10, 10)),
            "zoomY": zy, "zoomX": (1 + rng.uniform(-1, 1) * 0.2) * zy}


def main():
    mode = sys.argv[1]
    size = int(sys.argv[3])
    img = np.fromfile(sys.argv[2], dtype=np.float32).reshape(size, size)
    if mode == "apply":
        params = json.load(open(sys.argv[4]))
        np.concatenate([seed_sequence(img, p).ravel() for p in params]).astype(np.float32).tofile(sys.argv[5])
    elif mode == "bench":
        count, rng = int(sys.argv[4]), np.random.default_rng(int(sys.argv[5]))
        seed_sequence(img, random_params(rng))  # warm-up
        times = []
        for _ in range(count):
            p = random_params(rng)
            t0 = time.perf_counter()
            seed_sequence(img, p)
            times.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({"medianMs": float(np.median(times)), "count": count}))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
