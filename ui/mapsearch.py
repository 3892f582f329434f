"""The 地图 screen's controls: the colouring (indicator, scheme, classes, basemap), the
search for a parcel or an enterprise (matches from :func:`lcgis.views.search.parcel_matches`)
and the legend with the overlay counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from lcgis.views import maps, search, tables

from . import keys, mapview, render, state

if TYPE_CHECKING:
    from lcgis.engine.pipeline import Result


@dataclass(frozen=True)
class Colouring:
    """The map's colouring as chosen."""

    indicator: str
    scheme: str
    k: int
    basemap: str


def _indicator_label(k: str) -> str:
    spec = maps.INDICATORS[k]
    return spec.label + (f"({spec.unit})" if spec.unit not in ("", "%") else "")


def basemap_box(container: Any, key: str, **kwargs: Any) -> str:
    """A basemap box (the environment's default first time; a basemap no longer offered
    falls back to the first one)."""
    options = mapview.basemap_options()
    st.session_state.setdefault(key, mapview.default_basemap())
    if st.session_state[key] not in options:
        st.session_state[key] = options[0]
    return str(
        container.selectbox(
            "底图", options, format_func=lambda b: maps.BASEMAPS[b].label, key=key, **kwargs
        )
    )


def controls(res: Result) -> Colouring:
    """着色指标, 分级方法, 级数 and 底图 (an indicator the user's policy masks is not offered)."""
    c1, c2, c3, c4 = st.columns([2, 2, 1, 2])
    indicator = c1.selectbox(
        "着色指标",
        maps.offered_indicators(res.access),  # none that the user's access policy masks
        format_func=_indicator_label,
        key=keys.MAP_INDICATOR,
    )
    categorical = maps.INDICATORS[indicator].palette == "classes"
    scheme = c2.selectbox(
        "分级方法",
        list(maps.SCHEMES),
        format_func=lambda s: maps.SCHEMES[s],
        key=keys.MAP_SCHEME,
        disabled=categorical,
    )
    k = c3.number_input(
        "级数",
        min_value=3,
        max_value=7,
        value=5,
        step=1,
        key=keys.MAP_K,
        disabled=categorical or scheme == "rules",
    )
    basemap = basemap_box(
        c4,
        keys.MAP_BASEMAP,
        help="天地图需配置密钥(环境变量 TIANDITU_KEY 或 secrets)。高德底图为 GCJ-02 坐标，"
        "地图上的宗地按显示需要偏移，存储数据不变。",
    )
    return Colouring(str(indicator), str(scheme), int(k), basemap)


def _select(pid: str) -> None:
    state.select_parcel(pid)
    st.session_state[keys.MAP_FOCUS] = pid


def search_box(res: Result) -> None:
    """查找: a parcel id or an enterprise name; the first hit is selected, others offered."""

    def find() -> None:
        text = str(st.session_state.get(keys.MAP_SEARCH, "")).strip()
        hits = search.parcel_matches(res.parcels, res.enterprises, text) if text else []
        st.session_state[keys.MAP_HITS] = hits
        if hits:
            _select(hits[0][0])
            st.session_state[keys.MAP_HIT] = hits[0][0]

    def pick() -> None:
        pid = st.session_state.get(keys.MAP_HIT)
        if pid:
            _select(pid)

    s1, s2 = st.columns([3, 4])
    with s1.form(keys.MAP_SEARCH_FORM, clear_on_submit=False, border=False):
        f1, f2 = st.columns([4, 1], vertical_alignment="bottom")
        f1.text_input("查找宗地或企业", key=keys.MAP_SEARCH, placeholder="宗地编号或企业名称")
        f2.form_submit_button("查找", on_click=find)
    hits: list[tuple[str, str]] = st.session_state.get(keys.MAP_HITS, [])
    if hits:
        labels: dict[str, str] = dict(hits)
        if st.session_state.get(keys.MAP_HIT) not in labels:
            st.session_state[keys.MAP_HIT] = hits[0][0]
        s2.selectbox(
            f"找到 {len(hits)} 宗",
            list(labels),
            format_func=lambda pid: labels[pid],
            key=keys.MAP_HIT,
            on_change=pick,
        )
    elif st.session_state.get(keys.MAP_SEARCH):
        s2.warning("没有找到匹配的宗地或企业")


def focus() -> str | None:
    """The parcel the map centres on (the last one searched or picked)."""
    pid = st.session_state.get(keys.MAP_FOCUS)
    return str(pid) if pid else None


def legend(ctx: state.Context, colouring: Colouring) -> None:
    """图例与分级统计: the classes with their parcel counts, and the overlay layers."""
    datum = maps.BASEMAPS[colouring.basemap].datum
    lg = mapview.legend_rows(ctx, colouring.indicator, colouring.scheme, colouring.k, datum)
    res = ctx.result
    with st.expander(f"图例与分级统计：{lg.title}", expanded=False):
        mu = pd.to_numeric(res.parcels["land_area_mu"], errors="coerce")
        st.dataframe(
            tables.legend_table(lg.rows),
            hide_index=True,
            width="stretch",
            column_config={"颜色": st.column_config.TextColumn("颜色")},
        )
        if lg.note:
            st.caption(lg.note)
        st.dataframe(
            tables.overlay_table(maps.overlay_counts(res.parcels)),
            hide_index=True,
            width="stretch",
            column_config=render.column_config(["宗地数(宗)", "面积(亩)"]),
        )
        st.caption(f"园区宗地共 {len(mu):,} 宗，{mu.sum():,.1f} 亩。叠加图层在地图右上角勾选显示。")
