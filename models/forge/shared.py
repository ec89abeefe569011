"""The shared-subject demo (issue 19): MindEye2's design in miniature, trained and measured on the demo world.

    /usr/bin/python3 -m models.forge.shared            # everything: cache, training, bundles, data, metrics, docs
    /usr/bin/python3 -m models.forge.shared --check    # regenerate into a temp folder, compare every sha256

Five simulated subjects (shared_world.py): subj01..subj04 train one shared model (a linear adapter per subject into a
shared space of width H, one backbone, zoo/shared_nets.py); subj05 is held out. The held-out subject is then decoded
(a) after adapting: its session-1 trials regressed onto the shared-space targets by dual ridge (zoo/dual_ridge.py, the
method of the library's SubjectAdapter.Fit), (b) by the same architecture trained from scratch on that one session,
(c) by chance. Writes models/demo-shared/ (format v2), models/demo-shared-baseline/ (the scratch model, v2 with one
subject), samples/data/nsd-shared-mini/ (the held-out subject's data in NSD's layout), models/forge/shared-metrics.json
and the "Shared-subject model" section of docs/demo-world.md. See models/forge/README.md.
"""
from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from . import shared_cache, shared_world, writer
from .zoo import dual_ridge, metrics, shared_nets
from .zoo.onnx_eval import Graph, run_batched
from ..export.bundle_files import sha256, write_json
from ..export.onnx_export import export as onnx_export

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "models/demo"
WIDTH = 64                  # H, the shared space
SEED = 19
SHARED_STEPS = 1500         # × 32 trials of each of the 4 trained subjects
SCRATCH_STEPS = 800         # × 64 trials of the held-out subject's one session
SMOKE_TEST_IMAGES = 16      # test images whose trials are stored for each trained subject (the --subject smoke test)
DIFFUSION_SIDE = ["unet", "vae_encoder", "vae_decoder", "text_encoder", "tokenizer", "captioner", "image_encoder",
                  "scheduler", "model_index.json"]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", default=str(REPO / "artifacts/shared-cache"), help="simulated world + targets (built if absent)")
    p.add_argument("--out", default=str(REPO), help="repository root to write models/ and samples/ under")
    p.add_argument("--check", action="store_true", help="regenerate into a temp folder and compare every sha256")
    p.add_argument("--fresh", action="store_true", help="retrain: delete the cached trained models first (the world stays cached)")
    return p.parse_args()


# ---------------------------------------------------------------- data views
def session_zscore(int16: np.ndarray) -> np.ndarray:
    """What the library does to one session's volumes (TrialFile, Volumes layout): each voxel z-scored over the
    file's trials, population sd; a constant voxel becomes 0."""
    x = int16.astype(np.float64)
    sd = x.std(0)
    return ((x - x.mean(0)) / np.where(sd > 0, sd, 1.0)).astype(np.float32)


def training_trials(sub: shared_world.SubjectData, test: np.ndarray):
    keep = ~np.isin(sub.nsd_ids, test)
    return sub.renorm[keep], sub.nsd_ids[keep]


def test_groups(sub: shared_world.SubjectData, test: np.ndarray, ids: np.ndarray | None = None):
    """(renorm rows of the test trials, [row positions per image], the image ids that have trials)."""
    ids = test if ids is None else ids
    ids = np.array([i for i in ids if (sub.nsd_ids == i).any()])     # a trained subject's 8 sessions miss a few
    pos = [np.flatnonzero(sub.nsd_ids == i) for i in ids]
    flat = np.concatenate(pos)
    groups, k = [], 0
    for p in pos:
        groups.append(np.arange(k, k + len(p)))
        k += len(p)
    return sub.renorm[flat], groups, ids


# ---------------------------------------------------------------- measures
class Scorer:
    def __init__(self, w: dict):
        self.tg, self.test, self.images, self.scaling = w["targets"], w["test"], w["images"], w["scaling"]
        self.decoder = Graph(DEMO / "vae_decoder/model.onnx")

    def decode(self, latent: np.ndarray) -> np.ndarray:
        img = run_batched(self.decoder, "latent_sample", latent / np.float32(self.scaling))["sample"]
        return np.round((np.clip(img, -1, 1).transpose(0, 2, 3, 1) + 1) * 127.5).astype(np.uint8)

    def score(self, tokens, embedding, latent, ids: np.ndarray | None = None, images: bool = True) -> dict:
        te = self.test if ids is None else ids
        lat_true = self.tg["latent"][te].reshape(len(te), -1)
        lat = latent.reshape(len(te), -1)
        lc = [np.corrcoef(a, b)[0, 1] for a, b in zip(lat, lat_true)]
        return {"brain_to_image_top1": metrics.top1(embedding, self.tg["image_embeds"][te]),
                "image_to_brain_top1": metrics.top1(self.tg["image_embeds"][te], embedding),
                "token_mse": float(((tokens - self.tg["image_tokens"][te]) ** 2).mean()),
                "latent_corr": float(np.mean(lc))} | (self.pixels(latent, te) if images else {})

    def pixels(self, latent, te) -> dict:
        imgs = self.decode(latent)
        return {"pixcorr": metrics.pixcorr(imgs, self.images[te]), "ssim": metrics.ssim(imgs, self.images[te])}


# ---------------------------------------------------------------- the run
def cached(path: Path, train):
    """A trained model from the cache (--fresh deletes it), or trained now and saved there: a failure after training
    (export, data, docs) costs minutes, not the training. Valid only for the same code, seed and steps."""
    if path.exists():
        return torch.load(str(path))
    model = train()
    torch.save(model, str(path))
    return model


def run(cache: Path, out: Path, log=print) -> dict:
    torch.set_num_threads(1)
    t0 = time.time()
    if not (cache / "world.pkl").exists():
        shared_cache.build(cache, log=log)
    w = shared_cache.load(cache)
    subs, test, tg = w["subjects"], w["test"], w["targets"]
    m: dict = {"seed": SEED, "width": WIDTH, "trained": [subs[n].name for n in shared_world.TRAINED],
               "held_out": subs[shared_world.HELD_OUT].name, "train_sessions": shared_world.TRAIN_SESSIONS,
               "voxels": {subs[n].name: int(subs[n].general.sum()) for n in subs},
               "grids": {subs[n].name: list(subs[n].grid) for n in subs}, "chance": 1 / len(test)}
    scorer = Scorer(w)

    # ---- shared model on the trained subjects' single training trials
    s = time.time()
    train = {n: training_trials(subs[n], test) for n in shared_world.TRAINED}
    model = cached(cache / "shared-model.pt", lambda: shared_nets.train_shared(train, tg, WIDTH, SHARED_STEPS, SEED, t0, batch=32))
    m["seconds_shared_training"] = round(time.time() - s, 1)
    m["trials_per_trained_subject"] = {subs[n].name: int(len(train[n][1])) for n in train}

    # ---- shared-space targets: per image, the mean over trained subjects of their repetition-averaged adapter outputs
    sums, counts = np.zeros((3000, WIDTH)), np.zeros(3000)
    for n, (v, ids) in train.items():
        h = shared_nets.adapter_outputs(model, n, v)
        per = np.zeros((3000, WIDTH))
        np.add.at(per, ids, h)
        cnt = np.bincount(ids, minlength=3000)
        seen = cnt > 0
        sums[seen] += per[seen] / cnt[seen, None]
        counts[seen] += 1
    image_ids = np.flatnonzero(counts > 0).astype(np.int64)
    targets = (sums[image_ids] / counts[image_ids, None]).astype(np.float32)
    m["shared_images"] = int(len(image_ids))

    # ---- trained subjects through the shared model (reference)
    m["trained_subjects"] = {}
    for n in shared_world.TRAINED:
        rows, groups, seen = test_groups(subs[n], test)
        pred = shared_nets.repeat_averaged(model, shared_nets.adapter_outputs(model, n, rows), groups)
        m["trained_subjects"][subs[n].name] = scorer.score(*pred, ids=seen, images=False)
        m["trained_subjects"][subs[n].name]["test_images"] = int(len(seen))
        log(f"{subs[n].name} (trained): {m['trained_subjects'][subs[n].name]}")

    # ---- held-out subject: session 1 (its non-test trials) = the adaptation data
    held = subs[shared_world.HELD_OUT]
    s1 = session_zscore(held.session1_int16[:, held.general])
    s1_ids = held.design.nsd_id[:750]
    usable = np.isin(s1_ids, image_ids)
    x, ids = s1[usable], s1_ids[usable]
    s = time.time()
    wgt, bias, lam, cv = dual_ridge.fit(x, targets[np.searchsorted(image_ids, ids)])
    m["adaptation"] = {"trials": int(usable.sum()), "session_trials": 750, "test_trials_in_session": int((~usable).sum()),
                       "lambda": lam, "cv_score": max(cv.values()), "cv": {f"{k:g}": round(v, 4) for k, v in cv.items()},
                       "folds": 5, "seconds": round(time.time() - s, 1)}
    log(f"adaptation: {m['adaptation']['trials']} trials, lambda {lam:g}, cv r {max(cv.values()):.3f}")
    rows, groups, _ = test_groups(held, test)
    out_adapted = shared_nets.repeat_averaged(model, rows @ wgt + bias, groups)
    m["held_out_adapted"] = scorer.score(*out_adapted)
    log(f"held-out adapted: {m['held_out_adapted']}")

    # ---- from-scratch baseline: the same architecture on that one session only
    s = time.time()
    scratch = cached(cache / "scratch-model.pt", lambda: shared_nets.train_shared(
        {held.number: (x, ids)}, tg, WIDTH, SCRATCH_STEPS, SEED + 1, t0, batch=64, name="scratch"))
    m["seconds_scratch_training"] = round(time.time() - s, 1)
    out_scratch = shared_nets.repeat_averaged(scratch, shared_nets.adapter_outputs(scratch, held.number, rows), groups)
    m["held_out_scratch"] = scorer.score(*out_scratch)
    log(f"held-out scratch: {m['held_out_scratch']}")

    # ---- trivial baselines: the mean training image / latent
    mean_lat = np.broadcast_to(tg["latent"][image_ids].mean(0), (len(test),) + tg["latent"].shape[1:])
    mimg = scorer.decode(np.ascontiguousarray(mean_lat[:1]))
    m["mean_latent_baseline"] = {"pixcorr": metrics.pixcorr(np.repeat(mimg, len(test), 0), w["images"][test]),
                                 "ssim": metrics.ssim(np.repeat(mimg, len(test), 0), w["images"][test])}

    # ---- write everything
    scratch_ids = np.unique(ids)
    scratch_targets = np.stack([shared_nets.adapter_outputs(scratch, held.number, x[ids == i]).mean(0)
                                for i in scratch_ids]).astype(np.float32)
    write_bundle(out / "models/demo-shared", model, {n: subs[n] for n in shared_world.TRAINED}, targets, image_ids,
                 "the shared model", readme_shared(m))
    write_bundle(out / "models/demo-shared-baseline", scratch, {held.number: held}, scratch_targets, scratch_ids,
                 "the from-scratch baseline", readme_baseline(m))
    write_data(out / "samples/data/nsd-shared-mini", w, m)
    m["seconds_total"] = round(time.time() - t0, 1)
    for b in ("models/demo-shared", "models/demo-shared-baseline"):
        m.setdefault("bundle_new_bytes", {})[b] = sum(
            p.stat().st_size for p in (out / b).rglob("*") if p.is_file() and p.relative_to(out / b).parts[0] not in DIFFUSION_SIDE)
    m["data_bytes"] = sum(p.stat().st_size for p in (out / "samples/data/nsd-shared-mini").rglob("*") if p.is_file())
    return m


def write_bundle(out: Path, model: shared_nets.SharedModel, subs: dict, targets: np.ndarray, image_ids: np.ndarray,
                 what: str, readme: str) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in DIFFUSION_SIDE:
        src = DEMO / name
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, out / name)
    subjects = {}
    for n, sub in subs.items():
        d = out / f"subjects/{sub.name}"
        d.mkdir(parents=True)
        writer.write_nifti_gz(d / "nsdgeneral.nii.gz", sub.nsdgeneral, writer.affine_for(sub.grid, 1.8))
        lin = model.adapters[str(n)]
        np.save(d / "adapter_weight.npy", np.ascontiguousarray(lin.weight.detach().numpy().T, np.float32))
        np.save(d / "adapter_bias.npy", lin.bias.detach().numpy().astype(np.float32))
        subjects[sub.name] = {"voxel_count": int(sub.general.sum()),
                              "masks": {"nsdgeneral": f"subjects/{sub.name}/nsdgeneral.nii.gz"},
                              "adapter": {"weight": f"subjects/{sub.name}/adapter_weight.npy",
                                          "bias": f"subjects/{sub.name}/adapter_bias.npy"},
                              "source": "trained"}
    (out / "shared_space").mkdir()
    np.save(out / "shared_space/targets.npy", targets.astype(np.float32))
    np.save(out / "shared_space/image_ids.npy", image_ids.astype(np.int64))
    onnx_export(model.backbone, (torch.zeros(1, WIDTH),), out / "voxel_encoders/backbone.onnx", ["shared"],
                ["image_tokens", "image_embedding", "latent"],
                {"shared": {0: "batch"}, "image_tokens": {0: "batch"}, "image_embedding": {0: "batch"}, "latent": {0: "batch"}})
    check_backbone(out / "voxel_encoders/backbone.onnx", model.backbone)
    (out / "README.md").write_text(readme)
    demo = json.loads((DEMO / "fmri_decoder.json").read_text())
    files = {p.relative_to(out).as_posix(): sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
    write_json(out / "fmri_decoder.json", {
        "format_version": 2, "repetition_averaging": "outputs",
        "shared_space": {"width": WIDTH, "targets": "shared_space/targets.npy", "image_ids": "shared_space/image_ids.npy"},
        "subjects": subjects,
        "voxel_encoders": [
            {"name": "backbone_tokens", "file": "voxel_encoders/backbone.onnx", "role": "image_tokens", "input": "shared_space"},
            {"name": "backbone_lowlevel", "file": "voxel_encoders/backbone.onnx", "role": "vae_latent", "input": "shared_space"}],
        "pipelines": demo["pipelines"], "unconditional": demo["unconditional"], "files": files})


def check_backbone(path: Path, module) -> None:
    """The exported graph, run by the ONNX interpreter, against PyTorch on a few random shared vectors."""
    x = np.random.default_rng(0).standard_normal((5, WIDTH)).astype(np.float32)
    got = Graph(path)(shared=x)
    with torch.no_grad():
        want = module(torch.from_numpy(x))
    for name, ref in zip(["image_tokens", "image_embedding", "latent"], want):
        err = float(np.abs(got[name] - ref.numpy()).max())
        if err > 1e-4:
            raise SystemExit(f"{path}: {name} differs from PyTorch by {err:g}")


def write_data(root: Path, w: dict, m: dict) -> None:
    """The held-out subject's session 1 + test trials (+ a few test trials of each trained subject) in NSD's layout."""
    if root.exists():
        shutil.rmtree(root)
    lay = writer.NsdLayout(root)
    subs, test = w["subjects"], w["test"]
    held = subs[shared_world.HELD_OUT]
    smoke = test[:SMOKE_TEST_IMAGES]
    stored = {}
    for n, sub in subs.items():
        aff = writer.affine_for(sub.grid, 1.8)
        writer.write_nifti_gz(lay.roi(n, "nsdgeneral"), sub.nsdgeneral, aff)
        writer.write_ctab(lay.ctab(n, "nsdgeneral"), ("nsdgeneral",))
        full = np.full((9000, int(sub.general.sum())), np.nan, np.float32)
        full[sub.rows] = sub.renorm
        if n == held.number:
            rows = np.flatnonzero(sub.design.shared)                            # every test trial (3 per test image)
            writer.write_nifti_gz(lay.brainmask(n), (sub.nsdgeneral >= 0).astype(np.int16), aff)
            writer.write_betas_hdf5(lay.betas(n, 1), sub.session1_int16, sub.voxels, sub.grid, keep=sub.general)
            listed = np.union1d(np.arange(750), rows)
        else:
            rows = np.flatnonzero(np.isin(sub.design.nsd_id, smoke))
            rows = rows[np.isin(rows, sub.rows)]
            listed = rows
        writer.write_renorm(lay.renorm(n), full, only_rows=rows)
        stored[n] = listed
    imgs = w["images"]
    writer.write_stimuli(lay.stimuli(), imgs, only=test)
    captions = w["captions"]
    shared = np.zeros(3000, bool)
    shared[test] = True
    head = ["nsdId", "shared1000", "split", "caption"]
    for n in subs:
        head += [f"subject{n}_rep0", f"subject{n}_rep1", f"subject{n}_rep2"]
    reps = {}
    for n, sub in subs.items():
        r = np.zeros((3000, 3), np.int64)
        r[sub.design.nsd_id, sub.design.rep] = np.arange(9000) + 1
        reps[n] = r
    rows_out = [[i, bool(shared[i]), "test" if shared[i] else "train", captions[i], *sum((reps[n][i].tolist() for n in subs), [])]
                for i in range(3000)]
    writer.write_csv(lay.stim_info(), head, rows_out)
    trial_head = ["subject", "session", "run", "trial", "global_trial", "nsdId", "rep", "shared1000", "caption"]
    trial_rows = []
    for n, sub in subs.items():
        d = sub.design
        for t in stored[n]:
            i = int(d.nsd_id[t])
            trial_rows.append([n, int(d.session[t]), int(d.run[t]), int(d.trial[t]), int(t), i, int(d.rep[t]),
                               bool(d.shared[t]), captions[i]])
    writer.write_csv(lay.trials(), trial_head, trial_rows)
    writer.write_csv(root / "session01_image_ids.csv", ["row", "nsdId", "shared1000"],
                     [[t, int(held.design.nsd_id[t]), bool(held.design.shared[t])] for t in range(750)])
    (root / "README.md").write_text(readme_data(m, w))
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    writer.write_text(root / "SHA256SUMS", "".join(f"{sha256(p)}  {p.relative_to(root).as_posix()}\n" for p in files))


# ---------------------------------------------------------------- texts
def readme_shared(m: dict) -> str:
    v = m["voxels"]
    return f"""# demo-shared: the shared-subject (MindEye2-style) demo bundle

Written by `/usr/bin/python3 -m models.forge.shared` (models/forge/README.md); do not edit — rerun it.
Format: `fmri_decoder.json` format_version 2 (docs/model-bundle.md).

- Trained subjects {", ".join(f"{s} ({v[s]} voxels, grid {'×'.join(map(str, m['grids'][s]))})" for s in m["trained"])};
  each has a linear adapter `subjects/<id>/adapter_weight.npy` (float32 [voxels, {m['width']}]) and `adapter_bias.npy`
  into the shared space of width {m['width']}, and its nsdgeneral mask on its own grid. Inputs: nsdgeneral voxels z-scored
  per session (MindEye2's renorm betas); no standardisation statistics are stored.
- `voxel_encoders/backbone.onnx`: input `shared` [batch, {m['width']}] → `image_tokens` [batch, 17, 64] (the tiny CLIP
  image tokens the demo UNet is conditioned on), `image_embedding` [batch, 64] (retrieval), `latent` [batch, 4, 8, 8]
  (the blurry VAE latent × scaling_factor). Repetitions: each through adapter + backbone, outputs averaged.
- `shared_space/targets.npy` [{m['shared_images']}, {m['width']}] and `image_ids.npy`: for every training image the trained
  subjects saw, the mean over those subjects of their repetition-averaged adapter outputs — what `adapt` regresses a new
  subject onto. Test images are not among them.
- {m['held_out']} is held out (not listed); its data are in samples/data/nsd-shared-mini.
- The diffusion side (unet, vae_*, text_encoder, tokenizer, captioner, image_encoder, scheduler, model_index.json) is
  byte-identical to models/demo.

Measures: docs/demo-world.md, section "Shared-subject model".
"""


def readme_baseline(m: dict) -> str:
    return f"""# demo-shared-baseline: {m['held_out']} from scratch on one session

Written by `/usr/bin/python3 -m models.forge.shared`; do not edit. The same architecture as models/demo-shared (a linear
adapter [{m['voxels'][m['held_out']]}, {m['width']}] + the backbone) trained from scratch only on {m['held_out']}'s session 1
({m['adaptation']['trials']} non-test trials of samples/data/nsd-shared-mini), the single-subject baseline of MindEye2's
one-session claim. Format v2 with one subject; `shared_space` holds this model's own adapter outputs per session-1 image.
Diffusion side byte-identical to models/demo. Measures: docs/demo-world.md, section "Shared-subject model".
"""


def readme_data(m: dict, w: dict) -> str:
    h = m["held_out"]
    n = int(h[-2:])
    return f"""# nsd-shared-mini: the held-out subject of the shared-subject demo

Written by `/usr/bin/python3 -m models.forge.shared` (models/forge/README.md); do not edit — rerun it. `SHA256SUMS`
lists every file (`sha256sum -c SHA256SUMS` here). NSD's layout, as samples/data/nsd-mini (whose README explains the
files and the fill-value conventions); only what the demo of issue 19 needs is stored.

**{h} is held out** of models/demo-shared (trained on {", ".join(m["trained"])}). Its grid is
{"×".join(map(str, m["grids"][h]))}, {m["voxels"][h]} nsdgeneral voxels.

| file | content |
|---|---|
| `nsddata_betas/ppdata/{h}/func1pt8mm/betas_fithrf_GLMdenoise_RR/betas_session01.hdf5` | **the adaptation session**: {h}'s session 1, int16 (750, Z, Y, X), only nsdgeneral chunks stored. {m["adaptation"]["test_trials_in_session"]} of its 750 trials show test images; the other {m["adaptation"]["trials"]} show training images, all of them in the bundle's `shared_space/image_ids`. The library z-scores each voxel over the file's 750 trials (TrialFile, Volumes) |
| `betas_all_{h}_fp32_renorm.hdf5` | **the test trials**: MindEye2-style renorm rows (9000, {m["voxels"][h]}); only the 900 rows of test trials (300 test images × 3 repetitions, spread over the 12 sessions) are stored, the rest read NaN |
| `betas_all_subj0N_fp32_renorm.hdf5` (N = 1..4) | the trained subjects' trials of the first {SMOKE_TEST_IMAGES} test images (by nsdId) only, for a `--subject` smoke test of each trained subject |
| `nsddata/ppdata/subjNN/func1pt8mm/roi/nsdgeneral.nii.gz`, `…/label/nsdgeneral.mgz.ctab` | every subject's nsdgeneral mask on its own grid (the bundle has the same masks); {h} also has `brainmask.nii.gz` |
| `nsddata/experiments/nsd/nsd_trials.csv` | trial → image table of the **stored** trials only: {h}'s session 1 (750 rows) and its test trials; subj01..04's smoke-test trials |
| `nsddata/experiments/nsd/nsd_stim_info_merged.csv` | one row per image (`nsdId`, `shared1000`, `split`, `caption`, `subjectN_rep0..2` = 1-based global trial of every subject's showings) |
| `session01_image_ids.csv` | `row,nsdId,shared1000` for the 750 rows of the session file (the `--image-ids` form of the CLI), so `adapt` can take the session file alone |
| `nsddata_stimuli/stimuli/nsd/nsd_stimuli.hdf5` | `/imgBrick` with only the 300 test images stored (byte-identical to nsd-mini's) |

Split: the {len(w['test'])} shared test images are never trained on or adapted on; `adapt` uses session 1's trials of
training images (targets: the bundle's shared space), the test trials are reconstructed with every repetition through
the model separately, outputs averaged (MindEye2). Reconstruct {h} after adapting, e.g.
`fmri2img-reconstruct --data samples/data/nsd-shared-mini --subject {n} --model <adapted bundle>`.
"""


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def docs_section(m: dict) -> str:
    a, s, ad = m["held_out_adapted"], m["held_out_scratch"], m["adaptation"]
    mb = m["mean_latent_baseline"]
    row = lambda k, v: (f"| {k} (trained, {v['test_images']} test images) | {pct(v['brain_to_image_top1'])} | "
                        f"{pct(v['image_to_brain_top1'])} | {v['latent_corr']:.3f} | – | – | {v['token_mse']:.4f} |")
    trained = "\n".join(row(k, v) for k, v in m["trained_subjects"].items())
    verdict = ("The adapted shared model beats the from-scratch model on retrieval"
               if a["brain_to_image_top1"] > s["brain_to_image_top1"] else
               "**The adapted shared model does not beat the from-scratch model on retrieval**")
    cv = ", ".join(f"{k}: {v:.3f}" for k, v in m["adaptation"]["cv"].items())
    return f"""{writer.SHARED_MARKER}

## Shared-subject model (issue 19): a new subject from one session

`/usr/bin/python3 -m models.forge.shared` (models/forge/README.md) simulates three more subjects with the demo world's
code, each on its own grid and with its own brain size (subject 1 and 2 are the demo world's own, unchanged — checked
against the committed mini set), trains a MindEye2-style shared model on {", ".join(m["trained"])} and holds out
{m["held_out"]}:

| subject | grid (X×Y×Z) | nsdgeneral voxels | role |
|---|---|---|---|
{chr(10).join(f"| {k} | {'×'.join(map(str, m['grids'][k]))} | {v} | {'held out' if k == m['held_out'] else 'trained'} |" for k, v in m["voxels"].items())}

- Model (models/forge/zoo/shared_nets.py): per subject a linear adapter voxels → shared space (H = {m["width"]}); one
  backbone (input LayerNorm, Linear {m["width"]} → 256, two residual MLP blocks) with three heads: the 17 × 64 tiny-CLIP
  image tokens the demo UNet is conditioned on, a 64-d retrieval embedding, the 4 × 8 × 8 VAE latent (× scaling factor) —
  the targets of the demo's high-level and lowlevel_all encoders. Loss: token MSE + InfoNCE (embedding vs the tiny CLIP
  image embedding) + latent L1. Trained on single trials of the training images of {m["train_sessions"]} sessions per
  trained subject ({", ".join(f"{k}: {v}" for k, v in m["trials_per_trained_subject"].items())} trials), {SHARED_STEPS} steps
  of 32 trials per subject ({m["seconds_shared_training"] / 60:.1f} min, 1 CPU thread).
- Shared space: for each of the {m["shared_images"]} training images, the mean over the trained subjects of their
  repetition-averaged adapter outputs (models/demo-shared/shared_space).
- **Adapted:** {m["held_out"]}'s session 1 (750 trials; its {ad["trials"]} trials of training images, each voxel z-scored
  over the session as the library does) regressed onto the shared-space targets of their images by dual ridge, the
  method of the library's `SubjectAdapter.Fit` (docs/adaptation.md: centred, 17 λ from 10⁰ to 10⁸, 5 contiguous folds,
  mean Pearson r): λ = {ad["lambda"]:g}, CV r = {ad["cv_score"]:.3f}, {ad["seconds"]:.0f} s in NumPy float64.
- **From scratch:** the same architecture (adapter + backbone) trained only on those {ad["trials"]} trials,
  {SCRATCH_STEPS} steps of 64 ({m["seconds_scratch_training"] / 60:.1f} min).
- Test: {m["held_out"]}'s 300 test images, each of the 3 repetitions through adapter + backbone separately and the
  outputs averaged (MindEye2). Retrieval is 300-way (chance {pct(m["chance"])}); images are the demo VAE's decoding of
  the predicted latent (no diffusion), PixCorr / SSIM as in the model-zoo section.

These are the forge's own numbers (Python: PyTorch for the networks, the ONNX interpreter zoo/onnx_eval.py for the
demo's VAE decoder); the library's numbers for the same comparison come from the `adapt` command.

| decoder of {m["held_out"]} (300 test images) | brain → image top-1 | image → brain top-1 | latent r | PixCorr | SSIM | token MSE |
|---|---|---|---|---|---|---|
| shared model, adapted from 1 session | {pct(a["brain_to_image_top1"])} | {pct(a["image_to_brain_top1"])} | {a["latent_corr"]:.3f} | {a["pixcorr"]:.3f} | {a["ssim"]:.3f} | {a["token_mse"]:.4f} |
| same architecture from scratch on that session | {pct(s["brain_to_image_top1"])} | {pct(s["image_to_brain_top1"])} | {s["latent_corr"]:.3f} | {s["pixcorr"]:.3f} | {s["ssim"]:.3f} | {s["token_mse"]:.4f} |
| chance / mean training latent | {pct(m["chance"])} | {pct(m["chance"])} | – | {mb["pixcorr"]:.3f} | {mb["ssim"]:.3f} | – |
{trained}

{verdict} ({pct(a["brain_to_image_top1"])} vs {pct(s["brain_to_image_top1"])}, chance {pct(m["chance"])}). The trained
subjects' rows use their test images within the {m["train_sessions"]} simulated sessions (a reference: what the shared
model does with many sessions of a subject). Cross-validation scores per λ: {cv}.

Total run time {m["seconds_total"] / 60:.1f} min (this 2-core shared VM under heavy load from other builds) after the
cached world and targets.
"""


def write_docs(m: dict, path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    at = text.find(writer.SHARED_MARKER)
    head = text if at < 0 else text[:at]
    end = text.find(writer.MINDEYE2_MARKER)
    tail = "" if end < 0 else "\n" + text[end:]       # the MindEye2 demo bundle's section follows and stays
    writer.write_text(path, head.rstrip("\n") + "\n\n" + docs_section(m) + tail)


def main() -> None:
    a = parse()
    if a.fresh:
        for name in ("shared-model.pt", "scratch-model.pt"):
            (Path(a.cache) / name).unlink(missing_ok=True)
    if a.check:
        with tempfile.TemporaryDirectory() as tmp:
            run(Path(a.cache), Path(tmp))
            bad = 0
            for rel in ("models/demo-shared", "models/demo-shared-baseline", "samples/data/nsd-shared-mini"):
                for p in sorted((Path(tmp) / rel).rglob("*")):
                    if p.is_file():
                        q = REPO / rel / p.relative_to(Path(tmp) / rel)
                        if not q.exists() or sha256(p) != sha256(q):
                            print(f"differs: {rel}/{p.relative_to(Path(tmp) / rel)}")
                            bad += 1
            raise SystemExit(1 if bad else 0)
    m = run(Path(a.cache), Path(a.out))
    write_json(REPO / "models/forge/shared-metrics.json", m)
    write_docs(m, REPO / "docs/demo-world.md")
    print(json.dumps({k: m[k] for k in ("held_out_adapted", "held_out_scratch", "adaptation")}, indent=1))


if __name__ == "__main__":
    main()
