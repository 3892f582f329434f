"""搬迁规划: movers, free land and objective -> the optimal plan, its map, before/after,
download; save plans and compare two saved ones."""

from __future__ import annotations

import streamlit as st

from ui import keys, state
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
if ready:
    reloc.size_notice(ctx, movers, opts)
if not len(movers) and not issues.has_errors:
    st.info("请先在上表中添加搬迁企业，或上传搬迁企业表。")
clicked = st.button(
    "求解", key=keys.RELOC_SOLVE, type="primary", disabled=not ready, icon=":material/calculate:"
)
rp, key = reloc.plan_for(ctx, movers, opts, clicked=clicked) if ready else (None, None)
if rp is None or key is None:
    if ready and st.session_state.get(keys.SOLVED):
        st.info("搬迁企业或参数已更改，请点击“求解”。")
else:
    # --- 3. the plan ---------------------------------------------------------------------------
    st.subheader("3. 搬迁方案")
    reloc.solver_status(rp)
    reloc.plan_metrics(rp)
    reloc.plan_tabs(ctx, rp, key)
    st.markdown("**保存方案**")
    reloc.save_form(ctx, rp, key, opts, movers)

# --- 4. saved plans --------------------------------------------------------------------------
st.subheader("4. 已保存方案对比")
reloc.compare_saved(ctx)
