"""The review workbook: sheets 核查状态 and 变更记录 with Chinese headers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lcgis.vocab import HISTORY_LABELS, REVIEW_LABELS

if TYPE_CHECKING:
    import os

    import pandas as pd


def write_workbook(
    out: str | os.PathLike[str], reviews: pd.DataFrame, history: pd.DataFrame
) -> Path:
    """Write sheets 核查状态 (``reviews``, columns :data:`REVIEW_LABELS`) and 变更记录
    (``history``, columns :data:`HISTORY_LABELS`) with Chinese headers to ``out``, atomically."""

    from lcgis.data.atomic import atomic_output
    from lcgis.views.sheets import Book, write_sheet

    out = Path(out)
    current = reviews.rename(columns=REVIEW_LABELS)
    log_frame = history.copy()
    log_frame["accepted"] = log_frame["accepted"].map({True: "是", False: "否"})
    log_frame = log_frame.rename(columns=HISTORY_LABELS)
    footer = "lcgis 核查记录 第 &P 页 共 &N 页"
    with atomic_output(out) as tmp, Book(tmp) as xw:
        for sheet, df in (("核查状态", current), ("变更记录", log_frame)):
            write_sheet(xw, sheet, df, freeze="B2", footer=footer)
    return out
