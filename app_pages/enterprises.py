"""企业: ranked enterprises with filters; picked rows shown on a map; sensitivity on demand."""

from __future__ import annotations

import streamlit as st

from ui import auth, enterprises, state

ctx = state.context()
ent = state.enterprise_table(ctx.key, _result=ctx.result)  # masked by the user's access policy

st.title("企业")
st.caption(
    f"{ctx.year or '—'} 年度亩均效益综合评价(按当年12月31日)：规上、规下、小微三组分别打分"
    "排名(组内排名；小微组为规下不足3亩及标准厂房租户，按单位建筑面积税收评价)；"
    "不参评的 T 类和未评企业(缺少数据、组内企业不足)排在最后，分类说明写明原因。"
)
auth.confidential_note()

shown = enterprises.filters(ent)
picked = enterprises.table(ctx, shown)
enterprises.picked_map(ctx, picked)
enterprises.sensitivity(ctx)
