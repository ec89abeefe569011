"""Evaluation measures of the zoo (numpy / skimage): PSNR, PixCorr, SSIM (MindEye's definitions), retrieval top-1,
word accuracy."""
from __future__ import annotations

import numpy as np
from skimage.color import rgb2gray
from skimage.metrics import structural_similarity


def psnr(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean PSNR (dB) of uint8-range images [N,H,W,3] (values 0..255)."""
    mse = ((pred.astype(np.float64) - truth.astype(np.float64)) ** 2).reshape(len(pred), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-10))))


def pixcorr(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean Pearson correlation of flattened pixels (all channels), image by image."""
    p = pred.reshape(len(pred), -1).astype(np.float64)
    t = truth.reshape(len(truth), -1).astype(np.float64)
    p -= p.mean(1, keepdims=True)
    t -= t.mean(1, keepdims=True)
    return float(np.mean((p * t).sum(1) / np.sqrt((p * p).sum(1) * (t * t).sum(1) + 1e-12)))


def ssim(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean SSIM on grey-scale images in [0,1], Gaussian weights σ = 1.5 (MindEye's evaluation settings)."""
    out = []
    for p, t in zip(pred, truth):
        out.append(structural_similarity(rgb2gray(t / 255.0), rgb2gray(p / 255.0), gaussian_weights=True, sigma=1.5,
                                         use_sample_covariance=False, data_range=1.0))
    return float(np.mean(out))


def top1(queries: np.ndarray, keys: np.ndarray) -> float:
    """Fraction of queries whose most cosine-similar key is the one with the same index."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    k = keys / np.linalg.norm(keys, axis=1, keepdims=True)
    return float(np.mean(np.argmax(q @ k.T, axis=1) == np.arange(len(q))))


def word_accuracy(pred: list[str], truth: list[str]) -> float:
    """Position-wise word matches over the reference length, averaged over captions."""
    scores = []
    for p, t in zip(pred, truth):
        pw, tw = p.split(), t.split()
        scores.append(sum(a == b for a, b in zip(pw, tw)) / len(tw))
    return float(np.mean(scores))
