"""CLIP ViT-L/14's text encoder (transformers' CLIPTextModel as SD 1.x uses it) at full size: 49,408-token
vocabulary, 77 positions, width 768, 12 pre-LayerNorm layers of 12 heads, MLP 3072 with quick-GELU, causal mask,
final LayerNorm; ≈ 123 M parameters. input_ids [B, L] → last_hidden_state [B, L, 768], pooler_output [B, 768] (the
hidden state at the end-of-text token, the highest id in CLIP's vocabulary, found by argmax as transformers does)."""
from __future__ import annotations

import torch
from torch import nn

from models.export.clip_vision_tower import QuickGELU

from .unet import Attention


class Layer(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.layer_norm1, self.self_attn = nn.LayerNorm(width), CausalAttention(width, heads)
        self.layer_norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), QuickGELU(), nn.Linear(4 * width, width))

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class CausalAttention(Attention):
    """Attention with q/k/v biases (CLIP's) and a causal mask."""

    def __init__(self, width: int, heads: int):
        super().__init__(width, heads)
        self.to_q, self.to_k, self.to_v = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, x, context=None):
        b, n, c = x.shape
        d = c // self.heads
        q, k, v = (f(x).reshape(b, n, self.heads, d).transpose(1, 2) for f in (self.to_q, self.to_k, self.to_v))
        scores = q @ k.transpose(-1, -2) * (d ** -0.5)
        mask = torch.triu(torch.full((n, n), float("-inf"), device=x.device), diagonal=1)
        weights = torch.softmax(scores + mask, dim=-1)
        return self.to_out((weights @ v).transpose(1, 2).reshape(b, n, c))


class ClipTextEncoder(nn.Module):
    def __init__(self, vocab: int = 49408, positions: int = 77, width: int = 768, layers: int = 12, heads: int = 12):
        super().__init__()
        self.config = {"architectures": ["CLIPTextModel"], "vocab_size": vocab, "max_position_embeddings": positions,
                       "hidden_size": width, "intermediate_size": 4 * width, "num_hidden_layers": layers,
                       "num_attention_heads": heads, "hidden_act": "quick_gelu", "projection_dim": width}
        self.token_embedding = nn.Embedding(vocab, width)
        self.position_embedding = nn.Embedding(positions, width)
        self.layers = nn.ModuleList(Layer(width, heads) for _ in range(layers))
        self.final_layer_norm = nn.LayerNorm(width)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.position_embedding.weight, std=0.01)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.token_embedding(input_ids) + self.position_embedding(positions)[None]
        for layer in self.layers:
            x = layer(x)
        x = self.final_layer_norm(x)
        pooled = x[torch.arange(x.shape[0], device=x.device), input_ids.argmax(dim=-1)]
        return x, pooled
