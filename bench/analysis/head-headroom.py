#!/usr/bin/env python3
"""How much can a full-head model add over the base CNN on one workspace? (issue 12 diagnosis)

Reads a finished pipeline workspace (index.sqlite, features/<base>.k<K>/<fold>/train_logits.npy + ids.json)
and prints the out-of-fold weighted log loss of:
  prior            the training folds' prevalence
  base             base-CNN fold k on fold k (mean of its TTA copies' probabilities)
  smooth w R       base logits mixed with the mean of +-R neighbour slices (weight w), no fitting
  temperature T    base logits / T (an oracle on the validation folds: is the base miscalibrated?)
  stack-insample   a linear model over +-2 slices' logits fitted on fold k's training rows with base k's
                   (in-sample) logits, applied to fold k
  stack-oof        the same fitted on the training rows' out-of-fold logits (other base models)
Needs numpy only. Usage: head-headroom.py WORKSPACE [BASE_MODEL]
"""
import json
import sqlite3
import sys

import numpy as np

LABELS = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any']
WEIGHTS = np.array([1, 1, 1, 1, 1, 2.0])


def metric(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(((-(y * np.log(p) + (1 - y) * np.log(1 - p))) * WEIGHTS).sum(1).mean() / WEIGHTS.sum())


def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def main():
    ws = sys.argv[1]
    base = sys.argv[2] if len(sys.argv) > 2 else 'tiny-se-resnext'
    db = sqlite3.connect(f'{ws}/index.sqlite')
    k_folds = db.execute('SELECT n_folds FROM folds LIMIT 1').fetchone()[0]
    labels = {r[0]: np.array(r[1:7], float) for r in db.execute(
        'SELECT image_id,' + ','.join(LABELS) + ' FROM labels WHERE excluded = 0 OR excluded IS NULL')}
    inst = {r[0]: (r[1], r[2], r[3]) for r in db.execute(
        'SELECT image_id, series_uid, PatientID, ImagePositionPatient_2 FROM instances')}
    fold_of_patient = {r[0]: r[1] for r in db.execute('SELECT patient_id, fold FROM folds WHERE n_folds = ?', (k_folds,))}
    logits = {}
    for k in range(k_folds):
        d = f'{ws}/features/{base}.k{k_folds}/{k}'
        meta = json.load(open(f'{d}/ids.json'))['train']
        lg = np.load(f'{d}/train_logits.npy').reshape(len(meta['ids']), meta['copies'], 6)
        pm = np.clip(sigmoid(lg).mean(1), 1e-6, 1 - 1e-6)
        logits[k] = dict(zip(meta['ids'], np.log(pm / (1 - pm))))
    ids = [i for i in logits[0] if i in labels]
    series = {}
    for i in ids:
        series.setdefault(inst[i][0], []).append(i)
    for s in series.values():
        s.sort(key=lambda i: inst[i][2])
    fold = lambda i: fold_of_patient[inst[i][1]]

    def windows(model_of, keep, r=2):
        xs, ys = [], []
        for sl in series.values():
            lg = np.pad(np.array([logits[model_of(i)][i] for i in sl]), ((r, r), (0, 0)), mode='edge')
            for j, i in enumerate(sl):
                if i in keep:
                    xs.append(lg[j:j + 2 * r + 1]); ys.append(labels[i])
        return np.clip(np.array(xs), -15, 15), np.array(ys)

    def fit(x, y, steps=300, l2=1e-2):
        n = len(x); xb = np.hstack([x.reshape(n, -1), np.ones((n, 1))])
        w0 = np.zeros((xb.shape[1], 6)); r = (x.shape[1] - 1) // 2
        for c in range(6): w0[r * 6 + c, c] = 1.0
        w = w0.copy(); m = np.zeros_like(w); v = np.zeros_like(w)
        for t in range(1, steps + 1):
            g = xb.T @ (sigmoid(xb @ w) - y) / n + l2 * (w - w0)
            m = 0.9 * m + 0.1 * g; v = 0.999 * v + 0.001 * g * g
            w -= 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        return lambda xv: sigmoid(np.hstack([xv.reshape(len(xv), -1), np.ones((len(xv), 1))]) @ w)

    rows = {}
    add = lambda name, p, y: rows.setdefault(name, []).append((p, y))
    for k in range(k_folds):
        val = {i for i in ids if fold(i) == k}; train = set(ids) - val
        xv, yv = windows(lambda i: k, val)
        add('prior', np.tile(np.array([labels[i] for i in train]).mean(0), (len(yv), 1)), yv)
        add('base', sigmoid(xv[:, 2]), yv)
        for w in (0.2, 0.5):
            for r in (1, 2):
                nb = np.concatenate([xv[:, 2 - r:2], xv[:, 3:3 + r]], 1).mean(1)
                add(f'smooth w={w} R={r}', sigmoid((1 - w) * xv[:, 2] + w * nb), yv)
        for t in (0.7, 1.3, 1.6):
            add(f'temperature T={t}', sigmoid(xv[:, 2] / t), yv)
        add('stack-insample', fit(*windows(lambda i: k, train))(xv), yv)
        add('stack-oof', fit(*windows(fold, train))(xv), yv)
    base_metric = None
    for name, parts in rows.items():
        m = metric(np.vstack([y for _, y in parts]), np.vstack([p for p, _ in parts]))
        base_metric = m if name == 'base' else base_metric
        ratio = f'  {m / base_metric:.3f} x base' if base_metric else ''
        print(f'{name:22s} {m:.4f}{ratio}')


if __name__ == '__main__':
    main()
