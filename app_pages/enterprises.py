"""企业: ranked enterprises with filters; picked rows shown on a map; sensitivity on demand."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lcgis.views import report, summary
from lcgis.vocab import INDICATOR_LABELS
from ui import auth, mapview, render, state

ctx = state.context()
res = ctx.result
ent = state.enterprise_table(ctx.key, _result=res)  # masked by the user's access policy

st.title("企业")
st.caption(
    f"{ctx.year or '—'} 年度亩均效益综合评价(按当年12月31日)：规上、规下、小微三组分别打分"
    "排名(组内排名；小微组为规下不足3亩及标准厂房租户，按单位建筑面积税收评价)；"
    "不参评的 T 类和未评企业(缺少数据、组内企业不足)排在最后，分类说明写明原因。"
)
auth.confidential_note()

# --- filters -----------------------------------------------------------------------------------
f1, f2, f3, f4, f5 = st.columns([2, 3, 2, 2, 2])
zone_opts = sorted({z for zs in ent["zone"] for z in str(zs).split("、") if z})
zones = f1.multiselect("片区", zone_opts, key="ent_zone", placeholder="全部片区")
div_opts = sorted({d for d in ent["division"] if d})
divisions = f2.multiselect("行业", div_opts, key="ent_industry", placeholder="全部行业")
classes = f3.multiselect("类别", list(summary.CLASSES), key="ent_class", placeholder="全部类别")
scale = f4.selectbox("规模", ["全部", "规上", "规下"], key="ent_scale")
name = f5.text_input("企业名称包含", key="ent_name")

shown = ent
if zones:
    shown = shown[shown["zone"].map(lambda z: any(x in str(z).split("、") for x in zones))]
if divisions:
    shown = shown[shown["division"].isin(divisions)]
if classes:
    shown = shown[shown["class"].astype(str).isin(classes)]
if scale != "全部" and "above_scale" in shown:
    above = shown["above_scale"].astype("boolean").fillna(False).astype(bool)
    shown = shown[above if scale == "规上" else ~above]
if name.strip():
    shown = shown[shown["name"].astype(str).str.contains(name.strip(), regex=False, na=False)]
shown = shown.reset_index(drop=True)

COLUMNS = {
    "group_label": "评价组",
    "rank_in_group": "组内排名",
    "n_in_group": "组内企业数(家)",
    "name": report.LABELS["name"],
    "credit_code": report.LABELS["credit_code"],
    "zone": "片区",
    "division": "行业",
    "above_scale": "规上",
    "land_area_mu": report.LABELS["land_area_mu"],
    "tax_per_mu": INDICATOR_LABELS["tax_per_mu"],
    "value_added_per_mu": INDICATOR_LABELS["value_added_per_mu"],
    "output_per_mu": INDICATOR_LABELS["output_per_mu"],
    "tax_per_floor_m2": INDICATOR_LABELS["tax_per_floor_m2"],
    "score": report.LABELS["score"],
    "class": report.LABELS["class"],
    "class_reason": report.LABELS["class_reason"],
}
view = shown[[c for c in COLUMNS if c in shown]].rename(columns=COLUMNS)
if "规上" in view:
    view["规上"] = view["规上"].map(lambda b: "" if pd.isna(b) else ("是" if b else "否"))

st.markdown(f"**共 {len(view):,} 家**(勾选左侧方框可在下方地图上查看其用地)")
table_view, table_config = render.frame(view, render.hidden_labels(res.access, view.columns))
event = st.dataframe(
    table_view,
    hide_index=True,
    width="stretch",
    height=420,
    column_config=table_config,
    on_select="rerun",
    selection_mode="multi-row",
    key="ent_table",
)
rows = list(event.selection.rows) if event is not None else []
picked = shown.iloc[rows] if rows else shown.iloc[:0]
parcels = sorted(
    {
        p
        for ids in picked.get("parcel_ids", pd.Series(dtype=object)).dropna()
        for p in str(ids).split(";")
        if p
    }
)

# --- map of the picked enterprises' parcels ----------------------------------------------------
left, right = st.columns([3, 2], gap="medium")
with left:
    st.markdown("**所选企业的用地**")
    mapview.parcel_map(
        ctx,
        key="ent_map",
        indicator="parcel_class",
        basemap=st.session_state.get("map_basemap", mapview.default_basemap()),
        highlight=parcels,
        focus=parcels or None,
        height=460,
    )
with right:
    if picked.empty:
        st.info("在上表中勾选企业，其用地宗地会在地图上以青色粗线标出并居中显示。")
    else:
        st.markdown(f"已选 {len(picked)} 家企业，涉及宗地 {len(parcels)} 宗：")
        st.dataframe(
            picked[["name", "parcel_ids", "class"]].rename(
                columns={"name": "企业名称", "parcel_ids": "宗地编号", "class": "类别"}
            ),
            hide_index=True,
            width="stretch",
        )

# --- sensitivity -------------------------------------------------------------------------------
st.subheader("敏感性分析")
st.caption(
    "每次只改变一个参数：各指标权重 ±10 分，或 A/B/C 类比例 ±5 个百分点，列出类别因此改变的企业。"
)
if st.button("计算敏感性分析", key="ent_sens_btn"):
    st.session_state["ent_sens_on"] = True
if st.session_state.get("ent_sens_on"):
    with st.spinner("正在计算敏感性分析…"):
        sens = state.sensitivity(ctx.key, _result=res)
    if sens.empty:
        st.success("没有企业因单个参数变动而改变类别。")
    else:
        table = sens.rename(
            columns={
                "credit_code": "统一社会信用代码",
                "name": "企业名称",
                "scenario": "情景",
                "parameter": "规则参数",
                "delta": "变动",
                "class_before": "原类别",
                "class_after": "新类别",
            }
        )
        st.markdown(f"共 {len(table):,} 条(涉及 {table['统一社会信用代码'].nunique():,} 家企业)")
        st.dataframe(table, hide_index=True, width="stretch", height=360, key="ent_sens_table")
