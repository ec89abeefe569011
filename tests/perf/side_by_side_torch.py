#!/usr/bin/python3
"""FmriToImage ÷ PyTorch wall time per reconstruction, same networks, same weights, same trials, one run, one machine.

    /usr/bin/python3 tests/perf/side_by_side_torch.py [--trials 20] [--warmup 2] [--threads 2] [--rounds 1]
                                                      [--bundle models/demo] [--out artifacts/perf/side-by-side]
                                                      [--no-build] [--torch-blas DIR [--skip-as-installed]]

1. Runs the FmriToImage half (`dotnet run -c Release --project tests/FmriToImage.Benchmarks -- side-by-side ...`):
   BrainDecoder.Reconstruct, caption -> img2img with the bundle's defaults, on the first warmup + trials test images
   of samples/data/nsd-mini; it writes the voxels it used, its outputs, and each network's inputs/outputs on trial 0.
2. Loads the same bundle's networks into the forge's PyTorch modules with the bundle's ONNX weights (torch_bundle.py),
   checks each network against FmriToImage's output on the same input, then runs the same stages in PyTorch under
   torch.no_grad() with the same thread count: low-level voxel encoders -> VAE decode -> captioner (batched greedy
   decoding, the forge's way) -> CLIP text encoder -> DDIM img2img with classifier-free guidance, all candidates in one
   batch (a diffusers-style loop) -> VAE decode -> CLIP image embeddings and cosine voting.
3. Checks the end results agree (captions, chosen candidate, images) and prints median and mean per reconstruction
   of both and the ratio FmriToImage ÷ PyTorch (below 1: FmriToImage is faster). Warm-up trials are not timed.

With --torch-blas DIR the PyTorch half runs a second time with the libblas.so.3 in DIR first on LD_LIBRARY_PATH:
Debian's python3-torch runs Linear layers on the system BLAS, which is netlib's unoptimised reference BLAS unless an
optimised one is installed; e.g. OpenBLAS without installing it (the system's BLAS choice stays as it is), run with
OPENBLAS_NUM_THREADS=1 so that torch's own --threads are the only parallelism:
    apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
    ... --torch-blas /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread
--device cuda runs ONNX Runtime's CUDA provider (required: no CPU fallback) and the torch modules on cuda:0; it needs
the CUDA provider libraries beside libonnxruntime (docs/performance.md) and a CUDA build of torch.

With --rounds R > 1 the two halves alternate R times (the machine may be shared; the ratio of medians is reported per
round and overall, with the load average before each half). --skip-as-installed leaves out the PyTorch half on the
system BLAS (with --torch-blas: only PyTorch + that BLAS is timed).

Besides median and mean the summary gives each side's p95 and max per reconstruction and per stage, so a slow tail
shows in every run, and FmriToImage's slowest trials with what they cost the process (CPU seconds of all its threads,
garbage collections per generation, GC pause): a slow trial with the usual CPU time waited for the machine (another
process had the cores); one with more CPU time did more work or spun; one with collections met the GC.

The diffusion start noise is FmriToImage's (seed 0, written to noise.npy), so both halves compute
the same images; drawing it with torch.randn instead costs the same.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

import torch_bundle

REPO = Path(__file__).resolve().parents[2]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", default="models/demo")
    p.add_argument("--data", default="samples/data/nsd-mini")
    p.add_argument("--out", default="artifacts/perf/side-by-side")
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="cuda: ONNX Runtime's CUDA provider (required, no fallback) and torch on cuda:0 "
                        "(needs a CUDA build of torch; Debian's has none)")
    p.add_argument("--no-build", action="store_true", help="pass --no-build to dotnet run (already built in Release)")
    p.add_argument("--torch-blas", help="also time PyTorch with the libblas.so.3 in this folder (e.g. OpenBLAS unpacked from "
                                        "Debian's libopenblas0-pthread), loaded through LD_LIBRARY_PATH")
    p.add_argument("--skip-as-installed", action="store_true",
                   help="do not time PyTorch on the system's BLAS (only with --torch-blas)")
    p.add_argument("--torch-half", help=argparse.SUPPRESS)  # internal: run only the PyTorch half, results labelled so
    return p.parse_args()


# ---------------------------------------------------------------- the PyTorch pipeline
def alphas_cumprod(s: dict) -> torch.Tensor:
    unsupported = {k: s.get(k) for k, ok in [("beta_schedule", "scaled_linear"), ("prediction_type", "epsilon"),
                                             ("timestep_spacing", "leading"), ("clip_sample", False)] if s.get(k, ok) != ok}
    if unsupported or s.get("trained_betas") is not None:
        raise NotImplementedError(f"scheduler_config.json: {unsupported or 'trained_betas'} is not implemented by this comparison")
    betas = torch.linspace(s["beta_start"] ** 0.5, s["beta_end"] ** 0.5, s["num_train_timesteps"], dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0)


def img2img(nb: torch_bundle.TorchBundle, ac: torch.Tensor, init, cond, uncond, noise, steps: int, strength: float, guidance: float):
    """DDIM (eta 0) img2img with classifier-free guidance, unconditional half first, as diffusers' pipeline runs it."""
    s = nb.scheduler
    ratio = s["num_train_timesteps"] // steps
    timesteps = [t * ratio + s["steps_offset"] for t in range(steps - 1, -1, -1)]
    timesteps = timesteps[max(steps - min(int(steps * strength), steps), 0):]
    final = 1.0 if s["set_alpha_to_one"] else float(ac[0])
    ac = ac.tolist()
    x = ac[timesteps[0]] ** 0.5 * init + (1 - ac[timesteps[0]]) ** 0.5 * noise
    context = torch.cat([uncond, cond])
    for t in timesteps:
        eps_u, eps_c = nb.unet(torch.cat([x, x]), torch.tensor(float(t), device=x.device), context).chunk(2)
        eps = eps_u + guidance * (eps_c - eps_u)
        a_t, a_p = ac[t], (ac[t - ratio] if t - ratio >= 0 else final)
        x0 = (x - (1 - a_t) ** 0.5 * eps) / a_t ** 0.5
        x = a_p ** 0.5 * x0 + (1 - a_p) ** 0.5 * eps
    return x


def to_uint8(sample: torch.Tensor) -> torch.Tensor:
    """VAE output in [-1, 1], NCHW -> uint8 NHWC (round half to even, as the library)."""
    return ((sample + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1)


def caption(nb: torch_bundle.TorchBundle, images: torch.Tensor) -> list[str]:
    """Greedy decoding, whole prefix re-run each step, all images in one batch."""
    emb = nb.cap_vision(nb.cap_preprocess(images))
    ids = torch.full((len(images), 1), nb.cap_bos, dtype=torch.int64, device=nb.device)
    done = torch.zeros(len(images), dtype=torch.bool, device=nb.device)
    while ids.shape[1] < nb.cap_max_length and not done.all():
        nxt = nb.cap_decoder(ids, emb)[:, -1].argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, nb.cap_eos), nxt)
        ids = torch.cat([ids, nxt[:, None]], 1)
        done |= nxt == nb.cap_eos
    return [nb.decode_caption(row) for row in ids.tolist()]


def encode_text(nb: torch_bundle.TorchBundle, texts: list[str]) -> torch.Tensor:
    ids = torch.tensor([nb.bpe.encode(t, nb.text_length) for t in texts], dtype=torch.int64, device=nb.device)
    return nb.text_encoder(ids)[0]


@torch.no_grad()
def reconstruct(nb: torch_bundle.TorchBundle, ac: torch.Tensor, voxels: np.ndarray, noise: torch.Tensor, laps: dict | None = None):
    """One trial, caption -> img2img -> CLIP voting; returns (finals uint8, low-level uint8, captions, scores, chosen)."""
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        if nb.device.type == "cuda":
            torch.cuda.synchronize()
        now = time.perf_counter()
        if laps is not None:
            laps.setdefault(stage, []).append(now - clock[0])
        clock[0] = now

    p = nb.pipeline
    v = torch.from_numpy(voxels)[None].to(nb.device)
    latents = torch.cat([m.net(v if m.mask is None else v * m.mask) for m in nb.lowlevel])
    lap("voxel encoders")
    low = to_uint8(nb.vae_decoder(latents / nb.scaling_factor))
    lap("low-level decoding")
    captions = caption(nb, low)
    lap("captioning")
    cond = encode_text(nb, captions)
    uncond = encode_text(nb, [""])
    lap("text encoding")
    samples = p["samples"]
    e_low = nb.image_encoder(nb.clip_preprocess(low))[0].repeat_interleave(samples, 0)
    lap("low-level embedding")
    k = len(captions) * samples
    final = img2img(nb, ac, latents.repeat_interleave(samples, 0), cond.repeat_interleave(samples, 0), uncond.expand(k, -1, -1),
                    noise, p["steps"], p["strength"], p["guidance"])
    lap("diffusion")
    finals = to_uint8(nb.vae_decoder(final / nb.scaling_factor))
    lap("decoding")
    e_fin = nb.image_encoder(nb.clip_preprocess(finals))[0]
    scores = torch.nn.functional.cosine_similarity(e_low, e_fin, dim=1)
    chosen = int(scores.argmax())
    lap("voting")
    return finals.cpu().numpy(), low.cpu().numpy(), captions, scores.cpu().numpy(), chosen


# ---------------------------------------------------------------- checks
def compare(name: str, ours: np.ndarray, theirs: np.ndarray, tolerance: float) -> str:
    """Fails unless max |FmriToImage − PyTorch| ≤ tolerance × max(1, max |PyTorch|)."""
    if ours.shape != theirs.shape:
        raise AssertionError(f"{name}: FmriToImage {ours.shape} vs PyTorch {theirs.shape}")
    diff = float(np.max(np.abs(ours.astype(np.float64) - theirs.astype(np.float64))))
    scale = max(1.0, float(np.max(np.abs(theirs))))
    if not diff <= tolerance * scale:
        raise AssertionError(f"{name}: max |difference| {diff:.3g} exceeds {tolerance:g} × {scale:.3g}")
    return f"{name:<34} max |diff| {diff:.2e}"


@torch.no_grad()
def check_networks(nb: torch_bundle.TorchBundle, folder: Path) -> list[str]:
    """Each network on FmriToImage's own input for it, output against FmriToImage's output (trial 0)."""
    load = lambda name: np.load(folder / f"{name}.npy")  # noqa: E731
    tensor = lambda name: torch.from_numpy(load(name)).to(nb.device)  # noqa: E731
    lines = []
    v = tensor("voxels")[None]
    names = json.loads((folder / "lowlevel_encoders.json").read_text())
    if names != [m.name for m in nb.lowlevel]:
        raise AssertionError(f"low-level encoders: FmriToImage ran {names}, the bundle lists {[m.name for m in nb.lowlevel]}")
    latents = torch.cat([m.net(v if m.mask is None else v * m.mask) for m in nb.lowlevel]).cpu().numpy()
    lines.append(compare("voxel encoders (latent)", load("lowlevel_latents"), latents, 1e-4))
    decoded = nb.vae_decoder(tensor("lowlevel_latents") / nb.scaling_factor)
    lines.append(compare("VAE decoder (sample)", load("vae_decoded"), decoded.cpu().numpy(), 1e-4))
    images = tensor("lowlevel_images")
    lines.append(compare("image conversion (uint8)", load("lowlevel_images"), to_uint8(tensor("vae_decoded")).cpu().numpy(), 1))
    ours_ids = json.loads((folder / "caption_ids.json").read_text())
    theirs = caption(nb, images)
    ours = json.loads((folder / "captions.json").read_text())
    if ours != theirs:
        raise AssertionError(f"captioner: FmriToImage {ours} vs PyTorch {theirs} (ids {ours_ids})")
    lines.append(f"{'captioner (greedy ids -> text)':<34} identical: {theirs}")
    ids = np.array([nb.bpe.encode(t, nb.text_length) for t in ours + [""]], np.int64)
    if not np.array_equal(ids, load("text_ids")):
        raise AssertionError(f"CLIP tokenizer: FmriToImage {load('text_ids').tolist()} vs the forge's Bpe {ids.tolist()}")
    lines.append(f"{'CLIP tokenizer (ids)':<34} identical")
    lines.append(compare("text encoder (last_hidden_state)", load("text_hidden"), encode_text(nb, ours).cpu().numpy(), 1e-4))
    lines.append(compare("text encoder, empty caption", load("empty_hidden"), encode_text(nb, [""]).cpu().numpy(), 1e-4))
    out = nb.unet(tensor("unet_sample"), torch.tensor(float(load("unet_timestep")), device=nb.device), tensor("unet_context"))
    lines.append(compare("UNet (one guided step, batch 2N)", load("unet_out"), out.cpu().numpy(), 1e-4))
    emb = nb.image_encoder(nb.clip_preprocess(images))[0]
    lines.append(compare("image encoder (image_embeds)", load("image_embeds"), emb.cpu().numpy(), 1e-4))
    return lines


def check_results(folder: Path, theirs: list) -> list[str]:
    finals = np.load(folder / "final_images.npy")
    low = np.load(folder / "lowlevel_images.npy")
    chosen = np.load(folder / "chosen.npy")
    scores = np.load(folder / "scores.npy")
    captions = json.loads((folder / "captions.json").read_text())
    diffs = []
    for t, (f, lo, caps, sc, ch) in enumerate(theirs):
        if caps != captions[t]:
            raise AssertionError(f"trial {t}: captions FmriToImage {captions[t]} vs PyTorch {caps}")
        if ch != chosen[t]:
            raise AssertionError(f"trial {t}: chosen candidate FmriToImage {chosen[t]} vs PyTorch {ch} (scores {scores[t]} vs {sc})")
        diffs.append((np.abs(finals[t].astype(int) - f.astype(int)), np.abs(low[t].astype(int) - lo.astype(int)), np.abs(scores[t] - sc)))
    final_d = np.stack([d[0] for d in diffs])
    low_d = np.stack([d[1] for d in diffs])
    return [f"{len(theirs)} trials: captions and chosen candidates identical",
            f"final images: max |diff| {final_d.max()} grey levels, mean {final_d.mean():.4f}, "
            f"{np.mean(final_d > 1) * 100:.3f} % of values differ by > 1",
            f"low-level images: max |diff| {low_d.max()}, mean {low_d.mean():.4f}",
            f"voting scores: max |diff| {max(float(d[2].max()) for d in diffs):.2e}"]


# ---------------------------------------------------------------- timing
def run_dotnet(a: argparse.Namespace, out: Path) -> dict:
    cmd = ["dotnet", "run", "-c", "Release", "--project", "tests/FmriToImage.Benchmarks"] + (["--no-build"] if a.no_build else []) + [
        "--", "side-by-side", "--bundle", a.bundle, "--data", a.data, "--out", str(out), "--trials", str(a.trials),
        "--warmup", str(a.warmup), "--threads", str(a.threads), "--device", a.device]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    return json.loads((out / "timings.json").read_text())


def torch_half(a: argparse.Namespace, out: Path) -> int:
    """The PyTorch half in its own process (so a BLAS chosen by LD_LIBRARY_PATH applies): checks, then times."""
    torch.set_num_threads(a.threads)
    nb = torch_bundle.load(REPO / a.bundle).to(a.device)
    ac = alphas_cumprod(nb.scheduler)
    voxels = np.load(out / "voxels.npy")
    noise = torch.from_numpy(np.load(out / "noise.npy")).to(nb.device)
    checks = check_networks(nb, out / "networks")
    for t in range(a.warmup):
        reconstruct(nb, ac, voxels[t], noise)
    seconds, cpu_seconds, results, laps = [], [], [], {}
    for t in range(a.warmup, a.warmup + a.trials):
        start, cpu_start = time.perf_counter(), time.process_time()
        results.append(reconstruct(nb, ac, voxels[t], noise, laps))
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
    checks += check_results(out, results)
    (out / f"torch-{a.torch_half}.json").write_text(json.dumps({"seconds_per_trial": seconds, "cpu_seconds_per_trial": cpu_seconds,
                                                               "laps": laps, "checks": checks,
                                                               "torch": torch.__version__, "threads": torch.get_num_threads(),
                                                               "blas": loaded_blas()}))
    return 0


def run_torch(a: argparse.Namespace, out: Path, label: str, blas: str | None) -> dict:
    env = dict(os.environ)
    if blas:
        env["LD_LIBRARY_PATH"] = blas + os.pathsep + env.get("LD_LIBRARY_PATH", "")
        # torch parallelises each operator over its own OpenMP threads; OpenBLAS threads on top oversubscribe the cores
        # (measured on the 2-core VM: 330 ms per reconstruction with 2 OpenBLAS threads, 122 ms with 1).
        env["OPENBLAS_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-W", "ignore", __file__, "--torch-half", label, "--bundle", a.bundle, "--out", str(out),
           "--trials", str(a.trials), "--warmup", str(a.warmup), "--threads", str(a.threads), "--device", a.device]
    subprocess.run(cmd, cwd=REPO, check=True, env=env)
    return json.loads((out / f"torch-{label}.json").read_text())


def main() -> int:
    a = parse()
    out = (REPO / a.out).resolve()
    if a.torch_half:
        return torch_half(a, out)
    if a.skip_as_installed and not a.torch_blas:
        raise SystemExit("--skip-as-installed needs --torch-blas (otherwise no PyTorch half is left)")
    halves = ([] if a.skip_as_installed else [("as installed", None)]) + ([("OpenBLAS", a.torch_blas)] if a.torch_blas else [])
    rounds, loads = [], []
    for r in range(a.rounds):
        load = {"FmriToImage": os.getloadavg()[0]}
        ours = run_dotnet(a, out)
        theirs = {}
        for label, blas in halves:
            load[label] = os.getloadavg()[0]
            theirs[label] = run_torch(a, out, label, blas)
        loads.append(load)
        if r == 0:
            for label, result in theirs.items():
                print(f"\nPyTorch ({label}) against FmriToImage — per network on trial 0's inputs (tolerance 1e-4 × max(1, |output|)), "
                      f"then the timed trials end to end:")
                for line in result["checks"]:
                    print("  " + line)
        rounds.append((ours, theirs))
        print(f"\nround {r + 1}: FmriToImage median {ours['median_seconds'] * 1e3:.1f} ms; " + "; ".join(
            f"PyTorch ({label}) median {statistics.median(t['seconds_per_trial']) * 1e3:.1f} ms, ratio "
            f"{ours['median_seconds'] / statistics.median(t['seconds_per_trial']):.3f}" for label, t in theirs.items())
              + "; 1-minute load average before each half: " + ", ".join(f"{k} {v:.2f}" for k, v in load.items()), flush=True)

    ours = rounds[-1][0]
    cs = [s for o, _ in rounds for s in o["seconds_per_trial"]]
    ts = {label: [s for _, t in rounds for s in t[label]["seconds_per_trial"]] for label, _ in halves}
    print(f"\nMachine: {cpu()}; torch {next(iter(rounds[-1][1].values()))['torch']} ({a.threads} threads), "
          f"ONNX Runtime {ours['onnxruntime']} (intra-op threads per network: {ours['intra_op_threads']}), device {a.device}")
    for label, result in rounds[-1][1].items():
        print(f"PyTorch ({label}) ran with BLAS {result['blas']}")
    print(f"Caption -> img2img on {a.bundle}: {ours['candidates']} candidates, {ours['steps']} steps × strength {ours['strength']}, "
          f"guidance {ours['guidance']}; {a.trials} trials × {a.rounds} round(s), {a.warmup} warm-up trials untimed per run\n")
    print(f"1-minute load average before the halves: {min(v for d in loads for v in d.values()):.2f}–"
          f"{max(v for d in loads for v in d.values()):.2f} (it counts the previous half's own use of the cores, up to about their number)\n")
    print(f"{'per reconstruction, ms':<30}{'median':>8}{'mean':>8}{'p95':>8}{'max':>8}{'p95÷median':>11}"
          f"{'FmriToImage ÷ it (median, mean)':>34}")
    for label, values in [("FmriToImage", cs)] + [(f"PyTorch ({label})", v) for label, v in ts.items()]:
        ratio = "" if values is cs else (f"{statistics.median(cs) / statistics.median(values):>24.3f}"
                                         f"{statistics.mean(cs) / statistics.mean(values):>10.3f}")
        print(f"{label:<30}{statistics.median(values) * 1e3:>8.1f}{statistics.mean(values) * 1e3:>8.1f}{p95(values) * 1e3:>8.1f}"
              f"{max(values) * 1e3:>8.1f}{p95(values) / statistics.median(values):>11.2f}{ratio}")
    print(f"\n{'stage, ms: median / p95':<22}{'FmriToImage':>16}" + "".join(f"{'PyTorch (' + label + ')':>26}" for label in ts)
          + "".join(f"{'÷ ' + label + ' (median)':>22}" for label in ts))
    for stage in ours["stage_seconds"]:
        mine = [x for o, _ in rounds for x in o["stage_seconds"][stage]]
        cells, ratios = "", ""
        for label in ts:
            theirs_stage = [x for _, t in rounds for x in t[label]["laps"].get(stage, [])]
            cells += f"{statistics.median(theirs_stage) * 1e3:>15.1f} / {p95(theirs_stage) * 1e3:>6.1f}  " if theirs_stage else f"{'—':>26}"
            ratios += f"{statistics.median(mine) / statistics.median(theirs_stage):>22.3f}" if theirs_stage else f"{'—':>22}"
        print(f"{stage:<22}{statistics.median(mine) * 1e3:>8.1f} / {p95(mine) * 1e3:>5.1f}" + cells + ratios)
    print_tail(rounds)
    summary = {"fmritoimage_seconds": cs, "pytorch_seconds": ts, "rounds": a.rounds, "trials": a.trials,
               "load_average_before_each_half": loads,
               "p95_over_median": {label: p95(v) / statistics.median(v) for label, v in [("FmriToImage", cs), *ts.items()]},
               "ratio_of_medians": {label: statistics.median(cs) / statistics.median(v) for label, v in ts.items()},
               "ratio_of_means": {label: statistics.mean(cs) / statistics.mean(v) for label, v in ts.items()}}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def p95(values: list) -> float:
    """The 95th percentile, linear between order statistics (numpy's default)."""
    return float(np.percentile(values, 95))


def print_tail(rounds: list) -> None:
    """FmriToImage's slowest trials against its median trial: stages, CPU seconds, collections, GC pause."""
    trials = []
    for r, (o, _) in enumerate(rounds):
        n = len(o["seconds_per_trial"])
        for i, wall in enumerate(o["seconds_per_trial"]):
            trials.append({"round": r + 1, "trial": i, "wall": wall, "cpu": o.get("cpu_seconds_per_trial", [float("nan")] * n)[i],
                           "gc": o.get("gc_per_trial", [[0, 0, 0]] * n)[i], "pause": o.get("gc_pause_seconds_per_trial", [0.0] * n)[i],
                           "stages": {s: v[i] for s, v in o["stage_seconds"].items()}})
    trials.sort(key=lambda t: t["wall"])
    median = trials[len(trials) // 2]
    gcs = [sum(t["gc"][g] for t in trials) for g in range(3)]
    print(f"\nFmriToImage per trial: {len(trials)} trials, collections gen0/gen1/gen2 {gcs[0]}/{gcs[1]}/{gcs[2]}, "
          f"GC pause {sum(t['pause'] for t in trials) * 1e3:.1f} ms in all; the median trial and the slowest five "
          f"(CPU = seconds of all the process's threads; 2 threads busy the whole trial would give 2 × wall):")
    stages = list(median["stages"])
    short = {"voxel encoders": "voxel", "low-level decoding": "ll-decode", "captioning": "caption", "text encoding": "text",
             "low-level embedding": "ll-embed", "decoding": "decode"}
    print(f"{'round.trial':<12}{'wall ms':>9}{'CPU ms':>8}{'CPU÷wall':>9}{'gc 0/1/2':>10}{'pause ms':>9}  "
          + " ".join(f"{short.get(s, s)[:9]:>9}" for s in stages))
    for label, t in [("median", median)] + [("", t) for t in trials[-5:][::-1]]:
        print(f"{label or str(t['round']) + '.' + str(t['trial']):<12}{t['wall'] * 1e3:>9.1f}{t['cpu'] * 1e3:>8.1f}{t['cpu'] / t['wall']:>9.2f}"
              f"{'/'.join(map(str, t['gc'])):>10}{t['pause'] * 1e3:>9.1f}  " + " ".join(f"{t['stages'][s] * 1e3:>9.1f}" for s in stages))


def loaded_blas() -> str:
    """The BLAS library this process mapped (torch's Linear layers run on it)."""
    maps = Path("/proc/self/maps")
    libs = {line.split()[-1] for line in maps.read_text().splitlines() if "blas" in line} if maps.exists() else set()
    return ", ".join(sorted(str(Path(lib).resolve()) for lib in libs)) or "unknown"


def cpu() -> str:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "unknown CPU")
    return f"{model} × {info.count('processor')}"


if __name__ == "__main__":
    sys.exit(main())
