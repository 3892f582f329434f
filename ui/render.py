"""Rendering helpers shared by the screens: safe text, Chinese number formats, the 体检表.

Text from data is never given to Streamlit as HTML: markdown special characters are
escaped (:func:`md`), tables go through ``st.dataframe`` / ``st.table`` (React escapes them).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from lcgis.views.explain import Card, fmt
from lcgis.vocab import ZONE_FIT_LABELS

if TYPE_CHECKING:
    from collections.abc import Iterable

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def md(text: Any) -> str:
    """Text for a markdown element with every markdown and HTML special escaped.

    >>> md("<img src=x onerror=alert(1)>")
    '\\\\<img src=x onerror=alert\\\\(1\\\\)\\\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text))


_URL = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*)://[^\s，,；;）)“”\"']*")
_ABS_PATH = re.compile(r"(?:\b[A-Za-z]:[\\/]|(?<![\w.:/])/)(?:[^\s/\\：:，,;；()（）\"'“”]+[\\/])+")


def _short_url(m: re.Match[str]) -> str:
    return f"{m.group(1)}://…/{m.group(0).rstrip('/').rsplit('/', 1)[-1]}"


def public_text(text: object) -> str:
    """``text`` with every absolute server path and database URL cut to its last part (a
    message for the browser: no folder, host or password of the server is ever shown).

    >>> public_text("找不到规则文件 /a/b/my.toml，请检查")
    '找不到规则文件 my.toml，请检查'
    >>> public_text("无法连接 postgresql://lcgis:secret@db/park 或 sqlite:////a/b/review.sqlite")
    '无法连接 postgresql://…/park 或 sqlite://…/review.sqlite'
    """
    return _ABS_PATH.sub("", _URL.sub(_short_url, str(text)))


def message(exc: object) -> str:
    """An error's message for a markdown element: server paths cut (:func:`public_text`),
    markdown escaped."""
    return md(public_text(exc))


def num(value: Any, digits: int = 2, unit: str = "") -> str:
    """A number the Chinese way: thousands separators, fixed digits, unit; '—' when empty."""
    return fmt(value, digits, unit)


def delta(value: float, digits: int = 2, unit: str = "") -> str | None:
    """A signed change for st.metric (None when unknown)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if round(value, digits) == 0:
        return None  # no change: no arrow
    return f"{value:+,.{digits}f}" + (f" {unit}" if unit else "")


#: Number formats by the unit in a Chinese header: (unit, digits; 0 = an integer count).
_FORMATS: tuple[tuple[str, int], ...] = (
    ("(m²)", 0),
    ("(万元/亩)", 2),
    ("(万元)", 1),
    ("(亩)", 2),
    ("(家)", 0),
    ("(宗)", 0),
    ("(栋)", 0),
    ("(分)", 2),
    ("(年)", 1),
)
#: Headers that are counts whatever their unit says.
_COUNTS = ("近三年有数据年数", "组内排名", "宗地数", "企业数")
_SHARES = (
    "建筑系数",
    "容积率利用率",
    "亩均税收增长率",
    "研发经费投入强度",
    ZONE_FIT_LABELS["fit_land_share"],
    ZONE_FIT_LABELS["fit_output_share"],
)
_FAR = ("容积率", "容积率下限", "容积率上限", "目标容积率")
_ONE_DECIMAL = ("优先级",)
_LABEL_FIELDS: dict[str, str] = {}


def field_of(header: str) -> str:
    """The output field behind a Chinese header (report.LABELS read backwards)."""
    if not _LABEL_FIELDS:
        from lcgis.views.report import LABELS

        for name, label in LABELS.items():
            _LABEL_FIELDS.setdefault(label, name)
    return _LABEL_FIELDS.get(header, header)


def hidden_labels(policy: Any, columns: Iterable[object], *, totals: bool = False) -> set[str]:
    """The headers among ``columns`` whose figures ``policy`` (an lcgis.access.Policy, or
    None) hides: their cells read :data:`lcgis.access.MASKED`."""
    if policy is None:
        return set()
    return {str(c) for c in columns if policy.hides(field_of(str(c)), total=totals)}


def _kind(name: str) -> tuple[str, int] | None:
    """('share'|'number', digits) of a header, None for text."""
    if name in _SHARES or name.startswith(_SHARES):
        return ("share", 1)
    if name in _FAR:
        return ("number", 2)
    if name.startswith(_ONE_DECIMAL):
        return ("number", 1)
    if name.startswith(_COUNTS):
        return ("number", 0)
    digits = next((d for unit, d in _FORMATS if unit in name), None)
    return None if digits is None else ("number", digits)


def _printf(kind: tuple[str, int]) -> str:
    what, digits = kind
    if what == "share":
        return f"%.{digits}f%%"
    return "%,d" if digits == 0 else f"%,.{digits}f"


def cell_text(value: Any, kind: tuple[str, int] | None) -> str:
    """A cell as shown: blank when empty, numbers with thousands separators and their
    digits, shares as a percentage."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind is None:
        return str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return ""
    what, digits = kind
    if what == "share":
        return f"{x * 100:.{digits}f}%"
    return f"{x:,.{digits}f}"


def column_config(columns: Iterable[str]) -> dict[str, Any]:
    """st.dataframe column formats for Chinese headers with units (numbers without gaps)."""
    out: dict[str, Any] = {}
    for col in columns:
        kind = _kind(str(col))
        if kind is not None:
            out[str(col)] = st.column_config.NumberColumn(str(col), format=_printf(kind))
    return out


def frame(df: pd.DataFrame, hidden: Iterable[str] = ()) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(table, column_config) for st.dataframe: every empty cell blank (never "None"), every
    cell of a ``hidden`` column :data:`lcgis.access.MASKED`, numbers in their format.

    A number column without gaps stays numeric (it sorts by value; shares are shown in
    percent); one with gaps is shown as formatted text.
    """
    from lcgis.access import MASKED

    hide = set(hidden)
    out = pd.DataFrame(df).copy()
    config: dict[str, Any] = {}
    for col in out.columns:
        name = str(col)
        values = out[col]
        if name in hide:
            out[col] = pd.Series(MASKED, index=out.index, dtype=object)
            continue
        kind = _kind(name)
        if kind is not None and not pd.api.types.is_bool_dtype(values):
            nums = pd.to_numeric(values, errors="coerce")
            if nums.notna().sum() == values.notna().sum() and nums.notna().all():
                what, digits = kind
                if what == "share":
                    nums = nums * 100
                out[col] = nums.astype("int64") if digits == 0 and (nums % 1 == 0).all() else nums
                config[name] = st.column_config.NumberColumn(name, format=_printf(kind))
                continue
            if nums.notna().sum() == values.notna().sum():
                out[col] = [cell_text(v, kind) for v in nums]
                config[name] = st.column_config.TextColumn(name)
                continue
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            if values.isna().any():
                out[col] = [
                    cell_text(v, None if not pd.api.types.is_float_dtype(values) else ("number", 2))
                    for v in values
                ]
            continue
        out[col] = [cell_text(v, None) for v in values.astype(object)]
    return out, config


def by_row(df: pd.DataFrame, label: str, columns: Iterable[str]) -> pd.DataFrame:
    """``df`` with the figures of ``columns`` as text formatted by each row's ``label``
    (a header with a unit: counts as integers, 亩 with two decimals, …)."""
    out = pd.DataFrame(df).copy()
    cols = [c for c in columns if c in out]
    out = out.astype({c: object for c in cols})
    for i in out.index:
        kind = _kind(str(out.at[i, label])) or ("number", 2)
        for c in cols:
            out.at[i, c] = cell_text(out.at[i, c], kind)
    return out


def table(
    df: pd.DataFrame,
    *,
    key: str | None = None,
    height: int | str = "auto",
    hidden: Iterable[str] = (),
    column_config: dict[str, Any] | None = None,
) -> None:
    """A sortable table with Chinese number formats: empty cells blank, cells of ``hidden``
    columns (:func:`hidden_labels`) :data:`lcgis.access.MASKED`."""
    shown, config = frame(df, hidden)
    rows: Any = height  # "auto" or a pixel height
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=rows,
        column_config={**config, **(column_config or {})},
        key=key,
    )


def card(c: Card) -> None:
    """The 体检表 as tables: verdict and notes, disposition with its reasons and clauses,
    figures, rules, occupants, scores, inputs.

    A card of a masked result (:func:`ui.state.context`) shows
    :data:`lcgis.access.MASKED` for every figure the user may not see.
    """
    st.markdown(f"#### {md(c.title)}")
    st.markdown(f"**宗地编号：** {md(c.parcel_id)}")
    for line in c.verdict:
        st.markdown(f"- {md(line)}")
    for note in c.notes:
        st.caption(note)
    tabs = st.tabs(["处置建议", "计算指标", "规则检验", "用地企业", "得分明细", "基础数据"])
    parts = (  # tables with long texts (reasons, clauses) as plain tables: they wrap
        (c.disposition, "未列入处置清单", True),
        (c.figures, "无", True),
        (c.rules, "无", True),
        (c.occupants, "该宗地没有用地企业", False),
        (c.scores, "没有参评企业的得分", False),
        (c.inputs, "无", True),
    )
    for tab, (frame, empty, narrow) in zip(tabs, parts, strict=True):
        with tab:
            if frame.empty:
                st.caption(empty)
            elif narrow:  # a plain table reads (and prints) best, and wraps long texts
                st.table(frame.set_index(frame.columns[0]))
            else:  # wide: a scrollable grid
                table(frame)
