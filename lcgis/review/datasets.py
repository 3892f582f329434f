"""Datasets: the id under which a dataset folder's reviews are kept."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Final

from lcgis.errors import DataError

if TYPE_CHECKING:
    import os

#: File in a dataset folder that may name the dataset (``id = "…"``).
DATASET_FILE: Final = "dataset.toml"
#: Dataset of the reviews written before stores were per installation (revision 0001).
LEGACY_DATASET: Final = "legacy"

_DATASET_ID_MAX = 200


def dataset_id(folder: str | os.PathLike[str]) -> str:
    """The id under which a dataset folder's reviews are kept.

    The ``id`` of the folder's ``dataset.toml`` (``id = "鲤城高新区"``) when there is one,
    so that a dataset keeps its reviews when it is moved, copied or uploaded again; else the
    folder's absolute path.

    >>> dataset_id("no/such/folder") == str(Path("no/such/folder").resolve().as_posix())
    True
    """
    path = Path(folder)
    meta = path / DATASET_FILE
    if meta.is_file():
        fix = f'应写成一行 id = "数据集编号"(1–{_DATASET_ID_MAX} 个字符)'
        try:
            data = tomllib.loads(meta.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise DataError(f"{meta} 无法读取({exc})：{fix}") from exc
        value = data.get("id")
        text = value.strip() if isinstance(value, str) else ""
        if not text or len(text) > _DATASET_ID_MAX or any(ord(ch) < 32 for ch in text):
            raise DataError(f"{meta} 中的 id 无效({value!r})：{fix}")
        return text
    try:
        return path.resolve().as_posix()
    except OSError:
        return path.absolute().as_posix()
