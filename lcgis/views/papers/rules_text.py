"""The rules a paper applies, in words: name, the parameters in force, and the source."""

from __future__ import annotations

from collections.abc import Mapping

from lcgis.rules import Rules
from lcgis.vocab import DISPOSITION_LABELS, GROUP_LABELS, INDICATOR_LABELS, REASON_LABELS

#: Chinese names of the rule codes that are not reason codes.
RULE_NAMES: dict[str, str] = {
    "evaluation": "亩均效益综合评价(A/B/C/D 分类)",
    "class_t": "不参评(T类)",
    "small_group": "小微企业组",
    "missing_indicator": "缺少指标的计分",
    "in_construction": "建设期内(不评价)",
    "government_reason": "政府原因造成的闲置",
    "priority": "清单优先度与分期",
    "relocation": "搬迁安置",
    "relocation_targets": "规划指标",
    **{k: f"{v}(处置)" for k, v in DISPOSITION_LABELS.items()},
}


def rule_name(code: str) -> str:
    """The Chinese name of a rule code.

    >>> rule_name("buyback"), rule_name("tax_per_mu_low")
    ('收储改造(处置)', '亩均税收偏低')
    """
    return RULE_NAMES.get(code) or REASON_LABELS.get(code) or code


def _off(value: float | None, text: str) -> str:
    return "未启用" if value is None else text


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _weights(weights: Mapping[str, float]) -> str:
    return "、".join(f"{INDICATOR_LABELS.get(k, k)} {v:g}" for k, v in weights.items())


def parameters(rules: Rules) -> dict[str, str]:
    """The parameters in force of every rule code, as Chinese text."""
    ev, ine, idle, buy, den, pri = (
        rules.evaluation,
        rules.inefficient,
        rules.idle,
        rules.buyback,
        rules.densify,
        rules.priority,
    )
    a, b, c = ev.class_shares
    zone_w = "、".join(f"{k} ×{v:g}" for k, v in pri.zone_weights.items())
    dens_w = "、".join(f"{k} ×{v:g}" for k, v in pri.densify_zone_weights.items())
    return {
        "evaluation": (
            f"组内按综合得分排序：前 {_pct(a)} 为A类，至 {_pct(b)} 为B类，至 {_pct(c)} 为C类，"
            f"其余D类；基准为组内{'平均值' if ev.benchmark == 'mean' else ev.benchmark}，"
            f"单项得分封顶 {ev.score_cap:g} 倍权重；各组不少于 {ev.min_group_size} 家参评。"
            f"权重：{GROUP_LABELS['above_scale']}组 {_weights(ev.weights_above_scale)}；"
            f"{GROUP_LABELS['below_scale']}组 {_weights(ev.weights_below_scale)}；"
            f"{GROUP_LABELS['small']}组 {_weights(ev.weights_small)}"
        ),
        "class_t": f"投产不满 {ev.min_years_in_production:g} 年或免评企业为T类",
        "small_group": f"规下企业用地不足 {ev.min_land_mu_below_scale:g} 亩及标准厂房租户",
        "missing_indicator": "、".join(
            f"{INDICATOR_LABELS.get(k, k)}:{'组内平均分' if v == 'group_mean' else '0分'}"
            for k, v in ev.missing_indicator.items()
        ),
        "far_below_min": "容积率 < 行业下限(宗地规定优先)" if ine.far_below_min else "未启用",
        "far_below_plan": _off(
            ine.far_utilization_below, f"容积率利用率 < {ine.far_utilization_below}"
        ),
        "coverage_below_min": f"建筑系数 < {_pct(rules.land.coverage_min)}"
        if ine.coverage_below_min
        else "未启用",
        "tax_per_mu_low": _off(
            ine.tax_per_mu_below, f"三年平均亩均税收 < {ine.tax_per_mu_below} 万元/亩"
        ),
        "output_per_mu_low": _off(
            ine.output_per_mu_below_zone_share,
            f"亩均产值 < 片区平均 × {ine.output_per_mu_below_zone_share}",
        )
        if ine.output_per_mu_below is None
        else f"亩均产值 < {ine.output_per_mu_below} 万元/亩",
        "not_producing": "用地企业无产值且无税收，或无用地企业" if ine.not_producing else "未启用",
        "small_parcel": _off(ine.small_parcel_mu_below, f"用地 < {ine.small_parcel_mu_below} 亩"),
        "industry_mismatch": "主要企业行业不在片区主导产业中"
        if ine.industry_mismatch
        else "未启用",
        "mostly_leased": _off(
            ine.leased_share_above, f"出租面积 > 使用面积 × {ine.leased_share_above}"
        ),
        "completion_overdue": _off(
            ine.completion_overdue_years,
            f"约定竣工日期后 {ine.completion_overdue_years} 年仍未竣工",
        ),
        "idle": (
            f"未动工满 {idle.not_started_years:g} 年，或开发不足 {_pct(idle.developed_share_below)}"
            f"/投资不足 {_pct(idle.invested_share_below)} 且停工满 {idle.suspended_years:g} 年；"
            f"满 {idle.fee_years:g} 年征收闲置费(出让价款 {_pct(idle.fee_share)})，"
            f"满 {idle.reclaim_years:g} 年无偿收回"
        ),
        "undeveloped": "宗地内无建筑面积且无建筑占地",
        "class_d": "主要用地企业为D类",
        "in_construction": "约定竣工日期前，或约定动工后 "
        f"{rules.construction.construction_years:g} 年内",
        "government_reason": f"审核原因为“{idle.government_reason}”：不收闲置费、不收回",
        "reclaim": f"闲置满 {idle.reclaim_years:g} 年",
        "buyback": (
            _off(buy.tax_per_mu_below, f"三年平均亩均税收 < {buy.tax_per_mu_below} 万元/亩")
            + "，或"
            + _off(buy.small_parcel_mu_below, f"用地 < {buy.small_parcel_mu_below} 亩")
            + f"；有效期 {buy.valid_from} 至 {buy.valid_to}"
        ),
        "vacate": "低效，且D类、闲置或已出让未开发"
        + (
            f"或亩均税收 < {rules.vacate.tax_per_mu_below} 万元/亩"
            if rules.vacate.tax_per_mu_below is not None
            else ""
        ),
        "densify": (
            f"亩均税收 ≥ {den.tax_per_mu_min:g} 万元/亩：目标容积率 {den.target_far_mid:g}；"
            f"≥ {den.tax_per_mu_high:g} 万元/亩：{den.target_far_high:g}；"
            f"可增建筑面积 ≥ {den.min_extra_floor_area_m2:,.0f} m²，用地 ≥ {den.min_land_mu:g} 亩"
        ),
        "priority": (
            "处置清单：(用地 × 片区亩均税收 − 现有税收) × 片区权重"
            + (f"({zone_w})" if zone_w else "")
            + "；零地增资：预计新增税收 × 片区权重"
            + (f"({dens_w})" if dens_w else "")
            + f"；每张清单前 {_pct(pri.tier_shares[0])} 为近期，"
            f"至 {_pct(pri.tier_shares[1])} 为中期，其余储备"
        ),
    }


#: Rule codes an annual report applies, in the order it lists them.
REPORT_RULES: tuple[str, ...] = (
    "evaluation", "class_t", "small_group", "missing_indicator",
    "far_below_min", "far_below_plan", "coverage_below_min", "tax_per_mu_low",
    "output_per_mu_low", "not_producing", "small_parcel", "industry_mismatch",
    "mostly_leased", "completion_overdue", "idle", "undeveloped", "class_d",
    "in_construction", "government_reason", "reclaim", "buyback", "vacate", "densify",
    "priority",
)  # fmt: skip


def rule_rows(rules: Rules, codes: tuple[str, ...] = REPORT_RULES) -> list[list[str]]:
    """[name, parameters, source] of every rule code (source '未注明' when none is recorded)."""
    params = parameters(rules)
    return [
        [rule_name(code), params.get(code, ""), rules.source(code) or "未注明"] for code in codes
    ]
