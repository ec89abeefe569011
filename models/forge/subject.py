"""A simulated subject: anatomy, NSD-named ROI label volumes, voxel tuning, noise-free responses.

Anatomy. Two hemispheres are ellipsoids in a cfg.grid_xyz volume (nibabel order X, Y, Z; +X = right,
+Y = anterior, +Z = superior). The "cortex" is a shell about two voxels deep under each ellipsoid's
surface. Cortical positions are described in a cap frame around the occipital pole of each hemisphere:
theta = angle from the pole (eccentricity axis), phi = azimuth (0 medial / calcarine, +90 dorsal,
-90 ventral, 180 lateral). Each subject draws its own ellipsoid sizes, centre, tilt, pole direction and
ROI positions, so anatomy and voxel counts differ between subjects.

ROIs (label files as in NSD; 0 = not in the ROI, -1 = outside the brain):
    prf-visualrois  V1v=1 V1d=2 V2v=3 V2d=4 V3v=5 V3d=6 hV4=7: wedges of the early visual cap
    floc-faces      OFA FFA-1 FFA-2 mTL-faces aTL-faces         (blobs on the cortical sheet)
    floc-bodies     EBA FBA-1 FBA-2 mTL-bodies
    floc-places     OPA PPA RSC
    streams         early midventral midlateral midparietal ventral lateral parietal
    nsdgeneral      1 = union of all of the above

Tuning (nsdgeneral voxels only; every other brain voxel carries noise only):
    early (prf-visualrois): a population receptive field (Gaussian, size growing with eccentricity and
        from V1 to hV4) over low-level feature maps (features.py) with a per-voxel channel mix, then
        compressive spatial summation r = drive ** n (Kay et al. 2013, "CSS"), n falling from V1 to hV4.
    category (floc-*): a broad receptive field over the visible area of each shape class (faces prefer
        the "face" class, bodies the "body" class) or, for places, the background class and layout
        (ground area, object clutter); plus a weak low-level component.
    other nsdgeneral: large receptive fields over features plus weak category / scene tuning.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import features
from .config import WorldConfig
from .stimuli import BACKGROUNDS, SHAPES

ROI_FILES: dict[str, tuple[str, ...]] = {
    "prf-visualrois": ("V1v", "V1d", "V2v", "V2d", "V3v", "V3d", "hV4"),
    "floc-faces": ("OFA", "FFA-1", "FFA-2", "mTL-faces", "aTL-faces"),
    "floc-bodies": ("EBA", "FBA-1", "FBA-2", "mTL-bodies"),
    "floc-places": ("OPA", "PPA", "RSC"),
    "streams": ("early", "midventral", "midlateral", "midparietal", "ventral", "lateral", "parietal"),
    "nsdgeneral": ("nsdgeneral",),
}

# Category ROI centres in the cap frame: (theta deg, phi deg, radius deg).
_BLOBS: dict[str, dict[str, tuple[float, float, float]]] = {
    "floc-faces": {"OFA": (52, -150, 10), "FFA-1": (57, -105, 8), "FFA-2": (69, -105, 8),
                   "mTL-faces": (77, -128, 6), "aTL-faces": (84, -145, 6)},
    "floc-bodies": {"EBA": (55, 170, 12), "FBA-1": (58, -122, 7), "FBA-2": (70, -122, 7),
                    "mTL-bodies": (77, -155, 6)},
    "floc-places": {"OPA": (54, 125, 10), "PPA": (61, -70, 10), "RSC": (63, 22, 8)},
}

# Early visual areas: phi wedges (deg) and pRF size = intercept + slope * eccentricity (deg); CSS exponent.
_B1, _B2, _B3, _B4 = 36.0, 64.0, 92.0, 120.0   # |phi| borders V1/V2, V2/V3, V3/hV4 (ventral), hV4 end
_AREAS = {  # label: (phi_lo, phi_hi, area)
    1: (-_B1, 0, "V1"), 2: (0, _B1, "V1"), 3: (-_B2, -_B1, "V2"), 4: (_B1, _B2, "V2"),
    5: (-_B3, -_B2, "V3"), 6: (_B2, _B3, "V3"), 7: (-_B4, -_B3, "hV4"),
}
_PRF = {"V1": (0.15, 0.10, 0.50), "V2": (0.20, 0.15, 0.40), "V3": (0.30, 0.22, 0.30),
        "hV4": (0.50, 0.35, 0.22), "other": (0.90, 0.45, 0.20)}
_COLOUR_SHARE = {"V1": 0.20, "V2": 0.25, "V3": 0.30, "hV4": 0.55, "other": 0.35}
EV_CAP_DEG = 44.0         # theta extent of the early visual cap
MID_BAND_DEG = 58.0       # theta where the mid streams end
HIGH_BAND_DEG = 78.0      # theta where the high streams end
MAX_ECC_DEG = 7.0


@dataclasses.dataclass
class Subject:
    """One simulated subject. Voxel arrays are over `voxels` (brain voxels, C order over X,Y,Z)."""

    number: int                      # 1-based, as in subj01
    brain: np.ndarray                # bool (X, Y, Z)
    voxels: np.ndarray               # int (n_brain, 3) x, y, z indices, C order over (X, Y, Z)
    rois: dict[str, np.ndarray]      # file name -> int16 (X, Y, Z) label volume (-1 outside brain)
    kind: np.ndarray                 # per brain voxel: 0 noise only, 1 early, 2 category, 3 other nsdgeneral
    prf_xy: np.ndarray               # per brain voxel: pRF centre (deg, +x right, +y up); 0 where unused
    prf_sigma: np.ndarray            # per brain voxel: pRF sd (deg)
    exponent: np.ndarray             # per brain voxel: CSS exponent
    ncsnr: np.ndarray                # per brain voxel: designed signal sd / noise sd (0 for noise-only)
    noise_sd: np.ndarray             # per brain voxel: single-trial noise sd (percent signal change)
    mean_response: np.ndarray        # per brain voxel: mean evoked response (percent signal change)
    _tuning: dict = dataclasses.field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return f"subj{self.number:02d}"

    def mask(self, roi_file: str = "nsdgeneral", label: int | None = None) -> np.ndarray:
        """Boolean over brain voxels: in roi_file (any positive label, or == label)."""
        v = self.rois[roi_file][tuple(self.voxels.T)]
        return v > 0 if label is None else v == label

    def responses(self, cfg: WorldConfig, feature_maps: np.ndarray, class_cover: np.ndarray,
                  scenes: list) -> np.ndarray:
        """Noise-free responses, z-scored per voxel over images: float64 (n_images, n_brain) (0 = no signal)."""
        return _responses(self, cfg, feature_maps, class_cover, scenes)


def make_subject(cfg: WorldConfig, number: int, size: float = 1.0) -> Subject:
    """Anatomy, ROIs and tuning of subject `number` (1-based), drawn from cfg.rng('subject', number, ...).
    size scales the brain's ellipsoids (1.0: the default subjects; the shared-subject world, shared_world.py, draws
    smaller and larger brains on other grids); it changes no random draw."""
    rng = cfg.rng("subject", number, "anatomy")
    X, Y, Z = cfg.grid_xyz
    centre = np.array([(X - 1) / 2, (Y - 1) / 2 - 1.0, (Z - 1) / 2]) + rng.normal(0, 0.6, 3)
    axes = np.array([8.0, 18.5, 13.5]) * size * np.exp(rng.normal(0, 0.04, 3))
    tilt = np.deg2rad(rng.normal(0, 5))                  # pitch about the X axis
    rot = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    gap = 0.7
    grid = np.stack(np.meshgrid(np.arange(X), np.arange(Y), np.arange(Z), indexing="ij"), -1).astype(float)

    brain = np.zeros((X, Y, Z), bool)
    depth = np.full((X, Y, Z), np.inf)
    direction = np.zeros((X, Y, Z, 3))                   # unit vector (lateral, anterior, superior) per hemisphere
    side = np.zeros((X, Y, Z), np.int8)                  # -1 left, +1 right
    for s in (-1, 1):
        c = centre + np.array([s * (axes[0] + gap / 2), 0, 0])
        u = ((grid - c) @ rot) / axes                    # ellipsoid-normalised coordinates
        rho = np.linalg.norm(u, axis=-1)
        inside = rho <= 1.0
        grad = np.linalg.norm(u / np.maximum(rho, 1e-9)[..., None] / axes, axis=-1)
        dist = (1.0 - rho) / np.maximum(grad, 1e-9)      # approximate distance to the surface (voxels)
        brain |= inside
        depth = np.where(inside, dist, depth)
        n = u / np.maximum(rho, 1e-9)[..., None]
        n = n * np.array([s, 1, 1])                      # mirror x so +x is lateral in both hemispheres
        direction = np.where(inside[..., None], n, direction)
        side = np.where(inside, s, side)
    cortex = brain & (depth <= 2.0 + rng.normal(0, 0.1))

    # Cap frame around the occipital pole (posterior, slightly medial and ventral).
    pole = _unit(np.array([-0.35, -1.0, -0.1]) + rng.normal(0, 0.05, 3))
    e_med = _unit(np.array([-1.0, 0, 0]) - pole * (-pole[0]))
    e_dor = np.cross(pole, e_med)
    if e_dor[2] < 0:
        e_dor = -e_dor
    theta = np.rad2deg(np.arccos(np.clip(direction @ pole, -1, 1)))
    phi = np.rad2deg(np.arctan2(direction @ e_dor, direction @ e_med))

    rois = {name: np.where(brain, 0, -1).astype(np.int16) for name in ROI_FILES}
    ev_cap = cortex & (theta < EV_CAP_DEG + rng.normal(0, 1.5))
    prf = rois["prf-visualrois"]
    for label, (lo, hi, _area) in _AREAS.items():
        sel = ev_cap & (phi >= lo) & (phi < hi)
        if label == 7:
            sel &= theta > 6
        prf[sel] = label

    for fname, blobs in _BLOBS.items():
        vol = rois[fname]
        best = np.full((X, Y, Z), np.inf)
        for label, (bname, (t0, p0, r0)) in enumerate(blobs.items(), start=1):
            for s in (-1, 1):
                t = t0 + rng.normal(0, 3)
                p = p0 + rng.normal(0, 6)
                r = r0 * np.exp(rng.normal(0, 0.12)) * (1.15 if (s == 1 and fname == "floc-faces") else 1.0)
                centre_dir = _cap_dir(pole, e_med, e_dor, t, p)
                ang = np.rad2deg(np.arccos(np.clip(direction @ centre_dir, -1, 1)))
                score = ang / r
                sel = cortex & (side == s) & (score < 1.0) & (score < best)
                vol[sel] = label
                best = np.where(sel, score, best)

    streams = rois["streams"]
    aphi = np.abs(phi)
    mid = cortex & (theta >= EV_CAP_DEG) & (theta < MID_BAND_DEG)
    high = cortex & (theta >= MID_BAND_DEG) & (theta < HIGH_BAND_DEG)
    streams[ev_cap] = 1
    streams[mid & (((phi >= -150) & (phi < -20)) | ((phi >= -20) & (phi < 10)))] = 2
    streams[mid & (aphi >= 150)] = 3
    streams[mid & (phi >= 10) & (phi < 150)] = 4
    streams[high & (phi >= -150) & (phi < -20)] = 5
    streams[high & (aphi >= 150)] = 6
    streams[high & (phi >= 40) & (phi < 150)] = 7
    union = (streams > 0) | (prf > 0) | (rois["floc-faces"] > 0) | (rois["floc-bodies"] > 0) | (rois["floc-places"] > 0)
    rois["nsdgeneral"][union] = 1

    voxels = np.argwhere(brain)                          # C order over (X, Y, Z): z fastest
    at = tuple(voxels.T)
    sub = Subject(number=number, brain=brain, voxels=voxels, rois=rois,
                  kind=np.zeros(len(voxels), np.int8), prf_xy=np.zeros((len(voxels), 2)),
                  prf_sigma=np.zeros(len(voxels)), exponent=np.ones(len(voxels)),
                  ncsnr=np.zeros(len(voxels)), noise_sd=np.zeros(len(voxels)),
                  mean_response=np.zeros(len(voxels)))
    _draw_tuning(cfg, sub, theta[at], phi[at], side[at])
    return sub


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _cap_dir(pole, e_med, e_dor, theta_deg, phi_deg):
    t, p = np.deg2rad(theta_deg), np.deg2rad(phi_deg)
    return np.cos(t) * pole + np.sin(t) * (np.cos(p) * e_med + np.sin(p) * e_dor)


def _visual_angle(label: int, phi: np.ndarray) -> np.ndarray:
    """Polar angle (deg; +90 upper vertical meridian, -90 lower) represented at cortical azimuth phi."""
    a = np.abs(phi)
    if label in (1, 2):      # horizontal meridian on the calcarine, vertical meridians at the V1/V2 border
        return -90.0 * phi / _B1
    if label in (3, 4):      # mirror reversal: vertical meridian (V1/V2) -> horizontal meridian (V2/V3)
        return np.sign(-phi) * 90.0 * (_B2 - a) / (_B2 - _B1)
    if label in (5, 6):      # horizontal (V2/V3) -> vertical meridian (V3 outer border)
        return np.sign(-phi) * 90.0 * (a - _B2) / (_B3 - _B2)
    return 90.0 - 180.0 * (a - _B3) / (_B4 - _B3)   # hV4: a full hemifield


def _eccentricity(theta: np.ndarray) -> np.ndarray:
    """Cortical magnification: eccentricity grows exponentially with distance from the pole."""
    s = 14.0
    return 0.1 + MAX_ECC_DEG * np.expm1(np.clip(theta, 0, EV_CAP_DEG) / s) / np.expm1(EV_CAP_DEG / s)


def _draw_tuning(cfg: WorldConfig, sub: Subject, theta, phi, side) -> None:
    rng = cfg.rng("subject", sub.number, "tuning")
    n = len(sub.voxels)
    prf_label = sub.mask("prf-visualrois") * sub.rois["prf-visualrois"][tuple(sub.voxels.T)]
    faces, bodies, places = (sub.mask(f) for f in ("floc-faces", "floc-bodies", "floc-places"))
    general = sub.mask("nsdgeneral")
    kind = np.zeros(n, np.int8)
    kind[general] = 3
    kind[faces | bodies | places] = 2
    kind[prf_label > 0] = 1
    sub.kind = kind
    hemifield = -side.astype(float)                    # left hemisphere sees the right visual field

    area = np.array(["other"] * n, dtype=object)
    ecc = np.zeros(n)
    angle = np.zeros(n)
    for label, (_lo, _hi, name) in _AREAS.items():
        sel = prf_label == label
        area[sel] = name
        ecc[sel] = _eccentricity(theta[sel])
        angle[sel] = _visual_angle(label, phi[sel])
    other = kind >= 2
    ecc[other] = rng.uniform(0.3, 3.5, other.sum())
    angle[other] = rng.uniform(-80, 80, other.sum())
    ecc *= np.exp(rng.normal(0, 0.08, n))
    ang = np.deg2rad(angle + rng.normal(0, 6, n))
    xy = np.stack([hemifield * ecc * np.cos(ang), ecc * np.sin(ang)], -1)
    xy[other] += rng.normal(0, 0.5, (other.sum(), 2))

    intercept = np.array([_PRF[a][0] for a in area])
    slope = np.array([_PRF[a][1] for a in area])
    expo = np.array([_PRF[a][2] for a in area])
    sigma = (intercept + slope * ecc) * np.exp(rng.normal(0, 0.15, n))
    sigma[kind == 2] = rng.uniform(1.8, 3.2, (kind == 2).sum())
    sigma[kind == 3] = np.maximum(sigma[kind == 3], rng.uniform(1.0, 2.5, (kind == 3).sum()))
    expo = np.clip(expo * np.exp(rng.normal(0, 0.15, n)), 0.08, 0.8)

    # Channel mix for the low-level drive: orientation (a von Mises bump over 4 orientations, SF
    # preference falling with eccentricity), colour opponency (share grows V1 -> hV4), contrast.
    pref_o = rng.uniform(0, np.pi, n)
    kappa = rng.uniform(0.3, 2.0, n)
    o = np.pi * np.arange(features.ORIENTATIONS) / features.ORIENTATIONS
    ori = np.exp(kappa[:, None] * np.cos(2 * (o[None] - pref_o[:, None])))
    ori /= ori.sum(1, keepdims=True)
    high_sf = np.clip(1.0 - ecc / 4.0, 0.15, 0.85) + rng.normal(0, 0.1, n)
    high_sf = np.clip(high_sf, 0.05, 0.95)
    colour_share = np.array([_COLOUR_SHARE[a] for a in area]) * np.exp(rng.normal(0, 0.3, n))
    colour_share = np.clip(colour_share, 0.02, 0.9)
    rg_vs_by = rng.uniform(0.2, 0.8, n)
    contrast_share = 0.15
    mix = np.zeros((n, features.N_CHANNELS))
    energy_share = 1.0 - colour_share - contrast_share
    mix[:, 0:4] = energy_share[:, None] * high_sf[:, None] * ori
    mix[:, 4:8] = energy_share[:, None] * (1 - high_sf)[:, None] * ori
    mix[:, 8] = colour_share * rg_vs_by
    mix[:, 9] = colour_share * (1 - rg_vs_by)
    mix[:, 10] = contrast_share

    # Category weights over shape classes, and scene weights over backgrounds + layout.
    n_shapes = len(SHAPES)
    shape_w = rng.uniform(0.0, 0.12, (n, n_shapes))
    scene_w = np.zeros((n, len(BACKGROUNDS) + 2))       # backgrounds, ground area, object clutter
    low_w = np.zeros(n)
    cat_w = np.zeros(n)
    scene_gain = np.zeros(n)
    low_w[kind == 1] = 1.0
    f_i, b_i = SHAPES.index("face"), SHAPES.index("body")
    for sel, main, cross in ((faces, f_i, b_i), (bodies, b_i, f_i)):
        sel = sel & (kind == 2)
        shape_w[sel, main] = rng.uniform(0.8, 1.2, sel.sum())
        shape_w[sel, cross] = np.maximum(shape_w[sel, cross], rng.uniform(0.2, 0.45, sel.sum()))
        cat_w[sel] = 1.0
    pl = places & (kind == 2)
    pref = {"PPA": [0.3, 1.0, 0.9, 0.85, 0.15, 0.7], "OPA": [0.2, 0.8, 0.8, 0.7, 0.1, 0.9],
            "RSC": [0.4, 0.9, 0.8, 0.9, 0.3, 0.5]}
    place_label = sub.rois["floc-places"][tuple(sub.voxels.T)]
    for lab, nm in enumerate(ROI_FILES["floc-places"], start=1):
        sel = pl & (place_label == lab)
        scene_w[sel, :len(BACKGROUNDS)] = np.array(pref[nm]) + rng.normal(0, 0.15, (sel.sum(), len(BACKGROUNDS)))
        scene_w[sel, -2] = rng.uniform(0.4, 1.0, sel.sum())          # likes a large ground plane
        scene_w[sel, -1] = -rng.uniform(0.2, 0.6, sel.sum())         # dislikes object clutter
        scene_gain[sel] = 1.0
    low_w[kind == 2] = 0.25
    oth = kind == 3
    low_w[oth] = rng.uniform(0.4, 1.0, oth.sum())
    cat_w[oth] = rng.uniform(0.0, 0.5, oth.sum())
    shape_w[oth] = rng.uniform(0.0, 1.0, (oth.sum(), n_shapes)) ** 3
    scene_w[oth, :len(BACKGROUNDS)] = rng.uniform(0, 1, (oth.sum(), len(BACKGROUNDS))) ** 3
    scene_gain[oth] = rng.uniform(0.0, 0.4, oth.sum())

    # Signal and noise amplitudes (percent signal change).
    noise_sd = cfg.noise_sd_percent * np.exp(rng.normal(0, 0.25, n))
    med = np.select([kind == 1, kind == 2, kind == 3],
                    [cfg.ncsnr_median["early"], cfg.ncsnr_median["category"], cfg.ncsnr_median["other"]], 0.0)
    ncsnr = med * np.exp(rng.normal(0, cfg.ncsnr_log_sd, n))
    mean_resp = np.select([kind == 1, kind == 2, kind == 3], [1.5, 1.0, 0.6], 0.0) * np.exp(rng.normal(0, 0.3, n))

    sub.prf_xy, sub.prf_sigma, sub.exponent = xy, sigma, expo
    sub.ncsnr, sub.noise_sd, sub.mean_response = ncsnr, noise_sd, mean_resp
    sub._tuning = dict(mix=mix, shape_w=shape_w, scene_w=scene_w, low_w=low_w, cat_w=cat_w,
                       scene_gain=scene_gain, area=area)


def _gaussian_weights(cfg: WorldConfig, xy: np.ndarray, sigma: np.ndarray, grid: int) -> np.ndarray:
    """pRF weights (n_vox, grid*grid) over the image, normalised over the whole visual field (so a pRF
    partly off the image gets less drive)."""
    half = cfg.visual_field_deg / 2
    c = (np.arange(grid) + 0.5) / grid * cfg.visual_field_deg - half
    gx = np.exp(-(c[None, :] - xy[:, 0:1]) ** 2 / (2 * sigma[:, None] ** 2))
    gy = np.exp(-(-c[None, :] - xy[:, 1:2]) ** 2 / (2 * sigma[:, None] ** 2))   # row 0 = top = +y
    cell = (cfg.visual_field_deg / grid) ** 2
    w = (gy[:, :, None] * gx[:, None, :]).reshape(len(xy), grid * grid)
    return w * cell / (2 * np.pi * sigma[:, None] ** 2)


def scene_design(scenes: list, class_cover: np.ndarray) -> np.ndarray:
    """Per image: one-hot background, ground area (1 - horizon), object clutter (visible object area)."""
    out = np.zeros((len(scenes), len(BACKGROUNDS) + 2))
    for i, sc in enumerate(scenes):
        out[i, BACKGROUNDS.index(sc.background)] = 1.0
        out[i, -2] = 1.0 - sc.horizon
    out[:, -1] = class_cover.sum(axis=1).mean(axis=(1, 2)) * 3.0
    return out


def _grid_for(sigma: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    """Coarsest feature grid whose cell is at most sigma / 1.2 (8, 16 or FEATURE_GRID cells across)."""
    cell = sigma / 1.2
    g = np.full(len(sigma), 8)
    g[cell < cfg.visual_field_deg / 8] = 16
    g[cell < cfg.visual_field_deg / 16] = features.FEATURE_GRID
    return g


def _pool_to(maps: np.ndarray, grid: int) -> np.ndarray:
    k = maps.shape[-1] // grid
    if k == 1:
        return maps
    return maps.reshape(maps.shape[:-2] + (grid, k, grid, k)).mean(axis=(-3, -1))


def _responses(sub: Subject, cfg: WorldConfig, fmaps: np.ndarray, class_cover: np.ndarray,
               scenes: list) -> np.ndarray:
    t = sub._tuning
    active = np.flatnonzero(sub.kind > 0)
    n_img = fmaps.shape[0]
    low = np.zeros((n_img, len(active)))
    cat = np.zeros((n_img, len(active)))
    grids = _grid_for(sub.prf_sigma[active], cfg)
    # Each shape class's coverage relative to its average, so a thin figure drives as much as a face.
    class_mean = class_cover.mean(axis=(0, 2, 3))[None, :, None] * len(SHAPES)
    for g in (8, 16, features.FEATURE_GRID):
        cols = np.flatnonzero(grids == g)
        if len(cols) == 0:
            continue
        vox = active[cols]
        w = _gaussian_weights(cfg, sub.prf_xy[vox], sub.prf_sigma[vox], g)              # (V, g*g)
        flat = _pool_to(fmaps, g).reshape(n_img, features.N_CHANNELS, g * g)
        part = np.zeros((n_img, len(vox)))
        for c in range(features.N_CHANNELS):
            part += (flat[:, c, :] @ w.T) * t["mix"][vox, c][None, :]
        low[:, cols] = part
        # Category: visible area of each shape class seen through the voxel's receptive field.
        has_cat = t["cat_w"][vox] > 0
        if has_cat.any():
            cover = _pool_to(class_cover, g).reshape(n_img, len(SHAPES), g * g) / class_mean
            wn = w[has_cat] / np.maximum(w[has_cat].sum(1, keepdims=True), 1e-12)
            part = np.zeros((n_img, int(has_cat.sum())))
            for s in range(len(SHAPES)):
                part += (cover[:, s, :] @ wn.T) * t["shape_w"][vox[has_cat], s][None, :] * 20.0
            cat[:, cols[has_cat]] = part
    scene = scene_design(scenes, class_cover) @ t["scene_w"][active].T
    drive = t["low_w"][active] * low + t["cat_w"][active] * cat + t["scene_gain"][active] * scene
    drive = np.maximum(drive - np.minimum(drive.min(0), 0), 0) + 1e-3
    r = drive ** sub.exponent[active][None, :]
    r = (r - r.mean(0)) / np.maximum(r.std(0), 1e-12)
    out = np.zeros((n_img, len(sub.voxels)))
    out[:, active] = r
    return out
