"""Text written to exports: no control characters, no formulas, no infinities.

Every .xlsx, .csv, .gpkg and .geojson lcgis writes passes its tables through here.

* Control characters (C0 and C1, DEL) and bidirectional overrides are removed from text;
  a tab or carriage return becomes a space (a newline stays).
* A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return would be read
  as a formula by a spreadsheet.  In .xlsx it is written as a text cell with Excel's quote
  prefix (the value is unchanged and stays text when edited); in .csv it gets a leading
  apostrophe, the usual defence (OWASP "CSV injection").
* ±inf in numbers becomes empty (the data contract never writes infinity).

>>> clean_text("甲公司\\x07\\u202e")
'甲公司'
>>> csv_frame(pd.DataFrame({"name": ["=HYPERLINK(\\"x\\")", "-12", "乙"], "n": [-1.0, 2.0, 3.0]}))
... # doctest: +NORMALIZE_WHITESPACE
                  name    n
0  '=HYPERLINK("x")  -1.0
1                '-12   2.0
2                   乙   3.0
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

#: Leading characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Longest text Excel keeps in one cell.
EXCEL_MAX_TEXT = 32767
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """``text`` without control characters (tab and CR become spaces, newlines stay)."""
    text = text.replace("\r\n", "\n").replace("\r", " ").replace("\t", " ")
    return _CONTROL.sub("", text)


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would take as a formula.

    >>> [is_formula_like(x) for x in ("=1+1", "@SUM(A1)", "-2", "甲", -1)]
    [True, True, True, False, False]
    """
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _clean_value(value: Any, limit: int | None) -> Any:
    if isinstance(value, str):
        text = clean_text(value)
        return text[:limit] if limit else text
    if isinstance(value, float | np.floating) and np.isinf(value):
        return np.nan
    return value


def export_frame(df: pd.DataFrame, *, limit: int | None = None) -> pd.DataFrame:
    """A copy of ``df`` with clean text (cells and headers) and no infinities.

    The copy is shallow: under copy-on-write the columns it replaces are its own, those it
    keeps are shared with ``df`` until either is modified.
    """
    out = df.copy(deep=False)
    out.columns = [clean_text(c) if isinstance(c, str) else c for c in out.columns]
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_float_dtype(s.dtype):
            values = s.to_numpy(dtype=float, na_value=np.nan)
            if np.isinf(values).any():
                out[col] = s.mask(np.isinf(values))
            continue
        if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
            continue
        if _clean_already(s, limit):
            continue  # nothing to change (the common case, checked in one pass)
        cleaned = s.astype(object).map(lambda x: _clean_value(x, limit), na_action="ignore")
        out[col] = cleaned.astype(s.dtype) if isinstance(s.dtype, pd.StringDtype) else cleaned
    return out


#: What :func:`clean_text` changes: tab, carriage return and the control characters.
_DIRTY = re.compile("[\t\r" + _CONTROL.pattern[1:])


def _clean_already(s: pd.Series, limit: int | None) -> bool:
    """True when :func:`_clean_value` would return every value of ``s`` unchanged: all of
    them are text (or missing), none holds a character :func:`clean_text` removes or
    replaces, none is longer than ``limit``.  One search over the joined texts (a newline,
    which stays, between them) instead of one call per value.

    >>> _clean_already(pd.Series(["甲", None, "a\\nb"]), None)
    True
    >>> [_clean_already(pd.Series(x), None) for x in (["a\\tb"], ["\\u202e"], ["a", 1.0])]
    [False, False, False]
    >>> _clean_already(pd.Series(["abc"]), 2)
    False
    """
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        return _arrow_clean_already(s, limit)
    values = s.to_numpy(dtype=object)
    texts = values[~pd.isna(values)] if len(values) else values
    if pd.api.types.infer_dtype(texts, skipna=False) not in ("string", "empty"):
        return False
    if limit is not None and any(len(x) > limit for x in texts):
        return False
    return _DIRTY.search("\n".join(texts)) is None


#: :data:`_DIRTY` in the regular-expression syntax of Arrow's compute functions (RE2).
_DIRTY_RE2 = r"[\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{202a}-\x{202e}\x{2066}-\x{2069}]"


def _arrow_clean_already(s: pd.Series, limit: int | None) -> bool:
    """:func:`_clean_already` of Arrow-backed text, in Arrow's compute functions (every
    value of such a column is text or missing).  The texts are looked at once, end to end
    as they lie in the column's buffer (:func:`_value_bytes`): a glance at the bytes
    (:func:`_may_be_dirty`) clears the common text, the regular expression settles the
    rest, instead of one call, with its overhead, per value.  No separator is needed
    between the texts: what is looked for is single characters, and a character's UTF-8
    bytes never run from one value into the next.

    >>> [_arrow_clean_already(pd.Series(x, dtype="string[pyarrow]"), None)
    ...  for x in (["甲", None, "a\\nb"], ["a\\tb"], ["\\u202e"], ["“甲”"], [None], [])]
    [True, False, False, True, True, True]
    >>> _arrow_clean_already(pd.Series(["abc"], dtype="string[pyarrow]"), 2)
    False
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pa.array(s.array, type=pa.large_string())  # 64-bit offsets: texts of any size
    if isinstance(column, pa.ChunkedArray):  # several chunks, after a concatenation
        column = column.combine_chunks()
    texts = column.drop_null()
    if not len(texts):
        return True
    if limit is not None and pc.max(pc.utf8_length(texts)).as_py() > limit:
        return False
    utf8 = _value_bytes(texts)
    if not _may_be_dirty(utf8):
        return True
    ends = pa.py_buffer(np.array([0, len(utf8)], dtype=np.int64))
    whole = pa.Array.from_buffers(pa.large_string(), 1, [None, ends, pa.py_buffer(utf8)])
    return not pc.match_substring_regex(whole, _DIRTY_RE2)[0].as_py()


def _value_bytes(texts: Any) -> np.ndarray:
    """The UTF-8 bytes of every value of the Arrow ``large_string`` array ``texts`` (no
    missing values) end to end, without a copy: its data buffer from the first value's
    start to the last one's end (a slice of a longer array starts and ends inside it).

    >>> import pyarrow as pa
    >>> bytes(_value_bytes(pa.array(["x", "甲", "yz", ""], pa.large_string())[1:]))
    b'\\xe7\\x94\\xb2yz'
    """
    _, offsets, data = texts.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
    utf8 = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)
    return utf8[ends[0] : ends[-1]]


#: Bytes :func:`_may_be_dirty` compares at a time: each comparison's temporary array then
#: stays in the processor's cache instead of being as large as the whole text.
_GLANCE_BYTES = 1 << 20


def _may_be_dirty(utf8: np.ndarray) -> bool:
    """Whether the UTF-8 bytes ``utf8`` hold a byte that begins a character of
    :data:`_DIRTY`: a C0 control other than the newline (which stays), DEL, or the first
    byte of U+0080–U+00BF (0xC2, the C1 controls among them) or of U+2000–U+2FFF (0xE2,
    the bidirectional controls among them).  False means clean for certain; True only
    calls for the regular expression (“quotes” and — dashes begin with 0xE2 too).  A few
    vectorised comparisons, several times faster than the regular expression, a block of
    :data:`_GLANCE_BYTES` at a time (stopping at the first suspect one).

    >>> [_may_be_dirty(np.frombuffer(t.encode(), np.uint8)) for t in ("甲\\n乙", "a\\tb", "—")]
    [False, True, True]
    """
    blocks = (utf8[i : i + _GLANCE_BYTES] for i in range(0, len(utf8), _GLANCE_BYTES))
    return any(_block_may_be_dirty(block) for block in blocks)


def _block_may_be_dirty(utf8: np.ndarray) -> bool:
    """:func:`_may_be_dirty` of one block of bytes."""
    controls = np.count_nonzero(utf8 < 0x20) - np.count_nonzero(utf8 == ord("\n"))
    return bool(controls) or bool(((utf8 == 0x7F) | (utf8 == 0xC2) | (utf8 == 0xE2)).any())


def excel_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A table ready for ``to_excel``: clean text, at most 32767 characters a cell."""
    return export_frame(df, limit=EXCEL_MAX_TEXT)


def csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A table ready for ``to_csv``: clean text; formula-like text gets a leading apostrophe."""
    out = export_frame(df)
    for col in out.columns:
        s = out[col]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            out[col] = s.map(lambda x: "'" + x if is_formula_like(x) else x, na_action="ignore")
    out.columns = ["'" + c if is_formula_like(c) else c for c in out.columns]
    return out


def neutralize_sheet(ws: Any) -> int:
    """Make every formula-like text cell of an openpyxl sheet a quoted text cell.

    openpyxl stores a string starting with ``=`` as a formula; it becomes text again, with
    the quote prefix that keeps Excel from evaluating it on edit.  Returns how many cells
    were changed.
    """
    changed = 0
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if not isinstance(value, str) or not value.startswith(FORMULA_START):
                continue
            if cell.data_type == "f":
                cell.data_type = "s"
            cell.quotePrefix = True
            changed += 1
    return changed
