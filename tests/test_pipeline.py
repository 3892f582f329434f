"""The whole pipeline on small datasets: years, growth, sensitivity, hand-checked figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from lcgis.cli import main
from lcgis.errors import DataError, UsageError
from lcgis.io import read_dataset
from lcgis.pipeline import run
from lcgis.rules import load_rules

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture
def two_years(toy: Path) -> Path:
    """The toy dataset with a 2024 row per firm: 甲 paid 100 万元 tax in 2024, 150 in 2025."""
    path = toy / "parcels" / "enterprises.csv"
    e = pd.read_csv(path, dtype=str)
    before = e.assign(year="2024", tax_wan=["100", "45", "5"], output_wan=["2000", "600", "300"])
    pd.concat([before, e]).to_csv(path, index=False)
    return toy


def test_latest_year_by_default_and_year_option(two_years: Path) -> None:
    ds = read_dataset(two_years)
    r25 = run(ds, load_rules(), as_of=AS_OF)
    assert (r25.year, r25.years) == (2025, [2024, 2025])
    r24 = run(ds, load_rules(), year=2024, as_of=AS_OF)
    p24 = r24.parcels.set_index("parcel_id")
    assert p24.loc["P1", "tax_wan"] == 100.0
    assert p24.loc["P2", "tax_wan"] == pytest.approx(45 + 5)
    with pytest.raises(UsageError, match="2019"):
        run(ds, load_rules(), year=2019, as_of=AS_OF)


def test_tax_per_mu_growth(two_years: Path) -> None:
    p = run(read_dataset(two_years), load_rules(), as_of=AS_OF).parcels.set_index("parcel_id")
    # P1: 100 / 15 亩 -> 150 / 15 亩, growth 50 %; P2: 50 / 7.5 -> 40 / 7.5, growth -20 %
    assert p.loc["P1", "tax_per_mu_prev"] == pytest.approx(100 / 15)
    assert p.loc["P1", "tax_per_mu_growth"] == pytest.approx(0.5)
    assert p.loc["P2", "tax_per_mu_growth"] == pytest.approx(-0.2)


def test_class_per_year_and_change(two_years: Path) -> None:
    r = run(read_dataset(two_years), load_rules(), as_of=AS_OF)
    e = r.enterprises.set_index("name")
    # below scale: 乙 (4.5 亩) and 丙 (3 亩).  2024: 乙 45/4.5 = 10, 丙 5/3 = 1.67 -> 乙 first.
    # 2025: 乙 30/4.5 = 6.67, 丙 10/3 = 3.33 -> 乙 still first, both keep their classes.
    assert e.loc["乙公司", "class_2024"] == e.loc["乙公司", "class_2025"] == "B"
    assert e.loc["丙公司", "class_2024"] == e.loc["丙公司", "class_2025"] == "D"
    assert e.loc["乙公司", "class_change"] == ""
    assert set(r.history["year"]) == {2024, 2025}


def test_duplicate_enterprise_year_is_an_error(toy: Path) -> None:
    path = toy / "parcels" / "enterprises.csv"
    e = pd.read_csv(path, dtype=str)
    pd.concat([e, e.iloc[:1]]).to_csv(path, index=False)
    ds = read_dataset(toy)
    [issue] = ds.report.errors
    assert (issue.code, issue.rows) == ("duplicate_id", (2, 5))
    with pytest.raises(DataError):
        run(ds, load_rules(), as_of=AS_OF)


def test_parcel_class_is_the_main_occupants(toy: Path) -> None:
    r = run(read_dataset(toy), load_rules(), as_of=AS_OF)
    p = r.parcels.set_index("parcel_id")
    e = r.enterprises.set_index("name")
    # P2: 乙 holds 3000 m², 丙 2000 m² -> 乙's class
    assert p.loc["P2", "main_credit_code"] == e.loc["乙公司", "credit_code"]
    assert p.loc["P2", "parcel_class"] == e.loc["乙公司", "class"]


def test_zone_summary_hand_checked(toy: Path) -> None:
    z = run(read_dataset(toy), load_rules(), as_of=AS_OF).zones.iloc[0]
    assert z["land_area_mu"] == pytest.approx(22.5)
    assert z["tax_wan"] == pytest.approx(190.0)
    assert z["tax_per_mu"] == pytest.approx(190 / 22.5)
    assert z["far"] == pytest.approx((1400 + 1200) / 15000)
    assert (z["n_parcels"], z["n_enterprises"], z["n_above_scale"]) == (2, 3, 1)
    assert z["extra_floor_area_m2"] == pytest.approx((2.5 - 0.24) * 5000)


def test_progress_is_reported(toy: Path) -> None:
    seen: list[tuple[str, float]] = []
    run(read_dataset(toy), load_rules(), as_of=AS_OF, progress=lambda s, f: seen.append((s, f)))
    assert seen[0][1] == 0.0 and seen[-1] == ("完成", 1.0)
    assert [f for _, f in seen] == sorted(f for _, f in seen)


def test_sensitivity_command(two_years: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "s.csv"
    assert main(["sensitivity", str(two_years), "--out", str(out), "--as-of", "2026-11-28"]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"credit_code", "scenario", "class_before", "class_after"} <= set(table.columns)
    assert (table["class_before"] != table["class_after"]).all()
