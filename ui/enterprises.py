"""Sections of the 企业 screen: the filters, the ranked table (rows picked), the map of the
picked enterprises' parcels and the sensitivity analysis on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from lcgis.views import search, summary, tables

from . import keys, mapview, render, state

if TYPE_CHECKING:
    import pandas as pd


def filters(ent: pd.DataFrame) -> pd.DataFrame:
    """The filter widgets (片区, 行业, 类别, 规模, 名称) and the enterprises they keep."""
    f1, f2, f3, f4, f5 = st.columns([2, 3, 2, 2, 2])
    zones = f1.multiselect(
        "片区", search.zone_options(ent["zone"]), key=keys.ENT_ZONE, placeholder="全部片区"
    )
    div_opts = sorted({d for d in ent["division"] if d})
    divisions = f2.multiselect("行业", div_opts, key=keys.ENT_INDUSTRY, placeholder="全部行业")
    classes = f3.multiselect(
        "类别", list(summary.CLASSES), key=keys.ENT_CLASS, placeholder="全部类别"
    )
    scale = f4.selectbox("规模", list(search.SCALES), key=keys.ENT_SCALE)
    name = f5.text_input("企业名称包含", key=keys.ENT_NAME)
    return search.filter_enterprises(
        ent, zones=zones, divisions=divisions, classes=classes, scale=str(scale), name=name
    )


def table(ctx: state.Context, shown: pd.DataFrame) -> pd.DataFrame:
    """The enterprise table (policy-hidden columns blank); the enterprises picked in it."""
    view = tables.enterprise_view(shown)
    st.markdown(f"**共 {len(view):,} 家**(勾选左侧方框可在下方地图上查看其用地)")
    table_view, table_config = render.frame(
        view, render.hidden_labels(ctx.result.access, view.columns)
    )
    event = st.dataframe(
        table_view,
        hide_index=True,
        width="stretch",
        height=420,
        column_config=table_config,
        on_select="rerun",
        selection_mode="multi-row",
        key=keys.ENT_TABLE,
    )
    rows = list(event.selection.rows) if event is not None else []
    return shown.iloc[rows] if rows else shown.iloc[:0]


def picked_map(ctx: state.Context, picked: pd.DataFrame) -> None:
    """The map of the picked enterprises' parcels (outlined and centred) beside their list."""
    parcels = search.parcels_of(picked)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        st.markdown("**所选企业的用地**")
        mapview.parcel_map(
            ctx,
            key=keys.ENT_MAP,
            indicator="parcel_class",
            basemap=st.session_state.get(keys.MAP_BASEMAP, mapview.default_basemap()),
            highlight=parcels,
            focus=parcels or None,
            height=460,
        )
    with right:
        if picked.empty:
            st.info("在上表中勾选企业，其用地宗地会在地图上以青色粗线标出并居中显示。")
        else:
            st.markdown(f"已选 {len(picked)} 家企业，涉及宗地 {len(parcels)} 宗：")
            st.dataframe(tables.picked_view(picked), hide_index=True, width="stretch")


def sensitivity(ctx: state.Context) -> None:
    """敏感性分析: computed once asked for, then kept for the session."""
    st.subheader("敏感性分析")
    st.caption(
        "每次只改变一个参数：各指标权重 ±10 分，或 A/B/C 类比例 ±5 个百分点，"
        "列出类别因此改变的企业。"
    )
    if st.button("计算敏感性分析", key=keys.ENT_SENS_BTN):
        st.session_state[keys.ENT_SENS_ON] = True
    if not st.session_state.get(keys.ENT_SENS_ON):
        return
    with st.spinner("正在计算敏感性分析…"):
        sens = state.sensitivity(ctx.key, _result=ctx.result)
    if sens.empty:
        st.success("没有企业因单个参数变动而改变类别。")
        return
    view = tables.sensitivity_view(sens)
    st.markdown(f"共 {len(view):,} 条(涉及 {view['统一社会信用代码'].nunique():,} 家企业)")
    st.dataframe(view, hide_index=True, width="stretch", height=360, key=keys.ENT_SENS_TABLE)
