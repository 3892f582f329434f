"""The 规划 screen's data (lcgis.views.targets) on the demo park, checked against the input
files directly: figures by year, chains, size classes, the headline and the firms outside
their zone's leading industries."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from lcgis import access
from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import Result, run
from lcgis.plans import Plan, Target
from lcgis.rules import load_rules
from lcgis.views import targets

ROOT = Path(__file__).resolve().parents[1]


@cache
def demo() -> Result:
    return run(read_dataset(ROOT / "data"), load_rules())


@cache
def years() -> pd.DataFrame:
    e = read_dataset(ROOT / "data").enterprises
    assert e is not None
    return e


def test_figures_by_year_are_the_input_files_counts() -> None:
    e = years()
    got = targets.figure_trend(demo(), "specialised_sme", "园区").set_index("年度")["数值"]
    want = e.groupby("year")["specialised_sme"].sum()
    assert got.to_dict() == {int(y): float(n) for y, n in want.items()}
    assert list(got.index) == [2020, 2021, 2022, 2023, 2024, 2025]


def test_chain_output_by_year_from_the_industry_codes_and_overrides() -> None:
    e, rules = years(), load_rules()
    got = targets.chain_trend(demo(), "园区").set_index(["年度", "产业链"])["产值(亿元)"]
    by_code = {c: ch.name for ch in rules.chains.values() for c in ch.codes}
    names = {k: ch.name for k, ch in rules.chains.items()} | {
        ch.name: ch.name for ch in rules.chains.values()
    }
    chain = (
        e["chain"]
        .map(names)
        .where(e["chain"].notna(), e["industry_code"].astype(str).str[:2].map(by_code))
    )
    want = e.assign(chain=chain).dropna(subset=["chain"]).groupby(["year", "chain"])["output_wan"]
    for (year, name), total in want.sum().items():
        assert got[(int(year), name)] == pytest.approx(total / 1e4)


def test_firms_by_size_class_add_up() -> None:
    sizes = targets.size_trend(demo(), "园区").set_index("年度")
    firms = years().groupby("year")["credit_code"].nunique()
    total = sizes["规上企业(家)"] + sizes["规下企业(家)"]
    assert total.to_dict() == {int(y): float(n) for y, n in firms.items()}


def test_headline_never_calls_a_district_target_reached() -> None:
    res = demo()
    plan = res.rules.plans[0]
    table = targets.headline(res, plan)
    assert len(table) == 7
    assert set(table["说明"]) == {"全区目标(园区数仅作参照)"}
    # the same figure against a park target of the committee's: reached
    mine = Plan("own", "园区目标", 2021, 2025, "", (Target("specialised_sme", 12.0, "家", "园区"),))
    (row,) = targets.headline(res, mine).to_dict("records")
    assert (row["园区最新值"], row["说明"]) == (14.0, "已达到")


def test_misfits_are_the_firms_outside_their_zones_leading_industries() -> None:
    res = demo()
    bad = targets.misfits(res)
    assert len(bad) == int(res.enterprises["fits_zone"].eq(False).fillna(False).sum()) > 0
    lead = res.zones.set_index("zone_name")["leading_industries"].map(
        lambda t: set(str(t).replace("，", ",").split(","))
    )
    for zone, industry in zip(bad["片区"], bad["行业"], strict=True):
        assert industry[:2] not in lead[zone], (zone, industry)


def test_a_guest_does_not_see_the_output_figures() -> None:
    res = demo()
    guest = access.policy("guest", load_rules()).mask_result(res)
    hidden = targets.hidden_targets(guest, res.rules.plans[0])
    assert {"above_scale_output_yi", "high_tech_output_share", "chain_textile_yi"} <= hidden
    assert (
        "specialised_sme" not in hidden and targets.hidden_targets(res, res.rules.plans[0]) == set()
    )
    assert targets.figure_trend(guest, "above_scale_output_yi", "园区")["数值"].isna().all()
