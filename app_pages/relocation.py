"""搬迁规划: movers, free land and objective -> the optimal plan, its map, before/after,
download; save plans and compare two saved ones."""

from __future__ import annotations

import streamlit as st

from lcgis.plan import view as plan_map
from lcgis.plan.report import plan_sheets
from lcgis.views import maps
from ui import mapview, render, state
from ui import relocation as reloc

ctx = state.context()

st.title("搬迁规划")
st.caption(
    "为搬迁企业(退城入园的新引进企业与园区内腾挪企业)在无偿收回、收储改造、腾笼换鸟地块和"
    "未出让空地中安排用地，使园区税收或产值的净增最大；可拼合相邻地块，行业须属片区主导产业。"
    "在建地块和仍在闲置费阶段的地块不自动纳入，需要时可手动添加。"
)
if not reloc.may_plan(ctx):
    st.stop()

# --- 1. movers -------------------------------------------------------------------------------
st.subheader("1. 搬迁企业")
movers, issues = reloc.movers_editor(ctx)
reloc.show_issues(issues)

# --- 2. free land and objective --------------------------------------------------------------
st.subheader("2. 空闲土地与目标")
opts = reloc.options(ctx)

ready = not issues.has_errors and len(movers) > 0
if not len(movers) and not issues.has_errors:
    st.info("请先在上表中添加搬迁企业，或上传搬迁企业表。")
clicked = st.button(
    "求解", key="reloc_solve", type="primary", disabled=not ready, icon=":material/calculate:"
)
rp, key = reloc.plan_for(ctx, movers, opts, clicked=clicked) if ready else (None, None)
if rp is None or key is None:
    if ready and st.session_state.get(reloc.SOLVED):
        st.info("搬迁企业或参数已更改，请点击“求解”。")
else:
    # --- 3. the plan ---------------------------------------------------------------------------
    st.subheader("3. 搬迁方案")
    reloc.solver_status(rp)
    placed = rp.plan["parcel_ids"].astype(str).ne("")
    reloc.plan_metrics(rp)
    map_tab, ba_tab, plan_tab = st.tabs(["地图", "前后对比", "方案明细"])
    with map_tab:
        options = mapview.basemap_options()
        st.session_state.setdefault("reloc_basemap", mapview.default_basemap())
        if st.session_state["reloc_basemap"] not in options:
            st.session_state["reloc_basemap"] = options[0]
        basemap = st.selectbox(
            "底图", options, format_func=lambda b: maps.BASEMAPS[b].label, key="reloc_basemap"
        )
        reloc.plan_map_view(ctx, rp, basemap=basemap, key="reloc_map")
    with ba_tab:
        charts = st.columns(len(plan_map.CHART_FIGURES))
        for col, (fig, title) in zip(charts, plan_map.CHART_FIGURES.items(), strict=True):
            col.markdown(f"**各片区{title}：搬迁前后**")
            col.bar_chart(plan_map.chart_data(rp.before_after, fig), stack=False, y_label=title)
        table = plan_map.before_after_table(rp.before_after)
        render.table(
            render.by_row(table, "指标", table.columns[2:]),
            key="reloc_before_after",
            height=460,
        )
        st.caption(
            "搬迁后为预期值：新入驻企业按其申报的预期亩均税收(产值)，未申报的按片区同行业基准"
            "测算(见搬迁方案的“预期值来源”)；亩均 = 片区税收(产值)合计 ÷ 片区全部用地；"
            "新入驻宗地不计入 A/B/C/D 类。"
        )
    with plan_tab:
        sheet = plan_sheets(rp)["搬迁方案"]
        unplaced = sheet[~placed.to_numpy()]
        if len(unplaced):
            st.markdown(f"**未安排的企业({len(unplaced)} 家)及原因**")
            render.table(
                unplaced[["搬迁企业编号", "企业名称", "需求用地(亩)", "行业代码", "说明"]],
                key="reloc_unplaced",
            )
        st.markdown("**搬迁方案(每家企业一行)**")
        render.table(sheet, key="reloc_plan", height=420)
        st.download_button(
            "下载搬迁方案 Excel(搬迁方案、前后对比、求解说明)",
            data=reloc.plan_xlsx(key, _rp=rp),
            file_name=f"搬迁方案_{ctx.year or ''}.xlsx",
            mime=reloc.XLSX,
            key="reloc_download",
            icon=":material/download:",
        )
    st.markdown("**保存方案**")
    reloc.save_form(ctx, rp, key, opts, movers)

# --- 4. saved plans --------------------------------------------------------------------------
st.subheader("4. 已保存方案对比")
reloc.compare_saved(ctx)
