"""The tiny networks of the demo model zoo (PyTorch). Every module exports to ONNX opset 17 with the I/O names of
docs/model-bundle.md; attention is written out (no fused kernels) so the export is plain MatMul/Softmax."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def gn(c: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, c), c)


class ResConv(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int = 0):
        super().__init__()
        self.n1, self.c1 = gn(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.n2, self.c2 = gn(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.t = nn.Linear(temb, cout) if temb else None
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, t=None):
        h = self.c1(F.silu(self.n1(x)))
        if self.t is not None:
            h = h + self.t(F.silu(t))[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


# ---------------------------------------------------------------- VAE (64×64×3 ↔ 4×8×8)
VAE_CHANNELS = (16, 32, 64, 64)   # block_out_channels: 4 blocks → downsampling 2^3 = 8


class VaeEncoder(nn.Module):
    """sample [B,3,64,64] in [-1,1] → latent_parameters [B,8,8,8] (mean ‖ logvar)."""

    def __init__(self, latent=4, ch=VAE_CHANNELS):
        super().__init__()
        layers = [nn.Conv2d(3, ch[0], 3, padding=1)]
        for i in range(len(ch)):
            layers.append(ResConv(ch[i - 1] if i else ch[0], ch[i]))
            if i < len(ch) - 1:
                layers.append(nn.Conv2d(ch[i], ch[i], 3, stride=2, padding=1))
        layers += [gn(ch[-1]), nn.SiLU(), nn.Conv2d(ch[-1], 2 * latent, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, sample):
        return self.net(sample)


class VaeDecoder(nn.Module):
    """latent_sample [B,4,8,8] (unscaled) → sample [B,3,64,64]."""

    def __init__(self, latent=4, ch=VAE_CHANNELS):
        super().__init__()
        rc = list(reversed(ch))
        layers = [nn.Conv2d(latent, rc[0], 3, padding=1)]
        for i in range(len(rc)):
            layers.append(ResConv(rc[i - 1] if i else rc[0], rc[i]))
            if i < len(rc) - 1:
                layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(rc[i], rc[i], 3, padding=1)]
        layers += [gn(rc[-1]), nn.SiLU(), nn.Conv2d(rc[-1], 3, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, latent_sample):
        return self.net(latent_sample)


# ---------------------------------------------------------------- attention blocks
class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, ctx_dim: int | None = None):
        super().__init__()
        ctx_dim = ctx_dim or dim
        self.h = heads
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(ctx_dim, dim), nn.Linear(ctx_dim, dim)
        self.o = nn.Linear(dim, dim)

    def forward(self, x, ctx=None, mask=None):
        ctx = x if ctx is None else ctx
        b, n, d = x.shape
        hd = d // self.h
        q = self.q(x).reshape(b, n, self.h, hd).transpose(1, 2)
        k = self.k(ctx).reshape(b, -1, self.h, hd).transpose(1, 2)
        v = self.v(ctx).reshape(b, -1, self.h, hd).transpose(1, 2)
        w = q @ k.transpose(-1, -2) / math.sqrt(hd)
        if mask is not None:
            w = w + mask
        out = torch.softmax(w, dim=-1) @ v
        return self.o(out.transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """Pre-norm transformer block: self-attention (optionally causal), optional cross-attention, MLP."""

    def __init__(self, dim: int, heads: int = 4, cross_dim: int | None = None, mlp: int = 4):
        super().__init__()
        self.n1, self.a1 = nn.LayerNorm(dim), Attention(dim, heads)
        self.cross = cross_dim is not None
        if self.cross:
            self.n2, self.a2 = nn.LayerNorm(dim), Attention(dim, heads, cross_dim)
        self.n3 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp * dim), nn.GELU(), nn.Linear(mlp * dim, dim))

    def forward(self, x, mask=None, ctx=None):
        x = x + self.a1(self.n1(x), mask=mask)
        if self.cross:
            x = x + self.a2(self.n2(x), ctx)
        return x + self.mlp(self.n3(x))


def causal_mask(n: int) -> torch.Tensor:
    return torch.triu(torch.full((n, n), -1e9), diagonal=1)


# ---------------------------------------------------------------- tiny CLIP
class ConvStem(nn.Module):
    """[B,3,64,64] → [B,16,D]: strided convs to a 4×4 grid of patch tokens."""

    def __init__(self, dim: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 32, 4, stride=4), gn(32), nn.SiLU(),          # 16×16
            nn.Conv2d(32, 64, 3, stride=2, padding=1), gn(64), nn.SiLU(),   # 8×8
            nn.Conv2d(64, dim, 3, stride=2, padding=1))                 # 4×4

    def forward(self, x):
        return self.net(x).flatten(2).transpose(1, 2)


class ClipImage(nn.Module):
    """pixel_values → (image_embeds [B,E], last_hidden_state [B,1+16,D])."""

    def __init__(self, dim=64, embed=64, layers=2):
        super().__init__()
        self.stem = ConvStem(dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, 17, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, embed, bias=False)

    def forward(self, pixel_values):
        x = self.stem(pixel_values)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for b in self.blocks:
            x = b(x)
        hidden = self.norm(x)
        return self.proj(hidden[:, 0]), hidden


class ClipText(nn.Module):
    """input_ids [B,L] int64 → (last_hidden_state [B,L,D], text_embeds [B,E]); pooled at the first end token."""

    def __init__(self, vocab: int, eos_id: int, length: int, dim=64, embed=64, layers=2):
        super().__init__()
        self.eos_id = eos_id
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(1, length, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, embed, bias=False)
        self.register_buffer("mask", causal_mask(length), persistent=False)

    def forward(self, input_ids):
        n = input_ids.shape[1]
        x = self.tok(input_ids) + self.pos[:, :n]
        m = self.mask[:n, :n]
        for b in self.blocks:
            x = b(x, mask=m)
        hidden = self.norm(x)
        first_eos = torch.argmax((input_ids == self.eos_id).to(torch.int64), dim=1)
        pooled = torch.gather(hidden, 1, first_eos.reshape(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1)
        return hidden, self.proj(pooled)


# ---------------------------------------------------------------- UNet (latent 4×8×8, cross-attention width D)
def timestep_embedding(t, dim: int):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.reshape(-1, 1).to(torch.float32) * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class SpatialCross(nn.Module):
    def __init__(self, c: int, ctx_dim: int):
        super().__init__()
        self.norm = gn(c)
        self.block = Block(c, heads=4, cross_dim=ctx_dim, mlp=2)

    def forward(self, x, ctx):
        b, c, h, w = x.shape
        t = self.norm(x).flatten(2).transpose(1, 2)
        t = self.block(t, ctx=ctx)
        return x + t.transpose(1, 2).reshape(b, c, h, w)


class UNet(nn.Module):
    """sample [B,4,8,8], timestep (scalar or [B]), encoder_hidden_states [B,S,D] → out_sample (epsilon).
    Cross-attention at the 4×4 level and the middle only (this torch's matrix products are slow on the CPU)."""

    def __init__(self, latent=4, ctx_dim=64, ch=(48, 96)):
        super().__init__()
        self.ch0 = ch[0]
        temb = 4 * ch[0]
        self.temb = nn.Sequential(nn.Linear(ch[0], temb), nn.SiLU(), nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(latent, ch[0], 3, padding=1)
        self.d1 = ResConv(ch[0], ch[0], temb)
        self.down = nn.Conv2d(ch[0], ch[0], 3, stride=2, padding=1)
        self.d2, self.a2 = ResConv(ch[0], ch[1], temb), SpatialCross(ch[1], ctx_dim)
        self.m, self.am = ResConv(ch[1], ch[1], temb), SpatialCross(ch[1], ctx_dim)
        self.u2, self.au2 = ResConv(2 * ch[1], ch[1], temb), SpatialCross(ch[1], ctx_dim)
        self.up = nn.Sequential(nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(ch[1], ch[0], 3, padding=1))
        self.u1 = ResConv(2 * ch[0], ch[0], temb)
        self.out = nn.Sequential(gn(ch[0]), nn.SiLU(), nn.Conv2d(ch[0], latent, 3, padding=1))

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.denoise(sample, self.temb(timestep_embedding(timestep, self.ch0)), encoder_hidden_states)

    def denoise(self, sample, t, ctx):
        """The network after the time embedding t (models.forge.zoo.text_time adds SDXL's added conditions to it)."""
        h0 = self.conv_in(sample)
        h1 = self.d1(h0, t)
        h2 = self.a2(self.d2(self.down(h1), t), ctx)
        m = self.am(self.m(h2, t), ctx)
        u2 = self.au2(self.u2(torch.cat([m, h2], 1), t), ctx)
        u1 = self.u1(torch.cat([self.up(u2), h1], 1), t)
        return self.out(u1)


# ---------------------------------------------------------------- captioner (BLIP-style)
class CapVision(nn.Module):
    """pixel_values → image_embeds [B,16,D]."""

    def __init__(self, dim=64, layers=1):
        super().__init__()
        self.stem = ConvStem(dim)
        self.pos = nn.Parameter(torch.randn(1, 16, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, pixel_values):
        x = self.stem(pixel_values) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.norm(x)


class CapDecoder(nn.Module):
    """input_ids [B,L] + image_embeds [B,P,D] → logits [B,L,V]; causal self-attention + cross-attention."""

    def __init__(self, vocab: int, length: int, dim=64, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(1, length, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, cross_dim=dim) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)
        self.register_buffer("mask", causal_mask(length), persistent=False)

    def forward(self, input_ids, image_embeds):
        n = input_ids.shape[1]
        x = self.tok(input_ids) + self.pos[:, :n]
        m = self.mask[:n, :n]
        for b in self.blocks:
            x = b(x, mask=m, ctx=image_embeds)
        return self.head(self.norm(x))


# ---------------------------------------------------------------- voxel encoders
class ResMLP(nn.Module):
    def __init__(self, dim: int, p: float):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim), nn.LayerNorm(dim), nn.SiLU(), nn.Dropout(p))

    def forward(self, x):
        return x + self.net(x)


class LowLevelEncoder(nn.Module):
    """voxels [B,N] → latent [B,4,8,8] (scaled VAE latent): Linear → LayerNorm → SiLU → Dropout, residual blocks,
    Linear → reshape → GroupNorm (the seed study's architecture, scaled down)."""

    def __init__(self, n_voxels: int, hidden=192, blocks=2, p=0.3, latent=(4, 8, 8)):
        super().__init__()
        self.shape = latent
        self.inp = nn.Sequential(nn.Linear(n_voxels, hidden), nn.LayerNorm(hidden), nn.SiLU(), nn.Dropout(p))
        self.blocks = nn.Sequential(*[ResMLP(hidden, p) for _ in range(blocks)])
        self.out = nn.Linear(hidden, latent[0] * latent[1] * latent[2])
        self.norm = nn.GroupNorm(1, latent[0])

    def forward(self, voxels):
        h = self.out(self.blocks(self.inp(voxels)))
        return self.norm(h.reshape(-1, *self.shape))


class HighLevelEncoder(nn.Module):
    """voxels [B,N] → image_tokens [B,T,D] (CLIP image-encoder tokens) and image_embedding [B,E] (retrieval)."""

    def __init__(self, n_voxels: int, tokens=17, dim=64, embed=64, hidden=256, p=0.3):
        super().__init__()
        self.t, self.d = tokens, dim
        self.inp = nn.Sequential(nn.Linear(n_voxels, hidden), nn.LayerNorm(hidden), nn.SiLU(), nn.Dropout(p))
        self.blocks = nn.Sequential(ResMLP(hidden, p), ResMLP(hidden, p))
        self.tokens = nn.Linear(hidden, tokens * dim)
        self.embed = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, embed))

    def forward(self, voxels):
        h = self.blocks(self.inp(voxels))
        return self.tokens(h).reshape(-1, self.t, self.d), self.embed(h)


# ---------------------------------------------------------------- diffusion prior (MindEye-style, over image tokens)
class DiffusionPrior(nn.Module):
    """sample [B,T,D] (noisy image tokens), timestep (scalar or [B]), encoder_hidden_states [B,T,D] (brain tokens:
    the high-level encoder's image_tokens) → out_sample [B,T,D], the predicted clean image tokens (x0, as MindEye's
    dalle2 prior predicts). A non-causal transformer over [brain tokens ‖ time token ‖ noisy tokens] with learned
    positions; the last T positions are read out."""

    def __init__(self, tokens=17, dim=64, layers=3, heads=4):
        super().__init__()
        self.t, self.d = tokens, dim
        self.time = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.pos = nn.Parameter(torch.randn(1, 2 * tokens + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, sample, timestep, encoder_hidden_states):
        b = sample.shape[0]
        t = self.time(timestep_embedding(timestep, self.d)).expand(b, -1)[:, None]
        x = torch.cat([encoder_hidden_states, t, sample], 1) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.out(self.norm(x[:, -self.t:]))
