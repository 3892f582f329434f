"""The whole pipeline on small datasets: years, growth, sensitivity, hand-checked figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lcgis.cli import main
from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import run
from lcgis.errors import DataError, UsageError
from lcgis.rules import load_rules

AS_OF = dt.date(2026, 11, 28)
#: The toy park has groups of one to three firms: classes need a minimum group size of 1.
ANY_GROUP = load_rules(overrides={"evaluation": {"min_group_size": 1}})


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
    r = run(read_dataset(two_years), ANY_GROUP, as_of=AS_OF)
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
    r = run(read_dataset(toy), ANY_GROUP, as_of=AS_OF)
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
    # P1: 10 万元/亩, max_far 2.0, far 0.14; P2: 40 / 7.5 = 5.33 万元/亩 -> 2.5, far 0.24.
    # 甲 is alone in its group, so it has no class (min_group_size 5) and is not D.
    assert z["extra_floor_area_m2"] == pytest.approx((2.0 - 0.14) * 10000 + (2.5 - 0.24) * 5000)


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


# --------------------------------------------------------------------------- revision 2 (§8)


def _edit_parcels(toy: Path, **columns: list) -> None:
    import geopandas as gpd

    path = toy / "parcels" / "parcels.gpkg"
    p = gpd.read_file(path)
    for name, values in columns.items():
        p[name] = values
    p.to_file(path)


def test_as_of_defaults_to_the_year_end(toy: Path) -> None:
    r = run(read_dataset(toy), load_rules())
    assert r.year == 2025 and r.as_of == dt.date(2025, 12, 31)


def test_three_year_history_three_three_six_goes_to_buyback(toy: Path) -> None:
    # P2 (7.5 亩, 乙 and 丙): tax per 亩 3, 3 and 6 in 2023–2025 -> mean 4 < 5 -> 收储改造
    path = toy / "parcels" / "enterprises.csv"
    e = pd.read_csv(path, dtype=str)
    years = [
        e.assign(year=str(y), tax_wan=[t1, t2, t3])
        for y, (t1, t2, t3) in {
            2023: ("150", "15", "7.5"),  # P2: 22.5 万元 / 7.5 亩 = 3
            2024: ("150", "15", "7.5"),
            2025: ("150", "30", "15"),  # P2: 45 / 7.5 = 6
        }.items()
    ]
    pd.concat(years).to_csv(path, index=False)
    ds = read_dataset(toy)
    p = run(ds, load_rules(), as_of=dt.date(2026, 12, 31)).parcels.set_index("parcel_id")
    assert p.loc["P2", "tax_per_mu"] == pytest.approx(6.0)
    assert p.loc["P2", "tax_per_mu_3y"] == pytest.approx(4.0)
    assert p.loc["P2", "n_years_3y"] == 3
    assert p.loc["P2", "disposition"] == "buyback"
    assert p.loc["P2", "disposition_reasons"].split(";")[0] == "tax_per_mu_low"
    # evaluated at the default date (2025-12-31, before 13号 took effect): listed, with a note
    early = run(ds, load_rules()).parcels.set_index("parcel_id")
    assert early.loc["P2", "disposition_reasons"].endswith("outside_validity")


def test_unbuilt_parcel_of_a_firm_carries_land_but_no_tax(toy: Path) -> None:
    # 甲 also holds P3, an empty 100 m × 100 m parcel: its 150 万元 stay on built P1
    import geopandas as gpd

    from .conftest import rect

    path = toy / "parcels" / "parcels.gpkg"
    p = gpd.read_file(path)
    extra = gpd.GeoDataFrame(
        {"parcel_id": ["P3"], "land_use": ["industrial"]},
        geometry=[rect(0, 200, 100, 100)],
        crs=p.crs,
    )
    pd.concat([p, extra]).to_file(path)
    occ_path = toy / "parcels" / "occupancy.csv"
    occ = pd.read_csv(occ_path, dtype=str)
    row = occ.iloc[[0]].assign(parcel_id="P3", land_area_m2="10000")
    pd.concat([occ, row]).to_csv(occ_path, index=False)
    r = run(read_dataset(toy), load_rules())
    parcels = r.parcels.set_index("parcel_id")
    assert parcels.loc["P3", "tax_wan"] == 0.0
    assert parcels.loc["P1", "tax_wan"] == pytest.approx(150.0)
    firm = r.enterprises.set_index("name").loc["甲公司"]
    assert firm["land_area_mu"] == pytest.approx(30.0)  # both parcels count as its land
    assert firm["tax_per_mu"] == pytest.approx(5.0)


def test_tenant_without_land_left_gets_empty_land_and_a_warning(toy: Path) -> None:
    # P2 (5000 m²): 乙 states 5000 m², 丙 states nothing -> 丙 gets no land, not 0
    occ_path = toy / "parcels" / "occupancy.csv"
    occ = pd.read_csv(occ_path, dtype=str)
    occ.loc[1, "land_area_m2"] = "5000"
    occ.to_csv(occ_path, index=False)
    r = run(read_dataset(toy), load_rules())
    firm = r.enterprises.set_index("name").loc["丙公司"]
    assert pd.isna(firm["land_area_m2"]) and firm["class"] is None
    assert firm["class_reason"].startswith("缺少用地")
    assert "no_land_left" in {i.code for i in r.report.issues}


def test_coverage_counts_structures_and_yards(toy: Path) -> None:
    # P1: 2 500 m² of buildings + 500 m² of structures + 1 000 m² of yard on 10 000 m² = 0.40
    _edit_parcels(
        toy,
        footprint_area_m2=[2500.0, None],
        structure_area_m2=[500.0, None],
        yard_area_m2=[1000.0, None],
    )
    p = run(read_dataset(toy), load_rules()).parcels.set_index("parcel_id")
    assert p.loc["P1", "coverage"] == pytest.approx(0.40)
    assert p.loc["P1", "coverage_kind"] == "建筑系数"
    # P2 has neither: its figure is the 建筑密度, buildings only (half of B1: 400 m² / 5000)
    assert p.loc["P2", "coverage"] == pytest.approx(0.08)
    assert p.loc["P2", "coverage_kind"] == "建筑密度"


def _idle_p2(toy: Path) -> None:
    """P2 becomes granted land not started since 2024-06-30 (a 500 万元 grant), nobody on it."""
    _edit_parcels(
        toy,
        construction_status=["completed", "not_started"],
        agreed_start_date=["2015-01-01", "2024-06-30"],
        land_price_wan=[None, 500.0],
    )
    occ_path = toy / "parcels" / "occupancy.csv"
    pd.read_csv(occ_path, dtype=str).iloc[[0]].to_csv(occ_path, index=False)
    import geopandas as gpd

    b = toy / "parcels" / "buildings.gpkg"
    gpd.read_file(b).iloc[[1]].to_file(b)  # only B2 on P1: P2 is empty land


def test_government_delay_suspends_the_idle_fee(toy: Path) -> None:
    _idle_p2(toy)
    ds = read_dataset(toy)
    p = run(ds, load_rules()).parcels.set_index("parcel_id")
    assert (p.loc["P2", "idle_action"], p.loc["P2", "idle_fee_wan"]) == ("fee", 100.0)
    g = run(ds, load_rules(), government_delay={"P2"}).parcels.set_index("parcel_id")
    assert g.loc["P2", "idle_action"] == "government" and pd.isna(g.loc["P2", "idle_fee_wan"])


def test_cli_reads_government_reason_from_the_review_store(
    toy: Path, tmp_path: Path, monkeypatch
) -> None:
    import geopandas as gpd

    from lcgis.review import User, dataset_id, open_store, resolve_database_url

    monkeypatch.delenv("LCGIS_DATABASE_URL", raising=False)  # the test's own state folder
    _idle_p2(toy)
    out = tmp_path / "r.gpkg"
    assert main(["evaluate", str(toy), "--out", str(out)]) == 0
    before = gpd.read_file(out, layer="parcels").set_index("parcel_id")
    assert before.loc["P2", "idle_action"] == "fee"
    store_file = Path(resolve_database_url().removeprefix("sqlite:///"))
    assert not store_file.exists()  # evaluating never creates a store
    reviewer = User("甲审核", "reviewer")
    with open_store() as store:
        store.add_user("甲审核", "long-enough-pw", "reviewer")
        # the same parcel id in another dataset of the installation does not count
        store.set_review("P2", by=reviewer, status="核查中", reason="政府原因", dataset="other")
    assert main(["evaluate", str(toy), "--out", str(out)]) == 0
    assert gpd.read_file(out, layer="parcels").set_index("parcel_id").loc["P2", "idle_action"] == (
        "fee"
    )
    with open_store() as store:
        store.set_review(
            "P2", by=reviewer, status="核查中", reason="政府原因", dataset=dataset_id(toy)
        )
    assert main(["evaluate", str(toy), "--out", str(out)]) == 0
    after = gpd.read_file(out, layer="parcels").set_index("parcel_id")
    assert after.loc["P2", "idle_action"] == "government"
    assert pd.isna(after.loc["P2", "idle_fee_wan"])


_KEY_CASES = [
    (["P1", "P3", None, "P1", "宗地-7", ""], ["P3", "P1", "宗地-7", "", "p1"]),
    (["P1", None], ["P1", None]),  # a missing value finds a missing key
    ([], ["P1"]),
    (["P1", "P2"], []),
    ([None, None], ["P2"]),
]


@pytest.mark.parametrize(("values", "keys"), _KEY_CASES)
@pytest.mark.parametrize("value_dtype", ["str", "string", object])
@pytest.mark.parametrize("key_dtype", ["str", "string", object])
def test_positions_is_reindex(
    values: list[str | None], keys: list[str | None], value_dtype: object, key_dtype: object
) -> None:
    """The Arrow lookup of metrics.positions and _take gives what ``reindex`` on the labels
    gives: the same rows, missing rows and dtypes (int, bool and text columns)."""
    from lcgis.engine.metrics import positions
    from lcgis.engine.pipeline import _take

    v = pd.Series(values, dtype=value_dtype)
    index = pd.Index(keys, dtype=key_dtype)
    table = pd.DataFrame(
        {
            "n": range(len(keys)),
            "flag": [True] * len(keys),
            "text": pd.Series([f"t{k}" for k in range(len(keys))], dtype="string"),
        },
        index=index,
    )
    expected = table.reindex(v.to_numpy())
    got = _take(table, positions(v, index)).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True))


@pytest.mark.parametrize(
    ("ids", "land", "used_ids", "used"),
    [
        (["P2", "P1", "宗地3"], [100.0, 100.0, 10.0], ["P2", "P2", "宗地3", "P1"], [60, 50, 11, 5]),
        (["P1", "P2"], [100.0, None], ["P1", None, "P2", "P1"], [99.0, 500.0, 500.0, 2.0]),
        (["P1"], [100.0], ["P1", "P9"], [101.0, 500.0]),  # 1 % is allowed; unknown ids left out
        (["P1", "P2"], [0.0, 1.0], ["P2", "P1", "P2"], [None, 1.0, 2.0]),
        (["P1"], [1.0], [], []),
    ],
)
def test_over_allocated_is_a_groupby_by_id(
    ids: list[str], land: list[float | None], used_ids: list[str | None], used: list[float]
) -> None:
    """Grouping by the parcel's position finds the parcels a groupby by the id text finds,
    in the same (sorted) order."""
    from lcgis.engine.metrics import positions
    from lcgis.engine.pipeline import _over_allocated

    parcels = pd.DataFrame(
        {"parcel_id": pd.Series(ids, dtype="string"), "land_area_m2": pd.Series(land, dtype=float)}
    )
    alloc = pd.DataFrame(
        {
            "parcel_id": pd.Series(used_ids, dtype="string"),
            "alloc_land_m2": pd.Series(used, dtype=float),
        }
    )
    by_id = alloc.groupby("parcel_id")["alloc_land_m2"].sum()
    over = by_id > parcels.set_index("parcel_id")["land_area_m2"].reindex(by_id.index) * 1.01
    expected = list(over[over].index.astype(str))
    assert _over_allocated(alloc, parcels) == expected
    parcel_of = positions(alloc["parcel_id"], parcels["parcel_id"])
    assert _over_allocated(alloc, parcels, parcel_of) == expected


def _history_by_joins(ent: pd.DataFrame, history: pd.DataFrame, year: int) -> pd.DataFrame:
    """with_history as a pivot table and joins on the credit code (the reference)."""
    h = history.dropna(subset=["year"])
    wide = h.pivot_table(index="credit_code", columns="year", values="class", aggfunc="last")
    wide.columns = [f"class_{int(y)}" for y in wide.columns]
    now = h[h["year"] == year].drop_duplicates("credit_code").set_index("credit_code")
    out = ent.join(now[["class_before", "class_change"]], on="credit_code")
    return out.join(wide, on="credit_code")


@pytest.mark.parametrize(
    ("codes", "years", "classes"),
    [
        (["a", "b", "a", "b"], [2024, 2024, 2025, 2025], ["A", "B", None, "C"]),
        (["a", None, "a", None, "c"], [2024, 2024, 2025, 2025, None], ["A", "B", "D", None, "A"]),
        (["a", "a", "b"], [2025, 2025, 2025], ["A", "B", None]),  # a code twice in a year
        (["a", "b"], [2024, 2024], [None, None]),  # a year without any class
        (["x", "y"], [None, None], ["A", "B"]),  # no year
        (["a", "b", "c"], [2023, 2025, 2024], ["T", "A", "B"]),
    ],
)
@pytest.mark.parametrize("class_dtype", [object, "str"])
@pytest.mark.parametrize("ent_codes", [["a", "b", None, "z"], ["b"], [None], [], ["a", "a"]])
@pytest.mark.parametrize("year", [2025, 2024, 2030])
def test_with_history_is_a_pivot_and_joins(
    codes: list[str | None],
    years: list[float | None],
    classes: list[str | None],
    class_dtype: object,
    ent_codes: list[str | None],
    year: int,
) -> None:
    """The lookups by integer codes give what the pivot table and joins on the credit code
    give: the same values, missing values, columns and dtypes."""
    from lcgis.engine.pipeline import with_history

    n = len(codes)
    history = pd.DataFrame(
        {
            "credit_code": pd.Series(codes, dtype="string"),
            "year": pd.Series(years, dtype=float),
            "class": pd.Series(classes, dtype=class_dtype),
            "class_before": pd.Series([f"b{i}" for i in range(n)], dtype="str"),
            "class_change": pd.Series([f"c{i}" if i % 2 else "" for i in range(n)], dtype="str"),
        }
    )
    ent = pd.DataFrame(
        {"credit_code": pd.Series(ent_codes, dtype="string"), "v": range(len(ent_codes))},
        index=[3 * i + 5 for i in range(len(ent_codes))],
    )
    expected = _history_by_joins(ent, history, year)
    pd.testing.assert_frame_equal(with_history(ent, history, year), expected, check_exact=True)


@pytest.mark.parametrize(
    "occupied",
    [
        ["P2", "P1", "P2"],
        ["P1", None, "P9", "P2", None],  # no id, an unknown id
        ["P9"],
    ],
)
@pytest.mark.parametrize("dtype", ["string", object])
def test_allocate_keeps_the_rows_of_known_parcels(
    occupied: list[str | None], dtype: object
) -> None:
    """The one lookup of the parcel ids keeps the rows ``is_in`` keeps, reports the others,
    and gives each kept row's parcel as ``get_indexer`` finds it."""
    from lcgis.data.frame import is_in
    from lcgis.data.io import Dataset
    from lcgis.data.validate import QualityReport
    from lcgis.engine.pipeline import allocate

    parcels = pd.DataFrame(
        {
            "parcel_id": pd.Series(["P1", "P2", "P3"], dtype="string"),
            "land_area_m2": [100.0, 200.0, 300.0],
            "far": [1.0, 1.0, 1.0],
        }
    )
    occ = pd.DataFrame(
        {
            "credit_code": [f"C{i}" for i in range(len(occupied))],
            "parcel_id": pd.Series(occupied, dtype=dtype),
            "land_area_m2": 10.0,
        },
        index=range(10, 10 + len(occupied)),
    )
    ds = Dataset(parcels=parcels, occupancy=occ, files={"occupancy": Path("occ.csv")})
    report = QualityReport()
    alloc, parcel_of = allocate(ds, parcels, report)
    known = is_in(occ["parcel_id"], parcels["parcel_id"])
    assert alloc.index.tolist() == occ.index[known].tolist()
    assert (
        parcel_of.tolist()
        == pd.Index(parcels["parcel_id"]).get_indexer(alloc["parcel_id"]).tolist()
    )
    unknown = [i.rows for i in report.issues if i.code == "unknown_parcel"]
    assert unknown == (
        [tuple(int(i) + 2 for i in np.flatnonzero(~known))] if (~known).any() else []
    )


@pytest.mark.parametrize("seed", range(5))
def test_firms_per_zone_is_a_groupby_nunique(seed: int) -> None:
    """Distinct firms per zone counted on integer numbers are groupby nunique's counts
    (rows without a zone or a firm counting nowhere; zones without firms 0)."""
    from lcgis.engine.pipeline import _firms_per_zone

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    zone = rng.integers(-1, 4, n)
    firm = rng.integers(-1, 9, n)
    kept = pd.DataFrame({"zone": zone, "firm": firm}).replace(-1, np.nan)
    expected = kept.groupby("zone")["firm"].nunique().reindex(range(5), fill_value=0)
    assert _firms_per_zone(zone, firm, 5).tolist() == expected.tolist()
