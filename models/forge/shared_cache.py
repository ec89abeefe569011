"""Stage 1 of the shared-subject forge: the simulated subjects and the demo zoo's targets, cached under artifacts/.

The world (5 subjects) takes about 8 minutes on the project VM, the targets (the demo bundle's tiny CLIP image tokens
and embeddings and its VAE encoder's latents for all 3,000 images, run from the committed ONNX graphs by
zoo/onnx_eval.py) about 3; later stages read the cache (`load`)."""
from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np

from . import shared_world
from .config import WorldConfig
from .zoo import data
from .zoo.onnx_eval import Graph, run_batched

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "models/demo"


def targets(imgs: np.ndarray, scaling: float) -> dict[str, np.ndarray]:
    """image_tokens [N,17,64], image_embeds [N,64] (tiny CLIP) and latent [N,4,8,8] (VAE posterior mean × scaling)."""
    clip = run_batched(Graph(DEMO / "image_encoder/model.onnx"), "pixel_values", data.to_clip(imgs))
    lat = run_batched(Graph(DEMO / "vae_encoder/model.onnx"), "sample", data.to_vae(imgs))["latent_parameters"]
    return {"image_tokens": clip["last_hidden_state"], "image_embeds": clip["image_embeds"],
            "latent": (lat[:, :4] * np.float32(scaling)).astype(np.float32)}


def build(cache: Path, log=print) -> None:
    import json

    t0 = time.time()
    cfg = WorldConfig()
    scenes, imgs, test, subs = shared_world.build(cfg, log=log)
    log(f"world: {time.time() - t0:.0f} s")
    n = shared_world.check_subj01(subs[1], REPO / "samples/data/nsd-mini")
    log(f"subj01 equals the committed demo world ({n} renorm rows of session 1 compared)")
    scaling = json.loads((DEMO / "vae_decoder/config.json").read_text())["scaling_factor"]
    tg = targets(imgs, scaling)
    log(f"targets: {time.time() - t0:.0f} s")
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "world.pkl", "wb") as f:
        pickle.dump({"captions": [s.caption for s in scenes], "images": imgs, "test": test, "subjects": subs,
                     "targets": tg, "scaling": scaling}, f, protocol=4)


def load(cache: Path) -> dict:
    with open(cache / "world.pkl", "rb") as f:
        return pickle.load(f)
