"""总览: headline figures of the park and its zones (shares of land 低效, 在建 and under each
disposition; classes per evaluation group), change on the year before computed like with
like, distributions."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from lcgis.views import report, summary
from lcgis.views.maps import CLASS_COLORS
from lcgis.vocab import DISPOSITION_LABELS, DISPOSITIONS
from ui import papers, render, state

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

#: Metric rows: (headline key, digits).
ROWS: list[list[tuple[str, int]]] = [
    [("land_area_mu", 1), ("n_parcels", 0), ("n_enterprises", 0), ("n_above_scale", 0), ("far", 2)],
    [
        ("output_wan", 0),
        ("tax_wan", 0),
        ("output_per_mu", 1),
        ("tax_per_mu", 2),
        ("extra_floor_area_m2", 0),
    ],
    [
        ("idle_mu", 1),
        ("undeveloped_mu", 1),
        ("inefficient_mu", 1),
        ("in_construction_mu", 1),
        ("est_extra_tax_wan", 0),
    ],
    [(f"{kind}_mu", 1) for kind in DISPOSITIONS],
]
#: Figures that are better when they fall.
GOOD_DOWN = {"idle_mu", "undeveloped_mu", "inefficient_mu", "reclaim_mu", "buyback_mu", "vacate_mu"}
GOOD_DOWN |= {k.replace("_mu", "_share") for k in GOOD_DOWN}


#: Short metric labels (the full wording goes to the help text).
SHORT = {
    "est_extra_tax_wan": (
        "新增税收潜力上限(万元)",
        "零地增资宗地按现有单位建筑面积税收估算的新增税收，是潜力上限而非预测",
    )
}


def label(key: str) -> str:
    if key in SHORT:
        return SHORT[key][0]
    name, unit = summary.HEADLINE_LABELS[key]
    return f"{name}({unit})" if unit else name


def shown(key: str, value: float, digits: int) -> str:
    """A headline figure as shown (shares in %)."""
    return render.num(value, 1, "%") if key in summary.SHARE_KEYS else render.num(value, digits)


def moved(key: str, digits: int) -> str | None:
    """The change on the year before (shares in percentage points)."""
    d = change.get(key, math.nan)
    if key in summary.SHARE_KEYS:
        return render.delta(d * 100, 1, "个百分点")
    return render.delta(d, digits)


p_all = res.parcels
densify_near = p_all[
    p_all["disposition"].eq("densify").fillna(False).astype(bool)
    & p_all["tier"].eq("near").fillna(False).astype(bool)
]

st.subheader("园区")
for row in ROWS:
    for col, (key, digits) in zip(st.columns(len(row)), row, strict=True):
        if key == "densify_mu":  # an opportunity: its headline is the 近期 tier
            col.metric(
                "零地增资·近期(亩)",
                render.num(densify_near["land_area_mu"].sum(), 1),
                help="零地增资是增资机会，不是问题用地；近期梯队为优先推进的宗地。",
            )
            col.caption(
                f"近期 {len(densify_near):,} 宗；全部符合条件 "
                f"{render.num(now['n_densify'], 0)} 宗、{render.num(now['densify_mu'], 1)} 亩"
            )
            continue
        col.metric(
            label(key),
            shown(key, now[key], digits),
            moved(key, digits),
            delta_color="inverse" if key in GOOD_DOWN else "normal",
            help=SHORT[key][1] if key in SHORT else None,
        )
        kind = key.removesuffix("_mu")
        if kind in DISPOSITIONS:
            col.caption(
                f"{render.num(now[f'n_{kind}'], 0)} 宗，占园区用地 "
                f"{render.num(now[f'{kind}_share'], 1, '%')}"
            )
st.caption(
    "每宗地至多一种处置(无偿收回 > 收储改造 > 腾笼换鸟 > 零地增资)，在建宗地不列入。"
    "“潜力上限”按现状强度估算，是上限而非预测。"
)

st.markdown("**用地占比(占园区用地面积)**")
for col, key in zip(st.columns(len(summary.SHARE_KEYS)), summary.SHARE_KEYS, strict=True):
    col.metric(
        label(key),
        shown(key, now[key], 1),
        moved(key, 1),
        delta_color="inverse" if key in GOOD_DOWN else "off",
    )

targets = {k: v for k, v in ctx.rules.relocation.targets.items() if not isinstance(v, dict)}
if targets:
    st.caption(
        "十四五规划目标："
        + "；".join(f"{label(k)} {render.num(v)}" for k, v in targets.items())
        + f"(来源：{render.md(ctx.rules.source('relocation_targets'))})"
    )
else:
    st.info(
        "十四五规划目标：尚无可引用的正式指标值，图表旁不标注目标。取得规划文本后，"
        "可在规则文件的 [relocation.targets] 中填写目标值，"
        "并在 [sources] relocation_targets 中注明出处。",
        icon=":material/flag:",
    )

st.subheader("评价类别")
classes = res.enterprises.get("class", pd.Series(dtype="string"))
ent_counts = summary.class_counts(classes)
n_unrated = int(pd.Series(classes).isna().sum())
par_counts = summary.class_counts(res.parcels.get("parcel_class", pd.Series(dtype="string")))
prev_classes = (
    prev_res.enterprises.get("class", pd.Series(dtype="string")) if prev_res is not None else None
)
prev_counts = summary.class_counts(prev_classes) if prev_classes is not None else {}
cols = st.columns(len(summary.CLASSES) + 1)
for col, c in zip(cols, summary.CLASSES, strict=False):
    d = ent_counts[c] - prev_counts[c] if prev_counts else None
    col.metric(
        f"{summary.CLASS_LABELS[c]} 企业(家)",
        render.num(ent_counts[c], 0),
        None if d is None else f"{d:+,d}",
        delta_color="off",
    )
    col.caption(f"宗地 {par_counts[c]:,} 宗")
d_unrated = (
    n_unrated - int(pd.Series(prev_classes).isna().sum()) if prev_classes is not None else None
)
cols[-1].metric(
    f"{summary.UNRATED}企业(家)",
    render.num(n_unrated, 0),
    None if d_unrated is None else f"{d_unrated:+,d}",
    delta_color="off",
)
cols[-1].caption("缺少年度数据、用地或组内企业不足")
st.markdown("**各评价组类别(家)**")
groups = summary.group_class_table(res.enterprises)
groups.columns = [f"{c}类(家)" if c in summary.CLASSES else f"{c}(家)" for c in groups.columns]
render.table(groups.rename_axis("评价组").reset_index(), key="overview_groups")

st.subheader("各片区")
zones = report.zone_table(res)
zone_sheet = state.workbook_sheets(ctx.key, _result=res)["片区"]
render.table(
    zone_sheet,
    key="overview_zones",
    hidden=render.hidden_labels(res.access, zone_sheet.columns, totals=True),
)
st.caption(
    "各类企业按其用地最多的宗地所在片区计数；企业数按在该片区有用地的企业计，"
    "跨片区企业在园区合计中只计一次。"
)

if before:
    st.subheader("同比变化")
    decimals = {key: d for row in ROWS for key, d in row}
    keys = [k for k in summary.HEADLINE_LABELS if k in now]
    yoy = pd.DataFrame(
        {
            "指标": [label(k) for k in keys],
            f"{ctx.year} 年": [shown(k, now[k], decimals.get(k, 2)) for k in keys],
            f"{prev_res.year if prev_res else ''} 年": [
                shown(k, before.get(k, math.nan), decimals.get(k, 2)) for k in keys
            ],
            "变化": [moved(k, decimals.get(k, 2)) or "持平" for k in keys],
        }
    )
    st.dataframe(yoy, hide_index=True, width=720, key="overview_yoy")

st.subheader("分布")
c1, c2, c3 = st.columns(3)
hist = summary.distribution(res.parcels.get("tax_per_mu", pd.Series(dtype=float)), bins=15)
hist["区间"] = [f"{a:,.1f}–{b:,.1f}" for a, b in zip(hist["left"], hist["right"], strict=True)]
with c1:
    st.markdown("**宗地亩均税收分布(万元/亩)**")
    st.altair_chart(
        alt.Chart(hist)
        .mark_bar(color="#4292c6")
        .encode(
            x=alt.X("left:Q", bin="binned", title="亩均税收(万元/亩)"),
            x2="right:Q",
            y=alt.Y("count:Q", title="宗地数(宗)"),
            tooltip=[alt.Tooltip("区间:N", title="区间"), alt.Tooltip("count:Q", title="宗数")],
        )
        .properties(height=260),
        width="stretch",
    )
with c2:
    st.markdown("**参评企业类别(家)**")
    rated = [c for c in summary.CLASSES if c != "T"]
    cls = pd.DataFrame({"类别": rated, "企业数": [ent_counts[c] for c in rated]})
    st.altair_chart(
        alt.Chart(cls)
        .mark_bar()
        .encode(
            x=alt.X("类别:N", sort=rated, title="类别"),
            y=alt.Y("企业数:Q", title="企业数(家)"),
            color=alt.Color(
                "类别:N",
                scale=alt.Scale(domain=list(CLASS_COLORS), range=list(CLASS_COLORS.values())),
                legend=None,
            ),
            tooltip=["类别", "企业数"],
        )
        .properties(height=260),
        width="stretch",
    )
    st.caption(f"另有 T 类(不参评)企业 {ent_counts['T']:,} 家，未画出。")
with c3:
    st.markdown("**各片区亩均税收(万元/亩)**")
    zt = zones[["zone_name", "tax_per_mu", "output_per_mu"]].rename(
        columns={"zone_name": "片区", "tax_per_mu": "亩均税收", "output_per_mu": "亩均产值"}
    )
    st.altair_chart(
        alt.Chart(zt)
        .mark_bar(color="#41ab5d")
        .encode(
            x=alt.X("片区:N", sort=None, title="片区"),
            y=alt.Y("亩均税收:Q", title="亩均税收(万元/亩)"),
            tooltip=[
                "片区",
                alt.Tooltip("亩均税收:Q", format=",.2f"),
                alt.Tooltip("亩均产值:Q", format=",.1f"),
            ],
        )
        .properties(height=260),
        width="stretch",
    )

land = pd.DataFrame(
    {
        "类型": [
            "闲置",
            "未开发",
            "低效",
            "在建",
            *(DISPOSITION_LABELS[k] for k in DISPOSITIONS if k != "densify"),
        ],
        "面积(亩)": [
            now["idle_mu"],
            now["undeveloped_mu"],
            now["inefficient_mu"],
            now["in_construction_mu"],
            *(now[f"{k}_mu"] for k in DISPOSITIONS if k != "densify"),
        ],
    }
)
st.markdown("**需关注用地(亩)**(零地增资是增资机会，不列入)")
st.altair_chart(
    alt.Chart(land)
    .mark_bar(color="#e66101")
    .encode(
        y=alt.Y("类型:N", sort=None, title=None),
        x=alt.X("面积(亩):Q", title="面积(亩)"),
        tooltip=["类型", alt.Tooltip("面积(亩):Q", format=",.1f")],
    )
    .properties(height=220),
    width="stretch",
)
