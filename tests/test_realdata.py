"""Real third-party files (NYC MapPLUTO 15v1, Lower Manhattan): feet, a second CRS, EWKB CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyogrio
import pytest

from lcgis.data.io import read_dataset
from lcgis.data.validate import QualityReport
from lcgis.engine.pipeline import measure
from lcgis.rules import load_rules
from tests.conftest import PLUTO

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

pytestmark = pytest.mark.skipif(
    not PLUTO.is_dir(), reason=f"real data folder {PLUTO.name} not found beside the repository"
)

MAPPING = """
[parcels.columns]
parcel_id = "BBL"
registered_area_m2 = { column = "LotArea", unit = "ft2" }
floor_area_m2 = { column = "BldgArea", unit = "ft2" }
max_far = "CommFAR"
land_use = "LandUse"
[parcels.values.land_use]
"06" = "industrial"
"11" = "vacant"
"""


@pytest.fixture(scope="module")
def mapping(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pluto") / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mapping_feet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The GeoJSON holds state-plane feet although it declares no CRS (so WGS 84 is implied)."""
    path = tmp_path_factory.mktemp("pluto_json") / "mapping.toml"
    path.write_text('[parcels]\nassume_crs = "EPSG:2263"\n' + MAPPING, encoding="utf-8")
    return path


def test_geojson_in_feet_without_crs_is_caught(mapping: Path) -> None:
    ds = read_dataset(parcels=PLUTO / "PlutoClipLM.json", mapping=mapping)
    assert [i.code for i in ds.report.errors] == ["crs_mismatch"]
    assert "不是经纬度" in ds.report.errors[0].message


def _measured(path: Path, mapping: Path) -> pd.DataFrame:
    ds = read_dataset(parcels=path, mapping=mapping)
    assert not ds.report.has_errors, ds.report.format()
    assert ds.crs.to_epsg() == 32618  # UTM 18N outside China
    return measure(ds, load_rules(), QualityReport()).set_index("parcel_id")


def test_far_equals_builtfar(mapping: Path) -> None:
    shp = PLUTO / "PlutoClipLM.shp"
    p = _measured(shp, mapping)
    raw = pyogrio.read_dataframe(shp, read_geometry=False)
    raw["parcel_id"] = raw["BBL"].map(lambda x: str(int(x)))
    raw = raw.set_index("parcel_id")
    assert len(p) == len(raw) == 982
    has_lot = raw["LotArea"] > 0
    far = p.loc[raw.index[has_lot], "far"].to_numpy()
    built = raw.loc[has_lot, "BuiltFAR"].to_numpy()
    assert np.all(np.abs(far - built) <= 0.01 + 1e-9)
    assert p.loc[raw.index[~has_lot], "far"].isna().all()
    assert (~has_lot).sum() > 0  # the file really has lots with LotArea = 0


def test_three_encodings_give_the_same_areas(mapping: Path, mapping_feet: Path) -> None:
    measured = _measured(PLUTO / "PlutoClipLM.shp", mapping)
    shp = measured["geom_area_m2"]
    gj = _measured(PLUTO / "PlutoClipLM.json", mapping_feet)["geom_area_m2"]
    csv = _measured(PLUTO / "pluto.csv", mapping)["geom_area_m2"]
    assert len(csv) == 728
    np.testing.assert_allclose(gj.reindex(shp.index), shp, rtol=5e-3)
    # The CSV extract was clipped differently: lots that the shapefile's clip cut (polygon
    # well below the registered LotArea) may be larger there; every other lot agrees.
    rel = (csv / shp.reindex(csv.index) - 1).abs()
    cut = shp < 0.95 * measured["registered_area_m2"]
    differing = set(rel[rel > 5e-3].index)
    assert differing <= set(cut[cut].index)
    assert len(differing) <= 2 and (rel <= 5e-3).sum() >= 726
    # feet really became metres: a lot's polygon area is near its registered LotArea
    raw = pyogrio.read_dataframe(PLUTO / "PlutoClipLM.shp", read_geometry=False)
    total_ft2 = pyogrio.read_dataframe(PLUTO / "PlutoClipLM.shp").geometry.area.sum()
    assert shp.sum() == pytest.approx(total_ft2 * 0.09290341, rel=5e-3)
    assert raw["LotArea"].sum() > 0
