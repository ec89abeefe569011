"""Attention exported as ONNX Runtime's fused `com.microsoft.MultiHeadAttention` instead of MatMul → Softmax → MatMul.

Why: Stable Diffusion's UNet attends over every latent pixel. At 512² (64 × 64 latents, 4,096 tokens) the unfused
graph materialises a [batch, heads, 4096, 4096] score tensor per self-attention — 1.07 GB at batch 2 × 8 heads in
float32 — and ONNX Runtime's memory arena keeps those blocks for the session's life, so a full-size UNet session peaks
at about twice its weights (docs/real-models.md, "Real scale"). The fused operator's CPU kernel (float32, no mask, no
bias, no past) runs a tiled flash attention sized to the L2 cache: the scores never exist whole. The CUDA provider
registers the same operator for float32 and float16 (from the onnxruntime sources; not run here). The CPU kernel
takes its tiled path only when the machine reports an L2 cache size (sysconf; some VMs and arm64 systems report 0)
and ORT_DISABLE_FLASH_ATTENTION is unset; otherwise it computes the whole score matrix again. The graphs need ONNX
Runtime (any provider with the contrib operators) — which is what the library runs.

`multi_head_attention(q, k, v, heads)` computes plain softmax attention in PyTorch (so eager results and export-time
checks are ordinary) and exports as the fused node. `FusedAttentionProcessor` is a diffusers attention processor
built on it, for exporting diffusers UNets and VAEs: `module.set_attn_processor(FusedAttentionProcessor())`.
"""
from __future__ import annotations

import torch

DOMAIN = "com.microsoft"          # torch.onnx imports a custom domain at version 1 unless told otherwise


class _MultiHeadAttention(torch.autograd.Function):
    """query [B, S, H·d], key [B, L, H·d], value [B, L, H·dv] → [B, S, H·dv]; scale 0 = 1 / sqrt(d)."""

    @staticmethod
    def forward(ctx, query, key, value, heads: int, scale: float):
        b, s, width = query.shape
        d = width // heads
        q = query.reshape(b, s, heads, d).transpose(1, 2)
        k = key.reshape(b, key.shape[1], heads, d).transpose(1, 2)
        v = value.reshape(b, value.shape[1], heads, -1).transpose(1, 2)
        weights = torch.softmax(q @ k.transpose(-1, -2) * (scale or d ** -0.5), dim=-1)
        return (weights @ v).transpose(1, 2).reshape(b, s, -1)

    @staticmethod
    def symbolic(g, query, key, value, heads: int, scale: float):
        attributes = {"num_heads_i": heads}
        if scale:
            attributes["scale_f"] = scale
        out = g.op(f"{DOMAIN}::MultiHeadAttention", query, key, value, **attributes)
        out.setType(query.type())      # [B, S, H·dv]: every caller here has dv = d (value width = query width)
        return out


def multi_head_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, heads: int, scale: float = 0.0) -> torch.Tensor:
    """Softmax attention of `heads` heads over [batch, tokens, width] inputs (already projected); exported as one
    com.microsoft.MultiHeadAttention node. scale 0: 1 / sqrt(width / heads), the operator's default."""
    if query.shape[-1] % heads or key.shape[-1] != query.shape[-1] or value.shape[-1] != query.shape[-1]:
        raise ValueError(f"multi_head_attention: query, key and value widths {query.shape[-1]}, {key.shape[-1]}, "
                         f"{value.shape[-1]} must be equal and divisible by {heads} heads")
    return _MultiHeadAttention.apply(query, key, value, heads, float(scale))


class FusedAttentionProcessor:
    """A diffusers attention processor (the call diffusers' `Attention` makes) computing what the default processor
    computes — spatial norm, 4-D → token layout, group norm, q/k/v projections, cross-attention norm, attention, output
    projection, residual, output rescale — with the attention itself as `multi_head_attention`. Attention masks, added
    key/value projections, per-head q/k norms and extra arguments (none used by SD 1.x/2.x/XL UNets or their VAEs) are
    refused by name, never dropped. diffusers' float16 upcasting flags are not applied (its SDPA processor does not
    either; ONNX Runtime's kernels accumulate in float32). Export checks compare with the module's outputs before this
    processor replaced the default one (stable_diffusion.py)."""

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, *args, **kwargs):
        if args or kwargs:
            raise ValueError(f"FusedAttentionProcessor: unexpected arguments {list(kwargs) or len(args)}; export with the plain attention")
        if getattr(attn, "add_k_proj", None) is not None:
            raise ValueError("FusedAttentionProcessor: added key/value projections are not supported; export with the plain attention")
        if attention_mask is not None:
            raise ValueError("FusedAttentionProcessor: attention masks are not supported; export with the plain attention")
        if getattr(attn, "norm_q", None) is not None or getattr(attn, "norm_k", None) is not None:
            raise ValueError("FusedAttentionProcessor: per-head q/k normalisation is not supported; export with the plain attention")
        residual = hidden_states
        if getattr(attn, "spatial_norm", None) is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        four_d = hidden_states.ndim == 4
        if four_d:
            b, c, h, w = hidden_states.shape
            hidden_states = hidden_states.reshape(b, c, h * w).transpose(1, 2)
        if getattr(attn, "group_norm", None) is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        query = attn.to_q(hidden_states)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        elif getattr(attn, "norm_cross", None):
            encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
        key, value = attn.to_k(encoder_hidden_states), attn.to_v(encoder_hidden_states)
        hidden_states = multi_head_attention(query, key, value, attn.heads, float(attn.scale))
        hidden_states = attn.to_out[1](attn.to_out[0](hidden_states))          # linear, dropout
        if four_d:
            hidden_states = hidden_states.transpose(-1, -2).reshape(b, c, h, w)
        if getattr(attn, "residual_connection", False):
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor
