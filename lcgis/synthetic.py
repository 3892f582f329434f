"""Generated datasets of a given size for benchmarks and scale tests (示意数据, never stored).

A jittered grid of 宗地 (80 m blocks, 20 m roads) in CGCS2000 GK (EPSG:4549), six buildings a
parcel (some crossing the parcel edge), firms with one year of figures, their occupancy and
three zones.  The same tier and seed give the same files.  Tiers (parcels / buildings / firms):

    city       50,176 /   301,056 /  30,000
    100k      100,489 /   602,934 /  60,000
    province  499,849 / 2,999,094 / 400,000

>>> TIERS["city"].parcels, TIERS["city"].buildings
(50176, 301056)
>>> TIERS["province"].parcels
499849
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lcgis.data.validate import credit_code_check_char

X0, Y0 = 340000.0, 2740000.0
BUILDINGS_PER_PARCEL = 6


@dataclass(frozen=True)
class Tier:
    """A generated size: ``side``² parcels on the grid and ``firms`` enterprises."""

    side: int
    firms: int

    @property
    def parcels(self) -> int:
        return self.side * self.side

    @property
    def buildings(self) -> int:
        return self.parcels * BUILDINGS_PER_PARCEL


TIERS = {
    "city": Tier(224, 30_000),
    "100k": Tier(317, 60_000),
    "province": Tier(707, 400_000),
}


def credit_codes(n: int) -> list[str]:
    """``n`` valid 统一社会信用代码 (GB 32100-2015), distinct and in order.

    >>> credit_codes(2)
    ['91350502MA00000006', '91350502MA00000019']
    """
    bodies = [f"91350502MA{k:07d}" for k in range(n)]
    return [b + credit_code_check_char(b) for b in bodies]


def make(folder: Path, side: int = 224, n_firms: int = 30_000, seed: int = 7) -> None:
    """Write ``folder/parcels/{parcels,buildings}.gpkg``, ``enterprises.csv``,
    ``occupancy.csv`` and ``folder/zones.geojson`` for a ``side`` × ``side`` grid."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side))
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
    (folder / "parcels").mkdir(parents=True, exist_ok=True)
    parcels.to_file(folder / "parcels" / "parcels.gpkg", engine="pyogrio", use_arrow=True)
    k = BUILDINGS_PER_PARCEL
    bx = np.repeat(x, k) + np.tile(np.arange(k) % 3, n) * 22 + rng.random(k * n) * 5
    by = np.repeat(y, k) + np.tile(np.arange(k) // 3, n) * 30 + rng.random(k * n) * 5
    bw = 10 + rng.random(k * n) * 12
    buildings = gpd.GeoDataFrame(
        {"floors": rng.integers(1, 7, k * n).astype(float)},
        geometry=shapely.box(bx, by, bx + bw, by + 15),
        crs=4549,
    )
    buildings.to_file(folder / "parcels" / "buildings.gpkg", engine="pyogrio", use_arrow=True)
    codes = credit_codes(n_firms)
    tax = np.exp(rng.normal(np.log(15), 0.8, n_firms)) * 10
    firms = pd.DataFrame(
        {
            "credit_code": codes,
            "name": [f"企业{i}" for i in range(n_firms)],
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
    third = side * 100.0 / 3
    zones = gpd.GeoDataFrame(
        {"zone_id": ["north", "central", "south"], "leading_industries": ["39", "18", "33"]},
        geometry=[
            shapely.box(X0 - 50, Y0 + i * third, X0 + side * 100, Y0 + (i + 1) * third)
            for i in range(3)
        ],
        crs=4549,
    )
    zones.to_file(folder / "zones.geojson")


def make_tier(folder: Path, tier: str, seed: int = 7) -> Tier:
    """Write the named tier (see :data:`TIERS`) into ``folder``."""
    t = TIERS[tier]
    make(folder, t.side, t.firms, seed)
    return t


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="生成指定规模的示意数据(用于基准测试)")
    parser.add_argument("out", type=Path, help="输出目录")
    parser.add_argument("--tier", choices=sorted(TIERS), default="city", help="规模")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    t = make_tier(args.out, args.tier, args.seed)
    size = f"宗地 {t.parcels:,} 宗，建筑 {t.buildings:,} 栋，企业 {t.firms:,} 家"
    print(f"已生成 {args.tier}(示意数据)：{size}")


if __name__ == "__main__":
    main()
