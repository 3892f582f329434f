"""``--engine dask``: reading on the workers, the geometric steps and per-row rules on
spatial partitions of a Dask cluster give every output field and the same report as the
single-machine path (compared as ``scripts/snapshot.py`` compares)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from lcgis.cli import main
from lcgis.data import io
from lcgis.engine import evaluate, land, metrics, partitioned, pipeline
from lcgis.errors import UsageError
from lcgis.rules import load_rules

if TYPE_CHECKING:
    from collections.abc import Iterator

    from distributed import Client

ROOT = Path(__file__).resolve().parents[1]


def _snapshot_module() -> Any:
    spec = importlib.util.spec_from_file_location("snapshot", ROOT / "scripts" / "snapshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


snapshot = _snapshot_module()


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with partitioned.client_for() as c:
        yield c


def _save(result: pipeline.Result, out: Path) -> Path:
    """The result as ``scripts/snapshot.py save`` keeps it."""
    snap = {name: snapshot._plain(getattr(result, name)) for name in snapshot.FRAMES}
    snap["report"] = result.report.to_frame()
    out.write_bytes(pickle.dumps(snap))
    return out


def _same_as_local(
    data: Path, client: Client, per_partition: int, tmp_path: Path, per_piece: int = 100
) -> tuple[int, partitioned.Partitioned, pipeline.Result]:
    """Both paths from the files: the Dask one read by the workers in pieces too."""
    rules = load_rules()
    local = pipeline.run(io.read_dataset(data), rules, as_of=snapshot.AS_OF)
    kernels = partitioned.Partitioned(client, per_partition)
    ds = io.read_dataset(data, reader=partitioned.PieceReader(client, per_piece))
    spread = pipeline.run(ds, rules, as_of=snapshot.AS_OF, kernels=kernels)
    a, b = _save(local, tmp_path / "local.pkl"), _save(spread, tmp_path / "dask.pkl")
    return snapshot.compare(a, b), kernels, spread


def test_building_across_partitions(toy: Path, client: Client, tmp_path: Path) -> None:
    """B1 lies half on P1, half on P2, each parcel in its own partition: both get their half."""
    bad, kernels, result = _same_as_local(toy, client, 1, tmp_path)
    assert bad == 0
    assert kernels._parts is not None and len(kernels._parts[1]) == 2
    p = result.parcels.set_index("parcel_id")
    # B1 40 × 20 m, 3 floors, 400 m² on each; B2 20 × 10 m, 1 floor, on P1
    assert p["footprint_area_m2"].round(6).to_dict() == {"P1": 600.0, "P2": 400.0}
    assert p["floor_area_m2"].round(6).to_dict() == {"P1": 1400.0, "P2": 1200.0}
    assert p["zone_id"].tolist() == ["north", "north"]


def test_demo_in_many_partitions(client: Client, tmp_path: Path) -> None:
    bad, kernels, result = _same_as_local(ROOT / "data", client, 10, tmp_path)
    assert bad == 0
    assert kernels._parts is not None and len(kernels._parts[1]) == 28
    assert result.allocation["alloc_land_m2"].notna().any()


@pytest.mark.slow  # generates and evaluates the city tier twice: about a minute
def test_city_tier_identical(client: Client, tmp_path: Path) -> None:
    from lcgis.synthetic import make_tier

    make_tier(tmp_path / "city", "city")
    bad, kernels, result = _same_as_local(tmp_path / "city", client, 10_000, tmp_path, 40_000)
    assert bad == 0
    assert kernels._parts is not None and len(kernels._parts[1]) == 6
    assert len(result.parcels) == 50_176


def _same_dataset(a: io.Dataset, b: io.Dataset) -> None:
    for layer in ("parcels", "buildings", "enterprises", "occupancy", "zones"):
        x, y = getattr(a, layer), getattr(b, layer)
        assert (x is None) == (y is None), layer
        if x is not None:
            pd.testing.assert_frame_equal(x, y, check_exact=True)
    assert a.crs == b.crs
    pd.testing.assert_frame_equal(a.report.to_frame(), b.report.to_frame())


def test_read_in_pieces(client: Client) -> None:
    """The workers read the demo's parcels and buildings in runs of 7 features: the same
    dataset and report as the single-machine reading."""
    reader = partitioned.PieceReader(client, 7)
    spread = io.read_dataset(ROOT / "data", reader=reader)
    assert reader.pieces["parcels"] > 1 and reader.pieces["buildings"] > 1
    assert reader.pieces["occupancy"] == 0  # tables: read by the client
    _same_dataset(io.read_dataset(ROOT / "data"), spread)


def test_read_pieces_of_unlike_types(toy: Path, client: Client) -> None:
    """Floors empty in one piece only (integers in one piece, floats in the other): the
    client reads the file whole, as the single-machine path does."""
    path = toy / "parcels" / "buildings.gpkg"
    b = gpd.read_file(path)
    b["floors"] = pd.array([3, None], dtype="Int64")
    b.to_file(path)
    reader = partitioned.PieceReader(client, 1)
    spread = io.read_dataset(toy, reader=reader)
    assert reader.pieces["buildings"] == 0 and reader.pieces["parcels"] == 2
    _same_dataset(io.read_dataset(toy), spread)


def test_read_bad_file_same_report(toy: Path, client: Client) -> None:
    (toy / "parcels" / "buildings.gpkg").write_bytes(b"not a geopackage at all")
    reader = partitioned.PieceReader(client, 1)
    spread = io.read_dataset(toy, reader=reader)
    local = io.read_dataset(toy)
    assert reader.pieces["buildings"] == 0 and local.report.has_errors
    pd.testing.assert_frame_equal(local.report.to_frame(), spread.report.to_frame())


def _parcels(occupants: list[int]) -> gpd.GeoDataFrame:
    n = len(occupants)
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(n)],
            "land_area_mu": [12.0] * n,
            "far": [0.0, 1.2, 0.5, 2.0][:n],
            "coverage": [0.0, 0.5, 0.2, 0.6][:n],
            "floor_area_m2": [0.0, 9000.0, 4000.0, 16000.0][:n],
            "footprint_area_m2": [0.0, 4000.0, 1600.0, 4800.0][:n],
            "n_occupants": occupants,
            "tax_per_mu": [np.nan, 3.0, 0.5, 20.0][:n],
            "zone_tax_per_mu": [10.0] * n,
        },
        geometry=[box(100 * i, 0, 100 * i + 90, 90) for i in range(n)],
        crs=4549,
    )


@pytest.mark.parametrize("occupants", [[1, 2, 1, 3], [0, 0, 1, 2]])
def test_assess_land_on_partitions(client: Client, occupants: list[int]) -> None:
    """The land rules per partition; a partition without occupants in a park that has
    some (the second case) runs the step on the whole table: the same table either way."""
    rules, day = load_rules(), dt.date(2025, 12, 31)
    p = _parcels(occupants)
    kernels = partitioned.Partitioned(client, 2)
    out = kernels.assess_land(p, day, rules)
    assert kernels._parts is not None and len(kernels._parts[1]) == 2
    pd.testing.assert_frame_equal(out, land.assess_land(p, day, rules), check_exact=True)


def test_enterprise_land_by_firm(client: Client) -> None:
    """A firm's rows in one partition, firms in first-row order, rows without a code left
    out: the single-machine table."""
    alloc = pd.DataFrame(
        {
            "credit_code": pd.array(["x", "y", "x", None, "z", "y", "w"], dtype="string"),
            "parcel_id": ["P2", "S", "P1", "P3", "P4", "S2", "P1"],
            "alloc_land_m2": [1000.0, 300.0, 2000.0, 50.0, 0.1, 0.2, np.nan],
            "occupied_floor_m2": [0.0, 600.0, 1500.0, 10.0, np.nan, 1.0, 3.0],
            "on_standard_factory": [False, True, False, False, False, True, False],
            "tenure": ["own", "lease", "own", "own", "lease", "lease", None],
        }
    )
    out = partitioned.Partitioned(client).enterprise_land(alloc)
    pd.testing.assert_frame_equal(out, metrics.enterprise_land(alloc), check_exact=True)


def test_indicators_on_runs(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partitioned, "FIRMS_PER_PARTITION", 3)
    ent = pd.DataFrame(
        {
            "land_area_mu": [10.0, 0.0, 3.0, np.nan, 7.0, 1.0, 2.0],
            "tax_wan": [50.0, 8.0, -1.0, 2.0, 0.0, np.nan, 9.0],
            "value_added_wan": [400.0, 30.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            "employees": [80.0, 0.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    out = partitioned.Partitioned(client).indicators(ent)
    pd.testing.assert_frame_equal(out, evaluate.indicators(ent), check_exact=True)


def test_command_line(toy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outs = {}
    for engine in ("local", "dask"):
        out = tmp_path / f"{engine}.gpkg"
        assert main(["evaluate", str(toy), "--out", str(out), "--engine", engine]) == 0
        outs[engine] = gpd.read_file(out, layer="parcels")
    pd.testing.assert_frame_equal(outs["local"], outs["dask"])
    assert "已写出" in capsys.readouterr().out


def test_cluster_stops() -> None:
    with partitioned.client_for() as c:
        cluster = c.cluster
        assert sum(c.nthreads().values()) >= 1
    assert c.status == "closed"
    assert cluster is not None and cluster.status.name == "closed"


def test_without_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask_geopandas", None)
    with pytest.raises(UsageError, match="pip install"), partitioned.client_for():
        pass
