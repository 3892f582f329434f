"""Industry codes and the zone-fit table: one place for every "does this firm fit its zone".

A zone's ``leading_industries`` (zones.geojson, 主导产业) is a list of GB/T 4754-2017 codes
separated by commas (also ，、;；/ or spaces); only their two-digit divisions count.  A firm
*fits* a zone when the division of its industry code is among the zone's; the fit is
unknown (NA) when the firm has no code or the zone names no leading industry.  The land
rules (``industry_mismatch``), the relocation planner's zone-fit constraint and the per-zone
figures all go through :func:`fits_zone` / :func:`fit_matrix`.

>>> fits_zone(pd.Series(["C3911", "1711", None, "17"]),
...           pd.Series(["39,40", "39，40", "39", None])).tolist()
[True, False, <NA>, <NA>]
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lcgis.vocab import INDUSTRY_DIVISIONS

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: Separators of a list of industry codes ("39,40" / "39，40" / "39、40 38" / "39;40").
LIST_SPLIT = re.compile(r"[,，、;；/\s]+")


def digits(codes: pd.Series) -> pd.Series:
    """Industry codes as digits only ("C3911" → "3911"; missing stays missing).

    >>> digits(pd.Series([" C3911", "18", None])).tolist()
    ['3911', '18', <NA>]
    """
    return codes.astype("string").str.strip().str.replace(r"^[A-Za-z]+", "", regex=True)


def division(codes: pd.Series) -> pd.Series:
    """The two-digit GB/T 4754 division of industry codes ("C3911", "3911", "39" → "39").

    >>> division(pd.Series(["C3911", "3911", "3", "", None])).tolist()
    ['39', '39', <NA>, <NA>, <NA>]
    """
    return digits(codes).str.extract(r"^(\d{2})", expand=False).astype("string")


def leading_industries(text: object) -> frozenset[str]:
    """Two-digit divisions named by one leading_industries text (empty when none).

    >>> sorted(leading_industries("39，40、3811; 38"))
    ['38', '39', '40']
    >>> leading_industries(None), leading_industries("无")
    (frozenset(), frozenset())
    """
    if not isinstance(text, str):
        return frozenset()
    parts = pd.Series([p for p in LIST_SPLIT.split(text) if p], dtype="string")
    return frozenset(division(parts).dropna().tolist())


def fits_zone(codes: pd.Series, leading: pd.Series) -> pd.Series:
    """Whether each industry code's division is among the leading industries beside it.

    ``codes`` and ``leading`` are aligned by position; the result (nullable boolean, on
    ``codes``' index) is NA where the code has no division or the text names no leading
    industry.

    >>> fits_zone(pd.Series(["3811", "2929", "2929"]),
    ...           pd.Series(["3811, 3912", "38、39", ""])).tolist()
    [True, False, <NA>]
    """
    # Many rows share a (code, leading text) pair: answer each distinct pair once.
    code_key, code_uniq = pd.factorize(codes.astype("string"), use_na_sentinel=True)
    lead_key, lead_uniq = pd.factorize(leading.astype("string"), use_na_sentinel=True)
    pair = (code_key.astype(np.int64) + 1) * (len(lead_uniq) + 1) + (lead_key + 1)
    uniq, inverse = np.unique(pair, return_inverse=True)
    code_at, lead_at = uniq // (len(lead_uniq) + 1) - 1, uniq % (len(lead_uniq) + 1) - 1
    # Index -1 (a missing value) picks the NA appended last.
    code_text = pd.array([*code_uniq, pd.NA], dtype="string")
    lead_text = pd.array([*lead_uniq, pd.NA], dtype="string")
    fit = _fits_pairs(pd.Series(code_text[code_at]), pd.Series(lead_text[lead_at]))
    return pd.Series(fit[inverse.reshape(-1)], index=codes.index)


def _fits_pairs(codes: pd.Series, leading: pd.Series) -> pd.arrays.BooleanArray:
    """:func:`fits_zone` of aligned, default-indexed codes and leading texts."""
    n = len(codes)
    code = division(codes).reset_index(drop=True)
    lead = division(leading.astype("string").reset_index(drop=True).str.split(LIST_SPLIT).explode())
    same = lead.eq(code.reindex(lead.index)).fillna(False).astype(bool)
    matched = same.groupby(level=0).any().reindex(range(n), fill_value=False).to_numpy(bool)
    named = lead.notna().groupby(level=0).any().reindex(range(n), fill_value=False)
    known = code.notna().to_numpy(bool) & named.to_numpy(bool)
    out = pd.array(np.where(known, matched, False), dtype="boolean")
    out[~known] = pd.NA
    return out


def fit_matrix(codes: pd.Series, leading: Sequence[object]) -> np.ndarray:
    """codes × zones: True where a code fits the zone whose leading industries are given
    (False where it does not, and where the fit is unknown).

    >>> fit_matrix(pd.Series(["3911", "1711", None]), ["39,40", "17", None]).tolist()
    [[True, False, False], [False, True, False], [False, False, False]]
    """
    columns = [
        fits_zone(codes, pd.Series([text] * len(codes), dtype=object)).fillna(False)
        for text in leading
    ]
    if not columns:
        return np.zeros((len(codes), 0), dtype=bool)
    return np.column_stack([c.to_numpy(dtype=bool) for c in columns])


def division_name(code: object) -> str:
    """Name and code of a division ("计算机、通信和其他电子设备制造业(39)"; the code alone
    when it has no name in the table; '' when missing).

    >>> division_name("3911"), division_name("99"), division_name(None)
    ('计算机、通信和其他电子设备制造业(39)', '99', '')
    """
    two = division(pd.Series([code], dtype=object)).iloc[0]
    if pd.isna(two):
        return ""
    name = INDUSTRY_DIVISIONS.get(str(two))
    return f"{name}({two})" if name else str(two)


def division_names(text: object) -> str:
    """The leading industries of a text by name, in code order, '、'-joined.

    >>> division_names("40,39")
    '计算机、通信和其他电子设备制造业(39)、仪器仪表制造业(40)'
    """
    return "、".join(division_name(c) for c in sorted(leading_industries(text)))


def division_labels(codes: Iterable[object]) -> list[str]:
    """'39 计算机、通信和其他电子设备制造业' per code ('' when unknown; the code alone when
    the table has no name).

    >>> division_labels(["3911", "18", None, "99"])
    ['39 计算机、通信和其他电子设备制造业', '18 纺织服装、服饰业', '', '99']
    """
    two = division(pd.Series(list(codes), dtype=object))
    return ["" if pd.isna(c) else f"{c} {INDUSTRY_DIVISIONS.get(str(c), '')}".strip() for c in two]
