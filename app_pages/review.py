"""审核: the review queue (every parcel's review status, zone and flags), filters, counts per
status, and the export of the decisions."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from lcgis import review
from lcgis.vocab import DISPOSITION_LABELS
from ui import auth, render, review_panel, state

ctx = state.context()

st.title("审核")
st.caption(
    "所有宗地的核查状态(从未核查的为“待核查”)。在“地图”页点选宗地，可在体检表下方查看"
    "变更记录并修改核查状态。逾期：办理期限早于今天且尚未处置完毕(已处置、不予处置除外)。"
)

today = dt.date.today()
q = review_panel.queue(ctx, today)

# --- counts per status -------------------------------------------------------------------------
counts = q["status"].value_counts()
tiles = [(s, int(counts.get(s, 0))) for s in review.STATUSES] + [("逾期", int(q["overdue"].sum()))]
PER_ROW = 5  # a label such as 列入无偿收回程序 reads whole at this width
for start in range(0, len(tiles), PER_ROW):
    row = tiles[start : start + PER_ROW]
    for col, (status, n) in zip(st.columns(PER_ROW), row, strict=False):
        col.metric(status, f"{n:,} 宗")

# --- filters -----------------------------------------------------------------------------------
f1, f2, f5, f3, f4 = st.columns([3, 2, 2, 2, 1], vertical_alignment="bottom")
statuses = f1.multiselect(
    "核查状态", list(review.STATUSES), key="rq_status", placeholder="全部状态"
)
zones = f2.multiselect(
    "片区", sorted({z for z in q["zone_name"] if z}), key="rq_zone", placeholder="全部片区"
)
kinds = f5.multiselect(
    "处置方式", list(DISPOSITION_LABELS.values()), key="rq_disposition", placeholder="全部"
)
people = sorted({str(a) for a in q["assignee"].dropna() if str(a)})
assignee = f3.selectbox("责任人", ["全部", *people], key="rq_assignee")
overdue = f4.checkbox("只看逾期", key="rq_overdue")

shown = q
if statuses:
    shown = shown[shown["status"].isin(statuses)]
if zones:
    shown = shown[shown["zone_name"].isin(zones)]
if kinds:
    shown = shown[shown["disposition"].isin(kinds)]
if assignee != "全部":
    shown = shown[shown["assignee"].astype(str) == assignee]
if overdue:
    shown = shown[shown["overdue"]]

st.markdown(f"**共 {len(shown):,} 宗**")
view = review_panel.queue_view(shown)
render.table(
    view,
    key="rq_table",
    height=460,
    hidden=render.hidden_labels(ctx.result.access, view.columns),
)

# --- export ------------------------------------------------------------------------------------
url, dataset, seq = review_panel.stamp()
if not (q["version"] > 0).any():
    st.caption("尚无核查记录可导出。")
else:
    st.download_button(
        "导出核查状态和变更记录(.xlsx)",
        data=review_panel.export_bytes(url, dataset, seq),
        file_name=f"核查记录_{today.isoformat()}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="rq_export",
        icon=":material/download:",
    )
if auth.current_user() is None:
    st.caption("访客只读；修改核查状态需登录。")
