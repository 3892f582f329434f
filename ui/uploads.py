"""Uploaded datasets: unpack a zip or place single files into a dataset folder of the session.

Uploads go to the system temp folder (:func:`ui.state.session_dir`), never into the repo.
Zip members with absolute paths or ``..`` are skipped; sizes are capped.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lcgis.io import LAYERS

MAX_TOTAL_BYTES = 2 * 1024**3  # unpacked size of one upload
#: Words in a file name that say which layer it is (checked in this order).
LAYER_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("occupancy", ("occupancy", "用地关系", "租用", "tenure")),
    ("enterprises", ("enterprise", "企业", "firm", "company")),
    ("buildings", ("building", "建筑", "房屋")),
    ("zones", ("zone", "片区")),
    ("parcels", ("parcel", "宗地", "地块", "lot")),
)
SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd")


@dataclass
class Placed:
    """Where an upload went and what could not be placed."""

    root: Path
    unknown: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def guess_layer(name: str) -> str | None:
    """The layer a file name stands for ('mapping' for mapping.toml), or None.

    >>> guess_layer("宗地.shp"), guess_layer("Enterprises_2025.xlsx"), guess_layer("x.csv")
    ('parcels', 'enterprises', None)
    """
    stem = Path(name).stem.lower()
    suffixes = "".join(Path(name).suffixes).lower()
    if stem == "mapping" and suffixes.endswith(".toml"):
        return "mapping"
    if stem in LAYERS:
        return stem
    for layer, words in LAYER_WORDS:
        if any(w in stem for w in words):
            return layer
    return None


def _safe_member(name: str) -> PurePosixPath | None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or not p.parts or p.parts[0].endswith(":"):
        return None
    if any(part.startswith("__MACOSX") for part in p.parts):
        return None
    return p


def unzip(data: bytes | Path, dest: Path) -> list[str]:
    """Extract a zip safely into ``dest``; return the names skipped."""
    skipped: list[str] = []
    total = 0
    source = data if isinstance(data, Path) else io.BytesIO(data)
    with zipfile.ZipFile(source) as zf:
        for info in zf.infolist():
            rel = _safe_member(_decode_name(info))
            if rel is None:
                skipped.append(info.filename)
                continue
            target = dest.joinpath(*rel.parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                skipped.append(info.filename)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
    return skipped


def _decode_name(info: zipfile.ZipInfo) -> str:
    """Member name; names from Chinese Windows zip tools are GBK without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def find_root(folder: Path) -> Path:
    """The dataset folder inside an unpacked upload: where parcels/ or parcels.* is."""
    candidates = [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]
    for cand in candidates:
        if len(cand.relative_to(folder).parts) > 3:
            continue
        if (cand / "parcels").is_dir() or any(cand.glob("parcels.*")):
            return cand
    return folder


def place(files: Iterable[tuple[str, bytes]], dest: Path) -> Placed:
    """Put uploaded files into a new dataset folder ``dest``; zips are unpacked.

    Single files are renamed after the layer their name suggests (``宗地.shp`` ->
    ``parcels/parcels.shp``, with its .dbf/.prj/... beside it); names that suggest no
    layer are listed in ``unknown`` and left out.
    """
    dest.mkdir(parents=True, exist_ok=True)
    placed = Placed(dest)
    singles: list[tuple[str, bytes]] = []
    for name, data in files:
        base = Path(name).name
        if base.lower().endswith(".zip") and not base.lower().endswith(".shp.zip"):
            placed.skipped += unzip(data, dest)
        else:
            singles.append((base, data))
    stems = {Path(n).stem.lower(): guess_layer(n) for n, _ in singles if n.lower().endswith(".shp")}
    for name, data in singles:
        lower = name.lower()
        suffix = (
            "".join(Path(lower).suffixes[-2:]) if lower.endswith(".shp.zip") else Path(lower).suffix
        )
        layer = stems.get(Path(lower).stem) if suffix in SIDECARS else guess_layer(name)
        if layer is None:
            placed.unknown.append(name)
            continue
        if layer == "mapping":
            target = dest / "parcels" / "mapping.toml"
        elif layer == "zones":
            target = dest / f"zones{suffix}"
        else:
            target = dest / "parcels" / f"{layer}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    placed.root = find_root(dest)
    return placed


def safe_label(name: str) -> str:
    """A file name for display: control characters removed."""
    return re.sub(r"[\x00-\x1f\x7f]", "", name)
