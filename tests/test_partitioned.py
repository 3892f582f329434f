"""``--engine dask``: the geometric steps on spatial partitions of a Dask cluster give every
output field of the single-machine path (compared as ``scripts/snapshot.py`` compares)."""

from __future__ import annotations

import importlib.util
import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pytest

from lcgis.cli import main
from lcgis.data import io
from lcgis.engine import partitioned, pipeline
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
    data: Path, client: Client, per_partition: int, tmp_path: Path
) -> tuple[int, partitioned.Partitioned, pipeline.Result]:
    rules = load_rules()
    local = pipeline.run(io.read_dataset(data), rules, as_of=snapshot.AS_OF)
    kernels = partitioned.Partitioned(client, per_partition)
    spread = pipeline.run(io.read_dataset(data), rules, as_of=snapshot.AS_OF, kernels=kernels)
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
    bad, kernels, result = _same_as_local(tmp_path / "city", client, 10_000, tmp_path)
    assert bad == 0
    assert kernels._parts is not None and len(kernels._parts[1]) == 6
    assert len(result.parcels) == 50_176


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
