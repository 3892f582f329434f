"""Committee papers: the annual 亩均效益评价报告 and per-parcel dossiers (体检表) as PDF.

A4 portrait, in Chinese, offline: maps drawn by matplotlib from the project's own geometry,
pages typeset by reportlab with a subset of a CJK font found on the machine.

* :func:`annual_report_pdf` — the annual report of a :class:`~lcgis.engine.pipeline.Result`
  (and the year before's, for the comparisons);
* :func:`dossiers_pdf` — one dossier per parcel, one PDF for a whole list
  (:func:`list_parcels` gives a list's parcels in order);
* ``policy=`` masks confidential figures for a viewer's role (:func:`role_policy`);
* :func:`write_pdf` writes the bytes atomically.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lcgis.data.atomic import atomic_output

if TYPE_CHECKING:  # the heavy modules (matplotlib, reportlab) load on first use
    from lcgis.papers.annual import ReportInfo, annual_report, annual_report_pdf
    from lcgis.papers.common import Policy, is_illustrative, masked_result, role_policy
    from lcgis.papers.dossier import (
        DossierInfo,
        ParcelNotFoundError,
        dossiers,
        dossiers_pdf,
        list_parcels,
        parcel_years,
        read_reviews,
    )
    from lcgis.papers.fonts import FontMissingError, find_cjk_font

_LAZY = {
    "ReportInfo": "annual",
    "annual_report": "annual",
    "annual_report_pdf": "annual",
    "Policy": "common",
    "is_illustrative": "common",
    "masked_result": "common",
    "role_policy": "common",
    "DossierInfo": "dossier",
    "ParcelNotFoundError": "dossier",
    "dossiers": "dossier",
    "dossiers_pdf": "dossier",
    "list_parcels": "dossier",
    "parcel_years": "dossier",
    "read_reviews": "dossier",
    "FontMissingError": "fonts",
    "find_cjk_font": "fonts",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DossierInfo",
    "FontMissingError",
    "ParcelNotFoundError",
    "Policy",
    "ReportInfo",
    "annual_report",
    "annual_report_pdf",
    "dossiers",
    "dossiers_pdf",
    "find_cjk_font",
    "is_illustrative",
    "list_parcels",
    "masked_result",
    "page_count",
    "parcel_years",
    "read_reviews",
    "role_policy",
    "write_pdf",
]


def page_count(data: bytes) -> int:
    """Pages of a PDF these modules wrote (their page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def write_pdf(data: bytes, out: str | Path) -> Path:
    """Write PDF bytes to ``out`` atomically (a failed write leaves no half file)."""
    out = Path(out)
    with atomic_output(out) as tmp:
        tmp.write_bytes(data)
    return out
