"""Rendering helpers shared by the screens: safe text, Chinese number formats, the 体检表.

Text from data is never given to Streamlit as HTML: markdown special characters are
escaped (:func:`md`), tables go through ``st.dataframe`` / ``st.table`` (React escapes them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from lcgis.explain import Card, fmt

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


#: Number formats by the unit in a Chinese header (st.column_config printf formats).
_FORMATS: tuple[tuple[str, str], ...] = (
    ("(m²)", "%,.0f"),
    ("(万元/亩)", "%,.2f"),
    ("(万元)", "%,.1f"),
    ("(亩)", "%,.2f"),
    ("(家)", "%,d"),
    ("(宗)", "%,d"),
    ("(分)", "%.2f"),
    ("(年)", "%.1f"),
)
_SHARES = ("建筑系数", "容积率利用率", "亩均税收增长率", "研发经费投入强度")
_FAR = ("容积率", "容积率下限", "容积率上限", "目标容积率")


def column_config(columns: Iterable[str]) -> dict[str, Any]:
    """st.dataframe column formats for Chinese headers with units."""
    out: dict[str, Any] = {}
    for col in columns:
        name = str(col)
        fmt_ = next((f for unit, f in _FORMATS if unit in name), None)
        if name in _FAR:
            fmt_ = "%.2f"
        if name in _SHARES or name.startswith(_SHARES):
            out[name] = st.column_config.NumberColumn(name, format="percent")
        elif fmt_:
            out[name] = st.column_config.NumberColumn(name, format=fmt_)
    return out


def table(df: pd.DataFrame, *, key: str | None = None, height: int | str = "auto") -> None:
    """A sortable table with Chinese number formats (missing numbers shown blank)."""
    config = column_config(df.columns)
    df = df.copy()
    for col in df.columns:
        if col in config:
            if df[col].dtype == object:
                df[col] = pd.to_numeric(df[col], errors="coerce")
        elif not pd.api.types.is_numeric_dtype(df[col]):
            # empty text shows blank, not "None"
            df[col] = df[col].astype(object).where(df[col].notna(), "")
    st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        height=height,
        column_config=config,
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
    parts = (
        (c.disposition, "未列入处置清单", False),
        (c.figures, "无", True),
        (c.rules, "无", False),
        (c.occupants, "该宗地没有用地企业", False),
        (c.scores, "没有参评企业的得分", False),
        (c.inputs, "无", True),
    )
    for tab, (frame, empty, narrow) in zip(tabs, parts, strict=True):
        with tab:
            if frame.empty:
                st.caption(empty)
            elif narrow:  # few columns: a plain table reads (and prints) best
                st.table(frame.set_index(frame.columns[0]))
            else:  # wide: a scrollable grid
                st.dataframe(frame, hide_index=True, width="stretch")
