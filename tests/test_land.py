"""Tests of lcgis.engine.land: minimum FAR, undeveloped, the idle clock, inefficient reasons."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lcgis.engine.land import (
    assess_land,
    describe_reasons,
    effective_min_far,
    idle,
    inefficient,
    undeveloped,
    years_between,
    zone_benchmark_per_mu,
)
from lcgis.rules import Rules, load_rules
from lcgis.vocab import INEFFICIENT_REASONS, REASON_CODES, REASON_LABELS

RULES = load_rules()
#: The relative output test is off by default since revision 2; these tests switch it on.
RELATIVE_OUTPUT = load_rules(overrides={"inefficient": {"output_per_mu_below_zone_share": 0.5}})
AS_OF = date(2025, 6, 30)
DATES = ("grant_date", "agreed_start_date", "agreed_completion_date", "actual_start_date")


def healthy(**changes: Any) -> dict[str, Any]:
    """One built, producing, efficient industrial parcel (no reason set), with changes."""
    row: dict[str, Any] = {
        "parcel_id": "P1",
        "land_use": "industrial",
        "zone_id": "north",
        "zone_leading_industries": "39,38",
        "land_area_m2": 10000.0,
        "land_area_mu": 15.0,
        "floor_area_m2": 15000.0,
        "footprint_area_m2": 5000.0,
        "far": 1.5,
        "coverage": 0.5,
        "min_far": np.nan,
        "max_far": np.nan,
        "far_utilization": np.nan,
        "construction_status": "completed",
        "grant_date": "2015-01-01",
        "agreed_start_date": "2015-07-01",
        "agreed_completion_date": "2017-07-01",
        "actual_start_date": "2015-06-01",
        "suspended_since": None,
        "developed_share": np.nan,
        "invested_share": np.nan,
        "land_price_wan": 1000.0,
        "n_occupants": 1,
        "output_wan": 3000.0,
        "tax_wan": 300.0,
        "output_per_mu": 200.0,
        "tax_per_mu": 20.0,
        "main_industry_code": "3911",
        "producing": True,
        "leased_floor_area_m2": 0.0,
        "occupied_floor_area_m2": 15000.0,
        "parcel_class": "B",
        "zone_output_per_mu": 200.0,
        "zone_tax_per_mu": 20.0,
    }
    row.update(changes)
    return row


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    for col in (*DATES, "suspended_since"):
        df[col] = pd.to_datetime(df[col])
    df["producing"] = df["producing"].astype("boolean")
    return df


def not_started(agreed_start: str | None, **changes: Any) -> dict[str, Any]:
    """A granted parcel where nothing was built, agreed to start on ``agreed_start``."""
    base: dict[str, Any] = {
        "construction_status": "not_started",
        "agreed_start_date": agreed_start,
        "actual_start_date": None,
        "agreed_completion_date": None,
        "floor_area_m2": 0.0,
        "footprint_area_m2": 0.0,
        "far": 0.0,
        "coverage": 0.0,
        "n_occupants": 0,
        "producing": None,
    }
    return healthy(**{**base, **changes})


# --------------------------------------------------------------------------- min FAR


@pytest.mark.parametrize(
    ("code", "expected"),
    [("3911", 1.0), ("3811", 0.7), ("3610", 0.7), ("1711", 0.8), ("1810", 1.0), ("39", 1.0)],
)
def test_min_far_table_by_2017_code(code: str, expected: float) -> None:
    p = frame(healthy(main_industry_code=code))
    assert effective_min_far(p, RULES).iloc[0] == expected


def test_min_far_parcel_value_overrides_table_and_default() -> None:
    p = frame(
        healthy(main_industry_code="3911", min_far=1.6),
        healthy(main_industry_code=None),
        healthy(main_industry_code="9999"),
    )
    assert effective_min_far(p, RULES).tolist()[0] == 1.6
    assert np.isnan(effective_min_far(p, RULES).tolist()[1:]).all()
    with_default = load_rules(overrides={"land": {"default_min_far": 0.9}})
    assert effective_min_far(p, with_default).tolist() == [1.6, 0.9, 0.9]


def test_min_far_aligned_on_index() -> None:
    p = frame(healthy(main_industry_code="3811"), healthy(main_industry_code="1711"))
    p.index = pd.Index(["a", "b"])
    out = effective_min_far(p, RULES)
    assert out.to_dict() == {"a": 0.7, "b": 0.8}


# --------------------------------------------------------------------------- undeveloped


def test_undeveloped_treats_missing_as_no_building() -> None:
    p = frame(
        healthy(floor_area_m2=0.0, footprint_area_m2=0.0),
        healthy(floor_area_m2=np.nan, footprint_area_m2=np.nan),
        healthy(floor_area_m2=0.0, footprint_area_m2=40.0),
        healthy(floor_area_m2=200.0, footprint_area_m2=np.nan),
        healthy(),
    )
    assert undeveloped(p).tolist() == [True, True, False, False, False]


# --------------------------------------------------------------------------- calendar years


def test_years_between_calendar_years_and_leap_day() -> None:
    start = np.array(
        ["2021-03-01", "2021-03-01", "2024-02-29", "2024-02-29", "2023-06-01"], "M8[D]"
    )
    end = np.array(["2022-03-01", "2022-02-28", "2025-02-28", "2025-02-27", "2025-06-01"], "M8[D]")
    got = years_between(start, end)
    assert got[0] == 1.0
    assert got[1] == pytest.approx(364 / 365)
    assert got[2] == 1.0
    assert got[3] == pytest.approx(364 / 365)
    assert got[4] == 2.0


def test_years_between_nat_is_nan() -> None:
    got = years_between(np.array(["NaT", "2020-01-01"], "M8[D]"), np.datetime64("2021-01-01"))
    assert np.isnan(got[0])
    assert got[1] == 1.0


# --------------------------------------------------------------------------- idle


def test_idle_exactly_one_year_after_agreed_start() -> None:
    out = idle(frame(not_started("2024-06-30")), AS_OF, RULES)
    assert out["idle"].tolist() == [True]
    assert out["idle_years"].iloc[0] == 1.0
    assert out["idle_action"].iloc[0] == "fee"
    assert out["idle_fee_wan"].iloc[0] == pytest.approx(200.0)


def test_not_idle_one_day_before_the_year() -> None:
    out = idle(frame(not_started("2024-07-01")), AS_OF, RULES)
    assert out["idle"].tolist() == [False]  # False, not NA
    assert np.isnan(out["idle_years"].iloc[0])
    assert pd.isna(out["idle_action"].iloc[0])
    assert np.isnan(out["idle_fee_wan"].iloc[0])


def test_idle_leap_day_anniversary() -> None:
    p = frame(not_started("2024-02-29"))
    assert idle(p, date(2025, 2, 28), RULES)["idle"].tolist() == [True]
    assert idle(p, date(2025, 2, 28), RULES)["idle_years"].iloc[0] == 1.0
    assert idle(p, date(2025, 2, 27), RULES)["idle"].tolist() == [False]


def test_idle_fee_at_one_and_a_half_years() -> None:
    # 2023-12-29 -> 2024-12-29 is one year; then 183 of the 365 days to 2025-12-29.
    out = idle(frame(not_started("2023-12-29", land_price_wan=850.0)), AS_OF, RULES)
    assert out["idle_years"].iloc[0] == pytest.approx(1 + 183 / 365)
    assert out["idle_action"].iloc[0] == "fee"
    assert out["idle_fee_wan"].iloc[0] == pytest.approx(0.2 * 850.0)


def test_idle_fee_without_price_is_nan() -> None:
    out = idle(frame(not_started("2023-12-29", land_price_wan=np.nan)), AS_OF, RULES)
    assert out["idle_action"].iloc[0] == "fee"
    assert np.isnan(out["idle_fee_wan"].iloc[0])


def test_idle_reclaim_at_two_years() -> None:
    out = idle(frame(not_started("2023-06-30")), AS_OF, RULES)
    assert out["idle"].tolist() == [True]
    assert out["idle_years"].iloc[0] == 2.0
    assert out["idle_action"].iloc[0] == "reclaim"
    one_day_less = idle(frame(not_started("2023-07-01")), AS_OF, RULES)
    assert one_day_less["idle_action"].iloc[0] == "fee"


def test_idle_suspended_path() -> None:
    suspended = {
        "construction_status": "suspended",
        "suspended_since": "2024-06-30",
        "floor_area_m2": 2000.0,
        "footprint_area_m2": 1000.0,
    }
    p = frame(
        healthy(**suspended, developed_share=0.2, invested_share=0.5),
        healthy(**suspended, developed_share=0.5, invested_share=0.5),
        healthy(**suspended, developed_share=0.5, invested_share=0.2),
        healthy(**{**suspended, "suspended_since": "2024-07-01"}, developed_share=0.2),
    )
    out = idle(p, AS_OF, RULES)
    assert out["idle"].tolist() == [True, False, True, False]
    assert out["idle_years"].tolist()[0] == 1.0
    assert out["idle_action"].tolist()[0] == "fee"
    assert out["idle_fee_wan"].tolist()[0] == pytest.approx(200.0)


def test_idle_exactly_one_third_developed_is_not_low() -> None:
    p = frame(
        healthy(
            construction_status="suspended",
            suspended_since="2020-01-01",
            developed_share=1 / 3,
            invested_share=0.25,
        )
    )
    assert idle(p, AS_OF, RULES)["idle"].tolist() == [False]


def test_idle_missing_dates_is_na() -> None:
    p = frame(
        not_started(None, grant_date=None),
        healthy(construction_status="suspended", suspended_since=None, developed_share=0.1),
        healthy(
            construction_status="suspended",
            suspended_since="2020-01-01",
            developed_share=np.nan,
            invested_share=np.nan,
        ),
        # nothing known about construction, but a building stands: unknown
        healthy(construction_status=None, actual_start_date=None),
    )
    out = idle(p, AS_OF, RULES)
    assert out["idle"].isna().tolist() == [True, True, True, True]
    assert out["idle"].dtype == "boolean"
    assert out["idle_years"].isna().all()
    assert out["idle_action"].isna().all()


def test_idle_false_when_recent_started_or_completed() -> None:
    p = frame(
        not_started("2025-01-01"),
        not_started("2026-01-01"),  # agreed start still ahead
        healthy(),  # completed
        healthy(construction_status="under_construction", suspended_since="2020-01-01"),
    )
    out = idle(p, AS_OF, RULES)
    assert out["idle"].tolist() == [False, False, False, False]


def test_idle_status_missing_inferred() -> None:
    p = frame(
        # no status, no actual start, no building -> not started
        not_started("2023-12-29", construction_status=None),
        # no status, an actual start, no suspension -> started, not idle
        healthy(construction_status=None, actual_start_date="2016-01-01"),
        # no status, suspension date, low development -> suspended path
        healthy(construction_status=None, suspended_since="2023-06-30", developed_share=0.1),
    )
    out = idle(p, AS_OF, RULES)
    assert out["idle"].tolist() == [True, False, True]
    assert out["idle_action"].tolist()[2] == "reclaim"


def test_idle_rules_override_and_no_mutation() -> None:
    p = frame(not_started("2024-06-30"))
    before = p.copy()
    strict = load_rules(overrides={"idle": {"fee_share": 0.1, "reclaim_years": 1.0}})
    out = idle(p, AS_OF, strict)
    assert out["idle_action"].iloc[0] == "reclaim"
    pd.testing.assert_frame_equal(p, before)


# --------------------------------------------------------------------------- inefficient


def switched_off(section: str, key: str) -> Rules:
    """Default rules with ``[section] key = false``, as a user's rules file would say it."""
    return load_rules(overrides={section: {key: False}})


SWITCHES = {
    "far_below_min": ("inefficient", "far_below_min"),
    "coverage_below_min": ("inefficient", "coverage_below_min"),
    "tax_per_mu_low": ("inefficient", "tax_per_mu_below"),
    "output_per_mu_low": ("inefficient", "output_per_mu_below_zone_share"),
    "not_producing": ("inefficient", "not_producing"),
    "small_parcel": ("inefficient", "small_parcel_mu_below"),
    "industry_mismatch": ("inefficient", "industry_mismatch"),
    "mostly_leased": ("inefficient", "leased_share_above"),
    "completion_overdue": ("inefficient", "completion_overdue_years"),
}


def reasons(row: dict[str, Any], rules: Any = RULES, as_of: date = AS_OF) -> str:
    return str(inefficient(frame(row), as_of, rules)["inefficient_reasons"].iloc[0])


def test_healthy_parcel_has_no_reason() -> None:
    out = inefficient(frame(healthy()), AS_OF, RULES)
    assert list(out.columns) == [*INEFFICIENT_REASONS, "inefficient", "inefficient_reasons"]
    assert not out[list(INEFFICIENT_REASONS)].to_numpy().any()
    assert out["inefficient"].tolist() == [False]
    assert out["inefficient_reasons"].iloc[0] == ""


@pytest.mark.parametrize(
    ("code", "on", "off"),
    [
        # industry 39 -> 1.0; 38 -> 0.7; a parcel min_far overrides
        (
            "far_below_min",
            {"far": 0.9},
            {"far": 0.9, "main_industry_code": "3811"},
        ),
        (
            "coverage_below_min",
            {"coverage": 0.29},
            {"coverage": 0.30},
        ),
        (
            "tax_per_mu_low",
            {"tax_per_mu": 4.99},
            {"tax_per_mu": 5.0},
        ),
        (
            "output_per_mu_low",
            {"output_per_mu": 99.0},
            {"output_per_mu": 100.0},
        ),
        (
            "not_producing",
            {"producing": False},
            {"producing": True},
        ),
        (
            "small_parcel",
            {"land_area_mu": 4.9, "land_area_m2": 4.9 * 10000 / 15},
            {"land_area_mu": 5.0, "land_area_m2": 5.0 * 10000 / 15},
        ),
        (
            "mostly_leased",
            {"leased_floor_area_m2": 7501.0},
            {"leased_floor_area_m2": 7500.0},
        ),
        (
            "completion_overdue",
            {"construction_status": "under_construction", "agreed_completion_date": "2023-06-30"},
            {"construction_status": "under_construction", "agreed_completion_date": "2023-07-01"},
        ),
    ],
)
def test_each_reason_on_off_and_switched_off(
    code: str, on: dict[str, Any], off: dict[str, Any]
) -> None:
    p = frame(healthy(**on), healthy(**off))
    out = inefficient(p, AS_OF, RELATIVE_OUTPUT if code == "output_per_mu_low" else RULES)
    assert out[code].tolist() == [True, False]
    assert out["inefficient_reasons"].tolist() == [code, ""]
    assert out["inefficient"].tolist() == [True, False]
    out_off = inefficient(p, AS_OF, switched_off(*SWITCHES[code]))
    assert out_off[code].tolist() == [False, False]
    assert out_off["inefficient_reasons"].tolist() == ["", ""]


@pytest.mark.parametrize("key", ["far_below_min", "coverage_below_min", "not_producing"])
def test_boolean_switches_off_via_load_rules(key: str) -> None:
    row = healthy(far=0.5, coverage=0.1, producing=False)
    rules = load_rules(overrides={"inefficient": {key: False}})
    assert key not in reasons(row, rules).split(";")
    assert key in reasons(row).split(";")


@pytest.mark.parametrize(
    "key",
    [
        "tax_per_mu_below",
        "output_per_mu_below_zone_share",
        "small_parcel_mu_below",
        "leased_share_above",
        "completion_overdue_years",
    ],
)
def test_numeric_thresholds_switch_off_via_load_rules(key: str) -> None:
    rules = load_rules(overrides={"inefficient": {key: False}})
    assert getattr(rules.inefficient, key) is None


def test_far_below_min_uses_parcel_min_far() -> None:
    p = frame(healthy(far=1.5, min_far=1.6), healthy(far=0.9, min_far=0.8))
    assert inefficient(p, AS_OF, RULES)["far_below_min"].tolist() == [True, False]


def test_far_below_plan_off_by_default_on_with_threshold() -> None:
    p = frame(healthy(max_far=3.0, far_utilization=0.5), healthy(max_far=2.0, far_utilization=0.75))
    assert inefficient(p, AS_OF, RULES)["far_below_plan"].tolist() == [False, False]
    on = load_rules(overrides={"inefficient": {"far_utilization_below": 0.6}})
    out = inefficient(p, AS_OF, on)
    assert out["far_below_plan"].tolist() == [True, False]
    assert out["inefficient_reasons"].tolist() == ["far_below_plan", ""]


def test_thresholds_follow_rules() -> None:
    p = frame(healthy(tax_per_mu=7.0, land_area_mu=8.0, coverage=0.35))
    rules = load_rules(
        overrides={
            "inefficient": {"tax_per_mu_below": 8.0, "small_parcel_mu_below": 10.0},
            "land": {"coverage_min": 0.40},
        }
    )
    assert reasons(healthy(tax_per_mu=7.0, land_area_mu=8.0, coverage=0.35)) == ""
    assert inefficient(p, AS_OF, rules)["inefficient_reasons"].iloc[0] == (
        "coverage_below_min;tax_per_mu_low;small_parcel"
    )


def test_missing_inputs_do_not_flag() -> None:
    row = healthy(
        far=np.nan,
        coverage=np.nan,
        tax_per_mu=np.nan,
        output_per_mu=np.nan,
        producing=None,
        land_area_mu=np.nan,
        main_industry_code=None,
        leased_floor_area_m2=np.nan,
        agreed_completion_date=None,
        construction_status=None,
    )
    assert reasons(row) == ""


def test_not_producing_no_occupant_only_on_built_productive_land() -> None:
    p = frame(
        healthy(),  # occupied: the table has occupancy
        healthy(n_occupants=0, producing=None),  # empty factory
        not_started("2024-01-01", land_use="vacant"),  # empty land: undeveloped, not this
        healthy(n_occupants=0, producing=None, land_use="other"),
        healthy(n_occupants=0, producing=None, land_use="warehouse"),
        healthy(n_occupants=pd.NA, producing=None),  # occupancy unknown
    )
    p["n_occupants"] = p["n_occupants"].astype("Int64")
    got = inefficient(p, AS_OF, RULES)["not_producing"].tolist()
    assert got == [False, True, False, False, True, False]


def test_not_producing_not_applied_without_any_occupancy() -> None:
    p = frame(healthy(n_occupants=0, producing=None), healthy(n_occupants=0, producing=None))
    assert inefficient(p, AS_OF, RULES)["not_producing"].tolist() == [False, False]


def test_industry_mismatch_cases() -> None:
    p = frame(
        healthy(main_industry_code="C3911", zone_leading_industries="38，39"),
        healthy(main_industry_code="2929", zone_leading_industries="38、39"),
        healthy(main_industry_code="2929", zone_leading_industries=None),
        healthy(main_industry_code="2929", zone_leading_industries=""),
        healthy(main_industry_code=None),
        healthy(main_industry_code="3811", zone_leading_industries="3811, 3912"),
    )
    got = inefficient(p, AS_OF, RULES)["industry_mismatch"].tolist()
    assert got == [False, True, False, False, False, False]


def test_completion_overdue_respects_status() -> None:
    overdue = {"agreed_completion_date": "2023-06-30"}
    p = frame(
        healthy(**overdue, construction_status="completed"),
        healthy(**overdue, construction_status="suspended"),
        not_started(None, **overdue),
        not_started(None, **overdue, construction_status=None),  # nothing built, no status
        healthy(**overdue, construction_status=None),  # built, no status: unknown
    )
    got = inefficient(p, AS_OF, RULES)["completion_overdue"].tolist()
    assert got == [False, True, True, True, False]


def test_reasons_in_fixed_order_and_index_kept() -> None:
    row = healthy(
        far=0.2,
        coverage=0.1,
        tax_per_mu=1.0,
        output_per_mu=10.0,
        producing=False,
        land_area_mu=3.0,
        main_industry_code="1711",
        leased_floor_area_m2=9000.0,
        construction_status="under_construction",
        agreed_completion_date="2020-01-01",
    )
    p = frame(row)
    p.index = pd.Index([42])
    both = {"far_utilization_below": 0.9, "output_per_mu_below_zone_share": 0.5}
    out = inefficient(p, AS_OF, load_rules(overrides={"inefficient": both}))
    assert out.index.tolist() == [42]
    # far_utilization is NaN here, so far_below_plan stays off
    assert out.loc[42, "inefficient_reasons"] == ";".join(
        c for c in INEFFICIENT_REASONS if c != "far_below_plan"
    )


def test_output_benchmark_computed_when_column_absent() -> None:
    p = frame(
        healthy(output_wan=3000.0, output_per_mu=200.0),
        healthy(output_wan=1200.0, output_per_mu=80.0),
        healthy(zone_id="south", output_wan=1500.0, output_per_mu=100.0),
    ).drop(columns=["zone_output_per_mu"])
    # north: 4200 / 30 = 140 -> threshold 70; south: 100 -> threshold 50
    assert zone_benchmark_per_mu(p, "output_wan").tolist() == [140.0, 140.0, 100.0]
    got = inefficient(p, AS_OF, RELATIVE_OUTPUT)["output_per_mu_low"]
    assert got.tolist() == [False, False, False]
    p.loc[1, "output_per_mu"] = 69.0
    got = inefficient(p, AS_OF, RELATIVE_OUTPUT)["output_per_mu_low"]
    assert got.tolist() == [False, True, False]
    # off by default (rules.md §8): a relative test always catches a share
    assert not inefficient(p, AS_OF, RULES)["output_per_mu_low"].any()


def test_zone_benchmark_two_zones_and_a_parcel_outside() -> None:
    p = pd.DataFrame(
        {
            "zone_id": ["n", "n", "s", "s", None],
            "land_area_mu": [10.0, 30.0, 20.0, 5.0, 20.0],
            "output_wan": [1200.0, 2000.0, 500.0, np.nan, 800.0],
            "tax_wan": [100.0, 60.0, 50.0, np.nan, 40.0],
        }
    )
    # n: 3200 / 40 = 80 and 160 / 40 = 4; s: 500 / 20 = 25 and 50 / 20 = 2.5 (the 5 亩
    # without figures is left out but gets its zone's figure); outside every zone: the park,
    # 4500 / 80 = 56.25 and 250 / 80 = 3.125
    out = zone_benchmark_per_mu(p, "output_wan")
    assert out.name == "zone_output_per_mu"
    assert out.tolist() == [80.0, 80.0, 25.0, 25.0, 56.25]
    assert zone_benchmark_per_mu(p, "tax_wan").tolist() == [4.0, 4.0, 2.5, 2.5, 3.125]


def test_inefficient_does_not_mutate_input() -> None:
    p = frame(healthy(far=0.1), healthy())
    before = p.copy()
    inefficient(p, AS_OF, RULES)
    assess_land(p, AS_OF, RULES)
    pd.testing.assert_frame_equal(p, before)


# --------------------------------------------------------------------------- labels


def test_reason_labels_cover_vocabulary() -> None:
    assert set(REASON_LABELS) == set(REASON_CODES)
    assert REASON_LABELS["far_below_min"] == "容积率低于行业下限"
    assert all(REASON_LABELS.values())


def test_describe_reasons() -> None:
    s = pd.Series(["far_below_min;far_below_plan", "undeveloped", ""], index=[3, 4, 5])
    out = describe_reasons(s)
    assert out.index.tolist() == [3, 4, 5]
    assert out.tolist() == ["容积率低于行业下限、容积率未达规划要求", "未开发(宗地内无建筑)", ""]


# --------------------------------------------------------------------------- revision 2 (§8)


@pytest.mark.parametrize(
    ("code", "expected"), [("2911", 0.8), ("2922", 1.0), ("292", 1.0), ("29", 0.8), ("C2910", 0.8)]
)
def test_min_far_rubber_and_plastics(code: str, expected: float) -> None:
    # GB/T 4754-2017 29: 291 橡胶制品 (2002 code 29) 0.8, 292 塑料制品 (2002 code 30) 1.0
    assert effective_min_far(frame(healthy(main_industry_code=code)), RULES).iloc[0] == expected


def test_idle_clock_falls_back_on_grant_date() -> None:
    # 53号令 第二条: without an agreed start date the year runs from the grant (contract) date
    p = frame(
        not_started(None, grant_date="2023-06-30"), not_started(None, grant_date="2024-07-01")
    )
    out = idle(p, AS_OF, RULES)
    assert out["idle"].tolist() == [True, False]
    assert out["idle_years"].iloc[0] == 2.0 and out["idle_action"].iloc[0] == "reclaim"


def test_government_delay_suspends_fee_and_reclaim() -> None:
    row = not_started("2022-06-30", land_price_wan=800.0)  # 3 years idle at AS_OF
    p = frame(row, row)
    p["government_delay"] = [False, True]
    out = idle(p, AS_OF, RULES)
    assert out["idle"].tolist() == [True, True]
    assert out["idle_action"].tolist() == ["reclaim", "government"]
    assert np.isnan(out["idle_fee_wan"]).all()
    fee = frame(not_started("2024-01-01", land_price_wan=800.0))  # 1.5 years: fee 20 % = 160
    assert idle(fee, AS_OF, RULES)["idle_fee_wan"].tolist() == [160.0]
    fee["government_delay"] = True
    assert np.isnan(idle(fee, AS_OF, RULES)["idle_fee_wan"]).all()


def test_in_construction_until_agreed_completion_or_start_plus_two_years() -> None:
    from lcgis.engine.land import in_construction

    p = frame(
        # agreed completion next year: in construction
        healthy(construction_status="under_construction", agreed_completion_date="2026-06-30"),
        # no completion date: agreed start 2024-01-01 + 2 years = 2026-01-01, still ahead
        healthy(
            construction_status="under_construction",
            agreed_start_date="2024-01-01",
            agreed_completion_date=None,
        ),
        # the period is over
        healthy(construction_status="under_construction", agreed_completion_date="2025-06-30"),
        # completed early
        healthy(construction_status="completed", agreed_completion_date="2026-06-30"),
    )
    assert in_construction(p, AS_OF, RULES).tolist() == [True, True, False, False]


def test_in_construction_not_tested_for_far_coverage_tax_output_leasing() -> None:
    building = healthy(
        far=0.1,
        coverage=0.05,
        tax_per_mu=0.0,
        tax_per_mu_3y=0.0,
        output_per_mu=0.0,
        producing=False,
        leased_floor_area_m2=9000.0,
        construction_status="under_construction",
        agreed_completion_date="2026-06-30",
        in_construction=True,
    )
    out = inefficient(frame(building), AS_OF, RELATIVE_OUTPUT)
    assert out["inefficient_reasons"].iloc[0] == ""
    # overdue still applies: the same parcel two years past its agreed completion
    late = {**building, "agreed_completion_date": "2023-06-30", "in_construction": False}
    assert "completion_overdue" in reasons(late).split(";")


def test_mostly_leased_never_on_standard_factory() -> None:
    p = frame(
        healthy(leased_floor_area_m2=15000.0, standard_factory=True),
        healthy(leased_floor_area_m2=15000.0, standard_factory=False),
    )
    assert inefficient(p, AS_OF, RULES)["mostly_leased"].tolist() == [False, True]


def test_output_per_mu_below_absolute_threshold() -> None:
    rules = load_rules(overrides={"inefficient": {"output_per_mu_below": 150.0}})
    p = frame(healthy(output_per_mu=149.0), healthy(output_per_mu=150.0))
    assert inefficient(p, AS_OF, rules)["output_per_mu_low"].tolist() == [True, False]


def test_tax_per_mu_low_uses_three_year_figure() -> None:
    # this year 6, but 3/3/6 over three years averages 4 < 5
    p = frame(
        healthy(tax_per_mu=6.0, tax_per_mu_3y=4.0), healthy(tax_per_mu=4.0, tax_per_mu_3y=5.0)
    )
    assert inefficient(p, AS_OF, RULES)["tax_per_mu_low"].tolist() == [True, False]


def test_not_producing_includes_granted_land_without_occupant() -> None:
    # vacant granted land with no occupant past its clock: idle and not_producing
    row = not_started("2023-01-01", land_use="industrial")
    p = frame(row, healthy())  # the healthy parcel makes occupancy known
    assert inefficient(p, AS_OF, RULES)["not_producing"].tolist() == [True, False]
    assert idle(p, AS_OF, RULES)["idle"].tolist() == [True, False]


def test_industry_mismatch_is_secondary_never_alone() -> None:
    # 一园一主导产业: outside the zone's leading industries is a fact, listed beside other
    # reasons, but never makes a parcel 低效 by itself (plan 四、(五))
    p = frame(
        healthy(main_industry_code="1711"),
        healthy(main_industry_code="1711", far=0.5),  # 17 纺织: min FAR 0.8
        healthy(main_industry_code="3811"),
    )
    out = inefficient(p, AS_OF, RULES)
    assert out["industry_mismatch"].tolist() == [True, True, False]
    assert out["inefficient"].tolist() == [False, True, False]
    assert out["inefficient_reasons"].tolist() == ["", "far_below_min;industry_mismatch", ""]
    off = inefficient(p, AS_OF, switched_off("inefficient", "industry_mismatch"))
    assert not off["industry_mismatch"].any()


def test_only_industrial_land_and_granted_land_are_tested() -> None:
    # a utility parcel and never-granted vacant land: no 低效 reason; granted vacant land: yes
    p = frame(
        healthy(land_use="other", coverage=0.1),
        not_started(None, land_use="vacant", grant_date=None, coverage=0.0, far=0.0),
        not_started("2024-01-01", land_use="vacant", coverage=0.0, far=0.0),
    )
    out = inefficient(p, AS_OF, RULES)
    assert out["inefficient"].tolist() == [False, False, True]


def test_industry_mismatch_is_the_shared_zone_fit_false() -> None:
    from lcgis.data.industry import fits_zone

    p = frame(
        healthy(main_industry_code="C1711", zone_leading_industries="17；18/19"),
        healthy(main_industry_code="3911", zone_leading_industries="17；18/19"),
        healthy(main_industry_code="3911", zone_leading_industries="无"),
        healthy(main_industry_code=None),
    )
    fit = fits_zone(p["main_industry_code"], p["zone_leading_industries"])
    assert fit.tolist() == [True, False, pd.NA, pd.NA]
    got = inefficient(p, AS_OF, RULES)["industry_mismatch"].tolist()
    assert got == [False, True, False, False]


def test_fits_zone_and_join_codes_per_distinct_value_match_row_by_row() -> None:
    """fits_zone and join_codes answer each distinct value once; the answer of every row is
    the one the row alone gets."""
    from lcgis.data.industry import fits_zone
    from lcgis.engine.land import join_codes

    rng = np.random.default_rng(7)
    code_pool = np.array(["C3911", "3911", "1711", "17", None, "", "x"], dtype=object)
    lead_pool = np.array(["39,40", "17、18", "", None, "40"], dtype=object)
    codes = pd.Series(code_pool[rng.integers(0, len(code_pool), 300)], index=range(5, 305))
    leads = pd.Series(lead_pool[rng.integers(0, len(lead_pool), 300)], index=range(300))
    fit = fits_zone(codes, leads)
    alone = [
        fits_zone(pd.Series([c], dtype=object), pd.Series([t], dtype=object)).iloc[0]
        for c, t in zip(codes, leads, strict=True)
    ]
    assert fit.index.equals(codes.index)
    assert [None if pd.isna(x) else bool(x) for x in fit] == [
        None if pd.isna(x) else bool(x) for x in alone
    ]

    flags = {c: rng.random(300) < 0.3 for c in ("a", "b_c", "d")}
    joined = join_codes(flags, pd.RangeIndex(300))
    expected = [";".join(c for c, f in flags.items() if f[i]) for i in range(300)]
    assert joined.tolist() == expected


def test_absent_dates_and_land_users_read_as_all_missing() -> None:
    # A table without the date and land-user columns is assessed as one where they are empty
    rows = (
        healthy(),
        healthy(n_occupants=0, producing=None),  # built, nobody: not_producing needs a grant
        healthy(land_use="vacant", floor_area_m2=0.0, footprint_area_m2=0.0, far=0.0),
        healthy(construction_status=None, floor_area_m2=0.0, footprint_area_m2=0.0),
        healthy(construction_status="not_started", floor_area_m2=np.nan),
    )
    absent = ("land_user", "land_user_code", *DATES, "suspended_since", "construction_status")
    without = frame(*rows).drop(columns=[*DATES, "suspended_since", "construction_status"])
    empty = without.assign(**dict.fromkeys(absent, np.nan))
    got = assess_land(without, AS_OF, RULES)
    want = assess_land(empty, AS_OF, RULES).drop(columns=list(absent))
    pd.testing.assert_frame_equal(got, want)
    assert got["inefficient_reasons"].tolist() == ["", "not_producing", "", "", ""]
    assert got["idle"].isna().all()  # no construction state can be told


def test_years_between_counts_only_where_both_dates_are_given() -> None:
    start = np.array(["2021-03-01", "NaT", "2024-02-29", "2020-07-01", "NaT"], "datetime64[D]")
    end = np.array(["2022-02-28", "2022-01-01", "NaT", "2022-01-01", "NaT"], "datetime64[D]")
    one_by_one = [years_between(start[i : i + 1], end[i : i + 1])[0] for i in range(5)]
    np.testing.assert_array_equal(years_between(start, end), one_by_one)
    assert np.isnan(one_by_one).tolist() == [False, True, True, False, True]
    on_one_day = years_between(start, np.datetime64("2025-02-28"))
    assert np.isnan(on_one_day).tolist() == [False, True, False, False, True]
    assert on_one_day[2] == 1.0


def _benchmark_by_groupby(parcels: pd.DataFrame, value: str) -> np.ndarray:
    """zone_benchmark_per_mu as a groupby by zone id and a map back find it (the reference)."""
    amount = pd.to_numeric(parcels[value], errors="coerce").to_numpy(dtype=float)
    land = pd.to_numeric(parcels["land_area_mu"], errors="coerce").to_numpy(dtype=float)
    has = ~np.isnan(amount) & (land > 0)
    amount, land = np.where(has, amount, 0.0), np.where(has, land, 0.0)
    zone = parcels["zone_id"]
    sums = pd.DataFrame({"zone": zone.to_numpy(), "v": amount, "l": land}).groupby("zone").sum()
    bench = sums["v"] / sums["l"].where(sums["l"] > 0)
    out = np.asarray(pd.to_numeric(zone.map(bench), errors="coerce"), dtype="float64")
    park = amount.sum() / land.sum() if land.sum() > 0 else np.nan
    return np.where(zone.isna().to_numpy(), park, out)


@pytest.mark.parametrize(
    ("zones", "mu", "wan"),
    [
        (["n", "s", "n", None, ""], [10.0, 0.0, 0.1, 3.0, 2.0], [1.0, 5.0, 0.3, 1.0, 7.0]),
        (["n", "n", None], [1.0, 2.0, 1.0], [None, None, None]),  # no value: NaN, park NaN
        ([7, 7.0, None, "7"], [1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 8.0]),  # mixed object ids
        ([None, None], [1.0, 2.0], [3.0, 4.0]),
        ([], [], []),
        (  # many sums, zones first met out of their sorted order: bit for bit
            ["north", "central", "south", None] * 250,
            np.random.default_rng(7).uniform(0.01, 30.0, 1000).tolist(),
            np.random.default_rng(8).uniform(0.0, 3000.0, 1000).tolist(),
        ),
    ],
)
@pytest.mark.parametrize("dtype", ["string", object])
def test_zone_benchmark_is_a_groupby_by_zone(
    zones: list[object], mu: list[float], wan: list[float | None], dtype: object
) -> None:
    """Summing by the zone's code gives, bit for bit, what a groupby by zone id gives."""
    from lcgis.engine.land import zone_benchmark_per_mu

    parcels = pd.DataFrame(
        {
            "zone_id": pd.Series(zones, dtype=dtype),
            "land_area_mu": pd.Series(mu, dtype=float),
            "output_wan": pd.Series(wan, dtype=float),
        }
    )
    got = zone_benchmark_per_mu(parcels, "output_wan").to_numpy()
    assert np.array_equal(got, _benchmark_by_groupby(parcels, "output_wan"), equal_nan=True)
