"""File helpers shared by every Python script of the repository (models/export, models/forge, tests/fixtures): JSON as
the bundle writes it, sha256 as fmri_decoder.json and the forge's manifests record it."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path


def write_json(path: str | Path, value) -> None:
    """Writes value as indented, key-sorted JSON (what docs/model-bundle.md shows), creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


def sha256(path: str | Path) -> str:
    """The lower-case hex sha256 of a file, read in 16 MiB blocks (UNet weights are gigabytes)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()


def entries_path(bundle: Path) -> Path:
    """Where an export script leaves the fmri_decoder.json entries of the voxel encoders it wrote, for finish_bundle."""
    return bundle / "voxel_encoders" / "entries.json"


def add_entries(bundle: Path, entries: list[dict]) -> None:
    """Adds (or replaces, by name) voxel-encoder entries in the bundle's pending entries file."""
    path = entries_path(bundle)
    known = json.loads(path.read_text()) if path.exists() else []
    names = {e["name"] for e in entries}
    write_json(path, [e for e in known if e["name"] not in names] + entries)
