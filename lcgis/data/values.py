"""Parsing cell values: numbers, dates, yes/no, text (control characters found, codes kept as text).

>>> parse_dates(pd.Series(["2021-03-01", "2021/3/1", "2021年3月1日", 44256, "x"]))[0].dt.strftime(
...     "%Y-%m-%d").tolist()
['2021-03-01', '2021-03-01', '2021-03-01', '2021-03-01', nan]
>>> parse_dates(pd.Series(["20210301", 20210301.0, "２０２１年３月１日"]))[0].dt.strftime(
...     "%Y-%m-%d").tolist()
['2021-03-01', '2021-03-01', '2021-03-01']
>>> parse_numbers(pd.Series(["1,234.5", "", "abc", 7]))[0].tolist()
[1234.5, nan, nan, 7.0]
>>> parse_numbers(pd.Series([" 88 ", "１２３", "１，２３４．５", "12.5万"]))[0].tolist()
[88.0, 123.0, 1234.5, nan]
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
#: 20210301 (also as the number 20210301.0 a column of floats holds).
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:\.0*)?\s*$")
_TRUE = {"是", "true", "1", "1.0", "y", "yes", "t", "规上", "√", "对"}
_FALSE = {"否", "false", "0", "0.0", "n", "no", "f", "规下", "×", "错"}


#: Rows of a column looked at first to tell whether it repeats its values.
SAMPLE_ROWS = 1000

Parser = TypeVar("Parser", bound=Callable[..., Any])


def _distinct_values(s: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """(codes, distinct values) of a text column that repeats its values (years, dates,
    kinds, yes/no), where at most half of the values in its first rows, and in all of it,
    are distinct; None for other columns, where parsing each distinct value once would not
    pay for finding them.  Only text: among objects of other types 1, 1.0 and True would
    count as one value.

    >>> codes, values = _distinct_values(pd.Series(["2021", None] * SAMPLE_ROWS, dtype="str"))
    >>> codes[:4].tolist(), values.tolist()
    ([0, 1, 0, 1], ['2021', nan])
    >>> _distinct_values(pd.Series([str(i) for i in range(2 * SAMPLE_ROWS)], dtype="str"))
    """
    if not isinstance(s.dtype, pd.StringDtype) or len(s) < 2 * SAMPLE_ROWS:
        return None
    if 2 * s.iloc[:SAMPLE_ROWS].nunique(dropna=False) > SAMPLE_ROWS:
        return None
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    if 2 * len(uniques) > len(s):
        return None
    return codes, pd.Series(uniques, dtype=s.dtype, name=s.name)


def _spread(parsed: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """The parsed distinct values put back in every row they came from."""
    return parsed.take(codes).set_axis(index)


def once_per_distinct(parse: Parser) -> Parser:
    """``parse`` (a function of a column's values, each row on its own, giving one Series
    or a tuple of them) answered once per distinct value of a column that repeats them
    (see :func:`_distinct_values`); the same Series (values, dtype, index, name) as
    ``parse`` gives.
    """

    @functools.wraps(parse)
    def parse_distinct(s: pd.Series, **options: Any) -> Any:
        found = _distinct_values(s)
        if found is None:
            return parse(s, **options)
        codes, values = found
        parsed = parse(values, **options)
        if isinstance(parsed, tuple):
            return tuple(_spread(p, codes, s.index) for p in parsed)
        return _spread(parsed, codes, s.index)

    return cast("Parser", parse_distinct)


def _ascii(values: pd.Series) -> np.ndarray:
    """True where a value is ASCII text (missing and non-text values: False).

    >>> _ascii(pd.Series(["a1", "１", None], dtype="string")).tolist()
    [True, False, False]
    >>> _ascii(pd.Series(["a1", 3, None], dtype=object)).tolist()
    [True, False, False]
    """
    if isinstance(values.dtype, pd.StringDtype):
        return np.asarray(values.str.isascii().fillna(False), dtype=bool)
    return np.array([isinstance(t, str) and t.isascii() for t in values], dtype=bool)


def _blank(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip()
    return s.isna() | (text == "") | text.str.lower().isin(["nan", "none", "null", "nat"])


@once_per_distinct
def parse_numbers(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from text (thousands separators, full-width digits); returns (values, bad).

    Infinite values ('inf', '1e400', ±∞ in a numeric column) are bad, not numbers.
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.astype(float)
        bad = pd.Series(np.isinf(values.to_numpy(dtype=float)), index=s.index)
        return values.mask(bad), bad
    blank = _blank(s)
    if blank.all():  # an all-blank column: nothing to parse (and no text dtype to parse it)
        return pd.Series(np.nan, index=s.index, dtype="float64"), pd.Series(False, index=s.index)
    text = s.astype("string")
    if not _ascii(text)[text.notna().to_numpy(dtype=bool)].all():  # ASCII is NFKC already
        text = text.map(lambda t: unicodedata.normalize("NFKC", t), na_action="ignore")
    text = text.astype("string").str.replace(",", "", regex=False).str.strip()
    with np.errstate(over="ignore"):
        values = pd.to_numeric(text.where(~blank), errors="coerce").astype(float)
    finite = values.mask(np.isinf(values.to_numpy(dtype=float)))
    return finite, ~blank & finite.isna()


#: Dates outside these years are refused (pandas holds 1677–2262; land records far less).
DATE_RANGE = (pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31"))


def _to_timestamp(x: Any) -> Any:
    try:
        t = pd.Timestamp(x)
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return pd.NaT
    if pd.isna(t):
        return pd.NaT
    if t.tzinfo is not None:
        t = t.tz_localize(None)
    return t if DATE_RANGE[0] <= t <= DATE_RANGE[1] else pd.NaT


def _iso_dates(text: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` texts as dates at once: NaT where :func:`_to_timestamp` gives NaT (no
    such day, or a year outside :data:`DATE_RANGE`).

    >>> _iso_dates(pd.Series(["2021-03-01", "2021-02-29", "9999-12-31", None, "２０２１-０３-０１"])
    ... ).dt.strftime("%Y-%m-%d").tolist()
    ['2021-03-01', nan, nan, nan, '2021-03-01']
    """
    ascii_ = _ascii(text)
    year = pd.to_numeric(text.where(ascii_).str[:4], errors="coerce")
    ok = year.between(DATE_RANGE[0].year, DATE_RANGE[1].year).fillna(False).to_numpy(bool)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(text[ok], format="%Y-%m-%d", errors="coerce")
    other = ~ascii_ & text.notna().to_numpy(bool)  # full-width digits and the like
    if other.any():
        out[other] = pd.to_datetime(text[other].map(_to_timestamp), errors="coerce")
    return out


def _all_iso(s: pd.Series, blank: pd.Series) -> bool:
    """True when ``s`` is text whose every value but the blank ones is written
    ``YYYY-MM-DD`` in ASCII digits: :func:`parse_dates` then reads the texts as they are
    (no serial numbers, no other spellings to rewrite first).

    >>> text = pd.Series(["2021-03-01", None, "2021-02-30"], dtype="string")
    >>> _all_iso(text, _blank(text)), _all_iso(pd.Series(["2021/3/1"], dtype="string"),
    ...     pd.Series([False]))
    (True, False)
    """
    if not isinstance(s.dtype, pd.StringDtype):
        return False
    iso = s.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fillna(False).to_numpy(dtype=bool)
    return bool((iso | blank.to_numpy(dtype=bool)).all())


@once_per_distinct
def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates written 2021-03-01, 2021/3/1, 2021年3月1日, or as Excel serial numbers.

    Dates before 1900 or after 2100 (such as 9999-12-31) are bad values, never an error of
    pandas.
    """
    blank = _blank(s)
    if _all_iso(s, blank):  # the common case: every date written 2021-03-01
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        out[~blank] = _iso_dates(s[~blank].astype("string"))
        out = out.where((out >= DATE_RANGE[0]) & (out <= DATE_RANGE[1]))
        return out, ~blank & out.isna()
    if pd.api.types.is_datetime64_any_dtype(s):
        s = pd.Series(s.to_numpy(dtype=object), index=s.index)  # any unit, no overflow
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if isinstance(s.dtype, pd.StringDtype):  # text only: nothing is a date object
        is_dt = pd.Series(False, index=s.index)
    else:
        is_dt = s.map(lambda x: hasattr(x, "year") and not pd.isna(x)).astype(bool)
    if is_dt.any():
        out[is_dt] = pd.to_datetime(s[is_dt].map(_to_timestamp), errors="coerce")
    num = pd.to_numeric(s.where(~is_dt & ~blank).astype("string"), errors="coerce").astype(float)
    serial = num.between(1, 73050).fillna(False).astype(bool) & ~is_dt  # to 2099-12-31
    if serial.any():
        out[serial] = pd.Timestamp("1899-12-30") + pd.to_timedelta(
            num[serial].astype(float).round(), unit="D"
        )
    rest = ~blank & ~is_dt & ~serial
    if rest.any():
        parts = s[rest].astype("string").str.extract(_DATE)
        compact = s[rest].astype("string").str.extract(_COMPACT)
        parts = parts.fillna(compact)
        text = parts[0] + "-" + parts[1].str.zfill(2) + "-" + parts[2].str.zfill(2)
        out[rest] = _iso_dates(text)
    out = out.where((out >= DATE_RANGE[0]) & (out <= DATE_RANGE[1]))
    bad = ~blank & out.isna()
    return out, bad


@once_per_distinct
def parse_bools(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是/否, true/false, 1/0, Y/N, 规上/规下 into a nullable boolean."""
    blank = _blank(s)
    text = s.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False)] = True
    out[text.isin(_FALSE).fillna(False)] = False
    out[blank] = pd.NA
    bad = ~blank & out.isna()
    return out, bad


#: Control characters (C0 but tab/newline, DEL, C1) and bidirectional overrides.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@once_per_distinct
def has_control(s: pd.Series) -> pd.Series:
    """True where a text value holds control characters (see :data:`CONTROL_CHARS`); False
    for every value at once of Arrow text that is printable ASCII."""
    arr = arrow_text(s)
    if arr is not None and _printable_ascii(arr):
        return pd.Series(False, index=s.index, name=s.name)
    text = s.astype("string")
    return text.str.contains(CONTROL_CHARS, na=False).astype(bool)


def arrow_text(s: pd.Series) -> Any:
    """The Arrow array of Arrow-backed text; None for other columns."""
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa

    return pa.chunked_array(pa.array(s.array))


def _printable_ascii(arr: Any) -> bool:
    """True when every present value of the Arrow text ``arr`` is printable ASCII, which
    Arrow tells at once, far sooner than a regular expression searched in each value: such
    text has none of :data:`_TEXT_DIRTY`, the very characters of ASCII that are not printable.

    >>> import pyarrow as pa
    >>> [_printable_ascii(pa.chunked_array([[x, None]])) for x in ("A1 ", "", "a\\tb", "企业")]
    [True, True, False, False]
    """
    import pyarrow.compute as pc

    return pc.all(pc.ascii_is_printable(arr)).as_py() is not False


#: What :func:`parse_text` removes or replaces besides the outer spaces.
_TEXT_DIRTY = re.compile("[\t\r\n" + CONTROL_CHARS.pattern[1:])


def _plain_texts(values: np.ndarray) -> np.ndarray | None:
    """:func:`parse_text`'s values at once when every present value is a ``str`` with no
    character to remove or replace once NFKC-normalised (they are then normalised and
    trimmed only); None when some value needs the full treatment.

    >>> _plain_texts(np.array([" ＡＢ1 ", None], dtype=object)).tolist()
    ['AB1', None]
    >>> _plain_texts(np.array(["a\\tb"], dtype=object)) is None
    True
    """
    present = ~pd.isna(values)
    texts = values[present]
    if not all(type(x) is str for x in texts):
        return None
    ascii_ = "".join(texts).isascii()  # ASCII text is NFKC-normal already
    normal = list(texts) if ascii_ else [unicodedata.normalize("NFKC", x) for x in texts]
    if _TEXT_DIRTY.search("".join(normal)) is not None:
        return None
    out = values.copy()
    out[present] = [t.strip() for t in normal]
    return out


#: :data:`_TEXT_DIRTY` in the regular-expression syntax of Arrow's compute functions (RE2).
_TEXT_DIRTY_RE2 = r"[\t\r\n\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{202a}-\x{202e}\x{2066}-\x{2069}]"


#: The white space :meth:`str.strip` can meet in NFKC-normal text without a character of
#: :data:`_TEXT_DIRTY` (NFKC makes the others, such as U+3000 and U+00A0, a plain space).
_NORMAL_SPACES = " \u1680\u2028\u2029"


def _arrow_plain_texts(s: pd.Series) -> pd.Series | None:
    """:func:`_plain_texts` of Arrow-backed text, in Arrow's compute functions, when no value
    has a character to remove or replace and every value is NFKC-normal already (printable
    ASCII is both): trimming the spaces :meth:`str.strip` would find (:data:`_NORMAL_SPACES`)
    is then all there is to do.  None for other text.

    >>> _arrow_plain_texts(pd.Series([" AB1 ", None, " 企业\\u2028"], dtype="string[pyarrow]")
    ... ).tolist()
    ['AB1', <NA>, '企业']
    >>> [_arrow_plain_texts(pd.Series([x], dtype="string[pyarrow]"))
    ...  for x in ("a\\tb", "ＡＢ", "\\u3000企业")]
    [None, None, None]
    """
    arr = arrow_text(s)
    if arr is None:
        return None
    import pyarrow.compute as pc

    plain = _printable_ascii(arr) or (
        not pc.any(pc.match_substring_regex(arr, _TEXT_DIRTY_RE2)).as_py()
        and _arrow_nfkc_normal(arr)
    )
    if not plain:
        return None
    return pd.Series(pd.array(pc.utf8_trim(arr, _NORMAL_SPACES), dtype="string"), index=s.index)


def _arrow_nfkc_normal(arr: Any) -> bool:
    """True when every present value of the Arrow text ``arr`` is NFKC-normal, as
    :func:`unicodedata.normalize` sees it: asked once of each chunk's values written one
    after another, which is normal only if each value is (what normalising would change
    within a value, it changes within the whole text too).

    >>> import pyarrow as pa
    >>> _arrow_nfkc_normal(pa.chunked_array([["企业", None], ["e\\u0301"]]))
    False
    """
    return all(unicodedata.is_normalized("NFKC", t.as_py()) for t in joined_chunks(arr))


def joined_chunks(arr: Any) -> list[Any]:
    """The present values of each chunk of the Arrow text ``arr`` written one after another:
    one Arrow string per chunk, so that a whole column is looked at in one piece of text.

    >>> import pyarrow as pa
    >>> [t.as_py() for t in joined_chunks(pa.chunked_array([["ab", None, "c"], []]))]
    ['abc', '']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    joined = []
    for chunk in arr.chunks:
        present = pc.drop_null(chunk)
        whole = pa.ListArray.from_arrays(pa.array([0, len(present)], pa.int32()), present)
        joined.append(pc.binary_join(whole, pa.scalar("", present.type))[0])
    return joined


@once_per_distinct
def parse_text(s: pd.Series, *, code: bool = False) -> pd.Series:
    """Text ids and codes: integral floats lose their '.0', spaces trimmed, control
    characters removed (tab and newline become a space)."""

    def one(x: Any) -> Any:
        if isinstance(x, float | np.floating) and float(x).is_integer():
            return str(int(x))
        if isinstance(x, int | np.integer) and not isinstance(x, bool):
            return str(x)
        text = unicodedata.normalize("NFKC", str(x))
        text = CONTROL_CHARS.sub("", text).replace("\t", " ").replace("\r", " ").replace("\n", " ")
        return text.strip()

    text = _arrow_plain_texts(s)
    if text is None:
        values = s.to_numpy(dtype=object)
        fast = _plain_texts(values)
        if fast is not None:
            text = pd.Series(fast, index=s.index)
        else:
            text = pd.Series(values, index=s.index).map(one, na_action="ignore")
    text = text.astype("string").mask(_blank(s))
    text = text.mask(text == "")
    return text.str.upper() if code else text
