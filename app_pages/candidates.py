"""候选: the 腾笼换鸟 and 零地增资 lists with reasons and estimated gains, totals per zone."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lcgis import maps, report
from ui import papers, render, state

ctx = state.context()
res = ctx.result
sheets = report.workbook_sheets(res)
L = report.LABELS
main = pd.Series(
    maps.main_names(res.parcels, res.enterprises).to_numpy(),
    index=res.parcels["parcel_id"].astype(str).to_numpy(),
)
for sheet in ("腾笼换鸟", "零地增资"):
    df = sheets[sheet]
    df.insert(2, "主要用地企业", df[L["parcel_id"]].astype(str).map(main).fillna(""))

st.title("候选")
st.caption(
    "腾笼换鸟：低效且为 D 类、亩均税收偏低、闲置或未开发的宗地，收益按片区亩均水平估算；"
    "零地增资：亩均税收达标、可提高容积率的宗地，收益按现有单位建筑面积产出估算。表头可点击排序。"
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
st.download_button(
    "下载 Excel 工作簿(宗地、企业、片区、腾笼换鸟、零地增资、数据质量)",
    data=state.export_bytes(ctx.key, ".xlsx", _result=res),
    file_name=f"评价结果_{ctx.year or ''}.xlsx",
    mime=XLSX,
    key="cand_download",
    icon=":material/download:",
)
papers.list_buttons(ctx)


def zone_totals(df: pd.DataFrame, sums: list[str]) -> pd.DataFrame:
    """Per zone: parcel count and the sum of each column, with a 合计 row."""
    zone = L["zone_name"]
    d = df.copy()
    d[zone] = d[zone].fillna("片区外").replace("", "片区外")
    cols = [c for c in sums if c in d]
    g = d.groupby(zone, sort=True)
    out = g[cols].sum(min_count=1)
    out.insert(0, "宗地数(宗)", g.size())
    out = out.reset_index()
    total = {zone: "合计", "宗地数(宗)": len(d), **{c: d[c].sum(min_count=1) for c in cols}}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


vac_tab, den_tab = st.tabs(
    [f"腾笼换鸟({len(sheets['腾笼换鸟'])} 宗)", f"零地增资({len(sheets['零地增资'])} 宗)"]
)
with vac_tab:
    vac = sheets["腾笼换鸟"]
    sums = [L["land_area_mu"], L["potential_output_wan"], L["potential_tax_wan"]]
    st.markdown("**各片区合计**")
    render.table(zone_totals(vac, sums), key="cand_vac_zones")
    st.markdown("**候选宗地**(理由为规则判定结果；预计收益 = 用地面积 × 片区亩均产值/税收)")
    render.table(vac, key="cand_vac", height=420)
with den_tab:
    den = sheets["零地增资"]
    sums = [
        L["land_area_mu"],
        L["extra_floor_area_m2"],
        L["est_extra_output_wan"],
        L["est_extra_tax_wan"],
    ]
    st.markdown("**各片区合计**")
    render.table(zone_totals(den, sums), key="cand_den_zones")
    st.markdown(
        "**候选宗地**(目标容积率依泉政办规〔2025〕13号；"
        "预计新增 = 可增建筑面积 × 现有单位建筑面积产出)"
    )
    render.table(den, key="cand_den", height=420)
