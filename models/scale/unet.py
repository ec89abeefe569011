"""Stable Diffusion 1.x's UNet (diffusers' UNet2DConditionModel with SD 1.x's config) at full size, written from the
published layer shapes: block_out_channels 320/640/1280/1280, 2 ResNet layers per down block and 3 per up block,
cross-attention (8 heads) to 768-wide context tokens in every block but the lowest, GEGLU feed-forward, GroupNorm(32).
About 860 M parameters. The call signature and `config` are those export_unet_module (models/export) expects."""
from __future__ import annotations

import math
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

from models.export.fused_attention import multi_head_attention

CHANNELS = (320, 640, 1280, 1280)
HEADS = 8
CONTEXT = 768
GROUPS = 32


class ResnetBlock(nn.Module):
    """GroupNorm → SiLU → 3×3 conv, plus the projected time embedding, GroupNorm → SiLU → 3×3 conv; 1×1 shortcut
    when the width changes. `time` None: no time embedding (the VAE's blocks)."""

    def __init__(self, cin: int, cout: int, time: int | None, eps: float = 1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(GROUPS, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(time, cout) if time else None
        self.norm2 = nn.GroupNorm(GROUPS, cout, eps=eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class Attention(nn.Module):
    """Multi-head attention with bias-free q/k/v and a biased output projection; context None: self-attention.
    fused: the attention exports as ONNX Runtime's MultiHeadAttention (models/export/fused_attention.py; the same
    arithmetic in PyTorch), else as MatMul → Softmax → MatMul with the [B, heads, n, n] scores materialised."""

    def __init__(self, width: int, heads: int, context: int | None = None, fused: bool = True):
        super().__init__()
        self.heads, self.fused = heads, fused
        self.to_q = nn.Linear(width, width, bias=False)
        self.to_k = nn.Linear(context or width, width, bias=False)
        self.to_v = nn.Linear(context or width, width, bias=False)
        self.to_out = nn.Linear(width, width)

    def forward(self, x, context=None):
        context = x if context is None else context
        if self.fused:
            return self.to_out(multi_head_attention(self.to_q(x), self.to_k(context), self.to_v(context), self.heads))
        b, n, c = x.shape
        d = c // self.heads
        q = self.to_q(x).reshape(b, -1, self.heads, d).transpose(1, 2)
        k = self.to_k(context).reshape(b, -1, self.heads, d).transpose(1, 2)
        v = self.to_v(context).reshape(b, -1, self.heads, d).transpose(1, 2)
        weights = torch.softmax(q @ k.transpose(-1, -2) * (d ** -0.5), dim=-1)
        return self.to_out((weights @ v).transpose(1, 2).reshape(b, -1, c))


class TransformerBlock(nn.Module):
    """diffusers' BasicTransformerBlock: self-attention, cross-attention, GEGLU feed-forward (4× width), pre-LayerNorm."""

    def __init__(self, width: int, heads: int, context: int, fused: bool = True):
        super().__init__()
        self.norm1, self.attn1 = nn.LayerNorm(width), Attention(width, heads, fused=fused)
        self.norm2, self.attn2 = nn.LayerNorm(width), Attention(width, heads, context, fused)
        self.norm3 = nn.LayerNorm(width)
        self.ff_in = nn.Linear(width, 8 * width)          # GEGLU: value ‖ gate
        self.ff_out = nn.Linear(4 * width, width)

    def forward(self, x, context):
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), context)
        value, gate = self.ff_in(self.norm3(x)).chunk(2, dim=-1)
        return x + self.ff_out(value * F.gelu(gate))


class SpatialTransformer(nn.Module):
    """diffusers' Transformer2DModel of SD 1.x: GroupNorm, 1×1 conv in, one transformer block over the pixels as
    tokens, 1×1 conv out, residual."""

    def __init__(self, width: int, heads: int = HEADS, context: int = CONTEXT, fused: bool = True):
        super().__init__()
        self.norm = nn.GroupNorm(GROUPS, width, eps=1e-6)
        self.proj_in = nn.Conv2d(width, width, 1)
        self.block = TransformerBlock(width, heads, context, fused)
        self.proj_out = nn.Conv2d(width, width, 1)

    def forward(self, x, context):
        b, c, h, w = x.shape
        y = self.proj_in(self.norm(x)).flatten(2).transpose(1, 2)
        y = self.block(y, context).transpose(1, 2).reshape(b, c, h, w)
        return x + self.proj_out(y)


class Downsample(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class UNet(nn.Module):
    """SD 1.x's UNet: sample [B, 4, h, w], rank-0 float timestep, encoder_hidden_states [B, T, 768] → ε [B, 4, h, w]."""

    def __init__(self, channels=CHANNELS, layers: int = 2, context: int = CONTEXT, sample_size: int = 64, fused_attention: bool = True):
        super().__init__()
        self.config = SimpleNamespace(_class_name="UNet2DConditionModel", in_channels=4, out_channels=4,
                                      sample_size=sample_size, cross_attention_dim=context,
                                      block_out_channels=list(channels), layers_per_block=layers,
                                      attention_head_dim=HEADS, down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
                                      up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3, prediction_type="epsilon")
        self.base = channels[0]
        time = 4 * channels[0]
        self.conv_in = nn.Conv2d(4, channels[0], 3, padding=1)
        self.time_1, self.time_2 = nn.Linear(channels[0], time), nn.Linear(time, time)
        self.down_res, self.down_att, self.down_sample = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        skips, cin = [channels[0]], channels[0]
        last = len(channels) - 1
        for i, cout in enumerate(channels):
            for _ in range(layers):
                self.down_res.append(ResnetBlock(cin, cout, time))
                self.down_att.append(SpatialTransformer(cout, context=context, fused=fused_attention) if i < last else nn.Identity())
                skips.append(cout)
                cin = cout
            if i < last:
                self.down_sample.append(Downsample(cout))
                skips.append(cout)
        self.mid_1 = ResnetBlock(cin, cin, time)                  # built in this order: the seeded draw follows it
        self.mid_att = SpatialTransformer(cin, context=context, fused=fused_attention)
        self.mid_2 = ResnetBlock(cin, cin, time)
        self.up_res, self.up_att, self.up_sample = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        for i, cout in enumerate(reversed(channels)):
            for _ in range(layers + 1):
                self.up_res.append(ResnetBlock(cin + skips.pop(), cout, time))
                self.up_att.append(SpatialTransformer(cout, context=context, fused=fused_attention) if i > 0 else nn.Identity())
                cin = cout
            if i < last:
                self.up_sample.append(Upsample(cout))
        self.norm_out = nn.GroupNorm(GROUPS, channels[0])
        self.conv_out = nn.Conv2d(channels[0], 4, 3, padding=1)
        self.layers, self.levels = layers, len(channels)

    def time_embedding(self, timestep, batch: int):
        half = self.base // 2
        freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=timestep.device) * (-math.log(10000.0) / half))
        angles = timestep.float().reshape(-1, 1).expand(batch, 1) * freqs[None, :]
        emb = torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)       # flip_sin_to_cos, freq_shift 0
        return self.time_2(F.silu(self.time_1(emb)))

    def forward(self, sample, timestep, encoder_hidden_states, return_dict=False, **unused):
        temb = self.time_embedding(timestep, sample.shape[0])
        x = self.conv_in(sample)
        skips = [x]
        r = 0
        for level in range(self.levels):
            for _ in range(self.layers):
                x = self.down_res[r](x, temb)
                x = x if isinstance(self.down_att[r], nn.Identity) else self.down_att[r](x, encoder_hidden_states)
                skips.append(x)
                r += 1
            if level < self.levels - 1:
                x = self.down_sample[level](x)
                skips.append(x)
        x = self.mid_2(self.mid_att(self.mid_1(x, temb), encoder_hidden_states), temb)
        r = 0
        for level in range(self.levels):
            for _ in range(self.layers + 1):
                x = self.up_res[r](torch.cat([x, skips.pop()], dim=1), temb)
                x = x if isinstance(self.up_att[r], nn.Identity) else self.up_att[r](x, encoder_hidden_states)
                r += 1
            if level < self.levels - 1:
                x = self.up_sample[level](x)
        out = self.conv_out(F.silu(self.norm_out(x)))
        return (out,) if not return_dict else {"sample": out}
