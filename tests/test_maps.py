"""lcgis.views.maps (pure folium builders) and lcgis.views.summary on synthetic and demo data."""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import Result, run
from lcgis.rules import load_rules
from lcgis.views import maps, summary
from lcgis.vocab import DISPOSITION_LABELS, GROUP_LABELS, TIER_LABELS

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def demo() -> Result:
    return run(read_dataset(ROOT / "data"), load_rules())


def _payload(res: Result, indicator: str = "parcel_class", datum: str = "wgs84") -> dict:
    p = res.parcels
    classes = maps.classify_indicator(p, indicator, "quantiles", 5, res.rules)
    legend = maps.legend_for(indicator, classes, "quantiles")
    return maps.parcel_payload(
        p,
        indicator,
        classes,
        legend,
        names=maps.main_names(p, res.enterprises),
        zones=res.zones,
        datum=datum,
    )


def _loop_payload(
    parcels: gpd.GeoDataFrame,
    indicator: str,
    classes: maps.Classes,
    legend: maps.Legend,
    *,
    names: pd.Series | None = None,
    datum: str = "wgs84",
) -> dict:
    """The parcel rows of the payload as they were built before it was vectorised, one
    parcel at a time: the reference the vectorised :func:`maps.parcel_payload` must equal
    (the rest of the payload was not changed)."""
    ind = maps.INDICATORS[indicator]
    geoms = maps.display_geometry(parcels.geometry, datum)
    minx, miny, _, _ = geoms.total_bounds
    origin = (round(minx * maps.SCALE), round(miny * maps.SCALE))
    zone_names = (
        parcels["zone_name"] if "zone_name" in parcels else pd.Series("", index=parcels.index)
    )
    zlist = sorted({maps._text(z) for z in zone_names if maps._text(z)})
    zindex = {z: i for i, z in enumerate(zlist)}
    flags = maps._flags(parcels)
    categorical = ind.palette == "classes"
    values = parcels[indicator] if indicator in parcels and not categorical else None
    klass = parcels.get("parcel_class", None)
    kinds = maps._codes(parcels, "disposition", maps.DISPOSITIONS)
    tiers = maps._codes(parcels, "tier", maps.TIERS)
    digits = ind.digits + (2 if ind.share else 0)
    rows = []
    for i in range(len(parcels)):
        rows.append(
            [
                maps._text(parcels["parcel_id"].iloc[i]),
                zindex.get(maps._text(zone_names.iloc[i]), -1),
                int(classes.codes[i]),
                None if values is None else maps._number(values.iloc[i], digits),
                "" if klass is None else maps._text(klass.iloc[i]),
                int(flags[i]),
                "" if names is None else maps._text(names.iloc[i]),
                maps._number(parcels["land_area_mu"].iloc[i], 1)
                if "land_area_mu" in parcels
                else None,
                maps.encode_geometry(geoms.iloc[i], origin),
                int(kinds[i]),
                int(tiers[i]),
            ]
        )
    return {"o": list(origin), "zn": zlist, "p": rows}


def _same_payloads(res: Result, datum: str = "wgs84") -> None:
    p = res.parcels
    names = maps.main_names(p, res.enterprises)
    for indicator in maps.INDICATORS:
        if indicator == maps.REVIEW_STATUS:
            continue
        classes = maps.classify_indicator(p, indicator, "quantiles", 5, res.rules)
        legend = maps.legend_for(indicator, classes, "quantiles")
        args = (p, indicator, classes, legend)
        new = maps.parcel_payload(*args, names=names, zones=res.zones, datum=datum)
        old = _loop_payload(*args, names=names, datum=datum)
        assert maps.to_json({k: new[k] for k in old}) == maps.to_json(old), indicator


def test_vectorised_payload_equals_the_parcel_by_parcel_one_on_the_demo(demo: Result) -> None:
    _same_payloads(demo)
    _same_payloads(demo, "gcj02")


@pytest.mark.slow  # a generated city tier (50k parcels) evaluated: about half a minute
def test_vectorised_payload_equals_the_parcel_by_parcel_one_on_a_city(tmp_path: Path) -> None:
    from lcgis import synthetic

    synthetic.make_tier(tmp_path / "city", "city")
    res = run(read_dataset(tmp_path / "city"), load_rules())
    _same_payloads(res)


def test_geometries_of_every_kind_encode_as_one_by_one() -> None:
    hole = shapely.Polygon(
        shapely.box(0, 0, 1e-4, 1e-4).exterior.coords,
        [shapely.box(2e-5, 2e-5, 4e-5, 4e-5).exterior.coords],
    )
    shapes = [
        hole,
        None,
        shapely.Polygon(),
        shapely.MultiPolygon([hole, shapely.box(2e-4, 2e-4, 3e-4, 3e-4)]),
        shapely.GeometryCollection([shapely.box(0, 0, 1e-5, 1e-5), shapely.Point(0, 0)]),
        shapely.LineString([(0, 0), (1, 1)]),
        shapely.Polygon([(0, 0), (1e-7, 0), (1e-7, 1e-7)]),  # collapses when rounded
    ]
    origin = (-5, 7)
    assert maps.encode_geometries(shapes, origin) == [
        maps.encode_geometry(g, origin) for g in shapes
    ]


def test_geometry_file_holds_web_mercator_of_the_rounded_outlines(demo: Result) -> None:
    """The map file's vertices are EPSG:3857 (pyproj) of the micro-degree outlines, as shares
    of the world, to within a unit; ring and parcel offsets as the payload's rings."""
    import pyproj

    p = demo.parcels
    data, origin = maps.geometry_file(p)
    n, rings, verts, version = np.frombuffer(data[:16], dtype="<i4").tolist()
    m0 = np.frombuffer(data[16:24], dtype="<u4").astype(np.int64)
    per_parcel = np.frombuffer(data[24 : 24 + 4 * n], dtype="<i4")
    per_ring = np.frombuffer(data[24 + 4 * n : 24 + 4 * (n + rings)], dtype="<i4")
    at = 24 + 4 * (n + rings)
    steps = np.frombuffer(data[at : at + 8 * verts], dtype="<i4").reshape(-1, 2)
    xy = np.cumsum(steps.astype(np.int64), axis=0) + m0
    assert (n, version, len(data)) == (len(p), 2, at + 8 * verts + n)
    assert gzip.decompress(maps.pack(data)) == data
    flat = maps.encode_geometries(maps.display_geometry(p.geometry), tuple(origin))
    lonlat = np.concatenate(
        [np.array(maps.decode_ring(r, tuple(origin))) for g in flat for part in g for r in part]
    )
    assert len(lonlat) == verts == sum(len(r) // 2 for g in flat for part in g for r in part)
    assert per_parcel.tolist() == [sum(len(part) for part in g) for g in flat]
    assert per_ring.tolist() == [len(r) // 2 for g in flat for part in g for r in part]
    to_merc = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)
    x, y = to_merc.transform(lonlat[:, 0], lonlat[:, 1])
    half = math.pi * 6378137.0
    want = np.column_stack([(x + half) / (2 * half), (half - y) / (2 * half)]) * 2**32
    assert np.abs(xy - want).max() <= 1.0


def test_rule_classes_put_a_threshold_value_in_the_class_above() -> None:
    c = maps.classify(pd.Series([4.999, 5.0, 19.99, 20.0]), "rules", 5, thresholds=[5.0, 20.0])
    assert c.codes.tolist() == [0, 1, 1, 2]
    assert c.labels == ["< 5.00", "5.00 – 20.00", "≥ 20.00"]


def test_quantiles_and_natural_breaks_cover_every_value() -> None:
    values = pd.Series(np.r_[np.arange(100.0), [np.nan, np.nan]])
    for scheme in ("quantiles", "natural_breaks"):
        c = maps.classify(values, scheme, 4)
        assert (c.codes[:100] >= 0).all() and (c.codes[100:] == -1).all()
        assert len(c.labels) == len(c.colors) == len(c.counts) == 4
        assert sum(c.counts) == 100


def test_natural_breaks_are_deterministic_on_large_input() -> None:
    rng = np.random.default_rng(1)
    values = pd.Series(rng.lognormal(2.5, 1.0, 5000))
    a = maps.classify(values, "natural_breaks", 5)
    b = maps.classify(values, "natural_breaks", 5)
    assert a.labels == b.labels and (a.codes == b.codes).all()


def _mapclassify_breaks(values: np.ndarray, k: int) -> np.ndarray:
    import warnings

    import mapclassify

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed": its slow pure-Python loop
        return np.asarray(mapclassify.FisherJenks(values, k=k).bins)


def test_fisher_jenks_gives_mapclassify_breaks_exactly() -> None:
    rng = np.random.default_rng(5)
    tried = 0
    for case in range(120):
        n, k = int(rng.integers(8, 90)), int(rng.integers(2, 8))
        x = (
            rng.lognormal(2.0, 1.0, n),
            rng.integers(0, 12, n).astype(float),  # many ties
            np.round(rng.normal(0.0, 5.0, n), 1),
        )[case % 3]
        if len(np.unique(x)) < k:
            continue
        tried += 1
        assert maps.fisher_jenks(x, k).tolist() == _mapclassify_breaks(x, k).tolist(), (n, k)
    assert tried > 100
    with pytest.raises(ValueError):
        maps.fisher_jenks(np.array([1.0, 1.0, 2.0]), 3)


def test_natural_breaks_on_the_demo_are_those_of_mapclassify(
    demo: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    indicators = [k for k, v in maps.INDICATORS.items() if v.palette != "classes"]
    ours = [
        maps.classify_indicator(demo.parcels, i, "natural_breaks", k, demo.rules)
        for i in indicators
        for k in (3, 5, 7)
    ]
    monkeypatch.setattr(maps, "fisher_jenks", _mapclassify_breaks)
    theirs = [
        maps.classify_indicator(demo.parcels, i, "natural_breaks", k, demo.rules)
        for i in indicators
        for k in (3, 5, 7)
    ]
    for a, b in zip(ours, theirs, strict=True):
        assert a.labels == b.labels and a.codes.tolist() == b.codes.tolist()


def test_indicator_without_rule_thresholds_falls_back_to_quantiles(demo: Result) -> None:
    c = maps.classify_indicator(demo.parcels, "output_per_mu", "rules", 5, demo.rules)
    assert c.scheme == "quantiles" and "分位数" in c.note


def test_class_colouring_counts_every_parcel(demo: Result) -> None:
    c = maps.class_colors(demo.parcels["parcel_class"])
    expected = summary.class_counts(demo.parcels["parcel_class"])
    assert c.counts == [expected[k] for k in summary.CLASSES]
    assert int((c.codes == -1).sum()) == int(demo.parcels["parcel_class"].isna().sum())


def test_ring_encoding_round_trips_to_six_decimals() -> None:
    poly = shapely.Polygon(
        [(118.5612345, 24.8812345), (118.5623456, 24.8812345), (118.5623456, 24.8823456)]
    )
    origin = (118_500_000, 24_800_000)
    enc = maps.encode_geometry(poly, origin)
    back = maps.decode_ring(enc[0][0], origin)
    assert len(back) == 3  # closing vertex dropped
    for (x, y), (u, v) in zip(back, list(poly.exterior.coords)[:3], strict=True):
        assert abs(x - u) <= 5.1e-7 and abs(y - v) <= 5.1e-7


def test_multipolygon_with_hole_keeps_every_ring() -> None:
    outer = shapely.box(0, 0, 1, 1)
    holed = shapely.Polygon(
        outer.exterior.coords, [shapely.box(0.2, 0.2, 0.4, 0.4).exterior.coords]
    )
    enc = maps.encode_geometry(shapely.MultiPolygon([holed, shapely.box(2, 2, 3, 3)]), (0, 0))
    assert [len(p) for p in enc] == [2, 1]


def test_payload_carries_one_row_per_parcel_and_only_shown_fields(demo: Result) -> None:
    pay = _payload(demo, "tax_per_mu")
    assert len(pay["p"]) == len(demo.parcels)
    assert {len(r) for r in pay["p"]} == {11}
    ids = [r[0] for r in pay["p"]]
    assert ids == demo.parcels["parcel_id"].astype(str).tolist()
    text = maps.to_json(pay)
    assert "geometry" not in text and "credit_code" not in text


def test_script_json_cannot_close_the_script_tag() -> None:
    text = maps.safe_json({"n": "</script>" + HOSTILE, "m": "a&b\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["n"] == "</script>" + HOSTILE


def test_map_html_holds_no_raw_markup_from_data(demo: Result) -> None:
    p = demo.parcels.copy()
    p["zone_name"] = p["zone_name"].astype(object)
    p.loc[p.index[0], "zone_name"] = HOSTILE
    names = pd.Series(HOSTILE, index=p.index)
    classes = maps.classify_indicator(p, "parcel_class", "quantiles", 5, demo.rules)
    legend = maps.legend_for("parcel_class", classes, "quantiles")
    pay = maps.parcel_payload(p, "parcel_class", classes, legend, names=names)
    m = maps.build_map(maps.to_json(pay), maps.bounds_of(p.geometry.to_crs(4326)), basemap="none")
    html = m.get_root().render()
    assert "<img" not in html and HOSTILE not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html  # kept as escaped text
    assert "innerHTML" not in html  # text goes in with textContent


def test_map_loads_leaflet_from_the_app_not_a_cdn(demo: Result) -> None:
    pay = _payload(demo)
    m = maps.build_map(
        maps.to_json(pay),
        [[24.86, 118.55], [24.9, 118.58]],
        basemap="none",
        assets_url="/app/static/vendor/leaflet-1.9.4",
    )
    html = m.get_root().render()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
    assert urls and all(u.startswith("/app/static/") for u in urls), urls
    assert "https://" not in html


def test_vendored_leaflet_files_exist_with_licence() -> None:
    base = ROOT / "static" / "vendor" / "leaflet-1.9.4"
    for name in ("leaflet.js", "leaflet.css", "LICENSE", "images/layers.png"):
        assert (base / name).is_file(), name
    assert "1.9.4" in (base / "leaflet.js").read_text(encoding="utf-8")[:400]


def test_gcj02_shifts_only_the_display_copy(demo: Result) -> None:
    before = demo.parcels.geometry.copy()
    wgs = _payload(demo, datum="wgs84")
    gcj = _payload(demo, datum="gcj02")
    assert gcj["datum"].startswith("坐标基准：GCJ-02") and wgs["datum"].startswith("坐标基准：WGS")
    assert gcj["o"] != wgs["o"]
    assert demo.parcels.geometry.geom_equals(before).all()
    # the shift near Quanzhou is a few hundred metres
    d = maps.display_geometry(demo.parcels.geometry.iloc[:1], "gcj02").iloc[0].centroid
    w = maps.display_geometry(demo.parcels.geometry.iloc[:1]).iloc[0].centroid
    assert 0.002 < d.x - w.x < 0.008 and -0.006 < d.y - w.y < 0.0


def test_basemaps_need_a_key_for_tianditu() -> None:
    assert "tianditu_vec" not in maps.basemap_options(None)
    assert "tianditu_vec" in maps.basemap_options("abcdef0123456789")
    assert "tianditu_vec" not in maps.basemap_options("bad key'\"")
    m = maps.build_map("{}", [[0, 0], [1, 1]], basemap="tianditu_vec", tianditu_key=None)
    assert "tianditu" not in m.get_root().render()  # falls back to OpenStreetMap


def test_map_budget_under_300_bytes_per_parcel(demo: Result) -> None:
    pytest.importorskip("streamlit_folium")
    from streamlit_folium import _get_header, _get_html, _get_map_string

    pay = _payload(demo, "tax_per_mu")
    geoms = maps.display_geometry(demo.parcels.geometry)
    m = maps.build_map(maps.to_json(pay), maps.bounds_of(geoms), basemap="osm")
    m.get_root().render()
    size = sum(len(s.encode()) for s in (_get_html(m), _get_header(m), _get_map_string(m)))
    assert size / len(demo.parcels) < 300


def test_highlight_layer_is_not_clickable() -> None:
    g = gpd.GeoSeries([shapely.box(118.56, 24.88, 118.561, 24.881)], crs=4326)
    fg = maps.highlight_layer(g)
    import folium
    from branca.element import Figure

    m = folium.Map(tiles=None)
    fg.add_to(m)
    Figure().add_child(m)
    html = m.get_root().render()
    assert '"interactive": false' in html and "lcgis-selected" in html


def test_zoom_and_centre_of_a_parcel() -> None:
    g = [shapely.box(118.560, 24.880, 118.562, 24.882)]
    assert maps.centre_of(g) == (24.881, 118.561)
    assert 15 <= maps.zoom_for(g) <= 18


def test_headline_equals_sums_over_the_result(demo: Result) -> None:
    h = summary.park_summary(demo)
    p = demo.parcels
    assert math.isclose(h["land_area_mu"], p["land_area_mu"].sum())
    assert math.isclose(h["tax_per_mu"], p["tax_wan"].sum() / p["land_area_mu"].sum())
    assert h["n_enterprises"] == len(demo.enterprises)
    zones = demo.zones
    assert math.isclose(h["idle_mu"], float(zones["idle_mu"].sum()))
    assert math.isclose(h["inefficient_mu"], float(zones["inefficient_mu"].sum()))


def test_enterprise_zones_cover_the_demo(demo: Result) -> None:
    z = summary.enterprise_zones(demo.enterprises, demo.parcels)
    with_land = demo.enterprises["parcel_ids"].notna()
    assert (z[with_land] != "").all()


def test_disposition_and_tier_colourings_count_every_list(demo: Result) -> None:
    p = demo.parcels
    for indicator, column, names in (
        ("disposition", "disposition", DISPOSITION_LABELS),
        ("tier", "tier", TIER_LABELS),
    ):
        c = maps.classify_indicator(p, indicator, "quantiles", 5, demo.rules)
        legend = maps.legend_for(indicator, c, "quantiles")
        want = [(label, int((p[column] == code).sum())) for code, label in names.items()]
        unlisted = int(p[column].isna().sum())
        rows = [(label, n) for _, label, n in legend.rows]
        assert rows == want + ([(maps.NOT_LISTED, unlisted)] if unlisted else [])


def test_overlays_are_the_dispositions_not_the_old_candidates(demo: Result) -> None:
    counts = maps.overlay_counts(demo.parcels)
    p = demo.parcels
    for code, label in DISPOSITION_LABELS.items():
        listed = p["disposition"] == code
        n, mu = counts[label]
        assert n == int(listed.sum()) and math.isclose(
            mu, float(p.loc[listed, "land_area_mu"].sum())
        )
    assert not any("候选" in name for name in counts)
    building = p["in_construction"].astype(bool)
    assert counts["在建"][0] == int(building.sum())


def test_payload_tells_each_parcel_its_disposition_and_tier(demo: Result) -> None:
    pay = _payload(demo, "disposition")
    p = demo.parcels
    for row, kind, tier in zip(pay["p"], p["disposition"], p["tier"], strict=True):
        if isinstance(kind, str):
            assert pay["dl"][row[9]] == DISPOSITION_LABELS[kind]
            assert pay["tl"][row[10]] == TIER_LABELS[tier]
        else:
            assert row[9] == -1 and row[10] == -1
    html = maps.build_map(maps.to_json(pay), [[24.86, 118.55], [24.9, 118.58]], basemap="none")
    assert "处置：" in html.get_root().render()


def test_headline_shares_and_dispositions_are_sums_over_parcels(demo: Result) -> None:
    h = summary.park_summary(demo)
    p = demo.parcels
    land = p["land_area_mu"].sum()
    for kind in DISPOSITION_LABELS:
        listed = p["disposition"] == kind
        assert h[f"n_{kind}"] == int(listed.sum())
        assert math.isclose(h[f"{kind}_mu"], p.loc[listed, "land_area_mu"].sum())
        assert math.isclose(h[f"{kind}_share"], p.loc[listed, "land_area_mu"].sum() / land)
    building = p["in_construction"].astype(bool)
    assert math.isclose(h["in_construction_share"], p.loc[building, "land_area_mu"].sum() / land)
    assert math.isclose(float(demo.zones["buyback_mu"].sum()), h["buyback_mu"])
    densify = p["disposition"] == "densify"
    assert math.isclose(h["est_extra_tax_wan"], p.loc[densify, "est_extra_tax_wan"].sum())
    freed = p["disposition"].isin(["reclaim", "buyback", "vacate"])
    assert math.isclose(h["potential_tax_wan"], p.loc[freed, "potential_tax_wan"].sum())
    for key in summary.HEADLINE_LABELS:
        if "tax_wan" in key and key != "tax_wan":
            assert "潜力上限" in summary.HEADLINE_LABELS[key][0]  # no estimate without its label


def test_class_counts_per_group_equal_the_enterprise_table(demo: Result) -> None:
    table = summary.group_class_table(demo.enterprises)
    e = demo.enterprises
    for group, name in GROUP_LABELS.items():
        mine = e[e["eval_group"] == group]
        assert table.loc[name, summary.UNRATED] == int(mine["class"].isna().sum())
        for c in summary.CLASSES:
            assert table.loc[name, c] == int((mine["class"] == c).sum())
    assert int(table.to_numpy().sum()) == len(e)


def test_scale_bar_is_metric_only() -> None:
    html = maps.build_map("{}", [[24.9, 118.5], [25.0, 118.6]], basemap="none").get_root().render()
    calls = re.findall(r"L\.control\.scale\(([^)]*)\)", html)
    assert len(calls) == 1 and "imperial: false" in calls[0]


def test_review_status_colours_cover_every_status() -> None:
    from lcgis import review

    assert list(maps.STATUS_COLORS) == list(review.STATUSES)
    assert len(set(maps.STATUS_COLORS.values())) == len(review.STATUSES)


# --- the tile path's files in the app's static folder (ui.mapview) ----------------------------


def test_published_map_files_are_written_once_under_a_keyed_name(tmp_path: Path) -> None:
    import hashlib

    from ui import mapview

    name = mapview.publish(b"file 0", ".json", tmp_path, keep=5)
    # the name is the process's keyed hash of the content, not a hash anyone can compute
    assert name != hashlib.blake2b(b"file 0", digest_size=20).hexdigest() + ".json"
    assert name == mapview.file_name(b"file 0", ".json", mapview._SECRET)
    assert (tmp_path / name).read_bytes() == b"file 0"
    assert mapview.publish(b"file 0", ".json", tmp_path, keep=5) == name
    other = mapview.publish(b"file 1", ".bin", tmp_path, keep=5)
    assert other.endswith(".bin") and other != name
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted([name, other])  # no leftovers


def test_pruning_keeps_the_most_recently_used_map_files(tmp_path: Path) -> None:
    import os

    from ui import mapview

    for i in range(5):
        (tmp_path / f"f{i}.json").write_bytes(b"x")
        os.utime(tmp_path / f"f{i}.json", (1_000_000 + i, 1_000_000 + i))
    os.utime(tmp_path / "f0.json")  # used just now: the newest
    assert sorted(mapview.prune(tmp_path, 3)) == ["f1.json", "f2.json"]
    assert sorted(f.name for f in tmp_path.iterdir()) == ["f0.json", "f3.json", "f4.json"]
