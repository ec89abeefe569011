"""Command-line entry point of the forge: simulate the demo world and write it in NSD's layout.

    /usr/bin/python3 -m models.forge.simulate                 # full world + committed mini set + docs + manifest
    /usr/bin/python3 -m models.forge.simulate --check         # regenerate in a temp dir, compare with the manifest
    /usr/bin/python3 -m models.forge.simulate --out DIR --no-nifti-betas --no-mini   # training data only

Run from the repository root. See models/forge/README.md.
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")      # deterministic reductions, and a polite CPU footprint

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import experiment, features, report, stimuli, subject, validate, writer
from .config import WorldConfig

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "models/forge/manifest.json"
MINI_SESSIONS = (1,)          # sessions committed to the mini set (nsdgeneral voxels only)
MINI_NIFTI_SUBJECTS = (1,)    # subjects whose mini session(s) also get the .nii.gz copy (size budget)


class Forge:
    """Builds the world. Files go to `out` (full), `mini` (committed subset) and `docs`."""

    def __init__(self, cfg: WorldConfig, out: Path, mini: Path | None, docs: Path | None,
                 nifti_betas: bool = True, log=print):
        self.cfg, self.out, self.mini, self.docs = cfg, Path(out), mini and Path(mini), docs and Path(docs)
        self.nifti_betas, self.log = nifti_betas, log
        self.full = writer.NsdLayout(self.out)
        self.small = writer.NsdLayout(self.mini) if self.mini else None
        self.t0 = time.time()
        self.timings: dict[str, float] = {}

    def _tick(self, what: str) -> None:
        t = time.time() - self.t0
        self.timings[what] = t
        self.log(f"[{t:7.1f} s] {what}")

    def run(self) -> dict:
        cfg = self.cfg
        for d in (self.out, self.mini):
            if d and d.exists():
                shutil.rmtree(d)
        scenes = [stimuli.sample_scene(cfg, i) for i in range(cfg.n_images)]
        images, class_cover = stimuli.render_all(cfg, scenes)
        self._tick("stimuli rendered")
        fmaps = features.normalise_channels(features.feature_maps(images))
        self._tick("feature maps")
        test = experiment.test_ids(cfg)
        train = np.setdiff1d(np.arange(cfg.n_images), test)
        writer.write_stimuli(self.full.stimuli(), images)
        if self.small:
            writer.write_stimuli(self.small.stimuli(), images, only=test)

        results = {"subjects": {}, "test_ids": test.tolist()}
        designs = {}
        targets = validate.targets(images, fmaps, scenes)
        for n in range(1, cfg.n_subjects + 1):
            results["subjects"][n], designs[n] = self._subject(n, scenes, class_cover, fmaps, test, train, targets)
        self._write_tables(scenes, test, designs)
        if self.docs:
            self._write_docs(scenes, images, test, results)
        self._tick("done")
        return results

    # -- one subject ---------------------------------------------------------------------------------
    def _subject(self, n, scenes, class_cover, fmaps, test, train, targets):
        cfg = self.cfg
        sub = subject.make_subject(cfg, n)
        affine = writer.affine_for(cfg.grid_xyz, cfg.voxel_mm)
        layouts = [self.full] + ([self.small] if self.small else [])
        for lay in layouts:
            for name, names in subject.ROI_FILES.items():
                writer.write_nifti_gz(lay.roi(n, name), sub.rois[name], affine)
                writer.write_ctab(lay.ctab(n, name), names)
            writer.write_nifti_gz(lay.brainmask(n), sub.brain.astype(np.int16), affine)
        z = sub.responses(cfg, fmaps, class_cover, scenes)
        self._tick(f"{sub.name}: anatomy, ROIs and noise-free responses ({len(sub.voxels)} brain voxels)")

        design = experiment.make_design(cfg, n, test)
        sim = experiment.BetaSimulator(cfg, sub, z)
        del z
        gen = sub.mask("nsdgeneral")
        betas = np.empty((cfg.n_trials, len(sub.voxels)), np.int16)
        for s in range(1, cfg.n_sessions + 1):
            sl = design.session_slice(s)
            betas[sl] = sim.session(s, design.nsd_id[sl])
            writer.write_betas_hdf5(self.full.betas(n, s), betas[sl], sub.voxels, cfg.grid_xyz)
            if self.nifti_betas:
                writer.write_betas_nifti(self.full.betas(n, s, "nii.gz"), betas[sl], sub.voxels, cfg.grid_xyz, affine)
            if self.small and s in MINI_SESSIONS:
                writer.write_betas_hdf5(self.small.betas(n, s), betas[sl], sub.voxels, cfg.grid_xyz, keep=gen)
                if n in MINI_NIFTI_SUBJECTS:
                    writer.write_betas_nifti(self.small.betas(n, s, "nii.gz"), betas[sl], sub.voxels,
                                             cfg.grid_xyz, affine, keep=gen)
        self._tick(f"{sub.name}: {cfg.n_sessions} sessions of betas written")

        renorm = np.empty((cfg.n_trials, int(gen.sum())), np.float32)
        for s in range(1, cfg.n_sessions + 1):
            sl = design.session_slice(s)
            renorm[sl] = experiment.renorm_session(betas[sl][:, gen], ~design.shared[sl])
        writer.write_renorm(self.full.renorm(n), renorm)
        if self.small:
            writer.write_renorm(self.small.renorm(n), renorm, only_rows=np.flatnonzero(design.shared))

        # Noise ceiling of every brain voxel (chunked over voxels), written as NSD's ncsnr.nii.gz.
        snr = np.zeros(len(sub.voxels))
        snr_train = np.zeros(len(sub.voxels))
        for a in range(0, len(sub.voxels), 4000):
            zb = validate.session_zscore(betas[:, a:a + 4000], design, cfg.n_sessions)
            snr[a:a + 4000] = validate.ncsnr(zb, design)
            snr_train[a:a + 4000] = validate.ncsnr(zb, design, train)
        vol = np.zeros(cfg.grid_xyz, np.float32)
        vol[tuple(sub.voxels.T)] = snr
        for lay in layouts:
            writer.write_nifti_gz(lay.ncsnr(n), vol, affine)
        del betas
        decoding = validate.decoding_baseline(renorm, design, train, test, snr_train[gen], targets)
        self._tick(f"{sub.name}: renorm file, noise ceiling, decoding baseline")
        return self._subject_stats(sub, snr, decoding), design

    def _subject_stats(self, sub, snr, decoding) -> dict:
        rows = {}
        for fname, names in subject.ROI_FILES.items():
            lab = sub.rois[fname][tuple(sub.voxels.T)]
            for k, name in enumerate(names, start=1):
                sel = lab == k
                rows[(fname, name)] = (int(sel.sum()), _med(snr[sel]))
        outside = ~sub.mask("nsdgeneral")
        return {"brain": int(sub.brain.sum()), "rows": rows, "outside": (int(outside.sum()), _med(snr[outside])),
                "decoding": decoding, "kind_counts": np.bincount(sub.kind, minlength=4).tolist()}

    # -- tables --------------------------------------------------------------------------------------
    def _write_tables(self, scenes, test, designs) -> None:
        cfg = self.cfg
        shared = np.zeros(cfg.n_images, bool)
        shared[test] = True
        head = ["nsdId", "shared1000", "split", "background", "n_objects"]
        for n in designs:
            head += [f"subject{n}", f"subject{n}_rep0", f"subject{n}_rep1", f"subject{n}_rep2"]
        head += ["caption"]
        reps = {}
        for n, d in designs.items():
            r = np.zeros((cfg.n_images, cfg.repetitions), np.int64)
            r[d.nsd_id, d.rep] = np.arange(cfg.n_trials) + 1          # 1-based global trial, as NSD
            reps[n] = r
        rows = []
        for i, sc in enumerate(scenes):
            row = [i, bool(shared[i]), "test" if shared[i] else "train", sc.background, len(sc.objects)]
            for n in designs:
                row += [1] + reps[n][i].tolist()
            rows.append(row + [sc.caption])
        trial_head = ["subject", "session", "run", "trial", "global_trial", "nsdId", "rep", "shared1000", "caption"]
        trial_rows = []
        for n, d in designs.items():
            for t in range(cfg.n_trials):
                i = int(d.nsd_id[t])
                trial_rows.append([n, int(d.session[t]), int(d.run[t]), int(d.trial[t]), t, i, int(d.rep[t]),
                                   bool(d.shared[t]), scenes[i].caption])
        for lay in [self.full] + ([self.small] if self.small else []):
            writer.write_csv(lay.stim_info(), head, rows)
            writer.write_csv(lay.trials(), trial_head, trial_rows)

    # -- docs ----------------------------------------------------------------------------------------
    def _write_docs(self, scenes, images, test, results) -> None:
        cfg = self.cfg
        captions = [s.caption for s in scenes]
        report.stimulus_sheet(images, captions, test[:16], self.docs / "demo-world-stimuli.png")
        sub1 = subject.make_subject(cfg, 1)
        report.roi_sheet(sub1.rois, self.docs / "demo-world-rois.png")
        subs = results["subjects"]
        names = [f"subj{n:02d}" for n in subs]
        count_rows = [["brain (not −1)", "", *[subs[n]["brain"] for n in subs]]]
        nc_rows = []
        for (fname, name) in subs[1]["rows"]:
            count_rows.append([fname, name, *[subs[n]["rows"][(fname, name)][0] for n in subs]])
            cells = []
            for n in subs:
                c, m = subs[n]["rows"][(fname, name)]
                cells.append(f"{m:.2f} / {validate.noise_ceiling(m, 1):.1f} / {validate.noise_ceiling(m, 3):.1f}")
            nc_rows.append([fname, name, *cells])
        count_rows.append(["outside nsdgeneral (brain)", "", *[subs[n]["outside"][0] for n in subs]])
        nc_rows.append(["outside nsdgeneral (brain)", "", *[
            f"{subs[n]['outside'][1]:.2f} / {validate.noise_ceiling(subs[n]['outside'][1], 1):.1f} / "
            f"{validate.noise_ceiling(subs[n]['outside'][1], 3):.1f}" for n in subs]])
        dec_rows = []
        for target in next(iter(subs.values()))["decoding"]:
            cells = []
            for n in subs:
                accuracy, shuffled, ridge = subs[n]['decoding'][target][:3]
                cells.append(f"{accuracy:.1f} % (shuffled {shuffled:.1f} %, λ {ridge:g})")
            dec_rows.append([target, *cells])
        gen_nc = [subs[n]["rows"][("nsdgeneral", "nsdgeneral")][1] for n in subs]
        shapes_count = np.zeros(len(stimuli.SHAPES), int)
        bg_count = np.zeros(len(stimuli.BACKGROUNDS), int)
        nobj = np.zeros(4, int)
        for s in scenes:
            bg_count[stimuli.BACKGROUNDS.index(s.background)] += 1
            nobj[len(s.objects)] += 1
            for o in s.objects:
                shapes_count[stimuli.SHAPES.index(o.shape)] += 1
        md = f"""# Demo world: a simulated NSD-like experiment

Written by `models/forge` (`/usr/bin/python3 -m models.forge.simulate`, seed {cfg.seed}); do not edit by
hand — rerun the forge. Everything here is measured on the generated files' data, not taken from the
simulation's parameters. See `models/forge/README.md` for how the world is built and
`samples/data/nsd-mini/README.md` for the committed files.

## Stimuli

{cfg.n_images} procedural {cfg.image_size}×{cfg.image_size} RGB scenes (nsdId 0–{cfg.n_images - 1}); {cfg.n_test} of them
(`shared1000` = True, scattered over the id range) are the shared test images, shown to every subject;
{cfg.n_images - cfg.n_test} are training images.

- Backgrounds: {", ".join(f"{b} {c}" for b, c in zip(stimuli.BACKGROUNDS, bg_count))}.
- Objects per image: {", ".join(f"{k}: {nobj[k]}" for k in (1, 2, 3))}; shape classes (objects):
  {", ".join(f"{s} {c}" for s, c in zip(stimuli.SHAPES, shapes_count))} ("body" is captioned "figure").

![test stimuli with captions](demo-world-stimuli.png)

## Subjects and ROIs

{cfg.n_subjects} subjects, grid {cfg.grid_xyz[0]}×{cfg.grid_xyz[1]}×{cfg.grid_xyz[2]} (X×Y×Z, {cfg.voxel_mm} mm voxels). Voxel counts per ROI label
(label files `nsddata/ppdata/subjNN/func1pt8mm/roi/<file>.nii.gz`, 0 = not in ROI, −1 = outside the brain):

{report.table(["file", "label", *names], count_rows)}

ROI maps of subj01 (right hemisphere; left column seen from the lateral side, right column from the
medial side; anterior to the right):

![ROI maps](demo-world-rois.png)

## Noise ceiling

NSD's definition (Allen et al. 2022, Methods): betas/300 z-scored per voxel within each session;
noise variance = mean over images of the across-repetition variance (ddof 1); ncsnr =
sqrt(max(0, 1 − noise variance)) / sqrt(noise variance); NC = 100·ncsnr² / (ncsnr² + 1/n). Medians
over each ROI's voxels, all {cfg.n_images} images, 3 repetitions each. Cells: median ncsnr / NC single
trial (n = 1) % / NC of 3-trial averages (n = 3) %.

{report.table(["file", "label", *names], nc_rows)}

Median ncsnr in nsdgeneral: {", ".join(f"{nm} {v:.3f} (NC n=3: {validate.noise_ceiling(v, 3):.1f} %)" for nm, v in zip(names, gen_nc))}.
Outside nsdgeneral the data are noise only (NC ≈ 0). The per-voxel ncsnr is written as
`betas_fithrf_GLMdenoise_RR/ncsnr.nii.gz`, as in NSD.

## Decoding baseline: the data carry the images

Ridge regression from test-averaged voxels (MindEye2-style `betas_all_subjNN_fp32_renorm.hdf5`, the
mean of each image's 3 trials, the {validate.N_SELECTED_VOXELS} nsdgeneral voxels with the highest ncsnr on
training images only) to three targets: pixels (32×32 RGB), low-level image features
(orientation energy, colour opponency, contrast on an 8×8 grid) and scene labels (shape classes present +
background class). λ chosen on 300 held-out training images; trained on all
{cfg.n_images - cfg.n_test} training images; scored on the {cfg.n_test} test images by two-way identification
(is the prediction more correlated with its own image than with another? chance = 50 %). "shuffled" = the
same pipeline trained on shuffled image–voxel pairs.

{report.table(["target", *names], dec_rows)}
"""
        report_path = self.docs / "demo-world.md"
        writer.write_text(report_path, md + writer.split_report(report_path)[1])   # keeps the model-zoo section


def _med(a: np.ndarray) -> float:
    return float(np.median(a)) if len(a) else float("nan")


# --- manifest and check -----------------------------------------------------------------------------

def _hash_outputs(out: Path, mini: Path | None, docs: Path | None) -> dict:
    m = {"full": writer.hash_tree(out)}
    if mini:
        m["mini"] = writer.hash_tree(mini, skip=("README.md", "SHA256SUMS"))
    if docs:
        m["docs"] = {p: (writer.report_sha256 if p.endswith(".md") else writer.sha256)(docs / p)
                     for p in ("demo-world.md", "demo-world-stimuli.png", "demo-world-rois.png")}
    return m


def _compare(expected: dict, actual: dict) -> list[str]:
    problems = []
    for part in sorted(set(expected) | set(actual)):
        e, a = expected.get(part, {}), actual.get(part, {})
        for rel in sorted(set(e) | set(a)):
            if e.get(rel) != a.get(rel):
                problems.append(f"{part}/{rel}: manifest {e.get(rel, 'absent')[:16]}, generated {a.get(rel, 'absent')[:16]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m models.forge.simulate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "artifacts/nsd-world", help="full world (not committed)")
    ap.add_argument("--mini", type=Path, default=REPO / "samples/data/nsd-mini", help="committed subset")
    ap.add_argument("--docs", type=Path, default=REPO / "docs", help="where demo-world.md and its PNGs go")
    ap.add_argument("--no-mini", action="store_true", help="do not write the committed subset")
    ap.add_argument("--no-docs", action="store_true", help="do not write docs/demo-world*")
    ap.add_argument("--no-nifti-betas", action="store_true", help="skip the full world's betas_sessionNN.nii.gz")
    ap.add_argument("--check", action="store_true",
                    help="regenerate everything in a temporary folder and compare every sha256 with the manifest "
                         "(and the committed mini set and docs with it); exit 1 on any difference")
    args = ap.parse_args(argv)
    cfg = WorldConfig()

    if args.check:
        manifest = json.loads(MANIFEST.read_text())
        if manifest["config"] != json.loads(cfg.to_json()):
            print("config differs from the manifest's", file=sys.stderr)
            return 1
        committed = {"mini": writer.hash_tree(args.mini, skip=("README.md", "SHA256SUMS")),
                     "docs": {p: (writer.report_sha256 if p.endswith(".md") else writer.sha256)(args.docs / p) for p in manifest["docs"]}}
        with tempfile.TemporaryDirectory(prefix="forge-check-") as tmp:
            tmp = Path(tmp)
            Forge(cfg, tmp / "full", tmp / "mini", tmp / "docs").run()
            generated = _hash_outputs(tmp / "full", tmp / "mini", tmp / "docs")
        problems = _compare({k: manifest[k] for k in ("full", "mini", "docs")}, generated)
        problems += [f"committed {p}" for p in _compare({k: manifest[k] for k in ("mini", "docs")}, committed)]
        for p in problems:
            print("MISMATCH", p, file=sys.stderr)
        print(f"check: {sum(len(v) for v in generated.values())} files, {len(problems)} mismatches")
        return 1 if problems else 0

    mini = None if args.no_mini else args.mini
    docs = None if args.no_docs else args.docs
    forge = Forge(cfg, args.out, mini, docs, nifti_betas=not args.no_nifti_betas)
    forge.run()
    if mini:
        hashes = writer.hash_tree(mini, skip=("README.md", "SHA256SUMS"))
        writer.write_sha256sums(mini / "SHA256SUMS", hashes)
        shutil.copyfile(Path(__file__).with_name("nsd-mini-README.md"), mini / "README.md")
    if mini and docs and not args.no_nifti_betas and args.out == ap.get_default("out"):
        m = {"config": json.loads(cfg.to_json()), **_hash_outputs(args.out, mini, docs)}
        writer.write_text(MANIFEST, json.dumps(m, indent=1, sort_keys=True) + "\n")
        print(f"manifest: {MANIFEST.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
