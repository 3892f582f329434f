"""Benchmark of the evaluate pipeline: seconds and peak memory per stage.

    python scripts/bench_pipeline.py            # park (demo) and city scale
    python scripts/bench_pipeline.py --park     # the demo only

City scale is generated here: about 50,000 parcels and 300,000 buildings on a jittered grid
(CGCS2000 GK, EPSG:4549), 30,000 enterprises.  Peak memory is what Python and NumPy
allocated during the stage (tracemalloc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lcgis.data import io
from lcgis.data.validate import credit_code_check_char
from lcgis.engine.pipeline import run
from lcgis.rules import load_rules
from lcgis.views import report

X0, Y0 = 340000.0, 2740000.0


def make_city(folder: Path, n_side: int = 224, seed: int = 7) -> None:
    """About n_side² parcels (80 m blocks, 20 m roads), 6 buildings each, 30,000 firms."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(n_side), np.arange(n_side))
    x = X0 + ii.ravel() * 100.0
    y = Y0 + jj.ravel() * 100.0
    n = x.size
    w = 60 + rng.random(n) * 20
    h = 60 + rng.random(n) * 20
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"C{k:06d}" for k in range(n)],
            "land_use": "industrial",
            "max_far": rng.choice([2.0, 2.5, 3.0], n),
        },
        geometry=shapely.box(x, y, x + w, y + h),
        crs=4549,
    )
    (folder / "parcels").mkdir(parents=True)
    parcels.to_file(folder / "parcels" / "parcels.gpkg")
    # six buildings a parcel, some crossing the parcel edge
    bx = np.repeat(x, 6) + np.tile(np.arange(6) % 3, n) * 22 + rng.random(6 * n) * 5
    by = np.repeat(y, 6) + np.tile(np.arange(6) // 3, n) * 30 + rng.random(6 * n) * 5
    bw = 10 + rng.random(6 * n) * 12
    buildings = gpd.GeoDataFrame(
        {"floors": rng.integers(1, 7, 6 * n).astype(float)},
        geometry=shapely.box(bx, by, bx + bw, by + 15),
        crs=4549,
    )
    buildings.to_file(folder / "parcels" / "buildings.gpkg")
    n_firms = 30000
    bodies = [f"91350502MA{k:07d}" for k in range(n_firms)]
    codes = [b + credit_code_check_char(b) for b in bodies]
    tax = np.exp(rng.normal(np.log(15), 0.8, n_firms)) * 10
    firms = pd.DataFrame(
        {
            "credit_code": codes,
            "name": [f"企业{k}" for k in range(n_firms)],
            "year": 2025,
            "industry_code": rng.choice(["3911", "1811", "3311", "3670"], n_firms),
            "above_scale": rng.random(n_firms) < 0.15,
            "tax_wan": tax,
            "output_wan": tax * rng.uniform(25, 40, n_firms),
            "value_added_wan": tax * 8,
            "employees": rng.integers(10, 500, n_firms),
            "production_start_date": "2015-01-01",
        }
    )
    firms.to_csv(folder / "parcels" / "enterprises.csv", index=False)
    occ = pd.DataFrame(
        {
            "credit_code": codes,
            "parcel_id": parcels["parcel_id"].to_numpy()[rng.integers(0, n, n_firms)],
            "tenure": "own",
        }
    )
    occ.to_csv(folder / "parcels" / "occupancy.csv", index=False)
    third = n_side * 100.0 / 3
    zones = gpd.GeoDataFrame(
        {"zone_id": ["north", "central", "south"], "leading_industries": ["39", "18", "33"]},
        geometry=[
            shapely.box(X0 - 50, Y0 + k * third, X0 + n_side * 100, Y0 + (k + 1) * third)
            for k in range(3)
        ],
        crs=4549,
    )
    zones.to_file(folder / "zones.geojson")


def _stages(data_dir: Path, out_ext: str) -> tuple[list[tuple[str, float, float]], str]:
    """One pass: (stage, seconds, peak MiB) — peak is 0 unless tracemalloc is tracing."""
    tracing = tracemalloc.is_tracing()

    def peak() -> float:
        if not tracing:
            return 0.0
        value = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.reset_peak()
        return value

    rows: list[tuple[str, float, float]] = []
    t0 = time.perf_counter()
    ds = io.read_dataset(data_dir)
    rows.append(("读取与检查", time.perf_counter() - t0, peak()))
    marks: list[tuple[str, float, float]] = []

    def progress(name: str, _share: float) -> None:
        marks.append((name, time.perf_counter(), peak()))

    result = run(ds, load_rules(), as_of=dt.date(2026, 11, 28), progress=progress)
    for (name, start, _), (_, end, mib) in itertools.pairwise(marks):
        rows.append((name, end - start, mib))
    with tempfile.TemporaryDirectory() as tmp:
        t2 = time.perf_counter()
        report.write(result, Path(tmp) / f"out{out_ext}")
        rows.append((f"写出 {out_ext}", time.perf_counter() - t2, peak()))
    n_b = 0 if ds.buildings is None else len(ds.buildings)
    size = f"宗地 {len(result.parcels):,} 宗，建筑 {n_b:,} 栋，企业 {len(result.enterprises):,} 家"
    return rows, size


def bench(data_dir: Path, label: str, out_ext: str = ".gpkg") -> None:
    """Time the stages (plain run), then measure their peak memory (traced run)."""
    print(f"\n== {label}")
    timed, size = _stages(data_dir, out_ext)
    tracemalloc.start()
    traced, _ = _stages(data_dir, out_ext)
    tracemalloc.stop()
    print(size)
    print(f"{'阶段':<12}{'秒':>10}{'内存峰值(MiB)':>16}")
    for (name, sec, _), (_, _, mib) in zip(timed, traced, strict=True):
        print(f"{name:<12}{sec:>10.3f}{mib:>16.1f}")
    print(f"{'端到端合计':<12}{sum(r[1] for r in timed):>10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--park", action="store_true", help="only the demo park")
    parser.add_argument("--side", type=int, default=224, help="city grid side (parcels = side²)")
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    bench(root / "data", "园区规模(示意数据)")
    if args.park:
        return
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        make_city(Path(tmp), args.side)
        print(f"\n(生成城市规模数据 {time.perf_counter() - t:.1f} 秒)")
        bench(Path(tmp), "城市规模(生成数据)")


if __name__ == "__main__":
    main()
