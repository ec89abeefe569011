"""Exports the diffusion side of a bundle from a diffusers checkpoint: tokenizer, text encoder, UNet, VAE encoder and
decoder, scheduler config (docs/real-models.md, docs/model-bundle.md).

Stable Diffusion 1.x for the caption -> img2img pipeline (text-conditioned UNet):
    python3 -m models.export.stable_diffusion --model stable-diffusion-v1-5/stable-diffusion-v1-5 --out bundles/subj01-caption

Versatile Diffusion's image-variation UNet for unCLIP (conditioned on 257 x 768 CLIP image tokens, as MindEye decodes):
    python3 -m models.export.stable_diffusion --model shi-labs/versatile-diffusion --unet-subfolder image_unet \\
        --components unet vae scheduler --normalize-image-tokens --out bundles/subj01-mindeye

SDXL (base or refiner) and SD 2.1 unCLIP UNets export with their added-condition inputs (text_embeds and time_ids, or
class_labels; docs/real-models.md); the pipeline-side pieces they need (text_encoder_2's pooled output, the unCLIP
image normaliser) are not exported by this script yet.

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
    p.add_argument("--attention", default="fused", choices=["fused", "plain"],
                   help="UNet and VAE attention as ONNX Runtime's fused MultiHeadAttention (default: the [batch, heads, n, n] "
                        "scores are never materialised, 1 GB per self-attention at 512 px in fp32) or as MatMul/Softmax/MatMul "
                        "(any ONNX runtime; models/export/fused_attention.py)")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.fp16_unet and args.device != "cuda":
        raise SystemExit("--fp16-unet needs --device cuda (PyTorch's CPU kernels lack float16 convolutions)")
    if args.fp16_unet and args.attention == "fused":
        print("note: the float16 UNet's fused attention runs on ONNX Runtime's CUDA provider (the CPU provider's "
              "MultiHeadAttention kernel is float32); use --attention plain for a float16 UNet meant for the CPU")
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
        export_unet(source, out, args.unet_subfolder, args.normalize_image_tokens, torch.float16 if args.fp16_unet else torch.float32,
                    args.device, args.attention == "fused")
    if "vae" in args.components:
        export_vae(source, out, args.device, args.attention == "fused")
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


def export_unet(source: dict, out: Path, subfolder: str, normalize: bool, dtype, device: str, fused: bool = True) -> None:
    from diffusers import UNet2DConditionModel

    from .fused_attention import FusedAttentionProcessor

    unet = UNet2DConditionModel.from_pretrained(subfolder=subfolder, **source).to(device=device, dtype=dtype).eval()
    swap = (lambda: unet.set_attn_processor(FusedAttentionProcessor())) if fused else None
    export_unet_module(unet, out, normalize, dtype, device, swap_attention=swap)
    unet.save_config(str(out / "unet"))


def added_inputs(config) -> list[tuple[str, int]]:
    """The added-condition inputs a UNet2DConditionModel config asks for, with their widths, as the library reads them
    (docs/model-bundle.md, "UNet added conditions"): SDXL's text_embeds [batch, P] and time_ids [batch, n]
    (addition_embed_type "text_time": P + n * addition_time_embed_dim = projection_class_embeddings_input_dim, n = 6
    for the base model, 5 for the refiner, whose text_embeds is text_encoder_2's 1280) and unCLIP's class_labels
    [batch, projection_class_embeddings_input_dim] (class_embed_type "projection")."""
    added = []
    addition = getattr(config, "addition_embed_type", None)
    if addition == "text_time":
        pooled = getattr(config, "pooled_projection_dim", None) or 1280          # SDXL's text_encoder_2 projection
        n = (config.projection_class_embeddings_input_dim - pooled) // config.addition_time_embed_dim
        if n not in (5, 6) or pooled + n * config.addition_time_embed_dim != config.projection_class_embeddings_input_dim:
            raise SystemExit(f"UNet: projection_class_embeddings_input_dim {config.projection_class_embeddings_input_dim} is not "
                             f"{pooled} + 5 or 6 x addition_time_embed_dim {config.addition_time_embed_dim}")
        added += [("text_embeds", pooled), ("time_ids", n)]
    elif addition is not None:
        raise SystemExit(f"UNet: addition_embed_type {addition!r} is not supported (text_time is)")
    kind = getattr(config, "class_embed_type", None)
    if kind == "projection":
        added.append(("class_labels", config.projection_class_embeddings_input_dim))
    elif kind is not None:
        raise SystemExit(f"UNet: class_embed_type {kind!r} is not supported (projection is)")
    return added


def export_unet_module(unet, out: Path, normalize: bool, dtype, device: str, tokens: int | None = None, swap_attention=None) -> None:
    """Exports a UNet2DConditionModel (or a module with its call signature and config) as unet/model.onnx: sample,
    timestep, encoder_hidden_states and the added-condition inputs its config asks for -> out_sample. swap_attention:
    called just before the export (the fused attention processor); the graph is then compared with the outputs of the
    UNet as it came (diffusers' own attention), not with the swapped module."""
    import torch

    from .onnx_export import can_verify, export, verify

    config = unet.config
    added = added_inputs(config)
    names = [name for name, _ in added]

    class UNetGraph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.unet = unet

        def forward(self, sample, timestep, encoder_hidden_states, *extra):
            if normalize:
                # VD / MindEye feed CLIP image tokens divided by the norm of token 0; doing it here makes any scale of
                # the incoming tokens (a prior's output, a regression's) give the same conditioning.
                norm = encoder_hidden_states[:, :1].float().norm(dim=-1, keepdim=True).clamp_min(1e-12)
                encoder_hidden_states = (encoder_hidden_states.float() / norm).to(encoder_hidden_states.dtype)
            values = dict(zip(names, extra))
            kwargs = {}
            if "text_embeds" in values:
                kwargs["added_cond_kwargs"] = {"text_embeds": values["text_embeds"], "time_ids": values["time_ids"]}
            if "class_labels" in values:
                kwargs["class_labels"] = values["class_labels"]
            return self.unet(sample, timestep, encoder_hidden_states, return_dict=False, **kwargs)[0]

    graph = UNetGraph()
    size = config.sample_size if isinstance(config.sample_size, int) else config.sample_size[0]
    tokens = tokens or (257 if normalize else 77)
    sample = torch.randn(2, config.in_channels, size, size, dtype=dtype, device=device)
    timestep = torch.tensor(500.0, dtype=dtype, device=device)        # rank 0 (optimum >= 1.24); the library reads type and rank
    context = torch.randn(2, tokens, config.cross_attention_dim, dtype=dtype, device=device)
    extras = [torch.randn(2, width, dtype=dtype, device=device) for _, width in added]
    path = out / "unet" / "model.onnx"
    axes = {"sample": {0: "batch", 2: "height", 3: "width"}, "encoder_hidden_states": {0: "batch", 1: "sequence"},
            "out_sample": {0: "batch", 2: "height", 3: "width"}}
    axes.update({name: {0: "batch"} for name in names})
    reference = None
    if swap_attention is not None:
        if dtype == torch.float32 and can_verify():
            with torch.no_grad():      # on the CPU, as verify runs: no TF32 convolutions in the reference
                reference = graph.cpu()(sample.cpu(), timestep.cpu(), context.cpu(), *(e.cpu() for e in extras))
            graph.to(device)
        swap_attention()
    export(graph, (sample, timestep, context, *extras), path, ["sample", "timestep", "encoder_hidden_states", *names], ["out_sample"], axes)
    if dtype == torch.float32:
        feeds = {"sample": sample.cpu(), "timestep": timestep.cpu(), "encoder_hidden_states": context.cpu()}
        feeds.update({name: value.cpu() for name, value in zip(names, extras)})
        verify(path, graph.cpu(), feeds, atol=2e-3, expected=reference)


def export_vae(source: dict, out: Path, device: str, fused: bool = True) -> None:
    import torch
    from diffusers import AutoencoderKL

    from .fused_attention import FusedAttentionProcessor
    from .onnx_export import can_verify, export, verify

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
    parts = (("vae_encoder", Encoder(), image, "sample", "latent_parameters"),
             ("vae_decoder", Decoder(), latent, "latent_sample", "sample"))
    references = {}
    if fused:
        if can_verify():        # diffusers' own attention, to compare the fused graphs with; on the CPU, as verify runs
            with torch.no_grad():
                references = {name: graph.cpu()(example.cpu()) for name, graph, example, _, _ in parts}
            vae.to(device)
        vae.set_attn_processor(FusedAttentionProcessor())
    for name, graph, example, inputs, outputs in parts:
        path = out / name / "model.onnx"
        export(graph, (example,), path, [inputs], [outputs],
               {inputs: {0: "batch", 2: "height", 3: "width"}, outputs: {0: "batch", 2: "height", 3: "width"}})
        vae.save_config(str(out / name))        # config.json with scaling_factor (0.18215 for SD 1.x), block_out_channels
        verify(path, graph.cpu(), {inputs: example.cpu()}, atol=5e-3, expected=references.get(name))
        graph.to(device)


if __name__ == "__main__":
    main()
