"""Writes the trained zoo as a model bundle (docs/model-bundle.md): ONNX opset 17 graphs with dynamic batch axes,
diffusers/transformers-style configs, masks, model_index.json and fmri_decoder.json with every file's sha256."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch

from ...export.bundle_files import sha256, write_json
from ...export.onnx_export import export as onnx
from .data import MEAN, STD
from .sampling import BETA_END, BETA_START, PRIOR_STEPS, STEPS


class _First(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)


def preprocessor(kind: str) -> dict:
    return {"image_processor_type": kind, "do_resize": False, "size": {"height": 64, "width": 64}, "resample": 3,
            "do_center_crop": False, "crop_size": {"height": 64, "width": 64}, "do_rescale": True,
            "rescale_factor": 1 / 255, "do_normalize": True, "do_convert_rgb": True,
            "image_mean": MEAN.tolist(), "image_std": STD.tolist()}


def export_bundle(out: Path, z: dict) -> None:
    """z: the trained parts and metadata gathered by models.forge.train."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    B = "batch"
    img = torch.zeros(1, 3, 64, 64)
    L, D, E = z["text_length"], z["width"], z["embed"]
    # VAE
    onnx(z["vae_enc"], (img,), out / "vae_encoder/model.onnx", ["sample"], ["latent_parameters"],
         {"sample": {0: B}, "latent_parameters": {0: B}})
    onnx(z["vae_dec"], (torch.zeros(1, 4, 8, 8),), out / "vae_decoder/model.onnx", ["latent_sample"], ["sample"],
         {"latent_sample": {0: B}, "sample": {0: B}})
    vae_cfg = {"_class_name": "AutoencoderKL", "_diffusers_version": "0.30.0", "in_channels": 3, "out_channels": 3,
               "latent_channels": 4, "block_out_channels": list(z["vae_channels"]), "sample_size": 64,
               "scaling_factor": z["scaling_factor"], "layers_per_block": 1, "act_fn": "silu", "norm_num_groups": 8}
    write_json(out / "vae_encoder/config.json", vae_cfg)
    write_json(out / "vae_decoder/config.json", vae_cfg)
    # tokenizer + text encoder
    z["bpe"].save(out / "tokenizer", L)
    onnx(z["clip_txt"], (torch.zeros(1, L, dtype=torch.int64),), out / "text_encoder/model.onnx", ["input_ids"],
         ["last_hidden_state", "text_embeds"],
         {"input_ids": {0: B, 1: "sequence"}, "last_hidden_state": {0: B, 1: "sequence"}, "text_embeds": {0: B}})
    write_json(out / "text_encoder/config.json", {"architectures": ["CLIPTextModelWithProjection"], "hidden_size": D,
               "projection_dim": E, "max_position_embeddings": L, "vocab_size": len(z["bpe"].vocab), "num_hidden_layers": 2,
               "num_attention_heads": 4, "bos_token_id": z["bpe"].bos, "eos_token_id": z["bpe"].eos, "pad_token_id": z["bpe"].eos})
    # image encoder
    onnx(z["clip_img"], (img,), out / "image_encoder/model.onnx", ["pixel_values"], ["image_embeds", "last_hidden_state"],
         {"pixel_values": {0: B}, "image_embeds": {0: B}, "last_hidden_state": {0: B}})
    write_json(out / "image_encoder/config.json", {"architectures": ["CLIPVisionModelWithProjection"], "hidden_size": D,
               "projection_dim": E, "image_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "tokens": z["image_tokens"]})
    write_json(out / "image_encoder/preprocessor_config.json", preprocessor("CLIPImageProcessor"))
    # UNet + scheduler
    onnx(z["unet"], (torch.zeros(2, 4, 8, 8), torch.tensor(500.0), torch.zeros(2, L, D)), out / "unet/model.onnx",
         ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
         {"sample": {0: B}, "encoder_hidden_states": {0: B, 1: "sequence"}, "out_sample": {0: B}})
    write_json(out / "unet/config.json", {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.30.0",
               "in_channels": 4, "out_channels": 4, "sample_size": 8, "cross_attention_dim": D,
               "block_out_channels": [64, 128], "prediction_type": "epsilon",
               "conditioning": "caption tokens (text_encoder last_hidden_state) or image tokens (image_encoder last_hidden_state); "
                               "unconditional = text encoder on the empty caption for text, zeros [B,17,D] for image tokens"})
    write_json(out / "scheduler/scheduler_config.json", {"_class_name": "DDIMScheduler", "_diffusers_version": "0.30.0",
               "num_train_timesteps": STEPS, "beta_start": BETA_START, "beta_end": BETA_END, "beta_schedule": "scaled_linear",
               "trained_betas": None, "clip_sample": False, "set_alpha_to_one": False, "steps_offset": 1,
               "prediction_type": "epsilon", "timestep_spacing": "leading"})
    # captioner
    words = z["words"]
    onnx(z["cap_vis"], (img,), out / "captioner/vision.onnx", ["pixel_values"], ["image_embeds"],
         {"pixel_values": {0: B}, "image_embeds": {0: B}})
    onnx(z["cap_dec"], (torch.full((1, 3), words.dec, dtype=torch.int64), torch.zeros(1, 16, D)), out / "captioner/decoder.onnx",
         ["input_ids", "image_embeds"], ["logits"], {"input_ids": {0: B, 1: "sequence"}, "image_embeds": {0: B}, "logits": {0: B, 1: "sequence"}})
    (out / "captioner/vocab.txt").write_text("".join(t + "\n" for t in words.tokens))
    write_json(out / "captioner/config.json", {"architectures": ["BlipForConditionalGeneration"], "bos_token_id": words.dec,
               "eos_token_id": words.sep, "sep_token_id": words.sep, "pad_token_id": words.pad, "max_length": z["caption_length"],
               "vocab_size": len(words.tokens), "hidden_size": D})
    write_json(out / "captioner/preprocessor_config.json", preprocessor("BlipImageProcessor"))
    write_json(out / "captioner/tokenizer_config.json", {"tokenizer_class": "BertTokenizer", "do_lower_case": True,
               "model_max_length": z["caption_length"], "bos_token": "[DEC]", "sep_token": "[SEP]", "pad_token": "[PAD]",
               "unk_token": "[UNK]", "cls_token": "[CLS]"})
    # voxel encoders and masks
    n = z["voxel_count"]
    (out / "masks").mkdir()
    shutil.copyfile(z["nsdgeneral_path"], out / "masks/nsdgeneral.nii.gz")
    for name, idx in z["roi_indices"].items():
        np.save(out / f"masks/{name.lower()}_indices.npy", idx.astype(np.int64))
    encoders = []
    for name, (model, roi) in z["lowlevel"].items():
        onnx(_First(model), (torch.zeros(1, n),), out / f"voxel_encoders/{name}.onnx", ["voxels"], ["latent"],
             {"voxels": {0: B}, "latent": {0: B}})
        entry = {"name": name, "file": f"voxel_encoders/{name}.onnx", "role": "vae_latent"}
        entry.update({"input": "nsdgeneral"} if roi is None else {"input": "roi_zero_filled", "roi_set": roi, "voxel_count": n})
        encoders.append(entry)
    onnx(z["highlevel"], (torch.zeros(1, n),), out / "voxel_encoders/highlevel.onnx", ["voxels"], ["image_tokens", "image_embedding"],
         {"voxels": {0: B}, "image_tokens": {0: B}, "image_embedding": {0: B}})
    encoders.append({"name": "highlevel", "file": "voxel_encoders/highlevel.onnx", "role": "image_tokens", "input": "nsdgeneral"})
    # diffusion prior (optional)
    T = z["image_tokens"]
    if z.get("prior") is not None:
        onnx(z["prior"], (torch.zeros(2, T, D), torch.tensor(50.0), torch.zeros(2, T, D)), out / "prior/model.onnx",
             ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
             {"sample": {0: B}, "encoder_hidden_states": {0: B}, "out_sample": {0: B}})
        write_json(out / "prior/config.json", {"_class_name": "BrainDiffusionPrior", "tokens": T, "width": D,
                   "prediction_type": "sample", "conditioning": "high-level voxel encoder image_tokens [B,T,D]; no guidance"})
        write_json(out / "prior/scheduler_config.json", {"_class_name": "DDIMScheduler", "_diffusers_version": "0.30.0",
                   "num_train_timesteps": PRIOR_STEPS, "beta_schedule": "squaredcos_cap_v2", "trained_betas": None,
                   "clip_sample": False, "set_alpha_to_one": True, "steps_offset": 0, "prediction_type": "sample",
                   "timestep_spacing": "leading"})
    (out / "README.md").write_text(z["readme"])
    write_json(out / "model_index.json", {
        "_class_name": "FmriToImagePipeline", "_diffusers_version": "0.30.0",
        "text_encoder": ["transformers", "CLIPTextModelWithProjection"], "image_encoder": ["transformers", "CLIPVisionModelWithProjection"],
        "unet": ["diffusers", "UNet2DConditionModel"], "vae_encoder": ["diffusers", "AutoencoderKL"],
        "vae_decoder": ["diffusers", "AutoencoderKL"], "scheduler": ["diffusers", "DDIMScheduler"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "safety_checker": [None, None], "feature_extractor": [None, None]})
    files = {p.relative_to(out).as_posix(): sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
    write_json(out / "fmri_decoder.json", {
        "format_version": 1, "subject": z["subject"], "voxel_count": n,
        "voxel_order": "C order over (X, Y, Z) of the nsdgeneral mask",
        "masks": {"nsdgeneral": "masks/nsdgeneral.nii.gz",
                  "roi_sets": {name: f"masks/{name.lower()}_indices.npy" for name in z["roi_indices"]}},
        "voxel_encoders": encoders,
        "pipelines": z["pipelines"],
        "unconditional": {"text": "text_encoder last_hidden_state of the empty caption", "image_tokens": "zeros"},
        "files": files})
