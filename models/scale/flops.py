"""Multiply-adds of one evaluation of each full-size network at its real input size, counted from the modules' own
shapes with forward hooks (convolutions, linear layers, attention products), the forward pass on PyTorch's 'meta'
device (shapes only, nothing computed), for the GPU estimates in docs/real-models.md. The modules are built (and
randomly initialised) on the CPU first, then moved: a few GB and minutes of CPU for the UNet and voxel2clip.

    /usr/bin/python3 -m models.scale.flops
"""
from __future__ import annotations

import torch
from torch import nn

from .clip_text import CausalAttention, ClipTextEncoder
from .unet import Attention, UNet
from .vae import Decoder, Encoder, MidAttention
from .voxel import VoxelToClip, VoxelToLatent
from .vision import VisionEncoder


def count(module: nn.Module, *inputs) -> float:
    """Multiply-adds of module(*inputs)."""
    total = [0.0]

    def linear(m, args, out):
        per = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1] if isinstance(m, nn.Conv2d) else m.in_features
        total[0] += out.numel() * per

    def attention(m, args, out):
        x = args[0]
        if isinstance(m, MidAttention):
            b, c, h, w = x.shape
            total[0] += 2 * b * (h * w) ** 2 * c
            return
        context = args[1] if len(args) > 1 and args[1] is not None else x
        b, n, c = x.shape
        total[0] += 2 * b * n * context.shape[1] * c

    hooks = [m.register_forward_hook(linear) for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    hooks += [m.register_forward_hook(attention) for m in module.modules() if isinstance(m, (Attention, CausalAttention, MidAttention))]
    with torch.no_grad():
        module(*inputs)
    for h in hooks:
        h.remove()
    return total[0]


def table() -> dict[str, float]:
    """Giga multiply-adds per evaluation of one sample."""
    from models.export.clip_vision_tower import ClipVisionTower

    meta = {"device": "meta"}
    unet = UNet().to(**meta)
    t = torch.tensor(500.0, **meta)
    sample = torch.randn(1, 4, 64, 64, **meta)
    rows = {
        "UNet, 77 text tokens (caption)": count(unet, sample, t, torch.randn(1, 77, 768, **meta)),
        "UNet, 257 image tokens (unCLIP)": count(unet, sample, t, torch.randn(1, 257, 768, **meta)),
        "VAE decoder, 64² latent → 512²": count(Decoder().to(**meta), torch.randn(1, 4, 64, 64, **meta)),
        "VAE encoder, 512² → 64² latent": count(Encoder().to(**meta), torch.randn(1, 3, 512, 512, **meta)),
        "CLIP-L text encoder, 77 tokens": count(ClipTextEncoder().to(**meta), torch.zeros(1, 77, dtype=torch.int64, **meta)),
        "ViT-L/14 image encoder, 224²": count(VisionEncoder(ClipVisionTower(), "tokens").to(**meta), torch.randn(1, 3, 224, 224, **meta)),
        "voxel2clip, 15,724 voxels": count(VoxelToClip(15724).to(**meta), torch.randn(1, 15724, **meta)),
        "low-level encoder, 15,724 voxels": count(VoxelToLatent(15724).to(**meta), torch.randn(1, 15724, **meta)),
    }
    return {k: v / 1e9 for k, v in rows.items()}


def main() -> None:
    for name, gmac in table().items():
        print(f"{name:36s} {gmac:9.1f} G multiply-adds")


if __name__ == "__main__":
    main()
