"""Sections of the 规划 screen: a plan's targets against the park's and each zone's figures
by year (table and charts), the chains and size classes by year, the zones' fit with their
leading industries, and the next period's targets typed in to see the gap.

The tables and chart data come from :mod:`lcgis.views.targets`; a district (全区) target is
shown beside the park's figure as context, never as reached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import pandas as pd
import streamlit as st

from lcgis.access import MASKED
from lcgis.data.industry import division_names
from lcgis.plans import PARK, Plan, Target, current_plan
from lcgis.views import targets
from lcgis.views.report import figure_label, plans_sheet
from lcgis.vocab import ASSESSMENT_LABELS as A
from lcgis.vocab import HEADLINE_TARGETS
from lcgis.vocab import ZONE_FIT_LABELS as Z

from . import keys, render

if TYPE_CHECKING:
    from lcgis.engine.pipeline import Result

#: The period typed in on the screen (the committee may change every field).
NEXT = ("15th", "鲤城区“十五五”制造业发展目标(委员会录入)", 2026, 2030)
_PERCENT = (A["share_reached"], A["growth_needed"])


def plans_of(res: Result) -> list[Plan]:
    """The plans of the rules, then the one typed in on this screen (if any)."""
    typed = st.session_state.get(keys.PLAN_TYPED)
    known = list(res.rules.plans)
    if typed is not None and all(p.key != typed.key for p in known):
        known.append(typed)
    return known


def choose(res: Result) -> tuple[Plan, str]:
    """The plan and the scope (园区 or a zone) the screen shows."""
    plans = plans_of(res)
    default = current_plan(plans, res.year)
    c1, c2 = st.columns([2, 3])
    index = plans.index(default) if default in plans else 0
    plan = c1.selectbox(
        "规划", plans, index=index, format_func=lambda p: f"{p.name}({p.start}–{p.end})",
        key=keys.PLAN_CHOICE,
    )  # fmt: skip
    scopes = targets.scope_options(res)
    scope = c2.segmented_control(
        "统计范围", list(scopes), format_func=lambda s: scopes[s], default=PARK, key=keys.PLAN_SCOPE
    )
    return plan, scope or PARK


def assessment(res: Result, plan: Plan, scope: str) -> None:
    """The targets against the scope's figures by year."""
    name = targets.scope_options(res)[scope]
    st.subheader(f"目标完成情况：{name}")
    st.caption(
        f"{render.md(plan.name)}({plan.start}–{plan.end} 年)，来源：{render.md(plan.source)}。"
        "“全区”目标是全区的数字，园区(或片区)的数字只作参照，不判定是否达到；"
        "“完成度”= 最新值 ÷ 目标值；“所需年均增速”= 从最新年度到规划期末达到目标每年需要的增长"
        "(规划期已结束时不计)。"
    )
    sheet = plans_sheet(res, [plan])
    if sheet.empty:
        st.info("该规划没有目标。")
        return
    rows = sheet[sheet[A["scope"]] == name]
    hidden = {figure_label(k, res.rules) for k in targets.hidden_targets(res, plan)}
    if hidden:
        rows = rows.copy()
        rows.loc[rows[A["target"]].isin(hidden), A["status"]] = MASKED
        st.caption(f"标为“{MASKED}”的目标由产值、营收等保密数字计算，登录为核查人员后可见。")
    years = [c for c in rows.columns if c.endswith("年") and c[:4].isdigit()]
    shown = rows[[A["target"], A["target_scope"], *years, A["target_value"], *_PERCENT,
                  A["status"], A["wording"]]]  # fmt: skip
    shown = render.by_row(shown, A["target"], [*years, A["target_value"]])
    for col in _PERCENT:
        shown[col] = [render.cell_text(v, ("share", 1)) for v in rows[col]]
    render.table(shown, key=keys.PLAN_TABLE)


def _computable(res: Result, plan: Plan) -> list[str]:
    f = res.plan_figures
    return [t.key for t in plan.targets if t.key in f and f[t.key].notna().any()]


def trend(res: Result, plan: Plan, scope: str) -> None:
    """One target's figure by year with the target drawn as a dashed line."""
    keys_ = list(dict.fromkeys(_computable(res, plan)))
    if not keys_:
        return
    first = next((k for k in HEADLINE_TARGETS if k in keys_), keys_[0])
    key = st.selectbox(
        "趋势图指标", keys_, index=keys_.index(first),
        format_func=lambda k: figure_label(k, res.rules), key=keys.PLAN_FIGURE,
    )  # fmt: skip
    data = targets.figure_trend(res, key, scope)
    if data["数值"].isna().all():
        st.info("该指标在当前角色下不可见，或数据中没有。")
        return
    label = figure_label(key, res.rules)
    line = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("年度:O", title="年度"),
            y=alt.Y("数值:Q", title=label),
            tooltip=["年度", alt.Tooltip("数值:Q", format=",.2f")],
        )
    )
    target = plan.target(key)
    layers: list[alt.Chart] = [line]
    if target is not None:
        note = f"{target.scope}目标 {target.value:g}"
        rule = pd.DataFrame({"目标": [target.value], "说明": [note]})
        layers.append(
            alt.Chart(rule)
            .mark_rule(strokeDash=[6, 4], color="#d62728")
            .encode(y="目标:Q", tooltip=["说明"])
        )
    st.altair_chart(
        alt.layer(*layers).properties(height=300, title=f"{label}：{plan.start - 1} 年以来"),
        width="stretch",
    )
    if target is not None and target.scope == "全区":
        st.caption("红色虚线为全区目标，园区的数字只作参照。图表右上角菜单可另存为 PNG/SVG。")


def chains(res: Result, scope: str) -> None:
    """The chains' output by year, and the firms by size class and honour."""
    c1, c2 = st.columns(2)
    data = targets.chain_trend(res, scope)
    with c1:
        st.markdown("**产业链产值(亿元)**")
        if data.empty or data["产值(亿元)"].isna().all():
            st.info("产业链产值在当前角色下不可见，或数据中没有。")
        else:
            st.altair_chart(
                alt.Chart(data)
                .mark_line(point=True)
                .encode(
                    x=alt.X("年度:O"),
                    y=alt.Y("产值(亿元):Q"),
                    color=alt.Color("产业链:N", legend=alt.Legend(orient="bottom")),
                    tooltip=["年度", "产业链", alt.Tooltip("产值(亿元):Q", format=",.2f")],
                )
                .properties(height=280),
                width="stretch",
            )
    sizes = targets.size_trend(res, scope)
    with c2:
        st.markdown("**企业数(家)：按规模与称号**")
        render.table(sizes, key=keys.PLAN_SIZES)


def zone_fit(res: Result) -> None:
    """Each zone's role and leading industries, the share of its land and output in them,
    and the firms outside them."""
    st.subheader("片区定位与主导产业")
    z = pd.DataFrame(res.zones)
    cols = [c for c in ("zone_name", "role", "leading_industries", "fit_land_share",
                        "fit_output_share") if c in z]  # fmt: skip
    if "zone_name" not in cols:
        st.info("数据中没有片区。")
        return
    table = z[cols].copy()
    if "leading_industries" in table:
        table["leading_industries"] = table["leading_industries"].map(division_names)
    table = table.rename(columns={"zone_name": "片区", **Z})
    render.table(table, key=keys.PLAN_ZONES)
    bad = targets.misfits(res)
    st.markdown(f"**行业不在所在片区主导产业之内的企业({len(bad):,} 家)**")
    st.caption("“一园一主导产业”：这只是腾笼换鸟的次要理由，从不单独列入处置清单。")
    render.table(bad, key=keys.PLAN_MISFITS, height=300)


def next_period(res: Result) -> None:
    """The next period's targets typed in one by one: the gap and the yearly growth needed,
    and the plans file to keep them."""
    st.subheader("录入下一规划期目标(如“十五五”)")
    st.caption(
        "逐条添加目标，即可看到与最新数字的差距和所需年均增速。下载的规划文件可作为规则文件"
        "在左侧边栏上传(管理员)，此后各页面与工作簿都按它评估。"
    )
    key, name, start, end = NEXT
    typed: Plan = st.session_state.get(keys.PLAN_TYPED) or Plan(key, name, start, end, "")
    options = targets.figure_options(res.rules)
    scopes = targets.scope_choices(res)
    with st.form(keys.PLAN_NEW_FORM):
        c1, c2, c3 = st.columns([3, 2, 2])
        label = c1.selectbox("指标", list(options), key=keys.PLAN_NEW_FIGURE)
        scope = c2.selectbox(
            "范围", list(scopes), format_func=lambda s: scopes[s], index=1,
            key=keys.PLAN_NEW_SCOPE,
        )  # fmt: skip
        value = c3.number_input("目标值", min_value=0.0, value=None, key=keys.PLAN_NEW_VALUE)
        c4, c5, c6 = st.columns([3, 1, 1])
        name = c4.text_input("规划名称", value=typed.name, key=keys.PLAN_NEW_NAME)
        start = int(c5.number_input("起始年", value=typed.start, step=1, key=keys.PLAN_NEW_START))
        end = int(c6.number_input("结束年", value=typed.end, step=1, key=keys.PLAN_NEW_END))
        added = st.form_submit_button("添加目标", type="primary")
    if added and value is not None:
        figure = options[label]
        unit = _unit_of(res, figure)
        kept = tuple(t for t in typed.targets if (t.key, t.scope) != (figure, scope))
        typed = Plan(key, name, start, end, "园区管委会录入",
                     (*kept, Target(figure, float(value), unit, scope)))  # fmt: skip
        st.session_state[keys.PLAN_TYPED] = typed
    if not typed.targets:
        st.info("添加至少一个目标后，这里显示差距。")
        return
    sheet = plans_sheet(res, [typed])
    cols = [A["target"], A["target_scope"], A["scope"], A["latest_value"], A["target_value"],
            A["share_reached"], A["growth_needed"], A["status"]]  # fmt: skip
    rows = sheet[sheet[A["scope"]] == sheet[A["target_scope"]].where(
        sheet[A["target_scope"]] != "全区", targets.scope_options(res)[PARK]
    )][cols]  # fmt: skip
    shown = render.by_row(rows, A["target"], [A["latest_value"], A["target_value"]])
    for col in _PERCENT:
        shown[col] = [render.cell_text(v, ("share", 1)) for v in rows[col]]
    render.table(shown, key=keys.PLAN_NEW_GAP)
    d1, d2 = st.columns(2)
    d1.download_button(
        "下载规划文件(.toml)",
        data=targets.plan_toml(typed).encode("utf-8"),
        file_name=f"规划_{typed.start}-{typed.end}.toml",
        mime="application/toml",
        key=keys.PLAN_NEW_DL,
    )
    d2.button("清空录入的目标", on_click=_clear, key=keys.PLAN_NEW_CLEAR)


def _clear() -> None:
    st.session_state[keys.PLAN_TYPED] = None


def _unit_of(res: Result, figure: str) -> str:
    """The unit the rules' plans give a figure, else the one in its name's brackets."""
    for plan in res.rules.plans:
        t = plan.target(figure)
        if t is not None:
            return t.unit
    label = figure_label(figure, res.rules)
    return label[label.rfind("(") + 1 : -1] if label.endswith(")") else ""
