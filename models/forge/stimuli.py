"""Procedural 64x64 RGB scenes with a caption each: the demo world's stand-in for NSD's COCO images.

A scene is a background class (sky, grass, sand, water, night, room) with its own layout (a horizon
height, clouds, stars, a window) and 1-3 objects drawn in order, so later objects occlude earlier ones.
Objects come from shapes x colours x sizes x positions; two shape classes are category-like: "face"
(an oval with eyes and a mouth) and "body" (a stick figure; "figure" in captions).

Every image is drawn from its own random stream cfg.rng("stimulus", nsd_id), so one image can be
regenerated without the others.

    scenes = [sample_scene(cfg, i) for i in range(cfg.n_images)]
    rgb, visible = render_scene(scenes[0], cfg.image_size)   # uint8 (64,64,3), per-object visible masks
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .config import WorldConfig

SHAPES = ("circle", "square", "triangle", "star", "face", "body")
SHAPE_WORDS = {"circle": "circle", "square": "square", "triangle": "triangle", "star": "star",
               "face": "face", "body": "figure"}
COLOURS = {
    "red": (0.86, 0.16, 0.16), "green": (0.16, 0.67, 0.24), "blue": (0.16, 0.31, 0.86),
    "yellow": (0.94, 0.82, 0.16), "purple": (0.59, 0.24, 0.75), "orange": (0.96, 0.55, 0.12),
    "white": (0.96, 0.96, 0.96), "black": (0.10, 0.10, 0.10),
}
SIZES = {"small": 0.12, "medium": 0.18, "large": 0.26}   # half-extent as a fraction of the image width
BACKGROUNDS = ("sky", "grass", "sand", "water", "night", "room")
BACKGROUND_PHRASES = {"sky": "in the sky", "grass": "on grass", "sand": "on sand", "water": "on water",
                      "night": "at night", "room": "in a room"}
SUPERSAMPLE = 3           # render at 3x and box-filter down (anti-aliasing)
MIN_VISIBLE = 0.45        # an object must keep at least this fraction of its area after occlusion


@dataclasses.dataclass(frozen=True)
class SceneObject:
    shape: str
    colour: str
    size: str
    cx: float   # centre, fraction of image width (0 = left)
    cy: float   # centre, fraction of image height (0 = top)


@dataclasses.dataclass(frozen=True)
class Scene:
    nsd_id: int
    background: str
    horizon: float            # fraction of height where ground/floor starts; 1.0 = no horizon
    background_seed: int      # drives clouds, stars, textures
    objects: tuple[SceneObject, ...]
    caption: str


def sample_scene(cfg: WorldConfig, nsd_id: int) -> Scene:
    """Draws the description of image nsd_id (no pixels); deterministic in (cfg.seed, nsd_id)."""
    rng = cfg.rng("stimulus", nsd_id)
    background = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    horizon = {"sky": 1.0, "night": 1.0, "room": float(rng.uniform(0.55, 0.75))}.get(
        background, float(rng.uniform(0.3, 0.6)))
    background_seed = int(rng.integers(2**31))
    base = _background_mean(background)
    for _attempt in range(50):
        n = int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
        objects = []
        for _ in range(n):
            shape = SHAPES[int(rng.integers(len(SHAPES)))]
            colour = _contrasting_colour(rng, base)
            size = list(SIZES)[int(rng.integers(len(SIZES)))]
            r = SIZES[size]
            cx, cy = (float(v) for v in rng.uniform(r + 0.02, 1 - r - 0.02, size=2))
            objects.append(SceneObject(shape, colour, size, round(cx, 4), round(cy, 4)))
        masks = [_shape_mask(o, _grid(cfg.image_size * SUPERSAMPLE)) for o in objects]
        visible = _visible_masks(masks)
        if all(v.sum() >= MIN_VISIBLE * m.sum() for v, m in zip(visible, masks)):
            caption = _caption(background, objects, masks)
            return Scene(nsd_id, background, round(horizon, 4), background_seed, tuple(objects), caption)
    raise RuntimeError(f"could not place objects for image {nsd_id}")


def render_scene(scene: Scene, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of a scene: uint8 (size, size, 3) and float32 visible coverage per object (n_obj, size, size)."""
    s = size * SUPERSAMPLE
    grid = _grid(s)
    img = _render_background(scene, grid)
    masks = [_shape_mask(o, grid) for o in scene.objects]
    for o, m in zip(scene.objects, masks):
        _paint_object(img, o, m, grid)
    visible = _visible_masks(masks)
    img = img.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE, 3).mean(axis=(1, 3))
    rgb = np.round(np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8)
    cover = np.stack([v.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(1, 3)) for v in visible]) \
        if visible else np.zeros((0, size, size))
    return rgb, cover.astype(np.float32)


def render_all(cfg: WorldConfig, scenes: list[Scene]) -> tuple[np.ndarray, np.ndarray]:
    """All images, uint8 (N, H, W, 3), and per-shape-class visible coverage, float32 (N, n_shapes, H, W)."""
    n, size = len(scenes), cfg.image_size
    images = np.empty((n, size, size, 3), np.uint8)
    classes = np.zeros((n, len(SHAPES), size, size), np.float32)
    for i, sc in enumerate(scenes):
        images[i], cover = render_scene(sc, size)
        for o, c in zip(sc.objects, cover):
            classes[i, SHAPES.index(o.shape)] += c
    return images, classes


# --- captions -----------------------------------------------------------------------------------

def _phrase(o: SceneObject) -> str:
    return f"a {o.size} {o.colour} {SHAPE_WORDS[o.shape]}"


def _caption(background: str, objects: list[SceneObject], masks: list[np.ndarray]) -> str:
    words = _phrase(objects[0])
    if len(objects) >= 2:
        words += f" {_relation(objects[0], objects[1], masks[0], masks[1])} {_phrase(objects[1])}"
    if len(objects) == 3:
        words += f" and {_phrase(objects[2])}"
    caption = f"{words} {BACKGROUND_PHRASES[background]}"
    assert "," not in caption and '"' not in caption
    return caption


def _relation(a: SceneObject, b: SceneObject, ma: np.ndarray, mb: np.ndarray) -> str:
    """Where a is relative to b (b is drawn after a, so on overlap a is behind)."""
    if np.logical_and(ma, mb).sum() > 0.05 * min(ma.sum(), mb.sum()):
        return "behind"
    dx, dy = b.cx - a.cx, b.cy - a.cy
    if abs(dy) >= abs(dx):
        return "above" if dy > 0 else "below"
    return "left of" if dx > 0 else "right of"


# --- geometry -----------------------------------------------------------------------------------

_GRIDS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _grid(s: int) -> tuple[np.ndarray, np.ndarray]:
    if s not in _GRIDS:
        c = (np.arange(s) + 0.5) / s
        _GRIDS[s] = (c[None, :].repeat(s, 0), c[:, None].repeat(s, 1))   # x, y in [0, 1]
    return _GRIDS[s]


def _shape_mask(o: SceneObject, grid) -> np.ndarray:
    x, y = grid
    r = SIZES[o.size]
    dx, dy = x - o.cx, y - o.cy
    if o.shape == "circle":
        return dx * dx + dy * dy <= r * r
    if o.shape == "square":
        return (np.abs(dx) <= 0.85 * r) & (np.abs(dy) <= 0.85 * r)
    if o.shape == "triangle":
        t = (dy + r) / (1.8 * r)
        return (dy <= 0.8 * r) & (t >= 0) & (np.abs(dx) <= t * r)
    if o.shape == "star":
        rho, th = np.hypot(dx, dy), np.arctan2(dy, dx)
        return rho <= r * (0.62 + 0.38 * np.cos(5 * (th + np.pi / 2)))
    if o.shape == "face":
        return (dx / (0.8 * r)) ** 2 + (dy / r) ** 2 <= 1
    if o.shape == "body":
        return _body_parts(dx, dy, r)[0]
    raise ValueError(o.shape)


def _body_parts(dx, dy, r):
    head = dx * dx + (dy + 0.7 * r) ** 2 <= (0.24 * r) ** 2
    torso = (np.abs(dx) <= 0.22 * r) & (dy >= -0.48 * r) & (dy <= 0.25 * r)
    arms = (np.abs(dx) <= 0.55 * r) & (dy >= -0.44 * r) & (dy <= -0.30 * r)
    legs = (np.abs(dx) >= 0.05 * r) & (np.abs(dx) <= 0.22 * r) & (dy >= 0.25 * r) & (dy <= r)
    return head | torso | arms | legs, head


def _visible_masks(masks: list[np.ndarray]) -> list[np.ndarray]:
    out = []
    for k, m in enumerate(masks):
        v = m.copy()
        for later in masks[k + 1:]:
            v &= ~later
        out.append(v.astype(np.float32))
    return out


# --- painting -----------------------------------------------------------------------------------

def _paint_object(img: np.ndarray, o: SceneObject, mask: np.ndarray, grid) -> None:
    colour = np.array(COLOURS[o.colour])
    img[mask] = colour
    if o.shape == "face":
        x, y = grid
        r = SIZES[o.size]
        dx, dy = x - o.cx, y - o.cy
        ink = np.array((0.95, 0.95, 0.95)) if o.colour == "black" else np.array((0.05, 0.05, 0.05))
        eyes = ((np.abs(dx) - 0.32 * r) ** 2 + (dy + 0.22 * r) ** 2) <= (0.13 * r) ** 2
        mouth = (np.abs(dx) <= 0.36 * r) & (np.abs(dy - 0.45 * r) <= 0.07 * r)
        img[mask & (eyes | mouth)] = ink


def _background_mean(background: str) -> np.ndarray:
    return np.array({"sky": (0.5, 0.7, 0.95), "grass": (0.35, 0.6, 0.45), "sand": (0.75, 0.75, 0.7),
                     "water": (0.35, 0.55, 0.8), "night": (0.05, 0.07, 0.2), "room": (0.65, 0.57, 0.48)}[background])


def _contrasting_colour(rng: np.random.Generator, base: np.ndarray) -> str:
    names = list(COLOURS)
    while True:
        name = names[int(rng.integers(len(names)))]
        if np.linalg.norm(np.array(COLOURS[name]) - base) > 0.35:
            return name


def _vertical_gradient(y, top, bottom):
    t = y[..., None]
    return (1 - t) * np.array(top) + t * np.array(bottom)


def _render_background(scene: Scene, grid) -> np.ndarray:
    x, y = grid
    rng = np.random.Generator(np.random.PCG64(scene.background_seed))
    b, h = scene.background, scene.horizon
    if b == "night":
        img = _vertical_gradient(y, (0.02, 0.03, 0.12), (0.07, 0.09, 0.24))
        for _ in range(int(rng.integers(25, 45))):
            sx, sy = rng.uniform(0, 1, 2)
            img[(np.abs(x - sx) < 0.008) & (np.abs(y - sy) < 0.008)] = (0.95, 0.95, 0.8)
        if rng.uniform() < 0.5:
            mx, my = rng.uniform(0.1, 0.9), rng.uniform(0.08, 0.3)
            img[(x - mx) ** 2 + (y - my) ** 2 < 0.06 ** 2] = (0.95, 0.92, 0.7)
        return img
    sky = _vertical_gradient(y, (0.30, 0.52, 0.90), (0.72, 0.86, 1.0))
    if b == "sky":
        for _ in range(int(rng.integers(1, 4))):
            cx, cy, w = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.22)
            cloud = ((x - cx) / w) ** 2 + ((y - cy) / (0.45 * w)) ** 2 < 1
            sky[cloud] = 0.6 * sky[cloud] + 0.4 * 0.97
        return sky
    if b == "room":
        wall = np.array([(0.82, 0.77, 0.66), (0.7, 0.72, 0.74), (0.78, 0.68, 0.6)][int(rng.integers(3))])
        img = np.broadcast_to(wall, x.shape + (3,)).copy()
        if rng.uniform() < 0.6:
            wx, ww = rng.uniform(0.15, 0.85), rng.uniform(0.1, 0.18)
            win = (np.abs(x - wx) < ww) & (y > 0.12) & (y < h - 0.12)
            frame = (np.abs(x - wx) < ww + 0.02) & (y > 0.10) & (y < h - 0.10)
            img[frame] = (0.35, 0.25, 0.18)
            img[win] = (0.6, 0.8, 1.0)
        floor = y >= h
        planks = 0.06 * (np.sin(2 * np.pi * x * rng.uniform(6, 10)) > 0.9)
        img[floor] = np.array((0.48, 0.32, 0.2))
        img[..., 0][floor] -= planks[floor]
        img[..., 1][floor] -= planks[floor]
        return img
    img = sky
    ground = y >= h
    depth = np.clip((y - h) / max(1e-6, 1 - h), 0, 1)
    if b == "grass":
        stripes = 0.06 * np.sin(2 * np.pi * (x * rng.uniform(14, 22) + 0.3 * rng.uniform()))
        base = np.array((0.22, 0.55, 0.18))
        g = base + (stripes + 0.08 * depth)[..., None] * np.array((0.3, 1.0, 0.3))
    elif b == "sand":
        ripples = 0.05 * np.sin(2 * np.pi * (y * rng.uniform(16, 24) + 0.4 * np.sin(6 * x)))
        g = np.array((0.86, 0.76, 0.5)) + ripples[..., None] - 0.08 * depth[..., None]
    else:  # water
        waves = 0.08 * (np.sin(2 * np.pi * (y * rng.uniform(18, 26) + 0.2 * np.sin(9 * x))) > 0.6)
        g = np.array((0.1, 0.33, 0.62)) + waves[..., None] * np.array((1.0, 1.0, 1.0)) + 0.1 * depth[..., None]
    img[ground] = g[ground]
    return img
