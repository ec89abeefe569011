"""Checks that the simulated data behave like NSD and carry the images; writes docs/demo-world.md.

Noise ceiling (Allen et al. 2022, "A massive 7T fMRI dataset...", Methods, "Noise ceiling"): betas are
z-scored per voxel within each session; the noise variance is the mean over images of the variance
(ddof 1) across that image's 3 trials; the signal variance is 1 - noise variance, rectified at 0;
ncsnr = signal sd / noise sd; NC = 100 * ncsnr^2 / (ncsnr^2 + 1/n) percent of variance, for
responses averaged over n trials (n = 1: single trial; n = 3: the 3-trial averages decoders use).

Decoding baseline: ridge regression from test-averaged voxels (MindEye2-style z-scored betas, mean
of the 3 trials per image, the 1000 nsdgeneral voxels with the highest training-set ncsnr) to
(a) pixels (32x32 RGB), (b) low-level feature maps (features.py, 8x8), (c) scene labels (shape classes
present + background class); regularisation chosen on a held-out part of the training images; scored
by two-way identification on the 300 test images (chance 50%), with a shuffled-training control.
"""

from __future__ import annotations

import numpy as np

from .experiment import BETA_SCALE, Design
from .stimuli import BACKGROUNDS, SHAPES

N_SELECTED_VOXELS = 1000


def session_zscore(betas: np.ndarray, design: Design, n_sessions: int) -> np.ndarray:
    """float64 betas/300 z-scored per voxel within each session (all trials, ddof 0), as NSD does."""
    x = betas.astype(np.float64) / BETA_SCALE
    for s in range(1, n_sessions + 1):
        sl = design.session_slice(s)
        seg = x[sl]
        sd = seg.std(0)
        sd[sd == 0] = 1.0
        x[sl] = (seg - seg.mean(0)) / sd
    return x


def ncsnr(zbetas: np.ndarray, design: Design, images: np.ndarray | None = None) -> np.ndarray:
    """Per voxel noise-ceiling SNR from session-z-scored betas (n_trials, n_vox); images restricts the
    estimate to those nsdIds (each must have all its repetitions)."""
    order = np.lexsort((design.rep, design.nsd_id))
    ids = design.nsd_id[order]
    reps = int(design.rep.max()) + 1
    z = zbetas[order].reshape(len(ids) // reps, reps, -1)
    if images is not None:
        z = z[np.isin(ids[::reps], images)]
    noise_var = z.var(axis=1, ddof=1).mean(0)
    signal_var = np.maximum(0.0, 1.0 - noise_var)
    return np.sqrt(signal_var) / np.sqrt(np.maximum(noise_var, 1e-12))


def noise_ceiling(snr: np.ndarray, n: int) -> np.ndarray:
    return 100.0 * snr ** 2 / (snr ** 2 + 1.0 / n)


def image_averages(rows: np.ndarray, design: Design, ids: np.ndarray) -> np.ndarray:
    """Mean over repetitions of rows (n_trials, n_vox) for each nsdId in ids -> (len(ids), n_vox)."""
    out = np.zeros((len(ids), rows.shape[1]))
    pos = {int(i): k for k, i in enumerate(ids)}
    count = np.zeros(len(ids))
    for t, i in enumerate(design.nsd_id):
        k = pos.get(int(i))
        if k is not None:
            out[k] += rows[t]
            count[k] += 1
    return out / count[:, None]


class Ridge:
    """Ridge regression from x (n, p) with one eigendecomposition of x'x, shared by every target and
    every regularisation strength."""

    def __init__(self, x: np.ndarray):
        self.mx = x.mean(0)
        xc = x - self.mx
        self.w, self.v = np.linalg.eigh(xc.T @ xc)
        self.xcv = xc @ self.v

    def predict(self, y: np.ndarray, lams, x_new: np.ndarray) -> list[np.ndarray]:
        """Predictions for x_new, one per lambda in lams."""
        my = y.mean(0)
        proj = self.xcv.T @ (y - my)                      # v' x' y
        xv = (x_new - self.mx) @ self.v
        return [xv @ (proj / (self.w + lam)[:, None]) + my for lam in lams]

    def hat(self, lam: float, x_new: np.ndarray) -> np.ndarray:
        """Matrix H (n_new, n) with prediction = H @ (y - mean(y)) + mean(y): cheaper for wide y."""
        xv = (x_new - self.mx) @ self.v
        return (xv / (self.w + lam)[None, :]) @ self.xcv.T


LAMBDAS = (1e1, 1e2, 1e3, 1e4, 1e5)


def ridge_fit_predict(x_tr, ys: list[np.ndarray], x_te, holdout=300, controls: list[np.ndarray] | None = None):
    """For each target y in ys: ridge prediction for x_te with lambda chosen on the last `holdout`
    training rows (mean row correlation). Returns [(prediction, lambda)], and for each controls[k]
    (a control target for ys[k], e.g. shuffled) a prediction with the same lambda appended."""
    inner, full = Ridge(x_tr[:-holdout]), Ridge(x_tr)
    out, chosen = [], []
    for y in ys:
        cols = slice(None, None, max(1, y.shape[1] // 768))      # lambda chosen on <= ~768 target columns
        preds = inner.predict(y[:-holdout, cols], LAMBDAS, x_tr[-holdout:])
        scores = [np.mean(_rowcorr(p, y[-holdout:, cols])) for p in preds]
        chosen.append(LAMBDAS[int(np.argmax(scores))])
    hats = {lam: full.hat(lam, x_te) for lam in sorted(set(chosen))}
    for y, lam in list(zip(ys, chosen)) + list(zip(controls or [], chosen)):
        my = y.mean(0)
        out.append((hats[lam] @ (y - my) + my, lam))
    return out


def _rowcorr(a, b):
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    return (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1) + 1e-30)


def two_way_identification(pred: np.ndarray, true: np.ndarray) -> float:
    """Fraction of (i, j != i) with corr(pred_i, true_i) > corr(pred_i, true_j)."""
    p = pred - pred.mean(1, keepdims=True)
    t = true - true.mean(1, keepdims=True)
    p /= np.linalg.norm(p, axis=1, keepdims=True) + 1e-30
    t /= np.linalg.norm(t, axis=1, keepdims=True) + 1e-30
    c = p @ t.T
    diag = np.diag(c)[:, None]
    n = len(c)
    return float(((diag > c).sum()) / (n * (n - 1)))


def targets(images: np.ndarray, fmaps: np.ndarray, scenes: list) -> dict[str, np.ndarray]:
    """Decoding targets per image: pixels (32x32x3), low-level features (8x8 x channels), scene labels."""
    px = images.astype(np.float64).reshape(len(images), 32, 2, 32, 2, 3).mean(axis=(2, 4)).reshape(len(images), -1) / 255
    n, c, g, _ = fmaps.shape
    feat = fmaps.reshape(n, c, 8, g // 8, 8, g // 8).mean(axis=(3, 5)).reshape(n, -1)
    labels = np.zeros((n, len(SHAPES) + len(BACKGROUNDS)))
    for i, sc in enumerate(scenes):
        for o in sc.objects:
            labels[i, SHAPES.index(o.shape)] = 1
        labels[i, len(SHAPES) + BACKGROUNDS.index(sc.background)] = 1
    return {"pixels": px, "features": feat, "scene labels": labels}


def decoding_baseline(renorm: np.ndarray, design: Design, train_ids, test_ids, snr_train, tgt, seed=0):
    """Two-way identification (%) per target, real and with shuffled training pairs."""
    keep = np.argsort(-snr_train, kind="stable")[:N_SELECTED_VOXELS]
    x_tr = image_averages(renorm[:, keep], design, train_ids)
    x_te = image_averages(renorm[:, keep], design, test_ids)
    rng = np.random.Generator(np.random.PCG64(seed))
    perm = rng.permutation(len(train_ids))
    names = list(tgt)
    ys = [tgt[n][train_ids] for n in names]
    fits = ridge_fit_predict(x_tr, ys, x_te, controls=[y[perm] for y in ys])
    out = {}
    for k, name in enumerate(names):
        (pred, lam), (pred_s, _) = fits[k], fits[k + len(names)]
        out[name] = (100 * two_way_identification(pred, tgt[name][test_ids]),
                     100 * two_way_identification(pred_s, tgt[name][test_ids]), lam)
    return out
