"""The demo image encoder's `image_embeds` of uint8 images, in Python: the generator's training targets.

Prepares pixels as the library's ImagePreprocessor does from `image_encoder/preprocessor_config.json` (the demo's
asks for no resize and no crop, so a 64x64 image goes in as it is: rescale by `rescale_factor`, then `(x - image_mean)
/ image_std` per channel, planar NCHW) and runs `image_encoder/model.onnx` with zoo/onnx_eval.py (Debian's Python has
no ONNX Runtime). An image of another size is refused: resampling as the library does (PIL-compatible kernels) is not
reimplemented here. tests/fixtures/forge/make_demo_image_embeds.py writes the embeddings of 8 fixture images with this
module; a C# test compares them with `BrainDecoder.EmbedImages` of models/demo.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .onnx_eval import Graph, run_batched


def pixel_values(images: np.ndarray, config: dict) -> np.ndarray:
    """uint8 [N, H, W, 3] -> float32 [N, 3, H, W] as the preprocessor config asks (resize and crop must be no-ops)."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] != 3:
        raise ValueError(f"images: expected uint8 [N, H, W, 3], got {images.dtype} {list(images.shape)}")
    h, w = images.shape[1:3]
    for step, size_key in (("do_resize", "size"), ("do_center_crop", "crop_size")):
        size = config.get(size_key) or {}
        if config.get(step) and (size.get("height"), size.get("width")) != (h, w):
            raise ValueError(f"preprocessor {step} to {size} is not implemented here; images are {h}x{w}")
    x = images.astype(np.float32)
    if config.get("do_rescale", True):
        x = x * np.float32(config.get("rescale_factor", 1 / 255))
    if config.get("do_normalize", True):
        x = (x - np.asarray(config["image_mean"], np.float32)) / np.asarray(config["image_std"], np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def image_embeds(images: np.ndarray, encoder: str | Path) -> np.ndarray:
    """float32 [N, E]: `image_embeds` of the image encoder folder (model.onnx + preprocessor_config.json), raw."""
    encoder = Path(encoder)
    config = json.loads((encoder / "preprocessor_config.json").read_text())
    out = run_batched(Graph(encoder / "model.onnx"), "pixel_values", pixel_values(images, config))
    return out["image_embeds"].astype(np.float32)
