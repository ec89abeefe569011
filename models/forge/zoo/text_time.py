"""SDXL-style added conditions for the demo UNet (issue 20): diffusers' `addition_embed_type: "text_time"`.

diffusers' UNet2DConditionModel (SDXL) embeds each of the n `time_ids` values with sinusoidal features of
`addition_time_embed_dim` (cos half first: `Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0)`), concatenates
the pooled text embedding `text_embeds` [B, P] with them ([B, P + n·dim] = `projection_class_embeddings_input_dim`),
maps that through `TimestepEmbedding` (Linear → SiLU → Linear to the time-embedding width) and adds it to the time
embedding. `TextTimeUNet` does the same on top of the demo UNet (models.forge.zoo.nets.UNet), with the branch's last
layer zero-initialised: before fine-tuning it computes exactly what the demo UNet computes, whatever the added inputs.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from . import nets


def sinusoidal(values: torch.Tensor, dim: int) -> torch.Tensor:
    """[B, n] → [B, n·dim]: each value's features cos(v·f_k) ‖ sin(v·f_k), f_k = 10000^(−k/(dim/2)) (diffusers'
    get_timestep_embedding with flip_sin_to_cos True and downscale_freq_shift 0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = values.reshape(-1, 1).to(torch.float32) * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1).reshape(values.shape[0], -1)


class TextTimeUNet(nn.Module):
    """sample, timestep, encoder_hidden_states, text_embeds [B, P], time_ids [B, n] → out_sample (epsilon)."""

    def __init__(self, base: nets.UNet, pooled: int, time_ids: int = 6, time_dim: int = 8):
        super().__init__()
        self.base = base
        self.time_dim = time_dim
        self.projection = pooled + time_ids * time_dim
        width = base.temb[2].out_features
        self.add_embedding = nn.Sequential(nn.Linear(self.projection, width), nn.SiLU(), nn.Linear(width, width))
        nn.init.zeros_(self.add_embedding[2].weight)
        nn.init.zeros_(self.add_embedding[2].bias)

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds, time_ids):
        t = self.base.temb(nets.timestep_embedding(timestep, self.base.ch0))
        t = t + self.add_embedding(torch.cat([text_embeds, sinusoidal(time_ids, self.time_dim)], dim=1))
        return self.base.denoise(sample, t, encoder_hidden_states)
