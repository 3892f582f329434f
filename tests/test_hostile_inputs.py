"""A corpus of hostile and broken inputs, generated here and run through the real CLI.

Each refused case asserts: exit status 1 or 2, no Python traceback, a Chinese message naming
the file and the field (or key), and nothing written (OUT not created, or an existing OUT
byte-identical, and no temporary file left).  Archive bombs run in a child process under a
1.5 GB address-space limit.  Accepted-but-hostile cases (formula text, control characters,
Big5 and GBK files) assert that the run succeeds and that every export is inert.
"""

from __future__ import annotations

import io
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from lcgis.cli import main
from lcgis.data.validate import issue_label
from tests.conftest import code, rect

pytestmark = pytest.mark.hostile

ROOT = Path(__file__).resolve().parents[1]
AS_OF = ["--as-of", "2026-11-28"]
C1, C2 = code("91350502MA0000001"), code("91350502MA0000002")
CJK = re.compile("[\u4e00-\u9fff]")
SENTINEL = b"previous result, must stay as it is"


# --- the base dataset -------------------------------------------------------------------------


def _parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2"],
            "land_use": ["industrial", "industrial"],
            "land_user": ["甲公司", "乙公司"],
            "registered_area_m2": [10000.0, 5000.0],
        },
        geometry=[rect(0, 0, 100, 100), rect(100, 0, 100, 50)],
        crs=4549,
    )


def _enterprises() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "credit_code": [C1, C2],
            "name": ["甲公司", "乙公司"],
            "year": [2025, 2025],
            "industry_code": ["3911", "1811"],
            "above_scale": ["是", "否"],
            "output_wan": ["3000", "600"],
            "tax_wan": ["150", "30"],
            "production_start_date": ["2015-01-01", "2016-06-30"],
        }
    )


def _occupancy() -> pd.DataFrame:
    return pd.DataFrame({"credit_code": [C1, C2], "parcel_id": ["P1", "P2"]})


def _movers() -> pd.DataFrame:
    return pd.DataFrame(
        {"mover_id": ["M1"], "name": ["丙公司"], "need_mu": ["7"], "industry_code": ["3911"]}
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("template") / "data"
    (d / "parcels").mkdir(parents=True)
    _parcels().to_file(d / "parcels" / "parcels.gpkg")
    _enterprises().to_csv(d / "parcels" / "enterprises.csv", index=False)
    _occupancy().to_csv(d / "parcels" / "occupancy.csv", index=False)
    gpd.GeoDataFrame(
        {"zone_id": ["north"], "zone_name": ["北片区"], "leading_industries": ["39,18"]},
        geometry=[rect(-10, -10, 250, 150)],
        crs=4549,
    ).to_crs(4326).to_file(d / "zones.geojson")
    _movers().to_csv(d / "movers.csv", index=False)
    return d


# --- file makers ------------------------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _shapefile_members(gdf: gpd.GeoDataFrame, stem: str = "宗地", **kw: str) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        pyogrio.write_dataframe(gdf, Path(tmp) / f"{stem}.shp", **kw)
        return {p.name: p.read_bytes() for p in Path(tmp).iterdir()}


def _patch_zip(data: bytes, *, flags: int = 0, method: int | None = None,
               file_size: int | None = None, mode: int | None = None) -> bytes:  # fmt: skip
    """Rewrite fields of every local and central header (encryption bit, method, sizes)."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        pos = zf.start_dir
    for info in infos:
        local = info.header_offset
        buf[local + 6 : local + 8] = struct.pack("<H", info.flag_bits | flags)
        if method is not None:
            buf[local + 8 : local + 10] = struct.pack("<H", method)
        if file_size is not None:
            buf[local + 22 : local + 26] = struct.pack("<I", file_size)
    for _ in infos:
        assert buf[pos : pos + 4] == b"PK\x01\x02"
        old_flags = struct.unpack("<H", buf[pos + 8 : pos + 10])[0]
        buf[pos + 8 : pos + 10] = struct.pack("<H", old_flags | flags)
        if method is not None:
            buf[pos + 10 : pos + 12] = struct.pack("<H", method)
        if file_size is not None:
            buf[pos + 24 : pos + 28] = struct.pack("<I", file_size)
        if mode is not None:
            buf[pos + 5] = 3  # made on Unix
            buf[pos + 38 : pos + 42] = struct.pack("<I", mode << 16)
        n, m, k = struct.unpack("<HHH", buf[pos + 28 : pos + 34])
        pos += 46 + n + m + k
    return bytes(buf)


def _deflated_zeros(path: Path, name: str, size: int) -> None:
    """A zip holding ``size`` zero bytes, compressed in chunks (never all in memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(name, "w") as fh:
        chunk = bytes(1 << 22)
        for _ in range(size // len(chunk)):
            fh.write(chunk)


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _vrt(source: str) -> bytes:
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{source}</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def _csv_with(frame: pd.DataFrame, column: str, row: int, value: object) -> pd.DataFrame:
    out = frame.astype(object).copy()
    out.loc[row, column] = value
    return out


def _parcels_csv(d: Path, column: str, value: object, row: int = 0) -> Path:
    """parcels.csv (WKT) with one cell replaced; mapping.toml gives its CRS."""
    gdf = _parcels()
    table = pd.DataFrame(gdf.drop(columns="geometry")).astype(object)
    table["wkt"] = gdf.geometry.to_wkt()
    table.loc[row, column] = value
    p = d / "parcels" / "parcels.csv"
    table.to_csv(p, index=False)
    (d / "parcels" / "parcels.gpkg").unlink()
    (d / "parcels" / "mapping.toml").write_text(
        '[parcels]\nassume_crs = "EPSG:4549"\n', encoding="utf-8"
    )
    return p


# --- the cases --------------------------------------------------------------------------------


@dataclass
class Case:
    """One hostile input: ``make`` changes a copy of the dataset and returns extra CLI args."""

    name: str
    make: Callable[[Path], list[str]]
    names: tuple[str, ...]  # texts the message must contain: the file, the field or key
    command: str = "evaluate"
    codes: tuple[int, ...] = (1, 2)
    env: dict[str, str] = field(default_factory=dict)


CASES: list[Case] = []


Maker = Callable[[Path], "list[str] | None"]


def case(
    name: str,
    *names: str,
    command: str = "evaluate",
    codes: tuple[int, ...] = (1, 2),
    env: dict[str, str] | None = None,
) -> Callable[[Maker], None]:
    """Register the decorated maker as a case of the corpus."""

    def register(fn: Maker) -> None:
        CASES.append(Case(name, lambda d: fn(d) or [], names, command, codes, env or {}))

    return register


def _replace(d: Path, name: str, data: bytes, *, drop: str = "parcels.gpkg") -> None:
    if drop:
        (d / "parcels" / drop).unlink(missing_ok=True)
    (d / "parcels" / name).write_bytes(data)


# Files that are not what their extension says: GDAL must never open them by content.
for ext in (".geojson", ".json", ".kml", ".gpkg", ".shp", ".fgb"):

    @case(f"vrt_reads_passwd_as{ext}", f"parcels{ext}")
    def _vrt_passwd(d: Path, ext: str = ext) -> None:
        _replace(d, f"parcels{ext}", _vrt("CSV:/etc/passwd"))


@case("vrt_fetches_url", "parcels.geojson")
def _vrt_url(d: Path) -> None:
    _replace(d, "parcels.geojson", _vrt("/vsicurl/http://127.0.0.1:9/x.csv"))


@case("vrt_zones", "zones.geojson")
def _vrt_zones(d: Path) -> None:
    (d / "zones.geojson").write_bytes(_vrt("CSV:/etc/passwd"))


@case("gdalg_pipeline_as_geojson", "parcels.geojson")
def _gdalg(d: Path) -> None:
    text = '{"type": "gdal_streamed_alg", "command_line": "gdal vector read /etc/passwd"}'
    _replace(d, "parcels.geojson", text.encode())


@case("pds4_label_as_kml", "parcels.kml")
def _pds4(d: Path) -> None:
    text = (
        '<?xml version="1.0"?><!-- <kml> --><Product_Observational '
        'xmlns="http://pds.nasa.gov/pds4/pds/v1"><File_Area_Observational><File>'
        "<file_name>/etc/passwd</file_name></File></File_Area_Observational>"
        "</Product_Observational>"
    )
    _replace(d, "parcels.kml", text.encode())


@case("sqlite_as_geojson", "parcels.geojson")
def _sqlite_geojson(d: Path) -> None:
    data = (d / "parcels" / "parcels.gpkg").read_bytes()
    _replace(d, "parcels.geojson", data)


@case("geojson_as_gpkg", "parcels.gpkg")
def _geojson_gpkg(d: Path) -> None:
    _replace(d, "parcels.gpkg", _parcels().to_crs(4326).to_json().encode())


@case("empty_geojson", "parcels.geojson")
def _empty(d: Path) -> None:
    _replace(d, "parcels.geojson", b"")


@case("truncated_geojson", "parcels.geojson")
def _trunc_geojson(d: Path) -> None:
    _replace(d, "parcels.geojson", _parcels().to_crs(4326).to_json().encode()[:150])


@case("geojson_string_coordinates", "parcels.geojson")
def _str_coords(d: Path) -> None:
    text = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"parcel_id":"P1"},"geometry":{"type":"Polygon","coordinates":"oops"}}]}'
    )
    _replace(d, "parcels.geojson", text.encode())


@case("geojson_nested_coordinates", "parcels.geojson")
def _deep_coords(d: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        f'{{"parcel_id":"P1"}},"geometry":{{"type":"Polygon","coordinates":{deep}}}}}]}}'
    )
    _replace(d, "parcels.geojson", text.encode())


@case("geojson_nested_properties", "parcels.geojson")
def _deep_props(d: Path) -> None:
    deep = '{"b":' * 100_000 + "1" + "}" * 100_000
    text = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        f'{{"parcel_id":{deep}}},"geometry":null}}]}}'
    )
    _replace(d, "parcels.geojson", text.encode())


@case("kml_billion_laughs", "parcels.kml")
def _kml_laughs(d: Path) -> None:
    ents = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    text = (
        f'<?xml version="1.0"?><!DOCTYPE kml [{ents}]>'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&l9;</name>'
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>118.6,24.9 118.7,24.9 118.7,25 "
        "118.6,24.9</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        "</Document></kml>"
    )
    _replace(d, "parcels.kml", text.encode())


@case("truncated_gpkg", "parcels.gpkg")
def _trunc_gpkg(d: Path) -> None:
    data = (d / "parcels" / "parcels.gpkg").read_bytes()
    _replace(d, "parcels.gpkg", data[:2048], drop="")


@case("shp_without_dbf_shx", "parcels.shp")
def _lonely_shp(d: Path) -> None:
    members = _shapefile_members(_parcels(), "parcels")
    _replace(d, "parcels.shp", members["parcels.shp"])


@case("shp_magic_then_garbage", "parcels.shp")
def _garbage_shp(d: Path) -> None:
    _replace(d, "parcels.shp", b"\x00\x00\x27\x0a" + os.urandom(200))
    (d / "parcels" / "parcels.shx").write_bytes(os.urandom(100))
    (d / "parcels" / "parcels.dbf").write_bytes(os.urandom(100))


@case("parquet_random_bytes", "parcels.parquet")
def _pq_random(d: Path) -> None:
    _replace(d, "parcels.parquet", os.urandom(300))


@case("parquet_truncated", "parcels.parquet")
def _pq_trunc(d: Path) -> None:
    buf = io.BytesIO()
    _parcels().to_parquet(buf)
    _replace(d, "parcels.parquet", buf.getvalue()[:400])


@case("xls_parcels", "parcels.xls")
def _xls(d: Path) -> None:
    _replace(d, "parcels.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))


@case("xlsx_that_is_csv", "parcels.xlsx")
def _xlsx_csv(d: Path) -> None:
    _replace(d, "parcels.xlsx", b"parcel_id,wkt\nP1,POINT (1 2)\n")


@case("encrypted_xlsx", "enterprises.xlsx")
def _ole_xlsx(d: Path) -> None:
    (d / "parcels" / "enterprises.csv").unlink()
    (d / "parcels" / "enterprises.xlsx").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(900)
    )


@case("xlsx_zip_without_workbook", "enterprises.xlsx")
def _xlsx_no_wb(d: Path) -> None:
    (d / "parcels" / "enterprises.csv").unlink()
    _zip(d / "parcels" / "enterprises.xlsx", {"hello.txt": b"hi"})


@case("xlsx_billion_laughs", "enterprises.xlsx")
def _laughs(d: Path) -> None:
    p = _ent_xlsx(d, [["credit_code", "name"], [C1, "甲"]])
    doctype = (
        '<!DOCTYPE worksheet [<!ENTITY l0 "lol">'
        + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
        + "]>"
    ).encode()
    with zipfile.ZipFile(p) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    if sheet.startswith(b"<?xml"):
        sheet = sheet.split(b"?>", 1)[1]
    parts["xl/worksheets/sheet1.xml"] = doctype + sheet.replace("甲".encode(), b"&l9;")
    assert b"&l9;" in parts["xl/worksheets/sheet1.xml"]
    _zip(p, parts)


@case("csv_with_nul_bytes", "parcels.csv")
def _nul(d: Path) -> None:
    p = _parcels_csv(d, "land_user", "甲")
    p.write_bytes(p.read_bytes().replace("甲".encode(), b"\x00\x00"))


@case("csv_undecodable_bytes", "enterprises.csv")
def _bytes(d: Path) -> None:
    p = d / "parcels" / "enterprises.csv"
    p.write_bytes(p.read_bytes() + b"\xff\xfe\x80\x80,\xff\n")


@case("csv_broken_wkt", "parcels.csv", "wkt")
def _bad_wkt(d: Path) -> None:
    _parcels_csv(d, "wkt", "POLYGON ((1 2, 3")


@case("csv_no_geometry_column", "parcels.csv")
def _no_geom(d: Path) -> None:
    p = _parcels_csv(d, "land_user", "甲")
    pd.read_csv(p).drop(columns="wkt").to_csv(p, index=False)


# Zip archives: broken, encrypted, odd methods, escaping paths, nesting.
@case("not_a_zip", "parcels.zip")
def _not_zip(d: Path) -> None:
    _replace(d, "parcels.zip", b"PK\x03\x04 this is not really a zip")


@case("truncated_zip", "parcels.zip")
def _trunc_zip(d: Path) -> None:
    p = _zip(d / "parcels" / "parcels.zip", _shapefile_members(_parcels()))
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    (d / "parcels" / "parcels.gpkg").unlink()


@case("encrypted_zip_member", "parcels.zip", "加密")
def _encrypted(d: Path) -> None:
    p = _zip(d / "parcels" / "parcels.zip", _shapefile_members(_parcels()))
    p.write_bytes(_patch_zip(p.read_bytes(), flags=0x1))
    (d / "parcels" / "parcels.gpkg").unlink()


@case("deflate64_zip_member", "parcels.zip", "Deflate64")
def _deflate64(d: Path) -> None:
    p = _zip(d / "parcels" / "parcels.zip", _shapefile_members(_parcels()))
    p.write_bytes(_patch_zip(p.read_bytes(), method=9))
    (d / "parcels" / "parcels.gpkg").unlink()


@case("zip_member_lies_about_size", "parcels.zip")
def _liar(d: Path) -> None:
    p = _zip(d / "parcels" / "parcels.zip", _shapefile_members(_parcels()))
    p.write_bytes(_patch_zip(p.read_bytes(), file_size=10))
    (d / "parcels" / "parcels.gpkg").unlink()


ESCAPE = f"lcgis-escape-{os.getpid()}.txt"


@case("zip_slip_dotdot", "parcels.zip", "压缩包以外")
def _slip(d: Path) -> None:
    members = {**_shapefile_members(_parcels()), f"../../../{ESCAPE}": b"escaped"}
    _zip(d / "parcels" / "parcels.zip", members)
    (d / "parcels" / "parcels.gpkg").unlink()


@case("zip_slip_absolute", "parcels.zip", "压缩包以外")
def _abs(d: Path) -> None:
    members = {**_shapefile_members(_parcels()), "/" + ESCAPE: b"escaped"}
    _zip(d / "parcels" / "parcels.zip", members)
    (d / "parcels" / "parcels.gpkg").unlink()


@case("zip_symlink_member", "parcels.zip", "符号链接")
def _symlink(d: Path) -> None:
    p = _zip(d / "parcels" / "parcels.zip", {"parcels.geojson": b"/etc/passwd"})
    p.write_bytes(_patch_zip(p.read_bytes(), mode=0o120777))
    (d / "parcels" / "parcels.gpkg").unlink()


@case("empty_zip", "parcels.zip")
def _empty_zip(d: Path) -> None:
    _zip(d / "parcels" / "parcels.zip", {})
    (d / "parcels" / "parcels.gpkg").unlink()


@case("zip_of_text_only", "parcels.zip")
def _text_zip(d: Path) -> None:
    _zip(d / "parcels" / "parcels.zip", {"readme.txt": "说明".encode()})
    (d / "parcels" / "parcels.gpkg").unlink()


@case("zip_holding_vrt", "parcels.zip", "parcels.geojson")
def _zip_vrt(d: Path) -> None:
    _zip(d / "parcels" / "parcels.zip", {"parcels.geojson": _vrt("CSV:/etc/passwd")})
    (d / "parcels" / "parcels.gpkg").unlink()


@case("zip_nested_too_deep", "parcels.zip", "嵌套")
def _deep(d: Path) -> None:
    data = _zip(d / "inner.zip", _shapefile_members(_parcels())).read_bytes()
    for i in range(4):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(f"level{i}.zip", data)
        data = buf.getvalue()
    _replace(d, "parcels.zip", data)


@case("zip_too_many_members", "parcels.zip", "成员过多")
def _many(d: Path) -> None:
    with zipfile.ZipFile(d / "parcels" / "parcels.zip", "w") as zf:
        for i in range(10_001):
            zf.writestr(f"f{i}.txt", b"")
    (d / "parcels" / "parcels.gpkg").unlink()


@case("zip_member_over_cap", "parcels.zip", "LCGIS_MAX_FILE_MB", env={"LCGIS_MAX_FILE_MB": "1"})
def _member_cap(d: Path) -> None:
    members = {"a.dbf": os.urandom(3 * 2**18).hex().encode()}  # 1.5 MB, packs to under 1 MB
    _zip(d / "parcels" / "parcels.zip", members)
    (d / "parcels" / "parcels.gpkg").unlink()


@case("zip_total_over_cap", "parcels.zip", "LCGIS_MAX_TOTAL_MB", env={"LCGIS_MAX_TOTAL_MB": "1"})
def _total_cap(d: Path) -> None:
    members = {f"m{i}.dbf": os.urandom(2**19) for i in range(3)}
    _zip(d / "parcels" / "parcels.zip", members, zipfile.ZIP_STORED)
    (d / "parcels" / "parcels.gpkg").unlink()


@case("file_over_cap", "parcels.geojson", "LCGIS_MAX_FILE_MB", env={"LCGIS_MAX_FILE_MB": "1"})
def _file_cap(d: Path) -> None:
    text = _parcels().to_crs(4326).to_json()
    _replace(d, "parcels.geojson", (text[:-1] + " " * 2**21 + "}").encode())


@case("bad_limit_variable", "LCGIS_MAX_RATIO", env={"LCGIS_MAX_RATIO": "abc"})
def _bad_env(d: Path) -> None:
    return None


# Paths given on the command line that name GDAL virtual file systems or URLs.
for option, target in (
    ("--parcels", "/vsicurl/http://127.0.0.1:9/parcels.geojson"),
    ("--parcels", "/vsizip//etc/parcels.zip/parcels.shp"),
    ("--zones", "https://127.0.0.1:9/zones.geojson"),
):

    @case(f"virtual_path_{option}_{target.split('/')[1]}", target.split("/")[-1], "虚拟路径")
    def _virtual(d: Path, option: str = option, target: str = target) -> list[str]:
        return [option, target]


@case("parcels_is_a_device", "zero", "扩展名")
def _device(d: Path) -> list[str]:
    return ["--parcels", "/dev/zero"]


# Parcels whose values are wrong.
@case("duplicate_parcel_ids", "parcels.gpkg", "parcel_id")
def _dup(d: Path) -> None:
    gdf = _parcels()
    gdf["parcel_id"] = ["P1", "P1"]
    gdf.to_file(d / "parcels" / "parcels.gpkg")


@case("overlapping_duplicate_parcels", "parcels.gpkg", "重叠")
def _overlap(d: Path) -> None:
    gdf = _parcels()
    gdf = pd.concat([gdf, gdf.iloc[[0]].assign(parcel_id="P1-copy")], ignore_index=True)
    gpd.GeoDataFrame(gdf, crs=4549).to_file(d / "parcels" / "parcels.gpkg")


@case("empty_geometry", "parcels.gpkg", "几何为空")
def _empty_geom(d: Path) -> None:
    gdf = _parcels()
    gdf.loc[1, "geometry"] = shapely.Polygon()
    gdf.to_file(d / "parcels" / "parcels.gpkg")


@case("point_parcels", "parcels.geojson", "Polygon")
def _points(d: Path) -> None:
    gdf = _parcels()
    gdf["geometry"] = gdf.geometry.centroid
    (d / "parcels" / "parcels.gpkg").unlink()
    gdf.to_crs(4326).to_file(d / "parcels" / "parcels.geojson")


@case("missing_parcel_id_column", "parcels.gpkg", "parcel_id")
def _no_id(d: Path) -> None:
    _parcels().drop(columns="parcel_id").to_file(d / "parcels" / "parcels.gpkg")


@case("parcels_lonlat_declared_projected", "parcels.gpkg", "坐标")
def _crs(d: Path) -> None:
    gdf = _parcels().to_crs(4326).set_crs(4549, allow_override=True)
    gdf.to_file(d / "parcels" / "parcels.gpkg")


@case("csv_without_crs", "parcels.csv", "assume_crs")
def _no_crs(d: Path) -> None:
    _parcels_csv(d, "land_user", "甲")
    (d / "parcels" / "mapping.toml").unlink()


for column, value, label in (
    ("developed_share", "150", "developed_share"),
    ("developed_share", "-0.2", "developed_share"),
    ("invested_share", "1.5", "invested_share"),
    ("invested_share", "inf", "invested_share"),
    ("registered_area_m2", "+inf", "registered_area_m2"),
    ("registered_area_m2", "1e400", "registered_area_m2"),
    ("registered_area_m2", "-inf", "registered_area_m2"),
    ("registered_area_m2", "-5", "registered_area_m2"),
    ("registered_area_m2", "Infinity", "registered_area_m2"),
    ("max_far", "1e309", "max_far"),
    ("agreed_start_date", "9999-12-31", "agreed_start_date"),
    ("agreed_start_date", "1000-01-01", "agreed_start_date"),
    ("agreed_start_date", "1677-09-21", "agreed_start_date"),
    ("grant_date", "2262-04-12", "grant_date"),
    ("grant_date", "2021-13-45", "grant_date"),
    ("agreed_completion_date", "99991231", "agreed_completion_date"),
    ("suspended_since", 3000000, "suspended_since"),
):

    @case(f"parcel_{column}_{value}", "parcels.csv", label)
    def _value(d: Path, column: str = column, value: object = value) -> None:
        _parcels_csv(d, column, value)


@case("gpkg_date_9999", "parcels.gpkg", "agreed_start_date")
def _gpkg_date(d: Path) -> None:
    import datetime as dt

    gdf = _parcels()
    days = [dt.datetime(9999, 12, 31), dt.datetime(2020, 1, 1)]
    gdf["agreed_start_date"] = pd.Series(days, dtype="datetime64[ms]")
    gdf.to_file(d / "parcels" / "parcels.gpkg")
    back = pyogrio.read_dataframe(d / "parcels" / "parcels.gpkg")["agreed_start_date"]
    assert back.iloc[0].year == 9999  # really stored as a date far out of range


@case("gpkg_inf_area", "parcels.gpkg", "registered_area_m2")
def _gpkg_inf(d: Path) -> None:
    gdf = _parcels()
    gdf.loc[0, "registered_area_m2"] = float("inf")
    gdf.to_file(d / "parcels" / "parcels.gpkg")


# Enterprises.
for column, value in (
    ("tax_wan", "+inf"),
    ("tax_wan", "1e400"),
    ("tax_wan", "-inf"),
    ("output_wan", "-3000"),
    ("output_wan", "NaN万"),
    ("production_start_date", "9999-12-31"),
    ("production_start_date", "0001-01-01"),
    ("year", "二〇二五年"),
    ("credit_code", ""),
    ("name", ""),
):

    @case(f"enterprise_{column}_{value or 'empty'}", "enterprises.csv", column)
    def _ent(d: Path, column: str = column, value: str = value) -> None:
        p = d / "parcels" / "enterprises.csv"
        _csv_with(_enterprises(), column, 1, value).to_csv(p, index=False)


@case("enterprise_duplicate_year", "enterprises.csv", "credit_code")
def _dup_year(d: Path) -> None:
    e = _enterprises()
    e.loc[1, "credit_code"] = C1
    e.to_csv(d / "parcels" / "enterprises.csv", index=False)


def _ent_xlsx(d: Path, rows: list[list[object]]) -> Path:
    (d / "parcels" / "enterprises.csv").unlink()
    return _xlsx(d / "parcels" / "enterprises.xlsx", rows)


HEAD = ["credit_code", "name", "year", "tax_wan", "production_start_date"]


@case("xlsx_formula_without_cached_value", "enterprises.xlsx", "tax_wan")
def _formula(d: Path) -> None:
    _ent_xlsx(d, [HEAD, [C1, "甲", 2025, "=1+1", None], [C2, "乙", 2025, "=D2*2", None]])


@case("xlsx_datetime_9999", "enterprises.xlsx", "production_start_date")
def _xlsx_9999(d: Path) -> None:
    import datetime as dt

    _ent_xlsx(d, [HEAD, [C1, "甲", 2025, 1, dt.datetime(9999, 12, 31)], [C2, "乙", 2025, 2, None]])


@case("xlsx_error_cells", "enterprises.xlsx", "tax_wan")
def _xlsx_err(d: Path) -> None:
    p = _ent_xlsx(d, [HEAD, [C1, "甲", 2025, 1, None], [C2, "乙", 2025, 2, None]])
    wb = openpyxl.load_workbook(p)
    wb.active["D3"].value = "#DIV/0!"
    wb.active["D3"].data_type = "e"
    wb.save(p)


@case("xlsx_bool_in_number", "enterprises.xlsx", "tax_wan")
def _xlsx_bool(d: Path) -> None:
    _ent_xlsx(d, [HEAD, [C1, "甲", 2025, True, None], [C2, "乙", 2025, 2, None]])


@case("xlsx_inf_text", "enterprises.xlsx", "tax_wan")
def _xlsx_inf(d: Path) -> None:
    _ent_xlsx(d, [HEAD, [C1, "甲", 2025, "inf", None], [C2, "乙", 2025, "1e400", None]])


@case("xls_enterprises", "enterprises.xls", ".xlsx")
def _xls_ent(d: Path) -> None:
    p = d / "parcels" / "enterprises.csv"
    p.rename(p.with_suffix(".xls"))


@case("xlsx_too_many_columns", "enterprises.xlsx", "列数过多")
def _wide(d: Path) -> None:
    _ent_xlsx(d, [[f"c{i}" for i in range(600)], list(range(600))])


# Occupancy and zones.
for column, value in (("land_area_m2", "inf"), ("floor_area_m2", "-10"), ("land_area_m2", "1e999")):

    @case(f"occupancy_{column}_{value}", "occupancy.csv", column)
    def _occ(d: Path, column: str = column, value: str = value) -> None:
        _csv_with(_occupancy(), column, 0, value).to_csv(
            d / "parcels" / "occupancy.csv", index=False
        )


@case("occupancy_without_credit_code", "occupancy.csv", "credit_code")
def _occ_cols(d: Path) -> None:
    _occupancy().drop(columns="credit_code").to_csv(d / "parcels" / "occupancy.csv", index=False)


@case("zones_truncated", "zones.geojson")
def _zones_trunc(d: Path) -> None:
    p = d / "zones.geojson"
    p.write_bytes(p.read_bytes()[:100])


# mapping.toml.
MAPPINGS = {
    "section_not_table": ("parcels = 1", "parcels"),
    "columns_not_table": ('[parcels]\ncolumns = "x"', "parcels.columns"),
    "column_number": ("[parcels.columns]\nparcel_id = 5", "parcel_id"),
    "column_without_name": ('[parcels.columns]\nparcel_id = { unit = "m2" }', "parcel_id"),
    "source_number": ("[parcels]\nsource = 5", "source"),
    "assume_crs_number": ("[parcels]\nassume_crs = 4549", "assume_crs"),
    "values_not_table": ('[parcels.values]\nland_use = "x"', "parcels.values.land_use"),
    "unit_number": (
        '[parcels.columns]\nregistered_area_m2 = { column = "a", unit = 3 }',
        "registered_area_m2",
    ),
    "unit_unknown": (
        '[parcels.columns]\nregistered_area_m2 = { column = "a", unit = "acre" }',
        "registered_area_m2",
    ),
    "unit_on_unitless": (
        '[parcels.columns]\nparcel_id = { column = "a", unit = "m2" }',
        "parcel_id",
    ),
    "unknown_layer": ('[lots]\nsource = "x.shp"', "lots"),
    "unknown_key": ('[parcels]\nsorce = "x.shp"', "sorce"),
    "invalid_toml": ("[parcels\nsource = ", "TOML"),
    "control_char_column": ('[parcels.columns]\nparcel_id = "id\\u0007"', "parcel_id"),
    "value_table_nested": ('[parcels.values.land_use]\n"06" = { a = 1 }', "land_use"),
    "column_extra_key": ('[parcels.columns]\nparcel_id = { column = "a", x = 1 }', "parcel_id"),
    "source_vsicurl": ('[parcels]\nsource = "/vsicurl/http://127.0.0.1:9/p.geojson"', "vsicurl"),
}
for key, (text, label) in MAPPINGS.items():

    @case(f"mapping_{key}", "mapping.toml", label)
    def _mapping(d: Path, text: str = text) -> None:
        (d / "parcels" / "mapping.toml").write_text(text, encoding="utf-8")


@case("mapping_gbk_missing_column", "mapping.toml", "parcel_id")
def _mapping_gbk(d: Path) -> None:
    (d / "parcels" / "mapping.toml").write_bytes(
        '[parcels.columns]\nparcel_id = "宗地"\n'.encode("gbk")
    )


@case("mapping_nested_too_deep", "mapping.toml", "嵌套过深")
def _mapping_deep(d: Path) -> None:
    (d / "parcels" / "mapping.toml").write_text("a = " + "[" * 50_000 + "]" * 50_000)


@case("mapping_huge", "mapping.toml", "过大")
def _mapping_huge(d: Path) -> None:
    (d / "parcels" / "mapping.toml").write_text("# " + "x" * (2 << 20) + "\n")


@case("rules_nested_too_deep", "rules.toml", "嵌套过深")
def _rules_deep(d: Path) -> list[str]:
    (d / "rules.toml").write_text("a = " + "{b = " * 50_000 + "1" + "}" * 50_000)
    return ["--rules", str(d / "rules.toml")]


@case("mapping_undecodable", "mapping.toml", "UTF-8")
def _mapping_bytes(d: Path) -> None:
    (d / "parcels" / "mapping.toml").write_bytes(b'[parcels]\nsource = "\xff\xfe\x80"\n')


@case("mapping_source_is_vrt", "p.geojson", "GeoJSON")
def _mapping_vrt(d: Path) -> None:
    (d / "parcels" / "p.geojson").write_bytes(_vrt("CSV:/etc/passwd"))
    (d / "parcels" / "mapping.toml").write_text('[parcels]\nsource = "p.geojson"\n', "utf-8")


# Rules files.
RULES = {
    "negative_weight": ("[evaluation.weights.above_scale]\ntax_per_mu = -30.0", "tax_per_mu"),
    "all_zero_weights": (
        "[evaluation.weights.below_scale]\ntax_per_mu = 0.0\ntax_per_kwh = 0.0",
        "below_scale",
    ),
    "nan_weight": ("[evaluation.weights.above_scale]\nrd_ratio = nan", "rd_ratio"),
    "share_above_one": ("[evaluation]\nclass_shares = [0.2, 0.6, 1.5]", "class_shares"),
    "shares_decreasing": ("[evaluation]\nclass_shares = [0.6, 0.2, 0.95]", "class_shares"),
    "share_zero": ("[evaluation]\nclass_shares = [0.0, 0.5, 0.9]", "class_shares"),
    "shares_equal": ("[evaluation]\nclass_shares = [0.2, 0.2, 0.9]", "class_shares"),
    "score_cap_nan": ("[evaluation]\nscore_cap = nan", "score_cap"),
    "score_cap_zero": ("[evaluation]\nscore_cap = 0.0", "score_cap"),
    "score_cap_inf": ("[evaluation]\nscore_cap = inf", "score_cap"),
    "benchmark_zero": ("[evaluation.fixed_benchmarks]\ntax_per_mu = 0.0", "tax_per_mu"),
    "benchmark_negative": ("[evaluation.fixed_benchmarks]\ntax_per_mu = -1.0", "tax_per_mu"),
    "benchmark_inf": ("[evaluation.fixed_benchmarks]\ntax_per_mu = inf", "tax_per_mu"),
    "threshold_nan": ("[idle]\nnot_started_years = nan", "not_started_years"),
    "threshold_minus_inf": ("[inefficient]\ntax_per_mu_below = -inf", "tax_per_mu_below"),
    "share_threshold_5": ("[measure]\narea_mismatch_share = 5.0", "area_mismatch_share"),
    "negative_far": ("[densify]\ntarget_far_mid = -1.0", "target_far_mid"),
    "negative_int": ("[relocation]\nmax_site_parcels = -1", "max_site_parcels"),
    "unknown_key": ("[densify]\nmin_extra = 1", "densify.min_extra"),
    "wrong_type": ('[evaluation]\nscore_cap = "1.5"', "score_cap"),
    "invalid_toml": ("[evaluation\nscore_cap = 1", "TOML"),
    "min_far_nan": ('[land.min_far_by_industry]\n"39" = nan', "39"),
}
for key, (text, label) in RULES.items():

    @case(f"rules_{key}", "rules.toml", label)
    def _rules(d: Path, text: str = text) -> list[str]:
        (d / "rules.toml").write_text(text, encoding="utf-8")
        return ["--rules", str(d / "rules.toml")]


@case("rules_gbk_bad_value", "rules.toml", "score_cap")
def _rules_gbk(d: Path) -> list[str]:
    (d / "rules.toml").write_bytes("# 规则\n[evaluation]\nscore_cap = -2.0\n".encode("gbk"))
    return ["--rules", str(d / "rules.toml")]


@case("rules_undecodable", "rules.toml", "UTF-8")
def _rules_bytes(d: Path) -> list[str]:
    (d / "rules.toml").write_bytes(b"# \xff\xfe\x80\n[evaluation]\nscore_cap = 2.0\n")
    return ["--rules", str(d / "rules.toml")]


@case("rules_missing_file", "nothere.toml")
def _rules_missing(d: Path) -> list[str]:
    return ["--rules", str(d / "nothere.toml")]


# Options.
for opt, value in (("--as-of", "9999-12-31"), ("--as-of", "1600-01-01"), ("--year", "99999")):

    @case(f"option_{opt}_{value}", opt, codes=(2,))
    def _opt(d: Path, opt: str = opt, value: str = value) -> list[str]:
        return [opt, value]


# Movers of a relocation plan (python -m lcgis plan).
for column, value in (("need_mu", "inf"), ("need_mu", "1e400"), ("industry_code", "abc")):

    @case(f"movers_{column}_{value}", "movers.csv", column, command="plan")
    def _mov(d: Path, column: str = column, value: str = value) -> None:
        _csv_with(_movers(), column, 0, value).to_csv(d / "movers.csv", index=False)


@case("movers_xls", "movers.xls", ".xlsx", command="plan")
def _mov_xls(d: Path) -> list[str]:
    (d / "movers.xls").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    return ["--movers", str(d / "movers.xls")]


@case("movers_xlsx_formula", "movers.xlsx", "need_mu", command="plan")
def _mov_formula(d: Path) -> list[str]:
    _xlsx(d / "movers.xlsx", [["mover_id", "name", "need_mu", "industry_code"],
                              ["M1", "丙", "=B2*3", "3911"]])  # fmt: skip
    return ["--movers", str(d / "movers.xlsx")]


@case("movers_nul_bytes", "movers.csv", command="plan")
def _mov_nul(d: Path) -> None:
    p = d / "movers.csv"
    p.write_bytes(p.read_bytes().replace("丙".encode(), b"\x00"))


@case("free_list_undecodable", "free.txt", "--free", command="plan")
def _free(d: Path) -> list[str]:
    (d / "free.txt").write_bytes(b"P1\n\xff\xfe\x80\n")
    return ["--free", str(d / "free.txt")]


# --- running ----------------------------------------------------------------------------------


def _args(c: Case, d: Path, out: Path, extra: list[str]) -> list[str]:
    if c.command == "validate":
        return ["validate", str(d), *extra]
    movers = [] if "--movers" in extra else ["--movers", str(d / "movers.csv")]
    tail = ["--out", str(out), *AS_OF]
    if c.command == "plan":
        return ["plan", str(d), *movers, *tail, *extra]
    return ["evaluate", str(d), *tail, *extra]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 100, len(CASES)
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_hostile_input_is_refused(
    c: Case, template: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "data"
    shutil.copytree(template, d)
    for k, v in c.env.items():
        monkeypatch.setenv(k, v)
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / ("plan.xlsx" if c.command == "plan" else "result.xlsx")
    keep = CASES.index(c) % 2 == 1  # half the cases have an earlier OUT that must survive
    if keep:
        out.write_bytes(SENTINEL)
    extra = c.make(d)
    try:
        rc = main(_args(c, d, out, extra))
    except SystemExit as exc:  # argparse errors
        rc = int(exc.code or 0)
    stdout, stderr = capsys.readouterr()
    text = stdout + stderr
    assert rc in c.codes, text
    assert "Traceback" not in text
    assert CJK.search(text), text
    for name in c.names:
        assert name in text, f"{name!r} not named in:\n{text}"
    assert sorted(p.name for p in outdir.iterdir()) == (["plan.xlsx"] if keep and
        c.command == "plan" else ["result.xlsx"] if keep else [])  # fmt: skip
    if keep:
        assert out.read_bytes() == SENTINEL
    assert not (Path(tempfile.gettempdir()) / ESCAPE).exists()
    assert not Path("/" + ESCAPE).exists()


# --- bombs, under a memory ceiling ------------------------------------------------------------

CEILING = 1536 * 2**20  # 1.5 GB of address space for the whole child process


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CEILING, CEILING))


def _run_limited(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    env.pop("LCGIS_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "lcgis", *map(str, args)],
        preexec_fn=_limited,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def _bomb_zip(path: Path) -> Path:
    """The attack as found: a few-MB zip that really inflates to 8 GB (4 × 2 GB of zeros).

    One 16 MB block of zeros is deflated once and ended by a full flush, so that its bytes
    can be repeated; the members' CRC is that of 2 GB of zeros.
    """
    chunk = bytes(1 << 24)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    part = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    body = part * 128 + b"\x03\x00"  # 128 × 16 MB, then an empty final block
    crc = 0
    for _ in range(128):
        crc = zlib.crc32(chunk, crc)
    size = 128 * len(chunk)
    out, central = bytearray(), bytearray()
    for i in range(4):
        name = f"parcels{i}.dbf".encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc,
                           len(body), size, len(name), 0)  # fmt: skip
        out += name + body
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                               len(body), size, len(name), 0, 0, 0, 0, 0, offset)  # fmt: skip
        central += name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 4, 4, len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def test_bomb_zip_of_8_gb_refused_within_memory_ceiling(tmp_path: Path) -> None:
    bomb = _bomb_zip(tmp_path / "parcels.zip")
    assert bomb.stat().st_size < 20 * 2**20
    with zipfile.ZipFile(bomb) as zf:
        assert sum(i.file_size for i in zf.infolist()) >= 8 * 2**30
    out = tmp_path / "r.xlsx"
    r = _run_limited("evaluate", "--parcels", bomb, "--out", out, *AS_OF)
    text = r.stdout + r.stderr
    assert r.returncode == 1, text
    assert "Traceback" not in text and "MemoryError" not in text
    assert "parcels.zip" in text and ("过大" in text or "压缩比" in text)
    assert not out.exists()


def test_ratio_bomb_refused_within_memory_ceiling(tmp_path: Path) -> None:
    bomb = tmp_path / "parcels.zip"
    _deflated_zeros(bomb, "parcels.dbf", 256 * 2**20)
    r = _run_limited("validate", "--parcels", bomb)
    text = r.stdout + r.stderr
    assert r.returncode == 1 and "Traceback" not in text
    assert "parcels.zip" in text and "parcels.dbf" in text and "压缩比" in text


def test_nested_bomb_refused_within_memory_ceiling(tmp_path: Path) -> None:
    inner = tmp_path / "inner.zip"
    _deflated_zeros(inner, "parcels.shp", 256 * 2**20)
    outer = _zip(tmp_path / "parcels.zip", {"inner.zip": inner.read_bytes()}, zipfile.ZIP_STORED)
    r = _run_limited("validate", "--parcels", outer)
    text = r.stdout + r.stderr
    assert r.returncode == 1 and "Traceback" not in text
    assert "parcels.zip" in text and "inner.zip" in text and "压缩比" in text


def test_lying_sizes_are_streamed_not_expanded(tmp_path: Path) -> None:
    """Headers claim 1 KB, the data inflates to 256 MB: unpacking stops at the claim."""
    bomb = tmp_path / "parcels.zip"
    _deflated_zeros(bomb, "parcels.dbf", 256 * 2**20)
    bomb.write_bytes(_patch_zip(bomb.read_bytes(), file_size=1024))
    r = _run_limited("validate", "--parcels", bomb)
    text = r.stdout + r.stderr
    assert r.returncode == 1 and "Traceback" not in text
    assert "parcels.zip" in text and "损坏" in text


def test_xlsx_bomb_refused_within_memory_ceiling(template: Path, tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "enterprises.xlsx", [["credit_code", "name"], [C1, "甲"]])
    with zipfile.ZipFile(p) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        b"</sheetData>", b"</sheetData>" + b" " * (200 * 2**20)
    )
    _zip(p, parts)
    r = _run_limited("validate", "--parcels", template / "parcels" / "parcels.gpkg",
                     "--enterprises", p)  # fmt: skip
    text = r.stdout + r.stderr
    assert r.returncode == 1 and "Traceback" not in text
    assert "enterprises.xlsx" in text and "压缩比" in text


# --- accepted, but nothing in the exports may act -----------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=2"]


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/"))


def _hostile_texts(d: Path) -> None:
    gdf = _parcels()
    gdf = pd.concat([gdf] * 3, ignore_index=True)
    gdf["parcel_id"] = ["=1+1", "P\x07\x1b2", "+P3", "-P4", "@P5", "\tP6"]
    gdf["land_user"] = FORMULAS
    gdf["geometry"] = [rect(110 * i, 0, 100, 100) for i in range(6)]
    gpd.GeoDataFrame(gdf, crs=4549).to_file(d / "parcels" / "parcels.gpkg")
    e = _enterprises()
    e["name"] = ["=cmd|' /C calc'!A0", "乙\x1f\u202e公司"]
    e.to_csv(d / "parcels" / "enterprises.csv", index=False)
    o = _occupancy()
    o["parcel_id"] = ["=1+1", "P\x07\x1b2"]
    o.to_csv(d / "parcels" / "occupancy.csv", index=False)


def test_formula_and_control_text_is_inert_in_every_export(
    template: Path, tmp_path: Path, capsys
) -> None:
    d = tmp_path / "data"
    shutil.copytree(template, d)
    _hostile_texts(d)
    outs = {ext: tmp_path / f"r{ext}" for ext in (".xlsx", ".csv", ".gpkg", ".geojson")}
    for out in outs.values():
        assert main(["evaluate", str(d), "--out", str(out), *AS_OF]) == 0, capsys.readouterr()
    text = "".join(capsys.readouterr())
    assert "Traceback" not in text
    xml = _sheet_xml(outs[".xlsx"])
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere
    wb = openpyxl.load_workbook(outs[".xlsx"])
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    risky = [
        c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))
    ]
    assert {c.value for c in risky} >= {"=1+1", "+P3", "-P4", "@P5", "=cmd|' /C calc'!A0"}
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)
    shown = [c.value for c in cells if isinstance(c.value, str)]
    assert not any(re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", v) for v in shown)
    assert "P2" in shown and "乙公司" in shown  # control characters removed, text kept
    csv = pd.read_csv(outs[".csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert set(csv["parcel_id"]) == {"'=1+1", "P2", "'+P3", "'-P4", "'@P5", "P6"}
    texts = csv[["parcel_id", "land_user"]].to_numpy().ravel()
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in texts)
    ents = pyogrio.read_dataframe(outs[".gpkg"], layer="enterprises")
    assert sorted(ents["name"]) == sorted(["=cmd|' /C calc'!A0", "乙公司"])
    gj = gpd.read_file(outs[".geojson"])
    assert "P2" in set(gj["parcel_id"])
    report = pd.read_excel(outs[".xlsx"], sheet_name="数据质量", dtype=str)
    warned = report[report["问题类型"] == issue_label("control_characters")]
    fields = {f.rsplit("(", 1)[-1].rstrip(")") for f in warned["字段"]}  # "宗地编号(parcel_id)"
    assert {"parcel_id", "name"} <= fields and len(warned) >= 2


def test_plan_and_sensitivity_exports_are_inert(template: Path, tmp_path: Path, capsys) -> None:
    d = tmp_path / "data"
    shutil.copytree(template, d)
    m = _movers()
    m["name"] = ['=HYPERLINK("http://x")']
    m.to_csv(d / "movers.csv", index=False)
    plan_x, plan_c = tmp_path / "plan.xlsx", tmp_path / "plan.csv"
    for out in (plan_x, plan_c):
        rc = main(["plan", str(d), "--movers", str(d / "movers.csv"), "--out", str(out), *AS_OF])
        assert rc == 0, capsys.readouterr()
    assert "<f>" not in _sheet_xml(plan_x)
    names = pd.read_csv(plan_c, encoding="utf-8-sig", dtype=str)["name"].tolist()
    assert names == ['\'=HYPERLINK("http://x")']
    e = _enterprises()
    e["name"] = ["=1+2", "-3"]
    e.to_csv(d / "parcels" / "enterprises.csv", index=False)
    sens = tmp_path / "sens.xlsx"
    assert main(["sensitivity", str(d), "--out", str(sens), *AS_OF]) == 0
    assert "<f>" not in _sheet_xml(sens)


def _big5_parcels() -> gpd.GeoDataFrame:
    gdf = _parcels()
    gdf["land_user"] = ["鯉城電子有限公司", "泉州紡織鞋服廠"]
    return gdf


@pytest.mark.parametrize("cpg", [None, "950", "BIG5"])
def test_big5_shapefile_reads_right(tmp_path: Path, cpg: str | None) -> None:
    from lcgis.data.io import read_dataset

    path = tmp_path / "parcels.shp"
    pyogrio.write_dataframe(_big5_parcels(), path, encoding="cp950")
    assert "鯉城".encode("big5") in path.with_suffix(".dbf").read_bytes()
    path.with_suffix(".cpg").unlink(missing_ok=True)
    raw = bytearray(path.with_suffix(".dbf").read_bytes())
    raw[29] = 0  # no language driver id either: only the bytes tell
    path.with_suffix(".dbf").write_bytes(bytes(raw))
    if cpg:
        path.with_suffix(".cpg").write_text(cpg)
    ds = read_dataset(parcels=path)
    assert not ds.report.has_errors, ds.report.format()
    assert ds.parcels["land_user"].tolist() == ["鯉城電子有限公司", "泉州紡織鞋服廠"]


def test_big5_csv_and_gbk_mapping_and_rules_are_read(
    template: Path, tmp_path: Path, capsys
) -> None:
    d = tmp_path / "data"
    shutil.copytree(template, d)
    e = _enterprises()
    e["name"] = ["鯉城電子有限公司", "泉州紡織鞋服廠"]
    e.rename(columns={"credit_code": "統一社會信用代碼"}).to_csv(
        d / "parcels" / "enterprises.csv", index=False, encoding="big5"
    )
    (d / "parcels" / "mapping.toml").write_bytes(
        '# 字段映射\n[enterprises.columns]\ncredit_code = "統一社會信用代碼"\n'.encode("big5")
    )
    (d / "rules.toml").write_bytes("# 规则：封顶\n[evaluation]\nscore_cap = 2.0\n".encode("gbk"))
    out = tmp_path / "r.gpkg"
    rc = main(["evaluate", str(d), "--rules", str(d / "rules.toml"), "--out", str(out), *AS_OF])
    assert rc == 0, capsys.readouterr()
    ents = pyogrio.read_dataframe(out, layer="enterprises")
    assert sorted(ents["name"]) == sorted(["鯉城電子有限公司", "泉州紡織鞋服廠"])


def test_blank_column_and_odd_codes_are_accepted_with_warnings(
    template: Path, tmp_path: Path, capsys
) -> None:
    d = tmp_path / "data"
    shutil.copytree(template, d)
    rows = [["credit_code", "name", "year", "industry_code", "tax_wan", "energy_tce"],
            [C1, "甲", 2025, "39-11", 150, None], [C2, "乙", 2025, "1811", 30, None]]  # fmt: skip
    _ent_xlsx(d, rows)
    out = tmp_path / "r.xlsx"
    assert main(["evaluate", str(d), "--out", str(out), *AS_OF]) == 0
    text = "".join(capsys.readouterr())
    assert "Traceback" not in text
    report = pd.read_excel(out, sheet_name="数据质量", dtype=str)
    bad = report[report["问题类型"] == issue_label("bad_industry_code")]
    assert bad["文件"].tolist() == ["enterprises.xlsx"] and bad["行号"].tolist() == ["2"]


def test_gdal_keeps_only_the_drivers_lcgis_reads() -> None:
    from lcgis.data.guard import KEPT_DRIVERS, restrict_gdal_drivers

    assert restrict_gdal_drivers()
    assert set(pyogrio.list_drivers()) <= KEPT_DRIVERS
    assert {"OGR_VRT", "GDALG", "PDS4", "CSV", "SQLite", "LIBKML"}.isdisjoint(
        pyogrio.list_drivers()
    )


def test_review_export_keeps_notes_as_text(tmp_path: Path) -> None:
    from argon2 import PasswordHasher

    from lcgis.review import ReviewStore

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with ReviewStore(f"sqlite:///{tmp_path / 'review.sqlite'}", hasher=fast) as store:
        user = store.add_user("reviewer1", "r-secret", "reviewer")
        kw = {"dataset": "hostile", "by": user, "status": "核查中"}
        store.set_review("=P1", note='=HYPERLINK("http://x")\x07', **kw)
        store.set_review("P2", note="@SUM(A1)", **kw)
        out = store.export_xlsx(tmp_path / "review.xlsx", dataset="hostile")
    assert "<f>" not in _sheet_xml(out)
    wb = openpyxl.load_workbook(out)
    notes = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "@"))}  # fmt: skip
    assert {'=HYPERLINK("http://x")', "@SUM(A1)", "=P1"} <= notes
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.quotePrefix for c in cells if c.value in notes)


def test_small_highly_packed_members_are_accepted(tmp_path: Path) -> None:
    """A padded .dbf packs far beyond 100 times; below 16 MB the ratio cap does not apply."""
    from lcgis.data.io import read_dataset

    members = _shapefile_members(_parcels(), "parcels")
    members["readme.txt"] = b" " * (8 * 2**20)  # packs about 1000 times
    ds = read_dataset(parcels=_zip(tmp_path / "parcels.zip", members))
    assert not ds.report.has_errors, ds.report.format()
    assert ds.parcels["parcel_id"].tolist() == ["P1", "P2"]
