"""Stable Diffusion's VAE (diffusers' AutoencoderKL with SD's config) at full size, from the published shapes:
block_out_channels 128/256/512/512, 2 ResNet layers per encoder block (3 per decoder block), one single-head
attention in each mid block, 4 latent channels, GroupNorm(32, eps 1e-6). Encoder ≈ 34 M parameters (→ mean ‖ logvar,
8 channels, through quant_conv), decoder ≈ 49 M (post_quant_conv first)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.export.fused_attention import multi_head_attention

from .unet import GROUPS, ResnetBlock

CHANNELS = (128, 256, 512, 512)
EPS = 1e-6


class MidAttention(nn.Module):
    """One-head self-attention over the pixels, GroupNorm first, residual; fused as in unet.Attention."""

    def __init__(self, width: int, fused: bool = True):
        super().__init__()
        self.fused = fused
        self.group_norm = nn.GroupNorm(GROUPS, width, eps=EPS)
        self.to_q, self.to_k, self.to_v, self.to_out = (nn.Linear(width, width) for _ in range(4))

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.group_norm(x).flatten(2).transpose(1, 2)
        q, k, v = self.to_q(y), self.to_k(y), self.to_v(y)
        if self.fused:
            return x + self.to_out(multi_head_attention(q, k, v, 1)).transpose(1, 2).reshape(b, c, h, w)
        weights = torch.softmax(q @ k.transpose(-1, -2) * (c ** -0.5), dim=-1)
        return x + self.to_out(weights @ v).transpose(1, 2).reshape(b, c, h, w)


class Mid(nn.Module):
    def __init__(self, width: int, fused: bool = True):
        super().__init__()
        self.res_1, self.attn, self.res_2 = ResnetBlock(width, width, None, EPS), MidAttention(width, fused), ResnetBlock(width, width, None, EPS)

    def forward(self, x):
        return self.res_2(self.attn(self.res_1(x)))


class Encoder(nn.Module):
    """pixels [B, 3, H, W] in [−1, 1] → latent_parameters [B, 8, H/8, W/8] (mean ‖ logvar)."""

    def __init__(self, channels=CHANNELS, layers: int = 2, fused_attention: bool = True):
        super().__init__()
        self.conv_in = nn.Conv2d(3, channels[0], 3, padding=1)
        blocks, cin = [], channels[0]
        for i, cout in enumerate(channels):
            for _ in range(layers):
                blocks.append(ResnetBlock(cin, cout, None, EPS))
                cin = cout
            if i < len(channels) - 1:
                blocks.append(nn.Conv2d(cout, cout, 3, stride=2))          # diffusers pads (0, 1, 0, 1) first
        self.blocks = nn.ModuleList(blocks)
        self.mid = Mid(cin, fused_attention)
        self.norm_out = nn.GroupNorm(GROUPS, cin, eps=EPS)
        self.conv_out = nn.Conv2d(cin, 8, 3, padding=1)
        self.quant_conv = nn.Conv2d(8, 8, 1)

    def forward(self, sample):
        x = self.conv_in(sample)
        for block in self.blocks:
            x = block(F.pad(x, (0, 1, 0, 1))) if isinstance(block, nn.Conv2d) else block(x)
        return self.quant_conv(self.conv_out(F.silu(self.norm_out(self.mid(x)))))


class Decoder(nn.Module):
    """latent_sample [B, 4, h, w] (the latent divided by scaling_factor) → pixels [B, 3, 8h, 8w] in about [−1, 1]."""

    def __init__(self, channels=CHANNELS, layers: int = 2, fused_attention: bool = True):
        super().__init__()
        top = channels[-1]
        self.post_quant_conv = nn.Conv2d(4, 4, 1)
        self.conv_in = nn.Conv2d(4, top, 3, padding=1)
        self.mid = Mid(top, fused_attention)
        blocks, cin = [], top
        for i, cout in enumerate(reversed(channels)):
            for _ in range(layers + 1):
                blocks.append(ResnetBlock(cin, cout, None, EPS))
                cin = cout
            if i < len(channels) - 1:
                blocks.append(nn.Conv2d(cout, cout, 3, padding=1))         # after a nearest ×2 upsampling
        self.blocks = nn.ModuleList(blocks)
        self.norm_out = nn.GroupNorm(GROUPS, cin, eps=EPS)
        self.conv_out = nn.Conv2d(cin, 3, 3, padding=1)

    def forward(self, latent_sample):
        x = self.mid(self.conv_in(self.post_quant_conv(latent_sample)))
        for block in self.blocks:
            x = block(F.interpolate(x, scale_factor=2.0, mode="nearest")) if isinstance(block, nn.Conv2d) else block(x)
        return self.conv_out(F.silu(self.norm_out(x)))
