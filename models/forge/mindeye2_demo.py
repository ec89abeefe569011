"""The MindEye2 demo bundle (issue 20): models/demo-mindeye2, the demo UNet with SDXL-style added conditions.

    /usr/bin/python3 -m models.forge.mindeye2_demo                 # writes models/demo-mindeye2 and models/forge/mindeye2-metrics.json
    /usr/bin/python3 -m models.forge.mindeye2_demo --check         # regenerates into a temp folder, compares every sha256

What it does (one CPU thread; no training cache or simulated world is needed; measured 14.3 min on the shared 2-core VM
at load average 9-14: 8.6 for the targets, 5.6 for the 160 fine-tuning steps, with the stimuli cached (2 min more)):
1. Renders the demo world's 3,000 stimuli and captions (models.forge.stimuli, default WorldConfig; cached in
   --stimuli) and takes models.forge.train's split (300 shared test images, 200 validation images, seed 7).
2. Rebuilds the demo UNet, VAE encoder, image encoder and text encoder in PyTorch from models/demo's ONNX files
   (models.forge.zoo.visdec.rebuild: every weight checked bit for bit by re-exporting) and computes the targets:
   scaled VAE latents, image tokens, caption tokens and pooled caption embeddings (`text_embeds`).
3. Adds diffusers' "text_time" branch (models.forge.zoo.text_time: pooled caption ‖ Fourier features of the six SDXL
   time ids → MLP → added to the time embedding; last layer zero, so it starts as the demo UNet) and fine-tunes the
   whole UNet on the training images with the demo UNet's objective (epsilon, the scaled-linear 0.00085 → 0.012
   schedule, half caption / half image-token conditioning, 15 % dropped), the branch at a 10× larger learning rate.
   SDXL-style micro-conditioning: half of the samples are a random 64×64 crop of the image upscaled to S×S (S in
   72…96), with time ids [S, S, top, left, 64, 64]; the others [64, 64, 0, 0, 64, 64] (the ids the library feeds from
   pipelines.mindeye2). Unlike SDXL, whose original_size is the source photo's size, S is the upscaled size: the ids
   here are a zoom-and-crop code, self-consistent between training and inference.
   The pooled caption is the caption half's `text_embeds` (the empty caption's when dropped); the image-token half
   gets the empty caption's, as the library's unCLIP stage gives.
4. Writes the bundle: the new unet/model.onnx (inputs sample, timestep, encoder_hidden_states, text_embeds [B, 64],
   time_ids [B, 6]) and unet/config.json (addition_embed_type "text_time", addition_time_embed_dim 8,
   projection_class_embeddings_input_dim 112), a `SgmEulerEDMScheduler` config (MindEye2's sampler: sgm's
   EulerEDMSampler over the LegacyDDPM discretisation, which is this UNet's training schedule), the other diffusion-side
   files and the subj01 brain side (highlevel, lowlevel_all) copied unchanged from models/demo, fmri_decoder.json with
   `pipelines.mindeye2` (MindEye2's 38 steps, CFG 5, refinement 25 steps / strength 0.52 / CFG 5, blend 0.75) and
   every file's sha256.

The sgm sampler's training objective for a DiscreteDenoiser with EpsScaling is the DDPM epsilon loss at a uniformly
drawn training timestep (x_t = x0 + σ_t·ε seen through c_in = 1/√(σ_t² + 1) is √ᾱ_t·x0 + √(1 − ᾱ_t)·ε), so the
fine-tuning below is the same objective the sampler assumes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..export.bundle_files import sha256, write_json
from ..export.onnx_export import export as onnx_export
from . import stimuli
from .config import WorldConfig
from .experiment import test_ids
from .train import TEXT_LENGTH
from .zoo import data, nets, stages
from .zoo.onnx_eval import Graph
from .zoo.sampling import alphas_cumprod
from .zoo.text_time import TextTimeUNet
from .zoo.tokenizers import Bpe
from .zoo.visdec import rebuild

SEED = 20
WIDTH, POOLED, TIME_IDS, TIME_DIM = 64, 64, 6, 8
# Copied unchanged from models/demo (the brain side: subj01's high-level encoder and first low-level encoder).
COPIED = ["captioner/config.json", "captioner/decoder.onnx", "captioner/preprocessor_config.json",
          "captioner/tokenizer_config.json", "captioner/vision.onnx", "captioner/vocab.txt",
          "image_encoder/config.json", "image_encoder/model.onnx", "image_encoder/preprocessor_config.json",
          "masks/nsdgeneral.nii.gz", "text_encoder/config.json", "text_encoder/model.onnx",
          "tokenizer/merges.txt", "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json", "tokenizer/vocab.json",
          "vae_decoder/config.json", "vae_decoder/model.onnx", "vae_encoder/config.json", "vae_encoder/model.onnx",
          "voxel_encoders/highlevel.onnx", "voxel_encoders/lowlevel_all.onnx"]
MINDEYE2 = {"steps": 38, "guidance": 5.0, "samples": 4, "strength": 1.0, "refine": True, "refine_steps": 25,
            "refine_strength": 0.52, "refine_guidance": 5.0, "blend": True, "blend_weight": 0.75,
            "original_size": [64, 64], "crops_coords_top_left": [0, 0], "target_size": [64, 64]}
# The time ids the library feeds at inference (from pipelines.mindeye2 above): the un-cropped half of training uses them.
DEFAULT_IDS = [float(v) for k in ("original_size", "crops_coords_top_left", "target_size") for v in MINDEYE2[k]]


def scheduler_config() -> dict:
    """MindEye2's sampler over the demo UNet's own training schedule (models/demo's scheduler config, not restated)."""
    demo = json.loads((Path(__file__).resolve().parents[1] / "demo" / "scheduler" / "scheduler_config.json").read_text())
    if demo["beta_schedule"] != "scaled_linear" or demo["prediction_type"] != "epsilon":
        raise SystemExit("models/demo's schedule is no longer scaled-linear epsilon; LegacyDDPMDiscretization would not match it")
    return {"_class_name": "SgmEulerEDMScheduler", "num_train_timesteps": demo["num_train_timesteps"],
            "linear_start": demo["beta_start"], "linear_end": demo["beta_end"], "prediction_type": "epsilon",
            "_source": "MindEye2 unclip6.yaml: EulerEDMSampler, LegacyDDPMDiscretization, DiscreteDenoiser with EpsScaling"}


def world(cache: Path, expected_sha256: str | None = None) -> tuple[np.ndarray, list[str]]:
    """The 3,000 stimuli (uint8 [N, 64, 64, 3]) and captions, rendered once and cached; a cache whose images do not
    hash to the recorded run's (a stale world) is rendered again."""
    if cache.exists():
        with np.load(cache) as f:
            images, captions = f["images"], [str(c) for c in f["captions"]]
        if expected_sha256 is None or hashlib.sha256(images.tobytes()).hexdigest() == expected_sha256:
            return images, captions
        print(f"{cache}: cached stimuli differ from the recorded run's; rendering them again")
    cfg = WorldConfig()
    scenes = [stimuli.sample_scene(cfg, i) for i in range(cfg.n_images)]
    images, _ = stimuli.render_all(cfg, scenes)
    captions = [s.caption for s in scenes]
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, images=images, captions=np.array(captions))
    return images, captions


def split(n: int, seed: int = 7, n_val: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """models.forge.train's split (zoo/data.load with seed 7): test = the shared images, validation drawn from the rest."""
    test = test_ids(WorldConfig())
    rest = np.setdiff1d(np.arange(n), test)
    val = np.sort(np.random.default_rng(seed).choice(rest, n_val, replace=False))
    return np.setdiff1d(rest, val), val, test


def crops(images: np.ndarray, g: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per image: upscaled to S×S (S in 72…96, bilinear), a random 64×64 crop; returns the crops (VAE input) and their
    SDXL time ids [S, S, top, left, 64, 64]."""
    x = torch.from_numpy(data.to_vae(images))
    out, ids = torch.empty_like(x), np.zeros((len(x), TIME_IDS), np.float32)
    for k in range(len(x)):
        s = int(torch.randint(72, 97, (1,), generator=g))
        top, left = (int(v) for v in torch.randint(0, s - 63, (2,), generator=g))
        up = F.interpolate(x[k:k + 1], size=(s, s), mode="bilinear", align_corners=False)
        out[k] = up[0, :, top:top + 64, left:left + 64]
        ids[k] = [s, s, top, left, 64, 64]
    return out.numpy(), ids


def noised(x0: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ac = alphas_cumprod()
    noise = torch.randn(x0.shape, generator=g)
    t = torch.randint(0, 1000, (len(x0),), generator=g)
    a = ac[t].reshape(-1, 1, 1, 1)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise, t.float(), noise


def finetune(model: TextTimeUNet, t: dict, train: np.ndarray, seconds: float, epochs: int, g: torch.Generator, t0: float,
             drop: float = 0.15) -> dict:
    size = 128
    steps = epochs * ((len(train) + size - 1) // size)
    branch = list(model.add_embedding.parameters())
    base = list(model.base.parameters())
    for p in base:
        p.requires_grad_(True)
    opt = torch.optim.AdamW([{"params": base, "lr": 1e-4}, {"params": branch, "lr": 1e-3}], weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, [1e-4, 1e-3], total_steps=steps, pct_start=0.05)
    lat, crop_lat, crop_ids = map(torch.from_numpy, (t["latents"], t["crop_latents"], t["crop_ids"]))
    txt, pooled, img = map(torch.from_numpy, (t["text_tokens"], t["text_pooled"], t["image_tokens"]))
    empty_tok, empty_pool = torch.from_numpy(t["empty_tokens"]), torch.from_numpy(t["empty_pooled"])
    default_ids = torch.tensor(DEFAULT_IDS)
    train_t = torch.from_numpy(train)
    model.train()
    start = time.time()
    done, losses = 0, []
    for ep in range(epochs):
        tot = 0.0
        for idx in stages.batches(len(train), size, g):
            ids = train_t[idx]
            n = len(ids)
            use_crop = torch.rand(n, generator=g) < 0.5
            pos = torch.from_numpy(np.searchsorted(train, ids.numpy()))
            x0 = torch.where(use_crop[:, None, None, None], crop_lat[pos], lat[ids])
            tid = torch.where(use_crop[:, None], crop_ids[pos], default_ids.expand(n, -1))
            xt, tt, noise = noised(x0, g)
            half = n // 2
            keep = (torch.rand(n, generator=g) >= drop).float()
            k3, k2 = keep.reshape(-1, 1, 1), keep.reshape(-1, 1)
            ctx_text = txt[ids[:half]] * k3[:half] + empty_tok * (1 - k3[:half])
            pool_text = pooled[ids[:half]] * k2[:half] + empty_pool * (1 - k2[:half])
            ctx_img = img[ids[half:]] * k3[half:]
            pool_img = empty_pool.expand(n - half, -1)
            pred = torch.cat([model(xt[:half], tt[:half], ctx_text, pool_text, tid[:half]),
                              model(xt[half:], tt[half:], ctx_img, pool_img, tid[half:])])
            loss = F.mse_loss(pred, noise)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            done += 1
            tot += loss.item() * n
            if time.time() - start > seconds:
                break
        losses.append(tot / len(train))
        stages.log(f"text_time unet epoch {ep + 1}/{epochs} loss {losses[-1]:.4f} ({done}/{steps} steps)", t0)
        if time.time() - start > seconds:
            stages.log(f"time budget of {seconds:.0f} s reached after {done} steps", t0)
            break
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return {"epochs_planned": epochs, "steps_planned": steps, "steps_run": done, "epoch_losses": [round(v, 5) for v in losses]}


@torch.no_grad()
def validation(model: TextTimeUNet, t: dict, val: np.ndarray) -> dict:
    """Epsilon MSE on the validation images, fixed noise and timesteps (seed 0), per conditioning."""
    g = torch.Generator().manual_seed(0)
    ids = torch.from_numpy(val)
    n = len(ids)
    x0 = torch.from_numpy(t["latents"])[ids]
    cx0 = torch.from_numpy(t["val_crop_latents"])
    cids = torch.from_numpy(t["val_crop_ids"])
    xt, tt, noise = noised(x0, g)
    cxt, ctt, cnoise = noised(cx0, g)
    default = torch.tensor(DEFAULT_IDS).expand(n, -1)
    txt, pooled, img = (torch.from_numpy(t[k])[ids] for k in ("text_tokens", "text_pooled", "image_tokens"))
    empty = torch.from_numpy(t["empty_pooled"]).expand(n, -1)
    shuffled = pooled[torch.randperm(n, generator=torch.Generator().manual_seed(1))]

    def mse(x, tt_, ctx, pool, tid, target):
        return round(float(F.mse_loss(model(x, tt_, ctx, pool, tid), target)), 5)

    return {"image_tokens": mse(xt, tt, img, empty, default, noise),
            "caption_tokens_with_pooled": mse(xt, tt, txt, pooled, default, noise),
            "caption_tokens_with_other_trials_pooled": mse(xt, tt, txt, shuffled, default, noise),
            "caption_tokens_with_empty_pooled": mse(xt, tt, txt, empty, default, noise),
            "crops_with_their_time_ids": mse(cxt, ctt, img, empty, cids, cnoise),
            "crops_with_default_time_ids": mse(cxt, ctt, img, empty, default, cnoise)}


def targets(bundle: Path, images: np.ndarray, captions: list[str], train: np.ndarray, val: np.ndarray, seed: int, t0: float):
    """Rebuilds the demo's networks and computes every training target; returns (base UNet, targets)."""
    bpe = Bpe.train([captions[i] for i in train])
    vocab = json.loads((bundle / "tokenizer/vocab.json").read_text(encoding="utf-8"))
    assert bpe.vocab == vocab, "the BPE trained on the training captions differs from models/demo/tokenizer"
    B = "batch"
    unet = rebuild(nets.UNet(ctx_dim=WIDTH), bundle / "unet/model.onnx",
                   (torch.zeros(2, 4, 8, 8), torch.tensor(500.0), torch.zeros(2, 8, WIDTH)),
                   ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                   {"sample": {0: B}, "encoder_hidden_states": {0: B, 1: "sequence"}, "out_sample": {0: B}})
    vae = rebuild(nets.VaeEncoder(), bundle / "vae_encoder/model.onnx", (torch.zeros(1, 3, 64, 64),), ["sample"], ["latent_parameters"],
                  {"sample": {0: B}, "latent_parameters": {0: B}})
    clip = rebuild(nets.ClipImage(), bundle / "image_encoder/model.onnx", (torch.zeros(1, 3, 64, 64),), ["pixel_values"],
                   ["image_embeds", "last_hidden_state"], {"pixel_values": {0: B}, "image_embeds": {0: B}, "last_hidden_state": {0: B}})
    text = rebuild(nets.ClipText(len(bpe.vocab), bpe.eos, TEXT_LENGTH), bundle / "text_encoder/model.onnx",
                   (torch.zeros(1, TEXT_LENGTH, dtype=torch.int64),), ["input_ids"], ["last_hidden_state", "text_embeds"],
                   {"input_ids": {0: B, 1: "sequence"}, "last_hidden_state": {0: B, 1: "sequence"}, "text_embeds": {0: B}})
    scaling = json.loads((bundle / "vae_decoder/config.json").read_text())["scaling_factor"]
    g = torch.Generator().manual_seed(seed + 1)
    crop_x, crop_ids = crops(images[train], g)
    val_crop_x, val_crop_ids = crops(images[val], g)
    ids = np.array([bpe.encode(c, TEXT_LENGTH) for c in captions], np.int64)
    with torch.no_grad():
        t = {"latents": stages.vae_latents(vae, data.to_vae(images)) * scaling,
             "crop_latents": stages.vae_latents(vae, crop_x) * scaling, "crop_ids": crop_ids,
             "val_crop_latents": stages.vae_latents(vae, val_crop_x) * scaling, "val_crop_ids": val_crop_ids}
        _, t["image_tokens"] = stages.clip_image(clip, data.to_clip(images))
        t["text_tokens"], t["text_pooled"] = stages.clip_text(text, ids)
        t["empty_tokens"], t["empty_pooled"] = stages.clip_text(text, np.array([bpe.encode("", TEXT_LENGTH)], np.int64))
    stages.log("targets: latents (and crops), image tokens, caption tokens and pooled embeddings", t0)
    return unet, t


def export_unet(model: TextTimeUNet, out: Path, demo: Path) -> None:
    B = "batch"
    onnx_export(model, (torch.zeros(2, 4, 8, 8), torch.tensor(500.0), torch.zeros(2, 17, WIDTH), torch.zeros(2, POOLED),
                        torch.tensor([DEFAULT_IDS, DEFAULT_IDS])),
                out / "unet/model.onnx", ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"], ["out_sample"],
                {"sample": {0: B}, "encoder_hidden_states": {0: B, 1: "sequence"}, "text_embeds": {0: B}, "time_ids": {0: B},
                 "out_sample": {0: B}})
    config = json.loads((demo / "unet/config.json").read_text())
    added = ("; text_embeds = the caption's pooled text_encoder text_embeds (the empty caption's unconditionally and on the "
             "image-token path), time_ids = SDXL's [original height, width, crop top, left, target height, width]")
    config.update({"addition_embed_type": "text_time", "addition_time_embed_dim": TIME_DIM,
                   "projection_class_embeddings_input_dim": model.projection, "conditioning": config["conditioning"] + added})
    write_json(out / "unet/config.json", config)


@torch.no_grad()
def verify_unet(model: TextTimeUNet, path: Path) -> float:
    """The exported graph run by the forge's ONNX interpreter against the PyTorch module on random inputs (three
    batches of time ids: two crops and the default); returns the largest difference, refused above 1e-4."""
    g = torch.Generator().manual_seed(0)
    x, ctx, pooled = torch.randn(3, 4, 8, 8, generator=g), torch.randn(3, 17, WIDTH, generator=g), torch.randn(3, POOLED, generator=g)
    ids = torch.tensor([[80.0, 80, 5, 9, 64, 64], DEFAULT_IDS, [96.0, 96, 30, 1, 64, 64]])
    expected = model(x, torch.tensor(321.0), ctx, pooled, ids).numpy()
    got = Graph(path)(sample=x.numpy(), timestep=np.array(321.0, np.float32), encoder_hidden_states=ctx.numpy(),
                      text_embeds=pooled.numpy(), time_ids=ids.numpy())["out_sample"]
    worst = float(np.abs(got - expected).max())
    assert worst < 1e-4, f"{path}: the exported graph differs from the module by {worst}"
    return worst


def write_bundle(out: Path, demo: Path, model: TextTimeUNet) -> None:
    for rel in COPIED:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demo / rel, out / rel)
    export_unet(model, out, demo)
    write_json(out / "scheduler/scheduler_config.json", scheduler_config())
    index = json.loads((demo / "model_index.json").read_text())
    index["scheduler"] = ["fmri_to_image", "SgmEulerEDMScheduler"]
    write_json(out / "model_index.json", index)
    shutil.copyfile(Path(__file__).with_name("mindeye2-bundle-README.md"), out / "README.md")
    manifest = json.loads((demo / "fmri_decoder.json").read_text())
    manifest["voxel_encoders"] = [e for e in manifest["voxel_encoders"] if e["name"] in ("highlevel", "lowlevel_all")]
    manifest["masks"] = {"nsdgeneral": "masks/nsdgeneral.nii.gz"}
    manifest["unconditional"].pop("conditioning_tokens", None)
    pipelines = manifest["pipelines"]
    manifest["pipelines"] = {"mindeye2": MINDEYE2, "unclip": pipelines["unclip"], "caption_img2img": pipelines["caption_img2img"]}
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != "fmri_decoder.json")
    manifest["files"] = {rel: sha256(out / rel) for rel in files}
    write_json(out / "fmri_decoder.json", manifest)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--demo", default="models/demo", type=Path)
    p.add_argument("--out", default="models/demo-mindeye2", type=Path)
    p.add_argument("--metrics", default="models/forge/mindeye2-metrics.json", type=Path)
    p.add_argument("--stimuli", default="artifacts/stimuli.npz", type=Path, help="cache of the rendered stimuli and captions")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seconds", type=float, default=float("inf"),
                   help="stop fine-tuning after this many seconds of it (for a smoke run; the result then depends on the machine)")
    p.add_argument("--check", action="store_true", help="regenerate into a temp folder and compare every sha256 with --out's")
    a = p.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    recorded = json.loads(a.metrics.read_text()).get("stimuli_sha256") if a.metrics.exists() else None
    images, captions = world(a.stimuli, recorded)
    train, val, test = split(len(images))
    stages.log(f"stimuli: {len(train)} train / {len(val)} validation / {len(test)} test images", t0)
    base, t = targets(a.demo, images, captions, train, val, SEED, t0)
    g = stages.seed_all(SEED)
    model = TextTimeUNet(base, POOLED, TIME_IDS, TIME_DIM)
    before = validation(model, t, val)
    stages.log(f"validation epsilon MSE before: {before}", t0)
    run = finetune(model, t, train, a.seconds, a.epochs, g, t0)
    after = validation(model, t, val)
    stages.log(f"validation epsilon MSE after: {after}", t0)
    out = Path(tempfile.mkdtemp()) if a.check else a.out
    if out.exists() and not a.check:
        shutil.rmtree(out)
    write_bundle(out, a.demo, model)
    stages.log(f"unet/model.onnx against the module: max |difference| {verify_unet(model, out / 'unet/model.onnx'):.2e}", t0)
    if a.check:
        committed = json.loads((a.out / "fmri_decoder.json").read_text())["files"]
        fresh = json.loads((out / "fmri_decoder.json").read_text())["files"]
        differ = sorted(k for k in set(committed) | set(fresh) if committed.get(k) != fresh.get(k))
        print(f"--check: {len(fresh)} files, {len(differ)} differ: {differ}")
        shutil.rmtree(out)
        raise SystemExit(1 if differ else 0)
    metrics = {"seed": SEED, "training_images": int(len(train)), "validation_images": int(len(val)),
               "projection_class_embeddings_input_dim": model.projection, **run,
               "validation_epsilon_mse_before": before, "validation_epsilon_mse_after": after,
               "unet_sha256": sha256(out / "unet/model.onnx"),
               "stimuli_sha256": hashlib.sha256(images.tobytes()).hexdigest(), "seconds": round(time.time() - t0, 1)}
    a.metrics.write_text(json.dumps(metrics, indent=1) + "\n")
    stages.log(f"wrote {out} and {a.metrics}", t0)


if __name__ == "__main__":
    main()
