"""The embedded demo data (data/): reproducible from lcgis/demo.py, and plausible.

The committed files are read as a user's loader would read them; the properties are
computed here independently of the generator (own check-character code, own land
allocation), so a regression in either shows up.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from lcgis import demo
from lcgis.data.schema import M2_PER_MU

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = (
    "zones.geojson",
    "parcels/parcels.gpkg",
    "parcels/buildings.gpkg",
    "parcels/enterprises.csv",
    "parcels/occupancy.csv",
)
# The default evaluation date of the latest year (31 December, rules.md §8).
AS_OF = date(2025, 12, 31)
LON_LAT_BOX = (118.55, 24.86, 118.58, 24.90)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The firm honours the plan counts (bool per enterprise and year).
HONOURS = ("high_tech", "specialised_sme", "listed", "provincial_leading")

# GB 32100-2015, written out again here rather than imported from the generator.
_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_ok(code: str) -> bool:
    """18 characters of the charset with the right check character."""
    if len(code) != 18 or any(c not in _CHARSET for c in code):
        return False
    total = sum(_CHARSET.index(c) * w for c, w in zip(code[:17], _WEIGHTS, strict=True))
    return _CHARSET[(31 - total % 31) % 31] == code[17]


@dataclass(frozen=True)
class Demo:
    """The five files of a demo dataset, read back."""

    zones: gpd.GeoDataFrame  # in EPSG:4549 for measuring
    zones_doc: dict
    parcels: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    enterprises: pd.DataFrame
    occupancy: pd.DataFrame


def load(root: Path) -> Demo:
    """Read a dataset folder written by ``demo.generate``."""
    text = (root / "zones.geojson").read_text(encoding="utf-8")
    zones = gpd.read_file(root / "zones.geojson")
    assert zones.crs.to_epsg() == 4326
    codes = {"credit_code": str, "industry_code": str, "parcel_id": str}
    return Demo(
        zones=zones.to_crs(4549),
        zones_doc=json.loads(text),
        parcels=gpd.read_file(root / "parcels" / "parcels.gpkg"),
        buildings=gpd.read_file(root / "parcels" / "buildings.gpkg"),
        enterprises=pd.read_csv(root / "parcels" / "enterprises.csv", dtype=codes),
        occupancy=pd.read_csv(root / "parcels" / "occupancy.csv", dtype=codes),
    )


@pytest.fixture(scope="module")
def committed() -> Demo:
    return load(DATA)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Demo, demo.DemoSummary]:
    out = tmp_path_factory.mktemp("demo")
    summary = demo.generate(out, seed=demo.DEFAULT_SEED)
    return load(out), summary


def key_figures(d: Demo) -> dict[str, object]:
    """Figures that change when anything in the generated data changes."""
    e = d.enterprises
    return {
        "zone_area_m2": d.zones.area.round(1).tolist(),
        "parcel_ids": d.parcels["parcel_id"].tolist(),
        "parcel_area_m2": round(float(d.parcels.area.sum()), 1),
        "registered_m2": round(float(d.parcels["registered_area_m2"].sum()), 1),
        "land_use": d.parcels["land_use"].value_counts().to_dict(),
        "status": d.parcels["construction_status"].value_counts().to_dict(),
        "land_users": d.parcels["land_user_code"].dropna().tolist(),
        "n_buildings": len(d.buildings),
        "footprint_m2": round(float(d.buildings.area.sum()), 1),
        "floors": int(d.buildings["floors"].sum()),
        "credit_codes": sorted(e["credit_code"].unique()),
        "names": sorted(e["name"].unique()),
        "tax_by_year": e.groupby("year")["tax_wan"].sum().round(2).to_dict(),
        "output_by_year": e.groupby("year")["output_wan"].sum().round(2).to_dict(),
        "above_scale_by_year": e.groupby("year")["above_scale"].sum().to_dict(),
        "standard_factories": d.parcels.loc[d.parcels["standard_factory"], "parcel_id"].tolist(),
        "outside_block": d.parcels.loc[~d.parcels["in_industrial_block"], "parcel_id"].tolist(),
        "structure_yard_m2": round(
            float(d.parcels[["structure_area_m2", "yard_area_m2"]].sum().sum()), 1
        ),
        "rows_per_year": e.groupby("year").size().to_dict(),
        "honours_by_year": e.groupby("year")[list(HONOURS)].sum().to_dict(),
        "honoured": {h: sorted(e.loc[e[h], "credit_code"].unique()) for h in HONOURS},
        "chains": e.dropna(subset=["chain"]).set_index(["credit_code", "year"])["chain"].to_dict(),
        "occupancy_rows": len(d.occupancy),
        "leased_floor_m2": round(float(d.occupancy["floor_area_m2"].sum()), 1),
    }


# ----------------------------------------------------------------------------- reproducible


def test_committed_files_regenerate_from_the_seed(committed, regenerated):
    fresh, _ = regenerated
    assert key_figures(fresh) == key_figures(committed)


def test_generation_is_deterministic_and_fast(tmp_path):
    import time

    start = time.perf_counter()
    demo.generate(tmp_path / "a", seed=demo.DEFAULT_SEED)
    assert time.perf_counter() - start < 10.0
    demo.generate(tmp_path / "b", seed=demo.DEFAULT_SEED)
    for name in ("zones.geojson", "parcels/enterprises.csv", "parcels/occupancy.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_summary_matches_files(committed, regenerated):
    _, s = regenerated
    assert s.seed == demo.DEFAULT_SEED
    assert s.n_parcels == len(committed.parcels)
    assert s.n_buildings == len(committed.buildings)
    assert s.n_enterprises == committed.enterprises["credit_code"].nunique()
    # zones.geojson keeps 7 decimals (about 1 cm): the area read back differs by ~1e-6.
    assert s.zone_area_km2 == pytest.approx(committed.zones.area.sum() / 1e6, rel=1e-5)


def test_files_present_and_small():
    sizes = [(DATA / f).stat().st_size for f in FILES]
    assert sum(sizes) <= 5 * 1024 * 1024


# ----------------------------------------------------------------------------- zones


def test_zones_total_area_and_place(committed):
    z = committed.zones
    assert z.area.sum() / 1e6 == pytest.approx(5.57, rel=0.01)
    assert z.area.sum() / 1e6 == pytest.approx(5.5712, rel=1e-4)
    west, south, east, north = z.to_crs(4326).total_bounds
    assert LON_LAT_BOX[0] <= west < east <= LON_LAT_BOX[2]
    assert LON_LAT_BOX[1] <= south < north <= LON_LAT_BOX[3]
    assert z.is_valid.all()
    assert shapely.union_all(z.geometry).area == pytest.approx(z.area.sum(), rel=1e-9)
    assert (z.area / z.envelope.area < 0.95).all()  # irregular outlines, not rectangles


def test_zones_attributes(committed):
    z = committed.zones.set_index("zone_id")
    assert z.loc[["north", "central", "south"], "zone_name"].tolist() == [
        "北片区",
        "中片区",
        "南片区",
    ]
    assert z.loc["north", "role"] == "高端产业发展示范区"
    assert z.loc["central", "role"] == "传统产业升级承载区"
    assert z.loc["south", "role"] == "新兴产业迭代规划区"
    lead = {k: set(v.split(",")) for k, v in z["leading_industries"].items()}
    # The plan's roles (十四五 plan 四、(五) and 三、(二)2): high-end electronics, instruments and
    # special equipment in the north; textile/shoes/apparel and machinery/auto parts in the
    # centre; new materials, new energy, electronics and biomedicine in the south.
    assert lead == {
        "north": {"39", "40", "35"},
        "central": {"17", "18", "19", "34", "36"},
        "south": {"26", "27", "29", "30", "32", "38", "39"},
    }
    assert not lead["south"] & {"34", "36"}  # no 机械汽配 in the 新兴产业迭代规划区


def test_zones_geojson_is_rfc7946_and_marked(committed):
    doc = committed.zones_doc
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert "示意数据" in doc["name"] and "示意数据" in doc["description"]
    for f in doc["features"]:
        assert f["properties"]["remark"] == "示意数据"
        ring = f["geometry"]["coordinates"][0]
        assert shapely.LinearRing(ring).is_ccw  # right-hand rule: exterior counter-clockwise


# ----------------------------------------------------------------------------- parcels


def test_parcels_valid_and_not_overlapping(committed):
    p = committed.parcels
    assert p.crs.to_epsg() == 4549
    assert p.is_valid.all() and not p.is_empty.any()
    assert set(p.geom_type) <= {"Polygon", "MultiPolygon"}
    union = shapely.union_all(p.geometry)
    assert union.area == pytest.approx(p.area.sum(), rel=1e-6)
    # Stricter: neighbours share edges vertex for vertex and no two parcels overlap.
    assert shapely.coverage_is_valid(p.geometry.values)
    left, right = p.sindex.query(p.geometry, predicate="intersects")
    pairs = left < right
    overlap = shapely.intersection(p.geometry.values[left[pairs]], p.geometry.values[right[pairs]])
    assert shapely.area(overlap).max() < 1e-6


def test_parcels_inside_zones(committed):
    zones = shapely.union_all(committed.zones.geometry)
    assert shapely.within(committed.parcels.geometry, zones).all()
    joined = gpd.sjoin(committed.parcels, committed.zones, predicate="within")
    assert joined["parcel_id"].is_unique and len(joined) == len(committed.parcels)
    letters = joined["parcel_id"].str[3]
    assert (letters == joined["zone_id"].map({"north": "N", "central": "C", "south": "S"})).all()


def test_parcel_ids_sizes_and_shapes(committed):
    p = committed.parcels
    assert p["parcel_id"].is_unique
    assert p["parcel_id"].str.fullmatch(r"LC-[NCS]-\d{4}").all()
    mu = p.area / M2_PER_MU
    assert mu.min() >= 3.0 and mu.max() <= 150.0
    assert 1 <= (mu < 5).sum() <= 20  # a few small parcels
    assert mu.max() > 60  # and some large plants
    assert 200 <= len(p) <= 400
    # Not a grid of boxes: varied orientation and many non-rectangular shapes.
    rectangularity = p.area / shapely.area(shapely.oriented_envelope(p.geometry.values))
    assert (rectangularity < 0.97).mean() > 0.3


def test_industrial_land_share(committed):
    p = committed.parcels
    zone_area = committed.zones.area.sum()
    industrial = p.loc[p["land_use"] == "industrial"].area.sum()
    assert industrial / zone_area == pytest.approx(0.60, abs=0.05)
    assert set(p["land_use"]) == {"industrial", "warehouse", "vacant", "other"}
    assert (p["land_use"] == "industrial").mean() > 0.75


def test_registered_areas(committed):
    p = committed.parcels
    off = (p["registered_area_m2"] / p.area - 1).abs()
    given = off.dropna()
    assert 0.02 < off.isna().mean() < 0.12  # some parcels without a registered area
    assert 1 <= (given > 0.05).sum() <= max(3, round(0.02 * len(p)))  # about 1% mismatched
    assert (given[given <= 0.05] <= 0.02 + 1e-6).all()  # the rest within survey noise
    assert p["floor_area_m2"].notna().sum() <= 5  # floor area comes from the buildings


def test_planning_fields_and_dates(committed):
    p = committed.parcels
    far = p["max_far"].dropna()
    assert far.between(1.5, 3.0).all() and far.between(2.0, 3.0).mean() > 0.85
    assert 0.05 < p["max_far"].isna().mean() < 0.2
    assert p["min_far"].notna().mean() < 0.2
    for col in (
        "grant_date",
        "agreed_start_date",
        "agreed_completion_date",
        "actual_start_date",
        "suspended_since",
    ):
        values = p[col].dropna().astype(str)
        assert values.str.match(ISO_DATE).all(), col
    assert set(p["construction_status"].dropna()) == {
        "not_started",
        "under_construction",
        "suspended",
        "completed",
    }
    shares = p[["developed_share", "invested_share"]].to_numpy().ravel()
    shares = shares[~np.isnan(shares)]
    assert ((shares >= 0) & (shares <= 1)).all()


def _years_before_as_of(values: pd.Series) -> pd.Series:
    return (pd.Timestamp(AS_OF) - pd.to_datetime(values)).dt.days / 365.25


def test_idle_undeveloped_and_overdue_parcels(committed):
    p = committed.parcels
    status = p["construction_status"]
    late = _years_before_as_of(p.loc[status == "not_started", "agreed_start_date"])
    assert (late < 1).sum() >= 1  # not idle yet
    assert late.between(1, 2).sum() >= 2  # idle: 闲置费
    assert (late >= 2).sum() in (1, 2)  # idle two years or more: 无偿收回, one or two
    suspended = p[status == "suspended"]
    idle_suspended = (_years_before_as_of(suspended["suspended_since"]) >= 1) & (
        (suspended["developed_share"] < 1 / 3) | (suspended["invested_share"] < 0.25)
    )
    assert idle_suspended.sum() >= 1
    building = p[status == "under_construction"]
    overdue = _years_before_as_of(building["agreed_completion_date"])
    assert (overdue < 0).sum() >= 5  # inside the agreed construction period: 在建
    assert (overdue >= 2).sum() >= 1  # long overdue
    # Granted land without a status: nothing built, a land user, no occupant, some idle.
    granted = p[status.isna() & p["grant_date"].notna()]
    assert 2 <= len(granted) <= 6
    assert granted["land_user_code"].notna().all()
    assert not granted["parcel_id"].isin(committed.occupancy["parcel_id"]).any()
    assert not granted["parcel_id"].isin(_parcel_of_buildings(committed)).any()
    clock = pd.to_datetime(granted["agreed_start_date"]).fillna(
        pd.to_datetime(granted["grant_date"])
    )
    assert (_years_before_as_of(clock) >= 1).sum() >= 1
    # A handful of idle parcels in all (53号令: not started a year after the agreed start).
    clock_all = pd.to_datetime(p["agreed_start_date"]).fillna(pd.to_datetime(p["grant_date"]))
    unstarted = (status == "not_started") | (status.isna() & p["grant_date"].notna())
    n_idle = (unstarted & (_years_before_as_of(clock_all) >= 1)).sum() + idle_suspended.sum()
    assert 4 <= n_idle <= 10


# ----------------------------------------------------------------------------- buildings


def _parcel_of_buildings(d: Demo) -> pd.Series:
    points = d.buildings.set_geometry(d.buildings.representative_point())
    joined = gpd.sjoin(points, d.parcels[["parcel_id", "geometry"]], predicate="within")
    return joined["parcel_id"]


def _parcel_floor_area(d: Demo) -> pd.Series:
    """Floor area per parcel as the data contract counts it (storeys over 8 m twice)."""
    b = d.buildings
    storey_h = b["height_m"] / b["floors"]
    storeys = b["floors"] * np.where(storey_h > 8.0, 2, 1)
    floor = b["floor_area_m2"].fillna(b.area * storeys)
    return floor.groupby(_parcel_of_buildings(d)).sum()


def test_buildings_inside_parcels(committed):
    b = committed.buildings
    assert b.crs.to_epsg() == 4549 and b.is_valid.all()
    assert b["building_id"].is_unique
    assert b["floors"].between(1, 8).all() and b["floors"].max() >= 7
    assert set(b["status"]) == {"in_use", "vacant", "under_construction", "dilapidated"}
    assert b["height_m"].notna().mean() > 0.3
    parcels = shapely.union_all(committed.parcels.geometry)
    assert shapely.within(b.geometry, parcels.buffer(0.01)).all()
    assert len(_parcel_of_buildings(committed)) == len(b)


def test_far_and_coverage(committed):
    p = committed.parcels.set_index("parcel_id")
    land = p["registered_area_m2"].fillna(p.area)
    footprint = committed.buildings.area.groupby(_parcel_of_buildings(committed)).sum()
    built = footprint.index
    # 建筑系数: buildings, structures and yards (国土资发〔2008〕24号); without the latter two
    # the figure is the 建筑密度.
    extras = p["structure_area_m2"].fillna(0) + p["yard_area_m2"].fillna(0)
    coverage = (footprint + extras[built]) / land[built]
    far = _parcel_floor_area(committed) / land[built]
    assert 1.0 <= far.median() <= 2.2 and far.between(0.8, 2.8).mean() > 0.7
    assert 0.35 <= coverage.median() <= 0.6 and coverage.between(0.3, 0.7).mean() > 0.8
    plants = p.loc[built].query("land_use == 'industrial'").index
    assert 0.02 <= (coverage[plants] < 0.3).mean() <= 0.15  # a minority below the minimum
    assert coverage.max() < 0.85
    undeveloped = p.index.difference(built)
    assert 15 <= len(undeveloped) <= 60
    assert set(p.loc[undeveloped, "construction_status"].dropna()) <= {"not_started"}


# ----------------------------------------------------------------------------- enterprises


def test_enterprise_counts(committed):
    e = committed.enterprises
    assert e["credit_code"].nunique() == pytest.approx(1200, rel=0.05)
    assert not e.duplicated(["credit_code", "year"]).any()
    # The plan's baseline year 2020 and the five years of the 十四五 period.
    assert set(e["year"]) == {2020, 2021, 2022, 2023, 2024, 2025}
    latest = e[e["year"] == 2025]
    assert latest["credit_code"].nunique() == e["credit_code"].nunique()
    assert latest["above_scale"].sum() == pytest.approx(160, abs=15)
    assert (latest.loc[latest["above_scale"], "revenue_wan"] >= 2000).all()
    assert latest["exempt"].sum() in range(2, 8)
    started = pd.to_datetime(latest["production_start_date"])
    assert (started.dt.year >= 2024).sum() >= 20  # newcomers
    assert latest["name"].is_unique
    assert latest["name"].str.endswith("公司").all()


def test_enterprise_trends_and_gaps(committed):
    e = committed.enterprises
    wide = e.pivot(index="credit_code", columns="year", values="tax_wan")
    for first in (2020, 2021):
        both = wide[[first, 2025]].dropna()
        both = both[both[first] > 0]
        growth = both[2025] / both[first]
        assert (growth > 1.1).mean() > 0.3 and (growth < 0.9).mean() > 0.05
    # The park grows from the 2020 baseline: more firms, more output and tax every year.
    totals = e.groupby("year")[["output_wan", "tax_wan"]].sum()
    assert (totals.diff().dropna() > 0).all().all()
    assert 1.2 <= totals.loc[2025, "output_wan"] / totals.loc[2020, "output_wan"] <= 1.6
    firms = e.groupby("year")["credit_code"].nunique()
    assert firms.is_monotonic_increasing and 850 <= firms[2020] <= 1050
    assert e.loc[e["year"] == 2020, "above_scale"].sum() == pytest.approx(150, abs=15)
    for col in ("energy_tce", "emission_t"):
        missing = e.groupby("credit_code")[col].apply(lambda s: s.isna().all()).sum()
        assert 1 <= missing <= 40, col
    producing = e[e["output_wan"] > 0]
    ratio = producing["output_wan"] / producing["tax_wan"]
    assert ratio.between(22, 45).mean() > 0.95
    assert e["production_start_date"].dropna().str.match(ISO_DATE).all()


def test_industry_codes(committed):
    e = committed.enterprises
    codes = e["industry_code"]
    assert codes.str.fullmatch(r"\d{4}").all()
    chains = {"17", "18", "19", "26", "27", "29", "30", "32", "34", "35", "36", "38", "39", "40"}
    outside = e[~codes.str[:2].isin(chains)]
    assert outside["exempt"].all()  # only the exempt utilities fall outside the chains


def test_credit_codes(committed):
    e = committed.enterprises
    codes = pd.Series(e["credit_code"].unique())
    invalid = codes[~codes.map(credit_code_ok)]
    assert len(invalid) == 5  # the deliberate few
    assert invalid.str.len().eq(18).all()
    users = committed.parcels["land_user_code"].dropna()
    assert users.map(credit_code_ok).all()


def test_occupancy(committed):
    o, e = committed.occupancy, committed.enterprises
    assert set(o["credit_code"]) == set(e["credit_code"])
    assert set(o["parcel_id"]) <= set(committed.parcels["parcel_id"])
    assert set(o["tenure"]) == {"own", "lease"}
    lease = o[o["tenure"] == "lease"]
    assert lease["floor_area_m2"].notna().all() and lease["land_area_m2"].isna().all()
    tenants = lease.groupby("parcel_id")["credit_code"].nunique()
    assert tenants.between(5, 30).all() and len(tenants) >= 30
    assert (o.groupby("credit_code")["parcel_id"].nunique() > 1).sum() >= 10
    own = o[(o["tenure"] == "own") & o["land_area_m2"].notna()]
    parcels = committed.parcels.set_index("parcel_id")
    land = parcels["registered_area_m2"].fillna(parcels.area)
    assert np.allclose(own["land_area_m2"], land[own["parcel_id"]].round(2), atol=0.01)
    vacant = parcels.index[parcels["land_use"] == "vacant"]
    assert not o["parcel_id"].isin(vacant).any()


def test_standard_factories_hold_the_tenants(committed):
    p = committed.parcels.set_index("parcel_id")
    assert p["standard_factory"].dtype == bool and p["in_industrial_block"].dtype == bool
    o = committed.occupancy
    lease = o[o["tenure"] == "lease"]
    sf = p.index[p["standard_factory"]]
    # Every lease is floor space in a standard factory (园中园), each holding 5-30 tenants.
    assert set(lease["parcel_id"]) == set(sf)
    assert lease["floor_area_m2"].gt(0).all()
    assert lease.groupby("parcel_id")["credit_code"].nunique().between(5, 30).all()
    assert (p.loc[sf, "land_use"] == "industrial").all()
    # Leased floor space stays within the buildings of the parcel.
    used = o[o["parcel_id"].isin(sf)].groupby("parcel_id")["floor_area_m2"].sum()
    assert (used <= _parcel_floor_area(committed).reindex(used.index)).all()
    industrial = p[p["land_use"] == "industrial"]
    share = industrial.loc[sf].area.sum() / industrial.area.sum()
    assert 0.12 <= share <= 0.35


def test_structures_yards_and_industrial_block(committed):
    p = committed.parcels
    given = p["structure_area_m2"].notna() | p["yard_area_m2"].notna()
    built = p["parcel_id"].isin(_parcel_of_buildings(committed))
    # Some plants give structures and yards (建筑系数), most do not (建筑密度).
    assert 20 <= (given & built).sum() <= 0.5 * built.sum()
    assert not (given & ~built).any()
    assert set(p.loc[given, "land_use"]) <= {"industrial", "warehouse", "other"}
    assert (p.loc[p["land_use"] == "other", "structure_area_m2"].notna()).all()  # tanks, basins
    land = p["registered_area_m2"].fillna(p.area)
    extra = (p["structure_area_m2"].fillna(0) + p["yard_area_m2"].fillna(0)) / land
    assert extra[given].between(0.01, 0.35).all()
    # Almost every parcel lies inside the 工业产业区块线; a few finished plants do not.
    outside = p[~p["in_industrial_block"]]
    assert 1 <= len(outside) <= 8
    assert (outside["construction_status"] == "completed").all()


def test_years_of_figures(committed):
    e = committed.enterprises
    years = e.groupby("credit_code")["year"].agg(["min", "max", "size"])
    assert (years["max"] == 2025).all()
    # Three years or more for the tax_per_mu_3y of most firms; a few miss one year between.
    assert (years["size"] >= 3).mean() > 0.85
    gaps = years[years["size"] < years["max"] - years["min"] + 1]
    assert 3 <= len(gaps) <= 20
    # Project companies not yet producing file no figures (class empty, not 0).
    figures = e[["output_wan", "tax_wan", "value_added_wan"]]
    empty = figures.isna().all(axis=1)
    assert (figures.isna().any(axis=1) == empty).all()  # all three or none
    projects = e.loc[empty, "credit_code"].unique()
    assert 5 <= len(projects) <= 30
    assert e.loc[e["credit_code"].isin(projects), "production_start_date"].isna().all()
    own = committed.occupancy[committed.occupancy["credit_code"].isin(projects)]
    status = committed.parcels.set_index("parcel_id")["construction_status"]
    assert (status[own["parcel_id"]] != "completed").all()


def test_honours_follow_the_plan(committed):
    e = committed.enterprises
    assert all(e[h].dtype == bool for h in HONOURS)
    counts = e.groupby("year")[list(HONOURS)].sum()
    # 2020 as the plan's 区位审视 counts the zone: 上市 9, 高新技术企业 66, 省级专精特新 9 and
    # 8 province-level of the 18 市级以上龙头; growing towards 2025 (district targets: 专精特新
    # 15, 省工业龙头 12).
    assert counts.loc[2020].to_dict() == {
        "high_tech": 66,
        "specialised_sme": 9,
        "listed": 9,
        "provincial_leading": 8,
    }
    assert counts.loc[2025].to_dict() == {
        "high_tech": 95,
        "specialised_sme": 14,
        "listed": 10,
        "provincial_leading": 11,
    }
    assert counts.apply(lambda c: c.is_monotonic_increasing).all()
    # Once honoured, a firm keeps the honour in each later year it files for.
    for h in HONOURS:
        wide = e.pivot(index="credit_code", columns="year", values=h)
        held = wide.fillna(False).astype(bool).astype(int)
        assert (held.diff(axis=1).iloc[:, 1:] >= 0).all().all(), h
    latest = e[e["year"] == 2025]
    # 高新技术企业 mostly in 电子信息 (39, 40) and 机械装备 (34-38), and larger than the rest.
    ht = latest[latest["high_tech"]]
    leading = ht["industry_code"].str[:2].isin(["39", "40", "34", "35", "36", "37", "38"])
    assert leading.mean() >= 0.75
    assert (ht["industry_code"].str[:2].isin(["39", "40"])).sum() >= 35
    assert (
        ht["revenue_wan"].median() >= 5 * latest.loc[~latest["high_tech"], "revenue_wan"].median()
    )
    assert ht["above_scale"].mean() >= 0.4
    # 专精特新 are 中小企业 above scale (营业收入 2 000 万元 to 4 亿元), most of them 高新技术企业.
    sme = latest[latest["specialised_sme"]]
    assert sme["revenue_wan"].between(2000, 40000, inclusive="left").all()
    assert sme["high_tech"].mean() >= 0.5
    # 上市企业 and 省级龙头 among the largest firms: each above 2 亿元 of sales.
    for h in ("listed", "provincial_leading"):
        assert (latest.loc[latest[h], "revenue_wan"] >= 20000).all(), h
    # Honoured firms produce and are rated: no project company, no exempt utility.
    honoured = e[e[list(HONOURS)].any(axis=1)]
    assert honoured["output_wan"].notna().all() and not honoured["exempt"].any()


def test_chain_overrides(committed):
    e = committed.enterprises
    over = e.dropna(subset=["chain"])
    firms = over.groupby("credit_code")
    assert 3 <= firms.ngroups <= 12  # a few firms, the committee's own count
    assert set(over["chain"]) <= {"纺织鞋服", "机械装备", "电子信息"}
    # An override holds in every year of the firm.
    assert (firms["chain"].nunique() == 1).all()
    assert (
        firms.size() == e[e["credit_code"].isin(firms.groups)].groupby("credit_code").size()
    ).all()
    # 橡塑 firms (29) making shoe soles counted in 纺织鞋服, and solar parts (38) in 电子信息.
    pairs = set(zip(over["industry_code"].str[:2], over["chain"], strict=True))
    assert pairs == {("29", "纺织鞋服"), ("38", "电子信息")}


def allocated_land_m2(d: Demo) -> pd.Series:
    """Land per enterprise by the data contract: land area, else floor ÷ FAR, else shared."""
    parcels = d.parcels.set_index("parcel_id")
    land = parcels["registered_area_m2"].fillna(parcels.area)
    floor = parcels["floor_area_m2"].fillna(_parcel_floor_area(d)).reindex(land.index)
    far = floor / land
    o = d.occupancy.copy()
    by_floor = o["floor_area_m2"] / far[o["parcel_id"]].to_numpy()
    o["land"] = o["land_area_m2"].fillna(by_floor)
    rest = (land - o.groupby("parcel_id")["land"].sum()).clip(lower=0)
    none = o["land"].isna()
    shares = o[none].groupby("parcel_id")["credit_code"].transform("size")
    o.loc[none, "land"] = rest[o.loc[none, "parcel_id"]].to_numpy() / shares.to_numpy()
    return o.groupby("credit_code")["land"].sum()


def test_tax_per_mu(committed):
    e = committed.enterprises
    latest = e[e["year"] == 2025].set_index("credit_code")
    mu = allocated_land_m2(committed).reindex(latest.index) / M2_PER_MU
    tax_per_mu = latest["tax_wan"] / mu
    producing = latest["tax_wan"] > 0
    # A realistic minority (10-20%) of the producing firms below 5 万元/亩.
    assert 0.10 <= (tax_per_mu[producing] < 5).mean() <= 0.20
    # 规上 typically 30-80 万元/亩 (the bigger plants lower), most 规下 3-20.
    above = latest["above_scale"] & producing
    assert 25.0 <= tax_per_mu[above].median() <= 50.0
    assert tax_per_mu[above].between(15.0, 100.0).mean() > 0.75
    below = ~latest["above_scale"] & producing & ~latest["exempt"]
    assert tax_per_mu[below].between(3.0, 20.0).mean() > 0.6
    # The plan's 亩均产出效益 of about 25 万元/亩, read as tax per 亩 of the land in use (the
    # parcels of the firms that pay tax).
    used = allocated_land_m2(committed).reindex(latest.index)[producing].sum() / M2_PER_MU
    assert 22.0 <= latest.loc[producing, "tax_wan"].sum() / used <= 28.0
    # Park totals near the published 2022 figures (11.3 亿元 tax, 429 亿元 above-scale output).
    assert 8e4 <= latest["tax_wan"].sum() <= 1.6e5
    assert 2.5e6 <= latest.loc[latest["above_scale"], "output_wan"].sum() <= 5.5e6


def test_industry_mismatch_exists(committed):
    joined = gpd.sjoin(committed.parcels, committed.zones, predicate="within")
    zone_of = joined.set_index("parcel_id")["leading_industries"]
    o = committed.occupancy
    latest = committed.enterprises.query("year == 2025").set_index("credit_code")
    division = o["credit_code"].map(latest["industry_code"]).str[:2]
    lead = o["parcel_id"].map(zone_of).str.split(",")
    mismatched = [d not in ls for d, ls in zip(division, lead, strict=True)]
    assert 0.03 < np.mean(mismatched) < 0.3


# ----------------------------------------------------------------------------- 示意数据


def test_marked_illustrative_everywhere(committed):
    for frame in (
        committed.parcels,
        committed.buildings,
        committed.enterprises,
        committed.occupancy,
    ):
        assert (frame["remark"] == "示意数据").all()
    for name in ("parcels", "buildings"):
        meta = pyogrio.read_info(DATA / "parcels" / f"{name}.gpkg")["layer_metadata"]
        assert "示意数据" in meta["DESCRIPTION"]
    for name in ("enterprises.csv", "occupancy.csv"):
        assert (DATA / "parcels" / name).read_bytes().startswith(b"\xef\xbb\xbf")
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "示意数据" in readme and str(demo.DEFAULT_SEED) in readme
    assert "python -m lcgis.demo" in readme
    assert readme.index("示意数据") < readme.lower().index("illustrative")  # Chinese first


def test_other_seed_gives_other_valid_data(tmp_path):
    s = demo.generate(tmp_path, seed=7)
    other = load(tmp_path)
    assert s.zone_area_km2 == pytest.approx(5.5712, rel=1e-4)
    assert other.parcels.is_valid.all()
    assert shapely.coverage_is_valid(other.parcels.geometry.values)
    assert other.parcels["parcel_id"].tolist() != load(DATA).parcels["parcel_id"].tolist() or (
        other.parcels.area.sum() != pytest.approx(load(DATA).parcels.area.sum(), rel=1e-9)
    )
    assert other.enterprises["credit_code"].nunique() == pytest.approx(1200, rel=0.05)


def test_cli_writes_into_the_given_folder(tmp_path, capsys):
    assert demo.main([str(tmp_path / "out"), "--seed", "11"]) == 0
    assert "示意数据" in capsys.readouterr().out
    for name in FILES:
        assert (tmp_path / "out" / name).is_file()
