"""Plans as data: the default 十四五 plan holds every target and baseline of the plan text
(泉鲤政文〔2021〕87号, typed here from plan-targets.md), a user's file adds or replaces a plan by
key, bad input is a Chinese RulesError naming the key; the chain table of the rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lcgis.errors import RulesError
from lcgis.plans import DISTRICT, PARK, current_plan, default_plans, load_plans
from lcgis.rules import load_rules

if TYPE_CHECKING:
    from pathlib import Path

#: The 2025 targets of 二、(三) 主要目标: key, value, unit (all 全区).
TARGETS_2025 = [
    ("gdp_yi", 650.0),
    ("industry_value_added_yi", 207.0),
    ("above_scale_output_yi", 661.0),
    ("high_tech_output_yi", 297.8),
    ("high_tech_output_share", 0.50),
    ("firms_revenue_over_10yi", 10.0),
    ("firms_output_over_1yi", 100.0),
    ("specialised_sme", 15.0),
    ("provincial_high_growth", 15.0),
    ("provincial_single_champion", 6.0),
    ("provincial_leading", 12.0),
    ("service_manufacturing_demo", 5.0),
    ("key_tech_upgrade_projects", 20.0),
    ("industrial_investment_growth", 0.08),
    ("chain_textile_yi", 300.0),
    ("chain_machinery_yi", 100.0),
    ("chain_electronics_yi", 150.0),
]
#: The baselines of 区位审视: key, value, year, scope.
BASELINES = [
    ("above_scale_output_yi", 336.24, 2015, DISTRICT),
    ("above_scale_output_yi", 438.29, 2020, DISTRICT),
    ("gdp_yi", 438.08, 2020, DISTRICT),
    ("firms_output_over_1yi", 84.0, 2020, DISTRICT),
    ("firms_output_over_10yi", 8.0, 2020, DISTRICT),
    ("approved_area_km2", 5.57, 2010, PARK),
    ("firms", 1200.0, 2020, PARK),
    ("listed", 9.0, 2020, PARK),
    ("high_tech", 66.0, 2020, PARK),
    ("above_scale_firms", 150.0, 2020, PARK),
    ("benefit_per_mu", 25.0, 2020, PARK),
    ("high_tech_output_share", 0.42, 2018, DISTRICT),
    ("high_tech_output_share", 0.40, 2019, DISTRICT),
]

FIFTEENTH = """
[[plan]]
key = "15th"
name = "十五五"
period = { start = 2026, end = 2030 }
source = "委员会 2026 年会议"

[[plan.target]]
key = "above_scale_output_yi"
value = 500.0
unit = "亿元"
scope = "园区"
wording = "园区规上工业产值 500 亿元"
"""


def test_the_default_plan_holds_every_target_and_baseline_of_the_plan() -> None:
    (plan,) = default_plans()
    assert (plan.key, plan.start, plan.end) == ("14th", 2021, 2025)
    assert "泉鲤政文〔2021〕87号" in plan.source and "主要目标" in plan.source
    assert [(t.key, t.value) for t in plan.targets] == TARGETS_2025
    assert {t.scope for t in plan.targets} == {DISTRICT}
    assert all(t.wording and t.unit for t in plan.targets)
    got = [(b.key, b.value, b.year, b.scope) for b in plan.baselines]
    assert got == BASELINES
    assert plan.target("chain_textile_yi").wording.endswith("打造 300 亿级产业链群")
    assert [b.year for b in plan.baselines_of("above_scale_output_yi")] == [2015, 2020]


def test_the_rules_carry_the_default_plan() -> None:
    assert load_rules().plans == default_plans()


def test_a_users_rules_file_adds_a_plan_and_replaces_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[densify]\nmin_land_mu = 6.0\n" + FIFTEENTH, encoding="utf-8")
    rules = load_rules(path)
    assert [p.key for p in rules.plans] == ["14th", "15th"]
    assert rules.plans[0] == default_plans()[0]
    new = rules.plans[1]
    assert (new.name, new.start, new.end) == ("十五五", 2026, 2030)
    assert new.source == "委员会 2026 年会议"
    assert new.targets[0].scope == PARK and new.targets[0].value == 500.0
    assert rules.densify.min_land_mu == 6.0
    assert rules.digest != load_rules().digest
    assert load_plans(path) == rules.plans  # the same file read as a plans file
    assert current_plan(rules.plans, 2027) is new
    assert current_plan(rules.plans, 2025) is rules.plans[0]


def test_a_plan_of_the_same_key_replaces_the_default_one(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text(FIFTEENTH.replace('"15th"', '"14th"'), encoding="utf-8")
    (plan,) = load_plans(path)
    assert (plan.key, plan.name, len(plan.targets)) == ("14th", "十五五", 1)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("value = 500.0\n", "规划 15th 的目标 above_scale_output_yi 缺少 value(目标值)"),
        ('scope = "园区"', "规划 15th 的目标 above_scale_output_yi 的范围 scope = '全市'"),
        ("value = 500.0", "规划 15th 的目标 above_scale_output_yi 的 value(目标值) 应为数值"),
        ('unit = "亿元"', "规划 15th 的目标 above_scale_output_yi 有未知的键 units"),
        ("period = { start = 2026, end = 2030 }", "规划 15th 的规划期终止年 2020 早于起始年 2026"),
    ],
)
def test_bad_input_names_the_key_in_chinese(tmp_path: Path, edit: str, message: str) -> None:
    replacement = {
        "value = 500.0\n": "",
        'scope = "园区"': 'scope = "全市"',
        "value = 500.0": 'value = "五百"',
        'unit = "亿元"': 'units = "亿元"',
        "period = { start = 2026, end = 2030 }": "period = { start = 2026, end = 2020 }",
    }[edit]
    path = tmp_path / "rules.toml"
    path.write_text(FIFTEENTH.replace(edit, replacement, 1), encoding="utf-8")
    with pytest.raises(RulesError, match=r"^规则文件 rules\.toml：") as rules_error:
        load_rules(path)
    assert message in str(rules_error.value)
    with pytest.raises(RulesError) as plans_error:
        load_plans(path)
    assert message in str(plans_error.value)


def test_a_scope_that_is_no_zone_is_refused_when_the_zones_are_known(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text(FIFTEENTH.replace('scope = "园区"', 'scope = "east"'), encoding="utf-8")
    assert load_plans(path)[1].targets[0].scope == "east"  # zones not known: an id is kept
    with pytest.raises(RulesError) as error:
        load_plans(path, zone_ids=["north", "central", "south"])
    assert str(error.value) == (
        "规划 15th 的目标 above_scale_output_yi 的范围 east 不是已知的片区："
        "可用 全区、园区、north、central、south"
    )


def test_a_plan_key_given_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text(FIFTEENTH + FIFTEENTH, encoding="utf-8")
    with pytest.raises(RulesError, match="规划 15th 重复"):
        load_plans(path)


# --- the chain table ------------------------------------------------------------------------


def test_the_default_chains_and_their_codes() -> None:
    chains = load_rules().chains
    got = {k: (c.name, c.codes) for k, c in chains.items()}
    assert got == {
        "textile": ("纺织鞋服", ("17", "18", "19")),
        "machinery": ("机械装备", ("34", "35", "36", "37", "38")),
        "electronics": ("电子信息", ("39", "40")),
    }
    assert all("泉鲤政文〔2021〕87号" in c.source for c in chains.values())


def test_a_users_rules_file_edits_and_adds_chains(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[chains.machinery]\ncodes = ["33", "34", "35"]\n'
        '[chains.medical]\nname = "生物医药"\ncodes = ["27"]\n',
        encoding="utf-8",
    )
    chains = load_rules(path).chains
    assert chains["machinery"].codes == ("33", "34", "35")
    assert chains["machinery"].name == "机械装备"  # the keys not given stay
    assert (chains["medical"].name, chains["medical"].codes) == ("生物医药", ("27",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[chains.medical]\ncodes = ["27"]\n', "规则 chains.medical 缺少 name"),
        ('[chains.textile]\ncolour = "red"\n', "未知的键 chains.textile.colour"),
        ('[chains.medical]\nname = "医药"\ncodes = ["39"]\n', "39 已属于产业链 electronics"),
        ('[chains.textile]\ncodes = ["171"]\n', "chains.textile.codes 中的 '171' 不是两位行业代码"),
        ('[chains.textile]\ncodes = "17"\n', "规则 chains.textile.codes 的类型不对"),
    ],
)
def test_bad_chains_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as error:
        load_rules(path)
    assert message in str(error.value)
