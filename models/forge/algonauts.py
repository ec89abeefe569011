"""Writes the demo world's test split in the Algonauts 2023 challenge layout (issue 24).

Run from the repository root (after the forge's mini set exists):

    /usr/bin/python3 -m models.forge.algonauts                 # writes samples/data/algonauts-mini/subj01
    /usr/bin/python3 -m models.forge.algonauts --check         # regenerates in a temp folder and compares sha256s

The challenge distributes, per subject, ``test_split/test_fmri/{lh,rh}_test_fmri.npy`` (images x challenge-space
vertices of each hemisphere, repetitions averaged), ``test_split/test_images/test-NNNN_nsd-NNNNN.png`` (image number,
1-based; NSD image index, 0-based) and ``roi_masks/{lh,rh}.<class>_challenge_space.npy`` (one integer label per
vertex, 0 = not in the class) with ``roi_masks/mapping_<class>.npy`` (``numpy.save`` of a dict id -> ROI name).

The demo's "challenge space" is its subject's nsdgeneral voxels. Its two simulated hemispheres are separated by an
empty plane at x = 19 of the 40 x 48 x 40 grid (left = lower x, the affine's +x is right); the bundle's voxel order is
C order over (X, Y, Z), whose slowest axis is x, so "left vertices, then right vertices" is exactly the bundle's
order: the demo bundle takes the Algonauts vector as it is. The split is asserted below, not assumed.

The test rows are computed as the C# NSD path does (``NsdTestSet``): the subject's shared1000 trials of
``nsd_trials.csv``, grouped by nsdId in ascending order, their renorm rows summed in float32 in table order and divided
by the count in float32, so both layouts give bit-identical voxel vectors. The demo simulates no floc-words class, so
five classes are written. Deterministic: the same inputs give byte-identical files (``SHA256SUMS``).
"""
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

import h5py
import nibabel as nib
import numpy as np
from PIL import Image

from . import writer

CLASSES = ("prf-visualrois", "floc-bodies", "floc-faces", "floc-places", "streams")


def _read_ctab(path: Path) -> dict[int, str]:
    mapping = {}
    for line in path.read_text().splitlines():
        if line.strip():
            key, name = line.split(maxsplit=1)
            mapping[int(key)] = name.strip()
    return mapping


def _test_rows(mini: Path, subject: int) -> tuple[list[int], np.ndarray]:
    groups: dict[int, list[int]] = {}
    with open(mini / "nsddata/experiments/nsd/nsd_trials.csv", newline="") as f:
        for row in csv.DictReader(f):
            if int(row["subject"]) == subject and row["shared1000"] == "True":
                groups.setdefault(int(row["nsdId"]), []).append(int(row["global_trial"]))
    ids = sorted(groups)
    with h5py.File(mini / f"betas_all_subj{subject:02d}_fp32_renorm.hdf5", "r") as f:
        betas = f["betas"]
        rows = np.zeros((len(ids), betas.shape[1]), dtype=np.float32)
        for i, nsd_id in enumerate(ids):
            acc = np.zeros(betas.shape[1], dtype=np.float32)
            for g in groups[nsd_id]:
                acc = acc + betas[g].astype(np.float32)
            rows[i] = acc / np.float32(len(groups[nsd_id]))
    return ids, rows


def write(mini: Path, out: Path, subject: int = 1) -> None:
    roi_dir = mini / f"nsddata/ppdata/subj{subject:02d}/func1pt8mm/roi"
    general = np.asarray(nib.load(roi_dir / "nsdgeneral.nii.gz").dataobj) > 0
    flat = np.flatnonzero(general)  # C order over (X, Y, Z): the bundle's voxel order
    _, ny, nz = general.shape
    x = flat // (ny * nz)
    left = x < general.shape[0] // 2
    n_left = int(left.sum())
    # Left then right must be the bundle's own order (all left voxels first); see the module docstring.
    assert left[:n_left].all() and not left[n_left:].any(), "hemispheres interleave in C order"

    ids, rows = _test_rows(mini, subject)
    fmri = out / "test_split" / "test_fmri"
    fmri.mkdir(parents=True, exist_ok=True)
    np.save(fmri / "lh_test_fmri.npy", np.ascontiguousarray(rows[:, :n_left]))
    np.save(fmri / "rh_test_fmri.npy", np.ascontiguousarray(rows[:, n_left:]))

    images = out / "test_split" / "test_images"
    images.mkdir(parents=True, exist_ok=True)
    with h5py.File(mini / "nsddata_stimuli/stimuli/nsd/nsd_stimuli.hdf5", "r") as f:
        brick = f["imgBrick"]
        for i, nsd_id in enumerate(ids):
            Image.fromarray(np.asarray(brick[nsd_id], dtype=np.uint8)).save(
                images / f"test-{i + 1:04d}_nsd-{nsd_id:05d}.png", optimize=False)

    masks = out / "roi_masks"
    masks.mkdir(parents=True, exist_ok=True)
    for cls in CLASSES:
        labels = np.asarray(nib.load(roi_dir / f"{cls}.nii.gz").dataobj).reshape(-1)[flat].astype(np.int64)
        labels[labels < 0] = 0  # -1 marks outside the brain in NSD's volumes; the challenge space has only 0 = none
        np.save(masks / f"lh.{cls}_challenge_space.npy", labels[:n_left])
        np.save(masks / f"rh.{cls}_challenge_space.npy", labels[n_left:])
        mapping = _read_ctab(mini / f"nsddata/freesurfer/subj{subject:02d}/label/{cls}.mgz.ctab")
        np.save(masks / f"mapping_{cls}.npy", mapping)

    writer.write_sha256sums(out / "SHA256SUMS", writer.hash_tree(out, skip=("SHA256SUMS",)))
    print(f"wrote {out}: {len(ids)} test images, {n_left} + {rows.shape[1] - n_left} vertices, {len(CLASSES)} ROI classes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mini", type=Path, default=Path("samples/data/nsd-mini"))
    parser.add_argument("--out", type=Path, default=Path("samples/data/algonauts-mini/subj01"))
    parser.add_argument("--check", action="store_true", help="regenerate in a temp folder and compare with --out")
    args = parser.parse_args(argv)
    if not args.check:
        write(args.mini, args.out)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write(args.mini, Path(tmp))
        fresh = (Path(tmp) / "SHA256SUMS").read_bytes()
        same = fresh == (args.out / "SHA256SUMS").read_bytes()
        print("identical" if same else "DIFFERENT: regenerate with the same inputs and compare SHA256SUMS")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
