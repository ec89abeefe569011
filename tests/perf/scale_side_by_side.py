#!/usr/bin/python3
"""FmriToImage ÷ PyTorch at real scale: the full-size bundles of models/scale/build.py (SD 1.x UNet, SD VAE, CLIP-L,
ViT-L/14, MindEye's voxel encoders at 15,724 voxels; seeded random weights), one reconstruction at 512² per side and
pipeline, the two sides in separate processes that alternate (never at the same time: each holds the weights).

    /usr/bin/python3 -m models.scale.build                        # once: artifacts/scale/{caption,unclip} (~11 GB)
    dotnet build tests/FmriToImage.Benchmarks -c Release
    /usr/bin/python3 tests/perf/scale_side_by_side.py [--pipelines caption unclip] [--steps 20] [--rounds 1]
        [--strength 0.75 --unclip-strength 0.85] [--threads 2] [--torch-blas DIR] [--out artifacts/perf/scale]

FmriToImage: `FmriToImage.Benchmarks scale` (BrainDecoder.Load, then BrainDecoder.Reconstruct on seeded random voxels;
per-stage times from Reconstruction.Timings, peak resident memory from /proc/self/status). PyTorch (this script with
--side torch): the same components rebuilt from their seeds (their parameter checksums checked against
artifacts/scale/parts/fingerprints.json, so the weights are the ones exported) run the same stages under
torch.no_grad() with the same thread count, the diffusers way: voxel encoders → low-level VAE decode → text encoding
(caption) → DDIM img2img from the low-level latent with classifier-free guidance in one batch of 2 → VAE decode →
CLIP image embedding. The captioner (the demo's tiny BLIP stand-in, a few ms) is not run on the PyTorch side; its
time is reported on FmriToImage's. Both run the same number of UNet evaluations: steps × strength of DDIM's
schedule. The ratio reported is FmriToImage's time per UNet evaluation over PyTorch's (median over the evaluations of
each run; per round and over all rounds). --torch-blas DIR puts DIR's libblas.so.3 first for PyTorch (Debian's torch
otherwise runs Linear layers and attention products on the reference BLAS; see docs/performance.md).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests/FmriToImage.Benchmarks/bin/Release/net10.0/FmriToImage.Benchmarks.dll"
COMPONENTS = {"caption": ["lowlevel", "vae_decoder", "text_encoder", "image_encoder", "unet"],
              "unclip": ["highlevel", "lowlevel", "vae_decoder", "image_encoder", "unet"]}


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=Path, default=REPO / "artifacts/scale", help="models/scale/build.py's --out")
    p.add_argument("--pipelines", nargs="+", choices=list(COMPONENTS), default=list(COMPONENTS))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--strength", type=float, default=0.75, help="caption → img2img strength (UNet runs = int(steps × strength))")
    p.add_argument("--unclip-strength", type=float, default=0.85)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--torch-blas", type=Path, default=None)
    p.add_argument("--fmri-options", nargs=argparse.REMAINDER, default=[],
                   help="passed on to the FmriToImage harness after its own options, e.g. --arena 0 "
                        "--config session.disable_prepacking=1 (the memory-saving session options); give it last")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="OPENBLAS_NUM_THREADS for the PyTorch half with --torch-blas: torch 1.13 runs Linear layers and "
                        "batched matmuls (the UNet's attention) through the BLAS, so 1 leaves them on one core while "
                        "convolutions use --threads; give --threads to let PyTorch's matrix products use every core too")
    p.add_argument("--out", type=Path, default=REPO / "artifacts/perf/scale")
    p.add_argument("--side", choices=["both", "torch"], default="both", help=argparse.SUPPRESS)
    p.add_argument("--pipeline", choices=list(COMPONENTS), help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def unet_runs(steps: int, strength: float) -> int:
    return min(int(steps * strength), steps)


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def torch_side(args) -> None:
    """One PyTorch reconstruction of args.pipeline; writes args.result."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    sys.path.insert(0, str(REPO))
    from models.scale.build import build, fingerprint
    from models.scale.vision import VisionEncoder

    torch.set_num_threads(args.threads)
    prints = json.loads((args.scale / "parts/fingerprints.json").read_text())
    started = time.perf_counter()
    nets = {}
    for name in COMPONENTS[args.pipeline]:
        nets[name] = build(name, 15724, bool(prints.get("tiny")), fused=False)     # eager: the plain MatMul → Softmax → MatMul
        if not np.allclose(fingerprint(nets[name]), prints[name]["fingerprint"], rtol=1e-9):
            raise SystemExit(f"{name}: rebuilt weights differ from the exported ones (fingerprints.json); rebuild the bundles")
    build_seconds = time.perf_counter() - started
    vision = VisionEncoder(nets.pop("image_encoder"), "embeds" if args.pipeline == "caption" else "tokens").eval()
    strength = args.strength if args.pipeline == "caption" else args.unclip_strength
    guidance = 6.0 if args.pipeline == "caption" else 3.5
    runs = unet_runs(args.steps, strength)
    # DDIM on SD's schedule: scaled_linear betas, leading spacing, steps_offset 1; the last `runs` timesteps.
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    alphas = torch.cumprod(1 - betas, 0)
    timesteps = (torch.arange(args.steps - 1, -1, -1) * (1000 // args.steps) + 1)[args.steps - runs:]
    mean, std = torch.tensor([0.48145466, 0.4578275, 0.40821073])[:, None, None], torch.tensor([0.26862954, 0.26130258, 0.27577711])[:, None, None]
    stages, unet_seconds = {}, []

    def timed(stage, fn):
        t = time.perf_counter()
        out = fn()
        stages[stage] = stages.get(stage, 0.0) + time.perf_counter() - t
        return out

    def clip_input(image):                                   # [1, 3, 512, 512] in [-1, 1] → CLIP's 224² normalised
        small = F.interpolate(((image + 1) / 2).clamp(0, 1), size=(224, 224), mode="bicubic", align_corners=False)
        return (small - mean) / std

    generator = torch.Generator().manual_seed(0)
    voxels = torch.rand(1, 15724, generator=generator) * 2 - 1
    with torch.no_grad():
        latent = timed("voxel encoders", lambda: nets["lowlevel"](voxels))
        if args.pipeline == "unclip":
            tokens = timed("voxel encoders", lambda: nets["highlevel"](voxels))
        low_image = timed("low-level decoding", lambda: nets["vae_decoder"](latent / 0.18215))
        if args.pipeline == "caption":
            ids = torch.full((2, 77), 614, dtype=torch.int64)
            ids[:, 0] = 613
            ids[0, 1:6] = torch.tensor([10, 20, 30, 40, 50])
            context = timed("text encoding", lambda: nets["text_encoder"](ids)[0].flip(0))   # [unconditional, caption]
            timed("low-level embedding", lambda: vision(clip_input(low_image)))
        else:
            context = torch.cat([torch.zeros_like(tokens[0]), tokens[0]])
        noise = torch.randn(latent.shape, generator=generator)
        a = alphas[int(timesteps[0])].float()
        x = a.sqrt() * latent + (1 - a).sqrt() * noise
        t_diffusion = time.perf_counter()
        for i, t in enumerate(timesteps):
            step = time.perf_counter()
            eps_u, eps_c = nets["unet"](torch.cat([x, x]), t.float(), context)[0].chunk(2)
            eps = eps_u + guidance * (eps_c - eps_u)
            unet_seconds.append(time.perf_counter() - step)
            a_t = alphas[int(t)].float()
            a_prev = alphas[int(timesteps[i + 1])].float() if i + 1 < len(timesteps) else torch.tensor(1.0)
            x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
        stages["diffusion"] = time.perf_counter() - t_diffusion
        image = timed("decoding", lambda: nets["vae_decoder"](x / 0.18215))
        timed("voting" if args.pipeline == "caption" else "best-of-N embedding", lambda: vision(clip_input(image)))
    finite = bool(torch.isfinite(image).all() and torch.isfinite(x).all())
    result = {"side": "PyTorch", "torch": torch.__version__, "pipeline": args.pipeline, "threads": args.threads,
              "blas": os.environ.get("SCALE_TORCH_BLAS", "as installed"), "build_seconds": build_seconds,
              "unet_runs": runs, "unet_seconds": unet_seconds, "stages": stages, "seconds": sum(stages.values()),
              "finite": finite, "latent_std": float(x.std()), "image_range": [float(image.min()), float(image.max())],
              "peak_rss": peak_rss()}
    args.result.write_text(json.dumps(result, indent=2))


def run_fmri(args, pipeline: str, out: Path) -> dict:
    strength = args.strength if pipeline == "caption" else args.unclip_strength
    command = ["dotnet", str(HARNESS), "scale", "--bundle", str(args.scale / pipeline), "--pipeline", pipeline,
               "--steps", str(args.steps), "--strength", str(strength), "--threads", str(args.threads), "--out", str(out),
               *args.fmri_options]
    subprocess.run(command, check=True, cwd=REPO)
    raw = json.loads((out / "result.json").read_text())
    trial = raw["trials"][0]
    runs = unet_runs(args.steps, strength)
    diffusion = next(v for k, v in trial["stages"].items() if "diffusion" in k.lower() or "denois" in k.lower())
    return {"side": "FmriToImage", "pipeline": pipeline, "load_seconds": raw["load_seconds"], "graph_bytes": raw["graph_bytes"],
            "peak_after_load": raw["peak_after_load"], "peak_rss": raw["peak_end"], "stages": trial["stages"],
            "seconds": trial["seconds"], "unet_runs": runs, "unet_step_seconds": diffusion / runs}


def run_torch(args, pipeline: str, out: Path) -> dict:
    env = dict(os.environ)
    if args.torch_blas is not None:
        env.update(LD_LIBRARY_PATH=f"{args.torch_blas}:{env.get('LD_LIBRARY_PATH', '')}", OPENBLAS_NUM_THREADS=str(args.blas_threads),
                   SCALE_TORCH_BLAS=str(args.torch_blas))
    result = out / "torch.json"
    subprocess.run([sys.executable, __file__, "--side", "torch", "--pipeline", pipeline, "--scale", str(args.scale),
                    "--steps", str(args.steps), "--strength", str(args.strength), "--unclip-strength", str(args.unclip_strength),
                    "--threads", str(args.threads), "--result", str(result)], check=True, env=env, cwd=REPO)
    raw = json.loads(result.read_text())
    raw["unet_step_seconds"] = statistics.median(raw["unet_seconds"])
    return raw


def main(argv=None) -> None:
    args = parse(argv)
    if args.side == "torch":
        torch_side(args)
        return
    if not HARNESS.exists():
        raise SystemExit(f"{HARNESS}: missing; dotnet build tests/FmriToImage.Benchmarks -c Release")
    load = os.getloadavg()
    results = []
    for r in range(args.rounds):
        for pipeline in args.pipelines:
            order = [run_fmri, run_torch] if (r + len(results)) % 2 == 0 else [run_torch, run_fmri]
            pair = {}
            for run in order:
                out = args.out / f"round{r}" / pipeline / ("fmri" if run is run_fmri else "torch")
                out.mkdir(parents=True, exist_ok=True)
                side = run(args, pipeline, out)
                pair[side["side"]] = side
                print(f"round {r} {pipeline} {side['side']}: {side['unet_step_seconds']:.2f} s per UNet evaluation, "
                      f"{side['seconds']:.1f} s per reconstruction, peak {side['peak_rss'] / 1e9:.2f} GB", flush=True)
            pair["ratio"] = pair["FmriToImage"]["unet_step_seconds"] / pair["PyTorch"]["unet_step_seconds"]
            pair.update(round=r, pipeline=pipeline)
            results.append(pair)
            print(f"round {r} {pipeline}: FmriToImage ÷ PyTorch per UNet evaluation {pair['ratio']:.3f}", flush=True)
    summary = {"load_average_before": load, "load_average_after": os.getloadavg(), "steps": args.steps,
               "threads": args.threads, "blas_threads": args.blas_threads,
               "torch_blas": str(args.torch_blas) if args.torch_blas else "as installed", "pairs": results}
    for pipeline in args.pipelines:
        ratios = [p["ratio"] for p in results if p["pipeline"] == pipeline]
        summary[f"{pipeline}_ratio_median"] = statistics.median(ratios)
        print(f"{pipeline}: FmriToImage ÷ PyTorch per UNet evaluation, median over {len(ratios)} round(s): {statistics.median(ratios):.3f}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
