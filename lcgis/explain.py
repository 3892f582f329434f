"""The parcel's 体检表: inputs, figures with formulas, every rule with its outcome and source.

:func:`explain` builds a :class:`Card` (plain tables the app renders); :func:`format_text`
prints it for the command line.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .access import MASKED, masked
from .evaluate import INDICATOR_LABELS
from .land import REASON_LABELS
from .pipeline import Result
from .rules import Rules
from .schema import FIELDS

_YES, _NO, _UNKNOWN, _OFF = "是", "否", "无法判断", "未启用"
#: Canonical enum values back to their Chinese names (the first Chinese spelling wins).
_ZH_VALUES = {
    en: zh
    for f in FIELDS["parcels"].values()
    for zh, en in reversed(list(f.values.items()))
    if zh != en
}
_ACTION = {"fee": "征收土地闲置费", "reclaim": "无偿收回"}
#: Whether a column is masked for the viewer of the card (see :mod:`lcgis.access`).
Hidden = Callable[[str], bool]


def _nothing_hidden(column: str) -> bool:
    return False


@dataclass(frozen=True)
class Card:
    """One parcel's 体检表 as tables (Chinese headers)."""

    parcel_id: str
    title: str
    verdict: list[str]
    inputs: pd.DataFrame  # 项目, 值
    figures: pd.DataFrame  # 指标, 公式, 数值, 单位
    rules: pd.DataFrame  # 规则, 检验, 阈值, 实际值, 结论, 依据
    occupants: pd.DataFrame  # 企业名称, 信用代码, 权属, 用地(亩), 类别, 得分, 分类说明
    scores: pd.DataFrame  # 企业名称, 指标, 数值, 基准值, 权重, 得分


def fmt(value: Any, digits: int = 2, unit: str = "") -> str:
    """A number for people: thousands separators, fixed digits, empty shown as '—'.

    >>> fmt(12345.678, 1, "m²"), fmt(float("nan")), fmt(0.3456, unit="%")
    ('12,345.7 m²', '—', '34.56 %')
    """
    if value is None or value is pd.NA:
        return "—"
    if isinstance(value, bool):
        return _YES if value else _NO
    if isinstance(value, int | float):
        if math.isnan(float(value)):
            return "—"
        if unit == "%":
            return f"{float(value) * 100:,.{digits}f} %"
        return f"{float(value):,.{digits}f}" + (f" {unit}" if unit else "")
    if isinstance(value, pd.Timestamp):
        return "—" if pd.isna(value) else value.strftime("%Y-%m-%d")
    text = str(value)
    return text if text and text not in ("nan", "<NA>", "NaT") else "—"


def _flag(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return _UNKNOWN
    return _YES if bool(value) else _NO


def _inputs(row: pd.Series, hidden: Hidden = _nothing_hidden) -> pd.DataFrame:
    """The parcel's own fields as loaded (before any measurement)."""
    rows = []
    for f in FIELDS["parcels"].values():
        if f.name == "parcel_id" or f.name not in row.index:
            continue
        val = row.get(f"{f.name}_given", row[f.name])
        if f.values and isinstance(val, str):
            val = _ZH_VALUES.get(val, val)
        rows.append({"项目": f.label, "值": MASKED if hidden(f.name) else fmt(val)})
    return pd.DataFrame(rows, columns=["项目", "值"])


def _figures(row: pd.Series, hidden: Hidden = _nothing_hidden) -> pd.DataFrame:
    spec = [
        ("实测面积", "工作坐标系(CGCS2000 高斯-克吕格)中的多边形面积", "geom_area_m2", "m²", 1),
        ("用地面积", "有登记面积取登记面积，否则取实测面积", "land_area_m2", "m²", 1),
        ("用地面积", "用地面积(m²) ÷ 666.67", "land_area_mu", "亩", 2),
        ("建筑面积", "宗地字段，或各建筑落在宗地内部分的建筑面积之和", "floor_area_m2", "m²", 1),
        ("建筑占地面积", "宗地字段，或各建筑基底落在宗地内部分之和", "footprint_area_m2", "m²", 1),
        ("容积率", "建筑面积 ÷ 用地面积(层高超过8米按两层计)", "far", "", 2),
        ("建筑系数", "建筑占地面积 ÷ 用地面积", "coverage", "%", 1),
        ("容积率利用率", "容积率 ÷ 容积率上限", "far_utilization", "%", 1),
        (
            "工业总产值",
            "各用地企业产值 × 其在本宗地用地占其全部用地的比例",
            "output_wan",
            "万元",
            1,
        ),
        ("税收", "各用地企业税收 × 其在本宗地用地占其全部用地的比例", "tax_wan", "万元", 1),
        ("亩均产值", "工业总产值 ÷ 用地面积(亩)", "output_per_mu", "万元/亩", 2),
        ("亩均税收", "税收 ÷ 用地面积(亩)", "tax_per_mu", "万元/亩", 2),
        ("上年亩均税收", "上年税收 ÷ 用地面积(亩)", "tax_per_mu_prev", "万元/亩", 2),
        ("亩均税收增长率", "(本年 − 上年) ÷ 上年", "tax_per_mu_growth", "%", 1),
        (
            "片区亩均产值",
            "片区内有产值宗地的产值合计 ÷ 其用地(亩)",
            "zone_output_per_mu",
            "万元/亩",
            2,
        ),
        (
            "片区亩均税收",
            "片区内有税收宗地的税收合计 ÷ 其用地(亩)",
            "zone_tax_per_mu",
            "万元/亩",
            2,
        ),
    ]
    rows = [
        {
            "指标": name,
            "公式": formula,
            "数值": MASKED
            if hidden(col)
            else fmt(row.get(col), digits, unit if unit == "%" else ""),
            "单位": "" if unit == "%" else unit,
        }
        for name, formula, col, unit, digits in spec
        if col in row.index
    ]
    return pd.DataFrame(rows, columns=["指标", "公式", "数值", "单位"])


def _rule_rows(
    row: pd.Series, rules: Rules, hidden: Hidden = _nothing_hidden
) -> list[dict[str, str]]:
    ine = rules.inefficient
    r = rules
    pct = lambda x: "—" if x is None else f"{x:.0%}"  # noqa: E731

    def val(column: str, digits: int = 2, unit: str = "") -> str:
        return MASKED if hidden(column) else fmt(row.get(column), digits, unit)

    def thr(value: float | None, text: str) -> str:
        return _OFF if value is None else text

    tests: list[tuple[str, str, str, str]] = [
        (
            "far_below_min",
            "容积率 < 容积率下限",
            fmt(row.get("min_far"))
            + ("(宗地规定)" if pd.notna(row.get("min_far_given")) else "(行业表)"),
            fmt(row.get("far")),
        ),
        (
            "far_below_plan",
            "容积率利用率 < 阈值",
            thr(ine.far_utilization_below, pct(ine.far_utilization_below)),
            fmt(row.get("far_utilization"), 1, "%"),
        ),
        (
            "coverage_below_min",
            "建筑系数 < 下限",
            pct(r.land.coverage_min),
            fmt(row.get("coverage"), 1, "%"),
        ),
        (
            "tax_per_mu_low",
            "亩均税收 < 阈值",
            thr(ine.tax_per_mu_below, f"{ine.tax_per_mu_below} 万元/亩"),
            val("tax_per_mu", 2, "万元/亩"),
        ),
        (
            "output_per_mu_low",
            "亩均产值 < 片区平均 × 比例",
            thr(
                ine.output_per_mu_below_zone_share,
                f"{val('zone_output_per_mu')} × {ine.output_per_mu_below_zone_share}",
            ),
            val("output_per_mu", 2, "万元/亩"),
        ),
        (
            "not_producing",
            "所有用地企业本年度无产值且无税收，或无用地企业",
            _YES if ine.not_producing else _OFF,
            f"用地企业 {fmt(row.get('n_occupants'), 0)} 家，在产：{_flag(row.get('producing'))}",
        ),
        (
            "small_parcel",
            "用地面积 < 阈值",
            thr(ine.small_parcel_mu_below, f"{ine.small_parcel_mu_below} 亩"),
            fmt(row.get("land_area_mu"), 2, "亩"),
        ),
        (
            "industry_mismatch",
            "主要企业行业不在片区主导产业中",
            fmt(row.get("zone_leading_industries")),
            fmt(row.get("main_industry_code")),
        ),
        (
            "mostly_leased",
            "出租建筑面积 > 使用建筑面积 × 比例",
            thr(ine.leased_share_above, pct(ine.leased_share_above)),
            f"{fmt(row.get('leased_floor_area_m2'), 0)} / "
            f"{fmt(row.get('occupied_floor_area_m2'), 0)} m²",
        ),
        (
            "completion_overdue",
            "基准日 ≥ 约定竣工日期 + 年限，且未竣工",
            thr(ine.completion_overdue_years, f"{ine.completion_overdue_years} 年"),
            f"约定竣工 {fmt(row.get('agreed_completion_date'))}，"
            f"状态 {fmt(_ZH_VALUES.get(str(row.get('construction_status')), '—'))}",
        ),
    ]
    rows = [
        {
            "规则": REASON_LABELS.get(code, code),
            "检验": test,
            "阈值": threshold,
            "实际值": actual,
            "结论": _flag(row.get(code)),
            "依据": rules.source(code),
        }
        for code, test, threshold, actual in tests
    ]
    idle_years = row.get("idle_years")
    rows += [
        {
            "规则": "未开发",
            "检验": "无建筑面积且无建筑占地",
            "阈值": "—",
            "实际值": f"建筑面积 {fmt(row.get('floor_area_m2'), 0)} m²",
            "结论": _flag(row.get("undeveloped")),
            "依据": rules.source("undeveloped"),
        },
        {
            "规则": "闲置土地",
            "检验": "未动工满1年；或已动工但开发不足1/3或投资不足25%且停工满1年",
            "阈值": f"收费 ≥ {r.idle.fee_years:g} 年，收回 ≥ {r.idle.reclaim_years:g} 年",
            "实际值": f"闲置 {fmt(idle_years)} 年"
            + (f"，{_ACTION[row['idle_action']]}" if row.get("idle_action") in _ACTION else "")
            + (
                f"，闲置费 {fmt(row.get('idle_fee_wan'))} 万元"
                if pd.notna(row.get("idle_fee_wan"))
                else ""
            ),
            "结论": _flag(row.get("idle")),
            "依据": rules.source("idle"),
        },
        {
            "规则": "腾笼换鸟候选",
            "检验": "低效，且(D类，或亩均税收低于阈值，或闲置，或已出让未开发)",
            "阈值": f"亩均税收 < {r.vacate.tax_per_mu_below} 万元/亩",
            "实际值": _reasons(row.get("vacate_reasons")) or "—",
            "结论": _flag(row.get("vacate_candidate")),
            "依据": rules.source("vacate"),
        },
        {
            "规则": "零地增资候选",
            "检验": "亩均税收 ≥ 阈值、非D类、目标容积率 > 现状，可增建筑面积 ≥ 下限",
            "阈值": f"亩均税收 ≥ {r.densify.tax_per_mu_min} 万元/亩；"
            f"增量 ≥ {r.densify.min_extra_floor_area_m2:,.0f} m²",
            "实际值": f"目标容积率 {fmt(row.get('target_far'))}，可增 "
            f"{fmt(row.get('extra_floor_area_m2'), 0)} m²",
            "结论": _flag(row.get("densify_candidate")),
            "依据": rules.source("densify"),
        },
    ]
    return rows


def _true(value: Any) -> bool:
    """True only for a set flag (NA and missing are not true)."""
    return isinstance(value, bool | np.bool_) and bool(value)


def _reasons(codes: Any) -> str:
    if not isinstance(codes, str) or not codes:
        return ""
    return "；".join(REASON_LABELS.get(c, c) for c in codes.split(";") if c)


def _occupants(
    result: Result, parcel_id: str, hidden: Hidden = _nothing_hidden
) -> tuple[pd.DataFrame, pd.DataFrame]:
    alloc = result.allocation
    cols = ["企业名称", "信用代码", "权属", "用地(亩)", "用地方式", "类别", "得分", "分类说明"]
    score_cols = ["企业名称", "指标", "数值", "基准值", "权重", "得分"]
    if alloc.empty or "credit_code" not in result.enterprises:
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=score_cols)
    here = alloc[alloc["parcel_id"] == parcel_id].sort_values("alloc_land_m2", ascending=False)
    ent = result.enterprises.set_index("credit_code")
    method = {"given": "登记用地", "floor_far": "建筑面积÷容积率", "equal_share": "平均分摊"}
    tenure = {"own": "自有", "lease": "租赁"}
    rows, scores = [], []
    ev = result.rules.evaluation
    for _, a in here.iterrows():  # a handful of occupants on one parcel
        code = a["credit_code"]
        e = ent.loc[code] if code in ent.index else pd.Series(dtype=object)
        name = fmt(e.get("name", code))
        rows.append(
            {
                "企业名称": name,
                "信用代码": code,
                "权属": tenure.get(str(a.get("tenure")), "—"),
                "用地(亩)": fmt(a["alloc_land_m2"] / (10000 / 15)),
                "用地方式": method.get(a["alloc_method"], a["alloc_method"]),
                "类别": fmt(e.get("class")),
                "得分": fmt(e.get("score"), 1),
                "分类说明": fmt(e.get("class_reason")),
            }
        )
        group = e.get("group")
        weights = ev.weights_above_scale if group == "above_scale" else ev.weights_below_scale
        if e.get("class") == "T" or not isinstance(group, str):
            continue
        for ind, w in weights.items():
            scores.append(
                {
                    "企业名称": name,
                    "指标": INDICATOR_LABELS.get(ind, ind),
                    "数值": MASKED if hidden(ind) else fmt(e.get(ind), 3),
                    "基准值": MASKED
                    if hidden(f"benchmark_{ind}")
                    else fmt(e.get(f"benchmark_{ind}"), 3),
                    "权重": fmt(w, 0),
                    "得分": MASKED if hidden(f"score_{ind}") else fmt(e.get(f"score_{ind}"), 2),
                }
            )
    return pd.DataFrame(rows, columns=cols), pd.DataFrame(scores, columns=score_cols)


def explain(result: Result, parcel_id: str) -> Card | None:
    """The 体检表 of one parcel (None when the id is unknown).

    On a result masked by :mod:`lcgis.access` every masked figure reads
    :data:`~lcgis.access.MASKED`, in every table of the card.
    """
    p = result.parcels
    hit = p[p["parcel_id"].astype(str) == str(parcel_id)]
    if hit.empty:
        return None
    row = hit.iloc[0]
    zone = fmt(row.get("zone_name"))
    verdict = []
    if _true(row.get("vacate_candidate")):
        verdict.append(f"腾笼换鸟候选：{_reasons(row.get('vacate_reasons'))}")
    if _true(row.get("densify_candidate")):
        verdict.append(
            f"零地增资候选：容积率可由 {fmt(row.get('far'))} 提高到 {fmt(row.get('target_far'))}，"
            f"可增建筑面积 {fmt(row.get('extra_floor_area_m2'), 0)} m²"
        )
    if _true(row.get("idle")):
        verdict.append(f"闲置土地：{fmt(row.get('idle_years'))} 年")
    if _true(row.get("inefficient")):
        verdict.append(f"低效用地：{_reasons(row.get('inefficient_reasons'))}")
    if not verdict:
        verdict.append("未发现低效、闲置情形")

    def hidden(column: str) -> bool:
        return masked(result, column)

    occupants, scores = _occupants(result, str(parcel_id), hidden)
    year = f"{result.year}年度，" if result.year else ""
    return Card(
        parcel_id=str(row["parcel_id"]),
        title=f"宗地 {row['parcel_id']} 体检表({zone}，{year}基准日 {result.as_of})",
        verdict=verdict,
        inputs=_inputs(row, hidden),
        figures=_figures(row, hidden),
        rules=pd.DataFrame(
            _rule_rows(row, result.rules, hidden),
            columns=["规则", "检验", "阈值", "实际值", "结论", "依据"],
        ),
        occupants=occupants,
        scores=scores,
    )


def format_text(card: Card) -> str:
    """The card as plain text for a terminal or a printout."""
    parts = [card.title, "=" * 40, "结论：", *(f"  · {v}" for v in card.verdict)]
    for title, table in (
        ("一、基础数据", card.inputs),
        ("二、计算指标", card.figures),
        ("三、规则检验", card.rules),
        ("四、用地企业", card.occupants),
        ("五、企业得分明细", card.scores),
    ):
        parts += ["", title]
        if table.empty:
            parts.append("  (无)")
            continue
        for rec in table.to_dict("records"):
            parts.append("  " + "；".join(f"{k}：{v}" for k, v in rec.items() if v not in ("",)))
    return "\n".join(parts)
