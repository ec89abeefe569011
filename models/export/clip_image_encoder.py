"""Exports a CLIP vision model as the bundle's image_encoder (docs/real-models.md), in one of two modes:

  embeds  image_embeds [B, projection_dim]: the projected CLS embedding (CLIP's encode_image). The caption -> img2img
          pipeline votes with it, as the seed study did with OpenAI's ViT-L/14:
              python3 -m models.export.clip_image_encoder --model openai/clip-vit-large-patch14 --mode embeds --out bundles/subj01-caption
  tokens  last_hidden_state [B, 257, 768]: every token through post_layernorm and visual_projection, divided by the norm
          of token 0 (Versatile Diffusion's and MindEye's image conditioning), and image_embeds [B, 257*768]: the same
          tokens flattened, the space MindEye's best-of-N and retrieval compare brains with:
              python3 -m models.export.clip_image_encoder --model openai/clip-vit-large-patch14 --mode tokens --out bundles/subj01-mindeye

Also writes image_encoder/config.json and preprocessor_config.json (resize shortest edge 224 bicubic, centre crop 224,
CLIP mean/std), which the library applies itself. Needs torch, transformers and onnx.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="openai/clip-vit-large-patch14", help="a CLIPVisionModelWithProjection checkpoint (id or folder)")
    p.add_argument("--subfolder", default="", help="subfolder inside --model (e.g. 'image_encoder' of a diffusers repo)")
    p.add_argument("--processor", default=None, help="where the image processor config is (default: --model)")
    p.add_argument("--processor-subfolder", default=None, help="its subfolder (default: --subfolder when --processor is not given)")
    p.add_argument("--mode", required=True, choices=["embeds", "tokens"], help="what the pipelines compare: see above")
    p.add_argument("--out", required=True, type=Path, help="the bundle folder")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch
    from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

    from .onnx_export import export, verify

    model = CLIPVisionModelWithProjection.from_pretrained(args.model, subfolder=args.subfolder).eval()
    tokens_mode = args.mode == "tokens"

    class ImageEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, pixel_values):
            if not tokens_mode:
                return self.model(pixel_values=pixel_values, return_dict=True).image_embeds
            # transformers applies post_layernorm to the pooled CLS only; VD/MindEye apply it, and the projection, to all.
            hidden = self.model.vision_model(pixel_values=pixel_values, return_dict=True).last_hidden_state
            tokens = self.model.visual_projection(self.model.vision_model.post_layernorm(hidden))
            tokens = tokens / tokens[:, :1].norm(dim=-1, keepdim=True)
            return tokens, tokens.flatten(1)

    size = model.config.image_size
    pixels = torch.randn(1, 3, size, size)
    path = args.out / "image_encoder" / "model.onnx"
    if tokens_mode:
        export(ImageEncoder(), (pixels,), path, ["pixel_values"], ["last_hidden_state", "image_embeds"],
               {"pixel_values": {0: "batch"}, "last_hidden_state": {0: "batch"}, "image_embeds": {0: "batch"}})
    else:
        export(ImageEncoder(), (pixels,), path, ["pixel_values"], ["image_embeds"], {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
    model.config.to_json_file(str(args.out / "image_encoder" / "config.json"))
    processor_subfolder = args.processor_subfolder if args.processor_subfolder is not None else ("" if args.processor else args.subfolder)
    processor = CLIPImageProcessor.from_pretrained(args.processor or args.model, subfolder=processor_subfolder)
    processor.save_pretrained(str(args.out / "image_encoder"))         # preprocessor_config.json
    verify(path, ImageEncoder(), {"pixel_values": pixels})


if __name__ == "__main__":
    main()
