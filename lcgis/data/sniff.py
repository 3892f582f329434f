"""Guesses from a file's content: the unit a header names, the field a (possibly DBF-cut)
column names, the layer a table is, and the CRS candidates of undeclared coordinates.

>>> gk_from_easting(39_500_000.0), gk_from_easting(500_000.0)
('EPSG:4527', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from lcgis.data.crs import gk_epsg
from lcgis.data.readers import GEOMETRY_COLUMNS
from lcgis.data.schema import FIELDS, SPATIAL_LAYERS, canonical_name, header_unit, normalize_label
from lcgis.vocab import LAYER_LABELS, LAYERS

if TYPE_CHECKING:
    from collections.abc import Sequence

#: A unified social credit code (GB 32100-2015): 18 characters, no I, O, S, V, Z.
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_AREA_CODES = {"m2", "ha", "mu"}

#: Land-area fields whose magnitude tells 亩 from m².
_LAND_AREAS = ("registered_area_m2", "land_area_m2")
#: Geometry types as GeoPandas names them.
_POLYGONS = {"Polygon", "MultiPolygon"}


@dataclass(frozen=True)
class ColumnGuess:
    """One column proposed for one field, with its unit and why."""

    column: str
    unit: str | None = None
    unit_reason: str = ""


def geometry_column(df: pd.DataFrame) -> bool:
    """True when a table has a column the loader reads as geometry (wkt, geometry …)."""
    wanted = {normalize_label(c) for c in GEOMETRY_COLUMNS}
    return any(normalize_label(c) in wanted for c in df.columns)


# --- columns -------------------------------------------------------------------------------


def _dbf_prefixes(alias: str) -> set[str]:
    """What a shapefile keeps of ``alias``: its first 10 bytes in GBK or UTF-8."""
    out = set()
    for enc in ("gbk", "utf-8"):
        raw = alias.encode(enc, errors="ignore")
        if len(raw) > 10:
            out.add(raw[:10].decode(enc, errors="ignore"))
    return out


def _truncated_name(layer: str, column: str) -> str | None:
    """A field whose alias (or English name) a DBF cut to ``column``, if only one fits."""
    key = normalize_label(column)
    hits = {
        f.name
        for f in FIELDS[layer].values()
        for a in (*f.aliases, f.name)
        if key in {normalize_label(p) for p in _dbf_prefixes(a)} or (key == a[:10].lower())
    }
    return hits.pop() if len(hits) == 1 else None


def match_column(layer: str, column: str) -> tuple[str | None, str | None]:
    """The field ``column`` names in ``layer`` and the unit its header gives.

    >>> match_column("parcels", "约定动工日"), match_column("parcels", "宗地面积(亩)")
    (('agreed_start_date', None), ('registered_area_m2', 'mu'))
    """
    base, unit = header_unit(column)
    name = canonical_name(layer, base) or canonical_name(layer, column)
    name = name or _truncated_name(layer, base)
    return name, unit


def guess_columns(
    layer: str, df: pd.DataFrame, money_unit: str | None = None
) -> dict[str, ColumnGuess]:
    """The column proposed for each field; a money column whose header names no unit takes
    ``money_unit`` (the unit a workbook's title names) when given."""
    out: dict[str, ColumnGuess] = {}
    for col in df.columns:
        if isinstance(df, gpd.GeoDataFrame) and col == df.geometry.name:
            continue
        name, unit = match_column(layer, str(col))
        if name is None or name in out:
            continue
        f = FIELDS[layer][name]
        if f.unit is None:
            out[name] = ColumnGuess(str(col))
        elif unit is not None and (unit in _AREA_CODES) == (f.unit == "area"):
            out[name] = ColumnGuess(str(col), unit, "单位取自表头")
        elif unit is None and f.unit == "money" and money_unit is not None:
            out[name] = ColumnGuess(str(col), money_unit, "单位取自表格标题")
        else:
            out[name] = _magnitude_unit(name, f.unit, df[col], str(col))
    if "credit_code" in FIELDS[layer] and "credit_code" not in out:
        taken = {g.column for g in out.values()}
        codes = [c for c in credit_code_columns(df) if c not in taken]
        if codes:  # e.g. a tax bureau's 纳税人识别号: the values tell
            out["credit_code"] = ColumnGuess(codes[0], None, "猜测：取值是 18 位统一社会信用代码")
    return out


def _median(s: pd.Series) -> float:
    num = pd.to_numeric(s, errors="coerce")
    return float(num.median()) if num.notna().any() else float("nan")


def _magnitude_unit(name: str, kind: str | None, s: pd.Series, col: str) -> ColumnGuess:
    """The unit of a column whose header names none, guessed from its median."""
    med = _median(s)
    if kind == "area" and name in _LAND_AREAS and 1 <= med <= 500:
        return ColumnGuess(col, "mu", f"猜测：中位数 {med:g}，像是亩而不是平方米，请核对")
    if kind == "money" and med >= 1e6:
        return ColumnGuess(col, "yuan", f"猜测：中位数 {med:g}，像是元而不是万元，请核对")
    return ColumnGuess(col)


# --- the layer -----------------------------------------------------------------------------


def credit_code_columns(df: pd.DataFrame) -> list[str]:
    out = []
    for col in df.columns:
        if isinstance(df, gpd.GeoDataFrame) and col == df.geometry.name:
            continue
        text = df[col].dropna().astype(str).str.strip().str.upper().head(200)
        if len(text) and text.str.fullmatch(CREDIT_CODE).mean() >= 0.8:
            out.append(str(col))
    return out


def _geometry_kind(df: pd.DataFrame) -> str:
    """'polygon', 'point' or 'none'."""
    if not isinstance(df, gpd.GeoDataFrame):
        return "none"
    types = set(df.geom_type.dropna())
    return "polygon" if types and types <= _POLYGONS else ("point" if types else "none")


def choose_layer(df: pd.DataFrame) -> tuple[str, str]:
    """The most likely layer of a frame, and why (in Chinese)."""
    geom = _geometry_kind(df)
    codes = credit_code_columns(df)
    scores: dict[str, float] = {}
    for layer in LAYERS:
        spatial = layer in SPATIAL_LAYERS
        if (geom == "polygon") != spatial:
            continue
        found = guess_columns(layer, df)
        scores[layer] = len(found) + 2 * ("parcel_id" in found and layer == "parcels")
    if geom != "polygon" and codes:
        has_parcel = "parcel_id" in guess_columns("occupancy", df)
        has_year = "year" in guess_columns("enterprises", df)
        scores["occupancy"] += 5 if has_parcel and not has_year else 0
        scores["enterprises"] += 5 if has_year or not has_parcel else 0
    best = max(scores, key=lambda k: (scores[k], -LAYERS.index(k) if k != "parcels" else 1))
    return best, _reason(best, geom, codes, guess_columns(best, df))


def _reason(layer: str, geom: str, codes: list[str], found: dict[str, ColumnGuess]) -> str:
    parts = [{"polygon": "面状图形", "point": "点状图形", "none": "无图形(表格)"}[geom]]
    if codes:
        parts.append(f"列 {'、'.join(codes)} 是 18 位统一社会信用代码")
    if found:
        parts.append(f"识别出字段 {'、'.join(c.column for c in found.values())}")
    return f"判断为{LAYER_LABELS[layer]}({layer})：" + "；".join(parts)


# --- CRS -------------------------------------------------------------------------


def bounds(df: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """A layer's coordinate range (None without usable geometry)."""
    if not isinstance(df, gpd.GeoDataFrame) or df.geometry.isna().all():
        return None
    b = df.geometry.total_bounds
    return None if not np.isfinite(b).all() else (b[0], b[1], b[2], b[3])


def gk_from_easting(x: float) -> str | None:
    """An 8-digit easting with the zone prefix (25–45) names its EPSG code (4513–4533)."""
    zone = int(x // 1_000_000)
    if 1e7 <= x < 1e8 and 25 <= zone <= 45 and 300_000 <= x % 1_000_000 <= 700_000:
        return f"EPSG:{4513 + zone - 25}"
    return None


@dataclass(frozen=True)
class CrsChoice:
    """One CRS the coordinates of a layer may be in, and why."""

    code: str
    why: str


def is_lonlat(b: tuple[float, float, float, float]) -> bool:
    return -180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


#: A layer that declares its CRS: (file, CRS code, coordinate range).
Declared = tuple[str, str, tuple[float, float, float, float]]


def crs_choices(
    b: tuple[float, float, float, float],
    lon_hint: float | None = None,
    others: Sequence[Declared] = (),
) -> tuple[list[CrsChoice], bool]:
    """The CRS candidates of undeclared coordinates with range ``b``, most likely first, and
    whether the first is sure enough to assume.

    ``others`` are (file, CRS code, range) of layers that declare a projected CRS: a range
    that overlaps one of theirs is in the same CRS (a GeoJSON exported beside its shapefile).

    >>> crs_choices((118.5, 24.8, 118.6, 24.9))[0][0].code
    'EPSG:4490'
    >>> [c.code for c in crs_choices((350_000, 2.75e6, 360_000, 2.76e6))[0]]
    ['EPSG:4549', 'EPSG:4548']
    >>> crs_choices((980_000, 190_000, 990_000, 200_000), others=[("a.shp", "EPSG:2263",
    ...     (970_000, 180_000, 1_000_000, 210_000))])[0][0].why
    '坐标范围与 a.shp(EPSG:2263)重合'
    """
    same = [
        CrsChoice(code, f"坐标范围与 {file}({code})重合")
        for file, code, ob in others
        if _overlap(b, ob)
    ]
    if same:
        return same[:1], True
    if is_lonlat(b):
        return [
            CrsChoice("EPSG:4490", "坐标像经纬度：CGCS2000 地理坐标"),
            CrsChoice("EPSG:4326", "坐标像经纬度：WGS 84(GPS 采集)"),
        ], True
    prefixed = gk_from_easting((b[0] + b[2]) / 2)
    if prefixed:
        zone = int(b[0] // 1_000_000)
        return [CrsChoice(prefixed, f"东坐标带 8 位带号 {zone}：CGCS2000 3 度带")], True
    if b[0] >= 1e5 and b[2] <= 9e5 and b[1] > 0 and b[3] < 6.5e6:
        if lon_hint is not None:
            code = gk_epsg(lon_hint)
            near = [code, code - 1, code + 1]
            why = f"不带带号的 3 度带；按其他图层的经度 {lon_hint:.2f}°E"
            choices = [CrsChoice(f"EPSG:{c}", why if c == code else "相邻的 3 度带") for c in near]
            return choices, True
        why = "不带带号的 3 度带(EPSG:4534–4554)，中央经线 {}°E"
        return [
            CrsChoice("EPSG:4549", why.format(120) + "(鲤城一带)"),
            CrsChoice("EPSG:4548", why.format(117)),
        ], False
    return [], False
