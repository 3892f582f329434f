"""The rules a paper applies, in words: name, the parameters in force, and the source, all
from the rules registry (:mod:`lcgis.registry`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcgis.registry import REGISTRY, label, source_key

if TYPE_CHECKING:
    from lcgis.rules import Rules


def rule_name(code: str) -> str:
    """The Chinese name of a rule code.

    >>> rule_name("buyback"), rule_name("tax_per_mu_low")
    ('收储改造', '亩均税收偏低')
    """
    return label(code)


def parameters(rules: Rules) -> dict[str, str]:
    """The parameters in force of every rule code, as Chinese text.

    >>> from lcgis.rules import load_rules
    >>> parameters(load_rules(overrides={"land": {"coverage_min": 0.4}}))["coverage_below_min"]
    '建筑系数 < 40%'
    """
    return {code: e.text(rules) for code, e in REGISTRY.items() if e.test}


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
        [rule_name(code), params.get(code, ""), rules.source(source_key(code)) or "未注明"]
        for code in codes
    ]
