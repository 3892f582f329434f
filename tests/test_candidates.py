"""Tests of lcgis.engine.candidates: one disposition per parcel (rules.md §8), shortlists."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lcgis.engine.candidates import densify, dispositions, priority, target_far, tiers
from lcgis.engine.land import assess_land, idle, in_construction, inefficient
from lcgis.rules import load_rules
from lcgis.vocab import DISPOSITIONS

from .test_land import frame, healthy, not_started

RULES = load_rules()
#: Inside 13号's validity window (2026-02-01 – 2027-12-31).
AS_OF = date(2026, 12, 31)


def staged(*rows: dict[str, Any], as_of: date = AS_OF) -> pd.DataFrame:
    """Parcels with the land-stage columns added, as the pipeline passes them on."""
    p = frame(*rows)
    p["min_far"] = assess_land(p, as_of, RULES)["min_far"]
    for col, values in idle(p, as_of, RULES).items():
        p[col] = values
    p["in_construction"] = in_construction(p, as_of, RULES)
    for col, values in inefficient(p, as_of, RULES).items():
        p[col] = values
    p["undeveloped"] = (p["floor_area_m2"] <= 0) & (p["footprint_area_m2"] <= 0)
    return p


def decided(*rows: dict[str, Any], as_of: date = AS_OF) -> pd.DataFrame:
    return dispositions(staged(*rows, as_of=as_of), RULES, as_of)


# --------------------------------------------------------------------------- 零地增资


def test_densify_tax_bands_and_max_far() -> None:
    # land 10 000 m², far 1.0; the band follows the three-year tax per 亩
    p = frame(
        healthy(tax_per_mu_3y=10.0, far=1.0, floor_area_m2=10000.0),
        healthy(tax_per_mu_3y=25.0, far=1.0, floor_area_m2=10000.0),
        healthy(tax_per_mu_3y=25.0, far=1.0, floor_area_m2=10000.0, max_far=2.0),
        healthy(tax_per_mu_3y=5.0, far=1.0, floor_area_m2=10000.0),
        healthy(tax_per_mu_3y=20.0, far=1.0, floor_area_m2=10000.0),
    )
    out = densify(p, RULES)
    assert out["target_far"].tolist() == [2.5, 3.0, 2.0, 2.5, 3.0]
    assert out["densify_eligible"].tolist() == [True] * 5
    assert out["extra_floor_area_m2"].tolist() == [15000.0, 20000.0, 10000.0, 15000.0, 20000.0]


def test_densify_estimates_per_floor_area() -> None:
    # output 3000 万元 and tax 150 万元 on 10 000 m² of floor: 0.3 and 0.015 万元/m²
    p = frame(
        healthy(
            tax_per_mu_3y=10.0, far=1.0, floor_area_m2=10000.0, output_wan=3000.0, tax_wan=150.0
        )
    )
    out = densify(p, RULES)
    assert out["extra_floor_area_m2"].iloc[0] == 15000.0
    assert out["est_extra_output_wan"].iloc[0] == pytest.approx(4500.0)
    assert out["est_extra_tax_wan"].iloc[0] == pytest.approx(225.0)


def test_densify_excludes_d_low_tax_small_idle_undeveloped_in_construction() -> None:
    p = frame(
        healthy(tax_per_mu_3y=25.0, far=1.0, parcel_class="D"),
        healthy(tax_per_mu_3y=4.99, far=1.0),
        healthy(tax_per_mu_3y=np.nan, far=1.0),
        healthy(tax_per_mu_3y=25.0, far=1.0, land_area_mu=4.9, land_area_m2=4.9 * 10000 / 15),
        healthy(tax_per_mu_3y=25.0, far=1.0, idle=True),
        healthy(tax_per_mu_3y=25.0, far=0.0, floor_area_m2=0.0, undeveloped=True),
        healthy(tax_per_mu_3y=25.0, far=1.0, in_construction=True),
        healthy(tax_per_mu_3y=25.0, far=1.0, parcel_class=None),  # unrated: not D
    )
    out = densify(p, RULES)
    assert out["densify_eligible"].tolist() == [False] * 7 + [True]
    assert out["target_far"].iloc[0] == 3.0  # kept where computable
    assert np.isnan(out["target_far"].iloc[1]) and np.isnan(out["target_far"].iloc[2])
    assert out["extra_floor_area_m2"].isna().tolist() == [True] * 7 + [False]


def test_densify_small_extra_not_listed() -> None:
    # land 8000 m² (12 亩): far 2.45 -> 2.5 adds 400 m² (< 500); far 2.4375 adds exactly 500 m²
    p = frame(
        healthy(tax_per_mu_3y=10.0, far=2.45, land_area_m2=8000.0, land_area_mu=12.0),
        healthy(tax_per_mu_3y=10.0, far=2.4375, land_area_m2=8000.0, land_area_mu=12.0),
        healthy(tax_per_mu_3y=10.0, far=2.5),  # already at target
    )
    out = densify(p, RULES)
    assert out["densify_eligible"].tolist() == [False, True, False]
    assert out["extra_floor_area_m2"].iloc[1] == 500.0


def test_target_far_falls_back_on_the_year_without_three_year_figure() -> None:
    p = pd.DataFrame({"tax_per_mu": [10.0, 25.0, 3.0], "max_far": np.nan})
    assert target_far(p, RULES).tolist()[:2] == [2.5, 3.0]
    assert np.isnan(target_far(p, RULES).iloc[2])


# --------------------------------------------------------------------------- one disposition


def test_three_year_tax_of_four_goes_to_buyback() -> None:
    # tax per 亩 3, 3 and 6 over three years averages 4 < 5 万元/亩 (13号): 收储改造, although
    # this year alone (6) would pass.  Coverage 0.5, FAR 1.5: no other reason.
    out = decided(healthy(tax_per_mu=6.0, tax_per_mu_3y=4.0))
    assert out["disposition"].tolist() == ["buyback"]
    assert out["disposition_reasons"].tolist() == ["tax_per_mu_low"]
    assert out["buyback_candidate"].tolist() == [True]


def test_small_parcel_at_twelve_is_buyback_not_densify() -> None:
    # 4 亩 at 12 万元/亩: under 5 亩 -> 收储改造 (13号), never 零地增资
    small = healthy(
        land_area_mu=4.0, land_area_m2=4.0 * 10000 / 15, tax_per_mu=12.0, tax_per_mu_3y=12.0
    )
    out = decided(small)
    assert out["disposition"].tolist() == ["buyback"]
    assert out["disposition_reasons"].tolist() == ["small_parcel"]
    assert out["densify_candidate"].tolist() == [False]
    assert out["extra_floor_area_m2"].isna().all()


def test_project_in_its_construction_period_is_in_no_list() -> None:
    # agreed completion next year: no FAR, tax or class test, no list — however empty it is
    project = healthy(
        construction_status="under_construction",
        agreed_completion_date="2027-06-30",
        far=0.1,
        coverage=0.05,
        tax_per_mu=0.0,
        tax_per_mu_3y=0.0,
        producing=False,
        parcel_class="D",
        land_area_mu=4.0,
        land_area_m2=4.0 * 10000 / 15,
    )
    p = staged(project)
    assert p["in_construction"].tolist() == [True]
    out = dispositions(p, RULES, AS_OF)
    assert out["disposition"].tolist() == [None]
    assert not out[[f"{d}_candidate" for d in DISPOSITIONS]].to_numpy().any()


def test_d_class_at_eight_is_vacate_for_class_d_only() -> None:
    # a D firm at 8 万元/亩 on land below its industry's FAR: 腾笼换鸟 because of D, never "< 5"
    out = decided(healthy(parcel_class="D", far=0.9, tax_per_mu=8.0, tax_per_mu_3y=8.0))
    assert out["disposition"].tolist() == ["vacate"]
    assert out["disposition_reasons"].tolist() == ["class_d;far_below_min"]
    assert out["vacate_reasons"].tolist() == ["class_d;far_below_min"]
    assert "tax_per_mu_low" not in out["disposition_reasons"].iloc[0]


def test_zone_mismatch_alone_puts_a_parcel_on_no_list() -> None:
    # a textile firm (17) in a zone led by 39, 38: FAR 3.0 is the target of its 20 万元/亩
    # band (no 零地增资), everything else healthy; a D firm with only the mismatch too
    only = {"main_industry_code": "1711", "far": 3.0, "floor_area_m2": 30000.0}
    p = staged(healthy(**only), healthy(**only, parcel_class="D"))
    assert p["industry_mismatch"].tolist() == [True, True]
    assert p["inefficient"].tolist() == [False, False]
    out = dispositions(p, RULES, AS_OF)
    assert out["disposition"].isna().all()
    assert out["disposition_reasons"].tolist() == ["", ""]
    assert not out[[f"{d}_candidate" for d in DISPOSITIONS]].to_numpy().any()


def test_zone_mismatch_follows_the_deciding_reason_on_a_list() -> None:
    # a D textile firm with coverage 0.2 < 0.3 in a zone led by 39, 38: 腾笼换鸟 decided by
    # class_d, then the inefficient reason, the zone mismatch last
    row = healthy(main_industry_code="1711", parcel_class="D", coverage=0.2, far=3.0)
    out = decided(row, healthy(parcel_class="D", coverage=0.2, far=3.0))
    assert out["disposition"].tolist() == ["vacate", "vacate"]
    assert out["disposition_reasons"].tolist() == [
        "class_d;coverage_below_min;industry_mismatch",
        "class_d;coverage_below_min",
    ]


def test_precedence_reclaim_buyback_vacate_densify() -> None:
    idle_3y = not_started("2023-06-30", land_use="industrial")  # 3.5 years idle at AS_OF
    out = decided(
        idle_3y,
        healthy(parcel_id="B", parcel_class="D", tax_per_mu_3y=2.0, far=0.5),  # buyback wins
        healthy(parcel_id="V", parcel_class="D", tax_per_mu_3y=8.0, far=0.5),
        healthy(parcel_id="Z", tax_per_mu_3y=10.0, far=1.0),
    )
    assert out["disposition"].tolist() == ["reclaim", "buyback", "vacate", "densify"]
    for name in DISPOSITIONS:
        assert out[f"{name}_candidate"].tolist() == (out["disposition"] == name).tolist()
    assert out["disposition_reasons"].iloc[0] == "idle_reclaim"
    # freed land shows what it could carry (潜力上限): 15 亩 × zone 20 万元/亩
    assert out["potential_tax_wan"].tolist()[:3] == [300.0, 300.0, 300.0]
    assert np.isnan(out["potential_tax_wan"].iloc[3])


def test_idle_one_year_vacate_and_government_reason_not_reclaimed() -> None:
    one_year = not_started("2025-06-30", land_use="industrial")  # 1.5 years at AS_OF
    three_years = not_started("2023-06-30", land_use="industrial", parcel_id="G")
    p = staged(one_year, three_years)
    p["government_delay"] = [False, True]
    for col, values in idle(p, AS_OF, RULES).items():
        p[col] = values
    out = dispositions(p, RULES, AS_OF)
    assert p["idle_action"].tolist() == ["fee", "government"]
    # the government-delayed parcel is idle but never 无偿收回; both are 腾笼换鸟 (idle)
    assert out["disposition"].tolist() == ["vacate", "vacate"]
    assert out["disposition_reasons"].str.contains("idle").all()


def test_buyback_only_inside_industrial_block_and_validity_note() -> None:
    low = healthy(tax_per_mu_3y=2.0)
    outside_block = healthy(tax_per_mu_3y=2.0, in_industrial_block=False)
    out = decided(low, outside_block)
    assert out["disposition"].tolist() == ["buyback", None]
    # 2025-12-31 lies before 13号 took effect (2026-02-01): still listed, with the note
    early = decided(low, as_of=date(2025, 12, 31))
    assert early["disposition_reasons"].tolist() == ["tax_per_mu_low;outside_validity"]


def test_other_land_uses_get_no_disposition() -> None:
    out = decided(healthy(land_use="other", tax_per_mu_3y=1.0))
    assert out["disposition"].tolist() == [None]


def test_vacate_undeveloped_needs_granted_land_past_its_clock() -> None:
    # undeveloped, granted 2019, agreed start unknown (idle test NA): vacate for undeveloped
    granted_long_ago = not_started(None, grant_date="2019-05-01", construction_status=None)
    not_granted = not_started(None, grant_date=None, land_user=None, construction_status=None)
    fresh = not_started(None, grant_date="2026-06-01", construction_status=None)
    p = staged(granted_long_ago, not_granted, fresh)
    p["inefficient"] = True  # not_producing on granted land; forced for the ungranted one
    out = dispositions(p, RULES, AS_OF)
    assert out["disposition"].tolist()[0] in ("reclaim", "vacate")
    assert out["disposition"].tolist()[1:] == [None, None]


# --------------------------------------------------------------------------- shortlists


def test_priority_stake_weighted_by_zone_order() -> None:
    # stake = 15 亩 × 20 万元/亩 − tax; north × 1.5, central × 1.0
    p = pd.DataFrame(
        {
            "disposition": ["buyback", "buyback", "vacate"],
            "zone_id": ["north", "central", "south"],
            "land_area_mu": [15.0, 15.0, 15.0],
            "zone_tax_per_mu": [20.0, 20.0, 20.0],
            "tax_wan": [60.0, 60.0, np.nan],
        }
    )
    assert priority(p, RULES).tolist() == [360.0, 240.0, 375.0]


def test_tiers_by_priority_within_each_list() -> None:
    # 10 buyback parcels: ⌈0.2 × 10⌉ = 2 近期, up to ⌈0.5 × 10⌉ = 5 中期, 5 储备; a list of 1
    # is 近期
    p = pd.DataFrame(
        {
            "parcel_id": [f"B{i}" for i in range(10)] + ["V0", "X"],
            "disposition": ["buyback"] * 10 + ["vacate", None],
            "priority": [float(i) for i in range(10)] + [1.0, np.nan],
        }
    )
    got = tiers(p, RULES)
    assert got.iloc[:10].tolist() == ["reserve"] * 5 + ["mid"] * 3 + ["near"] * 2
    assert got.iloc[10] == "near" and got.iloc[11] is None


def test_dispositions_keep_index_and_do_not_mutate() -> None:
    p = staged(healthy(tax_per_mu_3y=2.0), healthy(tax_per_mu_3y=10.0))
    p.index = pd.Index([7, 3])
    before = p.copy()
    out = dispositions(p, RULES, AS_OF)
    pd.testing.assert_frame_equal(p, before)
    assert out.index.tolist() == [7, 3]
    assert out["disposition"].tolist() == ["buyback", "densify"]


def test_buyback_only_on_completed_land_not_idle_or_unfinished() -> None:
    # a small parcel whose building was never finished (under construction, two years past
    # its agreed completion) and idle granted land paying no tax are not 收储改造: 13号 is
    # about land in use; the overdue and idle tests handle them
    unfinished = healthy(
        construction_status="under_construction",
        agreed_completion_date="2023-01-10",
        land_area_mu=4.05,
        land_area_m2=4.05 * 10000 / 15,
        tax_per_mu_3y=0.0,
    )
    idle_land = not_started("2025-06-30", land_use="industrial", tax_per_mu_3y=0.0)  # 1.5 年
    done = healthy(tax_per_mu_3y=0.0)
    out = decided(unfinished, idle_land, done)
    assert out["disposition"].tolist()[0] is None
    assert out["disposition"].tolist()[1:] == ["vacate", "buyback"]
    assert out["disposition_reasons"].iloc[1].startswith("idle")


def test_reclaim_list_is_not_tiered() -> None:
    # 无偿收回 is a legal duty (53号令 第十四条): every parcel on that list is 近期
    p = pd.DataFrame(
        {
            "parcel_id": [f"R{i}" for i in range(5)] + [f"B{i}" for i in range(5)],
            "disposition": ["reclaim"] * 5 + ["buyback"] * 5,
            "priority": [5.0, 4.0, 3.0, 2.0, 1.0] * 2,
        }
    )
    got = tiers(p, RULES).tolist()
    assert got[:5] == ["near"] * 5
    assert got[5:] == ["near", "mid", "mid", "reserve", "reserve"]


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_priority_zone_weights_looked_up_per_zone(dtype: object) -> None:
    """Weights looked up once per zone equal the lookup of every row: no zone, an empty or
    unnamed zone weigh 1."""
    import dataclasses

    weights = {"north": 2.0, "": 3.0, "south": 0.5}
    rules = dataclasses.replace(
        RULES,
        priority=dataclasses.replace(
            RULES.priority, zone_weights=weights, densify_zone_weights={"south": 4.0}
        ),
    )
    zones = ["north", None, "", "east", "north", "south", "south"]
    p = pd.DataFrame(
        {
            "disposition": ["vacate", "vacate", "buyback", "reclaim", "densify", "densify", None],
            "zone_id": pd.Series(zones, dtype=dtype),
            "land_area_mu": 10.0,
            "zone_tax_per_mu": 20.0,
            "tax_wan": [50.0, np.nan, 0.0, 10.0, 0.0, 0.0, 0.0],
            "est_extra_tax_wan": 100.0,
        }
    )
    zone = pd.Series(zones, dtype=object)
    disposal = zone.map(weights).astype("float64").fillna(1.0)
    densifying = zone.map({"south": 4.0}).astype("float64").fillna(1.0)
    shortfall = 200.0 - p["tax_wan"].fillna(0.0)
    expected = np.where(p["disposition"].eq("densify"), 100.0 * densifying, shortfall * disposal)
    expected = np.where(p["disposition"].notna(), expected, np.nan)
    np.testing.assert_array_equal(priority(p, rules).to_numpy(), expected)


def _tiers_by_sort_values(parcels: pd.DataFrame) -> list[str | None]:
    """The tiers as sort_values and groupby on the text columns find them (the reference)."""
    rules = load_rules()
    near_share, mid_share = rules.priority.tier_shares
    frame = pd.DataFrame(
        {
            "d": parcels["disposition"].to_numpy(dtype=object),
            "p": pd.to_numeric(parcels["priority"], errors="coerce").to_numpy(dtype=float),
            "id": parcels["parcel_id"].astype(str).to_numpy(),
        }
    )
    listed = frame[frame["d"].notna()].sort_values(["d", "p", "id"], ascending=[True, False, True])
    rank = listed.groupby("d").cumcount() + 1
    n = listed.groupby("d")["d"].transform("size")
    tier = np.where(
        rank <= np.ceil(near_share * n - 1e-9),
        "near",
        np.where(rank <= np.ceil(mid_share * n - 1e-9), "mid", "reserve"),
    )
    tier = np.where(listed["d"].isin(set(rules.priority.untiered)), "near", tier)
    out = np.full(len(frame), None, dtype=object)
    out[listed.index.to_numpy()] = tier
    return out.tolist()


@pytest.mark.parametrize(
    ("ids", "lists", "scores"),
    [
        (list("abcdefg"), ["vacate"] * 4 + ["densify"] * 3, [1, 5, 5, None, 2, 2, 3]),
        (list("bbaacdd"), ["densify"] * 7, [1.0, 1.0, 1.0, None, None, -0.0, 0.0]),  # duplicates
        (["宗地2", "宗地10", "Z", "a"], ["buyback", None, "buyback", "buyback"], [0, 0, 0, 0]),
        (list("abc"), [None, None, None], [1, 2, 3]),
        (list("abcd"), ["densify", "vacate", "densify", "vacate"], [float("inf"), 1, -1e300, 1]),
        ([], [], []),
    ],
)
def test_tiers_is_sort_values(
    ids: list[str], lists: list[str | None], scores: list[float | None]
) -> None:
    """Tiers from the integer-rank sort are those of sort_values on the text columns."""
    parcels = pd.DataFrame(
        {
            "parcel_id": pd.Series(ids, dtype="string"),
            "disposition": pd.Series(lists, dtype=object),
            "priority": pd.Series(scores, dtype=float),
        }
    )
    assert tiers(parcels, load_rules()).tolist() == _tiers_by_sort_values(parcels)
