"""Low-level image feature maps that drive the simulated early visual cortex.

Channels (each a map on a FEATURE_GRID x FEATURE_GRID grid covering the image):
    0-7   orientation energy: |complex Gabor| at 4 orientations x 2 spatial frequencies
          (periods 4 and 8 pixels), the quadrature-pair "contrast energy" of V1 models;
    8-9   colour opponency: |R - G| and |B - (R + G) / 2|, locally pooled;
    10    local luminance contrast: |L - blur(L)|.
Each channel is divided by its mean over the whole image set so that channel weights are comparable.
All arithmetic is float64 (see writer.py on byte-identical output across machines).
"""

from __future__ import annotations

import numpy as np

FEATURE_GRID = 32
ORIENTATIONS = 4
PERIODS_PX = (4.0, 8.0)
CHANNEL_NAMES = tuple(f"energy_o{o * 45}_p{int(p)}" for p in PERIODS_PX for o in range(ORIENTATIONS)) + (
    "red_green", "blue_yellow", "luminance_contrast")
N_CHANNELS = len(CHANNEL_NAMES)
_FFT = 96


def _gabor_spectra(size: int) -> np.ndarray:
    """FFTs of complex Gabor kernels (zero-mean), one per (period, orientation)."""
    half = 12
    r = np.arange(-half, half + 1, dtype=np.float64)
    yy, xx = np.meshgrid(r, r, indexing="ij")
    spectra = []
    for period in PERIODS_PX:
        sigma = 0.56 * period
        env = np.exp(-(xx ** 2 + yy ** 2) / (2 * sigma ** 2))
        for o in range(ORIENTATIONS):
            th = np.pi * o / ORIENTATIONS
            k = env * np.exp(1j * 2 * np.pi * (xx * np.cos(th) + yy * np.sin(th)) / period)
            k -= env * (k.sum() / env.sum())          # remove the DC response
            k /= np.abs(k).sum()
            pad = np.zeros((size, size), np.complex128)
            pad[:2 * half + 1, :2 * half + 1] = k
            pad = np.roll(pad, (-half, -half), axis=(0, 1))
            spectra.append(np.fft.fft2(pad))
    return np.stack(spectra)


def _box_blur(a: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, edge-replicated; a: (..., H, W)."""
    p = np.pad(a, [(0, 0)] * (a.ndim - 2) + [(radius, radius), (radius, radius)], mode="edge")
    c = p.cumsum(-1).cumsum(-2)
    c = np.pad(c, [(0, 0)] * (a.ndim - 2) + [(1, 0), (1, 0)])
    w = 2 * radius + 1
    h, ww = a.shape[-2:]
    s = c[..., w:w + h, w:w + ww] - c[..., :h, w:w + ww] - c[..., w:w + h, :ww] + c[..., :h, :ww]
    return s / (w * w)


def _pool(a: np.ndarray, grid: int) -> np.ndarray:
    n = a.shape[-1] // grid
    return a.reshape(a.shape[:-2] + (grid, n, grid, n)).mean(axis=(-3, -1))


def feature_maps(images: np.ndarray, batch: int = 25) -> np.ndarray:
    """images uint8 (N, H, W, 3) -> float64 (N, N_CHANNELS, FEATURE_GRID, FEATURE_GRID), unnormalised."""
    n, h, w, _ = images.shape
    spectra = _gabor_spectra(_FFT)
    out = np.empty((n, N_CHANNELS, FEATURE_GRID, FEATURE_GRID), np.float64)
    for s in range(0, n, batch):
        rgb = images[s:s + batch].astype(np.float64) / 255.0
        lum = rgb @ np.array([0.299, 0.587, 0.114])
        pad = np.full((len(rgb), _FFT, _FFT), 0.5)           # mean-grey surround outside the image
        o = (_FFT - h) // 2
        pad[:, o:o + h, o:o + w] = lum
        f = np.fft.fft2(pad)
        energy = np.abs(np.fft.ifft2(f[:, None] * spectra[None]))[:, :, o:o + h, o:o + w]
        rg = np.abs(_box_blur(rgb[..., 0] - rgb[..., 1], 1))
        by = np.abs(_box_blur(rgb[..., 2] - 0.5 * (rgb[..., 0] + rgb[..., 1]), 1))
        contrast = np.abs(lum - _box_blur(lum, 2))
        maps = np.concatenate([energy, rg[:, None], by[:, None], contrast[:, None]], axis=1)
        out[s:s + batch] = _pool(maps, FEATURE_GRID)
    return out


def normalise_channels(maps: np.ndarray) -> np.ndarray:
    """Divides every channel by its mean over images and positions (in place) and returns maps."""
    maps /= maps.mean(axis=(0, 2, 3), keepdims=True)
    return maps
