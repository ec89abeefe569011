"""A tiny Vis-Dec ("Contrast, Attend and Diffuse", NeurIPS 2023) fMRI encoder for the demo world (issue 21).

    /usr/bin/python3 -m models.forge.zoo.visdec            # needs artifacts/nsd-world (models.forge.simulate --out)

What it trains, on the demo's training trials only (the split of models.forge.train, seed 7):
1. Masked-voxel pre-training: a 1-D ViT over voxel patches of 16 (the nsdgeneral vector zero-padded to a multiple of
   16), 75 % of the patches masked, a light decoder reconstructing the masked patches (MAE loss on masked patches).
   Vis-Dec's double-contrastive terms (and its HCP pre-training) are not reproduced.
2. Fine-tuning with the demo UNet frozen: the ViT's patch tokens are mapped to the UNet's context (Conv1d over the
   patch axis to 17 tokens, Linear to the width 64, as Vis-Dec maps to 77 × 512), trained end to end with the
   epsilon-prediction loss through the frozen demo UNet on the demo VAE's scaled latents of the seen images; a small
   head also predicts the image encoder's embedding (cosine loss) for best-of-N selection. The demo UNet, VAE encoder
   and image encoder are rebuilt in PyTorch from their ONNX files (models.forge.zoo.nets architectures; every weight
   mapped by re-exporting and checked bit for bit against the shipped graph).
3. Export: models/demo/voxel_encoders/visdec.onnx (voxels → conditioning_tokens [B,17,64] + image_embedding [B,64])
   through models/export/onnx_export.py, and its entry, pipeline defaults and sha256 in models/demo/fmri_decoder.json.

The demo UNet has no time-embedding input, so this encoder has no `time_embedding_term` output (Vis-Dec's
context-to-time-embedding add needs a UNet trained with it). torch.set_num_threads(1); ~10 min on this VM.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn

from ...export.bundle_files import sha256, write_json
from ...export.onnx_export import export as onnx_export
from . import data, nets, stages
from .sampling import alphas_cumprod

PATCH, DIM, DEPTH, HEADS, TOKENS, WIDTH, EMBED = 16, 64, 2, 4, 17, 64, 64


class VisDecEncoder(nn.Module):
    """voxels [B, V] → (conditioning_tokens [B, 17, 64], image_embedding [B, 64])."""

    def __init__(self, voxels: int):
        super().__init__()
        self.voxels = voxels
        self.patches = (voxels + PATCH - 1) // PATCH
        self.embed = nn.Linear(PATCH, DIM)
        self.pos = nn.Parameter(torch.randn(1, self.patches, DIM) * 0.02)
        self.blocks = nn.ModuleList([nets.Block(DIM, heads=HEADS, mlp=2) for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(DIM)
        self.to_tokens = nn.Conv1d(self.patches, TOKENS, 1)   # Vis-Dec: Conv1d over the patch axis
        self.to_width = nn.Linear(DIM, WIDTH)
        self.to_embedding = nn.Linear(DIM, EMBED)

    def patchify(self, voxels):
        pad = self.patches * PATCH - self.voxels
        return F.pad(voxels, (0, pad)).reshape(voxels.shape[0], self.patches, PATCH)

    def encode(self, patches, keep=None):
        x = self.embed(patches) + self.pos
        if keep is not None:
            x = torch.gather(x, 1, keep[:, :, None].expand(-1, -1, DIM))
        for b in self.blocks:
            x = b(x)
        return self.norm(x)

    def forward(self, voxels):
        h = self.encode(self.patchify(voxels))
        tokens = self.to_width(self.to_tokens(h))
        return tokens, self.to_embedding(h.mean(1))


class MaeDecoder(nn.Module):
    def __init__(self, patches: int, dim: int = 32):
        super().__init__()
        self.inp = nn.Linear(DIM, dim)
        self.mask = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, patches, dim) * 0.02)
        self.block = nets.Block(dim, heads=2, mlp=2)
        self.out = nn.Linear(dim, PATCH)

    def forward(self, h, keep, patches):
        b = h.shape[0]
        x = self.mask.expand(b, patches, -1).clone()
        x.scatter_(1, keep[:, :, None].expand(-1, -1, x.shape[2]), self.inp(h))
        return self.out(self.block(x + self.pos))


def onnx_weights(path: Path) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}


def rebuild(module: nn.Module, path: Path, args: tuple, inputs: list[str], outputs: list[str], axes: dict) -> nn.Module:
    """Loads a shipped ONNX graph's weights into `module` (same architecture): exports the module with unique random
    weights, maps each exported initializer to the parameter it came from (as is, transposed or reshaped), copies the
    shipped values over, then re-exports and requires every initializer to equal the shipped graph's bit for bit."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    params = dict(module.named_parameters())
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / "probe.onnx"
        onnx_export(module, args, probe, inputs, outputs, axes)
        fresh = onnx_weights(probe)
    shipped = onnx_weights(path)
    assert set(fresh) == set(shipped), f"{path}: initializer names differ from the rebuilt architecture's"
    mapped = set()
    with torch.no_grad():
        for name, value in fresh.items():
            hits = []
            for pname, p in params.items():
                a = p.detach().numpy()
                if value.shape == a.shape and np.array_equal(value, a):
                    hits.append((pname, lambda s: s))
                elif value.ndim == 2 and value.shape == a.T.shape and np.array_equal(value, a.T):
                    hits.append((pname, lambda s: s.T))
                elif value.size == a.size and value.shape != a.shape and np.array_equal(value.ravel(), a.ravel()):
                    hits.append((pname, lambda s, shape=a.shape: s.reshape(shape)))
            if not hits:
                assert np.array_equal(value, shipped[name]), f"{path}: constant {name} differs"
                continue
            assert len(hits) == 1, f"{path}: {name} matches {[h[0] for h in hits]}"
            pname, back = hits[0]
            params[pname].copy_(torch.from_numpy(np.ascontiguousarray(back(shipped[name]))))
            mapped.add(pname)
    missing = set(params) - mapped
    assert not missing, f"{path}: parameters not in the graph: {sorted(missing)}"
    with tempfile.TemporaryDirectory() as scratch:
        again = Path(scratch) / "again.onnx"
        onnx_export(module, args, again, inputs, outputs, axes)
        for name, value in onnx_weights(again).items():
            assert np.array_equal(value, shipped[name]), f"{path}: {name} does not round-trip"
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    print(f"rebuilt {path} ({len(mapped)} parameters, every initializer equal)", flush=True)
    return module


def pretrain(model: VisDecEncoder, voxels: np.ndarray, epochs: int, g: torch.Generator, t0: float, ratio: float = 0.75):
    dec = MaeDecoder(model.patches)
    size = 256
    update = stages.optimiser(list(model.parameters()) + list(dec.parameters()), 1e-3, 0.05, epochs * ((len(voxels) + size - 1) // size), 0.05)
    X = torch.from_numpy(voxels)
    n, kept = model.patches, int(model.patches * (1 - ratio))
    for ep in range(epochs):
        tot = 0.0
        for idx in stages.batches(len(X), size, g):
            p = model.patchify(X[idx])
            order = torch.argsort(torch.rand(len(idx), n, generator=g), dim=1)
            keep, masked = order[:, :kept], order[:, kept:]
            rec = dec(model.encode(p, keep), keep, n)
            pick = masked[:, :, None].expand(-1, -1, PATCH)
            loss = F.mse_loss(torch.gather(rec, 1, pick), torch.gather(p, 1, pick))
            tot += update(loss) * len(idx)
        stages.log(f"visdec MAE epoch {ep + 1}/{epochs} masked-patch MSE {tot / len(X):.4f}", t0)


def finetune(model: VisDecEncoder, unet, voxels: np.ndarray, latents: np.ndarray, embeds: np.ndarray, epochs: int,
             g: torch.Generator, t0: float, embed_weight: float = 0.5):
    ac = alphas_cumprod()
    size = 128
    update = stages.optimiser(model.parameters(), 1e-3, 0.05, epochs * ((len(voxels) + size - 1) // size), 0.05)
    X, Z, E = torch.from_numpy(voxels), torch.from_numpy(latents), F.normalize(torch.from_numpy(embeds), dim=-1)
    for ep in range(epochs):
        tot_d = tot_e = 0.0
        for idx in stages.batches(len(X), size, g):
            tokens, emb = model(X[idx])
            x0 = Z[idx]
            noise = torch.randn(x0.shape, generator=g)
            t = torch.randint(0, 1000, (len(idx),), generator=g)
            a = ac[t].reshape(-1, 1, 1, 1)
            pred = unet(a.sqrt() * x0 + (1 - a).sqrt() * noise, t.float(), tokens)
            diffusion = F.mse_loss(pred, noise)
            cosine = 1 - (F.normalize(emb, dim=-1) * E[idx]).sum(-1).mean()
            update(diffusion + embed_weight * cosine)
            tot_d += float(diffusion) * len(idx)
            tot_e += float(cosine) * len(idx)
        stages.log(f"visdec fine-tune epoch {ep + 1}/{epochs} diffusion MSE {tot_d / len(X):.4f} embedding 1-cos {tot_e / len(X):.4f}", t0)


@torch.no_grad()
def diffusion_loss(unet, tokens: torch.Tensor, latents: np.ndarray, seed: int) -> float:
    """The epsilon MSE of the frozen UNet on held-out latents with the given context, fixed noise and timesteps."""
    g = torch.Generator().manual_seed(seed)
    ac = alphas_cumprod()
    x0 = torch.from_numpy(latents)
    noise = torch.randn(x0.shape, generator=g)
    t = torch.randint(0, 1000, (len(x0),), generator=g)
    a = ac[t].reshape(-1, 1, 1, 1)
    return float(F.mse_loss(unet(a.sqrt() * x0 + (1 - a).sqrt() * noise, t.float(), tokens), noise))


def top1(queries: np.ndarray, keys: np.ndarray, truth: np.ndarray) -> float:
    """Share of trials whose nearest image embedding (cosine, among the distinct validation images) is their image's."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    k = keys / np.linalg.norm(keys, axis=1, keepdims=True)
    return float(np.mean(np.argmax(q @ k.T, 1) == truth))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", default="artifacts/nsd-world")
    p.add_argument("--rois", default="samples/data/nsd-mini")
    p.add_argument("--bundle", default="models/demo")
    p.add_argument("--seed", type=int, default=21)
    p.add_argument("--mae-epochs", type=int, default=2)
    p.add_argument("--finetune-epochs", type=int, default=1)
    p.add_argument("--metrics", default="models/forge/visdec-metrics.json")
    p.add_argument("--cache", default="artifacts/visdec-targets.npz",
                   help="the demo VAE latents and image embeddings of all images (computed once; delete to recompute)")
    a = p.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    bundle = Path(a.bundle)
    w = data.load(a.world, a.rois, seed=7)                      # models.forge.train's split
    rows = w.trials_of(w.train_ids)
    val_rows = w.trials_of(w.val_ids)
    stages.log(f"visdec: {len(rows)} training trials, {len(val_rows)} validation trials, {w.betas.shape[1]} voxels", t0)

    unet = rebuild(nets.UNet(ctx_dim=WIDTH), bundle / "unet/model.onnx",
                   (torch.zeros(2, 4, 8, 8), torch.tensor(500.0), torch.zeros(2, 8, WIDTH)),
                   ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                   {"sample": {0: "batch"}, "encoder_hidden_states": {0: "batch", 1: "sequence"}, "out_sample": {0: "batch"}})
    vae = rebuild(nets.VaeEncoder(), bundle / "vae_encoder/model.onnx", (torch.zeros(1, 3, 64, 64),), ["sample"], ["latent_parameters"],
                  {"sample": {0: "batch"}, "latent_parameters": {0: "batch"}})
    clip = rebuild(nets.ClipImage(), bundle / "image_encoder/model.onnx", (torch.zeros(1, 3, 64, 64),), ["pixel_values"],
                   ["image_embeds", "last_hidden_state"],
                   {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}, "last_hidden_state": {0: "batch"}})
    scaling = json.loads((bundle / "vae_decoder/config.json").read_text())["scaling_factor"]
    cache = Path(a.cache)
    if cache.exists():
        with np.load(cache) as f:
            latents, embeds = f["latents"], f["embeds"]
    else:
        with torch.no_grad():
            latents = stages.vae_latents(vae, data.to_vae(w.images)) * scaling
            embeds, _ = stages.clip_image(clip, data.to_clip(w.images))
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, latents=latents, embeds=embeds)
    stages.log("visdec: demo VAE latents and image embeddings of all images", t0)

    g = stages.seed_all(a.seed)
    model = VisDecEncoder(w.betas.shape[1])
    pretrain(model, w.betas[rows], a.mae_epochs, g, t0)
    torch.save(model.state_dict(), Path(a.cache).with_name("visdec-pretrained.pt"))   # the MAE stage, for inspection
    val_x = torch.from_numpy(w.betas[val_rows])
    val_lat = latents[w.trial_ids[val_rows]]
    zeros = torch.zeros(len(val_rows), TOKENS, WIDTH)
    finetune(model, unet, w.betas[rows], latents[w.trial_ids[rows]], embeds[w.trial_ids[rows]], a.finetune_epochs, g, t0)
    model.eval()
    with torch.no_grad():
        tokens, emb = model(val_x)
        shuffled = tokens[torch.randperm(len(tokens), generator=torch.Generator().manual_seed(1))]
    m = {"training_trials": int(len(rows)), "validation_trials": int(len(val_rows)), "mae_epochs": a.mae_epochs,
         "finetune_epochs": a.finetune_epochs, "patch": PATCH, "tokens": TOKENS, "width": WIDTH,
         "validation_diffusion_mse": diffusion_loss(unet, tokens, val_lat, 0),
         "validation_diffusion_mse_shuffled_trials": diffusion_loss(unet, shuffled, val_lat, 0),
         "validation_diffusion_mse_zero_tokens": diffusion_loss(unet, zeros, val_lat, 0),
         "validation_embedding_top1": top1(emb.numpy(), embeds[w.val_ids], np.searchsorted(w.val_ids, w.trial_ids[val_rows])),
         "validation_embedding_top1_chance": 1 / len(w.val_ids),
         "seconds": round(time.time() - t0, 1)}
    stages.log(f"visdec: {m}", t0)

    out = bundle / "voxel_encoders/visdec.onnx"
    onnx_export(model, (torch.zeros(1, w.betas.shape[1]),), out, ["voxels"], ["conditioning_tokens", "image_embedding"],
                {"voxels": {0: "batch"}, "conditioning_tokens": {0: "batch"}, "image_embedding": {0: "batch"}})
    manifest_path = bundle / "fmri_decoder.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["voxel_encoders"] = [e for e in manifest["voxel_encoders"] if e["name"] != "visdec"] + [
        {"name": "visdec", "file": "voxel_encoders/visdec.onnx", "role": "conditioning_tokens", "input": "nsdgeneral"}]
    manifest["unconditional"]["conditioning_tokens"] = "zeros"
    manifest["pipelines"]["visdec"] = {"steps": 20, "guidance": 3.0, "samples": 4,
                                       "scheduler": {"_class_name": "PNDMScheduler", "skip_prk_steps": True}}
    manifest["files"]["voxel_encoders/visdec.onnx"] = sha256(out)
    manifest["files"] = dict(sorted(manifest["files"].items()))
    write_json(manifest_path, manifest)
    Path(a.metrics).write_text(json.dumps(m, indent=1) + "\n")
    stages.log(f"visdec: wrote {out} and {manifest_path}", t0)


if __name__ == "__main__":
    main()
