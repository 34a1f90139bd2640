"""The seed's distribution-shift sample weights (docs/seed-pipeline.md section 5, "How the sample weights were computed";
notebooks/Metadata.ipynb "Weighting", cells 91-135), written from the spec in numpy, column-wise as the notebook's pandas
code is: the reference for src-ml/data/sample-weights.test.ts. Debian /usr/bin/python3 with python3-numpy.

Where the notebook is not specific it takes the readings src-ml/data/sample-weights.ts documents, so the two can be
compared number for number:
  - step 5 counts the training images still weighted after steps 2-4; any of the four counts 0 -> ratio 1;
  - step 6's s2 is the weight-averaged `any` over the positive series; a group without target images, with
    s_test <= 0, or without negative or positive weight keeps multiplier 1;
  - step 2 is skipped when it would zero more than max_unseen_fraction of the training images (our addition).

  python3 reference_sample_weights.py DIR
      DIR/header.json: {"n_cat", "n_continuous", "n_bool", "pxlmin_grp_col", "max_unseen_fraction",
                        "train": {"n"}, "target": {"n"}}
      DIR/train_{categorical.i32, continuous.f32, pxlmin_zero.u8, any.u8, series_any.u8, pixel_representation.i32,
                 rescale_intercept.f32, ids.txt, excluded.txt}
      DIR/target_{categorical.i32, continuous.f32, pxlmin_zero.u8, predicted_any.f32}
      (booleans: the first n_bool columns of `continuous`; ids and excluded ids one per line)
  writes DIR/weights.f64 and prints a JSON report: zeroed counts, skipped, pxl_min_ratio, groups.
"""
import json
import math
import os
import sys

import numpy as np

SEED_OUTLIER = 'ID_b79eed528'


def load(d, name, dtype, shape=None):
    a = np.fromfile(os.path.join(d, name), dtype=dtype)
    return a.reshape(shape) if shape else a


def lines(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return []
    with open(p, encoding='utf8') as f:
        return [l for l in f.read().split('\n') if l]


def json_num(x):
    """NaN as null (JSON has no NaN)."""
    return None if math.isnan(x) else x


def discrete(cat, cont, n_bool):
    """The categorical and boolean features, one column each: what step 2 compares."""
    return np.concatenate([cat.astype(np.float64), cont[:, :n_bool].astype(np.float64)], axis=1)


def sample_weights(tr, te, grp_col, n_bool, max_unseen_fraction):
    n = len(tr['any'])
    w = np.ones(n, dtype=np.float64)
    zeroed = {'unseenCategory': 0, 'brokenIntercept': 0, 'outliers': 0, 'excluded': 0}
    skipped = False

    # 2. zero the images with a category (or boolean value) that never occurs in the target
    d_tr = discrete(tr['cat'], tr['cont'], n_bool)
    d_te = discrete(te['cat'], te['cont'], n_bool)
    unseen = np.zeros(n, dtype=bool)
    for j in range(d_tr.shape[1]):
        unseen |= ~np.isin(d_tr[:, j], np.unique(d_te[:, j]))
    if unseen.sum() > max_unseen_fraction * n:
        skipped = True
    else:
        w[unseen] = 0
        zeroed['unseenCategory'] = int(unseen.sum())

    # 3. the broken intercept: PixelRepresentation == 0 & RescaleIntercept >= 0 (counted where newly zeroed)
    broken = (tr['pixrep'] == 0) & (tr['intercept'] >= 0)
    zeroed['brokenIntercept'] = int((broken & (w != 0)).sum())
    w[broken] = 0

    # 4. the seed's outlier, then the caller's excluded images
    ids = np.array(tr['ids'], dtype=object)
    outlier = ids == SEED_OUTLIER
    zeroed['outliers'] = int((outlier & (w != 0)).sum())
    w[outlier] = 0
    excluded = np.isin(ids, np.array(tr['excluded'], dtype=object)) if tr['excluded'] else np.zeros(n, dtype=bool)
    zeroed['excluded'] = int((excluded & (w != 0)).sum())
    w[excluded] = 0

    # 5. PxlMin_grp_le != 0 images get (n_te[!=0] * n_tr[==0]) / (n_te[==0] * n_tr[!=0])
    g0_tr = tr['cat'][:, grp_col] == 0
    g0_te = te['cat'][:, grp_col] == 0
    kept = w > 0
    counts = [int((~g0_te).sum()), int((g0_tr & kept).sum()), int(g0_te.sum()), int((~g0_tr & kept).sum())]
    ratio = (counts[0] * counts[1]) / (counts[2] * counts[3]) if all(counts) else 1.0
    w[~g0_tr] *= ratio

    # 6. per PxlMin_zero group: the negative series' weights times max(0, (s2 / s_test - 1) * w2 / w1), then the
    #    group back to its total weight
    groups = []
    for flag in (1, 0):
        grp = tr['pxl_zero'] == flag
        if not grp.any():
            continue
        neg = grp & (tr['series_any'] == 0)
        pos = grp & (tr['series_any'] != 0)
        w1, w2 = w[neg].sum(), w[pos].sum()
        s2 = float((w[pos] * (tr['any'][pos] != 0)).sum() / w2) if w2 > 0 else math.nan
        te_grp = te['pxl_zero'] == flag
        s_test = float(te['pred'][te_grp].astype(np.float64).mean()) if te_grp.any() else math.nan
        if te_grp.any() and s_test > 0 and w1 > 0 and w2 > 0:
            mult = max(0.0, (s2 / s_test - 1) * w2 / w1)
        else:
            mult = 1.0
        before = w[grp].sum()
        w[neg] *= mult
        after = w[grp].sum()
        if after > 0:
            w[grp] *= before / after
        groups.append({'pxlMinZero': bool(flag), 's2': json_num(s2), 'sTest': json_num(s_test), 'multiplier': mult,
                       'trainImages': int(grp.sum()), 'targetImages': int(te_grp.sum())})

    # 7. mean 1
    if not w.sum() > 0:
        raise ValueError('every training image has weight 0')
    w = w / w.mean()
    return w, {'zeroed': zeroed, 'skipped': skipped, 'pxlMinRatio': ratio, 'groups': groups}


def main():
    d = sys.argv[1]
    with open(os.path.join(d, 'header.json'), encoding='utf8') as f:
        h = json.load(f)
    n, t = h['train']['n'], h['target']['n']
    nc, nk = h['n_continuous'], h['n_cat']
    tr = {
        'cat': load(d, 'train_categorical.i32', np.int32, (n, nk)),
        'cont': load(d, 'train_continuous.f32', np.float32, (n, nc)),
        'pxl_zero': load(d, 'train_pxlmin_zero.u8', np.uint8),
        'any': load(d, 'train_any.u8', np.uint8),
        'series_any': load(d, 'train_series_any.u8', np.uint8),
        'pixrep': load(d, 'train_pixel_representation.i32', np.int32),
        'intercept': load(d, 'train_rescale_intercept.f32', np.float32),
        'ids': lines(d, 'train_ids.txt'),
        'excluded': lines(d, 'train_excluded.txt'),
    }
    te = {
        'cat': load(d, 'target_categorical.i32', np.int32, (t, nk)),
        'cont': load(d, 'target_continuous.f32', np.float32, (t, nc)),
        'pxl_zero': load(d, 'target_pxlmin_zero.u8', np.uint8),
        'pred': load(d, 'target_predicted_any.f32', np.float32),
    }
    if len(tr['ids']) != n:
        raise ValueError(f'{len(tr["ids"])} ids for {n} images')
    w, report = sample_weights(tr, te, h['pxlmin_grp_col'], h['n_bool'], h['max_unseen_fraction'])
    w.astype(np.float64).tofile(os.path.join(d, 'weights.f64'))
    print(json.dumps(report))


if __name__ == '__main__':
    main()
