"""Time ``lcgis.data.propose.propose`` on a generated 3,000-parcel / 20,000-building set.

Run: ``python scripts/bench_import.py`` (goal: under 5 s).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lcgis.data.propose import propose

X0, Y0 = 355000.0, 2753500.0


def _grid(n: int, size: float, step: float) -> list[shapely.Polygon]:
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x, y = X0 + (i % side) * step, Y0 + (i // side) * step
    return list(shapely.box(x, y, x + size, y + size))


def main() -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        parcels = Path(tmp) / "宗地.gpkg"
        buildings = Path(tmp) / "建筑.gpkg"
        n = 3000
        gpd.GeoDataFrame(
            {
                "宗地编号": [f"P{i:05d}" for i in range(n)],
                "土地面积": rng.uniform(5, 200, n).round(2),
                "建设状态": rng.choice(["未动工", "在建", "竣工", "搁置"], n),
                "约定动工日期": ["2021-03-01"] * n,
            },
            geometry=_grid(n, 90.0, 100.0),
            crs=4549,
        ).to_file(parcels)
        m = 20000
        gpd.GeoDataFrame(
            {
                "建筑编号": [f"B{i:06d}" for i in range(m)],
                "层数": rng.integers(1, 10, m).astype(float),
                "建筑面积": rng.uniform(100, 5000, m).round(1),
            },
            geometry=_grid(m, 20.0, 38.0),
            crs=4549,
        ).to_file(buildings)
        start = time.perf_counter()
        proposal = propose([parcels, buildings])
        took = time.perf_counter() - start
    layers = "、".join(f"{i.file}→{i.layer}" for i in proposal.inputs)
    print(f"propose：{took:.2f} 秒(目标 < 5 秒)；{layers}")


if __name__ == "__main__":
    main()
