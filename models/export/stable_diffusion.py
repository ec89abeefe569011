"""Exports the diffusion side of a bundle from a diffusers checkpoint: tokenizer, text encoder, UNet, VAE encoder and
decoder, scheduler config (docs/real-models.md, docs/model-bundle.md).

Stable Diffusion 1.x for the caption -> img2img pipeline (text-conditioned UNet):
    python3 -m models.export.stable_diffusion --model stable-diffusion-v1-5/stable-diffusion-v1-5 --out bundles/subj01-caption

Versatile Diffusion's image-variation UNet for unCLIP (conditioned on 257 x 768 CLIP image tokens, as MindEye decodes):
    python3 -m models.export.stable_diffusion --model shi-labs/versatile-diffusion --unet-subfolder image_unet \\
        --components unet vae scheduler --normalize-image-tokens --out bundles/subj01-mindeye

Needs torch, diffusers, transformers and onnx (and onnxruntime to compare each graph with PyTorch); --model is a
Hugging Face id or a local folder in the diffusers layout.
"""
from __future__ import annotations

import argparse
from pathlib import Path

COMPONENTS = ("tokenizer", "text_encoder", "unet", "vae", "scheduler")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="diffusers checkpoint: a Hugging Face id or a local folder")
    p.add_argument("--revision", default=None, help="branch, tag or commit of --model")
    p.add_argument("--out", required=True, type=Path, help="the bundle folder to write into (created if absent)")
    p.add_argument("--components", nargs="+", choices=COMPONENTS, default=list(COMPONENTS), help="what to export (default: all)")
    p.add_argument("--unet-subfolder", default="unet", help="the UNet's subfolder: 'unet' (SD), 'image_unet' (Versatile Diffusion)")
    p.add_argument("--normalize-image-tokens", action="store_true",
                   help="divide encoder_hidden_states by the L2 norm of its first token inside the UNet graph (VD/MindEye "
                        "image tokens; makes the conditioning's scale irrelevant, zeros stay zeros)")
    p.add_argument("--fp16-unet", action="store_true", help="export the UNet in float16 (needs --device cuda); other graphs stay float32")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where to trace (default cpu; fp16 needs cuda)")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.fp16_unet and args.device != "cuda":
        raise SystemExit("--fp16-unet needs --device cuda (PyTorch's CPU kernels lack float16 convolutions)")
    import torch

    from .bundle_files import write_json

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    source = {"pretrained_model_name_or_path": args.model, "revision": args.revision}
    if "tokenizer" in args.components:
        export_tokenizer(source, out)
    if "text_encoder" in args.components:
        export_text_encoder(source, out, args.device)
    if "unet" in args.components:
        export_unet(source, out, args.unet_subfolder, args.normalize_image_tokens, torch.float16 if args.fp16_unet else torch.float32, args.device)
    if "vae" in args.components:
        export_vae(source, out, args.device)
    if "scheduler" in args.components:
        from diffusers import DDIMScheduler

        # Any diffusers scheduler config, recorded as DDIM: the library builds the class _class_name names, and
        # this export's defaults (docs/real-models.md) are DDIM's; the source's class is kept in _source_class_name.
        # Edit _class_name (e.g. "PNDMScheduler", SD 1.5's own) to sample with another supported scheduler.
        config = dict(DDIMScheduler.load_config(subfolder="scheduler", **source))
        config["_source_class_name"] = config.get("_class_name")
        config["_class_name"] = "DDIMScheduler"
        write_json(out / "scheduler" / "scheduler_config.json", config)
        print(f"wrote {out / 'scheduler' / 'scheduler_config.json'} (DDIM, from {config['_source_class_name']})")
    print(f"next: python3 -m models.export.finish_bundle --bundle {out} ...  (docs/real-models.md)")


def export_tokenizer(source: dict, out: Path) -> None:
    from transformers import CLIPTokenizer

    tokenizer = CLIPTokenizer.from_pretrained(subfolder="tokenizer", **source)
    tokenizer.save_pretrained(str(out / "tokenizer"))       # vocab.json, merges.txt, tokenizer/special-token configs
    print(f"wrote {out / 'tokenizer'} (CLIP BPE, {len(tokenizer)} tokens, context {tokenizer.model_max_length})")


def export_text_encoder(source: dict, out: Path, device: str) -> None:
    import torch
    from transformers import CLIPTextModel

    from .onnx_export import export, verify

    model = CLIPTextModel.from_pretrained(subfolder="text_encoder", **source).to(device).eval()

    class TextEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids):
            result = self.model(input_ids=input_ids, return_dict=True)
            return result.last_hidden_state, result.pooler_output

    graph = TextEncoder()
    length = model.config.max_position_embeddings
    ids = torch.randint(0, model.config.vocab_size, (1, length), dtype=torch.int64, device=device)
    path = out / "text_encoder" / "model.onnx"
    export(graph, (ids,), path, ["input_ids"], ["last_hidden_state", "pooler_output"],
           {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}})
    model.config.to_json_file(str(out / "text_encoder" / "config.json"))
    verify(path, graph.cpu(), {"input_ids": ids.cpu()})


def export_unet(source: dict, out: Path, subfolder: str, normalize: bool, dtype, device: str) -> None:
    import torch
    from diffusers import UNet2DConditionModel

    from .onnx_export import export, verify

    unet = UNet2DConditionModel.from_pretrained(subfolder=subfolder, **source).to(device=device, dtype=dtype).eval()
    config = unet.config
    if getattr(config, "class_embed_type", None) or getattr(config, "addition_embed_type", None):
        raise SystemExit(f"{subfolder}: this UNet takes class_labels/added conditions ({config.class_embed_type or config.addition_embed_type}), "
                         "which the bundle's UNet contract (sample, timestep, encoder_hidden_states) has no input for "
                         "(SD 2.1 unCLIP, SDXL): not supported yet")

    class UNetGraph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.unet = unet

        def forward(self, sample, timestep, encoder_hidden_states):
            if normalize:
                # VD / MindEye feed CLIP image tokens divided by the norm of token 0; doing it here makes any scale of
                # the incoming tokens (a prior's output, a regression's) give the same conditioning.
                norm = encoder_hidden_states[:, :1].float().norm(dim=-1, keepdim=True).clamp_min(1e-12)
                encoder_hidden_states = (encoder_hidden_states.float() / norm).to(encoder_hidden_states.dtype)
            return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]

    graph = UNetGraph()
    size = config.sample_size if isinstance(config.sample_size, int) else config.sample_size[0]
    tokens = 257 if normalize else 77
    sample = torch.randn(2, config.in_channels, size, size, dtype=dtype, device=device)
    timestep = torch.tensor(500.0, dtype=dtype, device=device)        # rank 0 (optimum >= 1.24); the library reads type and rank
    context = torch.randn(2, tokens, config.cross_attention_dim, dtype=dtype, device=device)
    path = out / "unet" / "model.onnx"
    export(graph, (sample, timestep, context), path, ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
           {"sample": {0: "batch", 2: "height", 3: "width"}, "encoder_hidden_states": {0: "batch", 1: "sequence"},
            "out_sample": {0: "batch", 2: "height", 3: "width"}})
    unet.save_config(str(out / "unet"))
    if dtype == torch.float32:
        verify(path, graph.cpu(), {"sample": sample.cpu(), "timestep": timestep.cpu(), "encoder_hidden_states": context.cpu()}, atol=2e-3)


def export_vae(source: dict, out: Path, device: str) -> None:
    import torch
    from diffusers import AutoencoderKL

    from .onnx_export import export, verify

    vae = AutoencoderKL.from_pretrained(subfolder="vae", **source).to(device).eval()
    factor = 2 ** (len(vae.config.block_out_channels) - 1)

    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.vae = vae

        def forward(self, sample):
            # mean || logvar on the channel axis (optimum >= 1.23's latent_parameters); the library samples on the host.
            return self.vae.encode(sample).latent_dist.parameters

    class Decoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.vae = vae

        def forward(self, latent_sample):
            return self.vae.decode(latent_sample, return_dict=False)[0]

    image = torch.rand(1, 3, 64 * factor, 64 * factor, device=device) * 2 - 1
    latent = torch.randn(1, vae.config.latent_channels, 64, 64, device=device)
    for name, graph, example, inputs, outputs in (
            ("vae_encoder", Encoder(), image, "sample", "latent_parameters"),
            ("vae_decoder", Decoder(), latent, "latent_sample", "sample")):
        path = out / name / "model.onnx"
        export(graph, (example,), path, [inputs], [outputs],
               {inputs: {0: "batch", 2: "height", 3: "width"}, outputs: {0: "batch", 2: "height", 3: "width"}})
        vae.save_config(str(out / name))        # config.json with scaling_factor (0.18215 for SD 1.x), block_out_channels
        verify(path, graph.cpu(), {inputs: example.cpu()}, atol=5e-3)
        graph.to(device)


if __name__ == "__main__":
    main()
