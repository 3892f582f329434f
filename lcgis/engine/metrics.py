"""Measurement: areas, floor area from buildings, FAR, coverage, zones, land allocation.

Every function takes frames, returns a Series or frame aligned on its input, never
mutates its input, and is vectorised.  Areas are measured in the projected working CRS.

>>> import shapely
>>> box = gpd.GeoSeries([shapely.box(0, 0, 100, 200 / 3)], crs=4549)
>>> float(to_mu(geom_area_m2(box)).round(6).iloc[0])
10.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
import shapely

from lcgis.data.crs import is_area_safe
from lcgis.data.frame import numeric, ratio
from lcgis.data.schema import M2_PER_MU
from lcgis.data.validate import strictly_convex_rings

if TYPE_CHECKING:
    from lcgis.rules import MeasureRules


def shapes(geoms: gpd.GeoSeries) -> np.ndarray:
    """The shapely geometries of a GeoSeries as a plain object array (fast for shapely 2)."""
    return np.asarray(geoms.array, dtype=object)


def geom_area_m2(geoms: gpd.GeoSeries) -> pd.Series:
    """Planar area (m²) in a projected, area-safe CRS (never degrees or Web Mercator)."""
    if geoms.crs is None or not is_area_safe(pyproj.CRS.from_user_input(geoms.crs)):
        raise ValueError("areas must be measured in a projected local CRS (not degrees/3857)")
    return pd.Series(shapely.area(shapes(geoms)), index=geoms.index, name="geom_area_m2")


def to_mu(area_m2: pd.Series) -> pd.Series:
    """亩 from m² (1 亩 = 10000/15 m²).

    >>> to_mu(pd.Series([666.6666666666666, 10000.0])).round(6).tolist()
    [1.0, 15.0]
    """
    return area_m2 / M2_PER_MU


def land_area_m2(registered_m2: pd.Series, measured_m2: pd.Series) -> pd.Series:
    """Registered area if given (0 counts as given), else the measured area.

    >>> land_area_m2(pd.Series([1000.0, np.nan, 0.0]), pd.Series([990.0, 500.0, 10.0])).tolist()
    [1000.0, 500.0, 0.0]
    """
    return registered_m2.astype(float).fillna(measured_m2).rename("land_area_m2")


def area_mismatch(registered_m2: pd.Series, measured_m2: pd.Series, share: float) -> pd.Series:
    """Registered and measured area differ by more than ``share`` of the registered area.

    Empty (NA) where nothing is registered.

    >>> area_mismatch(pd.Series([1000.0, 1000.0, np.nan]), pd.Series([1060.0, 1040.0, 9.0]), 0.05
    ...               ).tolist()
    [True, False, <NA>]
    """
    reg = registered_m2.astype(float)
    diff = (measured_m2 - reg).abs()
    out = (diff > share * reg) | ((reg == 0) & (measured_m2 > 0))
    return out.astype("boolean").mask(reg.isna()).rename("area_mismatch")


def far(floor_area_m2: pd.Series, land_area_m2: pd.Series) -> pd.Series:
    """容积率 FAR = floor area ÷ land area (empty when land is 0 or unknown).

    >>> far(pd.Series([13333.3333]), pd.Series([6666.66665])).round(3).tolist()
    [2.0]
    """
    return ratio(floor_area_m2, land_area_m2).rename("far")


def coverage(
    footprint_area_m2: pd.Series,
    land_area_m2: pd.Series,
    structure_area_m2: pd.Series | None = None,
    yard_area_m2: pd.Series | None = None,
) -> pd.Series:
    """建筑系数 = (building footprint + structures + yards) ÷ land area (0–1; empty when land
    is 0 or unknown).  A missing structure or yard figure counts as 0; without both the
    figure is the 建筑密度 (:func:`coverage_kind`).

    >>> coverage(pd.Series([2500.0, 300.0]), pd.Series([10000.0, 1000.0]),
    ...          pd.Series([500.0, np.nan]), pd.Series([1000.0, np.nan])).tolist()
    [0.4, 0.3]
    """
    total = footprint_area_m2.astype(float)
    for extra in (structure_area_m2, yard_area_m2):
        if extra is not None:
            total = total + extra.astype(float).fillna(0.0)
    return ratio(total, land_area_m2).rename("coverage")


def coverage_kind(structure_area_m2: pd.Series, yard_area_m2: pd.Series) -> pd.Series:
    """What :func:`coverage` measured: 建筑系数 when structures or yards are given, else 建筑密度.

    >>> coverage_kind(pd.Series([500.0, np.nan]), pd.Series([np.nan, np.nan])).tolist()
    ['建筑系数', '建筑密度']
    """
    given = structure_area_m2.notna() | yard_area_m2.notna()
    return pd.Series(
        np.where(given, "建筑系数", "建筑密度"), index=given.index, name="coverage_kind"
    )


def per_mu(value_wan: pd.Series, land_area_mu: pd.Series) -> pd.Series:
    """万元/亩 (empty without land).

    >>> per_mu(pd.Series([150.0, 5.0]), pd.Series([10.0, 0.0])).tolist()
    [15.0, nan]
    """
    return ratio(value_wan, land_area_mu)


def positions(keys: pd.Series | pd.Index, ids: pd.Series | pd.Index) -> np.ndarray:
    """Position of each key among the unique ``ids`` (-1 where it is not among them), as a
    pandas index of the ids would find it: a missing key finds a missing id.

    Text is looked up in Arrow (one hash table of the ids), without a Python string per
    value; anything else (an empty frame's integer index, say) by the pandas index.

    >>> positions(pd.Series(["b", None, "x", "a"]), pd.Series(["a", "b"])).tolist()
    [1, -1, -1, 0]
    >>> positions(pd.Series(["a", None]), pd.RangeIndex(0)).tolist()
    [-1, -1]
    """
    try:
        found = pc.index_in(_arrow_text(keys), value_set=_arrow_text(ids))
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # not text
        return np.asarray(pd.Index(ids).get_indexer(pd.Index(keys)), dtype=np.intp)
    return np.asarray(pc.fill_null(found, -1), dtype=np.intp)


def _arrow_text(values: pd.Series | pd.Index) -> pa.Array:
    return pa.array(values, type=pa.large_string(), from_pandas=True)


# --- buildings --------------------------------------------------------------------------------


def building_floor_area(buildings: gpd.GeoDataFrame, rules: MeasureRules) -> pd.DataFrame:
    """Per building: footprint_m2, storeys used, counted floor area (m²) and how it was found.

    Floor area = the building's floor_area_m2, else footprint × floors; with a height, a
    storey higher than ``double_storey_height_m`` counts twice; with a height but no floors,
    every started ``double_storey_height_m`` counts as a storey; with neither floors nor
    height, one storey (``assumed_one_storey``).

    >>> import shapely
    >>> b = gpd.GeoDataFrame(
    ...     {"floors": [2.0, 1.0, np.nan, np.nan], "height_m": [9.0, 10.0, 12.0, np.nan]},
    ...     geometry=[shapely.box(0, 0, 10, 10)] * 4, crs=4549)
    >>> from lcgis.rules import MeasureRules
    >>> r = building_floor_area(b, MeasureRules(8.0, 0.05))
    >>> r["floor_area_m2"].tolist(), r["assumed_one_storey"].tolist()
    ([200.0, 200.0, 200.0, 100.0], [False, False, False, True])
    """
    fp = pd.Series(shapely.area(shapes(buildings.geometry)), index=buildings.index)
    floors, height, given = (numeric(buildings, c) for c in ("floors", "height_m", "floor_area_m2"))
    floors = floors.where(floors > 0)
    step = rules.double_storey_height_m
    storeys, assumed = _storeys(floors, height, given, step)
    storeys = storeys.fillna(1.0)
    real_floors = floors.fillna(ratio(given, fp).round().clip(lower=1)).fillna(1.0)
    tall = (height / real_floors > step) & (floors.notna() | given.notna())
    base = given.fillna(fp * storeys)
    counted = base * np.where(tall, 2.0, 1.0)
    return pd.DataFrame(
        {
            "footprint_m2": fp,
            "storeys": storeys,
            "floor_area_m2": counted,
            "tall_storeys": tall,
            "storeys_from_height": floors.isna() & height.notna() & given.isna(),
            "assumed_one_storey": assumed,
        },
        index=buildings.index,
    )


def _storeys(
    floors: pd.Series, height: pd.Series, given: pd.Series, step: float
) -> tuple[pd.Series, pd.Series]:
    """Storeys from floors (> 0) else height (NaN when neither), and whether one storey is
    assumed (no storeys and no floor area given)."""
    storeys = floors.fillna(np.ceil(height / step).clip(lower=1))
    return storeys, storeys.isna() & given.isna()


def assumed_one_storey(buildings: pd.DataFrame, rules: MeasureRules) -> pd.Series:
    """Per building: True when :func:`building_floor_area` assumes one storey (neither
    floors, height nor floor area given) — without measuring any footprint.

    >>> from lcgis.rules import MeasureRules
    >>> b = pd.DataFrame({"floors": [2.0, 0.0, np.nan], "height_m": [np.nan, np.nan, 6.0]})
    >>> assumed_one_storey(b, MeasureRules(8.0, 0.05)).tolist()
    [False, True, False]
    """
    floors, height, given = (numeric(buildings, c) for c in ("floors", "height_m", "floor_area_m2"))
    return _storeys(floors.where(floors > 0), height, given, rules.double_storey_height_m)[1]


def overlap_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area of the intersection of each pair ``a[i]``, ``b[i]`` of geometries (0 where they
    do not intersect, or one is missing): only the pairs that intersect are overlaid.

    Pairs of convex polygons (most buildings and parcels) are measured in numpy by
    :func:`convex_overlap_area`; GEOS overlays the others, and the convex pairs whose
    overlap is too small for the two to agree (slivers, touching or disjoint polygons).

    >>> import shapely
    >>> overlap_area(np.array([shapely.box(0, 0, 2, 2), shapely.box(0, 0, 1, 1), None]),
    ...              np.array([shapely.box(1, 0, 3, 2), shapely.box(5, 5, 6, 6), None])).tolist()
    [2.0, 0.0, 0.0]
    """
    area, sure = convex_overlap_area(a, b)
    rest = np.flatnonzero(~sure)
    met = rest[shapely.intersects(b[rest], a[rest])]  # ``b`` first: it may be prepared
    area[met] = shapely.area(shapely.intersection(a[met], b[met]))
    return area


#: Pairs of polygons that :func:`convex_overlap_area` clips at once: few enough that the
#: temporary arrays stay in the CPU cache.
CLIP_BATCH = 4096
#: The clipping's area of an overlap stands when GEOS's own rounding error is at most this
#: share of it (GEOS rounds the points where edges cross to doubles, which moves an area by
#: about the rounding unit of the pair's largest coordinate times the perimeter of the
#: overlap's bounding box), so that the two agree to 1e-9; GEOS measures smaller overlaps,
#: and tells touching or disjoint polygons from overlapping ones.
AGREEMENT = 1e-9


def convex_overlap_area(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Area of the intersection of each pair ``a[i]``, ``b[i]`` of polygons with strictly
    convex rings and no holes, and whether it is sure: False where either geometry is not
    such a polygon (area 0), or the overlap is too small for its area to agree with GEOS's
    to 1e-9 (:data:`AGREEMENT`) or to be told from rounding.

    The polygon with more vertices is clipped by each edge of the other
    (Sutherland–Hodgman) and the area of what remains is taken.  Pairs are handled in
    groups of one pair of vertex counts, coordinates relative to a vertex of the pair.

    >>> import shapely
    >>> tri = shapely.Polygon([(0, 0), (4, 0), (0, 4)])
    >>> boxes = np.array([shapely.box(1, 1, 5, 5), shapely.box(4, 0, 5, 1), None])
    >>> area, sure = convex_overlap_area(np.array([tri, tri, tri]), boxes)
    >>> area.tolist(), sure.tolist()
    ([2.0, 0.0, 0.0], [True, False, False])
    """
    rings_a, rings_b = _rings(a), _rings(b)
    area = np.zeros(len(a))
    sure = np.zeros(len(a), dtype=bool)
    pairs = np.flatnonzero(rings_a.convex & rings_b.convex)
    for group in _runs(rings_a.n_coords[pairs], rings_b.n_coords[pairs]):
        for start in range(0, len(group), CLIP_BATCH):
            batch = pairs[group[start : start + CLIP_BATCH]]
            ring_a, ring_b = rings_a.vertices(batch), rings_b.vertices(batch)
            # clipping costs (vertices of the clip) × (vertices of the subject)
            subject, clip = (
                (ring_a, ring_b) if len(ring_a[0]) >= len(ring_b[0]) else (ring_b, ring_a)
            )
            area[batch], sure[batch] = _clipped_area(subject, clip)
    return area, sure


#: Rings as arrays ``x``, ``y`` with one row per vertex and one column per ring, so that
#: the work on a vertex runs along a row for all rings at once.
Ring = tuple[np.ndarray, np.ndarray]


class _Rings(NamedTuple):
    """The exterior rings of geometries that are polygons without holes, all coordinates in
    two arrays (fetched from GEOS once)."""

    #: the rings' coordinates, ring after ring
    x: np.ndarray
    y: np.ndarray
    #: per geometry, the position of its ring's first coordinate in ``x`` and ``y``
    start: np.ndarray
    #: per geometry, the number of coordinates of its ring (0: not a polygon without holes)
    n_coords: np.ndarray
    #: per geometry, whether its ring is strictly convex (hence valid)
    convex: np.ndarray

    def vertices(self, rows: np.ndarray, closed: bool = False) -> Ring:
        """The rings of ``rows`` (all of one count) without the closing point, unless
        ``closed``."""
        n = self.n_coords[rows[0]] - (0 if closed else 1) if len(rows) else 0
        at = np.arange(n)[:, None] + self.start[rows]
        return self.x[at], self.y[at]


def _rings(geoms: np.ndarray) -> _Rings:
    """The rings of the polygons without holes among ``geoms``, and which are strictly
    convex (by :func:`lcgis.data.validate.strictly_convex_rings`, rings of one count at a
    time)."""
    simple = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    count = np.zeros(len(geoms), dtype=np.intp)
    count[simple] = shapely.get_num_coordinates(geoms[simple])
    xy = shapely.get_coordinates(geoms[simple])
    start = np.cumsum(count) - count
    rings = _Rings(xy[:, 0].copy(), xy[:, 1].copy(), start, count, np.zeros(len(geoms), bool))
    candidates = np.flatnonzero(count >= 4)
    for group in _runs(count[candidates]):
        rows = candidates[group]
        rings.convex[rows] = strictly_convex_rings(*rings.vertices(rows, closed=True))
    return rings


def _runs(*keys: np.ndarray) -> list[np.ndarray]:
    """Positions of the rows with equal keys, one array for each distinct row of keys.

    >>> [g.tolist() for g in _runs(np.array([5, 4, 5, 5]), np.array([1, 1, 2, 1]))]
    [[1], [0, 3], [2]]
    """
    if not len(keys[0]):
        return []
    order = np.lexsort(keys[::-1])
    change = np.zeros(len(order) - 1, dtype=bool)
    for key in keys:
        change |= np.diff(key[order]) != 0
    return np.split(order, np.flatnonzero(change) + 1)


def _clipped_area(subject: Ring, clip: Ring) -> tuple[np.ndarray, np.ndarray]:
    """Area of each ``subject`` polygon's part inside the ``clip`` polygon of its column
    (both convex), and whether it is sure (see :data:`AGREEMENT`)."""
    (x, y), (cx, cy) = subject, clip
    # Rounding is relative to the largest coordinate of the pair.
    size = np.max([np.abs(v).max(axis=0) for v in (x, y, cx, cy)], axis=0)
    # Coordinates relative to a vertex of the pair keep the products below small: the
    # subtraction is exact where the coordinates are of one magnitude (Sterbenz).
    x, y, cx, cy = x - cx[0], y - cy[0], cx - cx[0], cy - cy[0]
    # The inside of a counter-clockwise ring is left of its edges; a clockwise one's edges
    # are walked backwards.
    turn = np.sign(_twice_area(cx, cy))
    for edge in range(len(cx)):
        after = (edge + 1) % len(cx)
        dx, dy = (cx[after] - cx[edge]) * turn, (cy[after] - cy[edge]) * turn
        x, y = _left_part(x, y, cx[edge], cy[edge], dx, dy)
    area = np.abs(_twice_area(x, y)) / 2
    # a convex part's perimeter is at most its bounding box's
    perimeter = 2 * (x.max(axis=0) - x.min(axis=0) + y.max(axis=0) - y.min(axis=0))
    sure = AGREEMENT * area > np.finfo(float).eps * size * perimeter
    return area, sure


def _twice_area(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Twice the signed area of each ring (positive when it runs counter-clockwise), by the
    shoelace formula."""
    return (x * (np.roll(y, -1, axis=0) - np.roll(y, 1, axis=0))).sum(axis=0)


def _left_part(
    x: np.ndarray, y: np.ndarray, px: np.ndarray, py: np.ndarray, dx: np.ndarray, dy: np.ndarray
) -> Ring:
    """Each ring of ``x``/``y`` cut down to its part on or left of the line through ``p`` in
    direction ``d`` of its column.

    Every vertex on that side is kept, and where an edge crosses the line the crossing point
    is put in between.  A ring's new vertices fill its first rows; the rows after repeat its
    last vertex (edges of no length, which neither cutting nor the area notice), and an
    empty part is all zeros.
    """
    side = dx * (y - py) - dy * (x - px)
    keep = side >= 0
    next_x, next_y = np.roll(x, -1, axis=0), np.roll(y, -1, axis=0)
    next_side = np.roll(side, -1, axis=0)
    crossed = keep != (next_side >= 0)
    # where an edge crosses, how far along it (its ends' sides differ, so never 0 / 0)
    t = np.divide(side, side - next_side, out=np.zeros_like(side), where=crossed)
    # The row each vertex and crossing point goes to; the dropped ones go to a spare last
    # row.  As flat positions in the new arrays, for np.put.
    emitted = keep.astype(np.intp) + crossed
    end = np.cumsum(emitted, axis=0)
    count = end[-1]
    width = max(int(count.max()) if len(count) else 0, 1)  # an empty part: one vertex
    column = np.arange(x.shape[1])
    at_vertex = np.where(keep, end - emitted, width) * x.shape[1] + column
    at_crossing = np.where(crossed, end - 1, width) * x.shape[1] + column
    new_x, new_y = np.zeros((width + 1, x.shape[1])), np.zeros((width + 1, x.shape[1]))
    for new, old, step in ((new_x, x, next_x - x), (new_y, y, next_y - y)):
        np.put(new, at_vertex, old)
        np.put(new, at_crossing, old + t * step)
    filled = np.arange(width)[:, None] < count
    last = np.maximum(count - 1, 0)
    return (
        np.where(filled, new_x[:width], new_x[last, column]),
        np.where(filled, new_y[:width], new_y[last, column]),
    )


def _overlaps(
    inner: np.ndarray, inner_area: np.ndarray, outer: gpd.GeoSeries
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions ``i``, ``j`` of the geometries ``inner[i]`` and ``outer[j]`` that overlap,
    and the area (m², > 0) of each overlap, in the order of the tree's "intersects" query.
    ``inner_area`` holds the inner geometries' areas.

    Pairs come from the tree's overlapping bounding boxes and are settled by a containment
    test and :func:`overlap_area`, more cheaply than by the tree's "intersects" predicate.
    Most inner geometries lie inside one outer geometry: their overlap is all of them, no
    overlay needed.  The outer geometry is the prepared side of the test (contains(outer,
    inner) is within(inner, outer)).
    """
    i, j = outer.sindex.query(inner)
    containers = shapes(outer)
    a, b = inner[i], containers[j]
    shapely.prepare(containers)
    inside = shapely.contains(b, a)
    area = np.where(inside, inner_area[i], 0.0)
    area[~inside] = overlap_area(a[~inside], b[~inside])
    hit = area > 0
    return i[hit], j[hit], area[hit]


def building_parts(
    parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, footprint: np.ndarray | None = None
) -> pd.DataFrame:
    """Each building's part inside each parcel: positions, part area (m²) and share.

    A building across a boundary is split by area.  ``footprint``: each building's area
    (m²) when the caller has it already, so that GEOS is not asked for it again.
    """
    bshapes = shapes(buildings.geometry)
    if footprint is None:
        footprint = shapely.area(bshapes)
    b_idx, p_idx, part = _overlaps(bshapes, footprint, parcels.geometry)
    share = ratio(part, footprint[b_idx], default=0.0)
    return pd.DataFrame({"building": b_idx, "parcel": p_idx, "part_m2": part, "share": share})


def parcel_building_totals(
    parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, rules: MeasureRules
) -> pd.DataFrame:
    """Footprint and floor area (m²) of the buildings on each parcel, split by area."""
    per_building = building_floor_area(buildings, rules)
    parts = building_parts(parcels, buildings, per_building["footprint_m2"].to_numpy())
    floor = per_building["floor_area_m2"].to_numpy()[parts["building"]] * parts["share"]
    tall = per_building["tall_storeys"].to_numpy()[parts["building"]]
    sums = (
        pd.DataFrame({"parcel": parts["parcel"], "fp": parts["part_m2"], "fl": floor, "tall": tall})
        .groupby("parcel")[["fp", "fl", "tall"]]
        .sum()
    )
    pos = np.arange(len(parcels))
    return pd.DataFrame(
        {
            "footprint_area_m2": sums["fp"].reindex(pos, fill_value=0.0).to_numpy(),
            "floor_area_m2": sums["fl"].reindex(pos, fill_value=0.0).to_numpy(),
            "n_tall_buildings": sums["tall"].reindex(pos, fill_value=0).to_numpy(dtype=int),
        },
        index=parcels.index,
    )


# --- zones ----------------------------------------------------------------------------------


def assign_zones(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.Series:
    """The zone_id of the zone each parcel overlaps most (NA outside every zone); of zones
    that overlap it equally (zones that overlap each other), the one listed first.

    >>> import shapely
    >>> par = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10), shapely.box(15, 0, 25, 10),
    ...                                  shapely.box(50, 50, 60, 60)], crs=4549)
    >>> zon = gpd.GeoDataFrame({"zone_id": ["w", "e", "all"]}, crs=4549, geometry=[
    ...     shapely.box(0, 0, 17, 20), shapely.box(17, 0, 40, 20), shapely.box(0, 0, 40, 20)])
    >>> assign_zones(par, zon).tolist()  # 'w' ties with 'all'; 'all' holds more than 'e'
    ['w', 'all', <NA>]
    """
    pshapes = shapes(parcels.geometry)
    p_idx, z_idx, area = _overlaps(pshapes, shapely.area(pshapes), zones.geometry)
    zone_at = _largest_overlap(p_idx, z_idx, area, len(parcels))
    # the ids taken by position in one go (-1: NA)
    ids = zones["zone_id"].astype("string").array
    return pd.Series(ids.take(zone_at, allow_fill=True), index=parcels.index, name="zone_id")


def _largest_overlap(inner: np.ndarray, outer: np.ndarray, area: np.ndarray, n: int) -> np.ndarray:
    """For each of ``n`` inner geometries, the outer one of the overlaps ``inner[k]``,
    ``outer[k]``, ``area[k]`` with the largest area, of equal ones the outer listed first
    (-1: none).

    Most parcels overlap one zone: only those that overlap several are ranked.

    >>> _largest_overlap(np.array([0, 2, 2, 2]), np.array([1, 2, 0, 1]),
    ...                  np.array([5.0, 1.0, 3.0, 3.0]), 3).tolist()
    [1, -1, 0]
    """
    best = np.full(n, -1, dtype=np.intp)
    several = np.bincount(inner, minlength=n)[inner] > 1
    best[inner[~several]] = outer[~several]
    inner, outer, area = inner[several], outer[several], area[several]
    order = np.lexsort((outer, -area, inner))  # per inner: largest overlap, then first outer
    ranked = inner[order]
    first = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]]) if len(order) else order
    best[ranked[first]] = outer[order][first]
    return best


# --- occupancy --------------------------------------------------------------------------------


def allocate_land(
    occupancy: pd.DataFrame, parcels: pd.DataFrame, at: np.ndarray | None = None
) -> pd.DataFrame:
    """Land (m²) each occupant uses on each parcel, and how it was found.

    ``land_area_m2`` if given; else the occupant's ``floor_area_m2`` ÷ the parcel's FAR;
    else the parcel's unallocated land shared equally among the occupants that gave
    neither (method ``equal_share``).  When the others already fill the parcel, such an
    occupant gets empty land (NaN, method ``no_land``), never a silent 0.  ``parcels`` needs
    parcel_id, land_area_m2, far; its ``standard_factory`` flag is carried along as
    ``on_standard_factory``.  ``occupied_floor_m2`` is the floor space used: the occupant's
    ``floor_area_m2``, else its land × the parcel's FAR.  ``at``: each row's row in
    ``parcels`` (:func:`positions`) when the caller has looked the ids up already.

    >>> occ = pd.DataFrame({"credit_code": list("abcd"), "parcel_id": ["P"] * 4,
    ...     "land_area_m2": [1000.0, np.nan, np.nan, np.nan],
    ...     "floor_area_m2": [np.nan, 1500.0, np.nan, np.nan]})
    >>> par = pd.DataFrame({"parcel_id": ["P"], "land_area_m2": [4000.0], "far": [1.5]})
    >>> a = allocate_land(occ, par)
    >>> a["alloc_land_m2"].tolist(), a["alloc_method"].tolist()
    ([1000.0, 1000.0, 1000.0, 1000.0], ['given', 'floor_far', 'equal_share', 'equal_share'])
    >>> full = allocate_land(occ.assign(land_area_m2=[3000.0, np.nan, np.nan, np.nan]), par)
    >>> full["alloc_land_m2"].tolist(), full["alloc_method"].tolist()[2:]
    ([3000.0, 1000.0, nan, nan], ['no_land', 'no_land'])
    """
    cols = ["land_area_m2", "far"]
    if "standard_factory" in parcels.columns:
        cols.append("standard_factory")
    info = parcels[cols].rename(
        columns={
            "land_area_m2": "parcel_land_m2",
            "far": "parcel_far",
            "standard_factory": "on_standard_factory",
        }
    )
    # The parcel of each row looked up once by position (as a join on the unique parcel
    # ids), and the rows grouped on integer codes of their parcel ids (NaN: none).
    if at is None:
        at = positions(occupancy["parcel_id"], parcels["parcel_id"])
    occ = pd.concat([occupancy, _at(info, at).set_axis(occupancy.index)], axis=1)
    # Where every parcel is known its row is its code (a group's rows, and so its sums, are
    # the same whichever numbers name the groups); else the ids' own codes, unknown ones too.
    code = at if (at >= 0).all() else pd.factorize(occupancy["parcel_id"])[0]
    parcel = pd.Series(np.where(code >= 0, code, np.nan), index=occupancy.index)
    if "on_standard_factory" not in occ:
        occ["on_standard_factory"] = False
    occ["on_standard_factory"] = occ["on_standard_factory"].astype("boolean").fillna(False)
    given, flr = numeric(occ, "land_area_m2"), numeric(occ, "floor_area_m2")
    via_floor = ratio(flr, occ["parcel_far"])
    alloc = given.fillna(via_floor)
    rest = alloc.isna()
    used = alloc.groupby(parcel).transform("sum")
    free = occ["parcel_land_m2"] - used
    n_rest = rest.groupby(parcel).transform("sum")
    alloc = alloc.fillna(ratio(free.where(free > 1e-6), n_rest))
    method = np.select(
        [given.notna(), via_floor.notna(), alloc.notna()],
        ["given", "floor_far", "equal_share"],
        "no_land",
    )
    out = occ.drop(columns=["parcel_land_m2", "parcel_far"])
    out["alloc_land_m2"] = alloc
    out["alloc_method"] = method
    out["occupied_floor_m2"] = flr.fillna(alloc * occ["parcel_far"])
    return out


def enterprise_land(alloc: pd.DataFrame) -> pd.DataFrame:
    """Per credit_code: allocated land (m², 亩), occupied floor area (m²), the ';'-joined
    parcel ids, and ``sf_tenant``: every row of the firm is a lease (tenure not ``own``) on
    a standard-factory parcel.

    >>> a = pd.DataFrame({"credit_code": ["x", "x", "y"], "parcel_id": ["P2", "P1", "S"],
    ...     "alloc_land_m2": [1000.0, 2000.0, 300.0], "occupied_floor_m2": [0.0, 1500.0, 600.0],
    ...     "on_standard_factory": [False, False, True], "tenure": ["own", "own", "lease"]})
    >>> enterprise_land(a)[["land_area_m2", "occupied_floor_m2", "parcel_ids", "sf_tenant"]
    ...                   ].values.tolist()
    [[3000.0, 1500.0, 'P1;P2', False], [300.0, 600.0, 'S', True]]
    """
    g = alloc.groupby("credit_code", sort=False)
    land = g["alloc_land_m2"].sum(min_count=1)
    floor = (
        g["occupied_floor_m2"].sum(min_count=1)
        if "occupied_floor_m2" in alloc
        else pd.Series(np.nan, index=land.index)
    )
    # Each row's firm by its group number (-1: no credit code): the other figures are
    # grouped on these integers rather than on the codes' text again.
    firm = g.ngroup().fillna(-1).to_numpy(dtype=np.intp)

    def per_firm(grouped: pd.Series) -> pd.Series:
        return grouped.reindex(range(len(land))).set_axis(land.index)

    ids = per_firm(_joined_parcel_ids(alloc["parcel_id"], firm))
    on_sf = (
        alloc["on_standard_factory"].astype("boolean").fillna(False).astype(bool)
        if "on_standard_factory" in alloc
        else pd.Series(False, index=alloc.index)
    )
    tenure = alloc["tenure"] if "tenure" in alloc else pd.Series(pd.NA, index=alloc.index)
    tenant_row = on_sf & ~tenure.eq("own").fillna(False).astype(bool)
    sf_tenant = per_firm(tenant_row.groupby(firm).all())
    return pd.DataFrame(
        {
            "land_area_m2": land,
            "land_area_mu": to_mu(land),
            "occupied_floor_m2": floor,
            "parcel_ids": ids,
            "sf_tenant": sf_tenant,
        }
    )


def _joined_parcel_ids(parcel_id: pd.Series, firm: np.ndarray) -> pd.Series:
    """Per firm (``firm``: each row's integer code, -1 for none): its distinct parcel ids in
    sorted order, joined with ';'.

    Distinct (firm, parcel) pairs are found on integer codes; most firms use one parcel,
    so only the others are joined (in Python).

    >>> _joined_parcel_ids(pd.Series(["P2", "S", "P1", "P2", "Q"]), np.array([0, 1, 0, 0, -1])
    ...                    ).sort_index().to_dict()
    {0: 'P1;P2', 1: 'S'}
    """
    pairs = pd.DataFrame(
        {
            "firm": firm,
            "place": pd.factorize(parcel_id)[0],
            "parcel_id": parcel_id.to_numpy(dtype=object),
        }
    )
    pairs = pairs[firm >= 0].drop_duplicates(["firm", "place"])
    count = pairs.groupby("firm", sort=False)["parcel_id"].transform("size")
    single = pairs[count.eq(1).to_numpy()].set_index("firm")["parcel_id"]
    several = pairs[count.gt(1).to_numpy()].sort_values("parcel_id")
    joined = several.groupby("firm", sort=False)["parcel_id"].agg(";".join)
    return pd.concat([single, joined])


MONEY_FIELDS = ("output_wan", "revenue_wan", "tax_wan", "value_added_wan")


def _split_weights(alloc: pd.DataFrame, firm: pd.Series) -> pd.Series:
    """Share of each occupancy row in its firm's figures: by floor area, else by land.

    ``firm``: a numeric key of each row's firm (NaN: no credit code), grouped on faster
    than the codes' text.
    """
    land = alloc["alloc_land_m2"].astype(float)
    by_land = ratio(land, land.groupby(firm).transform("sum"))
    if "occupied_floor_m2" not in alloc:
        return by_land.fillna(0.0)
    floor = alloc["occupied_floor_m2"].astype(float)
    complete = floor.notna().groupby(firm).transform("all")
    by_floor = ratio(floor, floor.groupby(firm).transform("sum"))
    use_floor = complete & by_floor.notna().groupby(firm).transform("all")
    return by_floor.where(use_floor, by_land).fillna(0.0)


#: A Series or a frame: what goes in comes back out.
Rows = TypeVar("Rows", pd.Series, pd.DataFrame)


def _at(values: Rows, at: np.ndarray) -> Rows:
    """The rows of ``values`` at positions ``at`` (missing rows for -1), as reindexing by
    their labels gives them."""
    return values.reset_index(drop=True).reindex(at)


def by_rows(ids: pd.Series, parcel_of: np.ndarray | None) -> bool:
    """Whether :func:`parcel_keys` codes the rows ``parcel_of`` (given, every id known)."""
    return (
        parcel_of is not None
        and len(ids) > 0
        and bool((parcel_of >= 0).all())
        and not bool(ids.isna().any())
    )


def rows_of_keys(parcel_of: np.ndarray, n_parcels: int) -> np.ndarray:
    """For each of ``n_parcels`` parcels, its code in :func:`parcel_keys` by rows (-1: not
    among them): the position of its id among the uniques, without looking the id up.

    >>> rows_of_keys(np.array([2, 0, 2]), 4).tolist()
    [1, -1, 0, -1]
    """
    out = np.full(n_parcels, -1, dtype=np.intp)
    rows = pd.factorize(parcel_of)[1]
    out[rows] = np.arange(len(rows))
    return out


def parcel_keys(ids: pd.Series, parcel_of: np.ndarray | None = None) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(ids)``: integer codes in order of first appearance (-1: no id) and the
    ids they stand for.  With ``parcel_of`` (each id's row among unique parcel ids, -1 where
    unknown) the rows are factorized instead, integers rather than text: one row per id, so
    the same codes, and the ids taken at each code's first row.

    >>> ids = pd.Series(["P2", "P1", "P2"], dtype="string")
    >>> codes, uniques = parcel_keys(ids, np.array([1, 0, 1]))
    >>> codes.tolist(), list(uniques)
    ([0, 1, 0], ['P2', 'P1'])
    """
    if parcel_of is None or not by_rows(ids, parcel_of):
        return pd.factorize(ids)
    codes = pd.factorize(parcel_of)[0]
    first = np.unique(codes, return_index=True)[1]
    return codes, pd.Index(ids.array.take(first), dtype=ids.dtype)


def parcel_economics(
    alloc: pd.DataFrame, firms: pd.DataFrame, parcel_of: np.ndarray | None = None
) -> pd.DataFrame:
    """Per parcel_id: occupants' figures split over their parcels by floor area (rules.md §8).

    A firm's figures go to each of its parcels in proportion to the floor space it uses
    there (``occupied_floor_m2``), so an unbuilt parcel of a multi-parcel firm carries land
    but no output or tax; a firm whose floor space is unknown on some row, or 0 in all,
    is split by land instead.  ``firms`` is indexed by credit_code with the money fields
    (万元) and industry_code.  Also: n_occupants, the main occupant (most land there) and
    its industry, producing, leased and occupied floor area (m²).  ``parcel_of``: each
    row's parcel as its row in the (uniquely numbered) parcels, when the caller has it.

    >>> a = pd.DataFrame({"credit_code": ["x", "x"], "parcel_id": ["built", "empty"],
    ...     "alloc_land_m2": [5000.0, 5000.0], "occupied_floor_m2": [6000.0, 0.0]})
    >>> f = pd.DataFrame({"tax_wan": [100.0]}, index=pd.Index(["x"], name="credit_code"))
    >>> parcel_economics(a, f)["tax_wan"].tolist()
    [100.0, 0.0]
    """
    # Each row's firm: its position in ``firms`` (-1: none) for the figures, and a key of
    # its credit code (first appearance order; NaN: none) to group on.
    firm_at = positions(alloc["credit_code"], firms.index)
    firm_key = pd.factorize(alloc["credit_code"])[0]
    firm = pd.Series(np.where(firm_key >= 0, firm_key, np.nan), index=alloc.index)
    weight = _split_weights(alloc, firm)
    fig = _at(firms[[c for c in MONEY_FIELDS if c in firms]], firm_at)
    fig.index = alloc.index
    # Group by integer codes of the parcel ids (first appearance order, as groupby with
    # sort=False); rows without a parcel id (-1) belong to no parcel.
    key, parcel_ids = parcel_keys(alloc["parcel_id"], parcel_of)
    n = len(parcel_ids)

    def per_parcel(grouped: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
        return grouped.reindex(range(n))

    cols: dict[str, pd.Series] = {}
    for name in MONEY_FIELDS:
        if name in fig:
            cols[name] = fig[name].astype(float) * weight
    frame = pd.DataFrame(cols, index=alloc.index)
    out = pd.DataFrame(per_parcel(frame.groupby(key).sum(min_count=1)))
    out.index = pd.Index(parcel_ids, name="parcel_id")
    active = (numeric(fig, "output_wan") > 0) | (numeric(fig, "tax_wan") > 0)
    out["producing"] = per_parcel(active.groupby(key).any()).astype("boolean").to_numpy()
    out["n_occupants"] = per_parcel(firm.groupby(key).nunique()).to_numpy()
    land = pd.DataFrame({"alloc_land_m2": alloc["alloc_land_m2"].to_numpy(), "key": key})
    order = land.sort_values("alloc_land_m2", ascending=False, na_position="last")
    first = order.drop_duplicates("key")
    first = first[first["key"].to_numpy() >= 0].sort_values("key")
    # Every parcel has a row: the i-th is parcel_ids[i]'s main occupant.
    main_rows = first.index.to_numpy()
    out["main_credit_code"] = alloc["credit_code"].iloc[main_rows].array
    if "industry_code" in firms:
        out["main_industry_code"] = _at(firms["industry_code"], firm_at[main_rows]).array
    tenure = alloc["tenure"] if "tenure" in alloc else pd.Series(pd.NA, index=alloc.index)
    lease = tenure.eq("lease").fillna(False).astype(bool)
    floor = alloc["occupied_floor_m2"]
    leased = floor.where(lease, 0.0).groupby(key).sum()
    out["leased_floor_area_m2"] = per_parcel(leased).to_numpy()
    occupied = floor.groupby(key).sum(min_count=1)
    out["occupied_floor_area_m2"] = per_parcel(occupied).to_numpy()
    return out
