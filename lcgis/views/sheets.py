"""One sheet formatter for every workbook lcgis writes (evaluation, relocation plan, review).

A sheet is written from a frame with Chinese headers (:func:`write_sheet`: formula-like text
made plain, then :func:`format_sheet`): bold centred header row, frozen panes, print titles,
landscape fit to width, a page footer, number formats chosen by header
(:func:`number_format`), column widths from the content and filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from lcgis.views.sanitize import excel_frame, neutralize_sheet

__all__ = [
    "AMOUNT_FORMAT",
    "AMOUNT_UNITS",
    "COUNT_FORMAT",
    "PERCENT_FORMAT",
    "display_width",
    "format_sheet",
    "no_number_format",
    "number_format",
    "write_sheet",
]

#: Units in a header that mark an amount shown with two decimals (areas, money).
AMOUNT_UNITS: Final = ("(m²)", "(亩)", "万元")
#: Number formats.
AMOUNT_FORMAT: Final = "#,##0.00"
PERCENT_FORMAT: Final = "0.0%"
COUNT_FORMAT: Final = "#,##0"
#: Column widths (Excel character units): text longer than this wraps out of view.
TEXT_WIDTH: Final = 40
MAX_WIDTH: Final = 50

NumberFormat = Callable[[str], str | None]


def number_format(
    header: str,
    *,
    exact: Mapping[str, str] | None = None,
    amounts: Iterable[str] = AMOUNT_UNITS,
) -> str | None:
    """The number format of a column by its header: ``exact[header]`` when given, else
    :data:`AMOUNT_FORMAT` for a header naming one of ``amounts``, else ``None`` (general).

    >>> number_format("用地面积(m²)")
    '#,##0.00'
    >>> number_format("容积率", exact={"容积率": "0.00"})
    '0.00'
    >>> number_format("搬迁后", amounts=("搬迁后",))
    '#,##0.00'
    >>> number_format("备注") is None
    True
    """
    if exact and header in exact:
        return exact[header]
    if any(unit in header for unit in amounts):
        return AMOUNT_FORMAT
    return None


def no_number_format(_header: str) -> None:
    """For sheets of text (notes): every column general.

    >>> no_number_format("用地面积(m²)") is None
    True
    """
    return None


def display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double.

    >>> display_width("宗地A1")
    6
    """
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def column_width(header: str, values: pd.Series) -> int:
    """A column's width: the header's, or the 90th percentile of its shown values (at most
    :data:`TEXT_WIDTH`), plus a margin; at most :data:`MAX_WIDTH`.

    >>> column_width("编号", pd.Series(["P1", "P2"]))
    6
    >>> column_width("金额", pd.Series([1234.5, None]))
    10
    """
    widths = [display_width(_shown(x)) for x in values if not _blank(x)]
    text_len = int(np.percentile(widths, 90)) if widths else 0
    return min(max(display_width(str(header)), min(text_len, TEXT_WIDTH)) + 2, MAX_WIDTH)


def format_sheet(
    ws: Any,
    df: pd.DataFrame,
    *,
    freeze: str = "A2",
    footer: str = "",
    number_format: NumberFormat = number_format,
    auto_filter: bool = True,
) -> None:
    """Make a written sheet readable and printable: bold centred header, frozen panes,
    print titles, landscape fit to width, page footer, number formats by header, column
    widths, filters. Formula-like text is made plain text (write ``excel_frame(df)``, then
    call this on the sheet; :func:`write_sheet` does both)."""
    neutralize_sheet(ws)  # text like "=…" stays text
    ws.freeze_panes = freeze
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if footer:
        ws.oddFooter.center.text = footer
    for cell in ws[1][: len(df.columns)]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for i, header in enumerate(df.columns, start=1):
        letter = get_column_letter(i)
        fmt = number_format(str(header))
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        ws.column_dimensions[letter].width = column_width(str(header), df[header])
    if auto_filter and len(df):
        ws.auto_filter.ref = ws.dimensions


def write_sheet(xw: pd.ExcelWriter, name: str, df: pd.DataFrame, **formatting: Any) -> Any:
    """Write ``df`` as sheet ``name`` of ``xw`` (openpyxl) and format it (keywords of
    :func:`format_sheet`); the worksheet."""
    df = excel_frame(df)
    df.to_excel(xw, sheet_name=name, index=False)
    ws = xw.sheets[name]
    format_sheet(ws, df, **formatting)
    return ws


def _shown(value: object) -> str:
    """A cell as Excel shows it (numbers with two decimals), for the column width."""
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA
