"""The embedded demo park end to end: commands exit 0, classes follow the rule, every
candidate carries a reason, and every parcel has a 体检表."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from lcgis.candidates import DISPOSITIONS
from lcgis.cli import main
from lcgis.explain import explain
from lcgis.io import read_dataset
from lcgis.land import INEFFICIENT_REASONS
from lcgis.pipeline import Result, run
from lcgis.rules import load_rules

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def result() -> Result:
    return run(read_dataset(DATA), load_rules(), as_of=dt.date(2026, 11, 28))


def test_commands_exit_0(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(DATA)]) == 0
    assert main(["evaluate", str(DATA), "--out", str(tmp_path / "demo.gpkg")]) == 0
    assert (tmp_path / "demo.gpkg").stat().st_size > 0


def test_class_shares_within_one_firm_of_the_rule(result: Result) -> None:
    shares = load_rules().evaluation.class_shares
    e = result.enterprises
    rated = e[e["class"] != "T"]
    assert len(rated) > 100
    for _, group in rated.groupby("group"):
        n = len(group)
        counts = group["class"].value_counts()
        cumulative = 0
        for cls, share in zip("ABC", shares, strict=True):
            cumulative += counts.get(cls, 0)
            assert abs(cumulative - share * n) <= 1 + 1e-9, (cls, cumulative, share * n)
        assert cumulative + counts.get("D", 0) == n


def test_every_candidate_has_a_reason(result: Result) -> None:
    p = result.parcels
    vac = p[p["vacate_candidate"].fillna(False).astype(bool)]
    den = p[p["densify_candidate"].fillna(False).astype(bool)]
    ine = p[p["inefficient"].fillna(False).astype(bool)]
    assert len(vac) > 0 and len(den) > 0
    assert (vac["vacate_reasons"].str.len() > 0).all()
    assert (ine["inefficient_reasons"].str.len() > 0).all()
    assert (den["extra_floor_area_m2"] >= 500).all()
    assert (den["target_far"] > den["far"]).all()
    assert not (den["parcel_class"] == "D").any()


def test_park_figures_are_plausible(result: Result) -> None:
    p = result.parcels
    zones = result.zones
    assert len(zones) == 3 and set(zones["zone_name"]) == {"北片区", "中片区", "南片区"}
    assert p["zone_id"].notna().all()
    # every figure that cannot be computed is empty, never infinite
    for col in ("far", "coverage", "tax_per_mu", "output_per_mu", "far_utilization"):
        values = pd.to_numeric(p[col], errors="coerce")
        assert not values.isin([float("inf"), float("-inf")]).any()
    assert p["idle"].fillna(False).astype(bool).sum() >= 5


def test_every_parcel_has_a_card(result: Result) -> None:
    for pid in result.parcels["parcel_id"]:
        card = explain(result, pid)
        assert card is not None and card.parcel_id == pid
        # each inefficient reason, 未开发, 闲置, 在建 and the four dispositions
        assert len(card.rules) == len(INEFFICIENT_REASONS) + 3 + len(DISPOSITIONS)
        assert card.verdict
