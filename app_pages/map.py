"""地图: parcels coloured by an indicator or class; click or search -> the parcel's 体检表."""

from __future__ import annotations

import streamlit as st

from lcgis.views import maps
from ui import keys, mapsearch, mapview, papers, render, review_panel, state

ctx = state.context()
res = ctx.result

st.title("地图")
colouring = mapsearch.controls(res)
mapsearch.search_box(res)

# --- map and card ------------------------------------------------------------------------------
selected = state.selected_parcel(ctx)
focus = mapsearch.focus()
left, right = st.columns([1, 1], gap="medium")
with left:
    mapview.parcel_map(
        ctx,
        key=keys.PARCEL_MAP,
        indicator=colouring.indicator,
        scheme=colouring.scheme,
        k=colouring.k,
        basemap=colouring.basemap,
        highlight=[selected] if selected else [],
        focus=[focus] if focus else None,
        on_click=state.select_parcel,
    )
    spec = maps.BASEMAPS[colouring.basemap]
    st.caption(
        maps.DATUMS[spec.datum]
        + (
            "。当前为离线模式，不加载任何外部地图。"
            if colouring.basemap == "none"
            else f"。底图：{spec.label}"
        )
    )
with right:
    if selected:
        c = state.card(ctx.key, selected, _result=res)
        if c is not None:
            render.card(c)
            papers.parcel_button(ctx, selected)
            review_panel.panel(selected)
    else:
        st.info("在地图上点击一宗地，或在上方查找，即可在此查看其体检表。")

mapsearch.legend(ctx, colouring)
