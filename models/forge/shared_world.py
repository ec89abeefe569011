"""The shared-subject demo world (issue 19): more simulated subjects on their own grids, and the targets of the demo zoo.

Subjects 1 and 2 are the demo world's own (models.forge.simulate): the same random streams, grid and size, so every
beta drawn here for them equals the full world's (checked against the committed mini set by `check_subj01`). Subjects
3..5 are new: each draws its anatomy, tuning and noise from its own streams, cfg.rng("subject", n, ...), on its own
grid and with its own brain size, so voxel counts and grids differ. Adding them changes no file of the demo world.

Only what the shared model needs is simulated, in memory: the MindEye2-style renorm rows of the nsdgeneral voxels
(betas / 300 z-scored per session with that session's training trials' mean and sd) of the first `sessions` sessions,
and for the held-out subject every session (its test trials are spread over all 12) plus session 1's raw int16 betas.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from . import experiment, features, stimuli, subject
from .config import WorldConfig

# Per subject: grid (X, Y, Z) and brain size. 1 and 2 are the demo world's own subjects, unchanged.
SUBJECTS = {
    1: ((40, 48, 40), 1.0),
    2: ((40, 48, 40), 1.0),
    3: ((44, 52, 44), 1.1),
    4: ((38, 46, 42), 0.95),
    5: ((36, 44, 36), 0.85),
}
TRAINED = (1, 2, 3, 4)
HELD_OUT = 5
TRAIN_SESSIONS = 8          # sessions simulated for each trained subject (of 12)


@dataclasses.dataclass
class SubjectData:
    number: int
    grid: tuple[int, int, int]
    nsdgeneral: np.ndarray      # int16 label volume (X, Y, Z), 1 = nsdgeneral, 0 = brain, -1 = outside
    voxels: np.ndarray          # int (n_brain, 3) brain voxels, C order
    general: np.ndarray         # bool over brain voxels: in nsdgeneral
    rois: dict                  # every ROI label volume
    design: experiment.Design
    rows: np.ndarray            # global trial index of each renorm row
    renorm: np.ndarray          # float32 (rows, n_nsdgeneral)
    session1_int16: np.ndarray | None = None  # int16 (750, n_brain) raw betas of session 1 (held-out subject only)

    @property
    def name(self) -> str:
        return f"subj{self.number:02d}"

    @property
    def nsd_ids(self) -> np.ndarray:
        return self.design.nsd_id[self.rows]


def subject_config(cfg: WorldConfig, n: int) -> WorldConfig:
    return dataclasses.replace(cfg, grid_xyz=SUBJECTS[n][0])


def images(cfg: WorldConfig):
    scenes = [stimuli.sample_scene(cfg, i) for i in range(cfg.n_images)]
    imgs, cover = stimuli.render_all(cfg, scenes)
    return scenes, imgs, cover


def simulate(cfg: WorldConfig, n: int, sessions: int, scenes, cover, fmaps, test, keep_session1: bool = False,
             log=print) -> SubjectData:
    t0 = time.time()
    scfg = subject_config(cfg, n)
    sub = subject.make_subject(scfg, n, SUBJECTS[n][1])
    z = sub.responses(scfg, fmaps, cover, scenes)
    design = experiment.make_design(cfg, n, test)
    sim = experiment.BetaSimulator(scfg, sub, z)
    gen = sub.mask("nsdgeneral")
    out, rows, s1 = [], [], None
    for s in range(1, sessions + 1):
        sl = design.session_slice(s)
        betas = sim.session(s, design.nsd_id[sl])
        if keep_session1 and s == 1:
            s1 = betas
        out.append(experiment.renorm_session(betas[:, gen], ~design.shared[sl]))
        rows.append(np.arange(sl.start, sl.stop))
    log(f"  {sub.name}: grid {scfg.grid_xyz}, {len(sub.voxels)} brain voxels, {int(gen.sum())} nsdgeneral, "
        f"{sessions} sessions ({time.time() - t0:.0f} s)")
    return SubjectData(n, scfg.grid_xyz, sub.rois["nsdgeneral"], sub.voxels, gen, sub.rois, design,
                       np.concatenate(rows), np.concatenate(out), s1)


def build(cfg: WorldConfig, log=print):
    """(scenes, images uint8 [3000,64,64,3], test ids, {n: SubjectData})."""
    scenes, imgs, cover = images(cfg)
    fmaps = features.normalise_channels(features.feature_maps(imgs))
    test = experiment.test_ids(cfg)
    subs = {}
    for n in SUBJECTS:
        held = n == HELD_OUT
        subs[n] = simulate(cfg, n, cfg.n_sessions if held else TRAIN_SESSIONS, scenes, cover, fmaps, test,
                           keep_session1=held, log=log)
    return scenes, imgs, test, subs


def check_subj01(sub: SubjectData, mini_root: Path) -> int:
    """Compares subj01's session-1 test rows with the committed mini set's renorm file; returns the rows compared."""
    import h5py

    with h5py.File(mini_root / "betas_all_subj01_fp32_renorm.hdf5", "r") as f:
        d = f["betas"]
        rows = [r for r in range(750) if sub.design.shared[r]]
        committed = np.stack([d[r] for r in rows])
    mine = sub.renorm[np.searchsorted(sub.rows, rows)]
    if not np.array_equal(committed, mine):
        raise SystemExit("subj01 no longer equals the committed demo world (renorm rows of session 1 differ)")
    return len(rows)
