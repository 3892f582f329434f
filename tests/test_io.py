"""Loading: every format, encodings, aliases, mapping.toml, units, values, dates."""

from __future__ import annotations

import gc
import zipfile
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from lcgis.data.io import read_dataset
from lcgis.data.propose import propose
from tests.conftest import code, rect

if TYPE_CHECKING:
    from pathlib import Path

NAMES = ["鲤城电子有限公司", "泉州纺织鞋服厂"]


def _parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["A-1", "A-2"],
            "land_user": NAMES,
            "registered_area_m2": [10000.0, 5000.0],
            "agreed_start_date": ["2021-03-01", "2022-06-30"],
        },
        geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)],
        crs=4549,
    )


def _check(ds, *, dates: bool = True) -> None:
    assert not ds.report.has_errors, ds.report.format()
    p = ds.parcels.sort_values("parcel_id")  # FlatGeobuf stores features in index order
    assert p["parcel_id"].tolist() == ["A-1", "A-2"]
    assert p["land_user"].tolist() == NAMES
    assert p["registered_area_m2"].tolist() == [10000.0, 5000.0]
    assert p.geometry.area.round(3).tolist() == [10000.0, 5000.0]
    if dates:
        assert p["agreed_start_date"].dt.strftime("%Y-%m-%d").tolist() == [
            "2021-03-01",
            "2022-06-30",
        ]


@pytest.mark.parametrize("ext", [".gpkg", ".geojson", ".fgb", ".parquet", ".shp"])
def test_vector_formats(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"parcels{ext}"
    gdf = _parcels() if ext != ".geojson" else _parcels().to_crs(4326)
    if ext == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path)
    _check(read_dataset(parcels=path))


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_state_is_restored(tmp_path: Path, enabled: bool) -> None:
    path = tmp_path / "parcels.gpkg"
    _parcels().to_file(path)
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        _check(read_dataset(parcels=path))
        assert gc.isenabled() is enabled
        with pytest.raises(OSError, match="disk gone"):
            read_dataset(parcels=path, reader=_failing_reader)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def _failing_reader(*_args: object) -> None:
    raise OSError("disk gone")


def test_kml(tmp_path: Path) -> None:
    path = tmp_path / "parcels.kml"
    gdf = _parcels().to_crs(4326)[["parcel_id", "geometry"]].rename(columns={"parcel_id": "Name"})
    pyogrio.write_dataframe(gdf, path, driver="KML")
    (tmp_path / "mapping.toml").write_text(
        '[parcels.columns]\nparcel_id = "Name"\n', encoding="utf-8"
    )
    ds = read_dataset(parcels=path, mapping=tmp_path / "mapping.toml")
    assert not ds.report.has_errors, ds.report.format()
    assert ds.parcels["parcel_id"].tolist() == ["A-1", "A-2"]
    assert ds.parcels.geometry.area.round(0).tolist() == [10000.0, 5000.0]


@pytest.mark.parametrize("with_cpg", [True, False])
def test_gbk_shapefile(tmp_path: Path, with_cpg: bool) -> None:
    path = tmp_path / "parcels.shp"
    pyogrio.write_dataframe(_parcels(), path, encoding="GBK")
    cpg = path.with_suffix(".cpg")
    if with_cpg:
        cpg.write_text("GBK")
    elif cpg.exists():
        cpg.unlink()
    raw = path.with_suffix(".dbf").read_bytes()
    assert NAMES[0].encode("gbk") in raw  # really GBK on disk
    _check(read_dataset(parcels=path))


def test_zipped_shapefile(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(_parcels(), folder / "宗地.shp", encoding="GBK")
    (folder / "宗地.cpg").unlink(missing_ok=True)
    zpath = tmp_path / "parcels.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    _check(read_dataset(parcels=zpath))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@pytest.mark.parametrize("geometry", ["wkt", "wkb", "ewkb"])
def test_csv_geometry_and_encodings(tmp_path: Path, encoding: str, geometry: str) -> None:
    gdf = _parcels()
    table = pd.DataFrame(gdf.drop(columns="geometry"))
    if geometry == "wkt":
        table["wkt"] = gdf.geometry.to_wkt()
    elif geometry == "wkb":
        table["geometry"] = gdf.geometry.to_wkb(hex=True)
    else:
        lonlat = shapely.set_srid(gdf.to_crs(4326).geometry.values, 4326)
        table["the_geom"] = shapely.to_wkb(lonlat, hex=True, include_srid=True)
    path = tmp_path / "parcels.csv"
    table.to_csv(path, index=False, encoding=encoding)
    mapping = tmp_path / "mapping.toml"
    if geometry != "ewkb":  # EWKB carries its SRID; the others need assume_crs
        mapping.write_text('[parcels]\nassume_crs = "EPSG:4549"\n', encoding="utf-8")
    ds = read_dataset(parcels=path, mapping=mapping if mapping.exists() else None)
    if geometry == "ewkb":
        assert ds.parcels.geometry.area.round(0).tolist() == [10000.0, 5000.0]
        assert not ds.report.has_errors
        assert ds.parcels["land_user"].tolist() == NAMES
    else:
        _check(ds)


def test_csv_without_crs_is_an_error(tmp_path: Path) -> None:
    gdf = _parcels()
    table = pd.DataFrame(gdf.drop(columns="geometry")).assign(wkt=gdf.geometry.to_wkt())
    table.to_csv(tmp_path / "parcels.csv", index=False)
    ds = read_dataset(parcels=tmp_path / "parcels.csv")
    assert [i.code for i in ds.report.errors] == ["no_crs"]
    assert "assume_crs" in ds.report.errors[0].fix


def test_xlsx_with_chinese_headers_and_excel_dates(tmp_path: Path) -> None:
    gdf = _parcels()
    table = pd.DataFrame(
        {
            "宗地编号": gdf["parcel_id"],
            "土地使用权人": gdf["land_user"],
            "宗地面积": gdf["registered_area_m2"],
            "约定动工日期": [44256, "2022年6月30日"],  # an Excel serial number and a Chinese date
            "WKT": gdf.geometry.to_wkt(),
        }
    )
    table.to_excel(tmp_path / "parcels.xlsx", index=False)
    (tmp_path / "mapping.toml").write_text(
        '[parcels]\nassume_crs = "EPSG:4549"\n', encoding="utf-8"
    )
    _check(read_dataset(parcels=tmp_path / "parcels.xlsx", mapping=tmp_path / "mapping.toml"))


def test_aliases_full_width_and_spaces(tmp_path: Path) -> None:
    ent = pd.DataFrame(
        {
            " 统一社会信用代码 ": [code("91350502MA0000001")],
            "企业名称": ["甲公司"],
            "年度": [2025],
            "是否规上": ["是"],
            "工业总产值": ["1,200.5"],
            "实缴税金": [30],
            "投产日期": ["2019/7/1"],
            "不参评": ["否"],
        }
    )
    ent.to_csv(tmp_path / "enterprises.csv", index=False, encoding="gbk")
    _parcels().to_file(tmp_path / "parcels.gpkg")
    ds = read_dataset(parcels=tmp_path / "parcels.gpkg", enterprises=tmp_path / "enterprises.csv")
    assert not ds.report.has_errors, ds.report.format()
    e = ds.enterprises.iloc[0]
    assert e["output_wan"] == 1200.5 and e["tax_wan"] == 30.0
    assert bool(e["above_scale"]) is True and bool(e["exempt"]) is False
    assert str(e["production_start_date"].date()) == "2019-07-01"


def test_honours_and_chain_of_an_enterprises_csv(tmp_path: Path) -> None:
    # 高新技术企业 / 专精特新 / 上市 / 龙头 as the committee's lists write them, per firm and year.
    codes = [code("91350502MA0000001"), code("91350502MA0000002"), code("91350502MA0000003")]
    pd.DataFrame(
        {
            "统一社会信用代码": [codes[0], codes[0], codes[1], codes[2]],
            "企业名称": ["甲公司", "甲公司", "乙公司", "丙公司"],
            "年度": [2020, 2025, 2025, 2025],
            "高新技术企业": ["否", "是", "是", None],
            "专精特新": ["N", "Y", "否", "是"],
            "是否上市": [0, 0, 1, 0],
            "省工业龙头企业": ["", "√", "否", "否"],
            "所属产业链": [None, None, "纺织鞋服", "machinery"],
        }
    ).to_csv(tmp_path / "enterprises.csv", index=False, encoding="utf-8-sig")
    _parcels().to_file(tmp_path / "parcels.gpkg")
    ent = propose([tmp_path / "enterprises.csv"]).inputs[0]
    assert ent.layer == "enterprises"
    assert {n: g.column for n, g in ent.columns.items() if n not in ("credit_code", "name")} == {
        "year": "年度",
        "high_tech": "高新技术企业",
        "specialised_sme": "专精特新",
        "listed": "是否上市",
        "provincial_leading": "省工业龙头企业",
        "chain": "所属产业链",
    }
    ds = read_dataset(parcels=tmp_path / "parcels.gpkg", enterprises=tmp_path / "enterprises.csv")
    assert not ds.report.has_errors, ds.report.format()
    e = ds.enterprises.sort_values(["credit_code", "year"])
    for name in ("high_tech", "specialised_sme", "listed", "provincial_leading"):
        assert str(e[name].dtype) == "boolean", name
    assert e["high_tech"].tolist() == [False, True, True, pd.NA]
    assert e["specialised_sme"].tolist() == [False, True, False, True]
    assert e["listed"].tolist() == [False, False, True, False]
    assert e["provincial_leading"].tolist() == [pd.NA, True, False, False]
    assert e["chain"].tolist() == [pd.NA, pd.NA, "纺织鞋服", "machinery"]


def test_an_honour_that_is_not_yes_or_no_is_an_error(tmp_path: Path) -> None:
    _parcels().to_file(tmp_path / "parcels.gpkg")
    pd.DataFrame(
        {
            "credit_code": [code("91350502MA0000001"), code("91350502MA0000002")],
            "name": ["甲", "乙"],
            "高企": ["是", "国家级"],
        }
    ).to_csv(tmp_path / "e.csv", index=False)
    ds = read_dataset(parcels=tmp_path / "parcels.gpkg", enterprises=tmp_path / "e.csv")
    assert {(i.field, i.rows) for i in ds.report.errors} == {("high_tech", (3,))}
    assert ds.enterprises["high_tech"].tolist() == [True, pd.NA]


def test_mapping_units_and_values(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "LOT": [1, 2],
            "LotArea": [107639.1, 15.0],  # ft² and then 亩 below
            "Use": ["06", "11"],
            "Price": [1500000.0, 2.0],
        },
        geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 100)],
        crs=4549,
    )
    gdf.to_file(tmp_path / "lots.gpkg")
    (tmp_path / "mapping.toml").write_text(
        """
[parcels]
source = "lots.gpkg"
[parcels.columns]
parcel_id = "lot"
registered_area_m2 = { column = "LotArea", unit = "ft2" }
land_price_wan = { column = "Price", unit = "yuan" }
land_use = "USE"
[parcels.values.land_use]
"06" = "industrial"
"11" = "vacant"
""",
        encoding="utf-8",
    )
    ds = read_dataset(mapping=tmp_path / "mapping.toml")
    assert not ds.report.has_errors, ds.report.format()
    p = ds.parcels
    assert p["parcel_id"].tolist() == ["1", "2"]
    assert p["registered_area_m2"].iloc[0] == pytest.approx(107639.1 * 0.09290341161327487)
    assert p["land_price_wan"].tolist() == [150.0, 0.0002]
    assert p["land_use"].tolist() == ["industrial", "vacant"]


@pytest.mark.parametrize(
    ("unit", "value", "m2"), [("mu", 15.0, 10000.0), ("ha", 1.0, 10000.0), ("km2", 0.01, 10000.0)]
)
def test_area_units(tmp_path: Path, unit: str, value: float, m2: float) -> None:
    gdf = _parcels().iloc[:1].assign(area=value)
    gdf.to_file(tmp_path / "parcels.gpkg")
    (tmp_path / "m.toml").write_text(
        f'[parcels.columns]\nregistered_area_m2 = {{ column = "area", unit = "{unit}" }}\n',
        encoding="utf-8",
    )
    ds = read_dataset(parcels=tmp_path / "parcels.gpkg", mapping=tmp_path / "m.toml")
    assert ds.parcels["registered_area_m2"].iloc[0] == pytest.approx(m2)


def test_money_in_yi(tmp_path: Path) -> None:
    _parcels().to_file(tmp_path / "parcels.gpkg")
    pd.DataFrame({"credit_code": [code("91350502MA0000001")], "name": ["甲"], "tax": [0.5]}).to_csv(
        tmp_path / "e.csv", index=False
    )
    (tmp_path / "m.toml").write_text(
        '[enterprises.columns]\ntax_wan = { column = "tax", unit = "yi" }\n', encoding="utf-8"
    )
    ds = read_dataset(
        parcels=tmp_path / "parcels.gpkg",
        enterprises=tmp_path / "e.csv",
        mapping=tmp_path / "m.toml",
    )
    assert ds.enterprises["tax_wan"].iloc[0] == 5000.0


def test_bad_values_named_by_row_and_field(tmp_path: Path) -> None:
    _parcels().to_file(tmp_path / "parcels.gpkg")
    pd.DataFrame(
        {
            "credit_code": [code("91350502MA0000001"), code("91350502MA0000002")],
            "name": ["甲", "乙"],
            "tax_wan": ["12", "十二"],
            "production_start_date": ["2020-01-01", "去年"],
        }
    ).to_csv(tmp_path / "e.csv", index=False)
    ds = read_dataset(parcels=tmp_path / "parcels.gpkg", enterprises=tmp_path / "e.csv")
    bad = {(i.field, i.rows) for i in ds.report.errors}
    assert bad == {("tax_wan", (3,)), ("production_start_date", (3,))}
    assert all(i.file == "e.csv" and i.fix for i in ds.report.errors)


def test_dataset_folder_layout(toy: Path) -> None:
    ds = read_dataset(toy)
    assert set(ds.files) == {"parcels", "buildings", "enterprises", "occupancy", "zones"}
    assert ds.zones is not None and ds.zones.crs.to_epsg() == 4549
    assert ds.buildings is not None and len(ds.buildings) == 2


def test_missing_parcels_layer(tmp_path: Path) -> None:
    ds = read_dataset(tmp_path)
    assert [i.code for i in ds.report.errors] == ["missing_file"]
