"""OpenAI CLIP's image tower (VisionTransformer) in plain PyTorch, for the evaluation bundle's CLIP metric: the module
names follow OpenAI's checkpoint ('visual.*' in ViT-L-14.pt), so its weights load as they are; forward is encode_image
(the CLS token after ln_post, times proj). ViT-L/14 by default: 224 px, patch 14, width 1024, 24 layers, 16 heads,
embedding 768."""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(width, width * 4)), ("gelu", QuickGELU()),
                                              ("c_proj", nn.Linear(width * 4, width))]))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x):                                        # x: (tokens, batch, width)
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class ClipVisionTower(nn.Module):
    def __init__(self, resolution: int = 224, patch: int = 14, width: int = 1024, layers: int = 24, heads: int = 16,
                 output_dim: int = 768):
        super().__init__()
        scale = width ** -0.5
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((resolution // patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, pixel_values):
        x = self.conv1(pixel_values)                             # (B, width, grid, grid)
        x = x.flatten(2).permute(0, 2, 1)                        # (B, grid², width)
        cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x).permute(1, 0, 2)                      # (tokens, B, width), as OpenAI's transformer takes it
        x = self.transformer(x).permute(1, 0, 2)
        return (self.ln_post(x[:, 0, :]) @ self.proj,)

    def load_openai(self, checkpoint: Path) -> None:
        """Loads the 'visual.*' weights of OpenAI's ViT-L-14.pt (a TorchScript archive) or of a plain state dict."""
        try:
            state = torch.jit.load(str(checkpoint), map_location="cpu").state_dict()
        except RuntimeError:
            state = torch.load(checkpoint, map_location="cpu")
        visual = {k.removeprefix("visual."): v.float() for k, v in state.items() if k.startswith("visual.")}
        self.load_state_dict(visual, strict=True)
