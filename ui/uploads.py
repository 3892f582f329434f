"""Uploads: unpack a zip or place single files into a dataset folder of the session; the
limits on what a session may keep, and the clean-up of old sessions' files.

Uploads go to the system temp folder, one folder per browser session
(:func:`ui.state.session_dir`), never into the repo.  Zip members with absolute paths or ``..``
are skipped.  A session keeps at most its quota (:func:`room`); its folder is deleted when the
session has ended, and in any case a day after it was made (:func:`sweep`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lcgis.vocab import LAYERS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

MAX_TOTAL_BYTES = 2 * 1024**3  # unpacked size of one upload
#: Marker file in each session folder: holds the folder's creation time; touched on every run.
SESSION_MARK = ".lcgis-session"
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


class UploadRefused(ValueError):
    """An upload that may not be kept (too large, over the session's quota); the message is
    Chinese and says what to do."""


def _mb(n: float) -> str:
    return f"{n / 1024**2:,.0f} MB" if n >= 1024**2 else f"{n / 1024:,.0f} KB"


def check_upload(name: str, size: int, *, max_bytes: int, room: int) -> None:
    """Refuse (:class:`UploadRefused`) a file of ``size`` bytes larger than ``max_bytes`` or
    than the ``room`` left in the session's quota.

    >>> check_upload("宗地.zip", 10, max_bytes=100, room=5)
    Traceback (most recent call last):
    ...
    ui.uploads.UploadRefused: 本次会话的上传空间不足：宗地.zip 有 0 KB，只剩 0 KB。...
    """
    label = safe_label(Path(name).name)
    if size > max_bytes:
        raise UploadRefused(f"文件 {label} 有 {_mb(size)}，超过单个文件上限 {_mb(max_bytes)}。")
    if size > room:
        raise UploadRefused(
            f"本次会话的上传空间不足：{label} 有 {_mb(size)}，只剩 {_mb(room)}。"
            "上传的文件在会话结束后删除；请关闭页面重新打开后再上传。"
        )


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder`` (links are not followed)."""
    total = 0
    for base, _dirs, files in os.walk(folder):
        for f in files:
            try:
                total += os.lstat(os.path.join(base, f)).st_size
            except OSError:
                continue
    return total


def room(folder: Path, quota_bytes: int) -> int:
    """Bytes a session folder may still take under ``quota_bytes``."""
    return max(0, quota_bytes - folder_bytes(folder))


def remove(folder: Path) -> None:
    """Delete an upload folder that is not used after all."""
    shutil.rmtree(folder, ignore_errors=True)


def app_base() -> Path:
    """The folder of every app server's uploads (in the system temp folder)."""
    return Path(tempfile.gettempdir()) / "lcgis-app"


def app_root() -> Path:
    """The folder holding this server's session folders (one per server process, so that a
    server never takes another's sessions for ended ones)."""
    return app_base() / f"server-{os.getpid()}"


def mark_used(folder: Path, now: float | None = None) -> None:
    """Record that ``folder``'s session is running (its creation time is kept)."""
    marker = folder / SESSION_MARK
    t = time.time() if now is None else now
    if not marker.exists():
        marker.write_text(f"{t:.0f}", encoding="ascii")
    os.utime(marker, (t, t))


def sweep(
    root: Path,
    *,
    keep_s: float,
    idle_s: float,
    active: Callable[[str], bool | None],
    now: float | None = None,
) -> list[str]:
    """Delete the session folders under ``root`` made more than ``keep_s`` seconds ago, and
    those of sessions that have ended: ``active(name)`` is False and the folder was last used
    more than ``idle_s`` seconds ago (a browser reconnecting within that time keeps its
    files).  ``active`` returns None when it cannot tell.  Returns the names deleted."""
    t = time.time() if now is None else now
    gone: list[str] = []
    if not root.is_dir():
        return gone
    for d in root.iterdir():
        if d.is_symlink() or not d.is_dir():
            continue
        marker = d / SESSION_MARK
        try:
            last = (marker if marker.exists() else d).stat().st_mtime
            created = float(marker.read_text(encoding="ascii")) if marker.exists() else last
        except (OSError, ValueError):
            created = last = d.stat().st_mtime
        ended = active(d.name) is False and t - last > idle_s
        if t - created > keep_s or ended:
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d.name)
    return gone


def sweep_all(
    base: Path,
    own: Path,
    *,
    keep_s: float,
    idle_s: float,
    active: Callable[[str], bool | None],
    now: float | None = None,
) -> list[str]:
    """:func:`sweep` this server's folder ``own`` and, by age only, those other (or earlier)
    servers left under ``base``; an emptied folder of another server is removed too."""
    gone = sweep(own, keep_s=keep_s, idle_s=idle_s, active=active, now=now)
    if not base.is_dir():
        return gone
    for other in base.iterdir():
        if other == own or other.is_symlink() or not other.is_dir():
            continue
        gone += sweep(other, keep_s=keep_s, idle_s=idle_s, active=lambda _sid: None, now=now)
        with contextlib.suppress(OSError):
            other.rmdir()  # only when empty
    return gone


def unzip(data: bytes | Path, dest: Path, limit: int = MAX_TOTAL_BYTES) -> list[str]:
    """Extract a zip safely into ``dest``; return the names skipped.

    A zip whose members unpack to more than ``limit`` bytes is refused whole
    (:class:`UploadRefused`), before anything is written."""
    skipped: list[str] = []
    total = 0
    source = data if isinstance(data, Path) else io.BytesIO(data)
    with zipfile.ZipFile(source) as zf:
        declared = sum(i.file_size for i in zf.infolist() if not i.is_dir())
        if declared > limit:
            raise UploadRefused(
                f"压缩包解压后有 {_mb(declared)}，超过本次会话剩余的上传空间 {_mb(limit)}。"
            )
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
            if total > limit:
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


def place(files: Iterable[tuple[str, bytes]], dest: Path, limit: int = MAX_TOTAL_BYTES) -> Placed:
    """Put uploaded files into a new dataset folder ``dest``; zips are unpacked.

    Single files are renamed after the layer their name suggests (``宗地.shp`` ->
    ``parcels/parcels.shp``, with its .dbf/.prj/... beside it); names that suggest no
    layer are listed in ``unknown`` and left out.  Everything together may take at most
    ``limit`` bytes (:class:`UploadRefused` otherwise).
    """
    dest.mkdir(parents=True, exist_ok=True)
    placed = Placed(dest)
    singles: list[tuple[str, bytes]] = []
    left = limit
    for name, data in files:
        base = Path(name).name
        if base.lower().endswith(".zip") and not base.lower().endswith(".shp.zip"):
            before = folder_bytes(dest)
            try:
                placed.skipped += unzip(data, dest, left)
            except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
                raise UploadRefused(
                    f"文件 {safe_label(base)} 不是完整的 zip 压缩包，无法解压(可能已截断、损坏、"
                    "加密或不是 zip 格式)。请重新压缩后上传：Windows 中右键文件夹 →“发送到”→"
                    "“压缩(zipped)文件夹”。"
                ) from exc
            left -= folder_bytes(dest) - before
        else:
            if len(data) > left:
                raise UploadRefused(
                    f"文件 {safe_label(base)} 有 {_mb(len(data))}，"
                    f"超过本次会话剩余的上传空间 {_mb(left)}。"
                )
            left -= len(data)
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


def is_data_folder(files: Iterable[tuple[str, bytes]]) -> bool:
    """True when an upload is a whole data folder: a zip holding ``parcels/`` or a
    ``mapping.toml`` (read as it is); files under their own names go to the import wizard.

    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as zf: zf.writestr("园区/parcels/parcels.gpkg", b"x")
    >>> is_data_folder([("园区.zip", buf.getvalue())]), is_data_folder([("宗地.shp", b"")])
    (True, False)
    """
    for name, data in files:
        if not name.lower().endswith(".zip") or not zipfile.is_zipfile(io.BytesIO(data)):
            continue
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                parts = [p.lower() for p in PurePosixPath(_decode_name(info)).parts]
                if "parcels" in parts[:-1] or (parts and parts[-1] == "mapping.toml"):
                    return True
    return False


def place_raw(files: Iterable[tuple[str, bytes]], dest: Path, limit: int = MAX_TOTAL_BYTES) -> Path:
    """Save uploaded files as they are (safe names; zips stay zipped) in ``dest/raw`` for the
    import wizard; a .zip that is not a zip, or more than ``limit`` bytes, is refused."""
    raw = dest / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    left = limit
    for name, data in files:
        base = safe_label(Path(name.replace("\\", "/")).name)
        if base.lower().endswith(".zip") and not zipfile.is_zipfile(io.BytesIO(data)):
            raise UploadRefused(
                f"文件 {base} 不是完整的 zip 压缩包，无法解压(可能已截断、损坏、加密或不是 zip "
                "格式)。请重新压缩后上传：Windows 中右键文件夹 →“发送到”→“压缩(zipped)文件夹”。"
            )
        if len(data) > left:
            raise UploadRefused(
                f"文件 {base} 有 {_mb(len(data))}，超过本次会话剩余的上传空间 {_mb(left)}。"
            )
        left -= len(data)
        (raw / safe_filename(base, Path(base).suffix.lower() or ".bin")).write_bytes(data)
    return raw


def safe_filename(name: str, suffix: str) -> str:
    """A file name to store an upload under: letters, digits, CJK, ``.-_`` only, ending
    in ``suffix`` (the last part of ``name`` only: never a folder).

    >>> safe_filename("../../规则 2026.toml", ".toml"), safe_filename("..", ".toml")
    ('规则_2026.toml', 'upload.toml')
    """
    stem = re.sub(r"[^\w.\-]", "_", Path(name.replace("\\", "/")).name).strip("._")
    if not stem:
        stem = "upload"
    return stem if stem.lower().endswith(suffix) else f"{stem}{suffix}"


def safe_label(name: str) -> str:
    """A file name for display: control characters removed."""
    return re.sub(r"[\x00-\x1f\x7f]", "", name)
