"""The experiment: the train/test split, each subject's trial design, and noisy single-trial betas.

Design (as NSD, scaled down): every image is shown cfg.repetitions (3) times to every subject, in a
random order per subject, over cfg.n_sessions (12) sessions of cfg.trials_per_session (750) trials;
each session is 12 runs of 63/62 trials. The cfg.n_test (300) shared test images are the analogue of
NSD's shared1000; with 3,000 images and 3 x 3,000 = 12 x 750 trials, every subject sees every image.

Single-trial beta of voxel v on trial t (session s, image i), in percent signal change:

    beta = gain[s, v] * (mean_response[v] + ncsnr[v] * noise_sd[v] * z[i, v])   evoked response
         + offset[s, v]                                                         session drift
         + noise_sd[v] * scale[s] * (white + spatially structured + global)     trial noise

z is the subject's noise-free response (subject.py), z-scored over images. offset and gain drift
from session to session (a random walk plus independent parts, partly shared by all voxels), so a
decoder that does not z-score each session separately sees shifted, rescaled data. Betas are stored
as NSD does: int16 = round(beta * 300).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .config import WorldConfig
from .subject import Subject

BETA_SCALE = 300.0     # NSD: int16 betas are percent signal change x 300
N_NOISE_PATTERNS = 32


def test_ids(cfg: WorldConfig) -> np.ndarray:
    """nsdIds (0-based, sorted) of the shared test images."""
    return np.sort(cfg.rng("split").choice(cfg.n_images, cfg.n_test, replace=False))


@dataclasses.dataclass(frozen=True)
class Design:
    """One subject's trials, in presentation order; trial index = global trial (0-based)."""

    subject: int
    nsd_id: np.ndarray          # int (n_trials,) image shown
    rep: np.ndarray             # int (n_trials,) 0, 1, 2 = first, second, third showing of that image
    session: np.ndarray         # int (n_trials,) 1-based
    run: np.ndarray             # int (n_trials,) 1-based within the session
    trial: np.ndarray           # int (n_trials,) 1-based within the session
    shared: np.ndarray          # bool (n_trials,) image is a shared test image

    def session_slice(self, session: int) -> slice:
        n = int((self.session == 1).sum())
        return slice((session - 1) * n, session * n)


def make_design(cfg: WorldConfig, subject: int, shared_ids: np.ndarray) -> Design:
    rng = cfg.rng("subject", subject, "design")
    order = rng.permutation(np.repeat(np.arange(cfg.n_images), cfg.repetitions))
    rep = np.zeros(cfg.n_trials, np.int64)
    seen = np.zeros(cfg.n_images, np.int64)
    for t, i in enumerate(order):
        rep[t] = seen[i]
        seen[i] += 1
    t = np.arange(cfg.n_trials)
    in_session = t % cfg.trials_per_session
    run_sizes = [(cfg.trials_per_session + 1) // cfg.runs_per_session if r % 2 == 0
                 else cfg.trials_per_session // cfg.runs_per_session for r in range(cfg.runs_per_session)]
    run_sizes[-1] += cfg.trials_per_session - sum(run_sizes)
    run_of = np.repeat(np.arange(1, cfg.runs_per_session + 1), run_sizes)
    shared = np.isin(order, shared_ids)
    return Design(subject, order.astype(np.int64), rep, t // cfg.trials_per_session + 1,
                  run_of[in_session], in_session + 1, shared)


class BetaSimulator:
    """Draws the int16 single-trial betas of one subject, one session at a time (brain voxels only)."""

    def __init__(self, cfg: WorldConfig, sub: Subject, responses: np.ndarray):
        self.cfg, self.sub, self.z = cfg, sub, responses
        rng = cfg.rng("subject", sub.number, "noise-structure")
        nb = len(sub.voxels)
        self.patterns = _smooth_patterns(rng, sub, N_NOISE_PATTERNS)             # (K, nb), unit power per voxel
        S = cfg.n_sessions
        walk = np.cumsum(rng.normal(0, 1, (S, nb)), axis=0) / np.sqrt(np.arange(1, S + 1))[:, None]
        shared_off = np.cumsum(rng.normal(0, 1, S)) / np.sqrt(np.arange(1, S + 1))
        structured = rng.normal(0, 1, (S, N_NOISE_PATTERNS)) @ self.patterns
        self.offset = cfg.session_offset_sd * sub.noise_sd[None, :] * (
            0.5 * walk + 0.5 * rng.normal(0, 1, (S, nb)) + 0.5 * structured + 0.5 * shared_off[:, None])
        self.gain = np.exp(cfg.session_gain_log_sd * (0.7 * rng.normal(0, 1, (S, 1)) + 0.7 * rng.normal(0, 1, (S, nb))))
        self.scale = np.exp(rng.normal(0, 0.1, S))
        self.signal_sd = sub.ncsnr * sub.noise_sd

    def session(self, session: int, nsd_ids: np.ndarray) -> np.ndarray:
        """int16 (n_trials, n_brain) betas x 300 for the given images shown in `session` (1-based)."""
        cfg, sub = self.cfg, self.sub
        s = session - 1
        rng = cfg.rng("subject", sub.number, "session", session)
        n, nb = len(nsd_ids), len(sub.voxels)
        evoked = self.gain[s] * (sub.mean_response + self.signal_sd * self.z[nsd_ids])
        ps, pg = cfg.noise_spatial_fraction, cfg.noise_global_fraction
        noise = np.sqrt(1 - ps - pg) * rng.standard_normal((n, nb))
        noise += np.sqrt(ps) * (rng.standard_normal((n, N_NOISE_PATTERNS)) @ self.patterns)
        noise += np.sqrt(pg) * rng.standard_normal((n, 1))
        beta = evoked + self.offset[s] + (sub.noise_sd * self.scale[s]) * noise
        return np.clip(np.round(beta * BETA_SCALE), -32768, 32767).astype(np.int16)


def _smooth_patterns(rng: np.random.Generator, sub: Subject, k: int) -> np.ndarray:
    """k spatially smooth random fields over the brain voxels, scaled so sum_k p^2 = 1 at every voxel."""
    shape = sub.brain.shape
    out = np.empty((k, len(sub.voxels)))
    at = tuple(sub.voxels.T)
    for j in range(k):
        f = rng.standard_normal(shape)
        for _ in range(3):
            for ax in range(3):
                f = _box3(f, ax, 2)
        out[j] = f[at]
    return out / np.sqrt((out ** 2).sum(0, keepdims=True))


def _box3(a: np.ndarray, axis: int, r: int) -> np.ndarray:
    p = np.pad(a, [(r, r) if i == axis else (0, 0) for i in range(a.ndim)], mode="edge")
    c = np.cumsum(p, axis=axis)
    c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
    n = a.shape[axis]
    w = 2 * r + 1
    return (np.take(c, np.arange(w, w + n), axis=axis) - np.take(c, np.arange(0, n), axis=axis)) / w


def renorm_session(betas: np.ndarray, train_trials: np.ndarray) -> np.ndarray:
    """MindEye2-style normalisation of one session: betas/300, then per voxel z-score with the mean and
    population sd (ddof 0) of the session's training trials (shared test trials excluded from the
    statistics, as the MindEye2 dataset_creation notebook says the paper does); float32."""
    x = betas.astype(np.float64) / BETA_SCALE
    ref = x[train_trials]
    mu = ref.mean(0)
    sd = ref.std(0)
    sd[sd == 0] = 1.0
    return ((x - mu) / sd).astype(np.float32)
