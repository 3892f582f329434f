"""The rules registry: one entry per rule code the 体检表 and the papers explain.

Each :class:`RuleEntry` names the rule (its label comes from the label dictionaries of the
engine), says its test in words, and points into the rules: the dotted key of its threshold
(resolved against a :class:`~lcgis.rules.Rules`, e.g. ``inefficient.tax_per_mu_below``),
the unit, and the key of its policy source in ``[sources]``.  Texts are templates filled from
the rules in force, so a user's rules file that changes a threshold changes every text that
quotes it.

Templates: ``{threshold}`` is the entry's threshold with its unit; ``{section.key}`` any other
value of the rules (``{idle.fee_years: 年}`` appends the unit, ``{land.coverage_min:%}``
quotes a share as a percentage; ``evaluation.class_shares.0`` indexes a list); a bare
``{name}`` is a table of the rules in words or a figure the caller gives (``{coverage}``:
建筑系数 or 建筑密度).  ``[…]`` is a part left out when a value in it is switched off;
``[a|b]`` keeps the parts that are on, joined by 或 (未启用 when none is).

>>> from lcgis.rules import load_rules
>>> r = load_rules()
>>> e = entry("tax_per_mu_low")
>>> e.label, e.threshold, e.unit, e.source
('亩均税收偏低', 'inefficient.tax_per_mu_below', '万元/亩', 'tax_per_mu_low')
>>> e.text(r), e.test_text(r, threshold="阈值"), e.limit_text(r)
('近三年亩均税收 < 5 万元/亩', '近三年亩均税收 < 阈值', '5 万元/亩')
>>> entry("tax_per_mu_low").text(load_rules(overrides={"inefficient": {"tax_per_mu_below": 8}}))
'近三年亩均税收 < 8 万元/亩'
>>> entry("far_below_plan").text(r)
'未启用'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from lcgis.vocab import (
    BENCHMARK_LABELS,
    DISPOSITION_LABELS,
    DISPOSITION_REASON_LABELS,
    GROUP_NAMES,
    INDICATOR_LABELS,
    REASON_LABELS,
    RULE_LABELS,
)

if TYPE_CHECKING:
    from lcgis.rules import Rules

#: What a rule switched off in the rules says in place of its threshold.
OFF = "未启用"

#: ``{…}`` a value, ``[…]`` an optional part or a choice of parts.
_TOKEN = re.compile(r"\[([^\[\]]*)\]|\{([a-z_][a-z0-9_.]*)(?::([^{}]*))?\}")
#: Figures a caller may give, with what they say when it gives none (the papers).
_GIVEN_DEFAULTS: dict[str, str] = {"coverage": "建筑系数", "zone_mean": ""}


class _Off(Exception):
    """A value in a template is switched off (false in the rules)."""


def resolve(rules: Rules, key: str) -> Any:
    """The value of a dotted key of the rules: attributes, table keys, list positions.

    >>> from lcgis.rules import load_rules
    >>> r = load_rules()
    >>> resolve(r, "land.coverage_min"), resolve(r, "evaluation.class_shares.1")
    (0.3, 0.6)
    >>> resolve(r, "land.min_far_by_industry.17"), resolve(r, "inefficient.far_utilization_below")
    (0.8, None)
    >>> resolve(r, "land.coverage_max")
    Traceback (most recent call last):
    ...
    KeyError: 'land.coverage_max'
    """
    value: Any = rules
    for part in key.split("."):
        if isinstance(value, Mapping):
            if part not in value:
                raise KeyError(key)
            value = value[part]
        elif isinstance(value, tuple | list) and part.isdigit():
            if int(part) >= len(value):
                raise KeyError(key)
            value = value[int(part)]
        elif part and not part.startswith("_") and hasattr(value, part):
            value = getattr(value, part)
        else:
            raise KeyError(key)
    return value


def quote(value: Any, unit: str = "") -> str | None:
    """A value of the rules in words (None when it is switched off): ``unit`` ``%`` quotes a
    share as a percentage, ``/`` as a fraction n/d with d < 10 when it is one (else a percentage),
    any other unit is appended as written.

    >>> quote(0.3, "%"), quote(5.0, " 万元/亩"), quote(500.0, " m²"), quote(2000.0, " m²")
    ('30%', '5 万元/亩', '500 m²', '2,000 m²')
    >>> quote(1 / 3, "/"), quote(0.3, "/")
    ('1/3', '30%')
    >>> quote(None), quote(False), quote(dt.date(2026, 2, 1)), quote("政府原因")
    (None, None, '2026-02-01', '政府原因')
    """
    if value is None or value is False:
        return None
    if value is True:
        return "是"
    if isinstance(value, dt.date | str):
        return str(value)
    if not isinstance(value, int | float):
        raise TypeError(f"not a single value: {value!r}")
    if unit == "%":
        return f"{value:.0%}"
    if unit == "/":
        part = Fraction(value).limit_denominator(9)
        return f"{part}" if abs(float(part) - value) < 1e-9 else f"{value:.0%}"
    number = float(value)
    text = f"{number:,.0f}" if number.is_integer() and abs(number) >= 1000 else f"{number:g}"
    return text + unit


def fill(template: str, rules: Rules, given: Mapping[str, str] | None = None) -> str | None:
    """``template`` with its values from ``rules`` and ``given`` (None when a value outside
    an optional part is switched off).

    >>> from lcgis.rules import load_rules
    >>> r = load_rules(overrides={"buyback": {"tax_per_mu_below": False}})
    >>> fill("闲置满 {idle.reclaim_years: 年}", r)
    '闲置满 2 年'
    >>> fill("[税 < {buyback.tax_per_mu_below}|地 < {buyback.small_parcel_mu_below: 亩}]", r)
    '地 < 5 亩'
    >>> fill("D类[，税 < {buyback.tax_per_mu_below}]", r), fill("税 < {vacate.tax_per_mu_below}", r)
    ('D类', None)
    """
    values = {**_GIVEN_DEFAULTS, **(given or {})}

    def value(name: str, unit: str) -> str:
        if name in values:
            return values[name]
        if "." not in name:
            return _tables(rules)[name]
        text = quote(resolve(rules, name), unit)
        if text is None:
            raise _Off(name)
        return text

    def render(part: str) -> str | None:
        try:
            return _TOKEN.sub(token, part)
        except _Off:
            return None

    def token(m: re.Match[str]) -> str:
        if m.group(1) is None:
            return value(m.group(2), m.group(3) or "")
        parts = m.group(1).split("|")
        kept = [t for t in map(render, parts) if t is not None]
        return "或".join(kept) or (OFF if len(parts) > 1 else "")

    return render(template)


def _weights(weights: Mapping[str, float]) -> str:
    return "、".join(f"{INDICATOR_LABELS.get(k, k)} {v:g}" for k, v in weights.items())


def _zone_weights(weights: Mapping[str, float]) -> str:
    text = "、".join(f"{k} ×{v:g}" for k, v in weights.items())
    return f"({text})" if text else ""


def _tables(rules: Rules) -> dict[str, str]:
    """The tables of the rules in words (weights, missing-indicator modes, zone weights)."""
    ev, pri = rules.evaluation, rules.priority
    groups = ("above_scale", "below_scale", "small")
    return {
        "benchmark": BENCHMARK_LABELS.get(ev.benchmark, ev.benchmark),
        "weights": "；".join(f"{GROUP_NAMES[g]} {_weights(ev.weights(g))}" for g in groups),
        "missing": "、".join(
            f"{INDICATOR_LABELS.get(k, k)}:{'组内平均分' if v == 'group_mean' else '0分'}"
            for k, v in ev.missing_indicator.items()
        ),
        "zone_weights": _zone_weights(pri.zone_weights),
        "densify_zone_weights": _zone_weights(pri.densify_zone_weights),
    }


@dataclass(frozen=True)
class RuleEntry:
    """One rule: its label, its test in words, where its threshold and source are."""

    code: str
    label: str
    #: The test in words (a template; ``{threshold}`` where the threshold goes).
    test: str = ""
    #: Dotted key of the threshold in the rules ('' when the rule has none of its own).
    threshold: str = ""
    #: Unit of the threshold ("%" for a share).
    unit: str = ""
    #: Key of the policy source in the rules' ``[sources]`` ('' = the code itself).
    source_key: str = ""
    #: Dotted key of the flag that switches the rule on ('' = on unless its threshold is off).
    switch: str = ""
    #: What the test says where the threshold stands when the threshold has its own column.
    placeholder: str = "阈值"
    #: The threshold(s) in words (the 体检表's 阈值 column).
    limit: str = "{threshold}"
    #: What the threshold reads when ``threshold`` is switched off ('' = the rule is off).
    otherwise: str = ""
    #: Further parameters the papers quote with the rule.
    note: str = ""

    @property
    def source(self) -> str:
        """The key of the rule's policy source in ``[sources]``."""
        return self.source_key or self.code

    def limit_text(self, rules: Rules, **given: str) -> str:
        """The threshold(s) in force in words: '' when the rule has none, :data:`OFF` when it
        is switched off."""
        if self.switch and not resolve(rules, self.switch):
            return OFF
        if not self.threshold and self.limit == "{threshold}":
            return ""
        values = dict(given)
        if self.threshold and "{threshold}" in self.limit:
            unit = self.unit if self.unit in ("%", "") else f" {self.unit}"
            value = quote(resolve(rules, self.threshold), unit)
            if value is None:
                return (fill(self.otherwise, rules, given) if self.otherwise else None) or OFF
            values["threshold"] = value
        text = fill(self.limit, rules, values)
        return OFF if text is None else text

    def on(self, rules: Rules) -> bool:
        """The rule is applied under ``rules``."""
        return self.limit_text(rules) != OFF

    def test_text(self, rules: Rules, threshold: str | None = None, **given: str) -> str:
        """The test in words, with ``threshold`` (default: the threshold in force) where the
        threshold stands."""
        limit = self.limit_text(rules, **given) if threshold is None else threshold
        return fill(self.test, rules, {**given, "threshold": limit}) or OFF

    def text(self, rules: Rules) -> str:
        """The rule as applied under ``rules``, in words: test, thresholds and further
        parameters (:data:`OFF` when it is switched off)."""
        if not self.on(rules):
            return OFF
        parts = [self.test_text(rules)]
        limit = self.limit_text(rules)
        if limit and "{threshold}" not in self.test:
            parts.append(limit)
        if self.note:
            parts.append(fill(self.note, rules) or "")
        return "；".join(p for p in parts if p)


def _entries(*entries: RuleEntry) -> dict[str, RuleEntry]:
    return {e.code: e for e in entries}


#: Every rule the 体检表 and the papers explain, by code.
REGISTRY: Mapping[str, RuleEntry] = _entries(
    # comprehensive evaluation of the firms (亩均效益综合评价)
    RuleEntry(
        "evaluation",
        RULE_LABELS["evaluation"],
        "组内按综合得分排序：前 {evaluation.class_shares.0:%} 为A类，"
        "至 {evaluation.class_shares.1:%} 为B类，至 {evaluation.class_shares.2:%} 为C类，其余D类；"
        "基准为组内{benchmark}，单项得分封顶 {evaluation.score_cap} 倍权重；"
        "各组不少于 {evaluation.min_group_size} 家参评。权重：{weights}",
        threshold="evaluation.class_shares",
        limit="",
    ),
    RuleEntry(
        "class_t",
        RULE_LABELS["class_t"],
        "投产不满 {threshold}或免评企业为T类",
        threshold="evaluation.min_years_in_production",
        unit="年",
    ),
    RuleEntry(
        "small_group",
        RULE_LABELS["small_group"],
        "规下企业用地不足 {threshold}及标准厂房租户",
        threshold="evaluation.min_land_mu_below_scale",
        unit="亩",
    ),
    RuleEntry(
        "missing_indicator",
        RULE_LABELS["missing_indicator"],
        "{missing}",
        threshold="evaluation.missing_indicator",
        limit="",
    ),
    # inefficient land (低效用地), in the order of INEFFICIENT_REASONS
    RuleEntry(
        "far_below_min",
        REASON_LABELS["far_below_min"],
        "容积率 < {threshold}",
        threshold="land.min_far_by_industry",
        switch="inefficient.far_below_min",
        placeholder="容积率下限",
        limit="行业下限(宗地规定优先)",
    ),
    RuleEntry(
        "far_below_plan",
        REASON_LABELS["far_below_plan"],
        "容积率利用率 < {threshold}",
        threshold="inefficient.far_utilization_below",
        unit="%",
    ),
    RuleEntry(
        "coverage_below_min",
        REASON_LABELS["coverage_below_min"],
        "{coverage} < {threshold}",
        threshold="land.coverage_min",
        unit="%",
        switch="inefficient.coverage_below_min",
        placeholder="下限",
    ),
    RuleEntry(
        "tax_per_mu_low",
        REASON_LABELS["tax_per_mu_low"],
        "近三年亩均税收 < {threshold}",
        threshold="inefficient.tax_per_mu_below",
        unit="万元/亩",
    ),
    RuleEntry(
        "output_per_mu_low",
        REASON_LABELS["output_per_mu_low"],
        "亩均产值 < {threshold}",
        threshold="inefficient.output_per_mu_below",
        unit="万元/亩",
        otherwise="片区平均{zone_mean} × {inefficient.output_per_mu_below_zone_share}",
    ),
    RuleEntry(
        "not_producing",
        REASON_LABELS["not_producing"],
        "所有用地企业本年度无产值且无税收，或已建成、已出让土地无用地企业",
        switch="inefficient.not_producing",
    ),
    RuleEntry(
        "small_parcel",
        REASON_LABELS["small_parcel"],
        "用地面积 < {threshold}",
        threshold="inefficient.small_parcel_mu_below",
        unit="亩",
    ),
    RuleEntry(
        "industry_mismatch",
        REASON_LABELS["industry_mismatch"],
        "主要企业行业不在片区主导产业中",
        switch="inefficient.industry_mismatch",
    ),
    RuleEntry(
        "mostly_leased",
        REASON_LABELS["mostly_leased"],
        "出租建筑面积 > 使用建筑面积 × {threshold}(标准厂房不适用)",
        threshold="inefficient.leased_share_above",
        unit="%",
        placeholder="比例",
    ),
    RuleEntry(
        "completion_overdue",
        REASON_LABELS["completion_overdue"],
        "基准日 ≥ 约定竣工日期 + {threshold}，且未竣工",
        threshold="inefficient.completion_overdue_years",
        unit="年",
        placeholder="年限",
    ),
    # the reasons of a 腾笼换鸟 besides the inefficient ones
    RuleEntry(
        "class_d",
        REASON_LABELS["class_d"],
        "主要用地企业亩均效益综合评价为 D 类",
        switch="vacate.class_d",
    ),
    RuleEntry(
        "idle",
        REASON_LABELS["idle"],
        "未动工满{idle.not_started_years:年}；或已动工但开发不足{idle.developed_share_below:/}"
        "或投资不足{idle.invested_share_below:%}且停工满{idle.suspended_years:年}",
        threshold="idle.reclaim_years",
        unit="年",
        limit="收费 ≥ {idle.fee_years: 年}，收回 ≥ {threshold}",
        note="闲置费为出让价款的 {idle.fee_share:%}",
    ),
    RuleEntry("undeveloped", REASON_LABELS["undeveloped"], "无建筑面积且无建筑占地"),
    RuleEntry(
        "in_construction",
        RULE_LABELS["in_construction"],
        "未过约定竣工日期(无则约定动工日期后若干年)，未闲置、未竣工",
        threshold="construction.construction_years",
        unit="年",
        limit="约定动工后 {threshold}(无约定竣工日期时)",
    ),
    RuleEntry(
        "government_reason",
        RULE_LABELS["government_reason"],
        "审核原因为“{threshold}”：不收闲置费、不无偿收回",
        threshold="idle.government_reason",
    ),
    # the dispositions (rules.md §8), in precedence order
    RuleEntry(
        "reclaim",
        DISPOSITION_LABELS["reclaim"],
        "闲置满规定年限(政府原因除外)",
        threshold="idle.reclaim_years",
        unit="年",
        limit="闲置 ≥ {threshold}",
    ),
    RuleEntry(
        "buyback",
        DISPOSITION_LABELS["buyback"],
        "未列无偿收回；[近三年亩均税收 < {buyback.tax_per_mu_below: 万元/亩}"
        "|用地 < {buyback.small_parcel_mu_below: 亩}(一般项目)]；"
        "已竣工投产(非闲置、非在建)；工业产业区块线内",
        threshold="buyback.tax_per_mu_below",
        unit="万元/亩",
        limit="有效期 {buyback.valid_from} 至 {buyback.valid_to}(期外参照执行并注明)",
    ),
    RuleEntry(
        "vacate",
        DISPOSITION_LABELS["vacate"],
        "未列无偿收回、收储改造；低效，且(D类，"
        "[或近三年亩均税收 < {vacate.tax_per_mu_below: 万元/亩}，]"
        "或闲置，或已出让未开发且超过动工期限)",
    ),
    RuleEntry(
        "densify",
        DISPOSITION_LABELS["densify"],
        "未列其他清单；近三年亩均税收、用地达标，非D类、非闲置、非未开发、非在建，"
        "目标容积率 > 现状且可增建筑面积达标",
        threshold="densify.tax_per_mu_min",
        unit="万元/亩",
        limit="近三年亩均税收 ≥ {threshold}；用地 ≥ {densify.min_land_mu: 亩}；"
        "增量 ≥ {densify.min_extra_floor_area_m2: m²}",
        note="目标容积率 {densify.target_far_mid}(近三年亩均税收 "
        "{densify.tax_per_mu_min}–{densify.tax_per_mu_high: 万元/亩})、"
        "{densify.target_far_high}(≥ {densify.tax_per_mu_high: 万元/亩})",
    ),
    # the reasons only dispositions use
    RuleEntry(
        "idle_reclaim",
        DISPOSITION_REASON_LABELS["idle_reclaim"],
        "闲置 ≥ {threshold}(政府原因除外)",
        threshold="idle.reclaim_years",
        unit="年",
        source_key="reclaim",
    ),
    RuleEntry(
        "far_headroom",
        DISPOSITION_REASON_LABELS["far_headroom"],
        "目标容积率 > 现状容积率，且可增建筑面积 ≥ {threshold}",
        threshold="densify.min_extra_floor_area_m2",
        unit="m²",
        source_key="densify",
    ),
    RuleEntry(
        "outside_validity",
        DISPOSITION_REASON_LABELS["outside_validity"],
        "评价基准日不在 {buyback.valid_from} 至 {buyback.valid_to} 内",
        threshold="buyback.valid_from",
        source_key="buyback",
        limit="",
    ),
    # the lists and the relocation plan
    RuleEntry(
        "priority",
        RULE_LABELS["priority"],
        "处置清单：(用地 × 片区亩均税收 − 现有税收) × 片区权重{zone_weights}；"
        "零地增资：预计新增税收 × 片区权重{densify_zone_weights}；"
        "每张清单前 {priority.tier_shares.0:%} 为近期，"
        "至 {priority.tier_shares.1:%} 为中期，其余储备",
        threshold="priority.tier_shares",
        limit="",
    ),
    RuleEntry(
        "relocation",
        RULE_LABELS["relocation"],
        "用地在需求 ±{threshold} 以内",
        threshold="relocation.area_tolerance",
        unit="%",
    ),
    RuleEntry("relocation_targets", RULE_LABELS["relocation_targets"]),
)


def entry(code: str) -> RuleEntry:
    """The registry entry of a rule code (KeyError when the code has none)."""
    return REGISTRY[code]


def label(code: str) -> str:
    """The Chinese name of a rule code (the code itself when it has no entry).

    >>> label("buyback"), label("tax_per_mu_low"), label("in_construction"), label("x")
    ('收储改造', '亩均税收偏低', '在建', 'x')
    """
    hit = REGISTRY.get(code)
    return hit.label if hit else code


def source_key(code: str) -> str:
    """The ``[sources]`` key of a rule or reason code (the code itself when it has no entry).

    >>> source_key("idle_reclaim"), source_key("far_headroom"), source_key("idle")
    ('reclaim', 'densify', 'idle')
    """
    hit = REGISTRY.get(code)
    return hit.source if hit else code
