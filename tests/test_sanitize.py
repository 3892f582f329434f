"""The exports' text cleaning: the checks over a whole column agree with cleaning value by
value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcgis.views.sanitize import (
    _DIRTY,
    _GLANCE_BYTES,
    _arrow_clean_already,
    _clean_already,
    _clean_value,
    _may_be_dirty,
)

#: Hand-made columns where a check over the whole column could differ from one per value:
#: missing values, empty text, each kind of character cleaned, the characters next to
#: those (kept), newlines (kept), mixed scripts.
CASES: list[list[str | None]] = [
    [],
    [None],
    [None, None],
    [""],
    ["", None, ""],
    ["甲公司", "乙", None],
    ["a\nb", "\n", "\n\n"],
    ["a\tb"],
    ["a\r"],
    ["\r\n"],
    ["\x00"],
    ["ok", "\x1f"],
    ["\x7f"],
    ["\x80"],
    ["x\x85y"],
    ["\x9f"],
    ["\xa0", "·", "é"],
    ["\u202a"],
    ["甲\u202e乙"],
    ["\u2066", None],
    ["\u2069"],
    ["\u2029", "\u202f", "\u2065", "\u206a"],
    ["“引号”…—", "（括号）、；"],
    ["=SUM(A1)", "-12", "@x", "+1"],
    ["a", "b", "c\t"],
    ["\t", None, "ok"],
]


def _reference(values: list[str | None], limit: int | None) -> bool:
    """Whether cleaning value by value (:func:`_clean_value`) would leave every one as is."""
    return all(v is None or _clean_value(v, limit) == v for v in values)


@pytest.mark.parametrize("values", CASES, ids=repr)
@pytest.mark.parametrize("dtype", ["string[pyarrow]", "str", object])
def test_clean_already_agrees_with_cleaning_each_value(
    values: list[str | None], dtype: str | type
) -> None:
    s = pd.Series(values, dtype=dtype)
    assert _clean_already(s, None) == _reference(values, None)


@pytest.mark.parametrize("values", CASES, ids=repr)
def test_arrow_check_agrees_with_cleaning_each_value(values: list[str | None]) -> None:
    s = pd.Series(values, dtype="string[pyarrow]")
    assert _arrow_clean_already(s, None) == _reference(values, None)


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_arrow_check_with_a_length_limit(limit: int) -> None:
    values = ["甲乙", None, "abc", ""]
    s = pd.Series(values, dtype="string[pyarrow]")
    assert _arrow_clean_already(s, limit) == _reference(values, limit)


def test_arrow_check_of_chunked_and_sliced_columns() -> None:
    """A column of several Arrow chunks, and a slice whose buffer holds a dirty value
    outside it: only the values of the column count."""
    parts = [pd.Series(v, dtype="string[pyarrow]") for v in (["a", None], ["b\u202e"], ["c"])]
    chunked = pd.concat(parts, ignore_index=True)
    assert not _arrow_clean_already(chunked, None)
    assert _arrow_clean_already(chunked.iloc[[0, 1, 3]], None)
    dirty_first = pd.Series(["a\tb", "ok", None, "fine"], dtype="string[pyarrow]")
    assert _arrow_clean_already(dirty_first.iloc[1:], None)
    assert not _arrow_clean_already(dirty_first.iloc[:2], None)


def test_the_glance_at_the_bytes_misses_no_dirty_character() -> None:
    """Every character up to U+2FFF (all those beginning with the bytes the glance looks
    for), alone and between others: the glance calls every dirty one suspect."""
    for code in range(0x3000):
        if 0xD800 <= code <= 0xDFFF:
            continue  # surrogates are no text
        for text in (chr(code), f"a{chr(code)}甲"):
            if _DIRTY.search(text):
                assert _may_be_dirty(np.frombuffer(text.encode(), np.uint8)), hex(code)


@pytest.mark.parametrize("dirty", ["\t", "\x85", "\u202e"])
def test_the_glance_looks_at_every_block(dirty: str) -> None:
    """Text of several blocks: a dirty character in the last block, or with its bytes on
    both sides of a block's end, is suspect; long clean text is not."""
    utf8 = dirty.encode()
    for at in (2 * _GLANCE_BYTES + 5, _GLANCE_BYTES - 1):
        text = np.full(3 * _GLANCE_BYTES, ord("a"), dtype=np.uint8)
        assert not _may_be_dirty(text)
        text[at : at + len(utf8)] = np.frombuffer(utf8, np.uint8)
        assert _may_be_dirty(text), at


def test_arrow_check_of_texts_longer_than_a_block() -> None:
    """Columns whose texts fill several blocks: a dirty value at the end is found, a
    suspect but clean one (“quotes”) passes the regular expression."""
    long = "甲" * _GLANCE_BYTES
    for tail, clean in (("ok\u202e", False), ("“引号”", True), ("a\tb", False), ("乙", True)):
        s = pd.Series([long, None, long, tail], dtype="string[pyarrow]")
        assert _arrow_clean_already(s, None) is clean, tail


@pytest.mark.parametrize("block", [range(0x100), range(0x2000, 0x2100)])
def test_arrow_check_character_by_character(block: range) -> None:
    """The control characters' neighbourhoods, one character a column (with a clean
    value and a missing one beside it)."""
    for code in block:
        values = ["甲", chr(code), None]
        s = pd.Series(values, dtype="string[pyarrow]")
        assert _arrow_clean_already(s, None) == _reference(values, None), hex(code)
