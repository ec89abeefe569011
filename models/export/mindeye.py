"""Exports MindEye (v1) checkpoints as a bundle's voxel encoders and diffusion prior (docs/real-models.md):

  voxel_encoders/highlevel.onnx   voxels [1, N] -> image_tokens [1, 257, 768] (voxel2clip's backbone: the brain tokens the
                                  prior is conditioned on) and image_embedding [1, 257*768] (its projector, flattened: the
                                  space of the image encoder's 'tokens' mode, for retrieval and best-of-N)
  prior/model.onnx                sample [1, 257, 768], timestep int64 [1], encoder_hidden_states [1, 257, 768] (the brain
                                  tokens) -> out_sample [1, 257, 768]: the predicted clean image tokens (x0), in the
                                  prior's scaled space (the UNet export's --normalize-image-tokens removes the scale)
  prior/scheduler_config.json     100 training steps, cosine ('squaredcos_cap_v2') betas, prediction_type 'sample'
  voxel_encoders/lowlevel.onnx    voxels [1, N] -> latent [1, 4, 64, 64]: an SD VAE latent already times 0.18215

All are exported for a batch of 1: MindEye's forward passes reshape with len(x), which tracing turns into a constant.

    python3 -m models.export.mindeye --mindeye-src ~/fMRI-reconstruction-NSD/src --voxels 15724 \\
        --highlevel train_logs/prior_257_final_subj01_bimixco_softclip_byol/last.pth \\
        --lowlevel train_logs/autoencoder_subj01_4x_locont_no_reconst/epoch120.pth --out bundles/subj01-mindeye

The networks are built with MindEye's own classes (imported from --mindeye-src: its models.py and what that imports,
including dalle2_pytorch), with the constructor arguments of its Reconstructions.py, overridable with the *-kwargs
options. The voxel encoders' manifest entries go to voxel_encoders/entries.json for finish_bundle. Needs torch and
onnx, plus MindEye's requirements.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

TOKENS, WIDTH = 257, 768


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mindeye-src", required=True, type=Path,
                   help="the src/ folder of a MedARC-AI/fMRI-reconstruction-NSD clone, or the .py file that defines the classes")
    p.add_argument("--voxels", required=True, type=int,
                   help="the subject's nsdgeneral voxel count (subj01 15724, subj02 14278, subj05 13039, subj07 12682)")
    p.add_argument("--highlevel", type=Path,
                   help="the prior checkpoint (voxel2clip + diffusion prior), e.g. prior_257_final_subj01_bimixco_softclip_byol/last.pth")
    p.add_argument("--lowlevel", type=Path, help="the low-level checkpoint, e.g. autoencoder_subj01_4x_locont_no_reconst/epoch120.pth")
    p.add_argument("--out", required=True, type=Path, help="the bundle folder")
    p.add_argument("--voxel2clip-kwargs", type=json.loads, default={}, help="JSON merged into BrainNetwork's arguments")
    p.add_argument("--prior-net-kwargs", type=json.loads, default={}, help="JSON merged into VersatileDiffusionPriorNetwork's arguments")
    p.add_argument("--prior-kwargs", type=json.loads, default={}, help="JSON merged into BrainDiffusionPrior's arguments")
    p.add_argument("--lowlevel-kwargs", type=json.loads, default={}, help="JSON merged into Voxel2StableDiffusionModel's arguments")
    p.add_argument("--lowlevel-name", default="lowlevel", help="the low-level encoder's name in the bundle (several may coexist: bagging)")
    p.add_argument("--lowlevel-roi-set", default=None,
                   help="the ROI set the low-level model was trained on with the other voxels zeroed (input 'roi_zero_filled'); "
                        "its indices go to finish_bundle --roi-set")
    args = p.parse_args(argv)
    if args.highlevel is None and args.lowlevel is None:
        p.error("nothing to export: give --highlevel, --lowlevel or both")
    return args


def import_mindeye(src: Path):
    """MindEye's src/models.py, imported under another name: this repository's own package is also called 'models'."""
    import importlib.util

    path = src.resolve() if src.suffix == ".py" else src.resolve() / "models.py"
    if not path.is_file():
        raise SystemExit(f"{path}: missing; --mindeye-src is the src/ folder of a MedARC-AI/fMRI-reconstruction-NSD clone or a .py file")
    sys.path.insert(0, str(path.parent))          # for the modules models.py imports beside it
    spec = importlib.util.spec_from_file_location("mindeye_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_weights(module, checkpoint: Path, required_prefixes: tuple[str, ...]) -> None:
    """Loads 'model_state_dict' as MindEye does (strict=False: its checkpoints carry extra entries), but refuses to go on
    when a weight of a part being exported is missing or has another shape."""
    import torch

    saved = torch.load(str(checkpoint), map_location="cpu")
    state = saved.get("model_state_dict", saved) if isinstance(saved, dict) else saved
    own = module.state_dict()
    wrong = [f"{k}: checkpoint {tuple(v.shape)}, model {tuple(own[k].shape)}" for k, v in state.items() if k in own and own[k].shape != v.shape]
    missing = [k for k in own if k not in state and k.startswith(required_prefixes)]
    if wrong or missing:
        raise SystemExit(f"{checkpoint} does not fit the network built (adjust the *-kwargs options):\n  "
                         + "\n  ".join((wrong + [f"missing: {k}" for k in missing])[:20]))
    module.load_state_dict(state, strict=False)
    unused = [k for k in state if k not in own]
    print(f"loaded {checkpoint} ({len(state) - len(unused)} tensors; {len(unused)} not used by this network)")


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch

    mindeye = import_mindeye(args.mindeye_src)

    from .bundle_files import add_entries, write_json
    from .onnx_export import export, verify

    # MindEye's forward passes reshape with len(x), which tracing records as a constant: every graph here is exported
    # for batch 1 (a fixed batch of 1 is allowed for voxel encoders and the prior; the library runs them per element).
    voxels = torch.randn(1, args.voxels)
    entries = []
    if args.highlevel is not None:
        voxel2clip = mindeye.BrainNetwork(**{"in_dim": args.voxels, "out_dim": TOKENS * WIDTH, **args.voxel2clip_kwargs})
        network = mindeye.VersatileDiffusionPriorNetwork(**{"dim": WIDTH, "depth": 6, "dim_head": 64, "heads": 12, "causal": False,
                                                            "learned_query_mode": "pos_emb", **args.prior_net_kwargs})
        prior = mindeye.BrainDiffusionPrior(**{"net": network, "image_embed_dim": WIDTH, "condition_on_text_encodings": False,
                                               "timesteps": 100, "cond_drop_prob": 0.2, "image_embed_scale": None,
                                               "voxel2clip": voxel2clip, **args.prior_kwargs})
        load_weights(prior, args.highlevel, ("voxel2clip.", "net."))
        prior.eval()

        class HighLevel(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.voxel2clip = voxel2clip

            def forward(self, x):
                backbone, projected = self.voxel2clip(x)
                return backbone.reshape(1, TOKENS, WIDTH), projected.reshape(1, -1)

        class Prior(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = network

            def forward(self, sample, timestep, encoder_hidden_states):
                # MindEye's network takes the brain tokens as text_embed (an alias of brain_embed) and predicts x0.
                return self.net(sample, timestep, text_embed=encoder_hidden_states)

        path = args.out / "voxel_encoders" / "highlevel.onnx"
        export(HighLevel(), (voxels,), path, ["voxels"], ["image_tokens", "image_embedding"], {})
        verify(path, HighLevel(), {"voxels": voxels})
        entries.append({"name": "highlevel", "file": "voxel_encoders/highlevel.onnx", "role": "image_tokens", "input": "nsdgeneral"})

        tokens, brain = torch.randn(1, TOKENS, WIDTH), torch.randn(1, TOKENS, WIDTH)
        steps = torch.tensor([37], dtype=torch.int64)
        path = args.out / "prior" / "model.onnx"
        export(Prior(), (tokens, steps, brain), path, ["sample", "timestep", "encoder_hidden_states"], ["out_sample"], {})
        verify(path, Prior(), {"sample": tokens, "timestep": steps, "encoder_hidden_states": brain})
        schedule = prior.noise_scheduler
        write_json(args.out / "prior" / "scheduler_config.json", {
            "_class_name": "DDPMScheduler", "source": f"MindEye BrainDiffusionPrior ({args.highlevel.name})",
            "num_train_timesteps": int(schedule.num_timesteps),
            "beta_schedule": "squaredcos_cap_v2",          # dalle2's cosine schedule (s = 0.008, betas capped at 0.999)
            "prediction_type": "sample" if prior.predict_x_start else "epsilon",
            "clip_sample": False, "set_alpha_to_one": True, "steps_offset": 0, "timestep_spacing": "leading"})

    if args.lowlevel is not None:
        lowlevel = mindeye.Voxel2StableDiffusionModel(**{"in_dim": args.voxels, **args.lowlevel_kwargs})
        load_weights(lowlevel, args.lowlevel, ("lin0.", "mlp.", "lin1.", "norm.", "upsampler."))
        lowlevel.eval()

        class LowLevel(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = lowlevel

            def forward(self, x):
                return self.model(x)          # the scaled latent MindEye divides by 0.18215 before vae.decode

        path = args.out / "voxel_encoders" / f"{args.lowlevel_name}.onnx"
        export(LowLevel(), (voxels,), path, ["voxels"], ["latent"], {})
        verify(path, LowLevel(), {"voxels": voxels})
        entry = {"name": args.lowlevel_name, "file": f"voxel_encoders/{args.lowlevel_name}.onnx", "role": "vae_latent", "input": "nsdgeneral"}
        if args.lowlevel_roi_set:
            entry.update({"input": "roi_zero_filled", "roi_set": args.lowlevel_roi_set, "voxel_count": args.voxels})
        entries.append(entry)

    add_entries(args.out, entries)
    print(f"voxel encoders {', '.join(e['name'] for e in entries)} recorded in voxel_encoders/entries.json for finish_bundle")


if __name__ == "__main__":
    main()
