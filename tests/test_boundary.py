"""The input boundary: no column lost without a word, every library error said in Chinese."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pyogrio
import pytest
import shapely

from lcgis.data.io import read_dataset
from tests.conftest import rect

if TYPE_CHECKING:
    from pathlib import Path


def _issues(ds, code: str) -> list:
    return [i for i in ds.report.issues if i.code == code]


def _parcels(columns: dict[str, list], id_column: str = "宗地编号") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {id_column: ["A-1", "A-2"], **columns},
        geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)],
        crs=4549,
    )


def test_land_area_of_parcels_is_the_declared_area(tmp_path: Path) -> None:
    """用地面积 in a parcels file is the declared (registered) area, not dropped."""
    (tmp_path / "parcels").mkdir()
    _parcels({"用地面积": [87700.0, 5000.0]}).to_file(tmp_path / "parcels" / "parcels.gpkg")
    ds = read_dataset(tmp_path)
    assert not ds.report.has_errors, ds.report.format()
    p = ds.parcels.sort_values("parcel_id")
    assert p["registered_area_m2"].tolist() == [87700.0, 5000.0]
    assert not _issues(ds, "unmapped_columns")


def test_unmapped_columns_are_reported_and_kept(tmp_path: Path) -> None:
    (tmp_path / "parcels").mkdir()
    frame = _parcels({"测绘单位": ["鲤城测绘", None], "片区负责人": ["张三", "李四"]})
    frame.to_file(tmp_path / "parcels" / "parcels.gpkg")
    ds = read_dataset(tmp_path)
    assert not ds.report.has_errors, ds.report.format()
    (issue,) = _issues(ds, "unmapped_columns")
    assert issue.level == "warning"
    assert "测绘单位" in issue.message and "片区负责人" in issue.message
    assert "[parcels.columns]" in issue.fix and "mapping.toml" in issue.fix
    p = ds.parcels.sort_values("parcel_id")
    assert p["extra:测绘单位"].tolist()[0] == "鲤城测绘"
    assert p["extra:片区负责人"].tolist() == ["张三", "李四"]


def test_gbk_shapefile_with_cut_names(tmp_path: Path) -> None:
    """A GBK .dbf (no .cpg) keeps 10 bytes of a name: 5 Chinese characters."""
    folder = tmp_path / "parcels"
    folder.mkdir()
    frame = _parcels(
        {"约定动工日": ["2021-03-01", "2022-06-30"], "土地使用权": ["鲤城电子", "泉州纺织"]}
    )
    shp = folder / "parcels.shp"
    pyogrio.write_dataframe(frame, shp, encoding="gbk")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert "约定动工日".encode("gbk") in shp.with_suffix(".dbf").read_bytes()
    ds = read_dataset(tmp_path)
    assert not ds.report.has_errors, ds.report.format()
    p = ds.parcels.sort_values("parcel_id")
    assert p["land_user"].tolist() == ["鲤城电子", "泉州纺织"]
    assert str(p["agreed_start_date"].iloc[0])[:10] == "2021-03-01"
    cut = _issues(ds, "truncated_column")
    assert {i.field for i in cut} == {"agreed_start_date", "land_user"}
    assert any("约定动工日期" in i.message for i in cut)
    assert not _issues(ds, "unmapped_columns")


@pytest.mark.parametrize(
    ("column", "field"), [("agreed_sta", "agreed_start_date"), ("registered", "registered_area_m2")]
)
def test_ascii_cut_names_still_match(tmp_path: Path, column: str, field: str) -> None:
    folder = tmp_path / "parcels"
    folder.mkdir()
    value = "2021-03-01" if field.endswith("date") else 100.0
    _parcels({column: [value, value]}, "parcel_id").to_file(folder / "parcels.shp")
    ds = read_dataset(tmp_path)
    assert not ds.report.has_errors, ds.report.format()
    assert field in ds.parcels.columns
    assert [i.field for i in _issues(ds, "truncated_column")] == [field]


def _no_crs(tmp_path: Path, geometry: list, *, zones_crs: int | None = None) -> list:
    folder = tmp_path / "parcels"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"parcel_id": ["A-1"]}, geometry=geometry, crs=None)
    with pytest.warns(UserWarning, match="crs"):
        frame.to_file(folder / "parcels.shp")
    if zones_crs is not None:
        box = shapely.box(500000, 2500000, 501000, 2501000)  # on the zone's central meridian
        zone = gpd.GeoDataFrame({"zone_id": ["Z1"]}, geometry=[box], crs=zones_crs)
        zone.to_file(folder / "zones.gpkg")
    ds = read_dataset(tmp_path)
    return [i for i in ds.report.issues if i.code == "no_crs"]


def test_no_crs_lonlat_advises_cgcs2000_geographic(tmp_path: Path) -> None:
    (issue,) = _no_crs(tmp_path, [shapely.box(118.60, 24.90, 118.61, 24.91)])
    assert 'assume_crs = "EPSG:4490"' in issue.fix and "EPSG:4326" in issue.fix


def test_no_crs_zone_prefixed_easting(tmp_path: Path) -> None:
    (issue,) = _no_crs(tmp_path, [shapely.box(40355000, 2753500, 40355100, 2753600)])
    assert 'assume_crs = "EPSG:4528"' in issue.fix and "带号 40" in issue.fix


def test_no_crs_plain_gk_uses_quanzhou_or_the_hint(tmp_path: Path) -> None:
    (issue,) = _no_crs(tmp_path, [shapely.box(355000, 2753500, 355100, 2753600)])
    assert 'assume_crs = "EPSG:4549"' in issue.fix and "泉州" in issue.fix
    other = tmp_path / "other"
    other.mkdir()
    box = [shapely.box(355000, 2753500, 355100, 2753600)]
    (hinted,) = _no_crs(other, box, zones_crs=4547)  # zones in CM 114°E
    assert 'assume_crs = "EPSG:4547"' in hinted.fix and "114" in hinted.fix
