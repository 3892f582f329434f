"""The plan's assessment on a hand-made three-firm, two-year dataset: chain totals, firm
counts by threshold ("超" is strictly more: a firm of exactly 1 亿元 output is not 产值超亿元),
shares, the yearly growth needed, and the status rule (a district target is never reached).

Firms (output / revenue in 万元):
  A  industry 1711 (纺织), 规上, north, 专精特新:      2024 10,000 / 90,000   2025 15,000 / 100,000
  B  industry 3911 (电子), 规上, south, 高新 上市 龙头: 2024 40,000 / 120,000  2025 50,000 / 150,000
  C  industry 1810, chain "机械装备" (override), 规下, north: 2024 5,000 / 6,000  2025 8,000 / 9,000
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from lcgis.data.frame import column
from lcgis.data.industry import fits_zone
from lcgis.engine.assessment import assess, firm_chains, firm_zones, plan_figures
from lcgis.engine.metrics import positions
from lcgis.engine.zonefit import main_parcels, main_rows, with_zone_fit
from lcgis.errors import RulesError
from lcgis.plans import Plan, Target, load_plans
from lcgis.rules import load_rules

if TYPE_CHECKING:
    from pathlib import Path


def _years() -> pd.DataFrame:
    firms = {
        "credit_code": ["A", "B", "C"],
        "industry_code": ["1711", "3911", "1810"],
        "above_scale": [True, True, False],
        "high_tech": [False, True, False],
        "specialised_sme": [True, False, False],
        "listed": [False, True, False],
        "provincial_leading": [False, True, False],
        "chain": [None, None, "机械装备"],
    }
    rows = []
    money = {
        2024: {"A": (10_000, 90_000), "B": (40_000, 120_000), "C": (5_000, 6_000)},
        2025: {"A": (15_000, 100_000), "B": (50_000, 150_000), "C": (8_000, 9_000)},
    }
    base = pd.DataFrame(firms)
    for year, figures in money.items():
        part = base.copy()
        part["year"] = year
        part["output_wan"] = [float(figures[c][0]) for c in part["credit_code"]]
        part["revenue_wan"] = [float(figures[c][1]) for c in part["credit_code"]]
        part["value_added_wan"] = part["output_wan"] * 0.25
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def _zones() -> pd.Series:
    alloc = pd.DataFrame(
        {
            "credit_code": ["A", "B", "C", "C"],
            "parcel_id": ["P1", "P2", "P1", "P3"],
            "alloc_land_m2": [1000.0, 2000.0, 100.0, 50.0],
        }
    )
    parcels = pd.DataFrame({"parcel_id": ["P1", "P2", "P3"], "zone_id": ["north", "south", "x"]})
    return firm_zones(alloc, parcels)


@pytest.fixture
def figures() -> pd.DataFrame:
    return plan_figures(_years(), load_rules().chains, _zones())


def _at(figures: pd.DataFrame, scope: str, year: int) -> pd.Series:
    return figures[(figures["scope"] == scope) & (figures["year"] == year)].iloc[0]


def test_firm_zones_and_chains() -> None:
    assert _zones().to_dict() == {"A": "north", "B": "south", "C": "north"}
    assert firm_chains(_years(), load_rules().chains).tolist()[:3] == [
        "textile",
        "electronics",
        "machinery",  # 18 would be 纺织鞋服: the firm's own chain wins
    ]


def test_chain_totals_are_the_output_of_their_firms(figures: pd.DataFrame) -> None:
    park = _at(figures, "园区", 2025)
    assert park["chain_textile_yi"] == pytest.approx(1.5)
    assert park["chain_machinery_yi"] == pytest.approx(0.8)  # 规下 C counts in its chain
    assert park["chain_electronics_yi"] == pytest.approx(5.0)
    before = _at(figures, "园区", 2024)
    assert (before["chain_textile_yi"], before["chain_machinery_yi"]) == pytest.approx((1.0, 0.5))
    north = _at(figures, "north", 2025)
    assert (north["chain_textile_yi"], north["chain_machinery_yi"]) == pytest.approx((1.5, 0.8))
    assert north["chain_electronics_yi"] == 0.0


def test_firm_counts_by_threshold_exactly_one_yi_is_not_over(figures: pd.DataFrame) -> None:
    before, now = _at(figures, "园区", 2024), _at(figures, "园区", 2025)
    assert before["firms_output_over_1yi"] == 1  # A has exactly 10,000 万元: not 超亿元
    assert now["firms_output_over_1yi"] == 2
    assert now["firms_revenue_over_10yi"] == 1  # A has exactly 100,000 万元: not 超10亿元
    assert before["firms_revenue_over_10yi"] == 1
    assert now["firms_output_over_10yi"] == 0
    assert (now["firms"], now["above_scale_firms"], now["below_scale_firms"]) == (3, 2, 1)
    assert (now["specialised_sme"], now["listed"], now["provincial_leading"]) == (1, 1, 1)
    assert now["high_tech"] == 1
    north = _at(figures, "north", 2025)
    assert (north["firms"], north["above_scale_firms"], north["below_scale_firms"]) == (2, 1, 1)
    assert set(figures["scope"]) == {"园区", "north", "south"}


def test_output_sums_and_the_high_tech_share(figures: pd.DataFrame) -> None:
    now = _at(figures, "园区", 2025)
    assert now["above_scale_output_yi"] == pytest.approx(6.5)  # (15,000 + 50,000) / 10,000
    assert now["high_tech_output_yi"] == pytest.approx(5.0)
    assert now["high_tech_output_share"] == pytest.approx(5.0 / 6.5)
    assert now["industry_value_added_yi"] == pytest.approx(73_000 * 0.25 / 10_000)
    south = _at(figures, "south", 2024)
    assert south["high_tech_output_share"] == pytest.approx(1.0)
    north = _at(figures, "north", 2024)
    assert north["high_tech_output_share"] == 0.0  # 规上 output 1 亿, none high-tech


def test_figures_of_fields_the_data_lacks_are_missing_not_zero() -> None:
    bare = _years().drop(columns=["high_tech", "specialised_sme", "listed", "revenue_wan"])
    f = _at(plan_figures(bare, load_rules().chains), "园区", 2025)
    assert math.isnan(f["high_tech_output_yi"]) and math.isnan(f["high_tech_output_share"])
    assert math.isnan(f["specialised_sme"]) and math.isnan(f["firms_revenue_over_10yi"])
    assert f["provincial_leading"] == 1 and f["firms_output_over_1yi"] == 2


def _plan(*targets: Target) -> Plan:
    return Plan("15th", "十五五", 2026, 2030, "", targets)


def test_share_reached_growth_needed_and_status(figures: pd.DataFrame) -> None:
    plan = _plan(
        Target("above_scale_output_yi", 13.0, "亿元", "园区"),
        Target("chain_electronics_yi", 4.0, "亿元", "园区"),
        Target("chain_textile_yi", 3.0, "亿元", "north"),
    )
    t = assess(plan, figures, ["north", "central", "south"])
    rows = {(r.target, r.scope): r for r in t.itertuples()}
    out = rows[("above_scale_output_yi", "园区")]
    assert (out.value_2025, out.latest_year, out.share_reached) == (pytest.approx(6.5), 2025, 0.5)
    assert out.growth_needed == pytest.approx(2 ** (1 / 5) - 1)  # doubling in 2026–2030
    assert out.status == "not_reached"
    assert [c for c in t.columns if c.startswith("value_")] == ["value_2025"]  # from 2025
    beside = rows[("above_scale_output_yi", "north")]
    assert beside.status == "beside" and math.isnan(beside.growth_needed)  # a park target
    assert rows[("above_scale_output_yi", "central")].status == "no_data"  # no firm there
    assert rows[("chain_electronics_yi", "园区")].status == "reached"
    assert rows[("chain_electronics_yi", "园区")].share_reached == pytest.approx(1.25)
    north = rows[("chain_textile_yi", "north")]
    assert (north.share_reached, north.status) == (0.5, "not_reached")
    assert north.growth_needed == pytest.approx(2 ** (1 / 5) - 1)
    assert ("chain_textile_yi", "园区") not in rows  # a zone target: its zone only


def test_a_district_target_is_never_reached_even_when_the_park_exceeds_it(
    figures: pd.DataFrame,
) -> None:
    plan = _plan(Target("listed", 0.5, "家", "全区"), Target("gdp_yi", 650.0, "亿元", "全区"))
    t = assess(plan, figures)
    listed = t[t["target"] == "listed"]
    assert list(listed["scope"]) == ["园区", "north", "south"]
    assert list(listed["status"]) == ["context", "context", "context"]
    assert listed.iloc[0]["share_reached"] == 2.0  # 1 listed firm against 0.5
    assert listed["growth_needed"].isna().all()  # the park cannot reach a district target
    gdp = t[t["target"] == "gdp_yi"]
    assert list(gdp["status"]) == ["no_data"] and list(gdp["scope"]) == ["园区"]


def test_the_default_plan_over_a_finished_period_needs_no_growth(figures: pd.DataFrame) -> None:
    (plan,) = load_plans()
    t = assess(plan, figures)
    assert set(t["status"]) == {"context", "no_data"}
    assert t["growth_needed"].isna().all()  # 2025 is the plan's last year
    out = t[(t["target"] == "above_scale_output_yi") & (t["scope"] == "园区")].iloc[0]
    assert (out["value_2024"], out["value_2025"]) == pytest.approx((5.0, 6.5))
    assert (out["baseline_year"], out["baseline_value"]) == (2020, 438.29)
    assert out["share_reached"] == pytest.approx(6.5 / 661)


def test_a_park_target_in_a_users_plan_file_is_reached_when_exceeded(
    figures: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[plan]]\nkey = "15th"\nname = "十五五"\nperiod = { start = 2026, end = 2030 }\n'
        '[[plan.target]]\nkey = "firms_output_over_1yi"\nvalue = 2\nunit = "家"\nscope = "园区"\n'
        '[[plan.target]]\nkey = "listed"\nvalue = 1\nunit = "家"\nscope = "全区"\n',
        encoding="utf-8",
    )
    plan = load_rules(path).plans[1]
    t = assess(plan, figures).set_index(["target", "scope"])
    assert t.loc[("firms_output_over_1yi", "园区"), "status"] == "reached"  # 2 ≥ 2
    assert t.loc[("firms_output_over_1yi", "园区"), "growth_needed"] == 0.0
    assert t.loc[("listed", "园区"), "status"] == "context"


def test_a_target_in_an_unknown_zone_is_refused(figures: pd.DataFrame) -> None:
    plan = _plan(Target("listed", 1.0, "家", "east"))
    with pytest.raises(RulesError, match="规划 15th 的目标 listed 的范围 east 不是已知的片区"):
        assess(plan, figures, ["north", "south"])


def test_a_guest_sees_no_output_totals_of_the_plan_figures(figures: pd.DataFrame) -> None:
    from lcgis.access import policy

    rules = load_rules()
    guest = policy("guest", rules).mask_figures(figures)
    money = ["above_scale_output_yi", "chain_textile_yi", "firms_output_over_1yi"]
    money += ["firms_revenue_over_10yi", "industry_value_added_yi", "high_tech_output_share"]
    assert guest[money].isna().all().all()
    assert guest["listed"].tolist() == figures["listed"].tolist()  # counts of honours stay
    viewer = policy("viewer", rules).mask_figures(figures)
    assert viewer["chain_textile_yi"].tolist() == figures["chain_textile_yi"].tolist()


def test_parcels_outside_every_zone_count_in_the_park_only() -> None:
    alloc = pd.DataFrame(
        {"credit_code": ["A", "B", "C"], "parcel_id": ["P1", "P2", "P3"], "alloc_land_m2": 1.0}
    )
    zone_ids = pd.array(["north", pd.NA, pd.NA], dtype="string")
    parcels = pd.DataFrame({"parcel_id": ["P1", "P2", "P3"], "zone_id": zone_ids})
    zones = firm_zones(alloc, parcels)
    assert zones.to_dict() == {"A": "north"}
    f = plan_figures(_years(), load_rules().chains, zones)
    assert _at(f, "园区", 2025)["firms"] == 3 and _at(f, "north", 2025)["firms"] == 1
    assert set(f["scope"]) == {"园区", "north"}


@pytest.mark.parametrize(
    ("ids", "zones"),
    [
        (["P1", "P2", "P3"], ["north", "south", "x"]),
        (["P1", "P1", "P3"], ["north", "south", None]),  # a duplicated id: its first row
        (["P3", "P2"], ["", "south"]),  # P1 outside the parcels, P3 in no zone
        (["P2", "P3", "P1"], [7, float("nan"), 7.0]),  # not text: as str() writes it
        (["P2", "P3", "P1"], [0.0, None, -0.0]),
        ([], []),
    ],
)
@pytest.mark.parametrize("dtype", ["string", object])
def test_firm_zones_is_a_map_by_id(ids: list[str], zones: list[object], dtype: object) -> None:
    """The zone found by position is the zone a map over the parcel ids (first of each) finds."""
    alloc = pd.DataFrame(
        {
            "credit_code": ["A", "B", "C", "C"],
            "parcel_id": ["P1", "P2", "P1", "P3"],
            "alloc_land_m2": [1000.0, 2000.0, 100.0, 50.0],
        }
    )
    parcels = pd.DataFrame(
        {"parcel_id": pd.Series(ids, dtype="string"), "zone_id": pd.Series(zones, dtype=dtype)}
    )
    main = main_parcels(alloc)
    zone_of = pd.Series(parcels["zone_id"].astype(object).to_numpy(), index=parcels["parcel_id"])
    expected = main.map(zone_of[~zone_of.index.duplicated()])
    expected = expected[expected.notna() & (expected.astype(str) != "")].astype(str).astype(object)
    pd.testing.assert_series_equal(firm_zones(alloc, parcels), expected)


def _zone_fit_by_map(ent: pd.DataFrame, alloc: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    """with_zone_fit as a map of the credit codes to their main parcel ids (the reference)."""
    out = ent.copy()
    at = positions(out["credit_code"].map(main_parcels(alloc)), parcels["parcel_id"].astype(str))
    for col in ("zone_id", "zone_role", "zone_leading_industries"):
        out[col] = column(parcels, col, pd.NA).astype("string").array.take(at, allow_fill=True)
    lead = out.pop("zone_leading_industries")
    out["fits_zone"] = fits_zone(column(out, "industry_code", pd.NA), lead)
    return out


@pytest.mark.parametrize(
    "codes",
    [
        ["A", "B", "C", "C"],
        ["A", None, "C", None],  # rows without a credit code: a firm of their own
        ["C", "C", "C", "C"],
        ["B", "A", "B", "A"],
    ],
)
@pytest.mark.parametrize("ent_codes", [["A", "B", "C", "Z"], [None, "C"], []])
def test_main_parcel_rows_give_the_zones_of_a_map(
    codes: list[str | None], ent_codes: list[str | None]
) -> None:
    """Each firm's main parcel found by its row (main_at) or by its id gives the zone and fit
    that a map of the credit codes to their main parcel ids gives, for with_zone_fit and
    firm_zones."""
    alloc = pd.DataFrame(
        {
            "credit_code": pd.Series(codes, dtype="string"),
            "parcel_id": pd.Series(["P3", "P1", "P2", "P1"], dtype="string"),
            "alloc_land_m2": [1000.0, 2000.0, 100.0, 100.0],
        }
    )
    parcels = pd.DataFrame(
        {
            "parcel_id": pd.Series(["P1", "P2", "P3"], dtype="string"),
            "zone_id": pd.Series(["north", None, "south"], dtype="string"),
            "zone_role": pd.Series(["示范区", None, "x"], dtype="string"),
            "zone_leading_industries": pd.Series(["39", None, "17"], dtype="string"),
        }
    )
    ent = pd.DataFrame(
        {
            "credit_code": pd.Series(ent_codes, dtype="string"),
            "industry_code": pd.Series(
                ["3911", "1711", None, "3911"][: len(ent_codes)], dtype="string"
            ),
        }
    )
    rows = main_rows(alloc)
    main = main_parcels(alloc, rows)
    main_at = positions(alloc["parcel_id"], parcels["parcel_id"])[rows]
    pd.testing.assert_series_equal(main, main_parcels(alloc))
    expected = _zone_fit_by_map(ent, alloc, parcels)
    pd.testing.assert_frame_equal(with_zone_fit(ent, alloc, parcels), expected)
    pd.testing.assert_frame_equal(
        with_zone_fit(ent, alloc, parcels, main=main, main_at=main_at), expected
    )
    pd.testing.assert_series_equal(
        firm_zones(alloc, parcels, main=main, main_at=main_at), firm_zones(alloc, parcels)
    )


@pytest.mark.parametrize(
    "zone_of",
    [
        {"A": "north", "B": "south", "C": "north"},
        {"C": "south", "A": "north"},  # B in no zone; zones in the order first met
        {"B": "east"},
        {},
    ],
)
@pytest.mark.parametrize("code_dtype", ["string", object])
def test_zone_figures_are_the_figures_of_the_zones_firms(
    zone_of: dict[str, str], code_dtype: object
) -> None:
    """Each zone's figures, found by one lookup of the credit codes, are the park figures of
    that zone's firms alone; a firm without a code counts in the park only."""
    years = _years()
    years["credit_code"] = years["credit_code"].astype(code_dtype)
    blank = years.iloc[:1].assign(credit_code=None, output_wan=70_000.0)
    years = pd.concat([years, blank], ignore_index=True)
    chains = load_rules().chains
    zones = pd.Series(zone_of, dtype=object)
    f = plan_figures(years, chains, zones)
    assert f["scope"].drop_duplicates().tolist() == ["园区", *dict.fromkeys(zone_of.values())]
    for zone in dict.fromkeys(zone_of.values()):
        firms = [code for code, z in zone_of.items() if z == zone]
        alone = plan_figures(years[years["credit_code"].isin(firms)], chains)
        got = f[f["scope"] == zone].drop(columns="scope").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, alone.drop(columns="scope"))
