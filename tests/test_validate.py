"""Each validation rule: the right level, file, rows, field and a fix, in Chinese."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lcgis.data.io import read_dataset
from lcgis.data.validate import (
    QualityReport,
    _convex_polygons,
    check_geometries,
    credit_code_check_char,
    credit_code_valid,
    is_valid,
)
from lcgis.engine.pipeline import measure
from lcgis.rules import load_rules
from tests.conftest import code, rect

if TYPE_CHECKING:
    from pathlib import Path


def _write(tmp_path: Path, gdf: gpd.GeoDataFrame, name: str = "parcels.gpkg") -> Path:
    path = tmp_path / name
    gdf.to_file(path)
    return path


def _codes(ds) -> list[tuple[str, str]]:
    return [(i.level, i.code) for i in ds.report.issues]


def _parcels(**cols) -> gpd.GeoDataFrame:
    base = {"parcel_id": ["A", "B"]}
    base.update(cols)
    return gpd.GeoDataFrame(base, geometry=[rect(0, 0, 100, 100), rect(100, 0, 50, 50)], crs=4549)


def test_layer_without_crs_is_an_error_unless_assumed(tmp_path: Path) -> None:
    gdf = _parcels()
    path = tmp_path / "parcels.shp"
    gdf.to_file(path)
    path.with_suffix(".prj").unlink()
    ds = read_dataset(parcels=path)
    assert _codes(ds) == [("error", "no_crs")]
    issue = ds.report.errors[0]
    assert issue.file == "parcels.shp" and "assume_crs" in issue.fix
    (tmp_path / "m.toml").write_text('[parcels]\nassume_crs = "EPSG:4549"\n', encoding="utf-8")
    ds = read_dataset(parcels=path, mapping=tmp_path / "m.toml")
    assert not ds.report.issues
    assert ds.parcels.geometry.area.round(3).tolist() == [10000.0, 2500.0]


def test_lonlat_numbers_in_a_projected_crs(tmp_path: Path) -> None:
    gdf = _parcels().to_crs(4326).set_crs(4549, allow_override=True)
    ds = read_dataset(parcels=_write(tmp_path, gdf))
    assert _codes(ds) == [("error", "crs_mismatch")]
    assert "经纬度" in ds.report.errors[0].message


def test_swapped_axes(tmp_path: Path) -> None:
    gdf = _parcels().to_crs(4326)
    swapped = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda c: c[:, ::-1]))
    ds = read_dataset(parcels=_write(tmp_path, swapped, "parcels.geojson"))
    assert _codes(ds) == [("error", "axes_swapped")]


def test_gk_coordinates_with_zone_prefix_declared_without(tmp_path: Path) -> None:
    gdf = _parcels()
    prefixed = gdf.set_geometry(gdf.geometry.translate(xoff=40_000_000))
    ds = read_dataset(parcels=_write(tmp_path, prefixed))
    assert _codes(ds) == [("error", "crs_mismatch")]
    assert "带号" in ds.report.errors[0].fix


def test_invalid_polygon_is_repaired_with_a_warning(tmp_path: Path) -> None:
    bowtie = shapely.Polygon(
        [(355000, 2753500), (355100, 2753600), (355100, 2753500), (355000, 2753600)]
    )
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"]}, geometry=[rect(200, 0, 10, 10), bowtie], crs=4549
    )  # A lies apart from the bowtie (an overlap would be reported too)
    ds = read_dataset(parcels=_write(tmp_path, gdf))
    assert _codes(ds) == [("warning", "invalid_geometry")]
    assert ds.report.warnings[0].rows == (2,)
    assert ds.parcels.geometry.is_valid.all()
    assert ds.parcels.geometry.area.iloc[1] == pytest.approx(5000.0)  # two triangles


def _ring(*points: tuple[float, float]) -> shapely.Polygon:
    return shapely.Polygon(points)


def _not_finite(wkt: str) -> shapely.Geometry:
    with np.errstate(invalid="ignore"):  # GEOS warns of the non-finite coordinate
        return shapely.from_wkt(wkt)


#: Shapes where a fast validity test could go wrong, each with what it is.
EDGE_CASES = {
    "square": shapely.box(0, 0, 1, 1),
    "square clockwise": shapely.box(0, 0, 1, 1, ccw=False),
    "rotated rectangle": shapely.affinity.rotate(shapely.box(0, 0, 3, 1), 17),
    "triangle": _ring((0, 0), (1, 0), (0, 1)),
    "far from the origin": shapely.box(355000.1, 2753500.3, 355000.7, 2753500.9),
    "convex hexagon": shapely.Point(0, 0).buffer(1, quad_segs=2),
    "bow-tie": _ring((0, 0), (1, 1), (1, 0), (0, 1)),
    "pentagram": _ring(*[(np.cos(a), np.sin(a)) for a in np.arange(5) * 4 * np.pi / 5]),
    "heptagram {7/3}": _ring(*[(np.cos(a), np.sin(a)) for a in np.arange(7) * 6 * np.pi / 7]),
    "heptagram {7/2}": _ring(*[(np.cos(a), np.sin(a)) for a in np.arange(7) * 4 * np.pi / 7]),
    "repeated point": _ring((0, 0), (1, 0), (1, 0), (1, 1), (0, 1)),
    "collinear point": _ring((0, 0), (0.5, 0), (1, 0), (1, 1), (0, 1)),
    "spike": _ring((0, 0), (2, 0), (1, 0), (1, 1), (0, 1)),
    "spike back to the start": _ring((0, 0), (1, 0), (1, 1), (0, 1), (0, 2), (0, 1)),
    "flat": _ring((0, 0), (1, 0), (2, 0)),
    "all one point": _ring((1, 1), (1, 1), (1, 1)),
    "nearly collinear": _ring((0, 0), (1, 1e-17), (2, 0), (2, 1), (0, 1)),
    "concave": _ring((0, 0), (2, 0), (1, 0.5), (2, 1), (0, 1)),
    "touching itself": _ring((0, 0), (2, 0), (2, 2), (1, 0), (0, 2)),
    "with a hole": shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2)),
    "hole outside": shapely.Polygon(
        shapely.box(0, 0, 1, 1).exterior, [shapely.box(2, 2, 3, 3).exterior]
    ),
    "multipolygon": shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)]),
    "overlapping multipolygon": shapely.MultiPolygon(
        [shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)]
    ),
    "nan coordinate": _not_finite("POLYGON ((0 0, 1 0, NaN 1, 0 1, 0 0))"),
    "infinite coordinate": _not_finite("POLYGON ((0 0, 1 0, Inf 1, 0 1, 0 0))"),
    "empty polygon": shapely.Polygon(),
    "line": shapely.LineString([(0, 0), (1, 1)]),
    "point": shapely.Point(0, 0),
    "missing": None,
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_is_valid_matches_shapely_on_edge_cases(name: str) -> None:
    geoms = np.array([EDGE_CASES[name]], dtype=object)
    assert is_valid(geoms).tolist() == shapely.is_valid(geoms).tolist()


def test_convex_fast_path_proves_only_simple_convex_polygons() -> None:
    geoms = np.array(list(EDGE_CASES.values()), dtype=object)
    counts, types = shapely.get_num_coordinates(geoms), shapely.get_type_id(geoms)
    proven = dict(zip(EDGE_CASES, _convex_polygons(geoms, counts, types).tolist(), strict=True))
    fast = {"square", "square clockwise", "rotated rectangle", "triangle"}
    fast |= {"far from the origin", "convex hexagon"}
    assert {name for name, yes in proven.items() if yes} == fast


def test_is_valid_matches_shapely_on_random_polygons() -> None:
    rng = np.random.default_rng(7)
    shapes = []
    for n in (3, 4, 5, 6, 8):
        points = rng.integers(0, 4, size=(3000, n, 2)).astype(float)  # many collinear
        shapes += [shapely.Polygon(p) for p in points]
        points = 355000 + rng.random((3000, n, 2)) * 1e-6  # tiny, far from the origin
        shapes += [shapely.Polygon(p) for p in points]
        hulls = shapely.convex_hull(shapely.multipoints(rng.random((3000, n, 2))))
        shapes += list(hulls)
        angles = np.sort(rng.random((3000, n)) * 2 * np.pi, axis=1)
        angles *= rng.integers(1, 3, size=(3000, 1))  # some wind twice
        shapes += [shapely.Polygon(np.c_[np.cos(a), np.sin(a)]) for a in angles]
    rects = shapely.box(0, 0, 0.01 + rng.random(3000), 0.01 + rng.random(3000))
    turns = rng.random(3000) * 360
    shapes += [shapely.affinity.rotate(r, a) for r, a in zip(rects, turns, strict=True)]
    geoms = np.array(shapes, dtype=object)
    geoms = geoms[rng.permutation(len(geoms))]
    expected = shapely.is_valid(geoms)
    assert 0 < expected.sum() < len(geoms)
    assert (is_valid(geoms) == expected).all()


#: Empty shapes of every kind, and shapes with empty parts that are not empty.
EMPTY_CASES = [
    "POLYGON EMPTY",
    "MULTIPOLYGON EMPTY",
    "MULTIPOLYGON (EMPTY, ((0 0, 1 0, 1 1, 0 0)))",
    "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), EMPTY)",
    "GEOMETRYCOLLECTION EMPTY",
    "GEOMETRYCOLLECTION (POINT EMPTY)",
    "GEOMETRYCOLLECTION (POLYGON EMPTY, LINESTRING EMPTY)",
    "POINT EMPTY",
    "LINESTRING EMPTY",
    "MULTIPOINT (EMPTY, (1 1))",
]


def test_check_geometries_flags_exactly_the_missing_and_empty_shapes() -> None:
    """check_geometries tells empty shapes by their number of coordinates: the same rows as
    shapely.is_empty (a polygon may not have an empty shell with holes)."""
    with pytest.raises(shapely.errors.GEOSException, match="shell is empty"):
        shapely.from_wkt("POLYGON (EMPTY, (0 0, 1 0, 1 1, 0 0))")
    finite = [g for name, g in EDGE_CASES.items() if "coordinate" not in name]  # repairable
    shapes = [*shapely.from_wkt(EMPTY_CASES), *finite]
    geom = np.array(shapes, dtype=object)
    report = QualityReport()
    check_geometries(
        gpd.GeoDataFrame(geometry=geom, crs=4549), "parcels", "p", report, polygons=False
    )
    flagged = [i.rows for i in report.issues if i.code == "empty_geometry"]
    expected = np.flatnonzero(shapely.is_missing(geom) | shapely.is_empty(geom)) + 1
    assert flagged == [tuple(expected.tolist())]


def test_check_geometries_says_which_checked_shapes_are_usable() -> None:
    """The mask handed to check_overlaps equals present-and-valid asked of the checked layer
    (repaired shapes included), as check_overlaps would work it out on its own."""
    shapes = [g for name, g in EDGE_CASES.items() if "coordinate" not in name]  # GEOS refuses
    gdf = gpd.GeoDataFrame(geometry=shapes, crs=4549)  # to repair non-finite coordinates
    checked, usable = check_geometries(gdf, "parcels", "p.gpkg", QualityReport(), polygons=True)
    geom = np.asarray(checked.geometry.array, dtype=object)
    expected = ~(shapely.is_missing(geom) | shapely.is_empty(geom)) & shapely.is_valid(geom)
    assert usable.tolist() == expected.tolist()
    assert not usable.all() and usable.any()


def test_empty_and_non_polygon_parcels_are_errors(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B", "C"]},
        geometry=[
            rect(0, 0, 10, 10),
            shapely.Polygon(),
            shapely.LineString([(355000, 2753500), (355010, 2753500)]),
        ],
        crs=4549,
    )
    gdf.to_file(tmp_path / "parcels.geojson")
    ds = read_dataset(parcels=tmp_path / "parcels.geojson")
    errors = {(i.code, i.rows) for i in ds.report.errors}
    assert ("not_polygon", (3,)) in errors
    assert ("empty_geometry", (2,)) in errors


def test_duplicate_parcel_id(tmp_path: Path) -> None:
    gdf = _parcels()
    gdf["parcel_id"] = ["A", "A"]
    ds = read_dataset(parcels=_write(tmp_path, gdf))
    [issue] = ds.report.errors
    assert (issue.code, issue.rows, issue.field) == ("duplicate_id", (1, 2), "parcel_id")


def test_negative_area_and_money(tmp_path: Path) -> None:
    gdf = _parcels(registered_area_m2=[100.0, -5.0], land_price_wan=[-1.0, 10.0])
    ds = read_dataset(parcels=_write(tmp_path, gdf))
    found = {(i.code, i.field, i.rows) for i in ds.report.errors}
    assert found == {
        ("negative_value", "registered_area_m2", (2,)),
        ("negative_value", "land_price_wan", (1,)),
    }


def test_credit_code_check_character() -> None:
    # a code built by hand: the weighted sum of 91350502MA2Y8RXK3 is 213, 213 mod 31 = 27,
    # 31 - 27 = 4 -> check character '4'
    assert credit_code_check_char("91350502MA2Y8RXK3") == "4"
    assert credit_code_valid("91350502MA2Y8RXK34")
    assert not credit_code_valid("91350502MA2Y8RXK35")
    assert not credit_code_valid("91350502MA2Y8RXK3")  # 17 characters
    assert not credit_code_valid("91350502MA2Y8RXKI4")  # I is not in the code set


def test_invalid_credit_code_is_a_warning(tmp_path: Path) -> None:
    _write(tmp_path, _parcels())
    good = code("91350502MA0000001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    pd.DataFrame({"credit_code": [good, bad], "name": ["甲", "乙"]}).to_csv(
        tmp_path / "e.csv", index=False
    )
    ds = read_dataset(parcels=tmp_path / "parcels.gpkg", enterprises=tmp_path / "e.csv")
    [issue] = ds.report.issues
    assert (issue.level, issue.code, issue.rows, issue.field) == (
        "warning",
        "credit_code_invalid",
        (3,),
        "credit_code",
    )
    assert "GB 32100-2015" in issue.message


def test_area_mismatch_warning(tmp_path: Path) -> None:
    gdf = _parcels(registered_area_m2=[10400.0, 2700.0])  # +4 % fine, +8 % reported
    ds = read_dataset(parcels=_write(tmp_path, gdf))
    rep = QualityReport()
    p = measure(ds, load_rules(), rep)
    assert p["area_mismatch"].tolist() == [False, True]
    [issue] = rep.issues
    assert (issue.code, issue.rows) == ("area_mismatch", (2,))


def test_parcel_outside_every_zone_warns(toy: Path) -> None:
    ds = read_dataset(toy)
    ds.zones = ds.zones.set_geometry(ds.zones.geometry.translate(xoff=-1000))
    rep = QualityReport()
    p = measure(ds, load_rules(), rep)
    assert p["zone_id"].isna().all()
    assert [i.code for i in rep.issues] == ["outside_zones"]


def test_report_text_is_chinese_and_complete(tmp_path: Path) -> None:
    gdf = _parcels()
    gdf["parcel_id"] = ["A", "A"]
    ds = read_dataset(parcels=_write(tmp_path, gdf))
    text = ds.report.format()
    assert text.splitlines()[0] == "数据检查：1 个错误，0 个警告"
    assert "parcels.gpkg 第1、2行 字段 parcel_id" in text and "处理：" in text
