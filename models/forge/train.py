"""Trains the tiny model zoo on the simulated NSD-like world and exports it as a model bundle (issue 7).

    /usr/bin/python3 -m models.forge.simulate --out artifacts/nsd-world --no-mini --no-docs --no-nifti-betas
    /usr/bin/python3 -m models.forge.train --out models/demo

Order: VAE → tiny CLIP → low-level voxel encoders → UNet → captioner → high-level voxel encoder → diffusion prior →
pipeline defaults on the validation split (which also decides whether the prior ships) → measures on the 300 test
images → export. Seeded; CPU; see models/forge/README.md.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .zoo import data, metrics, report, stages
from .zoo.export import export_bundle
from .zoo.sampling import img2img, prior_sample
from .zoo.tokenizers import Bpe, Words

TEXT_LENGTH = 20      # <|startoftext|> + ≤ 18 BPE tokens + <|endoftext|>: the longest caption fits
CAPTION_LENGTH = 20   # [DEC] + ≤ 18 words + [SEP]
PRIOR_SAMPLING_STEPS = 20   # DDIM steps of the prior at inference (MindEye2 samples its prior in 20 steps)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", default="artifacts/nsd-world", help="full world written by models.forge.simulate --out")
    p.add_argument("--rois", default="samples/data/nsd-mini", help="folder with the ROI volumes and ctabs (NSD layout)")
    p.add_argument("--out", default="models/demo")
    p.add_argument("--metrics", default="models/forge/zoo-metrics.json")
    p.add_argument("--docs", default="docs/demo-world.md", help="report whose model-zoo section is (re)written")
    p.add_argument("--report-only", action="store_true", help="only rewrite the docs section from --metrics")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--scale", type=float, default=1.0, help="multiplies every epoch count (e.g. 0.1 for a smoke run)")
    p.add_argument("--cache", default="artifacts/zoo-cache", help="each trained stage is saved here (torch.save)")
    p.add_argument("--resume", action="store_true",
                   help="load stages already in --cache instead of training them (only valid for the same code, seed and scale)")
    return p.parse_args()


def epochs(n: int, scale: float) -> int:
    return max(1, int(round(n * scale)))


def cached(a: argparse.Namespace, name: str, train):
    """Runs train() and saves its result as --cache/name.pt, or with --resume loads that file when it exists, so a run
    that fails late (export, report) need not retrain everything. Stages are seeded on their own, so a loaded stage
    equals a retrained one."""
    path = Path(a.cache) / f"{name}.pt"
    if a.resume and path.exists():
        print(f"{name}: loaded from {path}", flush=True)
        return torch.load(path)
    result = train()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(result, path)
    return result


def main() -> None:
    a = parse()
    if a.report_only:
        report.write(json.loads(Path(a.metrics).read_text()), Path(a.docs))
        return
    torch.set_num_threads(a.threads)
    t0 = time.time()
    w = data.load(a.world, a.rois, seed=a.seed)
    stages.log(f"data: {len(w.train_ids)} train / {len(w.val_ids)} val / {len(w.test_ids)} test images, {w.betas.shape[1]} voxels", t0)
    tr, va, te = w.train_ids, w.val_ids, w.test_ids
    m: dict = {"seed": a.seed, "subject": "subj01", "voxels": int(w.betas.shape[1]),
               "roi_set_sizes": {k: int(len(v)) for k, v in w.roi_indices.items()}}
    times: dict = {}

    # ---- VAE
    s = time.time()
    vae_x = data.to_vae(w.images)
    enc, dec = cached(a, "vae", lambda: stages.train_vae(vae_x[tr], epochs(10, a.scale), a.seed + 1, t0))
    sampled = stages.vae_latents(enc, vae_x[tr], torch.Generator().manual_seed(a.seed))
    scaling = float(1.0 / sampled.std())
    lat = stages.vae_latents(enc, vae_x) * scaling                        # scaled posterior means, all 3000 images
    rec = stages.vae_decode(dec, lat[te], scaling)
    mean_img = np.broadcast_to(w.images[tr].mean(0).round().astype(np.uint8), rec.shape)
    m["vae"] = {"scaling_factor": scaling, "psnr_db": metrics.psnr(rec, w.images[te]), "mean_image_psnr_db": metrics.psnr(mean_img, w.images[te])}
    times["vae"] = time.time() - s
    stages.log(f"vae: {m['vae']}", t0)

    # ---- tiny CLIP
    s = time.time()
    bpe = Bpe.train([w.captions[i] for i in tr])
    ids = np.array([bpe.encode(c, TEXT_LENGTH) for c in w.captions], np.int64)
    clip_x = data.to_clip(w.images)
    clip_img, clip_txt = cached(a, "clip", lambda: stages.train_clip(clip_x[tr], ids[tr], len(bpe.vocab), bpe.eos, epochs(15, a.scale),
                                                                     a.seed + 2, t0))
    img_emb, img_tok = stages.clip_image(clip_img, clip_x)
    txt_tok, txt_emb = stages.clip_text(clip_txt, ids)
    empty_tok, _ = stages.clip_text(clip_txt, np.array([bpe.encode("", TEXT_LENGTH)], np.int64))
    m["clip"] = {"caption_to_image_top1": metrics.top1(txt_emb[te], img_emb[te]),
                 "image_to_caption_top1": metrics.top1(img_emb[te], txt_emb[te]), "chance": 1 / len(te)}
    times["clip"] = time.time() - s
    stages.log(f"clip: {m['clip']}", t0)

    # ---- low-level voxel encoders (bagged: all of nsdgeneral + the three ROI sets, different seeds)
    s = time.time()
    rows = w.trials_of(tr)
    target = lat[w.trial_ids[rows]]
    seen = vae_x[w.trial_ids[rows]]                                        # each trial's image, for the SSIM fine-tune
    test_vox, val_vox = w.averaged(te), w.averaged(va)
    lowlevel, low_test, low_val = {}, [], []
    for k, (name, roi) in enumerate([("lowlevel_all", None), ("lowlevel_set1", "Set1"), ("lowlevel_set2", "Set2"), ("lowlevel_set3", "Set3")]):
        model, mask = cached(a, name, lambda: stages.train_lowlevel(
            w.betas[rows], target, None if roi is None else w.roi_indices[roi], epochs(15, a.scale), a.seed + 10 + k, t0, name,
            dec, seen, scaling, epochs(2, a.scale)))
        lowlevel[name] = (model, roi)
        pt, pv = stages.run_voxels(model, test_vox, mask), stages.run_voxels(model, val_vox, mask)
        low_test.append(pt)
        low_val.append(pv)
        imgs = stages.vae_decode(dec, pt, scaling)
        m.setdefault("lowlevel", {})[name] = {"pixcorr": metrics.pixcorr(imgs, w.images[te]), "ssim": metrics.ssim(imgs, w.images[te])}
    bag = np.mean(low_test, 0)
    bag_imgs = stages.vae_decode(dec, bag, scaling)
    m["lowlevel"]["bagged_mean"] = {"pixcorr": metrics.pixcorr(bag_imgs, w.images[te]), "ssim": metrics.ssim(bag_imgs, w.images[te])}
    m["lowlevel"]["vae_reconstruction_ceiling"] = {"pixcorr": metrics.pixcorr(rec, w.images[te]), "ssim": metrics.ssim(rec, w.images[te])}
    m["lowlevel"]["mean_image_baseline"] = {"pixcorr": metrics.pixcorr(mean_img, w.images[te]), "ssim": metrics.ssim(mean_img, w.images[te])}
    times["lowlevel"] = time.time() - s
    stages.log(f"lowlevel: {m['lowlevel']}", t0)

    # ---- UNet
    s = time.time()
    unet = cached(a, "unet", lambda: stages.train_unet(lat[tr], txt_tok[tr], img_tok[tr], empty_tok, epochs(30, a.scale), a.seed + 3, t0))
    times["unet"] = time.time() - s

    # ---- captioner
    s = time.time()
    words = Words([w.captions[i] for i in tr])
    cap_ids = np.array([words.encode(c, CAPTION_LENGTH) for c in w.captions], np.int64)
    cap_vis, cap_dec = cached(a, "captioner", lambda: stages.train_captioner(clip_x[tr], cap_ids[tr], len(words.tokens), words.pad,
                                                                             epochs(20, a.scale), a.seed + 4, t0))
    pred = [words.decode(r[1:]) for r in stages.caption(cap_vis, cap_dec, clip_x[te], words.dec, words.sep, CAPTION_LENGTH)]
    truth = [w.captions[i] for i in te]
    train_words = [w.captions[i].split() for i in tr]
    longest = max(len(c) for c in train_words)
    modal = []
    for pos in range(longest):
        col = [c[pos] for c in train_words if len(c) > pos]
        if len(col) * 2 < len(train_words):
            break
        modal.append(max(sorted(set(col)), key=col.count))
    m["captioner"] = {"word_accuracy": metrics.word_accuracy(pred, truth),
                      "modal_caption_baseline": metrics.word_accuracy([" ".join(modal)] * len(truth), truth),
                      "modal_caption": " ".join(modal), "examples": [[p, t] for p, t in zip(pred[:5], truth[:5])]}
    times["captioner"] = time.time() - s
    stages.log(f"captioner: {m['captioner']}", t0)

    # ---- high-level voxel encoder (MindEye-style: image tokens + retrieval embedding)
    s = time.time()
    high = cached(a, "highlevel", lambda: stages.train_highlevel(w.betas[rows], img_tok[w.trial_ids[rows]], img_emb[w.trial_ids[rows]],
                                                                 epochs(20, a.scale), a.seed + 5, t0))
    htok, hemb = stages.run_voxels(high, test_vox)
    m["highlevel"] = {"brain_to_image_top1": metrics.top1(hemb, img_emb[te]), "image_to_brain_top1": metrics.top1(img_emb[te], hemb),
                      "chance": 1 / len(te), "token_mse": float(((htok - img_tok[te]) ** 2).mean()),
                      "token_mse_mean_baseline": float(((img_tok[tr].mean(0) - img_tok[te]) ** 2).mean())}
    times["highlevel"] = time.time() - s
    stages.log(f"highlevel: {m['highlevel']}", t0)

    # ---- diffusion prior over the image tokens, conditioned on the brain tokens (MindEye's; kept only if it helps)
    s = time.time()
    prior = cached(a, "prior", lambda: stages.train_prior(high, w.betas[rows], img_tok[w.trial_ids[rows]], epochs(8, a.scale), a.seed + 6, t0))
    ptok = prior_sample(prior, torch.from_numpy(htok), PRIOR_SAMPLING_STEPS, torch.Generator().manual_seed(a.seed)).numpy()
    m["prior"] = {"token_mse": float(((ptok - img_tok[te]) ** 2).mean()), "token_mse_without_prior": m["highlevel"]["token_mse"],
                  "class_token_to_image_top1": metrics.top1(ptok[:, 0], img_tok[te][:, 0]),
                  "class_token_to_image_top1_without_prior": metrics.top1(htok[:, 0], img_tok[te][:, 0]),
                  "sampling_steps": PRIOR_SAMPLING_STEPS}
    times["prior"] = time.time() - s
    stages.log(f"prior: {m['prior']}", t0)

    # ---- pipeline defaults on the validation split (CLIP image-embedding similarity to the seen image)
    s = time.time()
    zoo = TrainedZoo(unet=unet, vae_decoder=dec, scaling=scaling, clip_image=clip_img, clip_text=clip_txt, bpe=bpe,
                     captioner_vision=cap_vis, captioner_decoder=cap_dec, words=words, highlevel=high, prior=prior)
    validation = ValidationSet(ids=va, low_latents=np.mean(low_val, 0), voxels=val_vox, image_embeddings=img_emb,
                               empty_text_tokens=empty_tok)
    pipelines, m["pipeline_search"], use_prior = choose_defaults(zoo, validation, a.seed)
    m["prior"]["shipped"] = use_prior
    times["pipeline_search"] = time.time() - s
    stages.log(f"pipelines: {pipelines}, prior shipped: {use_prior}", t0)

    # ---- export
    s = time.time()
    z = {"vae_enc": enc, "vae_dec": dec, "vae_channels": (16, 32, 64, 64), "scaling_factor": scaling, "bpe": bpe,
         "clip_txt": clip_txt, "clip_img": clip_img, "text_length": TEXT_LENGTH, "width": 64, "embed": 64,
         "image_tokens": 17, "unet": unet, "cap_vis": cap_vis, "cap_dec": cap_dec, "words": words,
         "caption_length": CAPTION_LENGTH, "voxel_count": int(w.betas.shape[1]), "nsdgeneral_path": w.nsdgeneral_path,
         "roi_indices": w.roi_indices, "lowlevel": lowlevel, "highlevel": high, "pipelines": pipelines, "subject": "subj01",
         "prior": prior if use_prior else None, "readme": README + (PRIOR_README if use_prior else NO_PRIOR_README)}
    export_bundle(Path(a.out), z)
    times["export"] = time.time() - s
    times["total"] = time.time() - t0
    m["seconds"] = {k: round(v, 1) for k, v in times.items()}
    m["pipelines"] = pipelines
    m["pipeline_val_images"] = 48
    m["splits"] = f"{len(tr)} training / {len(va)} validation / {len(te)} test images"
    m["bundle_bytes"] = sum(p.stat().st_size for p in Path(a.out).rglob("*") if p.is_file())
    Path(a.metrics).write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
    report.write(m, Path(a.docs))
    stages.log(f"done: {a.out} ({m['bundle_bytes'] / 1e6:.1f} MB), metrics in {a.metrics}", t0)


@dataclass(frozen=True)
class TrainedZoo:
    """The trained networks (and the tokenizers and VAE scaling) the pipeline-defaults search runs."""
    unet: torch.nn.Module
    vae_decoder: torch.nn.Module
    scaling: float
    clip_image: torch.nn.Module
    clip_text: torch.nn.Module
    bpe: Bpe
    captioner_vision: torch.nn.Module
    captioner_decoder: torch.nn.Module
    words: Words
    highlevel: torch.nn.Module
    prior: torch.nn.Module


@dataclass(frozen=True)
class ValidationSet:
    """The validation split as the search needs it: image ids, bagged low-level latents, voxels, the seen images' CLIP
    embeddings (indexed by id) and the empty caption's text tokens (the unconditional input of the caption path)."""
    ids: np.ndarray
    low_latents: np.ndarray
    voxels: np.ndarray
    image_embeddings: np.ndarray
    empty_text_tokens: np.ndarray


def choose_defaults(zoo: TrainedZoo, validation: ValidationSet, seed: int):
    """Grid over strength × guidance (20 DDIM steps) for both pipelines, starting from the bagged low-level latent,
    and for unclip once on the high-level encoder's tokens and once on the prior's; score = mean cosine similarity of
    the result's CLIP image embedding with the seen image's. Returns (defaults, scores, whether the prior helps)."""
    n = 48
    ids = validation.ids[:n]
    unet, dec, scaling, clip_img = zoo.unet, zoo.vae_decoder, zoo.scaling, zoo.clip_image
    low_val, words = validation.low_latents, zoo.words
    init = torch.from_numpy(low_val[:n])
    low_imgs = stages.vae_decode(dec, low_val[:n], scaling)
    caps = stages.caption(zoo.captioner_vision, zoo.captioner_decoder, data.to_clip(low_imgs), words.dec, words.sep,
                          CAPTION_LENGTH)
    cap_text = [words.decode(r[1:]) for r in caps]
    text_tok, _ = stages.clip_text(zoo.clip_text, np.array([zoo.bpe.encode(c, TEXT_LENGTH) for c in cap_text], np.int64))
    brain_tok, _ = stages.run_voxels(zoo.highlevel, validation.voxels[:n])
    prior_tok = prior_sample(zoo.prior, torch.from_numpy(brain_tok), PRIOR_SAMPLING_STEPS,
                             torch.Generator().manual_seed(seed))
    empty_tok = validation.empty_text_tokens
    conds = {"caption_img2img": (torch.from_numpy(text_tok), torch.from_numpy(np.repeat(empty_tok, n, 0))),
             "unclip": (torch.from_numpy(brain_tok), torch.zeros(brain_tok.shape)),
             "unclip+prior": (prior_tok, torch.zeros(brain_tok.shape))}
    truth = validation.image_embeddings[ids]
    truth = truth / np.linalg.norm(truth, axis=1, keepdims=True)
    search, best = {}, {}
    for name, (cond, uncond) in conds.items():
        for strength in (0.3, 0.45, 0.6, 0.8, 1.0):
            for guidance in (1.5, 3.0, 5.0):
                g = torch.Generator().manual_seed(seed)
                out = img2img(unet, init, cond, uncond, 20, strength, guidance, g).numpy()
                e, _ = stages.clip_image(clip_img, data.to_clip(stages.vae_decode(dec, out, scaling)))
                score = float(np.mean(np.sum(e / np.linalg.norm(e, axis=1, keepdims=True) * truth, 1)))
                search[f"{name} strength={strength} guidance={guidance}"] = round(score, 4)
                if name not in best or score > best[name][0]:
                    best[name] = (score, strength, guidance)
    e, _ = stages.clip_image(clip_img, data.to_clip(low_imgs))
    search["low-level image alone"] = round(float(np.mean(np.sum(e / np.linalg.norm(e, axis=1, keepdims=True) * truth, 1))), 4)
    use_prior = best["unclip+prior"][0] > best["unclip"][0]
    u = best["unclip+prior" if use_prior else "unclip"]
    unclip = {"steps": 20, "strength": u[1], "guidance": u[2], "samples": 4}
    if use_prior:
        unclip.update({"prior_steps": PRIOR_SAMPLING_STEPS, "prior_eta": 0.0})
    pipelines = {"caption_img2img": {"steps": 20, "strength": best["caption_img2img"][1], "guidance": best["caption_img2img"][2], "samples": 1},
                 "unclip": unclip}
    return pipelines, search, use_prior


README = """# models/demo — the demo world's model bundle (issue 7)

Tiny networks trained by `/usr/bin/python3 -m models.forge.train --out models/demo` on the simulated NSD-like
world of `models/forge` (subject subj01); layout and contract: `docs/model-bundle.md`; measures:
`docs/demo-world.md`, `models/forge/zoo-metrics.json`. Do not edit: regenerate.

- Images 64×64×3; VAE latents 4×8×8 (`vae_decoder/config.json` `scaling_factor` = 1 / std of the training
  images' posterior samples, as diffusers computes it).
- Tiny CLIP: `text_encoder` (context 20, width 64, `text_embeds` pooled at the first end token) and
  `image_encoder` (`image_embeds` [B,64], `last_hidden_state` [B,17,64] = class token + 4×4 patch tokens),
  trained contrastively on image–caption pairs.
- `unet`: epsilon prediction, cross-attention width 64, scalar float timestep; trained with classifier-free
  dropout (15 %) on **both** conditionings: half of each batch on caption tokens (text encoder
  `last_hidden_state`), half on image tokens (image encoder `last_hidden_state`). **Unconditional input:** the
  text encoder's `last_hidden_state` of the empty caption for the caption path; zeros [B,17,64] for the
  image-token (unCLIP) path.
- `captioner`: BLIP-style vision encoder (16 tokens) + causal decoder with cross-attention; whole-word WordPiece
  vocabulary; starts with [DEC], ends at [SEP].
- `voxel_encoders`: four bagged low-level encoders (all of nsdgeneral, Set1, Set2, Set3 — `roi_zero_filled`, as
  the seed study did: the whole vector with voxels outside the set zeroed), each → `latent` already multiplied
  by the scaling factor; `highlevel` → `image_tokens` [B,17,64] + `image_embedding` [B,64] (CLIP image space).
"""

PRIOR_README = """- `prior`: MindEye-style diffusion prior over the image tokens, conditioned on the high-level encoder's tokens
  (`encoder_hidden_states`), predicting clean tokens (`prediction_type` sample), 100 cosine-schedule timesteps;
  the unCLIP pipeline samples it with DDIM (`prior_steps`, `prior_eta` in fmri_decoder.json) from seeded noise.
"""

NO_PRIOR_README = """- No diffusion prior: one was trained but did not improve the unCLIP path on the validation split
  (docs/demo-world.md), so the pipeline uses the high-level encoder's tokens directly.
"""


if __name__ == "__main__":
    main()
