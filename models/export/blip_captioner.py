"""Exports a BLIP captioning model as the bundle's captioner/ (docs/real-models.md):

  captioner/vision.onnx    pixel_values [B, 3, 384, 384] -> image_embeds [B, 577, D] (the vision model's last hidden state)
  captioner/decoder.onnx   input_ids [B, L] int64, image_embeds [B, 577, D] -> logits [B, L, V] (no KV cache: the library
                           reruns the whole prefix each token, greedy, up to max_length)
  captioner/vocab.txt      V lines, token of id i on line i (BERT WordPiece + BLIP's [DEC], [ENC])
  captioner/config.json    bos_token_id = [DEC] 30522, eos_token_id = [SEP] 102 (what ends a BLIP caption), pad 0, max_length
  captioner/preprocessor_config.json

    python3 -m models.export.blip_captioner --model Salesforce/blip-image-captioning-large --out bundles/subj01-caption

Needs torch, transformers and onnx.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="Salesforce/blip-image-captioning-large", help="a BlipForConditionalGeneration checkpoint")
    p.add_argument("--out", required=True, type=Path, help="the bundle folder")
    p.add_argument("--max-length", type=int, default=20, help="longest caption in tokens, [DEC] included (transformers' default 20)")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch
    from transformers import BlipForConditionalGeneration, BlipProcessor

    from .bundle_files import write_json
    from .onnx_export import export, verify

    model = BlipForConditionalGeneration.from_pretrained(args.model).eval()
    processor = BlipProcessor.from_pretrained(args.model)
    text = model.config.text_config
    out = args.out / "captioner"

    class Vision(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.vision = model.vision_model

        def forward(self, pixel_values):
            return self.vision(pixel_values=pixel_values, return_dict=True).last_hidden_state   # what generate() cross-attends to

    class Decoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.decoder = model.text_decoder

        def forward(self, input_ids, image_embeds):
            result = self.decoder(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                  encoder_hidden_states=image_embeds,
                                  encoder_attention_mask=torch.ones_like(image_embeds[:, :, 0], dtype=torch.int64),
                                  return_dict=True)
            return result.logits

    size = model.config.vision_config.image_size
    pixels = torch.randn(1, 3, size, size)
    with torch.no_grad():
        embeds = Vision()(pixels)
    ids = torch.tensor([[text.bos_token_id, 1037, 2158]], dtype=torch.int64)        # [DEC] "a" "man"
    export(Vision(), (pixels,), out / "vision.onnx", ["pixel_values"], ["image_embeds"], {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
    export(Decoder(), (ids, embeds), out / "decoder.onnx", ["input_ids", "image_embeds"], ["logits"],
           {"input_ids": {0: "batch", 1: "sequence"}, "image_embeds": {0: "batch"}, "logits": {0: "batch", 1: "sequence"}})

    # vocab.txt must have exactly as many lines as the logits have classes (the bundle checks it).
    tokenizer = processor.tokenizer
    vocabulary = text.vocab_size
    tokens = tokenizer.convert_ids_to_tokens(list(range(min(len(tokenizer), vocabulary))))
    if len(tokens) < vocabulary:
        print(f"  the tokenizer has {len(tokens)} tokens for {vocabulary} logits: ids {len(tokens)}..{vocabulary - 1} get placeholder names")
        tokens += [f"[unused-id-{i}]" for i in range(len(tokens), vocabulary)]
    (out / "vocab.txt").write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    write_json(out / "config.json", {
        "architectures": ["BlipForConditionalGeneration"], "source": args.model,
        "bos_token_id": text.bos_token_id, "eos_token_id": text.sep_token_id, "sep_token_id": text.sep_token_id,
        "pad_token_id": text.pad_token_id, "max_length": args.max_length, "vocab_size": vocabulary, "hidden_size": text.hidden_size})
    processor.image_processor.save_pretrained(str(out))          # preprocessor_config.json: 384 x 384 bicubic, no crop, CLIP mean/std
    verify(out / "vision.onnx", Vision(), {"pixel_values": pixels})
    verify(out / "decoder.onnx", Decoder(), {"input_ids": ids, "image_embeds": embeds})


if __name__ == "__main__":
    main()
