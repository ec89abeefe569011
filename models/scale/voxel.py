"""MindEye (v1)'s voxel encoders at full size, from the published shapes (its src/models.py):

- voxel2clip (BrainNetwork): Linear(voxels → 4096), LayerNorm, GELU; 4 residual blocks of Linear(4096 → 4096),
  LayerNorm, GELU; Linear(4096 → 257·768) → the brain tokens; a per-token projector (LayerNorm, GELU, Linear 768 →
  2048, twice LayerNorm, GELU, Linear 2048 → 2048, LayerNorm, GELU, Linear 2048 → 768) → the retrieval embedding.
  ≈ 940 M parameters at subj01's 15,724 voxels (lin1 alone 809 M).
- the low-level encoder (Voxel2StableDiffusionModel, '4x'): Linear(voxels → 4096, no bias), LayerNorm, SiLU; 4
  residual blocks (Linear 4096 → 4096, LayerNorm, SiLU); Linear(4096 → 16,384) → 64×16×16, GroupNorm(1, 64); a
  diffusers-style Decoder (64 → 4 channels, block_out 64/128/256, one ResNet layer + 1 per block, ×2 upsampling twice)
  → the SD latent [4, 64, 64], already × 0.18215. ≈ 206 M parameters.
Dropout layers are left out (inference)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from .unet import ResnetBlock

TOKENS, WIDTH, HIDDEN = 257, 768, 4096


def _stage(cin: int, cout: int, act, bias: bool = True) -> nn.Sequential:
    return nn.Sequential(nn.Linear(cin, cout, bias=bias), nn.LayerNorm(cout), act())


class VoxelToClip(nn.Module):
    """voxels [B, N] → image_tokens [B, 257, 768], image_embedding [B, 257·768]."""

    def __init__(self, voxels: int, hidden: int = HIDDEN, blocks: int = 4):
        super().__init__()
        self.lin0 = _stage(voxels, hidden, nn.GELU)
        self.mlp = nn.ModuleList(_stage(hidden, hidden, nn.GELU) for _ in range(blocks))
        self.lin1 = nn.Linear(hidden, TOKENS * WIDTH)
        self.projector = nn.Sequential(nn.LayerNorm(WIDTH), nn.GELU(), nn.Linear(WIDTH, 2048),
                                       nn.LayerNorm(2048), nn.GELU(), nn.Linear(2048, 2048),
                                       nn.LayerNorm(2048), nn.GELU(), nn.Linear(2048, WIDTH))

    def forward(self, voxels):
        x = self.lin0(voxels)
        for block in self.mlp:
            x = x + block(x)
        tokens = self.lin1(x).reshape(-1, TOKENS, WIDTH)
        return tokens, self.projector(tokens).flatten(1)


class LatentDecoder(nn.Module):
    """MindEye's upsampler: a diffusers Decoder 64 → 4 channels, block_out (64, 128, 256), 2 ResNets per block."""

    def __init__(self, cin: int = 64, cout: int = 4, channels=(64, 128, 256)):
        super().__init__()
        top = channels[-1]
        self.conv_in = nn.Conv2d(cin, top, 3, padding=1)
        self.mid = nn.Sequential(ResnetBlock(top, top, None, 1e-6), ResnetBlock(top, top, None, 1e-6))
        blocks, c = [], top
        for i, width in enumerate(reversed(channels)):
            for _ in range(2):
                blocks.append(ResnetBlock(c, width, None, 1e-6))
                c = width
            if i < len(channels) - 1:
                blocks.append(nn.Conv2d(width, width, 3, padding=1))
        self.blocks = nn.ModuleList(blocks)
        self.norm_out = nn.GroupNorm(32, c, eps=1e-6)
        self.conv_out = nn.Conv2d(c, cout, 3, padding=1)

    def forward(self, x):
        x = self.mid(self.conv_in(x))
        for block in self.blocks:
            x = block(F.interpolate(x, scale_factor=2.0, mode="nearest")) if isinstance(block, nn.Conv2d) else block(x)
        return self.conv_out(F.silu(self.norm_out(x)))


class VoxelToLatent(nn.Module):
    """voxels [B, N] → latent [B, 4, 64, 64] (× 0.18215)."""

    def __init__(self, voxels: int, hidden: int = HIDDEN, blocks: int = 4):
        super().__init__()
        self.lin0 = _stage(voxels, hidden, nn.SiLU, bias=False)
        self.mlp = nn.ModuleList(_stage(hidden, hidden, nn.SiLU) for _ in range(blocks))
        self.lin1 = nn.Linear(hidden, 64 * 16 * 16)
        self.norm = nn.GroupNorm(1, 64)
        self.upsampler = LatentDecoder()

    def forward(self, voxels):
        x = self.lin0(voxels)
        for block in self.mlp:
            x = x + block(x)
        return self.upsampler(self.norm(self.lin1(x).reshape(-1, 64, 16, 16)))
