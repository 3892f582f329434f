"""地图: parcels coloured by an indicator or class; click or search -> the parcel's 体检表."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lcgis.views import maps
from ui import mapview, papers, render, review_panel, state

ctx = state.context()
res = ctx.result

st.title("地图")

# --- controls ----------------------------------------------------------------------------------
c1, c2, c3, c4 = st.columns([2, 2, 1, 2])
indicator = c1.selectbox(
    "着色指标",
    maps.offered_indicators(res.access),  # none that the user's access policy masks
    format_func=lambda k: (
        maps.INDICATORS[k].label
        + (f"({maps.INDICATORS[k].unit})" if maps.INDICATORS[k].unit not in ("", "%") else "")
    ),
    key="map_indicator",
)
categorical = maps.INDICATORS[indicator].palette == "classes"
scheme = c2.selectbox(
    "分级方法",
    list(maps.SCHEMES),
    format_func=lambda s: maps.SCHEMES[s],
    key="map_scheme",
    disabled=categorical,
)
k = c3.number_input(
    "级数",
    min_value=3,
    max_value=7,
    value=5,
    step=1,
    key="map_k",
    disabled=categorical or scheme == "rules",
)
options = mapview.basemap_options()
st.session_state.setdefault("map_basemap", mapview.default_basemap())
if st.session_state["map_basemap"] not in options:
    st.session_state["map_basemap"] = options[0]
basemap = c4.selectbox(
    "底图",
    options,
    format_func=lambda b: maps.BASEMAPS[b].label,
    key="map_basemap",
    help="天地图需配置密钥(环境变量 TIANDITU_KEY 或 secrets)。高德底图为 GCJ-02 坐标，"
    "地图上的宗地按显示需要偏移，存储数据不变。",
)


def _search() -> None:
    text = str(st.session_state.get("map_search", "")).strip()
    st.session_state["map_hits"] = hits = _matches(text) if text else []
    if hits:
        state.select_parcel(hits[0][0])
        st.session_state["map_focus"] = hits[0][0]
        st.session_state["map_hit"] = hits[0][0]


def _matches(text: str) -> list[tuple[str, str]]:
    """(parcel id, label) for a parcel id or an enterprise name (exact first)."""
    p = res.parcels
    ids = p["parcel_id"].astype(str)
    low = text.lower()
    exact = ids[ids.str.lower() == low]
    if len(exact):
        return [(exact.iloc[0], exact.iloc[0])]
    out: list[tuple[str, str]] = [
        (i, i) for i in ids[ids.str.lower().str.contains(low, regex=False)]
    ]
    e = res.enterprises
    if "name" in e and "parcel_ids" in e:
        hit = e[e["name"].astype(str).str.contains(text, regex=False, na=False)]
        for name, pids in zip(hit["name"], hit["parcel_ids"], strict=True):
            for pid in str(pids or "").split(";"):
                if pid and (ids == pid).any():
                    out.append((pid, f"{pid}({name})"))
    seen: dict[str, str] = {}
    for pid, lab in out:
        seen.setdefault(pid, lab)
    return list(seen.items())[:50]


def _pick() -> None:
    pid = st.session_state.get("map_hit")
    if pid:
        state.select_parcel(pid)
        st.session_state["map_focus"] = pid


s1, s2 = st.columns([3, 4])
with s1.form("map_search_form", clear_on_submit=False, border=False):
    f1, f2 = st.columns([4, 1], vertical_alignment="bottom")
    f1.text_input("查找宗地或企业", key="map_search", placeholder="宗地编号或企业名称")
    f2.form_submit_button("查找", on_click=_search)
hits: list[tuple[str, str]] = st.session_state.get("map_hits", [])
if hits:
    labels: dict[str, str] = dict(hits)
    if st.session_state.get("map_hit") not in labels:
        st.session_state["map_hit"] = hits[0][0]
    s2.selectbox(
        f"找到 {len(hits)} 宗",
        list(labels),
        format_func=lambda pid: labels[pid],
        key="map_hit",
        on_change=_pick,
    )
elif st.session_state.get("map_search"):
    s2.warning("没有找到匹配的宗地或企业")

# --- map and card ------------------------------------------------------------------------------
selected = state.selected_parcel(ctx)
focus = st.session_state.get("map_focus")
left, right = st.columns([1, 1], gap="medium")
with left:
    mapview.parcel_map(
        ctx,
        key="parcel_map",
        indicator=indicator,
        scheme=str(scheme),
        k=int(k),
        basemap=basemap,
        highlight=[selected] if selected else [],
        focus=[focus] if focus else None,
        on_click=state.select_parcel,
    )
    spec = maps.BASEMAPS[basemap]
    st.caption(
        maps.DATUMS[spec.datum]
        + (
            "。当前为离线模式，不加载任何外部地图。"
            if basemap == "none"
            else f"。底图：{spec.label}"
        )
    )
with right:
    if selected:
        c = state.card(ctx.key, selected, _result=res)
        if c is not None:
            render.card(c)
            papers.parcel_button(ctx, selected)
            review_panel.panel(ctx, selected)
    else:
        st.info("在地图上点击一宗地，或在上方查找，即可在此查看其体检表。")

legend = mapview.legend_rows(ctx, indicator, str(scheme), int(k), maps.BASEMAPS[basemap].datum)
with st.expander(f"图例与分级统计：{legend.title}", expanded=False):
    mu = pd.to_numeric(res.parcels["land_area_mu"], errors="coerce")
    rows = pd.DataFrame(legend.rows, columns=["颜色", "分级", "宗地数(宗)"])
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={"颜色": st.column_config.TextColumn("颜色")},
    )
    if legend.note:
        st.caption(legend.note)
    ov = maps.overlay_counts(res.parcels)
    st.dataframe(
        pd.DataFrame(
            [(name, n, a) for name, (n, a) in ov.items()],
            columns=["叠加图层", "宗地数(宗)", "面积(亩)"],
        ),
        hide_index=True,
        width="stretch",
        column_config=render.column_config(["宗地数(宗)", "面积(亩)"]),
    )
    st.caption(f"园区宗地共 {len(mu):,} 宗，{mu.sum():,.1f} 亩。叠加图层在地图右上角勾选显示。")
