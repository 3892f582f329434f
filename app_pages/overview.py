"""总览: headline figures of the park and its zones (shares of land 低效, 在建 and under each
disposition; classes per evaluation group), change on the year before computed like with
like, distributions."""

from __future__ import annotations

import streamlit as st

from lcgis.views import report, summary
from ui import overview, papers, state

ctx = state.context()
res = ctx.result
now = state.park(ctx.key, _result=res)
prev_res = state.previous(ctx)
before = state.previous_park(ctx)
change = summary.year_change(now, before)

st.title("总览")
st.caption(
    f"数据：{state.dataset_label(ctx.data_dir)} · {ctx.year or '—'} 年度(企业按当年12月31日评价)"
    f" · 基准日 {res.as_of} · {ctx.rules_label}"
    + (
        f" · 同比对照 {prev_res.year} 年度(基准日 {prev_res.as_of}，同一数据、分摊与规则)"
        if prev_res is not None
        else " · 无上年数据，不显示同比"
    )
)
papers.report_button(ctx)

overview.park_rows(res, now, change)
overview.targets(res)
ent_counts = overview.classes(res, prev_res)
overview.zones(res, state.workbook_sheets(ctx.key, _result=res)["片区"])
if before:
    overview.year_on_year(now, before, change, ctx.year, prev_res.year if prev_res else None)
overview.distributions(res, report.zone_table(res), ent_counts, now)
