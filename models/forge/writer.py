"""NSD's file layout and byte-deterministic writers (HDF5, NIfTI-1 .nii.gz, label tables, CSV, manifest).

Determinism: HDF5 datasets are created with track_times=False and libver="earliest" (no timestamps in
object headers), chunks are written in a fixed order; .nii.gz files are gzip streams with mtime=0 and
no file name; CSV/ctab text uses "\\n". Same seed, same numpy -> same bytes. All simulation arithmetic
is float64 and numpy here links the reference BLAS, so results do not depend on thread count.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
from pathlib import Path

import h5py
import nibabel as nib
import numpy as np

from ..export.bundle_files import sha256  # noqa: F401  (re-exported: writer.sha256 is the forge's hash)

GZIP_LEVEL = 6


class NsdLayout:
    """Paths of the NSD files under one root (the directory that holds nsddata/, nsddata_betas/, ...)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def roi(self, subj: int, name: str) -> Path:
        return self.root / f"nsddata/ppdata/subj{subj:02d}/func1pt8mm/roi/{name}.nii.gz"

    def brainmask(self, subj: int) -> Path:
        return self.root / f"nsddata/ppdata/subj{subj:02d}/func1pt8mm/brainmask.nii.gz"

    def ctab(self, subj: int, name: str) -> Path:
        return self.root / f"nsddata/freesurfer/subj{subj:02d}/label/{name}.mgz.ctab"

    def betas_dir(self, subj: int) -> Path:
        return self.root / f"nsddata_betas/ppdata/subj{subj:02d}/func1pt8mm/betas_fithrf_GLMdenoise_RR"

    def betas(self, subj: int, session: int, ext: str = "hdf5") -> Path:
        return self.betas_dir(subj) / f"betas_session{session:02d}.{ext}"

    def ncsnr(self, subj: int) -> Path:
        return self.betas_dir(subj) / "ncsnr.nii.gz"

    def stimuli(self) -> Path:
        return self.root / "nsddata_stimuli/stimuli/nsd/nsd_stimuli.hdf5"

    def stim_info(self) -> Path:
        return self.root / "nsddata/experiments/nsd/nsd_stim_info_merged.csv"

    def trials(self) -> Path:
        return self.root / "nsddata/experiments/nsd/nsd_trials.csv"

    def renorm(self, subj: int) -> Path:
        return self.root / f"betas_all_subj{subj:02d}_fp32_renorm.hdf5"


# --- NIfTI ----------------------------------------------------------------------------------------

def affine_for(grid_xyz, voxel_mm: float) -> np.ndarray:
    """RAS affine with 1.8-mm voxels and the grid centre at the origin."""
    a = np.diag([voxel_mm, voxel_mm, voxel_mm, 1.0])
    a[:3, 3] = -voxel_mm * (np.array(grid_xyz) - 1) / 2.0
    return a


def write_nifti_gz(path: Path, data: np.ndarray, affine: np.ndarray) -> None:
    """NIfTI-1 single file, gzip with mtime 0; data in nibabel order (X, Y, Z[, T])."""
    img = nib.Nifti1Image(data, affine)
    hdr = img.header
    hdr.set_data_dtype(data.dtype)
    hdr.set_xyzt_units("mm", "sec")
    hdr.set_qform(affine, code=1)
    hdr.set_sform(affine, code=1)
    if data.ndim == 4:
        hdr.set_zooms(tuple(hdr.get_zooms()[:3]) + (1.0,))
    raw = img.to_bytes()
    _gzip_to(path, raw)


def _gzip_to(path: Path, raw: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as gz:
        gz.write(raw)
    path.write_bytes(buf.getvalue())


# --- HDF5 -----------------------------------------------------------------------------------------

def _h5(path: Path) -> h5py.File:
    path.parent.mkdir(parents=True, exist_ok=True)
    return h5py.File(path, "w", libver="earliest")


def write_betas_hdf5(path: Path, betas: np.ndarray, voxels: np.ndarray, grid_xyz, keep: np.ndarray | None = None) -> None:
    """NSD session file: /betas int16, shape (n_trials, Z, Y, X), chunks (n_trials, 1, 1, 1), uncompressed.

    betas: int16 (n_trials, n_voxels) for the voxels at `voxels` (x, y, z). Only the chunks of those
    voxels (or of voxels[keep]) are written; every other chunk is unallocated and reads as the fill
    value 0, as NSD's non-brain voxels do."""
    X, Y, Z = grid_xyz
    n = betas.shape[0]
    sel = np.arange(len(voxels)) if keep is None else np.flatnonzero(keep)
    order = sel[np.lexsort((voxels[sel, 0], voxels[sel, 1], voxels[sel, 2]))]   # z, then y, then x
    cols = np.ascontiguousarray(betas[:, order].T.astype("<i2"))
    with _h5(path) as f:
        d = f.create_dataset("betas", shape=(n, Z, Y, X), dtype="<i2", chunks=(n, 1, 1, 1),
                             fillvalue=0, track_times=False)
        for j, v in enumerate(order):
            x, y, z = voxels[v]
            d.id.write_direct_chunk((0, int(z), int(y), int(x)), cols[j].tobytes())


def write_betas_nifti(path: Path, betas: np.ndarray, voxels: np.ndarray, grid_xyz, affine,
                      keep: np.ndarray | None = None) -> None:
    """NSD session file: int16 (X, Y, Z, n_trials), zero outside the written voxels."""
    sel = np.arange(len(voxels)) if keep is None else np.flatnonzero(keep)
    vol = np.zeros(tuple(grid_xyz) + (betas.shape[0],), np.int16)
    x, y, z = voxels[sel].T
    vol[x, y, z, :] = betas[:, sel].T
    write_nifti_gz(path, vol, affine)


def write_stimuli(path: Path, images: np.ndarray, only: np.ndarray | None = None) -> None:
    """/imgBrick uint8 (N, H, W, 3), one chunk per image; with `only`, just those images' chunks are
    written and the others read as the fill value 0 (black)."""
    ids = np.arange(len(images)) if only is None else np.asarray(only)
    with _h5(path) as f:
        d = f.create_dataset("imgBrick", shape=images.shape, dtype="u1", chunks=(1,) + images.shape[1:],
                             fillvalue=0, track_times=False)
        for i in ids:
            d.id.write_direct_chunk((int(i), 0, 0, 0), np.ascontiguousarray(images[i]).tobytes())


def write_renorm(path: Path, rows: np.ndarray, only_rows: np.ndarray | None = None) -> None:
    """MindEye2-style /betas float32 (n_trials, n_voxels). Full: contiguous, as h5py writes data=...
    With only_rows: chunked one row per chunk, only those rows written, the rest read as NaN."""
    with _h5(path) as f:
        if only_rows is None:
            f.create_dataset("betas", data=rows.astype("<f4"), track_times=False)
            return
        d = f.create_dataset("betas", shape=rows.shape, dtype="<f4", chunks=(1, rows.shape[1]),
                             fillvalue=np.float32(np.nan), track_times=False)
        for r in np.sort(only_rows):
            d.id.write_direct_chunk((int(r), 0), np.ascontiguousarray(rows[r], "<f4").tobytes())


# --- text -----------------------------------------------------------------------------------------

def write_ctab(path: Path, names) -> None:
    """Label table as NSD's <roi>.mgz.ctab: "<index> <name>" per line, 0 = Unknown."""
    lines = ["0 Unknown"] + [f"{i} {n}" for i, n in enumerate(names, start=1)]
    write_text(path, "\n".join(lines) + "\n")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def write_csv(path: Path, header: list[str], rows) -> None:
    out = [",".join(header)]
    for r in rows:
        out.append(",".join(_cell(c) for c in r))
    write_text(path, "\n".join(out) + "\n")


def _cell(c) -> str:
    if isinstance(c, (bool, np.bool_)):
        return "True" if c else "False"
    s = str(c)
    assert "," not in s and '"' not in s and "\n" not in s, s
    return s


# --- manifest -------------------------------------------------------------------------------------

def hash_tree(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file under root, keyed by the POSIX path relative to root, sorted."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel not in skip:
            out[rel] = sha256(p)
    return out


def write_sha256sums(path: Path, hashes: dict[str, str]) -> None:
    """`sha256sum -c` format: "<hex>  <relative path>"."""
    write_text(path, "".join(f"{h}  {rel}\n" for rel, h in sorted(hashes.items())))


# docs/demo-world.md is shared: the forge writes everything above this marker, models.forge.train (issue 7) the
# model-zoo section from it on. The manifest hashes only the forge's part, so either can be regenerated alone.
ZOO_MARKER = "<!-- model zoo: written by models.forge.train -->"
# After the zoo's section, models.forge.shared (issue 19) writes the shared-subject section from this marker on.
SHARED_MARKER = "<!-- shared subjects: written by models.forge.shared -->"
# After that, the MindEye2 demo bundle's section (issue 20; its numbers come from the library's CLI, so it is written
# by hand) from this marker on; models.forge.shared keeps it when it rewrites its own section.
MINDEYE2_MARKER = "<!-- mindeye2 demo bundle: models.forge.mindeye2_demo and the library's CLI -->"


def split_report(path: Path) -> tuple[str, str]:
    """(forge part, zoo part starting at ZOO_MARKER or "") of an existing report; ("", "") if absent."""
    if not path.exists():
        return "", ""
    text = path.read_bytes().decode("utf-8")
    at = text.find(ZOO_MARKER)
    return (text, "") if at < 0 else (text[:at], text[at:])


def report_sha256(path: Path) -> str:
    """sha256 of the forge's part of the report (everything before ZOO_MARKER)."""
    return hashlib.sha256(split_report(path)[0].encode("utf-8")).hexdigest()
