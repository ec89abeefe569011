"""Figures (PNG) and the markdown validation report docs/demo-world.md. Deterministic: no timestamps,
no timings (those go to the console and models/forge/README.md)."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .subject import ROI_FILES

_PALETTE = np.array([
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
    (70, 240, 240), (240, 50, 230), (210, 245, 60)], np.uint8)


def _save_png(img: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=9)
    path.write_bytes(buf.getvalue())


def stimulus_sheet(images: np.ndarray, captions: list[str], ids, path: Path, cols: int = 4, scale: int = 3) -> None:
    """A grid of images (scaled up, nearest neighbour) with their nsdId and caption underneath."""
    font = ImageFont.load_default()
    tile, pad, text_h = images.shape[1] * scale, 8, 52
    rows = (len(ids) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (tile + 2 * pad), rows * (tile + text_h + 2 * pad)), "white")
    draw = ImageDraw.Draw(sheet)
    for k, i in enumerate(ids):
        x0 = (k % cols) * (tile + 2 * pad) + pad
        y0 = (k // cols) * (tile + text_h + 2 * pad) + pad
        sheet.paste(Image.fromarray(images[i]).resize((tile, tile), Image.NEAREST), (x0, y0))
        lines = textwrap.wrap(f"#{i}: {captions[i]}", width=tile // 6)
        for j, line in enumerate(lines[:4]):
            draw.text((x0, y0 + tile + 3 + 12 * j), line, fill="black", font=font)
    _save_png(sheet, path)


def roi_sheet(rois: dict[str, np.ndarray], path: Path, scale: int = 4) -> None:
    """Sagittal views of the right hemisphere: for each ROI file, the label nearest the lateral surface
    (looking from +X), and from the medial side; rows = files, anterior to the right, superior up."""
    font = ImageFont.load_default()
    files = ["prf-visualrois", "floc-faces", "floc-bodies", "floc-places", "streams"]
    X, Y, Z = rois["nsdgeneral"].shape
    w, h = Y * scale, Z * scale
    sheet = Image.new("RGB", (2 * w + 3 * 10 + 110, len(files) * (h + 10) + 10), "white")
    draw = ImageDraw.Draw(sheet)
    brain = rois["nsdgeneral"] >= 0
    for r, name in enumerate(files):
        vol = rois[name]
        for c, xs in enumerate((range(X - 1, X // 2 - 1, -1), range(X // 2, X))):   # lateral view, medial view
            lab = np.zeros((Y, Z), np.int16)
            seen = np.zeros((Y, Z), bool)
            for x in xs:
                hit = brain[x] & ~seen
                lab[hit] = vol[x][hit]
                seen |= brain[x]
            rgb = np.full((Y, Z, 3), 255, np.uint8)
            rgb[seen] = 200
            pos = lab > 0
            rgb[pos] = _PALETTE[(lab[pos] - 1) % len(_PALETTE)]
            img = Image.fromarray(np.ascontiguousarray(rgb.transpose(1, 0, 2)[::-1])).resize((w, h), Image.NEAREST)
            sheet.paste(img, (110 + c * (w + 10), 10 + r * (h + 10)))
        draw.text((5, 10 + r * (h + 10) + h // 2 - 20), name, fill="black", font=font)
        for j, lab_name in enumerate(ROI_FILES[name]):
            draw.text((5, 10 + r * (h + 10) + h // 2 - 8 + 10 * j), lab_name,
                      fill=tuple(int(v) for v in _PALETTE[j % len(_PALETTE)]), font=font)
    _save_png(sheet, path)


def table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)
