"""A tiny dataset whose texts are hostile markup, for the app's escaping tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from tests.conftest import X0, Y0, code

if TYPE_CHECKING:
    from pathlib import Path

#: Texts that would make an element or run a script if shown as HTML.
NAME_IMG = "<img src=x onerror=alert(1)>"
NAME_SCRIPT = "<script>alert(2)</script>乙公司"
ZONE_SVG = "<svg onload=alert(3)>片区"
PARCEL_B = "<b>P2</b>"


def make_hostile_dataset(folder: Path) -> Path:
    """Two 100 m × 100 m parcels (15 亩 each) in one zone, two firms with hostile names."""
    d = folder
    (d / "parcels").mkdir(parents=True, exist_ok=True)
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", PARCEL_B],
            "land_use": ["industrial", "industrial"],
            "floor_area_m2": [12000.0, 8000.0],
            "footprint_area_m2": [5000.0, 4000.0],
        },
        geometry=[
            shapely.box(X0, Y0, X0 + 100, Y0 + 100),
            shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
        ],
        crs=4549,
    )
    parcels.to_file(d / "parcels" / "parcels.gpkg")
    codes = [code("91350502MA0000001"), code("91350502MA0000002")]
    pd.DataFrame(
        {
            "credit_code": codes,
            "name": [NAME_IMG, NAME_SCRIPT],
            "year": [2025, 2025],
            "industry_code": ["3911", "1811"],
            "above_scale": ["是", "是"],
            "output_wan": [30000.0, 6000.0],
            "tax_wan": [900.0, 150.0],
            "value_added_wan": [6000.0, 1200.0],
            "employees": [300, 120],
            "production_start_date": ["2015-01-01", "2016-01-01"],
        }
    ).to_csv(d / "parcels" / "enterprises.csv", index=False)
    pd.DataFrame(
        {"credit_code": codes, "parcel_id": ["P1", PARCEL_B], "land_area_m2": [10000.0, 10000.0]}
    ).to_csv(d / "parcels" / "occupancy.csv", index=False)
    gpd.GeoDataFrame(
        {"zone_id": ["north"], "zone_name": [ZONE_SVG], "leading_industries": ["39"]},
        geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 250, Y0 + 150)],
        crs=4549,
    ).to_crs(4326).to_file(d / "zones.geojson")
    return d
