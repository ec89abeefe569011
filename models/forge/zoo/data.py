"""Loads the simulated NSD-like world (issue 6) for training the model zoo: stimuli, captions, MindEye2-style
renorm betas of one subject, the nsdgeneral mask and the ROI-set index arrays."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import h5py
import nibabel as nib
import numpy as np

from models.forge.writer import NsdLayout

# ROI sets of issue 4 (names as in the NSD ctab files).
ROI_SETS = {
    "Set1": ["V1v", "V1d", "V2v", "V2d", "V3v", "V3d", "hV4", "FFA-1", "FFA-2", "PPA"],
    "Set2": ["EBA", "FBA-1", "FBA-2", "mTL-bodies", "OFA", "FFA-1", "FFA-2", "mTL-faces", "aTL-faces", "OPA", "PPA", "RSC"],
    "Set3": ["early", "midventral", "midlateral", "midparietal", "ventral", "lateral", "parietal"],
}
ROI_FILES = ["prf-visualrois", "floc-faces", "floc-bodies", "floc-places", "streams"]


@dataclass
class World:
    images: np.ndarray          # uint8 (3000, 64, 64, 3), index = nsdId
    captions: list[str]         # per nsdId
    test_ids: np.ndarray        # the 300 shared images
    train_ids: np.ndarray       # the rest minus validation
    val_ids: np.ndarray         # validation images (held out from every training set)
    trial_ids: np.ndarray       # nsdId per renorm row
    betas: np.ndarray           # float32 (9000, n_nsdgeneral)
    nsdgeneral_path: Path       # label volume
    roi_indices: dict[str, np.ndarray]  # int64 indices into the nsdgeneral vector

    def trials_of(self, ids: np.ndarray) -> np.ndarray:
        """Rows (single trials) whose image is in ids."""
        return np.nonzero(np.isin(self.trial_ids, ids))[0]

    def averaged(self, ids: np.ndarray) -> np.ndarray:
        """Betas averaged over each image's repetitions, in the order of ids."""
        out = np.zeros((len(ids), self.betas.shape[1]), np.float32)
        for k, i in enumerate(ids):
            out[k] = self.betas[self.trial_ids == i].mean(axis=0)
        return out


def _ctab(path: Path) -> dict[str, int]:
    names = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            names[parts[1]] = int(parts[0])
    return names


def load(world_root: str | Path, rois_root: str | Path, subj: int = 1, n_val: int = 200, seed: int = 0) -> World:
    world, rois = NsdLayout(world_root), NsdLayout(rois_root)
    with h5py.File(world.stimuli(), "r") as f:
        images = f["imgBrick"][:]
    captions, shared = [], []
    with open(world.stim_info()) as f:
        for row in csv.DictReader(f):
            captions.append(row["caption"])
            shared.append(row["shared1000"] == "True")
    shared = np.array(shared)
    test_ids = np.nonzero(shared)[0]
    rest = np.nonzero(~shared)[0]
    rng = np.random.default_rng(seed)
    val_ids = np.sort(rng.choice(rest, n_val, replace=False))
    train_ids = np.setdiff1d(rest, val_ids)
    trial_ids = np.full(9000, -1, np.int64)
    with open(world.trials()) as f:
        for row in csv.DictReader(f):
            if int(row["subject"]) == subj:
                trial_ids[int(row["global_trial"])] = int(row["nsdId"])
    with h5py.File(world.renorm(subj), "r") as f:
        betas = f["betas"][:].astype(np.float32)
    general_path = rois.roi(subj, "nsdgeneral")
    general = np.asarray(nib.load(str(general_path)).dataobj) == 1
    roi_indices = {}
    volumes = {name: (np.asarray(nib.load(str(rois.roi(subj, name))).dataobj)[general], _ctab(rois.ctab(subj, name))) for name in ROI_FILES}
    for set_name, labels in ROI_SETS.items():
        member = np.zeros(int(general.sum()), bool)
        for label in labels:
            found = [vec == table[label] for vec, table in volumes.values() if label in table]
            assert found, f"ROI {label} not in any ctab"
            for hit in found:
                member |= hit
        roi_indices[set_name] = np.nonzero(member)[0].astype(np.int64)
    assert betas.shape[1] == int(general.sum()), (betas.shape, general.sum())
    return World(images, captions, test_ids, train_ids, val_ids, trial_ids, betas, general_path, roi_indices)


MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


def to_vae(images: np.ndarray) -> np.ndarray:
    """uint8 NHWC → float32 NCHW in [-1, 1]."""
    return (images.astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2).copy()


def to_clip(images: np.ndarray) -> np.ndarray:
    """uint8 NHWC → CLIP-normalised float32 NCHW (rescale 1/255, OpenAI CLIP mean/std)."""
    return ((images.astype(np.float32) / 255.0 - MEAN) / STD).transpose(0, 3, 1, 2).copy()
