"""Tests of lcgis.candidates: 腾笼换鸟 (vacate) and 零地增资 (densify)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lcgis.candidates import assess_candidates, densify, target_far, vacate
from lcgis.land import assess_land, inefficient
from lcgis.rules import load_rules

from .test_land import frame, healthy, not_started

RULES = load_rules()
AS_OF = date(2025, 6, 30)


def staged(*rows: dict[str, Any], as_of: date = AS_OF) -> pd.DataFrame:
    """Parcels with the land-stage columns added, as the pipeline passes them on."""
    p = frame(*rows)
    land = assess_land(p, as_of, RULES)
    return pd.concat([p.drop(columns=["min_far"]), land], axis=1)


# --------------------------------------------------------------------------- densify


def test_densify_tax_bands_and_max_far() -> None:
    # land 10 000 m², far 1.0
    p = frame(
        healthy(tax_per_mu=10.0, far=1.0, floor_area_m2=10000.0),
        healthy(tax_per_mu=25.0, far=1.0, floor_area_m2=10000.0),
        healthy(tax_per_mu=25.0, far=1.0, floor_area_m2=10000.0, max_far=2.0),
        healthy(tax_per_mu=5.0, far=1.0, floor_area_m2=10000.0),
        healthy(tax_per_mu=20.0, far=1.0, floor_area_m2=10000.0),
    )
    out = densify(p, RULES)
    assert out["target_far"].tolist() == [2.5, 3.0, 2.0, 2.5, 3.0]
    assert out["densify_candidate"].tolist() == [True, True, True, True, True]
    assert out["extra_floor_area_m2"].tolist() == [15000.0, 20000.0, 10000.0, 15000.0, 20000.0]


def test_densify_estimates_per_floor_area() -> None:
    # output 3000 万元 and tax 150 万元 on 10 000 m² of floor: 0.3 and 0.015 万元/m²
    p = frame(
        healthy(tax_per_mu=10.0, far=1.0, floor_area_m2=10000.0, output_wan=3000.0, tax_wan=150.0)
    )
    out = densify(p, RULES)
    assert out["extra_floor_area_m2"].iloc[0] == 15000.0
    assert out["est_extra_output_wan"].iloc[0] == pytest.approx(4500.0)
    assert out["est_extra_tax_wan"].iloc[0] == pytest.approx(225.0)


def test_densify_excludes_class_d_and_low_tax() -> None:
    p = frame(
        healthy(tax_per_mu=25.0, far=1.0, parcel_class="D"),
        healthy(tax_per_mu=4.99, far=1.0),
        healthy(tax_per_mu=np.nan, far=1.0),
        healthy(tax_per_mu=25.0, far=1.0, parcel_class=None),  # unrated: not D
    )
    out = densify(p, RULES)
    assert out["densify_candidate"].tolist() == [False, False, False, True]
    # target FAR kept where computable, extra area only for candidates
    assert out["target_far"].iloc[0] == 3.0
    assert np.isnan(out["target_far"].iloc[1])
    assert np.isnan(out["target_far"].iloc[2])
    assert out["extra_floor_area_m2"].isna().tolist() == [True, True, True, False]
    assert out["est_extra_tax_wan"].isna().tolist() == [True, True, True, False]


def test_densify_small_extra_not_listed() -> None:
    # land 8000 m²: far 2.45 -> 2.5 adds 400 m² (< 500); far 2.4375 adds exactly 500 m²
    p = frame(
        healthy(tax_per_mu=10.0, far=2.45, land_area_m2=8000.0, land_area_mu=12.0),
        healthy(tax_per_mu=10.0, far=2.4375, land_area_m2=8000.0, land_area_mu=12.0),
        healthy(tax_per_mu=10.0, far=2.5),  # already at target
        healthy(tax_per_mu=10.0, far=2.8),  # above target
    )
    out = densify(p, RULES)
    assert out["densify_candidate"].tolist() == [False, True, False, False]
    assert out["target_far"].tolist() == [2.5, 2.5, 2.5, 2.5]
    assert np.isnan(out["extra_floor_area_m2"].iloc[0])
    assert out["extra_floor_area_m2"].iloc[1] == 500.0
    lower = load_rules(overrides={"densify": {"min_extra_floor_area_m2": 400.0}})
    assert densify(p, lower)["densify_candidate"].tolist() == [True, True, False, False]


def test_densify_never_zero_or_inf() -> None:
    p = frame(
        healthy(tax_per_mu=10.0, far=1.0, floor_area_m2=0.0),
        healthy(tax_per_mu=10.0, far=1.0, output_wan=np.nan, tax_wan=np.nan),
        healthy(tax_per_mu=10.0, far=np.nan),
    )
    out = densify(p, RULES)
    values = out[["extra_floor_area_m2", "est_extra_output_wan", "est_extra_tax_wan"]]
    assert not np.isinf(values.to_numpy()).any()
    assert out["extra_floor_area_m2"].iloc[0] == 15000.0
    assert np.isnan(out["est_extra_output_wan"].iloc[0])
    assert np.isnan(out["est_extra_output_wan"].iloc[1])
    assert out["densify_candidate"].tolist() == [True, True, False]


def test_target_far_bands_follow_rules() -> None:
    p = frame(healthy(tax_per_mu=12.0), healthy(tax_per_mu=18.0), healthy(tax_per_mu=3.0))
    rules = load_rules(
        overrides={
            "densify": {"tax_per_mu_high": 15.0, "target_far_mid": 2.2, "tax_per_mu_min": 2.0}
        }
    )
    assert target_far(p, rules).tolist() == [2.2, 3.0, 2.2]
    assert target_far(p, RULES).tolist()[:2] == [2.5, 2.5]


# --------------------------------------------------------------------------- vacate


def test_vacate_reasons_each_trigger() -> None:
    p = staged(
        # 0: class D, also small: inefficient via small_parcel
        healthy(parcel_class="D", land_area_mu=4.0, land_area_m2=4.0 * 10000 / 15),
        # 1: tax 3 -> tax_per_mu_low is both the inefficient reason and the trigger
        healthy(tax_per_mu=3.0, tax_wan=45.0),
        # 2: idle (not started 1.5 years) on granted land with nothing built
        not_started("2023-12-29"),
        # 3: undeveloped granted land, agreed start not yet due
        not_started("2025-03-01"),
        # 4: inefficient (coverage) but no trigger: not a candidate
        healthy(coverage=0.2),
        # 5: class D but efficient: not a candidate
        healthy(parcel_class="D"),
    )
    out = vacate(p, RULES)
    assert out["vacate_candidate"].tolist() == [True, True, True, True, False, False]
    assert out["vacate_reasons"].tolist() == [
        "small_parcel;class_d",
        "tax_per_mu_low",
        "far_below_min;coverage_below_min;idle;undeveloped",
        "far_below_min;coverage_below_min;undeveloped",
        "",
        "",
    ]


def test_vacate_undeveloped_needs_granted_land() -> None:
    ungranted = {"grant_date": None, "land_user": None, "land_user_code": None}
    p = staged(
        not_started("2025-03-01", **ungranted),
        not_started("2025-03-01", **{**ungranted, "land_user": "泉州某公司"}),
        not_started("2025-03-01", **{**ungranted, "land_user": "  "}),
    )
    out = vacate(p, RULES)
    assert out["vacate_candidate"].tolist() == [False, True, False]
    assert out["vacate_reasons"].tolist() == [
        "",
        "far_below_min;coverage_below_min;undeveloped",
        "",
    ]


def test_vacate_idle_na_does_not_count() -> None:
    p = staged(not_started(None, grant_date=None))
    assert p["idle"].isna().all()
    assert vacate(p, RULES)["vacate_candidate"].tolist() == [False]


def test_vacate_switches_and_thresholds() -> None:
    p = staged(
        healthy(parcel_class="D", land_area_mu=4.0, land_area_m2=4.0 * 10000 / 15),
        healthy(tax_per_mu=6.0, tax_wan=90.0, coverage=0.2),
    )
    no_d = load_rules(overrides={"vacate": {"class_d": False}})
    assert vacate(p, no_d)["vacate_candidate"].tolist() == [False, False]
    higher = load_rules(overrides={"vacate": {"tax_per_mu_below": 8.0}})
    out = vacate(p, higher)
    assert out["vacate_candidate"].tolist() == [True, True]
    # the vacate tax trigger is listed even though the inefficient tax test (5) is not met
    assert out["vacate_reasons"].tolist() == [
        "small_parcel;class_d",
        "coverage_below_min;tax_per_mu_low",
    ]


def test_vacate_potential_from_zone_benchmark() -> None:
    p = staged(
        healthy(parcel_class="D", land_area_mu=4.0, land_area_m2=4.0 * 10000 / 15),
        healthy(),
    )
    out = vacate(p, RULES)
    # 4 亩 × 200 万元/亩 output, × 20 万元/亩 tax
    assert out["potential_output_wan"].iloc[0] == pytest.approx(800.0)
    assert out["potential_tax_wan"].iloc[0] == pytest.approx(80.0)
    assert out[["potential_output_wan", "potential_tax_wan"]].iloc[1].isna().all()


def test_vacate_potential_computed_without_zone_columns() -> None:
    p = staged(
        healthy(parcel_class="D", land_area_mu=4.0, land_area_m2=4.0 * 10000 / 15, output_wan=0.0),
        healthy(output_wan=3000.0, tax_wan=300.0),
    ).drop(columns=["zone_output_per_mu", "zone_tax_per_mu"])
    p.loc[0, ["output_per_mu", "tax_wan", "tax_per_mu"]] = [0.0, 20.0, 5.0]
    out = vacate(p, RULES)
    # zone: output 3000 / 19 亩; tax 320 / 19 亩
    assert out["potential_output_wan"].iloc[0] == pytest.approx(4 * 3000 / 19)
    assert out["potential_tax_wan"].iloc[0] == pytest.approx(4 * 320 / 19)


def test_vacate_reads_reasons_without_inefficient_column() -> None:
    p = frame(healthy(parcel_class="D")).assign(inefficient_reasons=["mostly_leased"])
    out = vacate(p, RULES)
    assert out["vacate_candidate"].tolist() == [True]
    assert out["vacate_reasons"].tolist() == ["mostly_leased;class_d"]


def test_candidates_do_not_mutate_and_keep_index() -> None:
    p = staged(healthy(parcel_class="D", coverage=0.1), healthy(tax_per_mu=10.0))
    p.index = pd.Index([7, 9])
    before = p.copy()
    out = assess_candidates(p, RULES)
    pd.testing.assert_frame_equal(p, before)
    assert out.index.tolist() == [7, 9]
    assert out["vacate_candidate"].tolist() == [True, False]
    assert out["densify_candidate"].tolist() == [False, True]


def test_pipeline_style_dtypes() -> None:
    """Nullable dtypes as the pipeline builds them (Int64, boolean, string)."""
    p = staged(healthy(parcel_class="D", coverage=0.1), healthy(tax_per_mu=10.0))
    p["parcel_class"] = p["parcel_class"].astype("string")
    p["n_occupants"] = p["n_occupants"].astype("Int64")
    p["main_industry_code"] = p["main_industry_code"].astype("string")
    assert inefficient(p, AS_OF, RULES)["coverage_below_min"].tolist() == [True, False]
    out = assess_candidates(p, RULES)
    assert out["vacate_candidate"].tolist() == [True, False]
    assert out["densify_candidate"].tolist() == [False, True]
