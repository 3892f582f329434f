"""``python -m lcgis import``: files under their own names become a data folder the loader reads,
with the layer, the column mapping, units, recodings and CRS proposed from their content.
"""

from __future__ import annotations

import zipfile
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from lcgis.cli import main
from lcgis.data.io import read_dataset
from lcgis.data.mapping import read_mapping
from lcgis.data.propose import propose
from lcgis.data.schema import M2_PER_MU
from lcgis.data.validate import QualityReport
from lcgis.engine.pipeline import measure
from lcgis.rules import load_rules
from tests.conftest import REALDATA, code, rect

if TYPE_CHECKING:
    from pathlib import Path

#: Files without a CRS are what these tests are about.
pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided")
IDS = ["A-1", "A-2"]
CODES = [code("91350502MA2XY0000"[:17]), code("91350502MA2XY0001"[:17])]


def _measured(data_dir: Path) -> gpd.GeoDataFrame:
    ds = read_dataset(data_dir)
    assert not ds.report.has_errors, ds.report.format()
    return measure(ds, load_rules(), QualityReport()).set_index("parcel_id")


def _import(tmp_path: Path, *files: Path, status: int = 0) -> Path:
    out = tmp_path / "data"
    assert main(["import", *map(str, files), "--out", str(out)]) == status
    return out


def _gbk_shapefile(folder: Path) -> Path:
    """A GBK shapefile with Chinese names longer than a DBF keeps, and no .cpg."""
    folder.mkdir(exist_ok=True)
    gdf = gpd.GeoDataFrame(
        {
            "宗地编号": IDS,
            "土地使用权人": ["鲤城电子有限公司", "泉州纺织鞋服厂"],
            "约定动工日期": ["2021-03-01", "2022-06-30"],
            "总建筑面积": [15000.0, 2500.0],
        },
        geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)],
        crs=4549,
    )
    path = folder / "宗地图.shp"
    with pytest.warns(Warning):  # GDAL warns that the names are cut to 10 bytes
        gdf.to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def test_gbk_shapefile_with_truncated_names(tmp_path: Path) -> None:
    shp = _gbk_shapefile(tmp_path / "in")
    item = propose([shp]).inputs[0]
    assert item.layer == "parcels"
    assert item.columns["agreed_start_date"].column == "约定动工日"
    assert item.columns["land_user"].column == "土地使用权"
    far = _measured(_import(tmp_path, shp))["far"]
    assert far["A-1"] == pytest.approx(1.5)
    assert far["A-2"] == pytest.approx(0.5)


def test_zipped_shapefile(tmp_path: Path) -> None:
    shp = _gbk_shapefile(tmp_path / "in")
    zpath = tmp_path / "宗地.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, part.name)
    item = propose([zpath]).inputs[0]
    assert (item.layer, item.source) == ("parcels", "宗地.zip")
    assert item.columns["parcel_id"].column == "宗地编号"
    out = _import(tmp_path, zpath)
    assert (out / "parcels" / "宗地.zip").is_file()
    assert _measured(out)["far"]["A-1"] == pytest.approx(1.5)


def test_gpkg_with_parcels_and_buildings(tmp_path: Path) -> None:
    gpkg = tmp_path / "园区.gpkg"
    gpd.GeoDataFrame(
        {"地块编号": IDS}, geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)], crs=4549
    ).to_file(gpkg, layer="dk")
    gpd.GeoDataFrame(
        {"建筑编号": ["B1", "B2"], "层数": [3.0, 2.0], "建筑面积": [6000.0, 1000.0]},
        geometry=[rect(10, 10, 40, 50), rect(120, 10, 25, 20)],
        crs=4549,
    ).to_file(gpkg, layer="jz")
    p = propose([gpkg])
    assert {i.gpkg_layer: i.layer for i in p.inputs} == {"dk": "parcels", "jz": "buildings"}
    assert p.by_layer()["buildings"].columns["floors"].column == "层数"
    out = _import(tmp_path, gpkg)
    assert _measured(out)["far"]["A-1"] == pytest.approx(0.6)


def _parcels_gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "宗地.gpkg"
    gpd.GeoDataFrame(
        {"宗地编号": IDS, "总建筑面积": [15000.0, 2500.0]},
        geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)],
        crs=4549,
    ).to_file(path)
    return path


def test_excel_enterprises_in_yuan(tmp_path: Path) -> None:
    xlsx = tmp_path / "企业.xlsx"
    pd.DataFrame(
        {
            "统一社会信用代码": CODES,
            "企业名称": ["鲤城电子有限公司", "泉州纺织鞋服厂"],
            "年度": [2024, 2024],
            "实缴税金（元）": [3_000_000, 500_000],
            "营业收入(万元)": [12000.0, 800.0],
        }
    ).to_excel(xlsx, index=False)
    occ = tmp_path / "用地.csv"
    pd.DataFrame({"统一社会信用代码": CODES, "宗地编号": IDS}).to_csv(occ, index=False)
    p = propose([_parcels_gpkg(tmp_path), xlsx, occ])
    ent = p.by_layer()["enterprises"]
    assert ent.columns["tax_wan"].unit == "yuan"
    assert ent.columns["revenue_wan"].unit == "wan"
    out = _import(tmp_path, _parcels_gpkg(tmp_path), xlsx, occ)
    ds = read_dataset(out)
    assert not ds.report.has_errors, ds.report.format()
    assert ds.enterprises is not None
    assert ds.enterprises.set_index("name")["tax_wan"]["鲤城电子有限公司"] == pytest.approx(300.0)


def test_csv_occupancy(tmp_path: Path) -> None:
    csv = tmp_path / "入驻.csv"
    pd.DataFrame(
        {
            "统一社会信用代码": CODES,
            "地块编号": IDS,
            "用地面积": [6000.0, 5000.0],
            "权属": ["自有", "租赁"],
        }
    ).to_csv(csv, index=False, encoding="gbk")
    item = propose([csv]).inputs[0]
    assert item.layer == "occupancy"
    assert "占用" in item.reason or "信用代码" in item.reason
    assert item.columns["parcel_id"].column == "地块编号"
    assert item.values["tenure"] == {"自有": "own", "租赁": "lease"}
    out = _import(tmp_path, _parcels_gpkg(tmp_path), csv)
    ds = read_dataset(out)
    assert ds.occupancy is not None
    assert ds.occupancy["land_area_m2"].sum() == pytest.approx(11000.0)
    assert _measured(out)["far"]["A-1"] == pytest.approx(1.5)


def test_lonlat_without_crs_and_mu_by_magnitude(tmp_path: Path) -> None:
    path = tmp_path / "地块.shp"
    box = shapely.box(118.57, 24.88, 118.571, 24.881)
    gdf = gpd.GeoDataFrame({"宗地编号": ["A-1"], "土地面积": [15.0]}, geometry=[box])
    gdf.to_file(path, encoding="GBK")
    assert not path.with_suffix(".prj").exists()
    item = propose([path]).inputs[0]
    assert item.layer == "parcels"
    assert item.columns["registered_area_m2"].unit == "mu"
    assert "猜测" in item.columns["registered_area_m2"].unit_reason
    assert item.assume_crs == "EPSG:4490"
    assert any("GCJ-02" in w for w in item.warnings)
    ds = read_dataset(_import(tmp_path, path))
    assert ds.parcels["registered_area_m2"].iloc[0] == pytest.approx(15 * M2_PER_MU)
    assert _measured(tmp_path / "data")["land_area_m2"]["A-1"] > 0


def test_gauss_krueger_with_zone_prefix(tmp_path: Path) -> None:
    path = tmp_path / "宗地图.shp"
    boxes = [shapely.box(39_500_000 + x, 2_750_000, 39_500_100 + x, 2_750_100) for x in (0, 200)]
    gpd.GeoDataFrame({"宗地编号": IDS, "总建筑面积": [20000.0, 5000.0]}, geometry=boxes).to_file(
        path, encoding="GBK"
    )
    item = propose([path]).inputs[0]
    assert item.assume_crs == "EPSG:4527"
    out = _import(tmp_path, path)
    assert read_mapping(out / "parcels" / "mapping.toml")["parcels"].assume_crs == "EPSG:4527"
    assert _measured(out)["far"]["A-1"] == pytest.approx(2.0)


def test_enum_values_recoded_with_a_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "宗地表.csv"
    pd.DataFrame(
        {
            "宗地编号": ["A-1", "A-2", "A-3", "A-4"],
            "建设状态": ["未动工", "在建", "竣工", "搁置"],
            "宗地面积(平方米)": [1000.0, 2000.0, 3000.0, 4000.0],
            "wkt": [rect(i * 100, 0, 50, 20).wkt for i in range(4)],
        }
    ).to_csv(csv, index=False)
    item = propose([csv]).inputs[0]
    assert item.layer == "parcels"
    assert item.values["construction_status"] == {
        "未动工": "not_started",
        "在建": "under_construction",
        "竣工": "completed",
    }
    assert item.columns["registered_area_m2"].unit == "m2"
    (question,) = [q for q in item.questions if "搁置" in q]
    assert "[parcels.values.construction_status]" in question
    assert main(["import", str(csv), "--mapping-only"]) == 0
    printed = capsys.readouterr().out
    assert "搁置" in printed and not (tmp_path / "data").exists()
    assert item.assume_crs is None  # GK without zone prefix and no hint: a question
    assert any("EPSG:4534" in q for q in item.questions)


def test_mapping_toml_round_trip(tmp_path: Path) -> None:
    shp = _gbk_shapefile(tmp_path / "in")
    p = propose([shp])
    path = tmp_path / "mapping.toml"
    path.write_text(p.mapping_toml(), encoding="utf-8")
    back = read_mapping(path)["parcels"]
    assert back.columns["agreed_start_date"].column == "约定动工日"
    assert back.source == tmp_path / "宗地图.shp"


def test_refuses_a_non_empty_folder_and_writes_nothing_on_errors(tmp_path: Path) -> None:
    out = tmp_path / "data"
    out.mkdir()
    (out / "x.txt").write_text("x")
    assert main(["import", str(_parcels_gpkg(tmp_path)), "--out", str(out)]) == 2
    table = tmp_path / "只有表.csv"
    pd.DataFrame({"统一社会信用代码": CODES, "企业名称": ["甲", "乙"]}).to_csv(table, index=False)
    assert main(["import", str(table), "--out", str(tmp_path / "new")]) == 1
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared real data folder is absent")
def test_real_files_get_a_layer_and_a_mapping() -> None:
    exts = {".shp", ".gpkg", ".zip", ".csv", ".xlsx", ".geojson"}
    files = sorted(p for p in REALDATA.rglob("*") if p.suffix.lower() in exts)[:20]
    if not files:
        pytest.skip("no readable files in the real data folder")
    for path in files:
        for item in propose([path]).inputs:
            assert item.layer is not None, item.reason
            assert item.columns or item.layer in ("parcels", "buildings"), item.file


def test_gauss_krueger_zone_from_another_layers_longitude(tmp_path: Path) -> None:
    parcels = tmp_path / "宗地图.shp"
    gpd.GeoDataFrame(
        {"宗地编号": IDS}, geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)]
    ).to_file(parcels, encoding="GBK")
    zones = tmp_path / "片区.gpkg"
    gpd.GeoDataFrame(
        {"片区编号": ["Z1"], "片区名称": ["常泰片区"]},
        geometry=[shapely.box(118.55, 24.86, 118.60, 24.90)],
        crs=4490,
    ).to_file(zones)
    p = propose([parcels, zones])
    assert p.by_layer()["zones"].gpkg_layer is None
    assert p.by_layer()["parcels"].assume_crs == "EPSG:4549"  # 118.57°E: central meridian 120°E
    assert _measured(_import(tmp_path, parcels, zones))["land_area_m2"]["A-1"] == pytest.approx(
        10000.0, rel=1e-6
    )


def test_zip_with_several_layers(tmp_path: Path) -> None:
    shp = _gbk_shapefile(tmp_path / "in")
    csv = tmp_path / "in" / "企业名录.csv"
    pd.DataFrame({"统一社会信用代码": CODES, "企业名称": ["甲公司", "乙公司"]}).to_csv(
        csv, index=False
    )
    zpath = tmp_path / "园区资料.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, f"资料/{part.name}")
    p = propose([zpath])
    assert {i.zip_member: i.layer for i in p.inputs} == {
        "资料/宗地图.shp": "parcels",
        "资料/企业名录.csv": "enterprises",
    }
    out = _import(tmp_path, zpath)
    assert (out / "parcels" / "企业名录.csv").is_file()
    assert _measured(out)["far"]["A-1"] == pytest.approx(1.5)


def test_rerun_with_an_edited_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A question answered in the printed mapping.toml, then ``import --mapping`` with it."""
    path = tmp_path / "地块图.shp"
    gpd.GeoDataFrame(
        {"DKBH": IDS, "JZMJ": [30000.0, 1000.0]},
        geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)],
        crs=4549,
    ).to_file(path)
    assert main(["import", str(path), "--out", str(tmp_path / "a")]) == 1
    printed = capsys.readouterr().out
    assert "parcel_id" in printed and "值各不相同的列：DKBH" in printed
    edited = propose([path]).mapping_toml()
    assert "[parcels.columns]" not in edited
    edited += '[parcels.columns]\nparcel_id = "DKBH"\nfloor_area_m2 = "JZMJ"\n'

    mapping = tmp_path / "mapping.toml"
    mapping.write_text(edited, encoding="utf-8")
    out = tmp_path / "b"
    assert main(["import", str(path), "--out", str(out), "--mapping", str(mapping)]) == 0
    assert "导入检查：错误 0 个" in capsys.readouterr().out
    assert _measured(out)["far"]["A-1"] == pytest.approx(3.0)


def test_shapefile_sidecars_given_one_by_one_travel_with_their_shp(tmp_path: Path) -> None:
    shp = _gbk_shapefile(tmp_path / "in")
    parts = sorted(shp.parent.iterdir())
    assert len(parts) >= 4  # .shp .shx .dbf .prj
    lone = tmp_path / "in" / "孤立.prj"
    lone.write_text(shp.with_suffix(".prj").read_text())
    p = propose([*parts, lone])
    assert [i.file for i in p.inputs] == ["宗地图.shp"]
    assert p.warnings == ["孤立.prj 是 Shapefile 的附属文件，但没有同名的 孤立.shp，未使用"]
    assert _measured(_import(tmp_path, *parts))["far"]["A-1"] == pytest.approx(1.5)


def test_geojson_in_feet_without_crs_takes_the_crs_of_its_shapefile(tmp_path: Path) -> None:
    """A GeoJSON exported without a "crs" member beside a shapefile in US feet (EPSG:2263):
    not degrees, so not WGS 84, but the range of the shapefile."""
    ft = 0.3048006096012192  # US survey foot in metres
    boxes = [
        shapely.box(980_000, 195_000, 980_100, 195_100),
        shapely.box(980_100, 195_000, 980_200, 195_050),
    ]
    shp = tmp_path / "lots.shp"
    gpd.GeoDataFrame({"parcel_id": IDS}, geometry=boxes, crs=2263).to_file(shp)
    gj = tmp_path / "lots_copy.json"
    gpd.GeoDataFrame({"parcel_id": IDS}, geometry=boxes).to_file(gj, driver="GeoJSON")
    assert '"crs"' not in gj.read_text()
    item = propose([gj, shp]).inputs[0]
    assert (item.file, item.assume_crs) == ("lots_copy.json", "EPSG:2263")
    land = _measured(_import(tmp_path, gj, shp))["land_area_m2"]
    assert land["A-1"] == pytest.approx(100 * 100 * ft * ft, rel=1e-3)


def _gbk_named_zip(path: Path, files: dict[str, bytes]) -> None:
    """A zip as Chinese Windows tools write it: member names in GBK, no UTF-8 flag."""
    placeholders = {}
    with zipfile.ZipFile(path, "w") as zf:
        for i, (name, data) in enumerate(files.items()):
            raw = name.encode("gbk")
            stub = f"{i:02d}".encode() + b"x" * (len(raw) - 2)
            placeholders[stub] = raw
            zf.writestr(stub.decode("ascii"), data)
    blob = path.read_bytes()
    for stub, raw in placeholders.items():
        blob = blob.replace(stub, raw)
    path.write_bytes(blob)


def test_zip_with_gbk_member_names(tmp_path: Path) -> None:
    shp = _gbk_shapefile(tmp_path / "in")
    zpath = tmp_path / "宗地资料.zip"
    _gbk_named_zip(zpath, {f"资料/{p.name}": p.read_bytes() for p in shp.parent.iterdir()})
    with zipfile.ZipFile(zpath) as zf:
        assert all(i.flag_bits & 0x800 == 0 for i in zf.infolist())
    item = propose([zpath]).inputs[0]
    assert (item.layer, item.columns["land_user"].column) == ("parcels", "土地使用权")
    assert _measured(_import(tmp_path, zpath))["far"]["A-2"] == pytest.approx(0.5)


def test_gbk_csv_of_enterprises_in_yuan(tmp_path: Path) -> None:
    csv = tmp_path / "税收.csv"
    pd.DataFrame(
        {
            "纳税人识别号": CODES,
            "纳税人名称": ["鲤城电子有限公司", "泉州纺织鞋服厂"],
            "年度": [2025, 2025],
            "实缴税金(元)": ["1,250,000", "80,000"],
            "营业收入": [125_000_000, 9_000_000],  # 元 by magnitude
        }
    ).to_csv(csv, index=False, encoding="gbk")
    occ = tmp_path / "用地.csv"
    pd.DataFrame({"统一社会信用代码": CODES, "宗地编号": IDS}).to_csv(occ, index=False)
    p = propose([_parcels_gpkg(tmp_path), csv, occ])
    ent = p.by_layer()["enterprises"]
    assert ent.columns["credit_code"].column == "纳税人识别号"  # by its values
    assert ent.columns["tax_wan"].unit == "yuan"
    assert ent.columns["revenue_wan"].unit == "yuan"
    assert any("像是元" in w for w in p.warnings)
    ds = read_dataset(_import(tmp_path, _parcels_gpkg(tmp_path), csv, occ))
    assert ds.enterprises is not None
    firms = ds.enterprises.set_index("credit_code")
    assert firms.loc[CODES[0], "tax_wan"] == pytest.approx(125.0)
    assert firms.loc[CODES[1], "revenue_wan"] == pytest.approx(900.0)


def test_gpkg_with_three_layers(tmp_path: Path) -> None:
    gpkg = tmp_path / "园区底图.gpkg"
    gpd.GeoDataFrame(
        {"片区编号": ["N"], "片区名称": ["北片区"]}, geometry=[rect(-50, -50, 400, 300)], crs=4549
    ).to_file(gpkg, layer="pq")
    gpd.GeoDataFrame(
        {"地块编号": IDS, "用地面积": [10000.0, 5000.0]},
        geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)],
        crs=4549,
    ).to_file(gpkg, layer="dk")
    gpd.GeoDataFrame(
        {"建筑编号": ["B1"], "层数": [4.0]}, geometry=[rect(10, 10, 50, 50)], crs=4549
    ).to_file(gpkg, layer="jz")
    p = propose([gpkg])
    assert {i.gpkg_layer: i.layer for i in p.inputs} == {
        "pq": "zones",
        "dk": "parcels",
        "jz": "buildings",
    }
    measured = _measured(_import(tmp_path, gpkg))
    assert measured.loc["A-1", "far"] == pytest.approx(4 * 2500 / 10000)  # 4 floors × 50 × 50
    assert measured.loc["A-2", "zone_id"] == "N"


def test_a_zip_that_is_not_a_zip_is_said_in_chinese_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "宗地.zip"
    bad.write_bytes(b"<html>not a zip</html>\n" * 10)
    assert main(["import", str(bad), "--out", str(tmp_path / "data")]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "宗地.zip" in text and "zip" in text and "Traceback" not in text
    assert "BadZipFile" not in text
    assert not (tmp_path / "data").exists()


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared real data folder is absent")
def test_real_pluto_files_under_their_own_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """NYC PLUTO given as they come (a shapefile with its sidecars, the same lots as GeoJSON
    in feet without a "crs" member, and a CSV): grouped, the GeoJSON in the shapefile's CRS,
    the identifier asked for; answered in a mapping, the FAR measured from the lot and floor
    areas in square feet is PLUTO's own BuiltFAR."""
    folder = REALDATA / "nyc_lower_manhattan_pluto15v1"
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "README.md")
    if not any(p.suffix == ".json" for p in files):
        pytest.skip("the PLUTO GeoJSON is absent")
    p = propose(files)
    assert [i.file for i in p.inputs] == ["PlutoClipLM.json", "PlutoClipLM.shp", "pluto.csv"]
    gj = p.inputs[0]
    assert gj.assume_crs == "EPSG:2263"
    assert any("BBL" in q for q in p.questions)
    assert main(["import", *map(str, files), "--out", str(tmp_path / "a")]) == 1
    capsys.readouterr()
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[parcels]\nsource = "PlutoClipLM.json"\nassume_crs = "EPSG:2263"\n'
        '[parcels.columns]\nparcel_id = "BBL"\n'
        'registered_area_m2 = { column = "LotArea", unit = "ft2" }\n'
        'floor_area_m2 = { column = "BldgArea", unit = "ft2" }\n',
        encoding="utf-8",
    )
    out = tmp_path / "b"
    assert main(["import", *map(str, files), "--out", str(out), "--mapping", str(mapping)]) == 0
    lots = gpd.read_file(folder / "PlutoClipLM.json")
    lots = lots[lots["LotArea"] > 0].assign(parcel_id=lambda d: d["BBL"].astype(str))
    far = _measured(out)["far"]
    built = lots.set_index("parcel_id")["BuiltFAR"]
    diff = (far.reindex(built.index) - built).abs().dropna()
    assert len(diff) >= 0.95 * len(built)
    assert (diff <= 0.006).mean() >= 0.99  # BuiltFAR is rounded to 2 decimals
