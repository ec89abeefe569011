"""The demo bundle's one-shot generator (issue 21): CLIP image embedding + noise z -> image in one pass, a small stand-in
for LAFITE / StyleGAN2 (which are GANs with style modulation; this is neither).

What it is, honestly: a conv decoder (a linear layer to 4x4x128, four nearest-upsample + two 3x3 convs stages to
64x64, tanh) fed [normalised embedding, z]. It is trained with a conditional IMLE-style loss: for each training
image, K z draws are decoded without gradient, and only the draw closest to the image (pixel L2 plus L2 of 2x and 4x
average-pooled copies, a cheap multi-scale "perceptual-ish" term) is trained on. So z selects among plausible images
for one embedding instead of being ignored, as it would be under a plain L2 regression. Inputs: the demo image
encoder's `image_embeds` of the 2,700 non-test images (computed here from models/demo/image_encoder by clip_embeds.py
over onnx_eval, as the library computes them) with Gaussian noise added, so the noisier embeddings a brain predicts
still decode.

    /usr/bin/python3 -m models.forge.zoo.generator --images images.npy --out models/demo

images.npy: uint8 (3000, 64, 64, 3), index = nsdId (models.forge.stimuli.render_all of the default WorldConfig);
--embeds embeds.f32 (float32 (3000, 64) raw, row = nsdId) skips computing the embeddings. Writes
<out>/generator/model.onnx and config.json.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ...export.onnx_export import export as onnx_export
from ..config import WorldConfig
from ..experiment import test_ids
from .clip_embeds import image_embeds

DEMO_ENCODER = Path(__file__).resolve().parents[2] / "demo" / "image_encoder"

Z_DIM = 16
CHANNELS = (128, 96, 64, 32, 16)     # 4x4, 8x8, 16x16, 32x32, 64x64


class Generator(nn.Module):
    """[B, E] embedding, [B, Z] noise -> [B, 3, 64, 64] image in [-1, 1]. The embedding is L2-normalised inside the
    graph, so its scale (the brain's prediction or the image encoder's) does not matter, only its direction."""

    def __init__(self, embed: int, z_dim: int = Z_DIM):
        super().__init__()
        self.stem = nn.Linear(embed + z_dim, CHANNELS[0] * 16)
        stages = []
        for cin, cout in zip(CHANNELS[:-1], CHANNELS[1:]):
            stages.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                        nn.Conv2d(cin, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU(),
                                        nn.Conv2d(cout, cout, 3, padding=1), nn.SiLU()))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Conv2d(CHANNELS[-1], 3, 3, padding=1)

    def forward(self, clip_embedding: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        e = clip_embedding / clip_embedding.norm(dim=1, keepdim=True).clamp_min(1e-6)
        h = F.silu(self.stem(torch.cat([e, z], dim=1))).view(-1, CHANNELS[0], 4, 4)
        return torch.tanh(self.head(self.stages(h)))


def multiscale_l2(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Per-sample L2 at full, 1/2 and 1/4 resolution (mean over pixels), summed: [B]."""
    loss = 0
    for k in (1, 2, 4):
        p, t = (pred, truth) if k == 1 else (F.avg_pool2d(pred, k), F.avg_pool2d(truth, k))
        loss = loss + ((p - t) ** 2).flatten(1).mean(1)
    return loss


def train(images: np.ndarray, embeds: np.ndarray, ids: np.ndarray, seconds: float, seed: int = 21, draws: int = 4,
          batch: int = 32, noise: float = 0.05) -> tuple[Generator, dict]:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(images[ids].astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2).contiguous()
    e = torch.from_numpy(embeds[ids])
    e = e / e.norm(dim=1, keepdim=True)
    net = Generator(e.shape[1])
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    t0, step, epoch, history = time.time(), 0, 0, []
    while time.time() - t0 < seconds:
        order = torch.randperm(len(ids), generator=g)
        total, count = 0.0, 0
        for start in range(0, len(ids) - batch + 1, batch):
            idx = order[start:start + batch]
            truth = x[idx]
            cond = e[idx] + noise * torch.randn(len(idx), e.shape[1], generator=g)
            zs = torch.randn(draws, len(idx), Z_DIM, generator=g)
            with torch.no_grad():
                losses = torch.stack([multiscale_l2(net(cond, zs[k]), truth) for k in range(draws)])
            best = zs[losses.argmin(0), torch.arange(len(idx))]
            loss = multiscale_l2(net(cond, best), truth).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count, step = total + float(loss) * len(idx), count + len(idx), step + 1
            if time.time() - t0 >= seconds:
                break
        epoch += 1
        history.append(round(total / max(count, 1), 5))
        print(f"  epoch {epoch} ({step} steps, {time.time() - t0:.0f} s): train loss {history[-1]:.4f}", flush=True)
    return net.eval(), {"epochs": epoch, "steps": step, "seconds": round(time.time() - t0, 1), "loss_per_epoch": history,
                        "draws": draws, "batch": batch, "embedding_noise": noise}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", required=True)
    parser.add_argument("--embeds", help="float32 (N, E) raw image_embeds, row = nsdId; default: computed with --encoder")
    parser.add_argument("--encoder", default=str(DEMO_ENCODER), help="image encoder folder (model.onnx, preprocessor_config.json)")
    parser.add_argument("--out", default="models/demo")
    parser.add_argument("--seconds", type=float, default=480.0, help="training time budget (CPU, one thread)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    images = np.load(args.images)
    if args.embeds:
        embeds = np.fromfile(args.embeds, np.float32).reshape(len(images), -1)
    else:
        t0 = time.time()
        embeds = image_embeds(images, args.encoder)
        print(f"image_embeds of {len(images)} images from {args.encoder}: {time.time() - t0:.0f} s", flush=True)
    test = test_ids(WorldConfig())
    train_ids = np.setdiff1d(np.arange(len(images)), test)
    net, info = train(images, embeds, train_ids, args.seconds)

    # Held-out check on the 300 test images (never trained on): pixel correlation of z = 0 decodes with the images.
    with torch.no_grad():
        e = torch.from_numpy(embeds[test])
        pred = net(e, torch.zeros(len(test), Z_DIM)).numpy()
    truth = images[test].astype(np.float32) / 127.5 - 1.0
    truth = truth.transpose(0, 3, 1, 2).reshape(len(test), -1)
    pred = pred.reshape(len(test), -1)
    pc = np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(pred, truth)])
    info["test_pixcorr_from_true_embedding"] = round(float(pc), 4)
    print(f"test PixCorr (true image_embeds, z = 0): {pc:.4f}")

    out = Path(args.out) / "generator"
    embed = embeds.shape[1]
    onnx_export(net, (torch.zeros(1, embed), torch.zeros(1, Z_DIM)), out / "model.onnx", ["clip_embedding", "z"], ["image"],
                {"clip_embedding": {0: "batch"}, "z": {0: "batch"}, "image": {0: "batch"}})
    config = {"_class_name": "ClipConditionedGenerator", "embedding_dim": embed, "z_dim": Z_DIM, "image_size": 64,
              "output_range": [-1, 1], "embedding": "image_encoder image_embeds (L2-normalised inside the graph)",
              "architecture": "linear to 4x4x128, 4 x (nearest upsample, 2 conv3x3, GroupNorm, SiLU), conv3x3, tanh",
              "training": "conditional IMLE: best of 4 z draws, multi-scale pixel L2; stand-in for LAFITE/StyleGAN2",
              **info}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
