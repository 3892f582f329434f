"""审核: the review queue (every parcel's review status, zone and flags), filters, counts per
status, and the export of the decisions."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from ui import auth, review_panel, state

ctx = state.context()

st.title("审核")
st.caption(
    "所有宗地的核查状态(从未核查的为“待核查”)。在“地图”页点选宗地，可在体检表下方查看"
    "变更记录并修改核查状态。逾期：办理期限早于今天且尚未处置完毕(已处置、不予处置除外)。"
)

today = dt.date.today()
q = review_panel.queue(ctx, today)
review_panel.status_tiles(q)
review_panel.queue_table(ctx, review_panel.queue_filters(q))
review_panel.export_button(q, today)
if auth.current_user() is None:
    st.caption("访客只读；修改核查状态需登录。")
