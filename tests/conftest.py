"""Shared fixtures: small synthetic datasets with hand-computable answers, in EPSG:4549."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from lcgis.data.validate import credit_code_check_char

if TYPE_CHECKING:
    from collections.abc import Iterator

#: A point inside 鲤城 in EPSG:4549 (CGCS2000 3-degree GK CM 120E), metres.
X0, Y0 = 355000.0, 2753500.0
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
PLUTO = REALDATA / "nyc_lower_manhattan_pluto15v1"


def code(body: str) -> str:
    """A valid 18-character credit code from its first 17 characters."""
    return body + credit_code_check_char(body)


def rect(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    """A w × h rectangle (m) at offset (x, y) from the origin point."""
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    """Two parcels side by side, one building across their boundary, three firms.

    P1: 100 m × 100 m (10000 m² = 15 亩); P2: 100 m × 50 m (5000 m² = 7.5 亩).
    Building B1 40 m × 20 m, 3 floors, half on each parcel; B2 on P1 20 m × 10 m, 1 floor.
    """
    d = tmp_path / "toy"
    (d / "parcels").mkdir(parents=True)
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2"],
            "land_use": ["industrial", "industrial"],
            "registered_area_m2": [None, 5000.0],
            "max_far": [2.0, None],
        },
        geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)],
        crs=4549,
    )
    parcels.to_file(d / "parcels" / "parcels.gpkg")
    buildings = gpd.GeoDataFrame(
        {"building_id": ["B1", "B2"], "floors": [3, 1]},
        geometry=[rect(80, 10, 40, 20), rect(10, 10, 20, 10)],
        crs=4549,
    )
    buildings.to_file(d / "parcels" / "buildings.gpkg")
    ents = pd.DataFrame(
        {
            "credit_code": [
                code("91350502MA0000001"),
                code("91350502MA0000002"),
                code("91350502MA0000003"),
            ],
            "name": ["甲公司", "乙公司", "丙公司"],
            "year": [2025, 2025, 2025],
            "industry_code": ["3911", "1811", "3311"],
            "above_scale": ["是", "否", "否"],
            "output_wan": [3000.0, 600.0, 300.0],
            "tax_wan": [150.0, 30.0, 10.0],
        }
    )
    ents.to_csv(d / "parcels" / "enterprises.csv", index=False)
    occ = pd.DataFrame(
        {
            "credit_code": ents["credit_code"],
            "parcel_id": ["P1", "P2", "P2"],
            "land_area_m2": [None, 3000.0, None],
            "tenure": ["own", "lease", "lease"],
        }
    )
    occ.to_csv(d / "parcels" / "occupancy.csv", index=False)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["north"], "zone_name": ["北片区"], "leading_industries": ["39,40"]},
        geometry=[rect(-10, -10, 150, 200)],
        crs=4549,
    ).to_crs(4326)
    zones.to_file(d / "zones.geojson")
    return d


@pytest.fixture
def toy_extras(toy: Path) -> Path:
    """The toy dataset with columns no contract field takes (kept as ``extra:…``).

    Parcels: 规划用途 (P1 一类工业用地, P2 物流仓储用地) and 编码 (text with leading zeros:
    P1 007, P2 010); enterprises: 联系人 (甲 张三, 乙 李四, 丙 王五) and Code / code, names
    that differ only in case.
    """
    folder = toy / "parcels"
    parcels = gpd.read_file(folder / "parcels.gpkg")
    ids = parcels["parcel_id"].tolist()
    parcels["规划用途"] = [{"P1": "一类工业用地", "P2": "物流仓储用地"}[i] for i in ids]
    parcels["编码"] = [{"P1": "007", "P2": "010"}[i] for i in ids]
    parcels.to_file(folder / "parcels.gpkg")
    ents = pd.read_csv(folder / "enterprises.csv", dtype=str)
    ents["联系人"] = ents["name"].map({"甲公司": "张三", "乙公司": "李四", "丙公司": "王五"})
    ents["Code"] = ["A1", "A2", "A3"]
    ents["code"] = ["a1", "a2", "a3"]
    ents.to_csv(folder / "enterprises.csv", index=False)
    return toy


# --- review store: database URLs (SQLite always; PostgreSQL when available) ----------------


@pytest.fixture(autouse=True)
def state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has its own installation state folder (chain key, witness, default store),
    named by env LCGIS_STATE_DIR (inherited by spawned workers); never the user's own."""
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("LCGIS_STATE_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    """URL of a PostgreSQL server for the review tests, or None when there is none.

    ``LCGIS_TEST_DATABASE_URL`` if set; else a throw-away cluster started here (initdb +
    pg_ctl, as user postgres when root). With ``LCGIS_REQUIRE_POSTGRES=1`` a missing server
    fails the tests instead of skipping them.
    """
    from tests.pgserver import temporary_postgres

    given = os.environ.get("LCGIS_TEST_DATABASE_URL")
    if given:
        yield given
        return
    server = temporary_postgres()
    try:
        url = server.__enter__()
    except Exception as exc:
        if os.environ.get("LCGIS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"LCGIS_REQUIRE_POSTGRES=1 but no PostgreSQL could be started: {exc}")
        _PG_UNAVAILABLE.append(str(exc))
        yield None
        return
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


_PG_UNAVAILABLE: list[str] = []


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty review database: a SQLite file, then a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'review.sqlite'}"
        return
    server = request.getfixturevalue("postgres_server")
    if server is None:
        if os.environ.get("LCGIS_REQUIRE_POSTGRES") == "1":
            pytest.fail("LCGIS_REQUIRE_POSTGRES=1 but PostgreSQL is unavailable")
        pytest.skip(f"PostgreSQL unavailable: {'; '.join(_PG_UNAVAILABLE)[:200]}")
    from tests.pgserver import fresh_database

    with fresh_database(server) as url:
        yield url


# --- the app's admin ---------------------------------------------------------------------------


@pytest.fixture
def admin() -> dict[str, object]:
    """The app session of an admin (管理员) who exists in the test's store (the role is re-read
    from the store on every run, so a session user must be real)."""
    from argon2 import PasswordHasher

    from lcgis import review

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with review.open_store(hasher=fast) as s:
        if s.get_user("管理员") is None:
            s.add_user("管理员", "admin-password-1", "admin")
    return {"lcgis_user": review.User("管理员", "admin")}


# --- markers: the quick loop (python -m pytest -m "not slow") -----------------------------------

#: Modules whose tests drive whole screens (Streamlit's AppTest or Chromium) or make files for
#: every role: seconds each, minutes in all.
_SLOW_MODULES = {
    "test_app.py",
    "test_app_access.py",
    "test_app_keys.py",
    "test_app_papers.py",
    "test_app_relocation.py",
    "test_app_review.py",
    "test_browser.py",
    "test_papers.py",
    "test_demo.py",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the browser tests, the tests that use PostgreSQL and the slow ones, so that the
    daily loop can leave them out (CI runs everything)."""
    del config
    for item in items:
        module = item.path.name
        if module == "test_browser.py":
            item.add_marker(pytest.mark.browser)
        params = getattr(getattr(item, "callspec", None), "params", {})
        fixtures = getattr(item, "fixturenames", ())
        if params.get("db_url") == "postgresql" or "postgres_server" in fixtures:
            item.add_marker(pytest.mark.postgres)
        concurrent = "concurrent" in item.name  # several writer processes: ~20 s each
        if module in _SLOW_MODULES or concurrent or item.get_closest_marker("hostile"):
            item.add_marker(pytest.mark.slow)
