"""The parcel's 体检表: inputs, figures with formulas, every rule with its outcome and source,
and the one disposition (rules.md §8) with the clause behind each of its reasons.

:func:`explain` builds a :class:`Card` (plain tables the app renders); :func:`format_text`
prints it for the command line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lcgis.access import MASKED, masked
from lcgis.data.canonical import EXTRA_PREFIX
from lcgis.data.industry import division_labels, division_names, fits_zone
from lcgis.data.schema import FIELDS, M2_PER_MU
from lcgis.engine.land import NOT_TESTED_IN_CONSTRUCTION
from lcgis.registry import RuleEntry, entry, source_key
from lcgis.views.report import VALUE_LABELS, illustrative_statement, shortlist
from lcgis.vocab import (
    ALL_REASON_LABELS,
    DISPOSITION_LABELS,
    DISPOSITIONS,
    GROUP_LABELS,
    ILLUSTRATIVE,
    INDICATOR_LABELS,
    INEFFICIENT_REASONS,
    TIER_LABELS,
)
from lcgis.vocab import IDLE_ACTION_LABELS as IDLE_ACTIONS

if TYPE_CHECKING:
    from collections.abc import Callable

    from lcgis.engine.pipeline import Result
    from lcgis.rules import Rules

_YES, _NO, _UNKNOWN, _OFF = "是", "否", "无法判断", "未启用"
_NOT_TESTED = "在建，不检验"
#: Reason codes that decide each disposition (the others support a 腾笼换鸟 or note).
_DECIDING = {
    "reclaim": ("idle_reclaim",),
    "buyback": ("tax_per_mu_low", "small_parcel"),
    "vacate": ("class_d", "idle", "undeveloped"),  # + tax_per_mu_low when [vacate] sets it
    "densify": ("far_headroom",),
}


@dataclass(frozen=True)
class Card:
    """One parcel's 体检表 as tables (Chinese headers)."""

    parcel_id: str
    title: str
    verdict: list[str]
    inputs: pd.DataFrame  # 项目, 值
    figures: pd.DataFrame  # 指标, 公式, 数值, 单位
    rules: pd.DataFrame  # 规则, 检验, 阈值, 实际值, 结论, 依据
    occupants: pd.DataFrame  # 企业名称, 信用代码, 权属, 用地(亩), …, 类别, 得分, 分类说明
    scores: pd.DataFrame  # 企业名称, 指标, 数值, 基准值, 权重, 得分
    #: 处置, 作用, 理由, 依据: the disposition and each of its reasons with its clause.
    disposition: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["处置", "作用", "理由", "依据"])
    )
    #: Notes on how figures were found (years of data, 建筑密度, storeys over 8 m, …).
    notes: list[str] = field(default_factory=list)
    #: The dataset's own statement that it is illustrative (示意数据), '' for real data.
    illustrative: str = ""


class _Hidden(float):
    """A figure the viewer may not see (:mod:`lcgis.access`): NaN in arithmetic and
    comparisons, shown as :data:`~lcgis.access.MASKED`."""


HIDDEN = _Hidden("nan")


def _with_hidden(values: pd.Series, result: Result) -> pd.Series:
    """``values`` (one row) with every figure the result's access policy masked set to
    :data:`HIDDEN`, so that the card says it is hidden rather than missing.  True/false rule
    outcomes stay visible."""
    if result.access is None or result.access.sees_all:
        return values
    cols = [c for c in values.index if masked(result, str(c))]
    if not cols:
        return values
    out = values.astype(object)
    for c in cols:
        if not isinstance(out[c], bool | np.bool_):
            out[c] = HIDDEN
    return out


def fmt(value: Any, digits: int = 2, unit: str = "") -> str:
    """A number for people: thousands separators, fixed digits, empty shown as '—'; a figure
    the viewer may not see as '—(仅核查人员可见)'.

    >>> fmt(12345.678, 1, "m²"), fmt(float("nan")), fmt(0.3456, unit="%"), fmt(HIDDEN, 1)
    ('12,345.7 m²', '—', '34.56 %', '—(仅核查人员可见)')
    """
    if isinstance(value, _Hidden):
        return MASKED
    if value is None or value is pd.NA:
        return "—"
    if isinstance(value, bool | np.bool_):
        return _YES if value else _NO
    if isinstance(value, int | float | np.integer | np.floating):
        if math.isnan(float(value)):
            return "—"
        if unit == "%":
            return f"{float(value) * 100:,.{digits}f} %"
        return f"{float(value):,.{digits}f}" + (f" {unit}" if unit else "")
    if isinstance(value, pd.Timestamp):
        return "—" if pd.isna(value) else value.strftime("%Y-%m-%d")
    text = str(value)
    return text if text and text not in ("nan", "<NA>", "NaT", "None") else "—"


def _flag(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return _UNKNOWN
    return _YES if bool(value) else _NO


def _outside_block(row: pd.Series) -> bool:
    """The parcel is known to lie outside the 工业产业区块线."""
    value = row.get("in_industrial_block")
    return isinstance(value, bool | np.bool_) and not bool(value)


def _true(value: Any) -> bool:
    """True only for a set flag (NA and missing are not true)."""
    return isinstance(value, bool | np.bool_) and bool(value)


def _zh(column: str, value: Any) -> str:
    return fmt(VALUE_LABELS.get(column, {}).get(str(value), value))


def _inputs(row: pd.Series) -> pd.DataFrame:
    """The parcel's own fields as loaded (before any measurement)."""
    rows = []
    for f in FIELDS["parcels"].values():
        if f.name == "parcel_id" or f.name not in row.index:
            continue
        val = row.get(f"{f.name}_given", row[f.name])
        if f.values and isinstance(val, str):
            val = VALUE_LABELS.get(f.name, {}).get(val, val)
        rows.append({"项目": f.label, "值": fmt(val)})
    for col in row.index:
        if isinstance(col, str) and col.startswith(EXTRA_PREFIX):
            label = f"{col.removeprefix(EXTRA_PREFIX)}(附加属性)"
            rows.append({"项目": label, "值": fmt(row[col])})
    return pd.DataFrame(rows, columns=["项目", "值"])


def coverage_name(row: pd.Series) -> str:
    """建筑系数 when structures or yards were given, else 建筑密度 (rules.md §8)."""
    kind = row.get("coverage_kind")
    return kind if isinstance(kind, str) and kind else "建筑系数"


def _figures(row: pd.Series, rules: Rules) -> pd.DataFrame:
    storey = rules.measure.double_storey_height_m
    cover = coverage_name(row)
    cover_formula = (
        "(建筑占地 + 构筑物占地 + 堆场面积) ÷ 用地面积"
        if cover == "建筑系数"
        else "建筑占地面积 ÷ 用地面积(未提供构筑物、堆场面积，为建筑密度)"
    )
    n_years = row.get("n_years_3y")
    years_text = f"有数据的 {fmt(n_years, 0)} 年" if pd.notna(n_years) else "有数据的年份"
    spec = [
        ("实测面积", "工作坐标系(CGCS2000 高斯-克吕格)中的多边形面积", "geom_area_m2", "m²", 1),
        ("用地面积", "有登记面积取登记面积，否则取实测面积", "land_area_m2", "m²", 1),
        ("用地面积", "用地面积(m²) ÷ 666.67", "land_area_mu", "亩", 2),
        ("建筑面积", "宗地字段，或各建筑落在宗地内部分的建筑面积之和", "floor_area_m2", "m²", 1),
        ("建筑占地面积", "宗地字段，或各建筑基底落在宗地内部分之和", "footprint_area_m2", "m²", 1),
        (
            f"层高超过{storey:g}米的建筑",
            f"层高 = 建筑高度 ÷ 层数(假定各层等高)，层高超过{storey:g}米的楼层按两层计入建筑面积",
            "n_tall_buildings",
            "栋",
            0,
        ),
        ("容积率", f"建筑面积 ÷ 用地面积(层高超过{storey:g}米按两层计)", "far", "", 2),
        (cover, cover_formula, "coverage", "%", 1),
        ("容积率利用率", "容积率 ÷ 容积率上限", "far_utilization", "%", 1),
        (
            "工业总产值",
            "各用地企业产值 × 其在本宗地使用建筑面积占其全部使用建筑面积的比例",
            "output_wan",
            "万元",
            1,
        ),
        (
            "税收",
            "各用地企业税收 × 其在本宗地使用建筑面积占其全部使用建筑面积的比例",
            "tax_wan",
            "万元",
            1,
        ),
        ("亩均产值", "工业总产值 ÷ 用地面积(亩)", "output_per_mu", "万元/亩", 2),
        ("亩均税收", "税收 ÷ 用地面积(亩)", "tax_per_mu", "万元/亩", 2),
        (
            "近三年亩均税收",
            f"评价年度及前两年亩均税收的平均({years_text})",
            "tax_per_mu_3y",
            "万元/亩",
            2,
        ),
        ("上年亩均税收", "上年税收 ÷ 用地面积(亩)", "tax_per_mu_prev", "万元/亩", 2),
        ("亩均税收增长率", "(本年 − 上年) ÷ 上年", "tax_per_mu_growth", "%", 1),
        (
            "片区亩均产值",
            "片区内有产值宗地的产值合计 ÷ 其用地(亩)；片区外宗地取园区数",
            "zone_output_per_mu",
            "万元/亩",
            2,
        ),
        (
            "片区亩均税收",
            "片区内有税收宗地的税收合计 ÷ 其用地(亩)；片区外宗地取园区数",
            "zone_tax_per_mu",
            "万元/亩",
            2,
        ),
        (
            "按片区亩均水平可产出税收(潜力上限)",
            "用地面积(亩) × 片区亩均税收(仅无偿收回、收储改造、腾笼换鸟宗地)",
            "potential_tax_wan",
            "万元",
            1,
        ),
        (
            "预计新增税收(潜力上限)",
            "可增建筑面积 × 现有单位建筑面积税收(仅零地增资宗地)",
            "est_extra_tax_wan",
            "万元",
            1,
        ),
    ]
    rows = [
        {
            "指标": name,
            "公式": formula,
            "数值": fmt(row.get(col), digits, unit if unit == "%" else ""),
            "单位": "" if unit == "%" else unit,
        }
        for name, formula, col, unit, digits in spec
        if col in row.index
    ]
    return pd.DataFrame(rows, columns=["指标", "公式", "数值", "单位"])


def min_far_note(row: pd.Series, rules: Rules) -> str:
    """Where the minimum FAR came from: the parcel, or the industry table entry that matched.

    A two-digit code whose division the table splits (29 → 291 橡胶 / 292 塑料) cannot tell
    which entry applies: its two-digit value is used, and the note says so.

    >>> from lcgis.rules import load_rules
    >>> r = load_rules()
    >>> min_far_note(pd.Series({"main_industry_code": "29", "min_far": 0.8}), r)
    '行业代码 29：仅两位代码，按0.8'
    >>> min_far_note(pd.Series({"main_industry_code": "2922", "min_far": 1.0}), r)
    '行业代码 2922 按 292 取 1.0'
    """
    if pd.notna(row.get("min_far_given")):
        return "宗地规定"
    code = row.get("main_industry_code")
    digits = "".join(ch for ch in str(code) if ch.isdigit()) if isinstance(code, str) else ""
    table = {str(k): float(v) for k, v in rules.land.min_far_by_industry.items()}
    keys = [k for k in table if digits.startswith(k)]
    if not digits or not keys:
        return "行业不明，未检验" if pd.isna(row.get("min_far")) else "默认下限"
    key = max(keys, key=len)
    value = f"{table[key]:g}" if table[key] != int(table[key]) else f"{table[key]:.1f}"
    split = any(len(k) > len(key) and k.startswith(key) for k in table)
    if len(digits) == len(key) and split:
        return f"行业代码 {digits}：仅两位代码，按{value}"
    return f"行业代码 {digits} 按 {key} 取 {value}"


#: The rules of the card's 规则检验 table, in order.
CARD_RULES: tuple[str, ...] = (
    *INEFFICIENT_REASONS,
    "undeveloped",
    "idle",
    "in_construction",
    *DISPOSITIONS,
)


def _years(row: pd.Series) -> str:
    return f"{fmt(row.get('n_years_3y'), 0)} 年"


def _status(row: pd.Series) -> str:
    return f"状态 {_zh('construction_status', row.get('construction_status'))}"


def _leased(row: pd.Series) -> str:
    if _true(row.get("standard_factory")):
        return "标准厂房，不适用"
    leased, occupied = row.get("leased_floor_area_m2"), row.get("occupied_floor_area_m2")
    return f"{fmt(leased, 0)} / {fmt(occupied, 0)} m²"


def _idle_actual(row: pd.Series, rules: Rules) -> str:
    action = row.get("idle_action")
    actual = f"闲置 {fmt(row.get('idle_years'))} 年"
    if isinstance(action, str) and action in IDLE_ACTIONS:
        actual += f"，{IDLE_ACTIONS[action]}"
    if pd.notna(row.get("idle_fee_wan")):
        actual += f"，闲置费 {fmt(row.get('idle_fee_wan'))} 万元"
    if _true(row.get("government_delay")):
        actual += f"(审核认定{rules.idle.government_reason}：不征收闲置费、不无偿收回)"
    return actual


def _buyback_actual(row: pd.Series) -> str:
    tax3 = f"近三年亩均税收 {fmt(row.get('tax_per_mu_3y'), 2, '万元/亩')}"
    outside = "；工业产业区块线外" if _outside_block(row) else ""
    return f"{tax3}({_years(row)})，用地 {fmt(row.get('land_area_mu'), 2, '亩')}{outside}"


def _densify_actual(row: pd.Series) -> str:
    return (
        f"近三年亩均税收 {fmt(row.get('tax_per_mu_3y'), 2, '万元/亩')}，"
        f"目标容积率 {fmt(row.get('target_far'))}，"
        f"可增 {fmt(row.get('extra_floor_area_m2'), 0)} m²"
    )


def _tax_3y(row: pd.Series) -> str:
    return f"{fmt(row.get('tax_per_mu_3y'), 2, '万元/亩')}({fmt(row.get('n_years_3y'), 0)} 年平均)"


def _producing(row: pd.Series) -> str:
    return f"用地企业 {fmt(row.get('n_occupants'), 0)} 家，在产：{_flag(row.get('producing'))}"


def _dates(row: pd.Series, *cols: str) -> str:
    names = {"agreed_start_date": "约定动工", "agreed_completion_date": "约定竣工"}
    return "，".join([*(f"{names[c]} {fmt(row.get(c))}" for c in cols), _status(row)])


#: The parcel's own figures behind each rule of the card (its 实际值).
_ACTUAL: dict[str, Callable[[pd.Series, Rules], str]] = {
    "far_below_min": lambda row, _: fmt(row.get("far")),
    "far_below_plan": lambda row, _: fmt(row.get("far_utilization"), 1, "%"),
    "coverage_below_min": lambda row, _: fmt(row.get("coverage"), 1, "%"),
    "tax_per_mu_low": lambda row, _: _tax_3y(row),
    "output_per_mu_low": lambda row, _: fmt(row.get("output_per_mu"), 2, "万元/亩"),
    "not_producing": lambda row, _: _producing(row),
    "small_parcel": lambda row, _: fmt(row.get("land_area_mu"), 2, "亩"),
    "industry_mismatch": lambda row, _: division_labels([row.get("main_industry_code")])[0] or "—",
    "mostly_leased": lambda row, _: _leased(row),
    "completion_overdue": lambda row, _: _dates(row, "agreed_completion_date"),
    "undeveloped": lambda row, _: f"建筑面积 {fmt(row.get('floor_area_m2'), 0)} m²",
    "idle": _idle_actual,
    "in_construction": lambda row, _: _dates(row, "agreed_start_date", "agreed_completion_date"),
    "reclaim": lambda row, _: f"闲置 {fmt(row.get('idle_years'))} 年",
    "buyback": lambda row, _: _buyback_actual(row),
    "vacate": lambda row, _: _reasons(row.get("vacate_reasons")) or "—",
    "densify": lambda row, _: _densify_actual(row),
}


def _threshold(rule: RuleEntry, row: pd.Series, rules: Rules) -> str:
    """The threshold in force for the parcel: the rules', or the parcel's own (its minimum
    FAR, its zone's leading industries, its zone's mean output)."""
    if not rule.on(rules):
        return _OFF
    if rule.code == "far_below_min":
        return f"{fmt(row.get('min_far'))}({min_far_note(row, rules)})"
    if rule.code == "industry_mismatch":
        return division_names(row.get("zone_leading_industries")) or "—"
    limit = rule.limit_text(rules, zone_mean=f" {fmt(row.get('zone_output_per_mu'))}")
    return limit or (_YES if rule.switch else "—")


def _outcome(code: str, row: pd.Series) -> str:
    if code in NOT_TESTED_IN_CONSTRUCTION and _true(row.get("in_construction")):
        return _NOT_TESTED
    return _flag(row.get(f"{code}_candidate" if code in DISPOSITIONS else code))


def _rule_source(code: str, row: pd.Series, rules: Rules) -> str:
    source = rules.source(source_key(code))
    if code == "idle" and _true(row.get("government_delay")):
        source += f"；{rules.source('government_reason')}"
    return source


def _rule_row(code: str, row: pd.Series, rules: Rules) -> dict[str, str]:
    """One row of the card's 规则检验: the registry entry and the parcel's figures."""
    rule = entry(code)
    return {
        "规则": rule.label,
        "检验": rule.test_text(rules, rule.placeholder, coverage=coverage_name(row)),
        "阈值": _threshold(rule, row, rules),
        "实际值": _ACTUAL[code](row, rules),
        "结论": _outcome(code, row),
        "依据": _rule_source(code, row, rules),
    }


def _rule_rows(row: pd.Series, rules: Rules) -> list[dict[str, str]]:
    return [_rule_row(code, row, rules) for code in CARD_RULES]


def _reasons(codes: Any) -> str:
    if not isinstance(codes, str) or not codes:
        return ""
    return "；".join(ALL_REASON_LABELS.get(c, c) for c in codes.split(";") if c)


def reason_text(code: str, row: pd.Series, rules: Rules) -> str:
    """One disposition reason with the figures that met it."""
    kind = row.get("disposition")
    if code == "idle_reclaim":
        return f"闲置 {fmt(row.get('idle_years'))} 年 ≥ {rules.idle.reclaim_years:g} 年"
    if code == "tax_per_mu_low":
        limit = {
            "buyback": rules.buyback.tax_per_mu_below,
            "vacate": rules.vacate.tax_per_mu_below,
        }.get(str(kind))
        limit = limit if limit is not None else rules.inefficient.tax_per_mu_below
        years = fmt(row.get("n_years_3y"), 0)
        return f"近三年亩均税收 {fmt(row.get('tax_per_mu_3y'), 2, '万元/亩')}({years} 年平均)" + (
            f" < {limit:g} 万元/亩" if limit is not None else ""
        )
    if code == "small_parcel":
        limit = (
            rules.buyback.small_parcel_mu_below
            if kind == "buyback"
            else rules.inefficient.small_parcel_mu_below
        )
        tail = f" < {limit:g} 亩" if limit is not None else ""
        return f"用地 {fmt(row.get('land_area_mu'), 2, '亩')}{tail}"
    if code == "class_d":
        return "主要用地企业亩均效益综合评价为 D 类"
    if code == "idle":
        return f"闲置土地(闲置 {fmt(row.get('idle_years'))} 年)"
    if code == "undeveloped":
        return "已出让未开发，且已超过动工期限"
    if code == "far_headroom":
        return (
            f"容积率可由 {fmt(row.get('far'))} 提高到 {fmt(row.get('target_far'))}，"
            f"可增建筑面积 {fmt(row.get('extra_floor_area_m2'), 0)} m²"
        )
    if code == "outside_validity":
        b = rules.buyback
        window = f"{b.valid_from} 至 {b.valid_to}"
        return (
            f"评价基准日不在泉政办规〔2025〕13号施行期({window})内："
            "清单按13号文口径列出，供施行期内处置参照"
        )
    return ALL_REASON_LABELS.get(code, code)


def disposition_table(row: pd.Series, rules: Rules) -> pd.DataFrame:
    """The parcel's disposition and each of its reasons with the clause (source) behind it."""
    cols = ["处置", "作用", "理由", "依据"]
    kind = row.get("disposition")
    if not isinstance(kind, str) or kind not in DISPOSITION_LABELS:
        return pd.DataFrame(columns=cols)
    name = DISPOSITION_LABELS[kind]
    codes = [c for c in str(row.get("disposition_reasons") or "").split(";") if c]
    rows = []
    for code in codes:
        if code == "outside_validity":
            role = "说明"
        elif code in _DECIDING.get(kind, ()) or (
            kind == "vacate" and code == "tax_per_mu_low" and rules.vacate.tax_per_mu_below
        ):
            role = "决定"
        else:
            role = "佐证(低效情形)"
        rows.append(
            {
                "处置": name,
                "作用": role,
                "理由": reason_text(code, row, rules),
                "依据": rules.source(source_key(code)) or rules.source(kind),
            }
        )
    rows.append({"处置": name, "作用": "处置规定", "理由": name, "依据": rules.source(kind)})
    return pd.DataFrame(rows, columns=cols)


def _list_place(result: Result, row: pd.Series) -> str:
    """'第 k/n 宗' of the parcel on its disposition list."""
    kind = row.get("disposition")
    if not isinstance(kind, str):
        return ""
    ids = shortlist(result.parcels, kind)["parcel_id"].astype(str).tolist()
    pid = str(row["parcel_id"])
    return f"清单第 {ids.index(pid) + 1}/{len(ids)} 宗" if pid in ids else ""


def _occupants(result: Result, parcel_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    alloc = result.allocation
    cols = [
        "企业名称",
        "信用代码",
        "权属",
        "用地(亩)",
        "使用建筑面积(m²)",
        "用地方式",
        "评价组",
        "组内排名",
        "类别",
        "得分",
        "分类说明",
    ]
    score_cols = ["企业名称", "指标", "数值", "基准值", "权重", "得分"]
    if alloc.empty or "credit_code" not in result.enterprises:
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=score_cols)
    here = alloc[alloc["parcel_id"] == parcel_id].sort_values("alloc_land_m2", ascending=False)
    ent = result.enterprises.drop_duplicates("credit_code").set_index("credit_code")
    method = {
        "given": "登记用地",
        "floor_far": "使用建筑面积÷容积率",
        "equal_share": "平均分摊",
        "no_land": "宗地已分满，用地留空",
    }
    rows, scores = [], []
    ev = result.rules.evaluation
    for _, a in here.iterrows():  # a handful of occupants on one parcel
        code = a["credit_code"]
        e = _with_hidden(ent.loc[code], result) if code in ent.index else pd.Series(dtype=object)
        name = fmt(e.get("name", code))
        group = e.get("eval_group")
        rank, n = e.get("rank_in_group"), e.get("n_in_group")
        rows.append(
            {
                "企业名称": name,
                "信用代码": code,
                "权属": _zh("tenure", a.get("tenure")),
                "用地(亩)": fmt(a["alloc_land_m2"] / M2_PER_MU),
                "使用建筑面积(m²)": fmt(a.get("occupied_floor_m2"), 0),
                "用地方式": method.get(a["alloc_method"], a["alloc_method"]),
                "评价组": GROUP_LABELS.get(str(group), "—"),
                "组内排名": f"{fmt(rank, 0)}/{fmt(n, 0)}" if pd.notna(rank) else "—",
                "类别": fmt(e.get("class")),
                "得分": fmt(e.get("score"), 1),
                "分类说明": fmt(e.get("class_reason")),
            }
        )
        if e.get("class") == "T" or not isinstance(group, str) or group not in GROUP_LABELS:
            continue
        missing = set(str(e.get("missing_indicators") or "").split(";"))
        for ind, w in ev.weights(group).items():
            mode = ev.missing_indicator.get(ind, "zero")
            value = fmt(e.get(ind), 3)
            if ind in missing:
                value = "缺少数据，按组内平均分计" if mode == "group_mean" else "缺少数据，按0分计"
            scores.append(
                {
                    "企业名称": name,
                    "指标": INDICATOR_LABELS.get(ind, ind),
                    "数值": value,
                    "基准值": fmt(e.get(f"benchmark_{ind}"), 3),
                    "权重": fmt(w, 0),
                    "得分": fmt(e.get(f"score_{ind}"), 2),
                }
            )
    return pd.DataFrame(rows, columns=cols), pd.DataFrame(scores, columns=score_cols)


def _notes(row: pd.Series, rules: Rules) -> list[str]:
    notes = []
    n_years = row.get("n_years_3y")
    if pd.notna(n_years) and int(n_years) < 3:
        notes.append(
            "近三年亩均税收：三年均无税收数据"
            if int(n_years) == 0
            else f"近三年亩均税收：仅有 {int(n_years)} 年数据，按 {int(n_years)} 年平均(不足三年)"
        )
    if coverage_name(row) == "建筑密度":
        notes.append("未提供构筑物、堆场面积：表中为建筑密度(建筑占地 ÷ 用地)，按建筑系数下限检验")
    tall = row.get("n_tall_buildings")
    storey = rules.measure.double_storey_height_m
    if pd.notna(tall) and int(tall) > 0:
        notes.append(
            f"{int(tall)} 栋建筑层高超过{storey:g}米，按两层计入建筑面积"
            f"(假定各层等高：层高 = 建筑高度 ÷ 层数)"
        )
    else:
        notes.append(
            f"层高超过{storey:g}米的楼层按两层计(假定各层等高：层高 = 建筑高度 ÷ 层数)；"
            "本宗地没有这样的建筑"
        )
    note = min_far_note(row, rules)
    if "仅两位代码" in note:
        notes.append(f"容积率下限：{note}")
    return notes


def zone_fit_line(row: pd.Series, rules: Rules) -> str:
    """The card's line on a main occupant outside its zone's leading industries, with the
    rule's source; '' when it fits or the fit is unknown (:func:`lcgis.data.industry.fits_zone`).

    >>> from lcgis.rules import load_rules
    >>> row = pd.Series({"zone_name": "北片区", "zone_role": "高端产业发展示范区",
    ...     "zone_leading_industries": "39,40", "main_industry_code": "1711"})
    >>> zone_fit_line(row, load_rules()).split("；")[0]
    '所在片区(北片区)定位：高端产业发展示范区，主导产业：计算机、通信和其他电子设备制造业(39)、仪器仪表制造业(40)'
    >>> zone_fit_line(row.replace("1711", "3911"), load_rules())
    ''
    """
    code, lead = row.get("main_industry_code"), row.get("zone_leading_industries")
    fit = fits_zone(pd.Series([code], dtype=object), pd.Series([lead], dtype=object)).iloc[0]
    if pd.isna(fit) or bool(fit):
        return ""
    role = row.get("zone_role")
    role_text = f"定位：{role}，" if isinstance(role, str) and role.strip() else ""
    industry = division_labels([code])[0]
    source = rules.source(source_key("industry_mismatch"))
    return (
        f"所在片区({fmt(row.get('zone_name'))}){role_text}主导产业：{division_names(lead)}；"
        f"主要用地企业行业 {industry} 不在其中(依据：{source})"
    )


def _verdict(result: Result, row: pd.Series) -> list[str]:
    rules = result.rules
    verdict = []
    kind = row.get("disposition")
    if isinstance(kind, str) and kind in DISPOSITION_LABELS:
        tier = TIER_LABELS.get(str(row.get("tier")), "—")
        place = _list_place(result, row)
        verdict.append(
            f"处置：{DISPOSITION_LABELS[kind]}({tier}，优先级 {fmt(row.get('priority'), 1)}"
            + (f"，{place}" if place else "")
            + ")"
        )
        for code in str(row.get("disposition_reasons") or "").split(";"):
            if code:
                source = rules.source(source_key(code)) or rules.source(kind)
                verdict.append(f"理由：{reason_text(code, row, rules)}(依据：{source})")
        if kind == "densify":
            verdict.append(
                f"预计新增税收(潜力上限) {fmt(row.get('est_extra_tax_wan'), 1)} 万元，"
                f"预计新增产值(潜力上限) {fmt(row.get('est_extra_output_wan'), 1)} 万元"
            )
        else:
            verdict.append(
                f"按片区亩均水平可产出税收(潜力上限) {fmt(row.get('potential_tax_wan'), 1)} 万元"
            )
    if _true(row.get("in_construction")):
        verdict.append(
            "在建：处于约定建设期内，不检验容积率、建筑系数、税收、产出、出租和D类，不列入处置清单"
            f"(依据：{rules.source('in_construction')})"
        )
    if _true(row.get("idle")):
        line = f"闲置土地：{fmt(row.get('idle_years'))} 年"
        if _true(row.get("government_delay")):
            line += (
                f"；审核认定{rules.idle.government_reason}，不征收闲置费、不无偿收回，协商处置"
                f"(依据：{rules.source('government_reason')})"
            )
        verdict.append(line)
    if _true(row.get("inefficient")):
        verdict.append(f"低效用地：{_reasons(row.get('inefficient_reasons'))}")
    fit_line = zone_fit_line(row, rules)
    if not verdict:
        verdict.append("未发现低效、闲置情形，未列入处置清单")
    if fit_line:
        verdict.append(fit_line)
    return verdict


def explain(result: Result, parcel_id: str) -> Card | None:
    """The 体检表 of one parcel (None when the id is unknown)."""
    p = result.parcels
    hit = p[p["parcel_id"].astype(str) == str(parcel_id)]
    if hit.empty:
        return None
    row = _with_hidden(hit.iloc[0], result)
    zone = fmt(row.get("zone_name"))
    occupants, scores = _occupants(result, str(row["parcel_id"]))
    year = f"{result.year}年度，" if result.year else ""
    return Card(
        parcel_id=str(row["parcel_id"]),
        title=f"宗地 {row['parcel_id']} 体检表({zone}，{year}基准日 {result.as_of})",
        verdict=_verdict(result, row),
        inputs=_inputs(row),
        figures=_figures(row, result.rules),
        rules=pd.DataFrame(
            _rule_rows(row, result.rules),
            columns=["规则", "检验", "阈值", "实际值", "结论", "依据"],
        ),
        occupants=occupants,
        scores=scores,
        disposition=disposition_table(row, result.rules),
        notes=_notes(row, result.rules),
        illustrative=illustrative_statement(result.files),
    )


def format_text(card: Card) -> str:
    """The card as plain text for a terminal or a printout."""
    parts = [card.title, "=" * 40]
    if card.illustrative:
        parts.append(f"注意：本体检表基于{ILLUSTRATIVE}，不得用于实际评价或决策。")
    parts += ["结论：", *(f"  · {v}" for v in card.verdict)]
    if card.notes:
        parts += ["说明：", *(f"  · {n}" for n in card.notes)]
    for title, table in (
        ("一、处置建议", card.disposition),
        ("二、基础数据", card.inputs),
        ("三、计算指标", card.figures),
        ("四、规则检验", card.rules),
        ("五、用地企业", card.occupants),
        ("六、企业得分明细", card.scores),
    ):
        parts += ["", title]
        if table.empty:
            parts.append("  (无)")
            continue
        for rec in table.to_dict("records"):
            parts.append("  " + "；".join(f"{k}：{v}" for k, v in rec.items() if v not in ("",)))
    return "\n".join(parts)
