"""The input boundary: no column lost without a word, every library error said in Chinese."""

from __future__ import annotations

import zipfile
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


def _sample() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"parcel_id": ["A-1"]}, geometry=[rect(0, 0, 100, 100)], crs=4549)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "parcels"
    folder.mkdir()
    return folder


def _said_in_chinese(ds) -> list:
    """The errors, each without a traceback or a raw English library sentence."""
    for i in ds.report.errors:
        for text in (i.message, i.fix):
            assert "Traceback" not in text and "Error" not in text and "failed" not in text, text
    return ds.report.errors


def test_a_zip_that_is_not_a_zip_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lcgis.cli import main

    (_folder(tmp_path) / "parcels.zip").write_bytes(b"not a zip archive\n" * 20)
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "parcels.zip" in text and "zip 压缩包" in text
    assert "Traceback" not in text and "BadZipFile" not in text


def test_a_truncated_zip(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    _sample().to_file(folder / "inner.gpkg")
    with zipfile.ZipFile(folder / "parcels.zip", "w") as zf:
        zf.write(folder / "inner.gpkg", "parcels.gpkg")
    (folder / "inner.gpkg").unlink()
    whole = (folder / "parcels.zip").read_bytes()
    (folder / "parcels.zip").write_bytes(whole[: len(whole) // 2])
    (error,) = _said_in_chinese(read_dataset(tmp_path))
    assert error.file == "parcels.zip" and "zip" in error.message


def test_a_truncated_geopackage(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    _sample().to_file(folder / "parcels.gpkg")
    whole = (folder / "parcels.gpkg").read_bytes()
    (folder / "parcels.gpkg").write_bytes(whole[: len(whole) // 3])
    (error,) = _said_in_chinese(read_dataset(tmp_path))
    assert error.file == "parcels.gpkg"
    assert "已损坏或被截断" in error.message and "重新" in error.fix


@pytest.mark.parametrize("broken", [None, b"\0" * 30])
def test_a_missing_or_broken_shx_is_rebuilt_with_a_warning(
    tmp_path: Path, broken: bytes | None
) -> None:
    folder = _folder(tmp_path)
    _sample().to_file(folder / "parcels.shp")
    shx = folder / "parcels.shx"
    if broken is None:
        shx.unlink()
    else:
        shx.write_bytes(broken)
    ds = read_dataset(tmp_path)
    assert not ds.report.has_errors, ds.report.format()
    assert ds.parcels["parcel_id"].tolist() == ["A-1"]
    (warning,) = _issues(ds, "shx_restored")
    assert "SHAPE_RESTORE_SHX=YES" in warning.message
    assert shx.exists() == (broken is not None)  # the user's folder is not written


def test_a_csv_with_an_unclosed_quote_names_the_line(tmp_path: Path) -> None:
    text = 'parcel_id,wkt\nA-1,"POLYGON ((0 0, 1 0, 1 1, 0 0))"\nA-2,"POLYGON ((0 0\nA-3,x\n'
    (_folder(tmp_path) / "parcels.csv").write_text(text, encoding="utf-8")
    (error,) = _said_in_chinese(read_dataset(tmp_path))
    assert "第 3 行" in error.message and "双引号" in error.message


def test_undecodable_csv_lists_the_encodings_tried(tmp_path: Path) -> None:
    raw = b"parcel_id,wkt\n" + b"\x81\x30\xff\xfe,POINT (1 2)\n"
    (_folder(tmp_path) / "parcels.csv").write_bytes(raw)
    (error,) = _said_in_chinese(read_dataset(tmp_path))
    assert "第 2 行" in error.message and "UTF-8" in error.message and "GBK" in error.message


def test_utf8_shapefile_with_names_cut_inside_a_character(tmp_path: Path) -> None:
    """A UTF-8 .dbf cuts 宗地编号 (12 bytes) inside its 4th character: read, not a crash."""
    frame = _sample().rename(columns={"parcel_id": "宗地编号"})
    with pytest.warns(RuntimeWarning):
        frame.to_file(_folder(tmp_path) / "parcels.shp", encoding="utf-8")
    ds = read_dataset(tmp_path)
    assert not ds.report.has_errors, ds.report.format()
    assert ds.parcels["parcel_id"].tolist() == ["A-1"]
    assert _issues(ds, "undecodable_text") and _issues(ds, "truncated_column")


def test_the_app_refuses_an_upload_that_is_not_a_zip_in_chinese(tmp_path: Path) -> None:
    from ui import uploads

    with pytest.raises(uploads.UploadRefused, match=r"宗地\.zip 不是完整的 zip 压缩包"):
        uploads.place([("宗地.zip", b"not a zip archive\n" * 20)], tmp_path / "up")


def test_extra_attributes_reach_the_card(tmp_path: Path) -> None:
    from lcgis import pipeline
    from lcgis.rules import load_rules
    from lcgis.views.explain import explain

    (tmp_path / "parcels").mkdir()
    _parcels({"测绘单位": ["鲤城测绘", "泉州测绘"]}).to_file(tmp_path / "parcels" / "parcels.gpkg")
    card = explain(pipeline.run(read_dataset(tmp_path), load_rules()), "A-1")
    assert card is not None
    shown = dict(zip(card.inputs["项目"], card.inputs["值"], strict=True))
    assert shown["测绘单位(附加属性)"] == "鲤城测绘"
