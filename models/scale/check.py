"""Proves the exported full-size graphs compute what the PyTorch modules compute: each graph of OUT/parts runs in the
repository's own ONNX interpreter (models/forge/zoo/onnx_eval.py, external weights memory-mapped; onnxruntime is not
installed here) against the seeded module on a small input (latents 8×8, 16 text tokens), and the largest
difference relative to the output's largest magnitude is printed and bounded (1e-4). Graphs with an operator the
interpreter lacks (the text encoder's ArgMax/Trilu/Range, the tokens image encoder's Clip/ReduceSum, the VAE encoder's
reversed Slice) are named and skipped.

    /usr/bin/python3 -m models.scale.check [--out artifacts/scale] [--only unet ...]     (a --tiny build: --out artifacts/scale-tiny)
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .build import PARTS, REPO, build


def interpreter():
    """The repository's interpreter with the operators these graphs add (Sin and Cos of the UNet's timestep embedding;
    Gather with a negative index, from x.shape[-1]; the VAE encoder's constant Pad; the fused attention's
    com.microsoft.MultiHeadAttention, computed in float64 from its definition)."""
    from models.forge.zoo import onnx_eval

    def gather(node, x, i):
        axis = onnx_eval._attr(node, "axis", 0) % x.dim()
        picked = torch.index_select(x, axis, (i.long() % x.shape[axis]).reshape(-1))
        return picked.reshape(x.shape[:axis] + i.shape + x.shape[axis + 1:])

    def pad(node, x, pads, value=None):
        if onnx_eval._attr(node, "mode", b"constant") not in (b"constant", "constant"):
            raise ValueError(f"{node.name}: only constant padding is supported")
        half = len(pads) // 2
        pairs = [(int(pads[i]), int(pads[i + half])) for i in reversed(range(half))]      # last axis first, as F.pad takes it
        return F.pad(x, [v for pair in pairs for v in pair], value=0.0 if value is None else float(value))

    def attention(node, q, k, v):
        # com.microsoft.MultiHeadAttention with separate [B, S, H·d] query, key and value (no bias, mask or past)
        heads, scale = onnx_eval._attr(node, "num_heads"), onnx_eval._attr(node, "scale", 0.0)
        b, s, width = q.shape
        d = width // heads
        q, k, v = (t.reshape(b, t.shape[1], heads, d).transpose(1, 2).double() for t in (q, k, v))
        weights = torch.softmax(q @ k.transpose(-1, -2) * (scale or d ** -0.5), dim=-1)
        return (weights @ v).transpose(1, 2).reshape(b, s, width).float()

    onnx_eval.OPS.update(Sin=lambda n, a: torch.sin(a), Cos=lambda n, a: torch.cos(a), Gather=gather, Pad=pad,
                         MultiHeadAttention=attention)
    return onnx_eval.Graph


def cases(name: str, parts: Path):
    g = torch.Generator().manual_seed(11)
    if name == "unet":
        yield parts / "unet/model.onnx", {"sample": torch.randn(2, 4, 8, 8, generator=g), "timestep": torch.tensor(501.0),
                                          "encoder_hidden_states": torch.randn(2, 77, 768, generator=g)}
    elif name == "vae_encoder":
        yield parts / "vae_encoder/model.onnx", {"sample": torch.rand(1, 3, 64, 64, generator=g) * 2 - 1}
    elif name == "vae_decoder":
        yield parts / "vae_decoder/model.onnx", {"latent_sample": torch.randn(1, 4, 8, 8, generator=g)}
    elif name == "text_encoder":
        yield parts / "text_encoder/model.onnx", {"input_ids": torch.randint(0, 615, (2, 16), generator=g)}
    elif name == "image_encoder":
        for mode in ("embeds", "tokens"):
            yield parts / f"image_encoder_{mode}/model.onnx", {"pixel_values": torch.randn(1, 3, 224, 224, generator=g)}
    else:
        yield parts / f"voxel_encoders/{name}.onnx", {"voxels": torch.randn(2, 15724, generator=g)}


def main(argv=None) -> None:
    from .vision import VisionEncoder

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=REPO / "artifacts" / "scale")
    p.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    prints = json.loads((args.out / "parts" / "fingerprints.json").read_text())
    tiny = bool(prints.get("tiny"))
    graph_class = interpreter()
    worst = 0.0
    unchecked = []
    for name in args.only:
        module = build(name, 15724, tiny, prints.get(name, {}).get("attention", "plain") == "fused")
        for path, feeds in cases(name, args.out / "parts"):
            net = VisionEncoder(module, "tokens" if "tokens" in str(path) else "embeds") if name == "image_encoder" else module
            with torch.no_grad():
                want = net(*feeds.values())
            want = want if isinstance(want, (tuple, list)) else (want,)
            try:
                graph = graph_class(path)
                have = graph(**{k: v.numpy() for k, v in feeds.items()})
            except ValueError as error:          # an operator the interpreter lacks (ArgMax, Trilu, Clip, a reversed Slice)
                print(f"{path.relative_to(args.out)}: not checked, {error}", flush=True)
                unchecked.append(str(path.relative_to(args.out)))
                continue
            for out, w in zip(graph.outputs, want):
                w = w.numpy()
                error = float(np.abs(have[out] - w).max() / max(np.abs(w).max(), 1e-12))
                worst = max(worst, error)
                print(f"{path.relative_to(args.out)}:{out} {tuple(w.shape)} max |ONNX − PyTorch| / max |PyTorch| = {error:.2e} "
                      f"(std {w.std():.3g}, finite {bool(np.isfinite(have[out]).all())})", flush=True)
            del graph
        del module
    if worst > 1e-4:
        raise SystemExit(f"largest relative difference {worst:.2e} > 1e-4")
    print(f"every graph checked matches PyTorch (largest relative difference {worst:.2e}); not checkable here: {', '.join(unchecked) or 'none'}")


if __name__ == "__main__":
    main()
