"""The only module that chooses a CRS.

Areas are measured in a projected local CRS: the CGCS2000 3-degree Gauss-Krüger zone
nearest the data's longitude inside China (EPSG:4534–4554, without zone prefix), the UTM
zone elsewhere.  Never in degrees, never in Web Mercator.

>>> working_crs_for(118.57, 24.88).to_epsg()
4549
>>> working_crs_for(-74.01, 40.71).to_epsg()
32618
>>> gk_epsg(117.2)
4548
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

#: CRS of RFC 7946 GeoJSON, web maps and lon/lat display.
DISPLAY_CRS = "EPSG:4326"
#: Rough box of China (lon_min, lat_min, lon_max, lat_max) where CGCS2000 GK is used.
CHINA_BOX = (73.0, 18.0, 135.5, 54.0)


def gk_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (no prefix) nearest ``lon``.

    Central meridians run 75°E … 135°E in steps of 3° (EPSG:4534 … 4554).
    """
    cm = min(max(3 * round(lon / 3), 75), 135)
    return 4534 + (cm - 75) // 3


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone of a point.

    >>> utm_epsg(14.42, 50.08)
    32633
    """
    zone = min(math.floor((lon + 180) / 6) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def in_china(lon: float, lat: float) -> bool:
    x0, y0, x1, y1 = CHINA_BOX
    return x0 <= lon <= x1 and y0 <= lat <= y1


def working_crs_for(lon: float, lat: float) -> pyproj.CRS:
    """The projected CRS lcgis measures in, for data centred at (lon, lat)."""
    code = gk_epsg(lon) if in_china(lon, lat) else utm_epsg(lon, lat)
    return pyproj.CRS.from_epsg(code)


def transformer(src: Any, dst: Any) -> pyproj.Transformer:
    """The x/y-ordered (lon before lat) Transformer from ``src`` to ``dst``, built once per
    pair of CRS and kept (building one costs about a tenth of a second; pyproj's
    Transformers may be shared between threads).

    >>> transformer(4549, "EPSG:4326") is transformer(pyproj.CRS.from_epsg(4549), 4326)
    True
    >>> [round(v, 4) for v in transformer(4549, 4326).transform(500000.0, 2750000.0)]
    [120.0, 24.8551]
    """
    return _transformer(pyproj.CRS.from_user_input(src), pyproj.CRS.from_user_input(dst))


@functools.lru_cache(maxsize=64)
def _transformer(src: pyproj.CRS, dst: pyproj.CRS) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


#: Shapes whose bounds :func:`total_bounds` takes at once: a small array reused from one
#: batch to the next, not four new numbers for every shape of a layer of millions.
BOUNDS_BATCH = 8192


def total_bounds(geoms: np.ndarray) -> np.ndarray:
    """``GeoSeries.total_bounds`` of an array of shapes (minx, miny, maxx, maxy; NaN when no
    shape has coordinates), taken batch by batch: the least of each batch's least values is
    the least of all, so the numbers are the same.

    >>> total_bounds(np.array([shapely.box(0, 1, 2, 3), None, shapely.Polygon(),
    ...     shapely.Point(5, -1)], dtype=object)).tolist()
    [0.0, -1.0, 5.0, 3.0]
    >>> total_bounds(np.array([None, shapely.Polygon()], dtype=object)).tolist()
    [nan, nan, nan, nan]
    """
    parts = [
        shapely.total_bounds(geoms[start : start + BOUNDS_BATCH])
        for start in range(0, len(geoms), BOUNDS_BATCH)
    ]
    if not parts:
        return np.full(4, np.nan)
    lows_highs = np.array(parts)
    with warnings.catch_warnings():  # batches without coordinates are NaN, and may all be
        warnings.filterwarnings("ignore", r"All-NaN slice encountered", RuntimeWarning)
        return np.concatenate(
            [np.nanmin(lows_highs[:, :2], axis=0), np.nanmax(lows_highs[:, 2:], axis=0)]
        )


def lonlat_centre(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    """Centre of the layer's bounds in lon/lat degrees."""
    x0, y0, x1, y1 = total_bounds(np.asarray(gdf.geometry.array, dtype=object))
    if gdf.crs is None or not np.all(np.isfinite([x0, y0, x1, y1])):
        raise ValueError("layer has no CRS or no coordinates")
    lon, lat = transformer(gdf.crs, DISPLAY_CRS).transform((x0 + x1) / 2, (y0 + y1) / 2)
    return float(lon), float(lat)


def working_crs(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """The working CRS for a layer (by the lon/lat of its centre)."""
    return working_crs_for(*lonlat_centre(gdf))


def is_area_safe(crs: pyproj.CRS) -> bool:
    """True for a projected CRS that is not Web Mercator (areas may be measured in it).

    >>> is_area_safe(pyproj.CRS.from_epsg(4549)), is_area_safe(pyproj.CRS.from_epsg(3857))
    (True, False)
    """
    return bool(crs.is_projected) and crs.to_epsg() not in (3857, 900913, 3395)


def geodesic_area_m2(geoms: gpd.GeoSeries) -> np.ndarray:
    """Area on the CGCS2000/GRS80 ellipsoid (m²), for cross-checking projected areas.

    >>> box = shapely.box(118.56, 24.87, 118.561, 24.871)
    >>> a = geodesic_area_m2(gpd.GeoSeries([box], crs=4326))[0]
    >>> round(float(a) / 1e4, 3)  # hectares
    1.119
    """
    lonlat = geoms.to_crs(DISPLAY_CRS)
    geod = pyproj.Geod(ellps="GRS80")
    return np.array(
        [abs(geod.geometry_area_perimeter(g)[0]) if g is not None else np.nan for g in lonlat]
    )


# --- GCJ-02 (the datum of 高德 and other Chinese basemaps), for display copies only ---

_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """A display copy of ``geoms`` shifted to GCJ-02 (lon/lat).  Stored data is never shifted.

    >>> p = gpd.GeoSeries([shapely.Point(118.57, 24.88)], crs=4326)
    >>> q = wgs84_to_gcj02(p).iloc[0]
    >>> round(q.x - 118.57, 4), round(q.y - 24.88, 4)  # about 450 m east, 330 m south
    (0.0045, -0.003)
    """
    lonlat = geoms.to_crs(DISPLAY_CRS)

    def shift(coords: np.ndarray) -> np.ndarray:
        dlon, dlat = _gcj_delta(coords[:, 0], coords[:, 1])
        return np.column_stack([coords[:, 0] + dlon, coords[:, 1] + dlat])

    return gpd.GeoSeries(
        shapely.transform(lonlat.values, shift), index=geoms.index, crs=DISPLAY_CRS
    )


def crs_name(crs: pyproj.CRS | None) -> str:
    """A Chinese name of a coordinate system, from its EPSG code ('—' when there is none).

    >>> crs_name(pyproj.CRS.from_epsg(4549))
    'CGCS2000 3度带高斯-克吕格投影(中央经线120°E，EPSG:4549)'
    >>> crs_name(pyproj.CRS.from_epsg(32650))
    'WGS 84 UTM投影 第50带北(EPSG:32650)'
    """
    if crs is None:
        return "—"
    code = crs.to_epsg()
    if code is None:
        return str(crs.name)
    if 4534 <= code <= 4554:  # CGCS2000 3-degree GK, central meridian 75°E … 135°E
        return f"CGCS2000 3度带高斯-克吕格投影(中央经线{75 + 3 * (code - 4534)}°E，EPSG:{code})"
    if 4513 <= code <= 4533:  # the same with the zone number in the false easting
        zone = 25 + code - 4513
        return f"CGCS2000 3度带高斯-克吕格投影(第{zone}带，中央经线{3 * zone}°E，EPSG:{code})"
    if 32601 <= code <= 32660 or 32701 <= code <= 32760:
        hemi = "北" if code < 32700 else "南"
        return f"WGS 84 UTM投影 第{code % 100}带{hemi}(EPSG:{code})"
    named = {4490: "CGCS2000 经纬度", 4326: "WGS 84 经纬度", 3857: "Web墨卡托"}
    return f"{named[code]}(EPSG:{code})" if code in named else f"{crs.name}(EPSG:{code})"


#: Quanzhou / Licheng: the longitude assumed when the data tell no zone.
HOME_LON = 118.5


def crs_advice(bounds: tuple[float, float, float, float], lon_hint: float | None = None) -> str:
    """The ``assume_crs`` to suggest for a layer without CRS, by its coordinates' range.

    Lon/lat degrees → CGCS2000 geographic; an 8-digit easting carries its 3-degree zone
    (EPSG:4513–4533); a 6-digit one does not (EPSG:4534–4554): the zone then comes from
    ``lon_hint`` (the longitude of a layer that has a CRS), else from Quanzhou's 118.5°E.

    >>> crs_advice((118.5, 24.8, 118.7, 25.0))[:24]
    'assume_crs = "EPSG:4490"'
    >>> crs_advice((40350000.0, 2750000.0, 40360000.0, 2760000.0))[:24]
    'assume_crs = "EPSG:4528"'
    >>> crs_advice((350000.0, 2750000.0, 360000.0, 2760000.0), lon_hint=114.1)[:24]
    'assume_crs = "EPSG:4547"'
    """
    x0, y0, x1, y1 = bounds
    if not all(math.isfinite(b) for b in bounds):
        return 'assume_crs = "EPSG:4549"(图层没有可用坐标，无法判断；此为泉州常用的投影坐标系)'
    if -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90:
        return (
            'assume_crs = "EPSG:4490"(坐标为经纬度，CGCS2000 地理坐标；'
            '如为 WGS 84 或 GPS 采集，写 "EPSG:4326")'
        )
    zone = int(x0 // 1_000_000)
    if 1e7 <= x0 <= x1 < 1e8 and zone == int(x1 // 1_000_000) and 25 <= zone <= 45:
        cm = zone * 3
        return (
            f'assume_crs = "EPSG:{4513 + zone - 25}"(东坐标为 8 位，带号 {zone}，'
            f"CGCS2000 3 度带高斯投影，中央经线 {cm}°E)"
        )
    if 0 < x0 <= x1 < 1e6 and 0 <= y0 <= y1 < 1e7:
        lon = lon_hint if lon_hint is not None else HOME_LON
        code = gk_epsg(lon)
        cm = 75 + 3 * (code - 4534)
        why = (
            f"按其他图层的经度 {lon:.1f}°E"
            if lon_hint is not None
            else f"数据未提示分带，按泉州鲤城(约 {HOME_LON}°E)"
        )
        return (
            f'assume_crs = "EPSG:{code}"(东坐标为 6 位、不带带号，CGCS2000 3 度带高斯投影；'
            f"{why}取中央经线 {cm}°E 的带；如不符，改用 EPSG:4534–4554 中对应的带)"
        )
    return (
        'assume_crs = "EPSG:4549"(坐标范围不像经纬度或高斯投影，无法判断；请向数据提供方确认坐标系)'
    )
