"""CLIP ViT-L/14's image tower at full size (models/export/clip_vision_tower.py: 224 px, patch 14, width 1024, 24
layers, 16 heads, 257 tokens, projection 768; ≈ 304 M parameters) in the two output forms a bundle's image encoder
takes: 'embeds' (image_embeds [B, 768], the projected CLS token: the seed study's voting space) and 'tokens'
(MindEye's: every token through ln_post and the projection, divided by the CLS token's norm →
last_hidden_state [B, 257, 768] and image_embeds [B, 257·768])."""
from __future__ import annotations

import torch
from torch import nn

from models.export.clip_vision_tower import ClipVisionTower


class VisionEncoder(nn.Module):
    def __init__(self, tower: ClipVisionTower, mode: str):
        super().__init__()
        if mode not in ("embeds", "tokens"):
            raise ValueError(f"mode must be 'embeds' or 'tokens', not {mode!r}")
        self.tower, self.mode = tower, mode

    def forward(self, pixel_values):
        if self.mode == "embeds":
            return self.tower(pixel_values)[0]
        t = self.tower
        x = t.conv1(pixel_values).flatten(2).permute(0, 2, 1)
        cls = t.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype, device=x.device)
        x = t.ln_pre(torch.cat([cls, x], dim=1) + t.positional_embedding.to(x.dtype)).permute(1, 0, 2)
        x = t.ln_post(t.transformer(x).permute(1, 0, 2)) @ t.proj
        x = x / x[:, :1].norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return x, x.flatten(1)
