"""规划: the plan's targets against the park's and each zone's figures by year, the chains,
the zones' fit with their leading industries, and the next period's targets typed in."""

from __future__ import annotations

import streamlit as st

from ui import state, targets

ctx = state.context()
res = ctx.result
st.title("规划")
st.caption(
    f"数据：{state.dataset_label(ctx.data_dir)} · 企业年度数据 "
    f"{int(res.plan_figures['year'].min()) if len(res.plan_figures) else '—'}–{ctx.year or '—'} 年"
    f" · {ctx.rules_label}"
)
plan, scope = targets.choose(res)
targets.assessment(res, plan, scope)
targets.trend(res, plan, scope)
targets.chains(res, scope)
targets.zone_fit(res)
targets.next_period(res)
