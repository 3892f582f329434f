"""Data checks at the boundary, collected into a :class:`QualityReport`.

Each issue names the file, the row, the field and the fix, in Chinese.

>>> rep = QualityReport()
>>> rep.add("error", "duplicate_id", "parcels", "宗地编号重复", file="parcels.csv",
...         rows=[3, 5], field="parcel_id", fix="每宗地的编号必须唯一")
>>> rep.has_errors, len(rep.warnings)
(True, 0)
>>> print(rep.format())
数据检查：1 个错误，0 个警告
[错误] parcels.csv 第3、5行 字段 parcel_id：宗地编号重复。处理：每宗地的编号必须唯一
>>> credit_code_valid("91350502MA2Y8RXK34"), credit_code_valid("91350502MA2Y8RXK35")
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from lcgis.data.crs import DISPLAY_CRS, total_bounds, transformer
from lcgis.data.frame import ratio
from lcgis.data.schema import FIELDS, NON_NEGATIVE
from lcgis.data.values import arrow_text, joined_chunks
from lcgis.vocab import ISSUE_LABELS, LAYER_LABELS, LEVEL_LABELS

if TYPE_CHECKING:
    from collections.abc import Iterable

Level = Literal["error", "warning"]


def issue_label(code: str) -> str:
    """The Chinese name of an issue code (the code itself when it has none)."""
    return ISSUE_LABELS.get(code, code)


def field_label(layer: str, name: str) -> str:
    """The Chinese label of a layer's field (the name itself when it is not a known field)."""
    if not name:
        return ""
    known = FIELDS.get(layer, {}).get(name)
    if known is None:
        known = next((f[name] for f in FIELDS.values() if name in f), None)
    return f"{known.label}({name})" if known is not None else name


#: How many row numbers one issue lists before saying "等N行".
MAX_ROWS_SHOWN = 20


@dataclass(frozen=True)
class Issue:
    """One finding of the data checks."""

    level: Level
    code: str
    layer: str
    message: str
    file: str = ""
    rows: tuple[int, ...] = ()
    field: str = ""
    fix: str = ""

    def format(self) -> str:
        where = self.file or LAYER_LABELS.get(self.layer, self.layer)
        if self.rows:
            shown = "、".join(str(r) for r in self.rows[:MAX_ROWS_SHOWN])
            more = f"等{len(self.rows)}行" if len(self.rows) > MAX_ROWS_SHOWN else "行"
            where += f" 第{shown}{more}"
        if self.field:
            where += f" 字段 {self.field}"
        text = f"[{LEVEL_LABELS[self.level]}] {where}：{self.message}"
        return text + (f"。处理：{self.fix}" if self.fix else "")


@dataclass
class QualityReport:
    """Errors and warnings found while loading and measuring a dataset."""

    issues: list[Issue] = field(default_factory=list)

    def add(
        self,
        level: Level,
        code: str,
        layer: str,
        message: str,
        *,
        file: str = "",
        rows: Iterable[int] = (),
        field: str = "",
        fix: str = "",
    ) -> None:
        self.issues.append(
            Issue(level, code, layer, message, file, tuple(int(r) for r in rows), field, fix)
        )

    def flag(
        self,
        mask: Any,
        level: Level,
        code: str,
        layer: str,
        message: str,
        *,
        offset: int,
        file: str = "",
        field: str = "",
        fix: str = "",
    ) -> bool:
        """Add one issue for the rows where ``mask`` is true (none: nothing added, False).

        ``offset`` turns 0-based positions into the file's row numbers (2 under a header).

        >>> r = QualityReport()
        >>> r.flag([False, True, True], "error", "bad_value", "parcels", "坏值", offset=2)
        True
        >>> r.issues[0].rows
        (3, 4)
        >>> r.flag([False], "error", "bad_value", "parcels", "坏值", offset=2)
        False
        """
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if positions.size:
            self.add(
                level,
                code,
                layer,
                message,
                file=file,
                rows=rownums(positions, offset),
                field=field,
                fix=fix,
            )
        return bool(positions.size)

    def extend(self, other: QualityReport) -> None:
        self.issues.extend(other.issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    @property
    def has_errors(self) -> bool:
        return any(i.level == "error" for i in self.issues)

    def format(self) -> str:
        head = f"数据检查：{len(self.errors)} 个错误，{len(self.warnings)} 个警告"
        ordered = self.errors + self.warnings
        return "\n".join([head, *(i.format() for i in ordered)])

    def to_frame(self) -> pd.DataFrame:
        """The report as a table (for the 数据质量 sheet and the app)."""
        rows = [
            {
                "级别": LEVEL_LABELS[i.level],
                "问题类型": issue_label(i.code),
                "图层": LAYER_LABELS.get(i.layer, i.layer),
                "文件": i.file,
                "行号": "、".join(str(r) for r in i.rows[:MAX_ROWS_SHOWN])
                + (f" 等{len(i.rows)}行" if len(i.rows) > MAX_ROWS_SHOWN else ""),
                "字段": field_label(i.layer, i.field),
                "问题": i.message,
                "处理建议": i.fix,
            }
            for i in self.errors + self.warnings
        ]
        cols = ["级别", "问题类型", "图层", "文件", "行号", "字段", "问题", "处理建议"]
        return pd.DataFrame(rows, columns=cols)


# --- 统一社会信用代码 (GB 32100-2015) -------------------------------------------------

#: The 31 characters of a 统一社会信用代码, in the order of their values.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_CC_INDEX = {c: i for i, c in enumerate(CREDIT_CODE_CHARS)}


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a code.

    >>> credit_code_check_char("91350100M000100Y4")
    '3'
    """
    total = sum(_CC_INDEX[c] * w for c, w in zip(first17, _CC_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def credit_code_valid(code: object) -> bool:
    """True when ``code`` is 18 characters of the code set with the right check character."""
    if not isinstance(code, str) or len(code) != 18:
        return False
    code = code.upper()
    if any(c not in _CC_INDEX for c in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


#: Value of each ASCII code point in the code set (-1: not in it); lower case as upper.
_CC_LOOKUP = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(CREDIT_CODE_CHARS):
    _CC_LOOKUP[ord(_c)] = _CC_LOOKUP[ord(_c.lower())] = _i


def _ascii_of_18(codes: pd.Series) -> np.ndarray:
    """True where a code is ASCII text of 18 characters (in Arrow's compute functions for
    Arrow-backed text).

    >>> s = pd.Series(["91350502MA2Y8RXK34", "9135", None, "９1350502MA2Y8RXK34"])
    >>> [_ascii_of_18(x).tolist() for x in (s, s.astype(object))]
    [[True, False, False, False], [True, False, False, False]]
    """
    arr = arrow_text(codes)
    if arr is not None:
        import pyarrow.compute as pc

        hit = pc.and_(pc.equal(pc.utf8_length(arr), 18), pc.string_is_ascii(arr))
        return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    return np.fromiter(
        (isinstance(x, str) and len(x) == 18 and x.isascii() for x in codes),
        dtype=bool,
        count=len(codes),
    )


def _code_bytes(codes: pd.Series, chosen: np.ndarray) -> np.ndarray:
    """The bytes of the ``chosen`` codes (ASCII text) one after another, taken from Arrow's
    buffers for Arrow-backed text (no Python string made for each code).

    >>> s = pd.Series(["AB", None, "CD"], dtype="string[pyarrow]")
    >>> [_code_bytes(x, np.array([True, False, True])).tobytes() for x in (s, s.astype(object))]
    [b'ABCD', b'ABCD']
    """
    arr = arrow_text(codes)
    if arr is None:
        return np.frombuffer(
            "".join(codes.to_numpy(dtype=object)[chosen]).encode("ascii"), np.uint8
        )
    import pyarrow as pa

    texts = joined_chunks(arr.filter(pa.array(chosen)))
    return np.concatenate([np.frombuffer(t.as_buffer(), dtype=np.uint8) for t in texts])


def credit_codes_valid(codes: pd.Series) -> pd.Series:
    """Vector form of :func:`credit_code_valid` (NA stays NA), by a lookup table.

    ASCII codes of 18 characters are checked all at once (their characters' values looked
    up, the weighted sums taken as one matrix product); any other text goes through
    :func:`credit_code_valid`, so the answer is the same for every value.

    >>> credit_codes_valid(pd.Series(["91350502MA2Y8RXK34", "91350502ma2y8rxk34",
    ...     "91350502MA2Y8RXK35", "91350502MA2Y8RXI34", None, 12])).tolist()
    [True, True, False, False, <NA>, False]
    """
    missing = codes.isna().to_numpy(dtype=bool)
    valid = np.zeros(len(codes), dtype=bool)
    fast = _ascii_of_18(codes) & ~missing
    if fast.any():
        digits = _CC_LOOKUP[_code_bytes(codes, fast) & 0x7F].reshape(-1, 18)
        check = (31 - (digits[:, :17] @ _CC_WEIGHTS) % 31) % 31
        valid[fast] = (digits >= 0).all(axis=1) & (digits[:, 17] == check)
    slow = ~fast & ~missing
    if slow.any():
        valid[slow] = [credit_code_valid(x) for x in codes.to_numpy(dtype=object)[slow]]
    out = pd.array(valid, dtype="boolean")
    out[missing] = pd.NA
    return pd.Series(out, index=codes.index, name=codes.name)


# --- checks on loaded layers ---------------------------------------------------------------


def rownums(index: Iterable[Any], offset: int) -> list[int]:
    """File row numbers for 0-based positions (offset 2 for tables with a header)."""
    return [int(i) + offset for i in index]


def check_crs_plausible(
    gdf: gpd.GeoDataFrame, layer: str, file: str, report: QualityReport
) -> bool:
    """Error when coordinates cannot lie in the declared CRS; True when they can."""
    if gdf.empty or gdf.geometry.isna().all():
        return True
    x0, y0, x1, y1 = total_bounds(np.asarray(gdf.geometry.array, dtype=object))
    crs = pyproj.CRS.from_user_input(gdf.crs)
    label = crs.name
    if crs.is_geographic:
        if max(abs(y0), abs(y1)) > 90 and max(abs(x0), abs(x1)) <= 90:
            report.add(
                "error",
                "axes_swapped",
                layer,
                f"坐标的纬度超出±90°，经纬度似乎写反了(声明坐标系 {label})",
                file=file,
                fix="交换 x/y(经度在前，纬度在后)后重新导出",
            )
            return False
        if max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90:
            report.add(
                "error",
                "crs_mismatch",
                layer,
                f"坐标数值({x0:.0f}, {y0:.0f})不是经纬度，与声明的坐标系 {label} 不符",
                file=file,
                fix="在 .prj 或 mapping.toml 的 assume_crs 中写明正确的投影坐标系",
            )
            return False
        return True
    if max(abs(x0), abs(x1)) <= 180 and max(abs(y0), abs(y1)) <= 90:
        report.add(
            "error",
            "crs_mismatch",
            layer,
            f"坐标看起来是经纬度(x {x0:.4f}…{x1:.4f}，y {y0:.4f}…{y1:.4f})，"
            f"但声明的是投影坐标系 {label}",
            file=file,
            fix="改为声明 EPSG:4490 或 EPSG:4326，或把数据投影到所声明的坐标系",
        )
        return False
    area = crs.area_of_use
    lon, lat = transformer(crs, DISPLAY_CRS).transform(
        np.array([x0, x1, x0, x1]), np.array([y0, y0, y1, y1])
    )
    ok = bool(np.all(np.isfinite(lon)) and np.all(np.isfinite(lat)))
    if ok and area is not None:
        margin = 3.0
        ok = bool(
            np.all(lon >= area.west - margin)
            and np.all(lon <= area.east + margin)
            and np.all(lat >= area.south - margin)
            and np.all(lat <= area.north + margin)
        )
    if not ok:
        report.add(
            "error",
            "crs_mismatch",
            layer,
            f"坐标({x0:.0f}, {y0:.0f})落在坐标系 {label} 的适用范围之外：坐标系声明有误，"
            "或 x/y 写反、带了带号",
            file=file,
            fix="核对坐标系(如 3 度带是否带带号：EPSG:4549 无带号，EPSG:4528 有带号)，"
            "在 .prj 或 mapping.toml 的 assume_crs 中改正",
        )
    return bool(ok)


#: Polygons whose validity :func:`is_valid` works out at once: small enough that the
#: temporary arrays stay in the CPU cache and their memory is reused from one batch to the next.
VALIDITY_BATCH = 8192
#: An orientation's sign is trusted when the cross product exceeds this share of the sum of
#: its two terms' magnitudes (plus :data:`SMALLEST_TURN`), far above the rounding error of
#: float64 (Shewchuk's bound for this formula is 3.3e-16), so the sign is the exact one that
#: GEOS computes in extended precision.
ORIENTATION_MARGIN = 1e-12
#: Cross products below this are never trusted (their terms may have lost precision to
#: underflow, where the relative bound above does not hold).
SMALLEST_TURN = 1e-300


def is_valid(
    geoms: np.ndarray, *, counts: np.ndarray | None = None, types: np.ndarray | None = None
) -> np.ndarray:
    """``shapely.is_valid`` of each geometry (None: False), the same answer for every input.

    Simple convex polygons (most parcels and buildings are rectangles) are proven valid
    in numpy, batch by batch; GEOS checks only the rest.  ``counts`` (numbers of
    coordinates) and ``types`` (type ids) are the shapes' when the caller has them already,
    so that GEOS is not asked for them a second time.

    >>> is_valid(np.array([shapely.box(0, 0, 2, 1), shapely.Polygon([(0, 0), (2, 2),
    ...     (2, 0), (0, 2)]), shapely.Polygon(), None], dtype=object)).tolist()
    [True, False, True, False]
    """
    if counts is None:
        counts = shapely.get_num_coordinates(geoms)
    if types is None:
        types = shapely.get_type_id(geoms)
    convex = np.zeros(len(geoms), dtype=bool)
    for start in range(0, len(geoms), VALIDITY_BATCH):
        batch = slice(start, start + VALIDITY_BATCH)
        convex[batch] = _convex_polygons(geoms[batch], counts[batch], types[batch])
    valid = convex.copy()
    valid[~convex] = shapely.is_valid(geoms[~convex])
    return valid


def _convex_polygons(geoms: np.ndarray, counts: np.ndarray, types: np.ndarray) -> np.ndarray:
    """True where a geometry is a polygon without holes whose ring is strictly convex
    (hence valid); False says nothing.  ``counts`` and ``types`` are the geometries' numbers
    of coordinates and type ids.  Rings are handled in groups of one length."""
    candidate = (types == 3) & (counts >= 4) & (shapely.get_num_interior_rings(geoms) == 0)
    convex = np.zeros(len(geoms), dtype=bool)
    for n in np.unique(counts[candidate]):
        which = np.flatnonzero(candidate & (counts == n))
        xy = shapely.get_coordinates(geoms[which]).reshape(len(which), n, 2)
        # one column per ring, so that the reductions over a ring's points run along rows
        x = np.ascontiguousarray(xy[:, :, 0].T)
        y = np.ascontiguousarray(xy[:, :, 1].T)
        convex[which] = strictly_convex_rings(x, y)
    return convex


def strictly_convex_rings(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """True for each column of ``x``/``y`` (a ring's n points, the last repeating the first)
    that is a simple, strictly convex ring.

    Every turn from one edge to the next must bend the same way with a sign beyond doubt
    (so no repeated points, no collinear points, no spikes), and the ring must wind once:
    its edges' directions, which then turn steadily by less than half a circle each, pass
    from the upper half-plane [0°, 180°) to the lower one and back exactly twice (a star
    that winds twice passes four times).

    >>> square = np.array([[0., 1., 1., 0., 0.], [0., 0., 1., 1., 0.]])
    >>> star = np.array([[np.cos(a), np.sin(a)] for a in np.arange(6) * 4 * np.pi / 5]).T
    >>> strictly_convex_rings(*square[:, :, None]), strictly_convex_rings(*star[:, :, None])
    (array([ True]), array([False]))
    """
    closed = (x[0] == x[-1]) & (y[0] == y[-1])
    finite = np.isfinite(x).all(axis=0) & np.isfinite(y).all(axis=0)
    with np.errstate(invalid="ignore", over="ignore"):  # rings not finite are refused anyway
        dx, dy = np.diff(x, axis=0), np.diff(y, axis=0)
        dx_next, dy_next = np.roll(dx, -1, axis=0), np.roll(dy, -1, axis=0)
        left, right = dx * dy_next, dy * dx_next
        turn = left - right
        margin = ORIENTATION_MARGIN * (np.abs(left) + np.abs(right)) + SMALLEST_TURN
    sure = np.abs(turn) > margin
    one_way = (sure & (turn > 0)).all(axis=0) | (sure & (turn < 0)).all(axis=0)
    # differences of floats have the exact sign, so the half-planes are exact
    upper = (dy > 0) | ((dy == 0) & (dx > 0))
    winds_once = (upper != np.roll(upper, -1, axis=0)).sum(axis=0) == 2
    return closed & finite & one_way & winds_once


def check_geometries(
    gdf: gpd.GeoDataFrame, layer: str, file: str, report: QualityReport, *, polygons: bool
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Empty/non-polygon shapes are errors; invalid ones are repaired with a warning.

    Returns the checked layer and which of its shapes are present and valid, so that
    :func:`check_overlaps` need not test the validity of every shape a second time.
    """
    geom = np.asarray(gdf.geometry.array, dtype=object)
    counts = shapely.get_num_coordinates(geom)
    types = shapely.get_type_id(geom)
    # GEOS calls a shape empty exactly when it has no coordinates (a polygon's shell may
    # not be empty when a hole is not), so the counts the validity test needs tell it
    missing = shapely.is_missing(geom) | (counts == 0)
    if missing.any():
        report.flag(
            missing,
            "error" if layer == "parcels" else "warning",
            "empty_geometry",
            layer,
            "几何为空",
            file=file,
            fix="补绘图形，或删除该要素",
            offset=1,
        )
    if polygons:
        wrong = ~missing & ~np.isin(types, [3, 6])
        if wrong.any():
            report.flag(
                wrong,
                "error" if layer == "parcels" else "warning",
                "not_polygon",
                layer,
                "几何不是面(Polygon/MultiPolygon)",
                file=file,
                fix="宗地与建筑必须是面要素",
                offset=1,
            )
    usable = ~missing & is_valid(geom, counts=counts, types=types)
    invalid = ~missing & ~usable
    if not invalid.any():
        return gdf, usable
    repaired = shapely.make_valid(geom[invalid])
    if polygons:
        # make_valid may return collections; keep their polygonal part
        repaired = _polygonal(repaired)
    # only the repaired shapes changed: only their validity is asked again
    usable[invalid] = ~_missing(repaired) & shapely.is_valid(repaired)
    report.flag(
        invalid,
        "warning",
        "invalid_geometry",
        layer,
        "几何无效(自相交等)，已自动修复(make_valid)",
        file=file,
        fix="请在源数据中核对并修正图形",
        offset=1,
    )
    out = gdf.copy()
    values = out.geometry.values.copy()
    values[invalid] = repaired
    out[out.geometry.name] = gpd.GeoSeries(values, index=out.index, crs=out.crs)
    return out, usable


def _missing(geoms: np.ndarray) -> np.ndarray:
    """True where a shape is absent (None) or empty."""
    return shapely.is_missing(geoms) | shapely.is_empty(geoms)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    parts, idx = shapely.get_parts(geoms, return_index=True)
    keep = np.isin(shapely.get_type_id(parts), [3, 6])
    out = np.empty(len(geoms), dtype=object)
    for i in range(len(geoms)):  # few invalid shapes: a short loop over them only
        mine = parts[keep & (idx == i)]
        out[i] = shapely.union_all(mine) if len(mine) else shapely.Polygon()
    return out


def check_duplicates(
    df: pd.DataFrame, column: str, layer: str, file: str, offset: int, report: QualityReport
) -> None:
    """Duplicate or missing values of an id column are errors."""
    ids = df[column]
    missing = ids.isna() | (ids.astype("string").str.strip() == "")
    if missing.any():
        report.flag(
            missing.to_numpy(),
            "error",
            "missing_id",
            layer,
            f"{FIELDS[layer][column].label}为空",
            file=file,
            field=column,
            fix="每行都必须填写编号",
            offset=offset,
        )
    dup = ids.duplicated(keep=False) & ~missing
    if dup.any():
        first = ids[dup].iloc[0]
        report.flag(
            dup.to_numpy(),
            "error",
            "duplicate_id",
            layer,
            f"{FIELDS[layer][column].label}重复(如 {first})",
            file=file,
            field=column,
            fix="每宗地的编号必须唯一：合并或改正重复的行",
            offset=offset,
        )


def check_non_negative(
    df: pd.DataFrame, layer: str, file: str, offset: int, report: QualityReport
) -> None:
    """Negative areas or money are errors."""
    for name in NON_NEGATIVE[layer]:
        if name not in df.columns:
            continue
        neg = (pd.to_numeric(df[name], errors="coerce") < 0).to_numpy(dtype=bool, na_value=False)
        if neg.any():
            report.flag(
                neg,
                "error",
                "negative_value",
                layer,
                f"{FIELDS[layer][name].label}为负数",
                file=file,
                field=name,
                fix="面积和金额不能为负：改正该值或留空",
                offset=offset,
            )


def check_credit_codes(
    df: pd.DataFrame, layer: str, file: str, offset: int, report: QualityReport
) -> None:
    """A 统一社会信用代码 failing its check character is a warning."""
    if "credit_code" not in df.columns:
        return
    codes = df["credit_code"]
    bad = (~credit_codes_valid(codes)).to_numpy(dtype=bool, na_value=False)
    if bad.any():
        report.flag(
            bad,
            "warning",
            "credit_code_invalid",
            layer,
            "统一社会信用代码未通过 GB 32100-2015 校验位检查",
            file=file,
            field="credit_code",
            fix="核对18位代码是否录入有误",
            offset=offset,
        )


#: Share of the smaller parcel two parcels may overlap before a warning, and an error.
OVERLAP_WARN_SHARE = 0.01
OVERLAP_ERROR_SHARE = 0.5


def check_overlaps(
    gdf: gpd.GeoDataFrame,
    layer: str,
    file: str,
    report: QualityReport,
    offset: int = 1,
    usable: np.ndarray | None = None,
) -> None:
    """Parcels drawn over each other: an error when the overlap is at least half of the
    smaller one (the same parcel twice, its land counted twice), a warning above 1 %.

    Only shapes present and valid take part; ``usable`` says which they are when
    :func:`check_geometries` has already worked it out.

    >>> g = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10), shapely.box(0, 0, 10, 10),
    ...     shapely.box(9.5, 0, 20, 10), shapely.box(30, 0, 40, 10)], crs=4549)
    >>> rep = QualityReport(); check_overlaps(g, "parcels", "p.gpkg", rep)
    >>> [(i.level, i.rows) for i in rep.issues]
    [('error', (1, 2)), ('warning', (1, 2, 3))]
    """
    geom = np.asarray(gdf.geometry.array, dtype=object)
    if usable is None:
        usable = ~_missing(geom) & is_valid(geom)
    idx = np.flatnonzero(usable)
    if len(idx) < 2:
        return
    shapes = geom[idx]
    # pairs whose boxes meet, each once; relate_pattern alone tells whose interiors meet
    # (those shapes intersect), sooner than an "intersects" test of every pair both ways and
    # of every shape with itself before it, above all where parcels touch their neighbours
    left, right = shapely.STRtree(shapes).query(shapes)
    keep = left < right
    left, right = left[keep], right[keep]
    inner = shapely.relate_pattern(shapes[left], shapes[right], "2********")
    left, right = left[inner], right[inner]
    if not len(left):
        return
    common = shapely.area(shapely.intersection(shapes[left], shapes[right]))
    smaller = np.minimum(shapely.area(shapes[left]), shapely.area(shapes[right]))
    share = ratio(common, smaller, default=0.0)
    for level, mask, message, fix in (
        (
            "error",
            share >= OVERLAP_ERROR_SHARE,
            "宗地与其他宗地大部分重叠(疑似同一宗地重复绘制)，用地会被重复计算",
            "删除重复的宗地，或改正图形",
        ),
        (
            "warning",
            (share > OVERLAP_WARN_SHARE) & (share < OVERLAP_ERROR_SHARE),
            "宗地与相邻宗地部分重叠(超过较小宗地面积的1%)",
            "核对宗地边界",
        ),
    ):
        if mask.any():
            rows = np.unique(np.concatenate([idx[left[mask]], idx[right[mask]]]))
            report.add(
                level,  # type: ignore[arg-type]
                "overlapping_parcels",
                layer,
                message,
                file=file,
                rows=rownums(rows, offset),
                fix=fix,
            )
