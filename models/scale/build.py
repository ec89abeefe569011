"""Builds full-size bundles with seeded random weights and the published layer shapes (models/scale/*.py), through the
repository's own export path (models/export: TorchScript ONNX export, weights above 2 GiB in one external-data file,
finish_bundle), for real-scale memory and speed checks (docs/real-models.md, "Real scale"). Nothing here is committed.

    /usr/bin/python3 -m models.scale.build [--out artifacts/scale] [--voxels 15724] [--only unet ...]

Writes the networks once under OUT/parts/, then two bundles that hard-link them (one copy on disk):
  OUT/caption   caption → img2img: SD 1.x UNet, SD VAE encoder + decoder, CLIP-L text encoder (77 tokens), ViT-L/14
                image encoder ('embeds', 768), MindEye's low-level encoder; the demo bundle's tiny captioner and its
                CLIP BPE vocabulary (a full BLIP is not built: captions only pick the text tokens, whose count, 77, is
                what costs; noted in docs/real-models.md)
  OUT/unclip    unCLIP: the same UNet and VAE, ViT-L/14 in MindEye's 'tokens' form (257 × 768, embeds 197,376),
                MindEye's voxel2clip (15,724 → 257 × 768) and low-level encoder; no prior
Every component is drawn from its own seed (SEEDS), so tests/perf/scale_side_by_side.py rebuilds the same weights in
PyTorch; OUT/parts/fingerprints.json records a checksum of each component's parameters to prove it.
Memory: about 3 × the largest component (the UNet, 3.4 GB) while tracing it; disk: about 11 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
SEEDS = {"unet": 1, "vae_encoder": 2, "vae_decoder": 3, "text_encoder": 4, "image_encoder": 5, "highlevel": 6, "lowlevel": 7}
PARTS = tuple(SEEDS)
SCALING = 0.18215
VAE_CONFIG = {"_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512], "in_channels": 3,
              "out_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32, "sample_size": 512,
              "scaling_factor": SCALING}
SCHEDULER = {"_class_name": "DDIMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
             "clip_sample": False, "num_train_timesteps": 1000, "prediction_type": "epsilon", "set_alpha_to_one": False,
             "steps_offset": 1, "timestep_spacing": "leading"}
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
IMAGE_PROCESSOR = {"crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True, "do_normalize": True,
                   "do_rescale": True, "do_resize": True, "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
                   "image_processor_type": "CLIPImageProcessor", "resample": 3, "rescale_factor": 1 / 255,
                   "size": {"shortest_edge": 224}}


def build(name: str, voxels: int, tiny: bool = False, fused: bool = True) -> torch.nn.Module:
    """The component `name` with its seeded random weights (the same on every call and machine with this torch);
    tiny: the same graphs with small widths and depths (token width 768 kept), to try the whole path in a minute;
    fused: the UNet's and the VAE's attention export as ONNX Runtime's MultiHeadAttention (the same weights and
    arithmetic; models/export/fused_attention.py), else as MatMul → Softmax → MatMul."""
    from . import clip_text, unet, vae, voxel
    from models.export.clip_vision_tower import ClipVisionTower

    torch.manual_seed(SEEDS[name])
    if tiny:
        make = {"unet": lambda: unet.UNet(channels=(32, 64, 64, 64), fused_attention=fused),
                "vae_encoder": lambda: vae.Encoder((32, 32, 32, 32), 1, fused), "vae_decoder": lambda: vae.Decoder((32, 32, 32, 32), 1, fused),
                "text_encoder": lambda: clip_text.ClipTextEncoder(layers=1),
                "image_encoder": lambda: ClipVisionTower(width=64, layers=1, heads=4),
                "highlevel": lambda: voxel.VoxelToClip(voxels, hidden=64, blocks=1),
                "lowlevel": lambda: voxel.VoxelToLatent(voxels, hidden=64, blocks=1)}
    else:
        make = {"unet": lambda: unet.UNet(fused_attention=fused), "vae_encoder": lambda: vae.Encoder(fused_attention=fused),
                "vae_decoder": lambda: vae.Decoder(fused_attention=fused), "text_encoder": clip_text.ClipTextEncoder,
                "image_encoder": ClipVisionTower, "highlevel": lambda: voxel.VoxelToClip(voxels), "lowlevel": lambda: voxel.VoxelToLatent(voxels)}
    return make[name]().eval()


def fingerprint(module: torch.nn.Module) -> list[float]:
    """Sum and sum of squares of every parameter, float64: equal fingerprints = the same draw."""
    total = squares = 0.0
    for p in module.parameters():
        for chunk in p.detach().reshape(-1).split(1 << 22):      # float64 in 32 MB pieces, not a copy of lin1's 3.2 GB
            chunk = chunk.double()
            total += float(chunk.sum())
            squares += float(chunk.square().sum())
    return [total, squares]


def export_part(name: str, module: torch.nn.Module, parts: Path, voxels: int) -> None:
    from models.export.bundle_files import write_json
    from models.export.onnx_export import export
    from models.export.stable_diffusion import export_unet_module

    batch_hw = {0: "batch", 2: "height", 3: "width"}
    if name == "unet":
        export_unet_module(module, parts, normalize=False, dtype=torch.float32, device="cpu", tokens=77)
        write_json(parts / "unet" / "config.json", vars(module.config))
    elif name == "vae_encoder":
        export(module, (torch.rand(1, 3, 256, 256) * 2 - 1,), parts / name / "model.onnx", ["sample"], ["latent_parameters"],
               {"sample": batch_hw, "latent_parameters": batch_hw})
        write_json(parts / name / "config.json", VAE_CONFIG)
    elif name == "vae_decoder":
        export(module, (torch.randn(1, 4, 32, 32),), parts / name / "model.onnx", ["latent_sample"], ["sample"],
               {"latent_sample": batch_hw, "sample": batch_hw})
        write_json(parts / name / "config.json", VAE_CONFIG)
    elif name == "text_encoder":
        ids = torch.randint(0, 600, (1, 77))
        export(module, (ids,), parts / name / "model.onnx", ["input_ids"], ["last_hidden_state", "pooler_output"],
               {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}})
        write_json(parts / name / "config.json", dict(module.config, bos_token_id=613, eos_token_id=614, pad_token_id=614))
    elif name == "image_encoder":
        from .vision import VisionEncoder

        pixels = torch.rand(1, 3, 224, 224)
        for mode, outputs in (("embeds", ["image_embeds"]), ("tokens", ["last_hidden_state", "image_embeds"])):
            folder = parts / f"image_encoder_{mode}"
            export(VisionEncoder(module, mode), (pixels,), folder / "model.onnx", ["pixel_values"], outputs,
                   {"pixel_values": {0: "batch"}, **{o: {0: "batch"} for o in outputs}})
            write_json(folder / "config.json", {"architectures": ["CLIPVisionModelWithProjection"], "hidden_size": 1024, "image_size": 224,
                                                "patch_size": 14, "num_hidden_layers": 24, "num_attention_heads": 16,
                                                "projection_dim": 768, "tokens": 257, "mode": mode})
            write_json(folder / "preprocessor_config.json", IMAGE_PROCESSOR)
    elif name == "highlevel":
        export(module, (torch.randn(1, voxels),), parts / "voxel_encoders" / "highlevel.onnx", ["voxels"], ["image_tokens", "image_embedding"],
               {"voxels": {0: "batch"}, "image_tokens": {0: "batch"}, "image_embedding": {0: "batch"}})
    elif name == "lowlevel":
        export(module, (torch.randn(1, voxels),), parts / "voxel_encoders" / "lowlevel.onnx", ["voxels"], ["latent"],
               {"voxels": {0: "batch"}, "latent": {0: "batch"}})


def link_tree(source: Path, target: Path) -> None:
    """Hard-links every file of source under target (one copy of the weights on disk for both bundles)."""
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                dest.unlink()
            os.link(path, dest)


def assemble(out: Path, parts: Path, voxels: int) -> None:
    from models.export import finish_bundle
    from models.export.bundle_files import add_entries, write_json

    demo = REPO / "models" / "demo"
    for kind in ("caption", "unclip"):
        bundle = out / kind
        if bundle.exists():
            shutil.rmtree(bundle)
        for folder in ("unet", "vae_decoder", "vae_encoder"):
            link_tree(parts / folder, bundle / folder)
        write_json(bundle / "scheduler" / "scheduler_config.json", SCHEDULER)
        mode = "embeds" if kind == "caption" else "tokens"
        link_tree(parts / f"image_encoder_{mode}", bundle / "image_encoder")
        bundle.joinpath("voxel_encoders").mkdir(parents=True, exist_ok=True)
        os.link(parts / "voxel_encoders" / "lowlevel.onnx", bundle / "voxel_encoders" / "lowlevel.onnx")
        entries = [{"name": "lowlevel", "file": "voxel_encoders/lowlevel.onnx", "role": "vae_latent", "input": "nsdgeneral"}]
        if kind == "caption":
            link_tree(parts / "text_encoder", bundle / "text_encoder")
            shutil.copytree(demo / "captioner", bundle / "captioner")
            # The demo's captioner sees the demo's 64² images as they are; here it gets 512² images, resized to its 64².
            processor = json.loads((demo / "captioner" / "preprocessor_config.json").read_text())
            write_json(bundle / "captioner" / "preprocessor_config.json", dict(processor, do_resize=True))
            (bundle / "tokenizer").mkdir()
            for file in ("vocab.json", "merges.txt", "special_tokens_map.json"):
                shutil.copyfile(demo / "tokenizer" / file, bundle / "tokenizer" / file)
            config = json.loads((demo / "tokenizer" / "tokenizer_config.json").read_text())
            write_json(bundle / "tokenizer" / "tokenizer_config.json", dict(config, model_max_length=77))
            settings = ["caption_img2img.steps=20", "caption_img2img.strength=0.75", "caption_img2img.guidance=6", "caption_img2img.samples=1"]
        else:
            for file in ("highlevel.onnx", "highlevel.onnx.data"):
                if (parts / "voxel_encoders" / file).exists():
                    os.link(parts / "voxel_encoders" / file, bundle / "voxel_encoders" / file)
            entries.append({"name": "highlevel", "file": "voxel_encoders/highlevel.onnx", "role": "image_tokens", "input": "nsdgeneral"})
            settings = ["unclip.steps=20", "unclip.strength=0.85", "unclip.guidance=3.5", "unclip.samples=1"]
        add_entries(bundle, entries)
        started = time.time()
        finish_bundle.main(["--bundle", str(bundle), "--subject", "subj01", "--voxel-count", str(voxels),
                            "--voxel-order", "random stand-in: any 15,724-vector", *sum((["--set", s] for s in settings), [])])
        print(f"{bundle}: finished in {time.time() - started:.0f} s")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=REPO / "artifacts" / "scale")
    p.add_argument("--voxels", type=int, default=15724, help="subj01's nsdgeneral voxel count")
    p.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), help="components to (re-)export")
    p.add_argument("--skip-export", action="store_true", help="only assemble the two bundles from OUT/parts")
    p.add_argument("--tiny", action="store_true", help="small widths and depths (a minute's check of the whole path, not real scale)")
    p.add_argument("--attention", choices=["fused", "plain"], default="fused",
                   help="UNet and VAE attention as ONNX Runtime's MultiHeadAttention (default) or as MatMul/Softmax/MatMul")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    parts = args.out / "parts"
    prints_path = parts / "fingerprints.json"
    prints = json.loads(prints_path.read_text()) if prints_path.exists() else {}
    prints["tiny"] = args.tiny
    for name in ([] if args.skip_export else args.only):
        started = time.time()
        module = build(name, args.voxels, args.tiny, args.attention == "fused")
        count = sum(p.numel() for p in module.parameters())
        prints[name] = {"seed": SEEDS[name], "parameters": count, "fingerprint": fingerprint(module)}
        if name in ("unet", "vae_encoder", "vae_decoder"):
            prints[name]["attention"] = args.attention
        with torch.no_grad():
            export_part(name, module, parts, args.voxels)
        prints[name]["export_seconds"] = round(time.time() - started, 1)
        print(f"{name}: {count / 1e6:.1f} M parameters, exported in {time.time() - started:.0f} s")
        del module
        parts.mkdir(parents=True, exist_ok=True)
        prints_path.write_text(json.dumps(prints, indent=2) + "\n")
    assemble(args.out, parts, args.voxels)


if __name__ == "__main__":
    main()
