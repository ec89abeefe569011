"""Closed-form ridge in dual form with k-fold choice of λ, in float64 NumPy — the method docs/adaptation.md specifies
for the library's SubjectAdapter.Fit (centred X and Y, unpenalised intercept; contiguous folds in row order, each fold
re-centred on its training rows; score = mean over target dimensions of Pearson's r of the pooled out-of-fold
predictions, a dimension with zero variance counting 0; the best score wins, ties go to the larger λ)."""
from __future__ import annotations

import numpy as np

LAMBDAS = 10.0 ** np.arange(0, 8.01, 0.5)


def _score(pred: np.ndarray, y: np.ndarray) -> float:
    pc, yc = pred - pred.mean(0), y - y.mean(0)
    den = np.sqrt((pc ** 2).sum(0) * (yc ** 2).sum(0))
    r = np.where(den > 0, (pc * yc).sum(0) / np.where(den > 0, den, 1), 0.0)
    return float(r.mean())


def fit(x: np.ndarray, y: np.ndarray, lambdas=LAMBDAS, folds: int = 5):
    """x [n, V], y [n, D] → (W float32 [V, D], b float32 [D], λ, {λ: cv score})."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    n = len(x)
    scores = {}
    bounds = [(f * n // folds, (f + 1) * n // folds) for f in range(folds)]
    xm = x - x.mean(0)
    g = xm @ xm.T                                             # any centring works inside the folds (re-centred below)
    for lam in lambdas:
        pred = np.empty_like(y)
        for a, b in bounds:
            tr = np.r_[0:a, b:n]
            r = g[:, tr].mean(1)
            c = r[tr].mean()
            k = g - r[:, None] - r[None, :] + c
            ktt, kst = k[np.ix_(tr, tr)], k[a:b][:, tr]
            ym = y[tr].mean(0)
            ch = np.linalg.cholesky(ktt + lam * np.eye(len(tr)))
            alpha = np.linalg.solve(ch.T, np.linalg.solve(ch, y[tr] - ym))
            pred[a:b] = ym + kst @ alpha
        scores[float(lam)] = _score(pred, y)
    best = max(scores.values())
    lam = max(k for k, v in scores.items() if v == best)
    mean = x.mean(0)
    ym = y.mean(0)
    alpha = np.linalg.solve(g + lam * np.eye(n), y - ym)
    w = xm.T @ alpha
    bias = ym - mean @ w
    return w.astype(np.float32), bias.astype(np.float32), lam, scores
