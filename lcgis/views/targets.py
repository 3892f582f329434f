"""The 规划 screen's tables and chart data: a plan's targets against the park's and each
zone's figures by year, the chains and size classes by year, the firms outside their zone's
leading industries, the 总览's headline targets, and a plan typed in on the screen (十五五)
made into a :class:`~lcgis.plans.Plan` and written back as a plans file.

>>> from lcgis.plans import Target, plans_from_tables, plan_tables
>>> plan = Plan("15th", "十五五", 2026, 2030, "委员会", (Target("listed", 12.0, "家", "园区"),))
>>> plans_from_tables(plan_tables(plan_toml(plan), "x.toml")) == (plan,)
True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from lcgis.data.frame import column, flag
from lcgis.data.industry import division_name
from lcgis.plans import DISTRICT, PARK, Plan
from lcgis.views.report import figure_label, plans_table, scope_names
from lcgis.vocab import (
    HEADLINE_TARGETS,
    PLAN_FIGURE_LABELS,
    PLAN_STATUS_LABELS,
)

if TYPE_CHECKING:
    from lcgis.engine.pipeline import Result
    from lcgis.rules import Rules

__all__ = [
    "chain_trend",
    "figure_trend",
    "headline",
    "misfits",
    "plan_toml",
    "scope_options",
    "size_trend",
]


def scope_options(result: Result) -> dict[str, str]:
    """Scopes a committee looks at: the park, then each zone (code → name)."""
    names = scope_names(result)
    zones = result.zones
    ids = [str(z) for z in zones["zone_id"].dropna()] if "zone_id" in zones else []
    return {PARK: names[PARK], **{z: names.get(z, z) for z in ids}}


def _figures(result: Result, scope: str) -> pd.DataFrame:
    f = result.plan_figures
    if f.empty:
        return f
    return f[f["scope"].astype(str) == scope].sort_values("year")


def figure_trend(result: Result, key: str, scope: str) -> pd.DataFrame:
    """年度 and the figure ``key`` of ``scope`` for each year of the data (a chart's data)."""
    f = _figures(result, scope)
    if f.empty or key not in f:
        return pd.DataFrame(columns=["年度", "数值"])
    return pd.DataFrame({"年度": f["year"].astype(int).to_numpy(), "数值": f[key].to_numpy()})


def chain_trend(result: Result, scope: str) -> pd.DataFrame:
    """年度 × 产业链 output (亿元) of ``scope``, long (a chart's data)."""
    f = _figures(result, scope)
    rows = []
    for key, chain in result.rules.chains.items():
        col = f"chain_{key}_yi"
        if col in f:
            rows += [
                {"年度": int(y), "产业链": chain.name, "产值(亿元)": v}
                for y, v in zip(f["year"], f[col], strict=True)
            ]
    return pd.DataFrame(rows, columns=["年度", "产业链", "产值(亿元)"])


def size_trend(result: Result, scope: str) -> pd.DataFrame:
    """年度 and the firms of ``scope`` by size class and honour (家)."""
    f = _figures(result, scope)
    keys = ["above_scale_firms", "below_scale_firms", "firms_output_over_1yi", "high_tech"]
    keys += ["specialised_sme"]
    keys = [k for k in keys if k in f]
    out = pd.DataFrame({"年度": f["year"].astype(int).to_numpy()})
    for k in keys:
        out[PLAN_FIGURE_LABELS[k]] = f[k].to_numpy()
    return out


def headline(result: Result, plan: Plan) -> pd.DataFrame:
    """The 总览's few headline targets of ``plan``: the park's latest figure beside each,
    how far it has come, and what a district target means for it."""
    t = plans_table(result, [plan])
    if t.empty:
        return pd.DataFrame(columns=["目标", "园区最新值", "目标值", "完成度", "说明"])
    t = t[(t["scope"] == PARK) & t["target"].isin(HEADLINE_TARGETS)]
    return pd.DataFrame(
        {
            "目标": [figure_label(k, result.rules) for k in t["target"]],
            "园区最新值": t["latest_value"].to_numpy(),
            "年度": t["latest_year"].to_numpy(),
            "目标值": t["target_value"].to_numpy(),
            "完成度": t["share_reached"].to_numpy(),
            "说明": [PLAN_STATUS_LABELS[s] for s in t["status"]],
        }
    )


def hidden_targets(result: Result, plan: Plan) -> set[str]:
    """The target figures the result's role may not see (their values are blank)."""
    policy = result.access
    if policy is None:
        return set()
    hidden = set()
    for t in plan.targets:
        probe = pd.DataFrame({t.key: [1.0]})
        if bool(policy.mask_figures(probe)[t.key].isna().iloc[0]):
            hidden.add(t.key)
    return hidden


def misfits(result: Result) -> pd.DataFrame:
    """Firms whose industry is not among their zone's leading industries (企业, 片区, 行业)."""
    e = result.enterprises
    if "fits_zone" not in e:
        return pd.DataFrame(columns=["企业名称", "片区", "片区定位", "行业"])
    bad = e[column(e, "fits_zone").eq(False).fillna(False).astype(bool)]
    names = scope_names(result)
    return pd.DataFrame(
        {
            "企业名称": column(bad, "name", "").to_numpy(),
            "片区": [names.get(str(z), str(z)) for z in column(bad, "zone_id", "")],
            "片区定位": column(bad, "zone_role", "").to_numpy(),
            "行业": [_industry(c) for c in column(bad, "industry_code", "")],
            "规上": ["是" if b else "否" for b in flag(bad, "above_scale")],
        }
    )


def _industry(code: object) -> str:
    text = "" if code is None or (isinstance(code, float) and math.isnan(code)) else str(code)
    name = division_name(text)
    return f"{text} {name}".strip() if name else text


# --- a plan typed in ---------------------------------------------------------------------------


def figure_options(rules: Rules) -> dict[str, str]:
    """Figure name → key of every figure a typed-in target may count."""
    keys = [*PLAN_FIGURE_LABELS, *(f"chain_{k}_yi" for k in rules.chains)]
    return {figure_label(k, rules): k for k in keys}


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plan_toml(plan: Plan) -> str:
    """A plans file holding ``plan`` (read back by :func:`lcgis.plans.load_plans`; pass it as
    a rules file to use it)."""
    lines = [
        "[[plan]]",
        f"key = {_q(plan.key)}",
        f"name = {_q(plan.name)}",
        f"period = {{ start = {plan.start}, end = {plan.end} }}",
        f"source = {_q(plan.source)}",
    ]
    for t in plan.targets:
        lines += [
            "",
            "[[plan.target]]",
            f"key = {_q(t.key)}",
            f"value = {t.value!r}",
            f"unit = {_q(t.unit)}",
            f"scope = {_q(t.scope)}",
            f"wording = {_q(t.wording)}",
        ]
    return "\n".join(lines) + "\n"


def scope_choices(result: Result) -> dict[str, str]:
    """Scopes a typed-in target may have (code → name): 全区, 园区 and the zones."""
    return {DISTRICT: DISTRICT, **scope_options(result)}
