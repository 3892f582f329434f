"""One sheet formatter for every workbook lcgis writes (evaluation, relocation plan, review).

A workbook is written by :class:`Book`, a streaming .xlsx writer: each sheet's cells are
turned into SpreadsheetML column by column (vectorised, a block of rows at a time) and
deflated straight into the file, so a sheet of 500,000 rows needs seconds and little memory.
A sheet is written from a frame with Chinese headers (:func:`write_sheet`, or
:meth:`Book.add`): text cleaned (:func:`lcgis.views.sanitize.excel_frame`) and kept as text
(formula-like text gets Excel's quote prefix), bold centred header row, frozen panes, print
titles, landscape fit to width, a page footer, number formats chosen by header
(:func:`number_format`), column widths from the content (:func:`column_width`) and filters.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lcgis.views.sanitize import FORMULA_START, excel_frame

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "AMOUNT_FORMAT",
    "AMOUNT_UNITS",
    "COUNT_FORMAT",
    "PERCENT_FORMAT",
    "Book",
    "column_letter",
    "column_width",
    "display_width",
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
#: Formats of dates and times (those pandas gave them when writing through openpyxl).
DATETIME_FORMAT: Final = "YYYY-MM-DD HH:MM:SS"
DATE_FORMAT: Final = "YYYY-MM-DD"
#: Column widths (Excel character units): text longer than this wraps out of view.
TEXT_WIDTH: Final = 40
MAX_WIDTH: Final = 50
#: Rows turned into XML at a time (bounds the memory a large sheet needs).
BLOCK_ROWS: Final = 20_000
#: Day 0 of Excel's 1900 date system (with its 1900 leap-year quirk, for dates after March 1900).
_EPOCH: Final = np.datetime64("1899-12-30T00:00:00", "ns")

NumberFormat = Callable[[str], str | None]
#: Characters that :func:`display_width` counts double (CJK and beyond).
_WIDE: Final = "[\u2e81-\U0010ffff]"


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


def column_letter(index: int) -> str:
    """The letters of the column ``index`` (1 = A).

    >>> column_letter(1), column_letter(26), column_letter(27), column_letter(72)
    ('A', 'Z', 'AA', 'BT')
    """
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_width(header: str, values: pd.Series) -> int:
    """A column's width: the header's, or the 90th percentile of its shown values (at most
    :data:`TEXT_WIDTH`), plus a margin; at most :data:`MAX_WIDTH`.  Values are shown as
    Excel shows them (numbers with two decimals and thousands separators).

    >>> column_width("编号", pd.Series(["P1", "P2"]))
    6
    >>> column_width("金额", pd.Series([1234.5, None]))
    10
    """
    widths = _shown_widths(pd.Series(values))
    text_len = int(np.percentile(widths, 90)) if len(widths) else 0
    return min(max(display_width(str(header)), min(text_len, TEXT_WIDTH)) + 2, MAX_WIDTH)


def _shown_widths(s: pd.Series) -> np.ndarray:
    """The display width of every non-blank value of ``s`` as shown (``_shown``): floats
    from their digits, other values from their distinct values."""
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        return _float_widths(v[~np.isnan(v)])
    counts = s.value_counts(dropna=False, sort=False)
    keep = [not _blank(x) for x in counts.index]
    uniques = counts.index[keep]
    if not len(uniques):
        return np.zeros(0, dtype=int)
    shown = [_shown(x) for x in uniques]
    texts = pa.array(shown, pa.string())
    wide = pc.count_substring_regex(texts, _WIDE)
    widths = pc.add(pc.utf8_length(texts), wide).to_numpy(zero_copy_only=False)
    return np.repeat(widths.astype(int), counts.to_numpy()[keep])


def _float_widths(v: np.ndarray) -> np.ndarray:
    """``len(f"{x:,.2f}")`` for finite floats, computed from the number of integer digits
    (values whose rounding may add a digit, and huge ones, are formatted one by one).

    >>> _float_widths(np.array([0.004, -0.001, 9.994, 9.996, 1234.5, -1e6])).tolist()
    [4, 5, 4, 5, 8, 13]
    """
    t = np.abs(v)
    huge = t >= 1e15
    lo = _int_digits(np.floor(np.where(huge, 0, t)))
    hi = _int_digits(np.floor(np.where(huge, 0, t + 0.00501)))
    odd = (lo != hi) | huge
    digits = lo
    digits[odd] = [len(f"{x:.2f}") - 3 for x in t[odd]]
    return digits + (digits - 1) // 3 + 3 + np.signbit(v).astype(int)


def _int_digits(whole: np.ndarray) -> np.ndarray:
    return np.char.str_len(whole.astype(np.int64).astype(str)).astype(int)


# --- the workbook --------------------------------------------------------------------------


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


@dataclass
class _Styles:
    """The cell formats of a workbook: one per (number format, bold header, quote prefix)."""

    formats: dict[str, int] = field(default_factory=dict)
    xfs: dict[tuple[str | None, bool, bool], int] = field(
        default_factory=lambda: {(None, False, False): 0}
    )

    def xf(self, fmt: str | None, *, header: bool = False, quote: bool = False) -> int:
        key = (fmt, header, quote)
        if key not in self.xfs:
            if fmt is not None and fmt not in self.formats:
                self.formats[fmt] = 164 + len(self.formats)
            self.xfs[key] = len(self.xfs)
        return self.xfs[key]

    def xml(self) -> str:
        fmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode={quoteattr(f)}/>' for f, i in self.formats.items()
        )
        xfs = []
        for fmt, header, quote in self.xfs:
            attrs = f'numFmtId="{self.formats[fmt] if fmt else 0}" fontId="{int(header)}"'
            attrs += ' fillId="0" borderId="0" xfId="0"'
            attrs += ' applyNumberFormat="1"' if fmt else ""
            attrs += ' applyFont="1" applyAlignment="1"' if header else ""
            attrs += ' quotePrefix="1"' if quote else ""
            inner = '<alignment horizontal="center" vertical="center"/>' if header else ""
            xfs.append(f"<xf {attrs}>{inner}</xf>" if inner else f"<xf {attrs}/>")
        font = '<sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/>'
        font += '<scheme val="minor"/>'
        return (
            f'{_DECL}<styleSheet xmlns="{_NS}">'
            + (f'<numFmts count="{len(self.formats)}">{fmts}</numFmts>' if fmts else "")
            + f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            '</cellStyles><dxfs count="0"/><tableStyles count="0"/></styleSheet>'
        )


@dataclass(frozen=True)
class _Sheet:
    name: str
    ref: str
    auto_filter: bool


class Book:
    """A streaming .xlsx workbook written to ``path``: add sheets in order
    (:meth:`add`), then :meth:`close` (or use it as a context manager).

    Cells are written as Excel reads them back: numbers as numbers, text as (inline) text,
    booleans, dates and times as dates with their format; a blank cell (a missing value) is
    written only when it has a number format."""

    def __init__(self, path: str | Path) -> None:
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._styles = _Styles()
        self._sheets: list[_Sheet] = []

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind: object, *_exc: object) -> None:
        if kind is None:
            self.close()
        else:
            self._zip.close()

    def add(
        self,
        name: str,
        df: pd.DataFrame,
        *,
        freeze: str = "A2",
        footer: str = "",
        number_format: NumberFormat = number_format,
        auto_filter: bool = True,
        cell_formats: Mapping[tuple[int, int], str] | None = None,
    ) -> None:
        """Write ``df`` as sheet ``name``: bold centred header, frozen panes at ``freeze``,
        print titles, landscape fit to width, page ``footer`` (Excel's codes such as ``&P``),
        number formats by header (``number_format``; ``cell_formats`` {(row, column): format}
        overrides single cells, both counted from 0 over the data rows), column widths and,
        when ``auto_filter`` and the frame has rows, filters."""
        df = excel_frame(df)
        index = len(self._sheets) + 1
        headers = [str(c) for c in df.columns]
        fmts = [number_format(h) for h in headers]
        last = column_letter(max(len(headers), 1))
        ref = f"A1:{last}{len(df) + 1}"
        filtered = auto_filter and len(df) > 0
        self._sheets.append(_Sheet(name, ref, filtered))
        with self._zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True) as fh:
            fh.write(self._sheet_head(index, df, headers, fmts, freeze, ref).encode())
            fh.write(self._header_row(headers).encode())
            for start in range(0, len(df), BLOCK_ROWS):
                block = df.iloc[start : start + BLOCK_ROWS]
                fh.write(self._rows(block, start, fmts, cell_formats or {}))
            tail = "</sheetData>"
            if filtered:
                tail += f'<autoFilter ref="{ref}"/>'
            tail += (
                '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5"'
                ' footer="0.5"/><pageSetup orientation="landscape" fitToWidth="1"'
                ' fitToHeight="0"/>'
            )
            if footer:
                tail += (
                    f"<headerFooter><oddFooter>{escape('&C' + footer)}</oddFooter></headerFooter>"
                )
            fh.write((tail + "</worksheet>").encode())

    def _sheet_head(
        self,
        index: int,
        df: pd.DataFrame,
        headers: list[str],
        fmts: list[str | None],
        freeze: str,
        ref: str,
    ) -> str:
        cols = []
        for i, (header, fmt) in enumerate(zip(headers, fmts, strict=True), start=1):
            width = column_width(header, df.iloc[:, i - 1])
            style = f' style="{self._styles.xf(fmt)}"' if fmt else ""
            cols.append(f'<col min="{i}" max="{i}" width="{width}" customWidth="1"{style}/>')
        return (
            f'{_DECL}<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<dimension ref="{ref}"/><sheetViews>{_view(freeze, index == 1)}</sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{''.join(cols)}</cols>" if cols else "")
            + "<sheetData>"
        )

    def _header_row(self, headers: list[str]) -> str:
        cells = []
        for i, h in enumerate(headers, start=1):
            xf = self._styles.xf(None, header=True, quote=h.startswith(FORMULA_START))
            cells.append(f'<c r="{column_letter(i)}1" s="{xf}" t="inlineStr">{_text(h)}</c>')
        return f'<row r="1">{"".join(cells)}</row>'

    def _rows(
        self,
        block: pd.DataFrame,
        start: int,
        fmts: list[str | None],
        overrides: Mapping[tuple[int, int], str],
    ) -> bytes:
        """The XML of a block of rows, built column by column in Arrow."""
        n = len(block)
        numbers = pc.cast(
            pa.array(np.arange(start + 2, start + 2 + n, dtype=np.int64)), pa.string()
        )
        columns = []
        for c, fmt in enumerate(fmts):
            own = {r - start: f for (r, col), f in overrides.items() if col == c and start <= r}
            own = {r: f for r, f in own.items() if r < n}
            columns.append(self._cells(block.iloc[:, c], column_letter(c + 1), numbers, fmt, own))
        rows = pc.binary_join_element_wise(
            '<row r="', numbers, '">', *columns, "</row>", "",
            null_handling="replace", null_replacement="",
        )  # fmt: skip
        return _joined(rows)

    def _cells(
        self,
        s: pd.Series,
        letter: str,
        numbers: pa.Array,
        fmt: str | None,
        overrides: Mapping[int, str],
    ) -> pa.Array:
        """The XML of one column's cells in a block of rows (null for a blank cell)."""
        kind, values, own_fmt, typed = _column_values(s)
        base = fmt if fmt is not None else own_fmt
        xf = np.full(len(s), self._styles.xf(base), dtype=np.int64)
        if kind == "s":
            quoted = _formula_like(values)
            if quoted.any():
                xf[quoted] = self._styles.xf(base, quote=True)
        elif kind == "mixed":
            for i, v in enumerate(typed):
                if v is None:
                    continue
                k, text, f = v
                if k == "s" and text.startswith(FORMULA_START):
                    xf[i] = self._styles.xf(base, quote=True)
                elif f is not None and fmt is None:
                    xf[i] = self._styles.xf(f)
        plain = self._styles.xf(base)
        for r, f in overrides.items():
            xf[r] = self._styles.xf(f, quote=bool(xf[r] != plain))
        attr: pa.Array | str = f' s="{plain}"' if plain else ""
        if (xf != plain).any():
            attr = pa.array([f' s="{x}"' if x else "" for x in xf.tolist()], pa.string())
        head = f'<c r="{letter}'
        if kind == "n":
            parts: tuple[Any, ...] = ("><v>", values, "</v></c>")
        elif kind == "b":
            parts = (' t="b"><v>', values, "</v></c>")
        elif kind == "s":
            parts = (
                ' t="inlineStr"><is><t xml:space="preserve">',
                _escaped(values),
                "</t></is></c>",
            )
        else:
            parts = ("", values, "")
        cells = pc.binary_join_element_wise(
            head, numbers, '"', attr, *parts, "", null_handling="emit_null"
        )
        if (xf != 0).any() and cells.null_count:  # a blank cell keeps its number format
            blank = pc.binary_join_element_wise(head, numbers, '"', attr, "/>", "")
            styled = pa.array(xf != 0)
            cells = pc.coalesce(cells, pc.if_else(styled, blank, pa.scalar(None, pa.string())))
        return cells

    def close(self) -> None:
        """Write the workbook's parts (sheets list, print titles, filters, styles) and close
        the file."""
        z = self._zip
        sheets, names, rels, types = [], [], [], []
        for i, sheet in enumerate(self._sheets, start=1):
            quoted = "'" + sheet.name.replace("'", "''") + "'"
            sheets.append(f'<sheet name={quoteattr(sheet.name)} sheetId="{i}" r:id="rId{i}"/>')
            if sheet.auto_filter:
                a, b = sheet.ref.split(":")
                absolute = f"{quoted}!{_absolute(a)}:{_absolute(b)}"
                names.append(
                    f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i - 1}"'
                    f' hidden="1">{escape(absolute)}</definedName>'
                )
            names.append(
                f'<definedName name="_xlnm.Print_Titles" localSheetId="{i - 1}">'
                f"{escape(quoted)}!$1:$1</definedName>"
            )
            rels.append(
                f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet"'
                f' Target="worksheets/sheet{i}.xml"/>'
            )
            types.append(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT_SHEET}"/>'
            )
        n = len(self._sheets)
        rels.append(f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>')
        z.writestr(
            "xl/workbook.xml",
            f'{_DECL}<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><workbookPr/>'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{''.join(sheets)}</sheets>"
            + (f"<definedNames>{''.join(names)}</definedNames>" if names else "")
            + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_DECL}<Relationships xmlns="{_PKG_REL}">{"".join(rels)}</Relationships>',
        )
        z.writestr("xl/styles.xml", self._styles.xml())
        z.writestr(
            "_rels/.rels",
            f'{_DECL}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1"'
            f' Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        ct = "application/vnd.openxmlformats"
        z.writestr(
            "[Content_Types].xml",
            f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="{ct}-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml"'
            f' ContentType="{ct}-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml"'
            f' ContentType="{ct}-officedocument.spreadsheetml.styles+xml"/>'
            f"{''.join(types)}</Types>",
        )
        z.close()


def write_sheet(book: Book, name: str, df: pd.DataFrame, **formatting: Any) -> None:
    """Write ``df`` as sheet ``name`` of ``book``, formatted (keywords of :meth:`Book.add`)."""
    book.add(name, df, **formatting)


def _view(freeze: str, selected: bool) -> str:
    """The sheet view with panes frozen above and left of the cell ``freeze`` ('A2', 'B2'…)."""
    letters = freeze.rstrip("0123456789")
    col = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(letters))) - 1
    row = int(freeze[len(letters) :]) - 1
    tab = ' tabSelected="1"' if selected else ""
    if not col and not row:
        return f'<sheetView{tab} workbookViewId="0"/>'
    pane = "bottomRight" if col and row else ("bottomLeft" if row else "topRight")
    split = (f' xSplit="{col}"' if col else "") + (f' ySplit="{row}"' if row else "")
    return (
        f'<sheetView{tab} workbookViewId="0"><pane{split} topLeftCell="{freeze}"'
        f' activePane="{pane}" state="frozen"/><selection pane="{pane}"/></sheetView>'
    )


def _absolute(cell: str) -> str:
    letters = cell.rstrip("0123456789")
    return f"${letters}${cell[len(letters) :]}"


def _text(value: str) -> str:
    return f'<is><t xml:space="preserve">{escape(value)}</t></is>'


def _joined(rows: pa.Array) -> bytes:
    """The values of a string array one after the other."""
    if not len(rows):
        return b""
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[
        rows.offset : rows.offset + len(rows) + 1
    ]
    data = rows.buffers()[2]
    return bytes(memoryview(data)[offsets[0] : offsets[-1]]) if data is not None else b""


def _escaped(values: pa.Array) -> pa.Array:
    """Text with ``&``, ``<`` and ``>`` escaped for XML."""
    for ch, ent in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        values = pc.replace_substring(values, ch, ent)
    return values


def _formula_like(values: pa.Array) -> np.ndarray:
    """Which texts a spreadsheet would take as a formula (:data:`FORMULA_START`)."""
    hit = pc.starts_with(values, FORMULA_START[0])
    for start in FORMULA_START[1:]:
        hit = pc.or_(hit, pc.starts_with(values, start))
    return hit.fill_null(False).to_numpy(zero_copy_only=False)


def _column_values(
    s: pd.Series,
) -> tuple[str, pa.Array, str | None, list[tuple[str, str, str | None] | None]]:
    """A column as (kind, values, format, typed): kind 'n' (numbers as text), 'b' (booleans
    as '1'/'0'), 's' (text) or 'mixed' (each value's cell XML after its style, from
    :func:`_typed_value`, which ``typed`` holds per value); values are null for a blank
    cell; the format is that of dates and times."""
    dtype = s.dtype
    mask = s.isna().to_numpy(dtype=bool)
    if pd.api.types.is_bool_dtype(dtype):
        flags = s.to_numpy(dtype=bool, na_value=False)
        return "b", pa.array(np.where(flags, "1", "0"), pa.string(), mask=mask), None, []
    if pd.api.types.is_integer_dtype(dtype):
        ints = pa.array(s.to_numpy(dtype=np.int64, na_value=0), mask=mask)
        return "n", pc.cast(ints, pa.string()), None, []
    if pd.api.types.is_float_dtype(dtype):
        floats = pa.array(s.to_numpy(dtype=float, na_value=np.nan), mask=mask)
        return "n", pc.cast(floats, pa.string()), None, []
    if pd.api.types.is_datetime64_dtype(dtype):
        stamps = s.to_numpy(dtype="datetime64[ns]")
        days = (stamps - _EPOCH) / np.timedelta64(1, "D")
        return "n", pc.cast(pa.array(days, mask=mask), pa.string()), DATETIME_FORMAT, []
    if isinstance(dtype, pd.StringDtype) or pd.api.types.infer_dtype(s, skipna=True) in (
        "string",
        "empty",
    ):
        texts = s.astype(object).where(~mask, None).to_numpy(dtype=object)
        return "s", pa.array(texts, pa.string()), None, []
    typed = [None if m else _typed_value(v) for v, m in zip(s.astype(object), mask, strict=True)]
    cells = [None if v is None else _typed(v) for v in typed]
    return "mixed", pa.array(cells, pa.string()), None, typed


def _typed_value(v: Any) -> tuple[str, str, str | None]:
    """One value of a mixed column as (kind, text, format), as pandas hands a cell to a
    writer: integers and floats as numbers, booleans, dates and times with their format,
    anything else as its text.

    >>> _typed_value(2), _typed_value(True), _typed_value(dt.date(2024, 3, 1))
    (('n', '2', None), ('b', '1', None), ('n', '45352', 'YYYY-MM-DD'))
    """
    if isinstance(v, bool | np.bool_):
        return "b", "1" if v else "0", None
    if isinstance(v, int | np.integer):
        return "n", str(int(v)), None
    if isinstance(v, float | np.floating):
        return "n", repr(float(v)), None
    if isinstance(v, dt.datetime):
        days = (pd.Timestamp(v).tz_localize(None) - pd.Timestamp(_EPOCH)) / pd.Timedelta(days=1)
        return "n", repr(days), DATETIME_FORMAT
    if isinstance(v, dt.date):
        return "n", str((v - dt.date(1899, 12, 30)).days), DATE_FORMAT
    return "s", str(v)[:32767], None


def _typed(v: tuple[str, str, str | None]) -> str:
    """A cell's XML after its reference and style: ``' t="inlineStr"><is>…</is></c>'`` …;
    the cell of a value of a mixed column."""
    kind, text, _fmt = v
    if kind == "s":
        body = f' t="inlineStr">{_text(text)}</c>'
    elif kind == "b":
        body = f' t="b"><v>{text}</v></c>'
    else:
        body = f"><v>{text}</v></c>"
    return body


def _shown(value: object) -> str:
    """A cell as Excel shows it (numbers with two decimals), for the column width."""
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA
