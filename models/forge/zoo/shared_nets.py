"""The shared-subject (MindEye2-style) demo model: one linear adapter per subject (voxels → shared space of width H)
and one shared backbone (a small residual MLP) whose heads give the demo UNet's image tokens, a retrieval embedding
and the blurry low-level VAE latent — the outputs of the demo's high-level and lowlevel_all encoders, from the shared
space instead of one subject's voxels.

Training (train_shared): single trials of every trained subject, one batch from each subject per step through its own
adapter, the concatenation through the backbone; loss = image-token MSE + symmetric InfoNCE of the embedding against
the tiny CLIP image embedding + L1 to the scaled VAE latent (the demo zoo's losses). Seeded; CPU float32.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .nets import ResMLP
from .stages import log, optimiser, seed_all, soft_info_nce


class Backbone(nn.Module):
    """shared [B,H] → image_tokens [B,T,D], image_embedding [B,E], latent [B,4,8,8] (× the VAE scaling factor).

    The input LayerNorm makes the backbone indifferent to a subject's overall scale in the shared space (a ridge-fitted
    adapter of a new subject predicts shrunken targets)."""

    def __init__(self, width=64, hidden=256, blocks=2, p=0.3, tokens=17, dim=64, embed=64, latent=(4, 8, 8)):
        super().__init__()
        self.t, self.d, self.shape = tokens, dim, latent
        self.inp = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, hidden), nn.LayerNorm(hidden), nn.SiLU(), nn.Dropout(p))
        self.blocks = nn.Sequential(*[ResMLP(hidden, p) for _ in range(blocks)])
        self.tokens = nn.Linear(hidden, tokens * dim)
        self.embed = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, embed))
        self.latent = nn.Linear(hidden, latent[0] * latent[1] * latent[2])
        self.norm = nn.GroupNorm(1, latent[0])

    def forward(self, shared):
        h = self.blocks(self.inp(shared))
        lat = self.norm(self.latent(h).reshape(-1, *self.shape))
        return self.tokens(h).reshape(-1, self.t, self.d), self.embed(h), lat


class SharedModel(nn.Module):
    def __init__(self, voxel_counts: dict[int, int], width: int, p_voxels: float = 0.2, **backbone):
        super().__init__()
        self.subjects = sorted(voxel_counts)
        self.adapters = nn.ModuleDict({str(n): nn.Linear(v, width) for n, v in voxel_counts.items()})
        self.drop = nn.Dropout(p_voxels)
        self.backbone = Backbone(width, **backbone)

    def shared(self, n: int, voxels: torch.Tensor) -> torch.Tensor:
        return self.adapters[str(n)](self.drop(voxels))


def _loss(out, tk, em, lt):
    tokens, embedding, latent = out
    e = F.normalize(em, dim=-1)
    logits = F.normalize(embedding, dim=-1) @ e.T / 0.05
    same = (e @ e.T > 0.9999).float()
    return F.mse_loss(tokens, tk) + soft_info_nce(logits, same) + F.l1_loss(latent, lt)


def train_shared(data: dict[int, tuple[np.ndarray, np.ndarray]], targets: dict[str, np.ndarray], width: int, steps: int,
                 seed: int, t0: float, batch: int = 96, lr: float = 1e-3, weight_decay: float = 0.05, name: str = "shared"):
    """data: subject → (single-trial voxels float32 [n, V], nsdId per trial [n]). Returns the trained SharedModel."""
    g = seed_all(seed)
    model = SharedModel({n: v.shape[1] for n, (v, _) in data.items()}, width)
    update = optimiser(model.parameters(), lr, weight_decay, steps, 0.1)
    TK, EM, LT = (torch.from_numpy(targets[k]) for k in ("image_tokens", "image_embeds", "latent"))
    vox = {n: (torch.from_numpy(v), torch.from_numpy(i)) for n, (v, i) in data.items()}
    model.train()
    tot, k = 0.0, 0
    for step in range(steps):
        shared, ids = [], []
        for n, (v, i) in vox.items():
            idx = torch.randint(len(v), (batch,), generator=g)
            shared.append(model.shared(n, v[idx]))
            ids.append(i[idx])
        ids = torch.cat(ids)
        loss = _loss(model.backbone(torch.cat(shared)), TK[ids], EM[ids], LT[ids])
        tot, k = tot + update(loss), k + 1
        if (step + 1) % 500 == 0 or step == steps - 1:
            log(f"{name} step {step + 1}/{steps} loss {tot / k:.4f}", t0)
            tot, k = 0.0, 0
    model.eval()
    return model


@torch.no_grad()
def backbone_outputs(model: SharedModel, shared: np.ndarray):
    return tuple(o.numpy() for o in model.backbone(torch.from_numpy(np.ascontiguousarray(shared, np.float32))))


@torch.no_grad()
def adapter_outputs(model: SharedModel, n: int, voxels: np.ndarray) -> np.ndarray:
    return model.adapters[str(n)](torch.from_numpy(np.ascontiguousarray(voxels, np.float32))).numpy()


def repeat_averaged(model: SharedModel, shared_of_trials: np.ndarray, groups: list[np.ndarray]):
    """MindEye2's rule: every trial's shared vector through the backbone separately, outputs averaged per image."""
    outs = backbone_outputs(model, shared_of_trials)
    return tuple(np.stack([o[g].mean(0) for g in groups]) for o in outs)
