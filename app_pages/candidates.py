"""候选: the four disposition shortlists (无偿收回, 收储改造, 腾笼换鸟, 零地增资) in tier and
priority order, with reasons, estimated gains (潜力上限) and totals per zone."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lcgis.views import report
from lcgis.vocab import DISPOSITION_LABELS, DISPOSITIONS, TIER_LABELS
from ui import auth, papers, render, state

ctx = state.context()
res = ctx.result
rules = res.rules
sheets = state.workbook_sheets(ctx.key, _result=res)
L = report.LABELS
TIER = L["tier"]

st.title("候选")
near, mid = rules.priority.tier_shares
st.caption(
    "每宗地至多列入一个清单，依次判定：无偿收回 > 收储改造 > 腾笼换鸟 > 零地增资；在建宗地不列入。"
    f"各清单按优先级从高到低排列，前 {near:.0%} 为近期、至 {mid:.0%} 为中期、其余为储备。"
    "标注“潜力上限”的收益按现状强度估算，是上限而非预测，合计同样只是潜力上限。"
)
auth.confidential_note()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
st.download_button(
    "下载 Excel 工作簿(" + "、".join(report.SHEETS) + ")",
    data=state.export_bytes(ctx.key, ".xlsx", _result=res),
    file_name=f"评价结果_{ctx.year or ''}.xlsx",
    mime=XLSX,
    key="cand_download",
    icon=":material/download:",
)
papers.list_buttons(ctx)

tiers = st.multiselect(
    "梯队",
    list(TIER_LABELS.values()),
    default=list(TIER_LABELS.values()),
    key="cand_tier",
    help="只看所选梯队的宗地(各片区合计随之变化)。",
)

#: Columns summed per zone on each list (all headers of estimated gains say 潜力上限).
SUMS = {
    "reclaim": ["land_area_mu", "potential_output_wan", "potential_tax_wan"],
    "buyback": ["land_area_mu", "potential_output_wan", "potential_tax_wan"],
    "vacate": ["land_area_mu", "potential_output_wan", "potential_tax_wan"],
    "densify": ["land_area_mu", "extra_floor_area_m2", "est_extra_output_wan", "est_extra_tax_wan"],
}
#: How each list's estimated gains are found.
GAINS = {
    "reclaim": "按片区亩均水平可产出 = 用地面积 × 片区亩均产值/税收(潜力上限)",
    "buyback": "按片区亩均水平可产出 = 用地面积 × 片区亩均产值/税收(潜力上限)",
    "vacate": "按片区亩均水平可产出 = 用地面积 × 片区亩均产值/税收(潜力上限)",
    "densify": "预计新增 = 可增建筑面积 × 现有单位建筑面积产出(潜力上限)；"
    "目标容积率依泉政办规〔2025〕13号",
}


def zone_totals(df: pd.DataFrame, sums: list[str]) -> pd.DataFrame:
    """Per zone: parcel count and the sum of each column, with a 合计 row."""
    zone = L["zone_name"]
    d = df.copy()
    d[zone] = d[zone].fillna("片区外").replace("", "片区外")
    cols = [c for c in sums if c in d]
    g = d.groupby(zone, sort=False)
    out = g[cols].sum(min_count=1)
    out.insert(0, "宗地数(宗)", g.size())
    # the zones file order (北, 中, 南 …), 片区外 last
    known = [z for z in res.zones.get("zone_name", pd.Series(dtype=object)) if z in out.index]
    rest = sorted(z for z in out.index if z not in known and z != "片区外")
    tail = ["片区外"] if "片区外" in out.index else []
    out = out.reindex([*known, *rest, *tail]).reset_index()
    total = {zone: "合计", "宗地数(宗)": len(d), **{c: d[c].sum(min_count=1) for c in cols}}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def committee_order(df: pd.DataFrame) -> pd.DataFrame:
    """The columns a committee reads first: 宗地编号, 梯队, 处置理由, the 潜力上限 gains."""
    first = [L["parcel_id"], TIER, L["disposition_reasons"]]
    first += [c for c in df.columns if str(c).endswith("(潜力上限)")]
    first = [c for c in first if c in df]
    return df[first + [c for c in df.columns if c not in first]]


lists = {kind: committee_order(sheets[DISPOSITION_LABELS[kind]]) for kind in DISPOSITIONS}
shown = {kind: df[df[TIER].isin(tiers)].reset_index(drop=True) for kind, df in lists.items()}
tabs = st.tabs(
    [f"{DISPOSITION_LABELS[k]}({len(shown[k])}/{len(lists[k])} 宗)" for k in DISPOSITIONS]
)
for tab, kind in zip(tabs, DISPOSITIONS, strict=True):
    with tab:
        df = shown[kind]
        st.caption(f"依据：{render.md(rules.source(kind))}")
        if lists[kind].empty:
            st.info(f"本次评价没有列入{DISPOSITION_LABELS[kind]}的宗地。")
            continue
        st.markdown("**各片区合计**")
        totals = zone_totals(df, [L[c] for c in SUMS[kind]])
        render.table(
            totals,
            key=f"cand_{kind}_zones",
            hidden=render.hidden_labels(res.access, totals.columns, totals=True),
        )
        st.markdown(f"**清单**(按梯队、优先级排列；处置理由为规则判定结果；{GAINS[kind]})")
        render.table(
            df,
            key=f"cand_{kind}",
            height=420,
            hidden=render.hidden_labels(res.access, df.columns),
        )
