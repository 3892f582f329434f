"""候选: the four disposition shortlists (无偿收回, 收储改造, 腾笼换鸟, 零地增资) in tier and
priority order, with reasons, estimated gains (潜力上限) and totals per zone."""

from __future__ import annotations

import streamlit as st

from ui import auth, candidates, papers, state

ctx = state.context()

st.title("候选")
near, mid = ctx.result.rules.priority.tier_shares
st.caption(
    "每宗地至多列入一个清单，依次判定：无偿收回 > 收储改造 > 腾笼换鸟 > 零地增资；在建宗地不列入。"
    f"各清单按优先级从高到低排列，前 {near:.0%} 为近期、至 {mid:.0%} 为中期、其余为储备。"
    "标注“潜力上限”的收益按现状强度估算，是上限而非预测，合计同样只是潜力上限。"
)
auth.confidential_note()

candidates.download(ctx)
papers.list_buttons(ctx)
candidates.list_tabs(ctx, candidates.tier_filter())
