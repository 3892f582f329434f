"""Sections of the 总览 screen: the headline metric rows, the shares, the plan targets, the
classes, the year-on-year table and the charts (their data from :mod:`lcgis.views.charts`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd
import streamlit as st

from lcgis.access import MASKED
from lcgis.plans import current_plan
from lcgis.views import charts, summary
from lcgis.views import targets as plan_targets
from lcgis.views.maps import CLASS_COLORS
from lcgis.views.report import figure_label
from lcgis.vocab import DISPOSITIONS, HEADLINE_SHORT_LABELS

from . import keys, render

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lcgis.engine.pipeline import Result

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
SHORT = HEADLINE_SHORT_LABELS


def label(key: str) -> str:
    if key in SHORT:
        return SHORT[key][0]
    name, unit = summary.HEADLINE_LABELS[key]
    return f"{name}({unit})" if unit else name


def shown(key: str, value: float, digits: int) -> str:
    """A headline figure as shown (shares in %)."""
    return render.num(value, 1, "%") if key in summary.SHARE_KEYS else render.num(value, digits)


def moved(change: Mapping[str, float], key: str, digits: int) -> str | None:
    """The change on the year before (shares in percentage points)."""
    d = change.get(key, math.nan)
    if key in summary.SHARE_KEYS:
        return render.delta(d * 100, 1, "个百分点")
    return render.delta(d, digits)


def park_rows(res: Result, now: Mapping[str, float], change: Mapping[str, float]) -> None:
    """园区: the headline metric rows (零地增资 by its 近期 tier) and the shares of land."""
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
                moved(change, key, digits),
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
            moved(change, key, 1),
            delta_color="inverse" if key in GOOD_DOWN else "off",
        )


def targets(res: Result) -> None:
    """The current plan's headline targets beside the park's latest figures (the rest on
    the 规划 screen)."""
    plan = current_plan(list(res.rules.plans), res.year)
    if plan is None:
        st.info("规则中没有规划目标。可在规则文件中以 [[plan]] 填写。", icon=":material/flag:")
        return
    table = plan_targets.headline(res, plan)
    if table.empty:
        return
    hidden = {figure_label(k, res.rules) for k in plan_targets.hidden_targets(res, plan)}
    st.markdown(f"**{render.md(plan.name)}({plan.start}–{plan.end})主要目标与园区现状**")
    shown = render.by_row(table, "目标", ["园区最新值", "目标值"])
    shown["完成度"] = [render.cell_text(v, ("share", 1)) for v in table["完成度"]]
    for label in hidden:
        shown.loc[shown["目标"] == label, ["园区最新值", "完成度", "说明"]] = MASKED
    render.table(shown.drop(columns=["年度"]), key=keys.OVERVIEW_TARGETS)
    st.caption(
        f"来源：{render.md(plan.source)}。规划目标为全区目标，园区数字仅作参照"
        f"({int(table['年度'].max()) if table['年度'].notna().any() else '—'} 年)；"
        "全部目标、各片区与趋势见“规划”页。"
    )


def classes(res: Result, prev_res: Result | None) -> dict[str, int]:
    """评价类别: enterprises (and parcels) per class with the change on the year before, and
    per evaluation group; the enterprise counts per class."""
    st.subheader("评价类别")
    none = pd.Series(dtype="string")
    cls = res.enterprises.get("class", none)
    ent_counts = summary.class_counts(cls)
    n_unrated = int(pd.Series(cls).isna().sum())
    par_counts = summary.class_counts(res.parcels.get("parcel_class", none))
    prev = prev_res.enterprises.get("class", none) if prev_res is not None else None
    prev_counts = summary.class_counts(prev) if prev is not None else {}
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
    d_unrated = n_unrated - int(pd.Series(prev).isna().sum()) if prev is not None else None
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
    render.table(groups.rename_axis("评价组").reset_index(), key=keys.OVERVIEW_GROUPS)
    return ent_counts


def zones(res: Result, zone_sheet: pd.DataFrame) -> None:
    """各片区: the workbook's zone sheet."""
    st.subheader("各片区")
    render.table(
        zone_sheet,
        key=keys.OVERVIEW_ZONES,
        hidden=render.hidden_labels(res.access, zone_sheet.columns, totals=True),
    )
    st.caption(
        "各类企业按其用地最多的宗地所在片区计数；企业数按在该片区有用地的企业计，"
        "跨片区企业在园区合计中只计一次。主导产业用地(产值)占比 = 符合片区主导产业企业的分摊用地"
        "(产值) ÷ 该片区有行业代码企业的分摊用地(产值)。"
    )


def year_on_year(
    now: Mapping[str, float],
    before: Mapping[str, float],
    change: Mapping[str, float],
    year: int | None,
    prev_year: int | None,
) -> None:
    """同比变化: every headline figure this year, the year before and the change."""
    st.subheader("同比变化")
    decimals = {key: d for row in ROWS for key, d in row}
    names = [k for k in summary.HEADLINE_LABELS if k in now]
    yoy = pd.DataFrame(
        {
            "指标": [label(k) for k in names],
            f"{year} 年": [shown(k, now[k], decimals.get(k, 2)) for k in names],
            f"{prev_year or ''} 年": [
                shown(k, before.get(k, math.nan), decimals.get(k, 2)) for k in names
            ],
            "变化": [moved(change, k, decimals.get(k, 2)) or "持平" for k in names],
        }
    )
    st.dataframe(yoy, hide_index=True, width=720, key=keys.OVERVIEW_YOY)


def _bars(data: pd.DataFrame, height: int) -> alt.Chart:
    return alt.Chart(data).properties(height=height)


def distributions(
    res: Result, zone_table: pd.DataFrame, ent_counts: dict[str, int], now: Mapping[str, float]
) -> None:
    """分布: parcels by 亩均税收, enterprises by class, zones by 亩均税收, land to watch."""
    st.subheader("分布")
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**宗地亩均税收分布(万元/亩)**")
        chart = _bars(charts.tax_histogram(res.parcels), 260).mark_bar(color="#4292c6")
        st.altair_chart(
            chart.encode(
                x=alt.X("left:Q", bin="binned", title="亩均税收(万元/亩)"),
                x2="right:Q",
                y=alt.Y("count:Q", title="宗地数(宗)"),
                tooltip=[alt.Tooltip("区间:N", title="区间"), alt.Tooltip("count:Q", title="宗数")],
            ),
            width="stretch",
        )
    with c2:
        st.markdown("**参评企业类别(家)**")
        scale = alt.Scale(domain=list(CLASS_COLORS), range=list(CLASS_COLORS.values()))
        st.altair_chart(
            _bars(charts.class_bars(ent_counts), 260)
            .mark_bar()
            .encode(
                x=alt.X("类别:N", sort=charts.RATED, title="类别"),
                y=alt.Y("企业数:Q", title="企业数(家)"),
                color=alt.Color("类别:N", scale=scale, legend=None),
                tooltip=["类别", "企业数"],
            ),
            width="stretch",
        )
        st.caption(f"另有 T 类(不参评)企业 {ent_counts['T']:,} 家，未画出。")
    with c3:
        st.markdown("**各片区亩均税收(万元/亩)**")
        st.altair_chart(
            _bars(charts.zone_bars(zone_table), 260)
            .mark_bar(color="#41ab5d")
            .encode(
                x=alt.X("片区:N", sort=None, title="片区"),
                y=alt.Y("亩均税收:Q", title="亩均税收(万元/亩)"),
                tooltip=[
                    "片区",
                    alt.Tooltip("亩均税收:Q", format=",.2f"),
                    alt.Tooltip("亩均产值:Q", format=",.1f"),
                ],
            ),
            width="stretch",
        )
    st.markdown("**需关注用地(亩)**(零地增资是增资机会，不列入)")
    st.altair_chart(
        _bars(charts.attention_land(now), 220)
        .mark_bar(color="#e66101")
        .encode(
            y=alt.Y("类型:N", sort=None, title=None),
            x=alt.X("面积(亩):Q", title="面积(亩)"),
            tooltip=["类型", alt.Tooltip("面积(亩):Q", format=",.1f")],
        ),
        width="stretch",
    )
