"""Measurement on synthetic shapes with exact answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lcgis.data.crs import geodesic_area_m2, working_crs_for
from lcgis.data.io import read_dataset
from lcgis.data.validate import QualityReport
from lcgis.engine import metrics
from lcgis.engine.pipeline import measure
from lcgis.rules import load_rules
from tests.conftest import X0, Y0, rect


def test_ten_mu_box_in_cgcs2000_gk() -> None:
    box = gpd.GeoSeries([rect(0, 0, 100, 66.6667)], crs=4549)
    assert metrics.to_mu(metrics.geom_area_m2(box)).iloc[0] == pytest.approx(10.0, abs=1e-4)


def test_refuses_degrees_and_web_mercator() -> None:
    box = gpd.GeoSeries([rect(0, 0, 100, 100)], crs=4549)
    with pytest.raises(ValueError):
        metrics.geom_area_m2(box.to_crs(4326))
    with pytest.raises(ValueError):
        metrics.geom_area_m2(box.to_crs(3857))


def test_same_areas_from_4326_and_4549(tmp_path) -> None:
    shapes = [rect(0, 0, 100, 66.6667), rect(300, 0, 250, 180), rect(0, 500, 37, 91)]
    gdf = gpd.GeoDataFrame({"parcel_id": ["a", "b", "c"]}, geometry=shapes, crs=4549)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    gdf.to_file(tmp_path / "a" / "parcels.gpkg")
    gdf.to_crs(4326).to_file(tmp_path / "b" / "parcels.geojson")
    a = read_dataset(parcels=tmp_path / "a" / "parcels.gpkg")
    b = read_dataset(parcels=tmp_path / "b" / "parcels.geojson")
    assert a.crs.to_epsg() == b.crs.to_epsg() == 4549
    area_a = metrics.geom_area_m2(a.parcels.geometry).to_numpy()
    area_b = metrics.geom_area_m2(b.parcels.geometry).to_numpy()
    np.testing.assert_allclose(area_b, area_a, rtol=1e-3)
    np.testing.assert_allclose(area_a, [6666.67, 45000.0, 3367.0], rtol=1e-6)
    # the geodesic cross-check agrees with the Gauss-Krüger areas within 0.1 %
    np.testing.assert_allclose(geodesic_area_m2(a.parcels.geometry), area_a, rtol=1e-3)


def test_working_crs_by_longitude() -> None:
    assert working_crs_for(118.57, 24.88).to_epsg() == 4549  # nearer 120°E than 117°E
    assert working_crs_for(118.40, 24.88).to_epsg() == 4548  # nearer 117°E
    assert working_crs_for(14.42, 50.08).to_epsg() == 32633  # Prague: UTM 33N


def test_building_across_two_parcels_is_split_by_area(toy) -> None:
    ds = read_dataset(toy)
    rep = QualityReport()
    p = measure(ds, load_rules(), rep).set_index("parcel_id")
    # B1 (40 × 20 m, 3 floors) lies half on each parcel; B2 (20 × 10 m, 1 floor) on P1
    assert p.loc["P1", "footprint_area_m2"] == pytest.approx(400 + 200)
    assert p.loc["P1", "floor_area_m2"] == pytest.approx(1200 + 200)
    assert p.loc["P2", "footprint_area_m2"] == pytest.approx(400)
    assert p.loc["P2", "floor_area_m2"] == pytest.approx(1200)
    assert p.loc["P1", "far"] == pytest.approx(0.14)
    assert p.loc["P2", "coverage"] == pytest.approx(0.08)
    assert p.loc["P1", "far_utilization"] == pytest.approx(0.07)
    assert pd.isna(p.loc["P2", "far_utilization"])  # no max_far
    assert p.loc["P1", "land_area_mu"] == pytest.approx(15.0)
    assert list(p["zone_id"]) == ["north", "north"]


def test_parcel_fields_override_buildings(toy) -> None:
    ds = read_dataset(toy)
    ds.parcels["floor_area_m2"] = [5000.0, np.nan]
    p = measure(ds, load_rules(), QualityReport()).set_index("parcel_id")
    assert p.loc["P1", "floor_area_m2"] == 5000.0
    assert p.loc["P1", "far"] == pytest.approx(0.5)
    assert p.loc["P2", "floor_area_m2"] == pytest.approx(1200)


def test_tall_storeys_count_twice_and_assumed_storeys_reported(toy) -> None:
    ds = read_dataset(toy)
    b = ds.buildings.copy()
    b["floors"] = [np.nan, 1.0]
    b["height_m"] = [np.nan, 9.0]  # B2: one storey of 9 m counts twice
    ds.buildings = b
    rep = QualityReport()
    p = measure(ds, load_rules(), rep).set_index("parcel_id")
    # B1 has neither floors nor height: one storey, reported
    assert p.loc["P2", "floor_area_m2"] == pytest.approx(400)
    assert p.loc["P1", "floor_area_m2"] == pytest.approx(400 + 2 * 200)
    assert [i.code for i in rep.issues] == ["storeys_assumed"]
    assert rep.issues[0].rows == (1,)


def test_empty_values_never_zero_or_infinite() -> None:
    p = pd.Series([0.0, np.nan, 100.0])
    assert metrics.far(pd.Series([50.0, 50.0, 50.0]), p).isna().tolist() == [True, True, False]
    assert np.isfinite(metrics.per_mu(pd.Series([1.0, 1.0, 1.0]), p).dropna()).all()


def _parts_by_overlay(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    """The reference of :func:`metrics.building_parts`: every intersecting pair overlaid."""
    bshapes, pshapes = metrics.shapes(buildings.geometry), metrics.shapes(parcels.geometry)
    b, p = parcels.sindex.query(bshapes, predicate="intersects")
    part = shapely.area(shapely.intersection(bshapes[b], pshapes[p]))
    out = pd.DataFrame({"building": b, "parcel": p, "part_m2": part})
    return out[out["part_m2"] > 0].reset_index(drop=True)


def test_building_parts_same_as_overlaying_every_pair() -> None:
    ring = shapely.Polygon(rect(0, 0, 100, 100).exterior, [rect(40, 40, 20, 20).exterior.coords])
    ell = shapely.Polygon([(0, 0), (300, 0), (300, 20), (220, 20), (220, 100), (0, 100)])
    ell = shapely.affinity.translate(ell, 200 + 355000.0, 2753500.0)
    parcels = gpd.GeoDataFrame(
        geometry=[ring, rect(100, 0, 100, 100), ell, rect(100, 0, 100, 100), None,
                  shapely.Polygon(), shapely.MultiPolygon([rect(0, 200, 50, 50),
                                                           rect(60, 200, 50, 50)])],
        crs=4549,
    )  # fmt: skip
    buildings = gpd.GeoDataFrame(
        geometry=[
            rect(10, 10, 20, 20),  # inside the ring
            rect(45, 45, 10, 10),  # in the ring's hole: no part
            rect(30, 45, 20, 10),  # half in the hole
            rect(90, 10, 20, 10),  # across the ring and the duplicated parcel
            rect(200, 0, 10, 10),  # on the ell, touching the second parcel along an edge
            rect(440, 40, 20, 20),  # in the ell's bounding box, outside the ell
            rect(410, 10, 20, 20),  # across the ell's inner corner
            shapely.affinity.rotate(rect(95, 50, 10, 10), 30),  # rotated, across two
            rect(40, 210, 30, 10),  # across the gap between the multipolygon's parts
            rect(0, 500, 10, 10),  # on no parcel
            None,
            shapely.Polygon(),
            rect(10, 10, 20, 20),  # a duplicate
        ],
        crs=4549,
    )
    got = metrics.building_parts(parcels, buildings)
    want = _parts_by_overlay(parcels, buildings)
    pd.testing.assert_frame_equal(got[["building", "parcel"]], want[["building", "parcel"]])
    # the convex pairs are clipped in numpy, more exactly than GEOS, which rounds the points
    # where edges cross to the large coordinates of the working CRS
    np.testing.assert_allclose(got["part_m2"], want["part_m2"], rtol=1e-9)
    whole = shapely.area(metrics.shapes(buildings.geometry))[got["building"]]
    np.testing.assert_allclose(got["share"], got["part_m2"] / whole, rtol=1e-12)


def _polygon(points: list[tuple[float, float]]) -> shapely.Polygon:
    """A polygon of points given relative to the origin point of :func:`rect`."""
    return shapely.affinity.translate(shapely.Polygon(points), X0, Y0)


def _regular(n: int, radius: float, x: float, y: float, turn: float = 0.0) -> shapely.Polygon:
    angles = 2 * np.pi * np.arange(n) / n + turn
    return _polygon(
        list(zip(x + radius * np.cos(angles), y + radius * np.sin(angles), strict=True))
    )


#: Pairs of convex polygons where the clipping could go wrong, by what is special about
#: them, and whether the clipping's area stands (else GEOS measures the pair).
CONVEX_PAIRS = {
    "crossing": (rect(0, 0, 20, 20), rect(10, 5, 30, 10), True),
    "touching along an edge": (rect(0, 0, 10, 10), rect(10, 0, 10, 10), False),
    "touching along part of an edge": (rect(0, 0, 10, 10), rect(10, 2.5, 10, 5), False),
    "sharing part of an edge, overlapping": (rect(0, 0, 20, 10), rect(10, 5, 20, 5), True),
    "touching at a corner": (rect(0, 0, 10, 10), rect(10, 10, 10, 10), False),
    "vertex on an edge, outside": (
        rect(0, 0, 10, 10),
        _polygon([(10, 5), (20, 0), (20, 10)]),
        False,
    ),
    "vertex on an edge, inside": (
        rect(0, 0, 20, 20),
        _polygon([(0, 10), (10, 2), (10, 18)]),
        True,
    ),
    "one inside the other": (rect(0, 0, 100, 100), rect(20, 20, 10, 10), True),
    "the other inside the one": (rect(20, 20, 10, 10), rect(0, 0, 100, 100), True),
    "identical": (rect(0, 0, 30, 20), rect(0, 0, 30, 20), True),
    "identical pentagons": (_regular(5, 7.0, 3, 4, 0.3), _regular(5, 7.0, 3, 4, 0.3), True),
    "disjoint": (rect(0, 0, 10, 10), rect(50, 50, 10, 10), False),
    "disjoint, bounding boxes overlapping": (
        _polygon([(0, 0), (20, 0), (0, 20)]),
        _polygon([(20, 20), (20, 11), (11, 20)]),
        False,
    ),
    "clockwise and counter-clockwise": (rect(0, 0, 20, 20).reverse(), rect(10, 10, 20, 20), True),
    "both clockwise": (rect(0, 0, 20, 20).reverse(), rect(10, 10, 20, 20).reverse(), True),
    "triangles, a star of David": (
        _polygon([(0, 0), (6, 0), (3, 5)]),
        _polygon([(0, 3), (3, -2), (6, 3)]),
        True,
    ),
    "many-sided": (_regular(64, 50.0, 0, 0), _regular(47, 40.0, 30, 10, 0.1), True),
    "many-sided by a triangle": (
        _regular(200, 50.0, 0, 0),
        _polygon([(0, 0), (90, 0), (0, 90)]),
        True,
    ),
    "rotated squares": (
        shapely.affinity.rotate(rect(0, 0, 10, 10), 30),
        shapely.affinity.rotate(rect(5, 5, 10, 10), -17),
        True,
    ),
    "a sliver": (rect(0, 0, 10, 10), rect(9.99999, 0, 10, 10), False),
    "a slanted sliver": (
        _polygon([(0, 0), (10, 0), (10, 3), (0, 10)]),
        _polygon([(0, 10 - 1e-6), (10, 3 - 1e-6), (10, 20)]),
        False,
    ),
    "a slanted shared edge": (
        _polygon([(0, 0), (10, 0), (10, 3), (0, 10)]),
        _polygon([(0, 10), (10, 3), (10, 20)]),
        False,
    ),
    "near the origin": (shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3), True),
    "a sliver near the origin": (shapely.box(0, 0, 10, 10), shapely.box(9.9999, 0, 20, 10), True),
    "a slanted sliver near the origin": (
        shapely.Polygon([(0, 0), (10, 0), (10, 3), (0, 10)]),
        shapely.Polygon([(0, 10 - 1e-4), (10, 3 - 1e-4), (10, 20)]),
        True,
    ),
}


@pytest.mark.parametrize("case", CONVEX_PAIRS.values(), ids=CONVEX_PAIRS.keys())
def test_convex_overlap_area_as_geos(case: tuple[shapely.Polygon, shapely.Polygon, bool]) -> None:
    a, b = (np.array([g], dtype=object) for g in case[:2])
    assert metrics._rings(a).convex.all() and metrics._rings(b).convex.all()
    want = shapely.area(shapely.intersection(a, b))
    area, sure = metrics.convex_overlap_area(a, b)
    assert sure.tolist() == [case[2]]
    got = metrics.overlap_area(a, b)
    if sure[0]:
        np.testing.assert_allclose(area, want, rtol=1e-9, atol=0)
        np.testing.assert_array_equal(got, area)
    else:
        np.testing.assert_array_equal(got, want)


def test_overlap_area_beyond_convex_polygons_by_geos() -> None:
    """Shapes the clipping does not take are measured by GEOS, beside convex pairs."""
    square = rect(0, 0, 10, 10)
    others = [
        _polygon([(0, 0), (30, 0), (30, 2), (2, 2), (2, 30), (0, 30)]),  # not convex
        shapely.Polygon(rect(-5, -5, 20, 20).exterior, [rect(2, 2, 6, 6).exterior.coords]),
        shapely.MultiPolygon([rect(-1, -1, 3, 3), rect(8, 8, 5, 5)]),
        _polygon([(5, 5), (15, 5), (20, 5), (15, 15), (5, 15)]),  # a collinear point
        _polygon([(5, 5), (15, 5), (15, 5), (15, 15), (5, 15)]),  # a repeated point
        shapely.Polygon(),
        None,
        rect(5, 5, 10, 10),
    ]
    a = np.array([square] * len(others) + others, dtype=object)
    b = np.array(others + [square] * len(others), dtype=object)
    want = shapely.area(shapely.intersection(a, b))
    got = metrics.overlap_area(a, b)
    np.testing.assert_allclose(got, np.nan_to_num(want), rtol=1e-12, atol=0)
    bowtie = _polygon([(5, 5), (15, 15), (15, 5), (5, 15)])  # invalid, repaired on reading
    assert not metrics._rings(np.array([*others[:-1], bowtie], dtype=object)).convex.any()


def test_convex_rings_as_validate_tells_them() -> None:
    """The engine's convexity test (on coordinates fetched once) is validate's."""
    from lcgis.data.validate import _convex_polygons

    odd = [
        _polygon([(0, 0), (30, 0), (30, 2), (2, 2), (2, 30), (0, 30)]),
        shapely.Polygon(rect(-5, -5, 20, 20).exterior, [rect(2, 2, 6, 6).exterior.coords]),
        shapely.MultiPolygon([rect(-1, -1, 3, 3)]),
        _polygon([(5, 5), (15, 5), (20, 5), (15, 15), (5, 15)]),
        _polygon([(5, 5), (15, 15), (15, 5), (5, 15)]),
        shapely.Polygon(),
        None,
        shapely.LineString([(0, 0), (1, 1)]),
    ]
    pairs = [g for case in CONVEX_PAIRS.values() for g in case[:2]]
    rng = np.random.default_rng(3)
    shapes = np.array([*odd, *pairs, *_random_convex(rng, 300)], dtype=object)
    counts, types = shapely.get_num_coordinates(shapes), shapely.get_type_id(shapes)
    want = _convex_polygons(shapes, counts, types)
    assert metrics._rings(shapes).convex.tolist() == want.tolist()
    assert want.sum() > len(pairs)


def _random_convex(rng: np.random.Generator, n: int) -> np.ndarray:
    """Convex hulls of random points: of any size, shape, vertex count, turn and direction."""
    out = []
    for _ in range(n):
        points = rng.normal(size=(rng.integers(3, 30), 2)) * rng.uniform(0.5, 50, size=2)
        hull = shapely.convex_hull(shapely.MultiPoint(points + rng.uniform(-30, 30, size=2)))
        hull = shapely.affinity.rotate(hull, rng.uniform(0, 360), origin=(0, 0))
        out.append(hull.reverse() if rng.random() < 0.5 else hull)
    return np.array(out, dtype=object)


def test_convex_overlap_area_of_random_convex_polygons() -> None:
    """Near the origin and far from it (in the working CRS, where GEOS rounds the points
    where edges cross to large coordinates)."""
    rng = np.random.default_rng(7)
    near_a, near_b = _random_convex(rng, 3000), _random_convex(rng, 3000)
    for a, b in ((near_a, near_b), (_far(near_a), _far(near_b))):
        convex = metrics._rings(a).convex & metrics._rings(b).convex
        a, b = a[convex], b[convex]
        want = shapely.area(shapely.intersection(a, b))
        area, sure = metrics.convex_overlap_area(a, b)
        np.testing.assert_allclose(area[sure], want[sure], rtol=1e-9, atol=0)
        assert (want[sure] > 0).all() and sure.sum() > 0.8 * (want > 0).sum() > 1500
        got = metrics.overlap_area(a, b)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)
        assert ((got > 0) == (want > 0)).all()


def _far(shapes: np.ndarray) -> np.ndarray:
    return shapely.transform(shapes, lambda xy: xy + np.array([X0, Y0]))


def test_positions_as_an_index_lookup() -> None:
    ids = pd.Series(["P1", "p1", "", " P1", "宗地2", "P10"], dtype="string").astype(str)
    keys = pd.Series(["P1", None, "宗地2", "", "P1 ", "P1", np.nan, "P10", "X"], dtype=object)
    for text in (ids, ids.astype("string"), pd.concat([ids, pd.Series([None], dtype="str")])):
        want = pd.Index(text).get_indexer(keys.to_numpy())
        assert metrics.positions(keys, text).tolist() == want.tolist()
        assert metrics.positions(keys.astype("string"), text).tolist() == want.tolist()
    assert metrics.positions(keys.iloc[:0], ids).tolist() == []
    assert metrics.positions(keys, ids.iloc[:0]).tolist() == [-1] * len(keys)


def test_zone_by_largest_overlap() -> None:
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["a", "b", "c"]},
        geometry=[rect(0, 0, 100, 100), rect(150, 0, 100, 100), rect(1000, 0, 10, 10)],
        crs=4549,
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["z1", "z2"]},
        geometry=[rect(-50, -50, 220, 200), rect(170, -50, 200, 200)],
        crs=4549,
    )
    # b: 20 m in z1, 80 m in z2 -> z2; c outside both -> NA
    z = metrics.assign_zones(parcels, zones)
    assert z.iloc[0] == "z1" and z.iloc[1] == "z2" and pd.isna(z.iloc[2])


def test_largest_overlap_as_ranking_all_overlaps() -> None:
    """Only inner geometries with several overlaps are ranked: the same choice as taking
    the largest of each one's overlaps, of equal ones the first outer."""
    rng = np.random.default_rng(11)
    inner = np.sort(rng.integers(0, 300, 1000))
    outer = rng.integers(0, 6, 1000)
    area = rng.integers(1, 4, 1000).astype(float)
    want = np.full(400, -1)
    for k in np.unique(inner):
        mine = inner == k
        want[k] = outer[mine][area[mine] == area[mine].max()].min()
    assert metrics._largest_overlap(inner, outer, area, 400).tolist() == want.tolist()
    assert metrics._largest_overlap(inner[:0], outer[:0], area[:0], 2).tolist() == [-1, -1]


def test_allocation_rules() -> None:
    occ = pd.DataFrame(
        {
            "credit_code": ["a", "b", "c", "d", "e"],
            "parcel_id": ["P", "P", "P", "P", "Q"],
            "land_area_m2": [2000.0, np.nan, np.nan, np.nan, np.nan],
            "floor_area_m2": [np.nan, 3000.0, np.nan, np.nan, 100.0],
            "tenure": ["own", "lease", "lease", "lease", "lease"],
        }
    )
    par = pd.DataFrame(
        {"parcel_id": ["P", "Q"], "land_area_m2": [8000.0, 1000.0], "far": [1.5, np.nan]}
    )
    a = metrics.allocate_land(occ, par).set_index("credit_code")
    # a given 2000; b 3000 / 1.5 = 2000; c and d share the remaining 4000 equally
    assert a["alloc_land_m2"].to_dict() == {
        "a": 2000.0,
        "b": 2000.0,
        "c": 2000.0,
        "d": 2000.0,
        "e": 1000.0,
    }
    # e: Q has no FAR, so its floor area cannot be converted: equal share of all of Q
    assert a.loc["e", "alloc_method"] == "equal_share"
    land = metrics.enterprise_land(metrics.allocate_land(occ, par))
    assert land.loc["a", "land_area_mu"] == pytest.approx(3.0)


def test_allocation_of_rows_without_a_known_parcel() -> None:
    # f's parcel X is not in the table, g gives none: no parcel land, FAR or flag for them
    occ = pd.DataFrame(
        {
            "credit_code": ["a", "e", "f", "g"],
            "parcel_id": ["P", "Q", "X", None],
            "land_area_m2": [np.nan, np.nan, 5.0, np.nan],
            "floor_area_m2": [3000.0, 100.0, np.nan, 7.0],
        },
        index=[5, 2, 8, 0],
    )
    par = pd.DataFrame(
        {"parcel_id": ["P", "Q"], "land_area_m2": [8000.0, 1000.0], "far": [1.5, np.nan]}
    )
    a = metrics.allocate_land(occ, par.assign(standard_factory=[True, False]))
    assert a.index.tolist() == [5, 2, 8, 0]
    assert a["alloc_land_m2"].tolist()[:3] == [2000.0, 1000.0, 5.0]
    assert a["alloc_method"].tolist() == ["floor_far", "equal_share", "given", "no_land"]
    assert a["on_standard_factory"].tolist() == [True, False, False, False]
    assert "parcel_far" not in a and "parcel_land_m2" not in a


def test_enterprise_land_of_repeated_rows_and_missing_codes() -> None:
    # x: a parcel listed twice; a row without credit code belongs to no firm; z: no parcel
    alloc = pd.DataFrame(
        {
            "credit_code": pd.array(["x", "x", "y", None, "z", "x", "w"], dtype="string"),
            "parcel_id": pd.array(["P2", "P1", "S", "Q", None, "P2", "Q"], dtype="string"),
            "alloc_land_m2": [1000.0, 2000.0, 300.0, 5.0, np.nan, 7.0, 1.0],
            "occupied_floor_m2": [0.0, 1500.0, 600.0, 1.0, 2.0, np.nan, np.nan],
            "on_standard_factory": [False, False, True, True, None, False, True],
            "tenure": ["own", "own", "lease", None, "lease", None, None],
        }
    )
    land = metrics.enterprise_land(alloc)
    assert land.index.tolist() == ["x", "y", "z", "w"]
    assert land.index.dtype == "string" and land["parcel_ids"].dtype == "str"
    assert land["land_area_m2"].tolist()[:2] == [3007.0, 300.0]
    assert land["parcel_ids"].tolist() == ["P1;P2", "S", np.nan, "Q"]
    assert land["sf_tenant"].tolist() == [False, True, False, True]


def test_parcel_economics_weighted_by_land_share() -> None:
    # firm x holds 3000 m² on P and 1000 m² on Q: 3/4 of its figures belong to P
    alloc = pd.DataFrame(
        {
            "credit_code": ["x", "x", "y"],
            "parcel_id": ["P", "Q", "Q"],
            "alloc_land_m2": [3000.0, 1000.0, 1000.0],
            "occupied_floor_m2": [3000.0, 1000.0, 500.0],
            "tenure": ["own", "own", "lease"],
        }
    )
    firms = pd.DataFrame(
        {"tax_wan": [40.0, 10.0], "output_wan": [400.0, 0.0], "industry_code": ["3911", "1811"]},
        index=pd.Index(["x", "y"], name="credit_code"),
    )
    e = metrics.parcel_economics(alloc, firms)
    assert e.loc["P", "tax_wan"] == pytest.approx(30.0)
    assert e.loc["Q", "tax_wan"] == pytest.approx(10.0 + 10.0)
    assert e.loc["Q", "n_occupants"] == 2
    assert e.loc["Q", "main_credit_code"] in ("x", "y")
    assert e.loc["Q", "leased_floor_area_m2"] == 500.0
    assert e.loc["Q", "occupied_floor_area_m2"] == 1500.0


def test_parcel_economics_of_firms_not_in_the_table() -> None:
    # "gone" has no row in firms and one row has no credit code: no figures, no industry
    alloc = pd.DataFrame(
        {
            "credit_code": pd.array(["x", "x", "gone", None, "y", "y"], dtype="string"),
            "parcel_id": pd.array(["P", "Q", "Q", "Q", None, "R"], dtype="string"),
            "alloc_land_m2": [3000.0, 1000.0, 500.0, 200.0, 100.0, np.nan],
            "occupied_floor_m2": [3000.0, np.nan, 100.0, 50.0, 10.0, 20.0],
            "tenure": pd.array(["own", "lease", None, "lease", "lease", "own"], dtype="string"),
        }
    )
    firms = pd.DataFrame(
        {"tax_wan": [40.0, 30.0], "industry_code": pd.array(["3911", None], dtype="string")},
        index=pd.Index(pd.array(["x", "y"], dtype="string"), name="credit_code"),
    )
    e = metrics.parcel_economics(alloc, firms)
    assert e.index.tolist() == ["P", "Q", "R"]
    assert e["tax_wan"].tolist() == [30.0, 10.0, 20.0]  # y by floor area: 20 of 30 m² on R
    assert e["n_occupants"].tolist() == [1, 2, 1]
    assert e["main_credit_code"].tolist() == ["x", "x", "y"]
    assert e["main_industry_code"].tolist() == ["3911", "3911", pd.NA]
    assert e["main_industry_code"].dtype == "string"


def test_area_mismatch_threshold() -> None:
    reg = pd.Series([1000.0, 1000.0, 1000.0, np.nan])
    meas = pd.Series([1050.0, 1050.1, 949.9, 5.0])
    out = metrics.area_mismatch(reg, meas, 0.05)
    assert out.tolist()[:3] == [False, True, True] and pd.isna(out.iloc[3])


def test_multipolygon_area() -> None:
    mp = shapely.MultiPolygon([rect(0, 0, 10, 10), rect(20, 0, 10, 10)])
    assert metrics.geom_area_m2(gpd.GeoSeries([mp], crs=4549)).iloc[0] == pytest.approx(200.0)


def test_zone_fit_ranks_as_sorted_codes() -> None:
    from lcgis.engine.zonefit import ranks

    texts = ["P10", "P2", None, "", "宗地", "p2", "P2", " P2", "Ω", np.nan, "P10"]
    for values in (
        pd.Series(texts, dtype="string"),
        pd.Series(texts, dtype="str"),
        pd.Series(texts, dtype=object),
        pd.Series([3.0, np.nan, -1.0, 3.0]),
        pd.Series([], dtype="string"),
    ):
        key, distinct = pd.factorize(values, sort=True)
        want = np.where(key >= 0, key, len(distinct))
        assert ranks(values).tolist() == want.tolist()
