"""Reference for src-ml/ensemble/blend.ts: the seed's `train_ensemble` two-weight fit for one class,
scipy.optimize.minimize(method='trust-constr') with analytic gradient and Hessian, init (0.5, 0.5),
gtol 1e-11, initial_tr_radius 0.1, initial_barrier_parameter 0.01 (docs/seed-pipeline.md section 7 step 3).

stdin: JSON list of cases {"a": [...], "b": [...], "y": [...], "w": [...] or null}
stdout: JSON list of {"x": [x1, x2], "loss": objective at x, "lossFloat": ..., "status": scipy status}
"""
import json
import sys
import warnings

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, minimize

LO, HI = 1e-15, 1 - 1e-5


def fit(a, b, y, w):
    X = np.stack([a, b], axis=1)
    w = np.ones_like(a) if w is None else w
    ws = w.sum()

    def probs(x):
        raw = X @ x
        return raw, np.clip(raw, LO, HI)

    def f(x):
        _, p = probs(x)
        return -(w * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / ws

    def grad(x):
        raw, p = probs(x)
        active = (raw > LO) & (raw < HI)
        d = np.where(active, -y / p + (1 - y) / (1 - p), 0.0)
        return (w * d) @ X / ws

    def hess(x):
        raw, p = probs(x)
        active = (raw > LO) & (raw < HI)
        h = np.where(active, y / p**2 + (1 - y) / (1 - p) ** 2, 0.0)
        return (X * (w * h)[:, None]).T @ X / ws

    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        r = minimize(
            f, np.array([0.5, 0.5]), method='trust-constr', jac=grad, hess=hess,
            bounds=Bounds([0.0, 0.0], [1.0, 1.0]),
            constraints=[LinearConstraint([[1.0, 1.0]], [0.98], [1.0])],
            options={'gtol': 1e-11, 'initial_tr_radius': 0.1, 'initial_barrier_parameter': 0.01, 'maxiter': 5000},
        )
    return {'x': [float(r.x[0]), float(r.x[1])], 'loss': float(f(r.x)), 'status': int(r.status)}


def main():
    cases = json.load(sys.stdin)
    out = []
    for c in cases:
        a = np.asarray(c['a'], dtype=np.float64)
        b = np.asarray(c['b'], dtype=np.float64)
        y = np.asarray(c['y'], dtype=np.float64)
        w = None if c.get('w') is None else np.asarray(c['w'], dtype=np.float64)
        out.append(fit(a, b, y, w))
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
