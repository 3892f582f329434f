"""Folium builders for the committee's map: classification, styles, legend, basemaps, layers.

Pure (no streamlit).  The parcel layer is sent to the browser as one compact JSON payload
that a small script turns into Leaflet polygons (SVG, one clickable shape per parcel):

* only the fields the map shows (id, zone, main enterprise, the chosen figure, class,
  land area, flags for the overlay layers);
* coordinates in micro-degrees (6 decimals of degrees, ~0.1 m), each ring delta-encoded
  as integers from the previous vertex, the closing vertex dropped;
* the JSON made safe to sit inside ``<script>`` (``<``, ``>``, ``&`` and line separators
  escaped), and every text from the data put on the page with ``textContent``, never as
  HTML: a name such as ``<img src=x onerror=alert(1)>`` shows as that text.

Stored data is never shifted: for 高德 the display copy is moved to GCJ-02
(:func:`lcgis.data.crs.wgs84_to_gcj02`) and the map says which datum it shows.

>>> decode_ring(encode_ring([(118.5, 24.9), (118.500123, 24.9), (118.500123, 24.900045),
...                          (118.5, 24.9)], (118_500_000, 24_900_000)), (118_500_000, 24_900_000))
[(118.5, 24.9), (118.500123, 24.9), (118.500123, 24.900045)]
"""

from __future__ import annotations

import gzip
import html
import itertools
import json
import math
import re
import warnings
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import folium
import mapclassify
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from lcgis import collector
from lcgis.data.crs import DISPLAY_CRS, wgs84_to_gcj02
from lcgis.data.frame import column, flag, numeric
from lcgis.views import summary
from lcgis.vocab import (
    CLASS_LABELS,
    DISPOSITION_LABELS,
    DISPOSITIONS,
    LAND_STATE_LABELS,
    MAP_INDICATOR_LABELS,
    STATUSES,
    TIER_LABELS,
    TIERS,
)
from lcgis.vocab import DATUM_LABELS as DATUMS
from lcgis.vocab import SCHEME_LABELS as SCHEMES

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import geopandas as gpd

    from lcgis.access import Policy
    from lcgis.rules import Rules

# --- what can colour the map -----------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """A figure the map can be coloured by."""

    key: str
    label: str
    unit: str
    digits: int
    palette: str  # "good_high" (red -> green) or "neutral" (light -> dark blue)
    share: bool = False  # 0–1 values shown as %


#: The categorical indicator of the review status: a ``review_status`` column is not part of
#: the result; the caller adds it to the parcels (from the review store) before colouring.
REVIEW_STATUS = "review_status"

#: Indicators offered on the map, in menu order ("parcel_class", "disposition", "tier" and
#: "review_status" are categorical).
INDICATORS: dict[str, Indicator] = {
    key: Indicator(key, *MAP_INDICATOR_LABELS[key], digits, palette, share)
    for key, digits, palette, share in (
        ("parcel_class", 0, "classes", False),
        ("disposition", 0, "classes", False),
        ("tier", 0, "classes", False),
        ("tax_per_mu", 2, "good_high", False),
        ("output_per_mu", 1, "good_high", False),
        ("far", 2, "good_high", False),
        ("coverage", 1, "good_high", True),
        ("tax_per_mu_growth", 1, "good_high", True),
        ("land_area_mu", 2, "neutral", False),
        (REVIEW_STATUS, 0, "classes", False),
    )
}


def offered_indicators(access: Policy | None = None) -> list[str]:
    """The indicators the map offers to a viewer under ``access`` (a result's
    :attr:`~lcgis.engine.pipeline.Result.access`): none that the policy masks.

    >>> from lcgis.access import policy
    >>> from lcgis.rules import load_rules
    >>> offered_indicators(policy("guest", load_rules()))
    ['parcel_class', 'disposition', 'tier', 'far', 'coverage', 'land_area_mu', 'review_status']
    """
    return [k for k in INDICATORS if access is None or not access.hides(k)]


#: Colours of the classes A/B/C/D/T and of parcels without a class.
CLASS_COLORS: dict[str, str] = {
    "A": "#1a9641",
    "B": "#a6d96a",
    "C": "#fdae61",
    "D": "#d7191c",
    "T": "#9e9ac8",
}
NO_DATA_COLOR = "#d9d9d9"
#: Colours of the review statuses (:data:`lcgis.vocab.STATUSES`, in workflow order).
STATUS_COLORS: dict[str, str] = dict(
    zip(
        STATUSES,
        (
            "#fee08b",
            "#fdae61",
            "#74add1",
            "#67001f",
            "#f46d43",
            "#d7191c",
            "#762a83",
            "#1a9641",
            "#878787",
        ),
        strict=True,
    )
)

#: Colours of the dispositions (rules.md §8) and of the tiers of their lists.
DISPOSITION_COLORS: dict[str, str] = {
    "reclaim": "#40004b",
    "buyback": "#f1a340",
    "vacate": "#b2182b",
    "densify": "#2166ac",
}
TIER_COLORS: dict[str, str] = {"near": "#d7301f", "mid": "#fc8d59", "reserve": "#fdd49e"}
#: Legend row of parcels on no list.
NOT_LISTED = "未列入清单"

#: Overlay layers: (parcel column, Chinese name, outline colour); bit i of a parcel's flags.
OVERLAYS: tuple[tuple[str, str, str], ...] = (
    ("idle", LAND_STATE_LABELS["idle"], "#7b3294"),
    ("undeveloped", LAND_STATE_LABELS["undeveloped"], "#8c510a"),
    ("inefficient", LAND_STATE_LABELS["inefficient"], "#e66101"),
    ("in_construction", LAND_STATE_LABELS["in_construction"], "#35978f"),
    *(
        (f"{kind}_candidate", DISPOSITION_LABELS[kind], DISPOSITION_COLORS[kind])
        for kind in DISPOSITIONS
    ),
)

_GOOD_HIGH = (
    "#d73027",
    "#f46d43",
    "#fdae61",
    "#fee08b",
    "#d9ef8b",
    "#a6d96a",
    "#66bd63",
    "#1a9850",
)
_NEUTRAL = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def palette(n: int, kind: str) -> list[str]:
    """``n`` colours evenly spread over a ColorBrewer ramp (RdYlGn or Blues).

    >>> palette(3, "good_high")
    ['#d73027', '#ece88b', '#1a9850']
    """
    ramp = _GOOD_HIGH if kind == "good_high" else _NEUTRAL
    if n <= 1:
        return [ramp[-1]]
    idx = np.linspace(0, len(ramp) - 1, n)
    return [_mix(ramp, float(i)) for i in idx]


def _mix(ramp: Sequence[str], pos: float) -> str:
    lo, hi = math.floor(pos), math.ceil(pos)
    t = pos - lo
    a = [int(ramp[lo][k : k + 2], 16) for k in (1, 3, 5)]
    b = [int(ramp[hi][k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


# --- classification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Classes:
    """A classification of one figure: class of each value (-1 = no data), labels, colours."""

    codes: np.ndarray
    labels: list[str]
    colors: list[str]
    counts: list[int]
    scheme: str
    note: str = ""


def rule_thresholds(indicator: str, rules: Rules) -> list[float] | None:
    """Class breaks that come from the rules file (None when the rules give none).

    Each break is the first value of the class above it (a value equal to a threshold
    meets the rule): tax per 亩 5 / 20 (泉政办规〔2025〕13号), FAR from the industry
    minimums and the 零地增资 targets, coverage minimum, small-parcel limit.

    >>> from lcgis.rules import load_rules
    >>> rule_thresholds("tax_per_mu", load_rules()), rule_thresholds("far", load_rules())
    ([5.0, 20.0], [0.5, 1.0, 2.5, 3.0])
    """
    ine, den = rules.inefficient, rules.densify
    table = [float(v) for v in rules.land.min_far_by_industry.values()]
    options: dict[str, list[float | None]] = {
        "tax_per_mu": [ine.tax_per_mu_below, den.tax_per_mu_min, den.tax_per_mu_high],
        "far": [
            min(table) if table else None,
            max(table) if table else None,
            den.target_far_mid,
            den.target_far_high,
        ],
        "coverage": [rules.land.coverage_min],
        "land_area_mu": [ine.small_parcel_mu_below],
    }
    values = sorted({float(v) for v in options.get(indicator, []) if v is not None})
    return values or None


def _fmt(x: float, digits: int, share: bool = False) -> str:
    if share:
        return f"{x * 100:,.{digits}f}%"
    return f"{x:,.{digits}f}"


def classify(
    values: pd.Series,
    scheme: str,
    k: int,
    *,
    thresholds: Sequence[float] | None = None,
    digits: int = 2,
    share: bool = False,
    kind: str = "good_high",
) -> Classes:
    """Class every value: quantiles (mapclassify), natural breaks (Fisher-Jenks,
    :func:`fisher_jenks`) or rules.

    Values that are missing get code -1 ("无数据").  With rule thresholds a class holds
    ``threshold_i ≤ v < threshold_i+1``.  Natural breaks on more than 1000 values are
    computed on 1000 evenly spaced quantiles, so the answer is the same on every run.

    >>> c = classify(pd.Series([1.0, 4.0, 5.0, 30.0, None]), "rules", 5, thresholds=[5, 20])
    >>> c.codes.tolist(), c.labels, c.counts
    ([0, 0, 1, 2, -1], ['< 5.00', '5.00 – 20.00', '≥ 20.00'], [2, 1, 1])
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(v)
    codes = np.full(v.shape, -1, dtype=int)
    note = ""
    if scheme == "rules" and not thresholds:
        scheme, note = "quantiles", "该指标没有规则阈值，改按分位数分级"
    if not ok.any():
        return Classes(codes, [], [], [], scheme, note or "没有可分级的数值")
    y = v[ok]
    if scheme == "rules":
        assert thresholds is not None
        cuts = [float(t) for t in thresholds]
        # mapclassify bins are right-closed upper bounds: move each just below its threshold
        bins = [float(np.nextafter(t, -np.inf)) for t in cuts]
        if y.max() > bins[-1]:
            bins.append(float(y.max()))
        yb = mapclassify.UserDefined(y, bins=bins).yb
        n = len(cuts) + 1
        labels = [f"< {_fmt(cuts[0], digits, share)}"]
        labels += [
            f"{_fmt(a, digits, share)} – {_fmt(b, digits, share)}"
            for a, b in itertools.pairwise(cuts)
        ]
        labels.append(f"≥ {_fmt(cuts[-1], digits, share)}")
    else:
        bins = _breaks(y, scheme, k)
        yb = mapclassify.UserDefined(y, bins=bins).yb
        n = len(bins)
        lows = [float(y.min()), *bins[:-1]]
        labels = [
            f"{_fmt(a, digits, share)} – {_fmt(b, digits, share)}"
            for a, b in zip(lows, bins, strict=True)
        ]
    codes[ok] = np.asarray(yb, dtype=int)
    counts = [int((codes == i).sum()) for i in range(n)]
    return Classes(codes, labels, palette(n, kind), counts, scheme, note)


def _breaks(y: np.ndarray, scheme: str, k: int) -> list[float]:
    """Upper bounds of the classes (the last is the maximum), duplicates removed."""
    k = max(1, min(k, len(np.unique(y))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if scheme == "natural_breaks":
            sample = y if y.size <= 1000 else np.quantile(y, np.linspace(0, 1, 1000))
            bins = fisher_jenks(sample, k)
        else:
            bins = mapclassify.Quantiles(y, k=k).bins
    out = sorted({float(b) for b in bins})
    out[-1] = max(out[-1], float(y.max()))
    return out


def fisher_jenks(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` natural-breaks classes of ``values``: mapclassify's
    ``FisherJenks(values, k).bins``, the same dynamic programme in the same single-precision
    arithmetic, but each step over every segment end at once (numpy) instead of a Python
    loop inside a loop: the same breaks in a few milliseconds for 1000 values instead of
    about a second.

    >>> fisher_jenks(np.array([1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 30.0]), 3).tolist()
    [3.0, 12.0, 30.0]
    """
    x = np.sort(np.asarray(values, dtype=float).ravel())
    if len(np.unique(x)) < k:
        raise ValueError(f"Fewer unique values ({len(np.unique(x))}) than specified classes ({k}).")
    n = len(x)
    lower = np.zeros((n + 1, k + 1), dtype=np.int32)  # first value of the last class
    cost = np.zeros((n + 1, k + 1), dtype=np.float32)  # within-class sum of squares
    lower[1, 1:] = 1
    cost[2:, 1:] = np.inf
    x32 = x.astype(np.float32)
    sq = x32 * x32
    for end in range(2, n + 1):
        # the segments x[end - m : end] for m = 1 .. end, sums added from the end backwards
        s1 = np.cumsum(x32[end - 1 :: -1], dtype=np.float32)
        s2 = np.cumsum(sq[end - 1 :: -1], dtype=np.float32)
        w = np.arange(1, end + 1, dtype=np.float32)
        v = s2 - (s1 * s1) / w
        if k > 1:
            # the class x[end - m : end] after the best j - 1 classes of x[: end - m]
            before = cost[end - 1 : 0 : -1, 1:k]  # rows end - m for m = 1 .. end - 1
            cand = v[:-1, None] + before
            last = (end - 2) - np.argmin(cand[::-1], axis=0)  # the last m of the minimum
            cost[end, 2:] = cand[last, np.arange(k - 1)]
            lower[end, 2:] = end - last  # i3 = end - m + 1 with m = last + 1
        lower[end, 1] = 1
        cost[end, 1] = v[-1]
    kclass = np.zeros(k + 1, dtype=x.dtype)
    kclass[k] = x[n - 1]
    kclass[0] = x[0]
    i = n
    for count in range(k, 1, -1):
        pivot = int(lower[i, count])
        kclass[count - 1] = x[pivot - 2]
        i = pivot - 1
    return np.delete(kclass, 0)


def class_colors(classes: pd.Series) -> Classes:
    """The categorical colouring by class A/B/C/D/T (-1 = no class: no occupant or data)."""
    letters = list(CLASS_COLORS)
    c = pd.Series(classes, dtype="string").fillna("")
    codes = np.array([letters.index(x) if x in letters else -1 for x in c], dtype=int)
    counts = [int((codes == i).sum()) for i in range(len(letters))]
    return Classes(
        codes,
        [CLASS_LABELS[x] for x in letters],
        list(CLASS_COLORS.values()),
        counts,
        "classes",
    )


def status_colors(statuses: pd.Series) -> Classes:
    """The categorical colouring by review status (-1 = a status not in :data:`STATUS_COLORS`).

    >>> c = status_colors(pd.Series(["待核查", "已处置", "待核查", None]))
    >>> c.codes.tolist(), c.counts[0], c.labels[7]
    ([0, 7, 0, -1], 2, '已处置')
    """
    names = list(STATUS_COLORS)
    s = pd.Series(statuses, dtype="string").fillna("")
    codes = np.array([names.index(x) if x in names else -1 for x in s], dtype=int)
    counts = [int((codes == i).sum()) for i in range(len(names))]
    return Classes(codes, names, list(STATUS_COLORS.values()), counts, "classes")


def category_colors(
    values: pd.Series, names: Mapping[str, str], colors: Mapping[str, str]
) -> Classes:
    """A categorical colouring by coded values (``names``: code -> Chinese label, in legend
    order); -1 for any other value (none).

    >>> c = category_colors(pd.Series(["buyback", None, "densify"]), DISPOSITION_LABELS,
    ...                     DISPOSITION_COLORS)
    >>> c.codes.tolist(), c.labels, c.counts
    ([1, -1, 3], ['无偿收回', '收储改造', '腾笼换鸟', '零地增资'], [0, 1, 0, 1])
    """
    keys = list(names)
    v = pd.Series(values, dtype=object).where(pd.Series(values).notna(), "")
    codes = np.array([keys.index(x) if x in keys else -1 for x in v], dtype=int)
    counts = [int((codes == i).sum()) for i in range(len(keys))]
    return Classes(codes, [names[x] for x in keys], [colors[x] for x in keys], counts, "classes")


def classify_indicator(
    parcels: pd.DataFrame, indicator: str, scheme: str, k: int, rules: Rules
) -> Classes:
    """Classes of the parcels by ``indicator`` (see :data:`INDICATORS`)."""
    ind = INDICATORS[indicator]
    if indicator == "parcel_class":
        return class_colors(column(parcels, "parcel_class", pd.NA))
    if indicator == "disposition":
        return category_colors(
            column(parcels, "disposition", None),
            DISPOSITION_LABELS,
            DISPOSITION_COLORS,
        )
    if indicator == "tier":
        return category_colors(column(parcels, "tier", None), TIER_LABELS, TIER_COLORS)
    if indicator == REVIEW_STATUS:
        return status_colors(column(parcels, REVIEW_STATUS, pd.NA))
    values = parcels[indicator] if indicator in parcels else pd.Series(np.nan, index=parcels.index)
    return classify(
        values,
        scheme,
        k,
        thresholds=rule_thresholds(indicator, rules) if scheme == "rules" else None,
        digits=ind.digits,
        share=ind.share,
        kind=ind.palette,
    )


# --- geometry for display ---------------------------------------------------------------------

SCALE = 1_000_000  # micro-degrees: 6 decimals of degrees, about 0.1 m


def display_geometry(geoms: gpd.GeoSeries, datum: str = "wgs84") -> gpd.GeoSeries:
    """Lon/lat display copy of ``geoms`` (GCJ-02-shifted for ``datum="gcj02"``)."""
    if datum == "gcj02":
        return wgs84_to_gcj02(geoms)
    return geoms.to_crs(DISPLAY_CRS)


def encode_ring(coords: Iterable[Sequence[float]], origin: tuple[int, int]) -> list[int]:
    """A ring as integers: first vertex from ``origin``, then deltas; closing vertex dropped."""
    pts = np.round(np.asarray(list(coords), dtype=float)[:, :2] * SCALE).astype(np.int64)
    if len(pts) > 1 and (pts[0] == pts[-1]).all():
        pts = pts[:-1]
    deltas = np.diff(pts, axis=0, prepend=np.array([origin], dtype=np.int64))
    return [int(x) for x in deltas.ravel()]


def decode_ring(flat: Sequence[int], origin: tuple[int, int]) -> list[tuple[float, float]]:
    """Inverse of :func:`encode_ring` (lon, lat), for tests and tools."""
    pts = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0) + np.array(origin)
    return [(float(x) / SCALE, float(y) / SCALE) for x, y in pts]


def encode_geometry(geom: Any, origin: tuple[int, int]) -> list[list[list[int]]]:
    """Polygon or MultiPolygon -> [[ring, hole, ...], ...] of :func:`encode_ring` lists."""
    if geom is None or geom.is_empty:
        return []
    polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    out = []
    for poly in polys:
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        rings = [poly.exterior, *poly.interiors]
        out.append([encode_ring(r.coords, origin) for r in rings])
    return out


def _ring_points(geoms: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ring of lon/lat polygons at once, as :func:`encode_geometry` sees them.

    Returns (points, vertices per ring, rings per part, parts per geometry): the points in
    micro-degrees (int64, ``(V, 2)``), each ring's closing vertex dropped; missing or empty
    geometries have no part, empty parts of a multipolygon are dropped, and of any other
    kind only its polygons count (as :func:`encode_geometry` does).
    """
    arr = np.array(geoms, dtype=object)
    kind = shapely.get_type_id(arr)
    for i in np.flatnonzero(~np.isin(kind, (-1, 3, 6))):  # collections, lines, points: rare
        g = arr[i]
        polys = [p for p in getattr(g, "geoms", [g]) if p.geom_type == "Polygon" and not p.is_empty]
        arr[i] = shapely.MultiPolygon(polys) if polys else None
    arr[shapely.is_empty(arr)] = None
    if not shapely.is_geometry(arr).any():
        none = np.zeros(0, dtype=np.int64)
        return np.zeros((0, 2), dtype=np.int64), none, none, np.zeros(len(arr), dtype=np.int64)
    _, coords, offsets = shapely.to_ragged_array(arr)
    ring_off, part_off = np.asarray(offsets[0]), np.asarray(offsets[1])
    geom_off = np.asarray(offsets[2]) if len(offsets) > 2 else np.arange(len(part_off))
    pts = np.round(coords * SCALE).astype(np.int64)
    count = np.diff(ring_off)
    first, last = ring_off[:-1], ring_off[1:] - 1
    closed = (count > 1) & (pts[first] == pts[np.maximum(last, 0)]).all(axis=1)
    keep = np.ones(len(pts), dtype=bool)
    keep[last[closed]] = False
    rings = np.diff(part_off)
    solid = np.r_[0, np.cumsum(rings > 0)]  # an empty part has no ring: dropped
    return pts[keep], count - closed, rings[rings > 0], np.diff(solid[geom_off])


def encode_geometries(geoms: Any, origin: tuple[int, int]) -> list[list[list[list[int]]]]:
    """:func:`encode_geometry` of every geometry at once (shapely's array functions, no
    per-shape loop).

    >>> encode_geometries([shapely.box(0, 0, 1e-6, 2e-6), None], (0, 0))
    [[[[1, 0, 0, 2, -1, 0, 0, -2]]], []]
    """
    pts, verts, rings, parts = _ring_points(geoms)
    starts = np.zeros(len(pts), dtype=bool)
    starts[np.r_[0, np.cumsum(verts)[:-1]][verts > 0]] = True
    prev = np.empty_like(pts)
    prev[1:] = pts[:-1]
    prev[starts] = np.array(origin, dtype=np.int64)
    flat = (pts - prev).ravel().tolist()
    ring_lists = [flat[a:b] for a, b in itertools.pairwise([0, *np.cumsum(2 * verts).tolist()])]
    part_lists = [ring_lists[a:b] for a, b in itertools.pairwise([0, *np.cumsum(rings).tolist()])]
    return [part_lists[a:b] for a, b in itertools.pairwise([0, *np.cumsum(parts).tolist()])]


def safe_json(obj: Any) -> str:
    """Compact JSON that is safe inside an HTML ``<script>``: no ``</script>`` can close it.

    >>> safe_json({"n": "</script><img src=x onerror=alert(1)>"})
    '{"n":"\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _number(value: Any, digits: int) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return round(x, digits) if math.isfinite(x) else None


def _texts(values: pd.Series | Sequence[Any]) -> list[str]:
    """:func:`_text` of every value ("" for a missing one).

    >>> _texts(pd.Series(["a", None, 3.0], dtype=object))
    ['a', '', '3.0']
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        return [str(v) for v in values.fillna("").tolist()]
    items = values.tolist() if isinstance(values, pd.Series) else list(values)
    return [_text(v) for v in items]


def _numbers(values: pd.Series, digits: int) -> list[float | None]:
    """:func:`_number` of every value (None for a missing or non-finite one).

    >>> _numbers(pd.Series([1.236, None, float("inf")]), 2)
    [1.24, None, None]
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        x = values.to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(x).tolist()
        return [round(v, digits) if good else None for v, good in zip(x.tolist(), ok, strict=True)]
    return [_number(v, digits) for v in values.tolist()]


def _codes(parcels: pd.DataFrame, column: str, values: Sequence[str]) -> np.ndarray:
    """Index of each parcel's ``column`` value in ``values`` (-1 when absent or other)."""
    if column not in parcels:
        return np.full(len(parcels), -1, dtype=int)
    where = {v: i for i, v in enumerate(values)}
    col = parcels[column].astype(object)
    return np.array([where.get(v, -1) if isinstance(v, str) else -1 for v in col], dtype=int)


def _flags(parcels: pd.DataFrame) -> np.ndarray:
    bits = np.zeros(len(parcels), dtype=int)
    for i, (col, _, _) in enumerate(OVERLAYS):
        if col in parcels:
            on = parcels[col].astype("boolean").fillna(False).to_numpy(dtype=bool)
            bits |= on.astype(int) << i
    return bits


@dataclass(frozen=True)
class Legend:
    """What the colours mean: title, (colour, label, parcel count) rows, and a note."""

    title: str
    rows: list[tuple[str, str, int]]
    note: str = ""


def legend_for(indicator: str, classes: Classes, scheme: str) -> Legend:
    """The legend of a classification (a grey "无数据" row when some parcels have none)."""
    ind = INDICATORS[indicator]
    unit = f"({ind.unit})" if ind.unit and ind.unit != "%" else ""
    categorical = ind.palette == "classes"
    how = "" if categorical else f" · {SCHEMES.get(classes.scheme, scheme)}"
    title = f"{ind.label}{unit}{how}"
    rows = list(zip(classes.colors, classes.labels, classes.counts, strict=True))
    missing = int((classes.codes == -1).sum())
    if missing:
        none = NOT_LISTED if indicator in ("disposition", "tier") else "无类别"
        rows.append((NO_DATA_COLOR, none if categorical else "无数据", missing))
    return Legend(title, rows, classes.note)


def legend_html(legend: Legend) -> str:
    """The legend as an HTML fragment (every text escaped), e.g. for a printout.

    >>> legend_html(Legend("类别", [("#1a9641", "<b>A</b>", 3)]))  # doctest: +ELLIPSIS
    '<div class="lcgis-legend"><b>类别</b>...&lt;b&gt;A&lt;/b&gt; (3)</div></div>'
    """
    rows = "".join(
        f'<div><span style="background:{c if _HEX.match(c) else NO_DATA_COLOR}"></span>'
        f"{html.escape(label)} ({n})</div>"
        for c, label, n in legend.rows
    )
    return f'<div class="lcgis-legend"><b>{html.escape(legend.title)}</b>{rows}</div>'


def parcel_payload(
    parcels: gpd.GeoDataFrame,
    indicator: str,
    classes: Classes,
    legend: Legend,
    *,
    names: pd.Series | None = None,
    zones: gpd.GeoDataFrame | None = None,
    datum: str = "wgs84",
) -> dict[str, Any]:
    """The compact payload the parcel script draws (see the module docstring).

    ``names``: main enterprise name per parcel (aligned on ``parcels``); ``zones``: outlines
    with ``zone_name``.  Row of ``p``: [id, zone index, colour index, value, class, flags,
    name, land 亩, geometry, disposition index, tier index] (indexes into ``dl`` / ``tl``,
    -1 for none).
    """
    with collector.paused():
        return _parcel_payload(parcels, indicator, classes, legend, names, zones, datum)


def _parcel_payload(
    parcels: gpd.GeoDataFrame,
    indicator: str,
    classes: Classes,
    legend: Legend,
    names: pd.Series | None,
    zones: gpd.GeoDataFrame | None,
    datum: str,
) -> dict[str, Any]:
    geoms = display_geometry(parcels.geometry, datum)
    origin = _origin(geoms)
    cols = _columns(parcels, indicator, names)
    rows = [
        list(r)
        for r in zip(
            cols["id"],
            cols["z"],
            np.asarray(classes.codes, dtype=np.int64).tolist(),
            cols["v"],
            cols["c"],
            cols["f"],
            cols["nm"],
            cols["mu"],
            encode_geometries(geoms, origin),
            cols["d"],
            cols["t"],
            strict=True,
        )
    ]
    meta = _meta(parcels, indicator, classes, legend, zones, datum, origin, cols["zn"])
    tail = ("z", "lg", "datum")  # the keys in the order they always had
    payload = {
        **{k: v for k, v in meta.items() if k not in tail},
        "p": rows,
        **{k: meta[k] for k in tail},
    }
    if map_mode(len(parcels)) != "svg":
        payload["cv"] = 1  # Leaflet's canvas renderer
    return payload


def _origin(geoms: gpd.GeoSeries) -> tuple[int, int]:
    minx, miny, _, _ = geoms.total_bounds
    return (round(minx * SCALE), round(miny * SCALE))


def _columns(parcels: pd.DataFrame, indicator: str, names: pd.Series | None) -> dict[str, Any]:
    """The payload's fields of every parcel, as lists (``zn``: the zone names, sorted)."""
    ind = INDICATORS[indicator]
    n = len(parcels)
    zone_names = _texts(parcels["zone_name"]) if "zone_name" in parcels else [""] * n
    zlist = sorted({z for z in zone_names if z})
    zindex = {z: i for i, z in enumerate(zlist)}
    digits = ind.digits + (2 if ind.share else 0)
    none: list[Any] = [None] * n
    shown = indicator in parcels and ind.palette != "classes"
    klass = parcels.get("parcel_class", None)
    return {
        "zn": zlist,
        "id": _texts(parcels["parcel_id"]),
        "z": [zindex.get(z, -1) for z in zone_names],
        "v": _numbers(parcels[indicator], digits) if shown else none,
        "c": [""] * n if klass is None else _texts(klass),
        "f": _flags(parcels).tolist(),
        "nm": [""] * n if names is None else _texts(names),
        "mu": _numbers(parcels["land_area_mu"], 1) if "land_area_mu" in parcels else none,
        "d": _codes(parcels, "disposition", DISPOSITIONS).tolist(),
        "t": _codes(parcels, "tier", TIERS).tolist(),
    }


def _meta(
    parcels: pd.DataFrame,
    indicator: str,
    classes: Classes,
    legend: Legend,
    zones: gpd.GeoDataFrame | None,
    datum: str,
    origin: tuple[int, int],
    zlist: list[str],
) -> dict[str, Any]:
    """Everything of the payload but the parcels: origin, names, palette, overlays, zones,
    legend and datum."""
    ind = INDICATORS[indicator]
    categorical = ind.palette == "classes"
    flags = _flags(parcels)
    zone_rows = []
    if zones is not None and len(zones) and "zone_name" in zones:
        zgeoms = display_geometry(zones.geometry, datum)
        for name, g in zip(zones["zone_name"], zgeoms, strict=True):
            if g is None or g.is_empty:
                continue
            pt = shapely.point_on_surface(g)
            zone_rows.append(
                [_text(name), encode_geometry(g, origin), [round(pt.y, 6), round(pt.x, 6)]]
            )
    return {
        "o": list(origin),
        "zn": zlist,
        "pal": list(classes.colors),
        "nd": NO_DATA_COLOR,
        "ind": {
            "label": "" if categorical else ind.label,
            "unit": ind.unit,
            "d": ind.digits,
            "share": ind.share,
        },
        "ov": [
            [name, color, int((flags >> i & 1).sum())]
            for i, (_, name, color) in enumerate(OVERLAYS)
        ],
        "dl": [DISPOSITION_LABELS[k] for k in DISPOSITIONS],
        "tl": [TIER_LABELS[t] for t in TIERS],
        "z": zone_rows,
        "lg": {"title": legend.title, "rows": [list(r) for r in legend.rows], "note": legend.note},
        "datum": DATUMS.get(datum, ""),
    }


# --- large datasets: the parcels as files the map's script fetches -----------------------------

#: From this many parcels the map draws them on Leaflet's canvas renderer instead of one SVG
#: path each (hundreds of thousands of DOM nodes make the page crawl).
CANVAS_FROM = 3_000
#: From this many parcels the map fetches them as typed arrays from the app's static files and
#: draws them itself on tile canvases (:func:`tile_files`, docs/maps.md); below, the parcels
#: sit in the page itself.
TILES_FROM = 20_000


def map_mode(n: int) -> str:
    """How the map draws ``n`` parcels: ``svg``, ``canvas`` or ``tiles`` (see above).

    >>> map_mode(279), map_mode(5_000), map_mode(500_000)
    ('svg', 'canvas', 'tiles')
    """
    return "svg" if n < CANVAS_FROM else "canvas" if n < TILES_FROM else "tiles"


#: Web Mercator units of the geometry file: 2**-32 of the world's width (under 1 cm).
MERCATOR_UNITS = 2**32


def web_mercator_units(micro_degrees: np.ndarray) -> np.ndarray:
    """Lon/lat points in micro-degrees (``(V, 2)``) to Web Mercator in :data:`MERCATOR_UNITS`
    of the world (x east from 180° W, y south from the top, as Leaflet's pixels at zoom 0);
    display only — no area is ever measured in it.

    >>> web_mercator_units(np.array([[0, 0], [-180_000_000, 0]])).tolist()
    [[2147483648, 2147483648], [0, 2147483648]]
    """
    lon = micro_degrees[:, 0] / SCALE
    sin = np.sin(np.radians(micro_degrees[:, 1] / SCALE))
    x = (lon + 180.0) / 360.0
    y = 0.5 - np.log((1 + sin) / (1 - sin)) / (4 * np.pi)
    return np.round(np.column_stack([x, y]) * MERCATOR_UNITS).astype(np.int64)


def geometry_file(parcels: gpd.GeoDataFrame, datum: str = "wgs84") -> tuple[bytes, list[int]]:
    """(file, origin) of the parcels' outlines for the map's script: little-endian int32
    ``[n, rings, vertices, 2]`` and the Web Mercator origin (two uint32, the smallest x
    and y), the rings of each parcel (n), the vertices of each ring (rings), the vertices in
    :data:`MERCATOR_UNITS` (x, y), each as the step from the one before (the first from the
    Mercator origin), then one byte of overlay flags a parcel.  Counts and steps are small
    numbers, so the file packs well (:func:`pack`); the script adds them up and scales: no
    projection in the browser.  Holes and the parts of a multipolygon are rings of their
    parcel (drawn even-odd).  The vertices are those of :func:`encode_ring` (the same
    micro-degree rounding), projected; ``origin`` is the payload's micro-degree origin.

    >>> import geopandas as gpd
    >>> g = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 0.001, 0.0005)], crs=4326)
    >>> data, origin = geometry_file(g)
    >>> head = np.frombuffer(data[:24], dtype="<i4").tolist()
    >>> head[:4], np.frombuffer(data[16:24], dtype="<u4").tolist(), origin
    ([1, 1, 4, 2], [2147483648, 2147477683], [0, 0])
    >>> np.frombuffer(data[24:-1], dtype="<i4").tolist()
    [1, 4, 11930, 5965, 0, -5965, -11930, 0, 0, 5965]
    """
    geoms = display_geometry(parcels.geometry, datum)
    origin = _origin(geoms) if len(geoms) and not geoms.is_empty.all() else (0, 0)
    pts, verts, rings, parts = _ring_points(geoms)
    ring_of_part = np.r_[0, np.cumsum(rings)]
    rings_of_parcel = np.diff(ring_of_part[np.r_[0, np.cumsum(parts)]])
    merc = web_mercator_units(pts)
    m0 = merc.min(axis=0) if len(merc) else np.zeros(2, dtype=np.int64)
    steps = np.diff(merc, axis=0, prepend=m0[None, :])
    head = np.array([len(parcels), len(verts), len(pts), 2])
    out = b"".join(
        (
            head.astype("<i4").tobytes(),
            m0.astype("<u4").tobytes(),
            *(np.asarray(a, dtype="<i4").tobytes() for a in (rings_of_parcel, verts, steps)),
        )
    )
    return out + _flags(parcels).astype(np.uint8).tobytes(), list(origin)


#: gzip level of the map files: the fastest, the files are built once a dataset and the
#: higher levels gain little on counts and steps.
PACK_LEVEL = 1


def pack(blob: bytes) -> bytes:
    """A map file as it is published: gzip, which the map's script inflates itself (the
    browser's DecompressionStream; no server support needed, a file that was not packed
    reads too).

    >>> import gzip
    >>> gzip.decompress(pack(b"[1,2]"))
    b'[1,2]'
    """
    return gzip.compress(blob, compresslevel=PACK_LEVEL, mtime=0)


def attribute_file(parcels: pd.DataFrame, names: pd.Series | None = None) -> bytes:
    """What the tooltip and a click need of every parcel, as JSON columns: ``id``, ``z``
    (zone index), ``c`` (class), ``nm`` (main enterprise), ``mu`` (land 亩), ``d`` / ``t``
    (disposition / tier index); the same fields as the rows of :func:`parcel_payload`."""
    cols = _columns(parcels, "parcel_class", names)
    keep = ("id", "z", "c", "nm", "mu", "d", "t")
    return safe_json({k: cols[k] for k in keep}).encode("utf-8")


def colour_file(parcels: pd.DataFrame, indicator: str, classes: Classes) -> bytes:
    """The colouring of every parcel as JSON: ``k`` (colour index, -1 none), ``v`` (the
    figure shown, or null for a categorical colouring)."""
    ind = INDICATORS[indicator]
    values = _columns(parcels, indicator, None)["v"] if ind.palette != "classes" else None
    codes = np.asarray(classes.codes, dtype=np.int64).tolist()
    return safe_json({"k": codes, "v": values}).encode("utf-8")


def tiles_payload(
    parcels: gpd.GeoDataFrame,
    indicator: str,
    classes: Classes,
    legend: Legend,
    *,
    origin: Sequence[int],
    src: Mapping[str, str],
    zones: gpd.GeoDataFrame | None = None,
    datum: str = "wgs84",
) -> dict[str, Any]:
    """The payload of the tile path: :func:`parcel_payload` without the parcel rows, with
    ``src`` (URLs of the ``geo`` / ``att`` / ``col`` files) and ``n`` (parcels)."""
    with collector.paused():
        zlist = _columns(parcels.iloc[:0], indicator, None)["zn"]
        if "zone_name" in parcels:
            zlist = sorted({z for z in _texts(parcels["zone_name"]) if z})
        o = (int(origin[0]), int(origin[1]))
        meta = _meta(parcels, indicator, classes, legend, zones, datum, o, zlist)
    return {**meta, "src": dict(src), "n": len(parcels)}


# --- basemaps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tiles:
    url: str
    attribution: str
    subdomains: str = "abc"


@dataclass(frozen=True)
class Basemap:
    key: str
    label: str
    datum: str  # "wgs84" or "gcj02"
    tiles: tuple[Tiles, ...]
    needs_key: bool = False


_TDT = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
_TDT_ATTR = "© 天地图 国家地理信息公共服务平台"

#: Basemaps in menu order.  天地图 needs a key (env TIANDITU_KEY or the app's secrets).
BASEMAPS: dict[str, Basemap] = {
    b.key: b
    for b in (
        Basemap(
            "osm",
            "OpenStreetMap",
            "wgs84",
            (
                Tiles(
                    "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    "© OpenStreetMap contributors",
                    "",
                ),
            ),
        ),
        Basemap(
            "tianditu_vec",
            "天地图 矢量",
            "wgs84",
            (
                Tiles(_TDT.replace("{layer}", "vec"), _TDT_ATTR, "01234567"),
                Tiles(_TDT.replace("{layer}", "cva"), _TDT_ATTR, "01234567"),
            ),
            needs_key=True,
        ),
        Basemap(
            "tianditu_img",
            "天地图 影像",
            "wgs84",
            (
                Tiles(_TDT.replace("{layer}", "img"), _TDT_ATTR, "01234567"),
                Tiles(_TDT.replace("{layer}", "cia"), _TDT_ATTR, "01234567"),
            ),
            needs_key=True,
        ),
        Basemap(
            "gaode",
            "高德 矢量(GCJ-02)",
            "gcj02",
            (
                Tiles(
                    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                    "&style=8&x={x}&y={y}&z={z}",
                    "© 高德地图",
                    "1234",
                ),
            ),
        ),
        Basemap("none", "无底图(离线)", "wgs84", ()),
    )
}
_KEY = re.compile(r"^[A-Za-z0-9]{8,64}$")


def basemap_options(tianditu_key: str | None) -> list[str]:
    """Basemap keys that can be used (天地图 only with a plausible key).

    >>> basemap_options(None)
    ['osm', 'gaode', 'none']
    """
    ok = bool(tianditu_key and _KEY.match(tianditu_key))
    return [k for k, b in BASEMAPS.items() if ok or not b.needs_key]


# --- the map -----------------------------------------------------------------------------------


def _asset(name: str) -> str:
    """The text of a file in ``lcgis/views/assets`` (the map's script and styles)."""
    return resources.files("lcgis.views").joinpath("assets", name).read_text(encoding="utf-8")


def _css() -> str:
    """The map's styles on one line, comments dropped (they sit in the page's ``<head>``)."""
    text = re.sub(r"/\*.*?\*/", "", _asset("parcel_layer.css"), flags=re.S)
    return text.replace("\n", "")


def _js() -> str:
    """The payload-drawing script, a Jinja template (``{{ this.payload }}``), comments dropped."""
    return "\n".join(
        line for line in _asset("parcel_layer.js").splitlines() if not line.startswith("//")
    )


class ParcelLayer(MacroElement):
    """The parcel layer, zone outlines, overlays, legend and datum note from one payload."""

    _template = Template(
        "{% macro header(this, kwargs) %}<style>"
        + _css()
        + "</style>{% endmacro %}"
        + "{% macro script(this, kwargs) %}"
        + _js()
        + "{% endmacro %}"
    )

    def __init__(self, payload_json: str) -> None:
        super().__init__()
        self._name = "ParcelLayer"
        self.payload = payload_json


def leaflet_assets(base_url: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(js, css) lists for folium's ``default_js`` / ``default_css``, served by the app.

    >>> leaflet_assets("/app/static/vendor/leaflet-1.9.4")[0]
    [('leaflet', '/app/static/vendor/leaflet-1.9.4/leaflet.js')]
    """
    base = base_url.rstrip("/")
    return [("leaflet", f"{base}/leaflet.js")], [("leaflet_css", f"{base}/leaflet.css")]


def base_map(
    bounds: Sequence[Sequence[float]],
    *,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    assets_url: str = "/app/static/vendor/leaflet-1.9.4",
) -> folium.Map:
    """An empty folium map on ``basemap``, fitted to ``bounds`` ([[south, west], [north, east]]).

    Leaflet is loaded from ``assets_url`` (the app's own static files), never from a CDN;
    with ``basemap="none"`` the map needs no other host at all.
    """
    (lat0, lon0), (lat1, lon1) = bounds
    m = folium.Map(
        location=[(lat0 + lat1) / 2, (lon0 + lon1) / 2],
        zoom_start=14,
        tiles=None,
        control_scale=False,  # folium's scale bar shows feet too: a metric one below
        max_zoom=20,
    )
    m.default_js, m.default_css = leaflet_assets(assets_url)
    scale = folium.MacroElement()
    scale._template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false, metric: true}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )
    m.add_child(scale)
    spec = BASEMAPS.get(basemap, BASEMAPS["none"])
    if spec.needs_key and not (tianditu_key and _KEY.match(tianditu_key)):
        spec = BASEMAPS["osm"]
    for t in spec.tiles:
        folium.TileLayer(
            tiles=t.url.replace("{key}", tianditu_key or ""),
            attr=t.attribution,
            name=spec.label,
            subdomains=t.subdomains or "abc",
            max_native_zoom=18,
            max_zoom=20,
            control=False,
        ).add_to(m)
    m.fit_bounds([[lat0, lon0], [lat1, lon1]])
    return m


def build_map(
    payload_json: str,
    bounds: Sequence[Sequence[float]],
    *,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    assets_url: str = "/app/static/vendor/leaflet-1.9.4",
) -> folium.Map:
    """A folium map of the parcel payload on :func:`base_map`."""
    m = base_map(bounds, basemap=basemap, tianditu_key=tianditu_key, assets_url=assets_url)
    ParcelLayer(payload_json).add_to(m)
    return m


def _near(a: list[list[float]], b: list[list[float]], degrees: float = 0.2) -> bool:
    """Two [[south, west], [north, east]] boxes within ``degrees`` (about 20 km) of each other.

    >>> _near([[24.8, 118.5], [24.9, 118.6]], [[24.85, 118.55], [25.0, 118.7]])
    True
    >>> _near([[24.8, 118.5], [24.9, 118.6]], [[24.8, 115.5], [24.9, 115.6]])
    False
    """
    return (
        a[0][0] - degrees <= b[1][0] and b[0][0] - degrees <= a[1][0]
        and a[0][1] - degrees <= b[1][1] and b[0][1] - degrees <= a[1][1]
    )  # fmt: skip


#: The park in use, drawn under an import's CRS preview.
_PARK_STYLE = {"color": "#1f77b4", "weight": 2, "dashArray": "6 4", "fillOpacity": 0}


def outline_map(
    geoms: gpd.GeoSeries,
    *,
    basemap: str = "osm",
    reference: gpd.GeoSeries | None = None,
    **kw: Any,
) -> folium.Map:
    """Shapes drawn as red outlines on :func:`base_map` (the import's CRS preview), with
    ``reference`` (the park in use) as blue dashed outlines, so that without tiles too the
    right candidate is seen to land on the park; shifted to GCJ-02 for a basemap in that datum.
    The map is fitted to the shapes."""
    datum = BASEMAPS.get(basemap, BASEMAPS["none"]).datum
    shown = display_geometry(geoms, datum)
    ref = None if reference is None or reference.empty else display_geometry(reference, datum)
    (s0, w0), (n0, e0) = bounds_of(shown)
    if ref is not None and _near(bounds_of(shown), bounds_of(ref)):
        (s1, w1), (n1, e1) = bounds_of(ref)
        s0, w0, n0, e0 = min(s0, s1), min(w0, w1), max(n0, n1), max(e0, e1)
    m = base_map([[s0, w0], [n0, e0]], basemap=basemap, **kw)
    if ref is not None:
        folium.GeoJson(
            ref.to_json(),
            style_function=lambda _f: _PARK_STYLE,
            control=False,
        ).add_to(m)
    folium.GeoJson(
        shown.to_json(),
        style_function=lambda _f: {"color": "#d62728", "weight": 1.5, "fillOpacity": 0.15},
        control=False,
    ).add_to(m)
    return m


def bounds_of(geoms: gpd.GeoSeries) -> list[list[float]]:
    """[[south, west], [north, east]] of lon/lat geometries."""
    minx, miny, maxx, maxy = geoms.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def highlight_layer(
    geoms: gpd.GeoSeries, *, color: str = "#00e5ff", name: str = "selection"
) -> folium.FeatureGroup:
    """Outlines of selected parcels (lon/lat geometries), not clickable, drawn on top."""
    fg = folium.FeatureGroup(name=name)
    shapes = [g for g in geoms if g is not None and not g.is_empty]
    if not shapes:
        return fg
    data = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)}
            for g in shapely.set_precision(np.asarray(shapes, dtype=object), 1e-6)
        ],
    }
    style = {
        "color": color if _HEX.match(color) else "#00e5ff",
        "weight": 4,
        "fill": False,
        "interactive": False,
        "className": "lcgis-selected",
    }
    folium.GeoJson(data, style_function=lambda _f: style, interactive=False).add_to(fg)
    return fg


def centre_of(geoms: Iterable[Any]) -> tuple[float, float] | None:
    """(lat, lon) of the centre of the bounding box of lon/lat geometries."""
    shapes = [g for g in geoms if g is not None and not g.is_empty]
    if not shapes:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(shapes, dtype=object))
    return (round((miny + maxy) / 2, 6), round((minx + maxx) / 2, 6))


def zoom_for(geoms: Iterable[Any], *, max_zoom: int = 18) -> int:
    """A web-mercator zoom level that shows lon/lat geometries whole on a ~700 px map."""
    shapes = [g for g in geoms if g is not None and not g.is_empty]
    if not shapes:
        return 14
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(shapes, dtype=object))
    span = max(maxx - minx, (maxy - miny) * 1.1, 1e-5)
    zoom = math.floor(math.log2(360.0 * 700 / 256 / span)) - 1
    return max(10, min(max_zoom, zoom))


def main_names(parcels: pd.DataFrame, enterprises: pd.DataFrame) -> pd.Series:
    """Name of each parcel's main enterprise ('' when none), aligned on ``parcels``."""
    return summary.main_names(parcels, enterprises)


def overlay_counts(parcels: pd.DataFrame) -> dict[str, tuple[int, float]]:
    """Per overlay name: (parcels, 亩)."""
    mu = numeric(parcels, "land_area_mu")
    out: dict[str, tuple[int, float]] = {}
    for col, name, _ in OVERLAYS:
        on = flag(parcels, col)
        out[name] = (int(on.sum()), float(mu.where(on, 0.0).sum()))
    return out


def to_json(payload: Mapping[str, Any]) -> str:
    """The payload as the script-safe JSON :class:`ParcelLayer` embeds."""
    return safe_json(payload)
