"""The header of an Excel sheet as committees send it: title rows above it (skipped, a unit
they name kept), two header rows with merged cells (combined into one name per column).

>>> rows = [("2025年规上企业主要经济指标（单位：元）", None, None), (None, None, None),
...         ("企业名称", "营业收入", "税收"), ("甲", 1, 2)]
>>> h = find_header(rows, [(1, 1, 1, 3)], "enterprises")
>>> h.row, h.rows, h.names, h.money_unit
(3, 1, ['企业名称', '营业收入', '税收'], 'yuan')
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from lcgis.data.schema import FIELDS, UNIT_TOKENS, header_unit, normalize_label

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

#: Rows searched for the header (titles, a 填报单位 line and the header itself).
HEADER_SEARCH_ROWS = 10
#: A merged range: (first row, first column, last row, last column), 1-based.
Merge = tuple[int, int, int, int]
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')
_MONEY = "|".join(t for t, code in UNIT_TOKENS if code in ("yi", "wan", "yuan"))
#: 单位：万元, 金额单位:元, (万元) in a title (after NFKC: half-width colon and brackets).
_TITLE_UNIT = re.compile(rf"(?<!填报)单位\s*:?\s*({_MONEY})|\(\s*({_MONEY})\s*\)")
_DATE_TEXT = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")


def _column_index(letters: bytes) -> int:
    """``b"A"`` -> 1, ``b"AB"`` -> 28."""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def merged_ranges(path: Path, member: str, max_row: int) -> list[Merge]:
    """The merged ranges of a worksheet that start in its first ``max_row`` rows.

    The sheet XML is scanned in pieces for its ``<mergeCell ref="…">`` elements (openpyxl's
    read-only mode does not expose them); a member that is not there gives none.
    """
    found: set[Merge] = set()
    with zipfile.ZipFile(path) as zf:
        if member not in zf.namelist():
            return []
        with zf.open(member) as fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                buf = tail + chunk
                for m in _MERGE.finditer(buf):
                    r0, r1 = int(m.group(2)), int(m.group(4))
                    c0, c1 = _column_index(m.group(1)), _column_index(m.group(3))
                    if r0 <= max_row:
                        found.add((min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)))
                tail = buf[-200:]
    return sorted(found)


@dataclass(frozen=True)
class Header:
    """Where a sheet's header is and the name of each of its columns."""

    #: The (first) header row, 1-based.
    row: int
    #: Header rows: 1, or 2 for an upper row of merged cells over a lower one.
    rows: int
    #: One name per column (blank where the header has none; not yet made unique).
    names: list[str]
    #: The texts of the rows above the header.
    title: list[str]
    #: The money unit the title names ("wan", "yuan", "yi"), if any.
    money_unit: str | None
    #: Header cells merged over several columns (of a single-row header).
    spans: list[str]
    #: Upper header cells no column name keeps (such as 2025年 over 营业收入 | 税收).
    dropped: list[str]

    @property
    def first_data_row(self) -> int:
        return self.row + self.rows


def _blank(x: Any) -> bool:
    return x is None or (isinstance(x, str) and not x.strip())


def is_label(x: Any) -> bool:
    """A header-like cell: text that is not a number or a date.

    >>> is_label("营业收入"), is_label(" 1,234 "), is_label("2021年3月1日"), is_label(7)
    (True, False, False, False)
    """
    if not isinstance(x, str) or not x.strip():
        return False
    text = unicodedata.normalize("NFKC", x).replace(",", "").strip()
    try:
        float(text)
    except ValueError:
        return not _DATE_TEXT.match(text)
    return False


@cache
def _labels(layer: str | None) -> frozenset[str]:
    """Folded names and aliases of a layer's fields (all layers for None; none for a table
    outside the data contract, such as the relocation list)."""
    layers = [layer] if layer else list(FIELDS)
    return frozenset(
        normalize_label(n)
        for ly in layers
        for f in FIELDS.get(ly, {}).values()
        for n in (f.name, *f.aliases)
    )


def _field(name: Any, labels: frozenset[str]) -> str | None:
    """The folded label ``name`` matches (itself or without its unit suffix), if any."""
    if _blank(name):
        return None
    for key in (normalize_label(name), normalize_label(header_unit(str(name))[0])):
        if key in labels:
            return key
    return None


@dataclass(frozen=True)
class _Grid:
    """The first rows of a sheet, merged ranges filled with their value."""

    raw: list[list[Any]]
    filled: list[list[Any]]
    #: (row, column) -> first row of the merged range covering the cell (0-based).
    top: dict[tuple[int, int], int]
    merges: list[Merge]
    width: int

    @classmethod
    def build(cls, rows: Sequence[Sequence[Any]], merges: Iterable[Merge]) -> _Grid:
        height = len(rows)
        inside = [m for m in merges if m[0] <= height]
        width = max(
            [max((j + 1 for j, x in enumerate(r) if not _blank(x)), default=0) for r in rows]
            + [m[3] for m in inside]
            + [0]
        )
        raw = [list(r[:width]) + [None] * (width - len(r[:width])) for r in rows]
        filled = [list(r) for r in raw]
        top: dict[tuple[int, int], int] = {}
        for r0, c0, r1, c1 in inside:
            value = raw[r0 - 1][c0 - 1]
            for i in range(r0 - 1, min(r1, height)):
                for j in range(c0 - 1, min(c1, width)):
                    filled[i][j] = value
                    top[(i, j)] = r0 - 1
        return cls(raw, filled, top, inside, width)

    def distinct(self, i: int) -> list[Any]:
        """The cells of row ``i`` that hold a value of their own (a merged range once)."""
        return [
            x for j, x in enumerate(self.raw[i]) if not _blank(x) and self.top.get((i, j), i) == i
        ]

    def filled_count(self, i: int) -> int:
        return sum(not _blank(x) for x in self.filled[i])

    def header_like(self, i: int) -> bool:
        """Two values or more, most columns filled (merged cells count for each column),
        mostly texts."""
        cells = self.distinct(i)
        labels = sum(is_label(x) for x in cells)
        enough = len(cells) >= min(2, self.width)  # one merged value is a title
        return enough and 2 * self.filled_count(i) > self.width and 2 * labels > len(cells)

    def data_like(self, i: int) -> bool:
        """Most columns filled, mostly numbers (at least two): a record, not a header."""
        cells = self.distinct(i)
        numbers = sum(not is_label(x) for x in cells)
        return (
            2 * len(cells) > self.width
            and numbers >= min(2, self.width)
            and 2 * numbers > len(cells)
        )

    def title_like(self, i: int) -> bool:
        """One value (a merged title), few columns filled, or only 键：值 cells (填报单位：…),
        and no field name among them."""
        cells = self.distinct(i)
        colons = all(":" in unicodedata.normalize("NFKC", str(x)) for x in cells)
        few = len(cells) <= 1 or 2 * self.filled_count(i) <= self.width
        return (few or colons) and not any(_field(x, _labels(None)) for x in cells)


def _combine(upper: Any, lower: Any, lower_is_field: bool, unique: bool) -> Any:
    """One name from an upper and a lower header cell.

    >>> _combine("经济指标(万元)", "营业收入", True, True)
    '营业收入(万元)'
    >>> _combine("2025年", "营业收入", True, False)
    '2025年_营业收入'
    >>> _combine("企业名称", None, False, True), _combine("联系人", "电话", False, True)
    ('企业名称', '联系人_电话')
    """
    if _blank(lower) or upper == lower:
        return upper
    if _blank(upper):
        return lower
    if lower_is_field and unique:
        unit = _unit_text(str(upper))
        if unit and header_unit(str(lower))[1] is None:
            return f"{lower}({unit})"
        return lower
    return f"{upper}_{lower}"


def _unit_text(text: str) -> str | None:
    """The money unit word a title or an upper header names.

    >>> _unit_text("2025年主要经济指标（单位：万元）"), _unit_text("（元）")
    ('万元', '元')
    >>> _unit_text("填报单位：元旦公司"), _unit_text("x")
    (None, None)
    """
    m = _TITLE_UNIT.search(unicodedata.normalize("NFKC", text))
    return (m.group(1) or m.group(2)) if m else None


def _names(grid: _Grid, i: int, layer: str, extra: frozenset[str], two: bool) -> list[Any]:
    """The names of header row ``i`` (with row ``i + 1`` when ``two``)."""
    if not two:
        return list(grid.filled[i])
    lower = [
        x if grid.top.get((i + 1, j), i + 1) == i + 1 else None
        for j, x in enumerate(grid.filled[i + 1])
    ]
    labels = _labels(layer) | extra
    keys = [_field(x, labels) for x in lower]
    return [
        _combine(up, low, key is not None, keys.count(key) == 1)
        for up, low, key in zip(grid.filled[i], lower, keys, strict=True)
    ]


def _score(names: Iterable[Any], layer: str, extra: frozenset[str]) -> tuple[int, int]:
    """Distinct fields named: of the layer (and the mapping's columns), of any layer."""
    own = {_field(n, _labels(layer) | extra) for n in names} - {None}
    anyone = {_field(n, _labels(None) | extra) for n in names} - {None}
    return len(own), len(anyone)


def _two_level(grid: _Grid, i: int) -> bool:
    """Row ``i + 1`` is a lower header: a merged range runs down into it, or row ``i`` is an
    upper header over it (see :func:`_upper_above`)."""
    if i + 1 >= len(grid.raw) or grid.data_like(i + 1):
        return False
    down = any(r0 == i + 1 and r1 >= i + 2 for r0, _, r1, _ in grid.merges)
    return down or _upper_above(grid, i + 1)


def _upper_above(grid: _Grid, i: int) -> bool:
    """Row ``i - 1`` is an upper header over row ``i``: it has cells merged across some (not
    all) columns, with texts under each of them."""
    across = [(c0, c1) for r0, c0, r1, c1 in grid.merges if r0 == r1 == i and c1 > c0]
    return (
        bool(across)
        and all(c1 - c0 + 1 < grid.width for c0, c1 in across)
        and all(is_label(grid.raw[i][j]) for c0, c1 in across for j in range(c0 - 1, c1))
    )


def _options(grid: _Grid, layer: str, folded: frozenset[str]) -> list[tuple[int, bool, list[Any]]]:
    """Header-like rows before the first record, as (row, two rows, names): after titles, and
    after other rows as long as they name no field (a 填报单位 line without a colon)."""
    out: list[tuple[int, bool, list[Any]]] = []
    for i in range(len(grid.raw)):
        if grid.data_like(i):
            break
        if not grid.header_like(i):
            continue
        single = _names(grid, i, layer, folded, two=False)
        pair = _names(grid, i, layer, folded, two=True) if _two_level(grid, i) else None
        if pair is not None and _score(pair, layer, folded) >= _score(single, layer, folded):
            out.append((i, True, pair))
        else:
            out.append((i, False, single))
        if not grid.title_like(i) and _score(out[-1][2], layer, folded) > (0, 0):
            break
    return out


def find_header(
    rows: Sequence[Sequence[Any]],
    merges: Iterable[Merge],
    layer: str,
    extra: Iterable[str] = (),
) -> Header:
    """The header among the first rows of a sheet.

    Candidates are the rows with most columns filled and mostly texts, above the first record
    (see :func:`_options`); the one naming most fields of ``layer`` (or the ``extra`` column
    names, such as mapping.toml's) wins, else the first row that does not look like a title;
    row 1 when none qualifies.  A two-row header (merged cells over a lower row) is taken when
    its combined names match no fewer fields than the upper row alone.
    """
    grid = _Grid.build(rows, merges)
    folded = frozenset(normalize_label(e) for e in extra)
    options = _options(grid, layer, folded)
    if not options:
        options = [(0, False, list(grid.filled[0]) if grid.filled else [])]
    scores = [_score(names, layer, folded) for _, _, names in options]
    best = max(range(len(options)), key=lambda k: (scores[k], -k))
    if scores[best] == (0, 0):
        plain = [k for k, (i, _, _) in enumerate(options) if not grid.title_like(i)]
        best = plain[0] if plain else 0
    i, two, names = options[best]
    if not two and i > 0 and _upper_above(grid, i):
        pair = _names(grid, i - 1, layer, folded, two=True)
        if _score(pair, layer, folded) >= _score(names, layer, folded):
            i, two, names = i - 1, True, pair
    title = [str(x).strip() for r in grid.raw[:i] for x in r if not _blank(x)]
    unit = next((u for u in map(_unit_text, title) if u), None)
    uppers = [str(u).strip() for u in grid.filled[i] if not _blank(u)] if two else []
    kept = "".join(str(n) for n in names if not _blank(n))
    return Header(
        row=i + 1,
        rows=2 if two else 1,
        names=["" if _blank(n) else str(n) for n in names],
        title=title,
        money_unit=next((code for t, code in UNIT_TOKENS if t == unit), None),
        spans=[] if two else _spans(grid, i),
        dropped=list(dict.fromkeys(u for u in uppers if u not in kept)),
    )


def _spans(grid: _Grid, i: int) -> list[str]:
    """The header cells of row ``i`` merged across columns."""
    return [
        str(grid.raw[r0 - 1][c0 - 1]).strip()
        for r0, c0, _, c1 in grid.merges
        if r0 == i + 1 and c1 > c0 and not _blank(grid.raw[r0 - 1][c0 - 1])
    ]
