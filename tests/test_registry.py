"""The rules registry (lcgis.registry): an entry for every code the engine can produce, keys
that resolve in the default rules, and texts that follow a user's rules file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import run
from lcgis.papers.rules_text import REPORT_RULES, parameters, rule_rows
from lcgis.registry import OFF, REGISTRY, entry, resolve
from lcgis.rules import load_rules
from lcgis.views.explain import CARD_RULES, explain
from lcgis.vocab import (
    DISPOSITION_REASON_LABELS,
    DISPOSITIONS,
    INEFFICIENT_REASONS,
    REASON_CODES,
)

#: Every reason code the engine writes (inefficient_reasons, vacate_reasons,
#: disposition_reasons) and every disposition.
ENGINE_CODES = (
    *INEFFICIENT_REASONS,
    *REASON_CODES,
    *DISPOSITION_REASON_LABELS,
    *DISPOSITIONS,
)


@pytest.mark.parametrize("code", sorted(set(ENGINE_CODES)))
def test_every_engine_code_has_an_entry_whose_keys_resolve(code: str) -> None:
    rules = load_rules()
    rule = entry(code)
    assert rule.code == code and rule.label and rule.test
    if rule.threshold:
        resolve(rules, rule.threshold)  # KeyError when the key names no rule
    if rule.switch:
        assert isinstance(resolve(rules, rule.switch), bool)
    assert rule.source in rules.sources, (code, rule.source)
    assert rules.source(rule.source), (code, rule.source)


def test_every_entry_reads_under_the_default_rules() -> None:
    rules = load_rules()
    for code, rule in REGISTRY.items():
        assert rule.source in rules.sources, code
        for key in (rule.threshold, rule.switch):
            if key:
                resolve(rules, key)
        if rule.test:
            assert "{" not in rule.text(rules) and "{" not in rule.test_text(rules), code
    for code in (*CARD_RULES, *REPORT_RULES):
        assert code in REGISTRY, code


def test_the_engine_writes_no_code_without_an_entry() -> None:
    res = run(read_dataset(Path(__file__).resolve().parents[1] / "data"), load_rules())
    p = res.parcels
    written = set()
    for col in ("inefficient_reasons", "vacate_reasons", "disposition_reasons", "disposition"):
        for value in p[col].dropna().astype(str):
            written |= {c for c in value.split(";") if c}
    assert written and written <= set(REGISTRY)


def test_a_switched_off_rule_says_so() -> None:
    rules = load_rules(
        overrides={"inefficient": {"coverage_below_min": False, "tax_per_mu_below": False}}
    )
    assert entry("coverage_below_min").text(rules) == OFF
    assert entry("tax_per_mu_low").limit_text(rules) == OFF
    assert parameters(rules)["tax_per_mu_low"] == OFF
    assert entry("far_below_plan").test_text(rules, "阈值") == "容积率利用率 < 阈值"


USER_RULES = """\
[land]
coverage_min = 0.4
[land.min_far_by_industry]
"39" = 1.6
[inefficient]
tax_per_mu_below = 8.0
[idle]
not_started_years = 2.0
[densify]
min_extra_floor_area_m2 = 800.0
"""


def test_card_and_papers_quote_the_users_thresholds(toy: Path, tmp_path: Path) -> None:
    path = tmp_path / "修订规则.toml"
    path.write_text(USER_RULES, encoding="utf-8")
    rules = load_rules(path)
    default = explain(run(read_dataset(toy), load_rules()), "P1")
    card = explain(run(read_dataset(toy), rules), "P1")
    assert card is not None and default is not None
    rows = card.rules.set_index("规则")
    old = default.rules.set_index("规则")
    # the FAR lower limit of the main firm's industry (3911 → 39)
    assert rows.loc["容积率低于行业下限", "阈值"].startswith("1.60(")
    assert "按 39 取 1.6" in rows.loc["容积率低于行业下限", "阈值"]
    assert old.loc["容积率低于行业下限", "阈值"].startswith("1.00(")
    assert rows.loc["建筑系数低于下限", "阈值"] == "40%"
    assert old.loc["建筑系数低于下限", "阈值"] == "30%"
    assert rows.loc["亩均税收偏低", "阈值"] == "8 万元/亩"
    assert rows.loc["闲置土地", "检验"].startswith("未动工满2年")
    assert old.loc["闲置土地", "检验"].startswith("未动工满1年")
    assert "增量 ≥ 800 m²" in rows.loc["零地增资", "阈值"]
    # the papers' rules table says the same
    papers = {name: text for name, text, _ in rule_rows(rules)}
    assert papers["建筑系数低于下限"] == "建筑系数 < 40%"
    assert papers["亩均税收偏低"] == "近三年亩均税收 < 8 万元/亩"
    assert papers["闲置土地"].startswith("未动工满2年")
    assert "增量 ≥ 800 m²" in papers["零地增资"]
    defaults = {name: text for name, text, _ in rule_rows(load_rules())}
    assert defaults["亩均税收偏低"] == "近三年亩均税收 < 5 万元/亩"


def test_the_workbook_names_every_rule_as_the_card_does() -> None:
    """One name per rule: the workbook's 说明 sheet (SOURCE_LABELS) and the registry agree."""
    from lcgis.registry import label
    from lcgis.vocab import SOURCE_LABELS

    assert {c: label(c) for c in SOURCE_LABELS} == dict(SOURCE_LABELS)
