#!/usr/bin/env python3
"""What the probability floor does to a model family's out-of-fold metric (issue 12; src-ml/train/prior-init.ts).

For each workspace: the prevalence baseline, and the family's OOF weighted log loss (Kaggle eps 1e-15) from its
models' oof_probs.npy as saved, then clamped to [f, 1 - f] with f = 0.5 / (n + 1) for each fold model's n training
images (meta.json trainImages, or the labelled images outside the fold). Clamping is idempotent, so models trained
with the floor read the same both ways. Needs numpy only.
Usage: base-floor.py [--family tiny-se-resnext] WORKSPACE [WORKSPACE ...]
  (--family pooled-res.tiny-se-resnext, shallow.tiny-se-resnext, ... for the full-head models)
"""
import json
import sqlite3
import sys

import numpy as np

LABELS = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any']
WEIGHTS = np.array([1, 1, 1, 1, 1, 2.0])


def metric(y, p, eps=1e-15):
    p = np.clip(p, eps, 1 - eps)
    return float(((-(y * np.log(p) + (1 - y) * np.log(1 - p))) * WEIGHTS).sum(1).mean() / WEIGHTS.sum())


def read_npy(path):
    raw = open(path, 'rb').read()
    header_len = int.from_bytes(raw[8:10], 'little')
    return np.frombuffer(raw[10 + header_len:], dtype='<f4').astype(float)


def main():
    args = sys.argv[1:]
    family = 'tiny-se-resnext'
    if args[:1] == ['--family']:
        family, args = args[1], args[2:]
    for ws in args:
        db = sqlite3.connect(f'{ws}/index.sqlite')
        labels = {r[0]: np.array(r[1:], float) for r in db.execute('SELECT image_id,' + ','.join(LABELS) + ' FROM labels')}
        k_folds = db.execute('SELECT n_folds FROM folds LIMIT 1').fetchone()[0]
        raw, floored, ys = [], [], []
        for k in range(k_folds):
            d = f'{ws}/models/{family}.k{k_folds}.f{k}'
            ids = json.load(open(f'{d}/oof_ids.json'))
            meta = json.load(open(f'{d}/meta.json'))
            n = meta.get('trainImages') or (len(labels) - len(ids))
            f = 0.5 / (n + 1)
            p = read_npy(f'{d}/oof_probs.npy').reshape(-1, 6)
            raw.append(p)
            floored.append(np.clip(p, f, 1 - f))
            ys.append(np.array([labels[i] for i in ids]))
        y = np.vstack(ys)
        bl = metric(y, np.tile(y.mean(0), (len(y), 1)))
        r, fl = metric(y, np.vstack(raw)), metric(y, np.vstack(floored))
        print(f'{ws}: {family} n={len(y)} baseline {bl:.4f}  saved {r:.4f} ({r / bl:.3f}x)  floored {fl:.4f} ({fl / bl:.3f}x)')


if __name__ == '__main__':
    main()
