"""Printed maps drawn with matplotlib from the project's own geometry (no tiles, no network).

Every map is drawn in the working projected CRS (metres), with zone outlines, a scale bar and
a north arrow, and returned as PNG bytes for the page.  Categories are told apart by grey
level *and* hatching (and labelled in the legend with their counts), so a black-and-white
printout keeps them apart; colour is only a help on screen.

Texts from the data (parcel ids, zone names) are drawn with ``parse_math=False``: a name with
``$`` or markup prints as itself.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle, PathPatch, Polygon, Rectangle
from matplotlib.path import Path as MplPath
from PIL import Image as PILImage

from lcgis.data.frame import flag
from lcgis.papers.fonts import matplotlib_font
from lcgis.vocab import CLASS_LABELS, CLASSES, DISPOSITION_LABELS, LAND_STATE_LABELS, THEME_LABELS

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import geopandas as gpd

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Category:
    """One legend entry: grey fill, hatch pattern, and a colour tint for the screen."""

    key: str
    label: str
    face: str
    hatch: str = ""


#: Parcel classes (main enterprise's class): light = good, dark and cross-hatched = bad.
CLASS_CATEGORIES: tuple[Category, ...] = (
    Category("A", CLASS_LABELS["A"], "#e8f3e8", ""),
    Category("B", CLASS_LABELS["B"], "#c9dfc0", "...."),
    Category("C", CLASS_LABELS["C"], "#f2c894", "////"),
    Category("D", CLASS_LABELS["D"], "#b85a5a", "xxxx"),
    Category("T", CLASS_LABELS["T"], "#d8d4ea", "----"),
    Category("", "无类别(无评价企业)", "#ffffff", ""),
)
#: Dispositions (rules.md §8), then parcels in their construction period.
DISPOSITION_CATEGORIES: tuple[Category, ...] = (
    Category("reclaim", DISPOSITION_LABELS["reclaim"], "#5a5a5a", "xxxx"),
    Category("buyback", DISPOSITION_LABELS["buyback"], "#a0a0a0", "////"),
    Category("vacate", DISPOSITION_LABELS["vacate"], "#c8c8c8", "\\\\\\\\"),
    Category("densify", DISPOSITION_LABELS["densify"], "#e4e4e4", "...."),
    Category("in_construction", "建设期内(不评价)", "#ffffff", "||"),
    Category("", "无处置", "#ffffff", ""),
)
#: Idle, undeveloped and inefficient land (a parcel shows the first that applies).
LAND_CATEGORIES: tuple[Category, ...] = (
    Category("idle", LAND_STATE_LABELS["idle"], "#5a5a5a", "xxxx"),
    Category("undeveloped", LAND_STATE_LABELS["undeveloped"], "#a0a0a0", "////"),
    Category("inefficient", LAND_STATE_LABELS["inefficient"], "#d0d0d0", "...."),
    Category("", "其他", "#ffffff", ""),
)


# --- geometry to paths -------------------------------------------------------------------------


def _ring_path(coords: np.ndarray, verts: list[np.ndarray], codes: list[np.ndarray]) -> None:
    n = len(coords)
    if n < 3:
        return
    c = np.full(n, MplPath.LINETO, dtype=np.uint8)
    c[0] = MplPath.MOVETO
    c[-1] = MplPath.CLOSEPOLY
    verts.append(coords[:, :2])
    codes.append(c)


def geometry_path(geoms: Iterable[Any]) -> MplPath | None:
    """One compound path of all polygons (holes kept) in ``geoms``; None when empty."""
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for poly in shapely.get_parts(geom):
            if not isinstance(poly, shapely.Polygon):
                continue
            _ring_path(np.asarray(poly.exterior.coords), verts, codes)
            for hole in poly.interiors:
                _ring_path(np.asarray(hole.coords), verts, codes)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _patch(path: MplPath | None, **style: Any) -> PathPatch | None:
    return None if path is None else PathPatch(path, **style)


def _add(ax: Any, geoms: Iterable[Any], **style: Any) -> None:
    patch = _patch(geometry_path(geoms), **style)
    if patch is not None:
        ax.add_patch(patch)


# --- furniture ---------------------------------------------------------------------------------


def nice_length(span_m: float) -> float:
    """A round scale-bar length near a fifth of ``span_m`` (1, 2, 2.5 or 5 × 10ⁿ m).

    >>> nice_length(2300.0), nice_length(180.0), nice_length(4.0)
    (250.0, 25.0, 1.0)
    """
    target = max(span_m / 5.0, 1.0)
    exp = 10 ** math.floor(math.log10(target))
    best = exp
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * exp <= target:
            best = step * exp
    return float(best)


def _distance_label(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


def scale_bar(ax: Any, font: Any, size: float = 6.5, mid_label: bool = True) -> float:
    """A two-segment black/white scale bar in the lower left; returns its length (m)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    h = (y1 - y0) * 0.012
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    ax.add_patch(
        Rectangle(
            (bx - length * 0.06, by - h * 1.6),
            length * 1.3,
            h * 5.2,
            fc="white",
            ec="none",
            alpha=0.85,
            zorder=20,
        )
    )
    for i, face in enumerate(("black", "white")):
        ax.add_patch(
            Rectangle(
                (bx + i * length / 2, by), length / 2, h, fc=face, ec="black", lw=0.6, zorder=21
            )
        )
    marks = [(0.0, "0"), (1.0, _distance_label(length))]
    if mid_label:
        marks.insert(1, (0.5, _distance_label(length / 2)))
    for frac, text in marks:
        ax.text(
            bx + frac * length,
            by + h * 1.6,
            text,
            ha="center",
            va="bottom",
            fontproperties=font,
            fontsize=size,
            zorder=22,
            parse_math=False,
        )
    return length


def north_arrow(ax: Any, font: Any) -> None:
    """An arrow pointing to grid north (the projection's y axis) in the upper right."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    cx, top = x1 - w * 0.06, y1 - h * 0.05
    size = min(w, h) * 0.05
    ax.add_patch(
        Polygon(
            [(cx, top), (cx - size * 0.35, top - size), (cx, top - size * 0.75)],
            closed=True,
            fc="black",
            ec="black",
            lw=0.6,
            zorder=21,
        )
    )
    ax.add_patch(
        Polygon(
            [(cx, top), (cx + size * 0.35, top - size), (cx, top - size * 0.75)],
            closed=True,
            fc="white",
            ec="black",
            lw=0.6,
            zorder=21,
        )
    )
    ax.text(
        cx,
        top - size * 1.05,
        "北",
        ha="center",
        va="top",
        fontproperties=font,
        fontsize=7,
        zorder=22,
        parse_math=False,
    )


def _figure(width_mm: float, height_mm: float, bottom: float = 0.0) -> tuple[Figure, Any]:
    """A figure of the printed size whose map axes leave ``bottom`` (share) for a legend."""
    fig = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH))
    ax = fig.add_axes((0.0, bottom, 1.0, 1.0 - bottom))
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def _frame(ax: Any, bounds: Sequence[float], aspect: float, pad: float = 0.04) -> None:
    """Fit ``bounds`` (minx, miny, maxx, maxy) into axes of width/height ``aspect``."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)


def _rgb_png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as an RGB PNG (no alpha channel: the page is white anyway)."""
    width, height = canvas.get_width_height()
    image = PILImage.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()


def to_png(fig: Figure, dpi: int) -> bytes:
    """The figure as an RGB PNG (fast compression: the PDF compresses the image again)."""
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return _rgb_png(canvas)


def _zones(ax: Any, zones: gpd.GeoDataFrame | None, font: Any, labels: bool, lw: float) -> None:
    if zones is None or zones.empty:
        return
    _add(ax, zones.geometry, fc="none", ec="black", lw=lw, ls=(0, (6, 2)), zorder=10)
    if not labels or "zone_name" not in zones:
        return
    for geom, name in zip(zones.geometry, zones["zone_name"], strict=True):
        if geom is None or geom.is_empty or pd.isna(name):
            continue
        pt = geom.representative_point()
        ax.text(
            pt.x,
            pt.y,
            str(name),
            ha="center",
            va="center",
            fontproperties=font,
            fontsize=8,
            zorder=15,
            parse_math=False,
            bbox={"fc": "white", "ec": "black", "lw": 0.5, "alpha": 0.85, "pad": 1.5},
        )


# --- the park maps of the annual report --------------------------------------------------------


def park_categories(parcels: pd.DataFrame, theme: str) -> pd.Series:
    """The legend key of every parcel on a park map ('' = the neutral category).

    ``theme``: ``classes`` (parcel_class), ``dispositions`` (disposition, then in
    construction) or ``land`` (idle > undeveloped > inefficient).
    """

    if theme == "classes":
        cls = parcels.get("parcel_class", pd.Series(pd.NA, index=parcels.index))
        return cls.astype(object).where(cls.isin(list(CLASSES)), "").astype(str)
    if theme == "dispositions":
        d = parcels.get("disposition", pd.Series(None, index=parcels.index)).astype(object)
        out = d.where(d.notna(), "").astype(str)
        return out.where(out.ne("") | ~flag(parcels, "in_construction"), "in_construction")
    if theme == "land":
        out = pd.Series("", index=parcels.index, dtype=object)
        for key in ("inefficient", "undeveloped", "idle"):  # the later wins
            out = out.where(~flag(parcels, key), key)
        return out.astype(str)
    raise ValueError(f"unknown theme {theme}")


THEMES: dict[str, tuple[str, tuple[Category, ...]]] = {
    theme: (THEME_LABELS[theme], categories)
    for theme, categories in (
        ("classes", CLASS_CATEGORIES),
        ("dispositions", DISPOSITION_CATEGORIES),
        ("land", LAND_CATEGORIES),
    )
}


def legend_rows(parcels: pd.DataFrame, theme: str) -> list[tuple[Category, int, float]]:
    """(category, parcels, 亩) of every legend entry of a park map."""
    keys = park_categories(parcels, theme)
    mu = pd.to_numeric(
        parcels.get("land_area_mu", pd.Series(np.nan, index=parcels.index)), errors="coerce"
    ).fillna(0.0)
    return [
        (c, int((keys == c.key).sum()), float(mu[keys == c.key].sum())) for c in THEMES[theme][1]
    ]


def park_map(
    parcels: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | None,
    theme: str,
    *,
    width_mm: float = 178.0,
    height_mm: float = 190.0,
    dpi: int = 200,
) -> bytes:
    """A map of the whole park coloured by ``theme`` (see :data:`THEMES`), as PNG."""
    font = matplotlib_font()
    legend_share = 0.12
    fig, ax = _figure(width_mm, height_mm, bottom=legend_share)
    keys = park_categories(parcels, theme)
    title, cats = THEMES[theme]
    geoms = parcels.geometry
    for c in cats:
        on = (keys == c.key).to_numpy()
        if on.any():
            _add(ax, geoms[on], fc=c.face, ec="#303030", lw=0.25, hatch=c.hatch, zorder=2)
    _zones(ax, zones, font, labels=True, lw=1.1)
    bounds = zones.total_bounds if zones is not None and not zones.empty else parcels.total_bounds
    _frame(ax, bounds, width_mm / (height_mm * (1 - legend_share)), pad=0.03)
    counts = {c.key: (n, mu) for c, n, mu in legend_rows(parcels, theme)}
    handles = [
        Rectangle((0, 0), 1, 1, fc=c.face, ec="#303030", lw=0.5, hatch=c.hatch) for c in cats
    ]
    labels = [f"{c.label}  {counts[c.key][0]} 宗 {counts[c.key][1]:,.1f} 亩" for c in cats]
    leg = fig.legend(
        handles,
        labels,
        loc="lower center",
        ncols=3,
        prop=font,
        fontsize=7,
        title=title,
        title_fontproperties=font,
        frameon=True,
        framealpha=0.92,
        edgecolor="black",
        handlelength=2.2,
        handleheight=1.4,
        bbox_to_anchor=(0.5, 0.005),
    )
    leg.get_frame().set_linewidth(0.6)
    for text in leg.get_texts():
        text.set_fontsize(7)
    leg.get_title().set_fontsize(7.5)
    scale_bar(ax, font)
    north_arrow(ax, font)
    return to_png(fig, dpi)


# --- the two maps of a dossier -----------------------------------------------------------------


class LocatorMaps:
    """The park-wide locator map of each dossier: the park drawn once, the parcel marked."""

    def __init__(
        self,
        parcels: gpd.GeoDataFrame,
        zones: gpd.GeoDataFrame | None,
        *,
        width_mm: float = 64.0,
        height_mm: float = 72.0,
        dpi: int = 150,
    ) -> None:
        self.font = matplotlib_font()
        self.fig, self.ax = _figure(width_mm, height_mm)
        self.dpi = dpi
        self.geoms = pd.Series(parcels.geometry.to_numpy(), index=parcels["parcel_id"].astype(str))
        _add(self.ax, parcels.geometry, fc="#eeeeee", ec="#9a9a9a", lw=0.15, zorder=2)
        _zones(self.ax, zones, self.font, labels=True, lw=0.8)
        bounds = (
            zones.total_bounds if zones is not None and not zones.empty else parcels.total_bounds
        )
        _frame(self.ax, bounds, width_mm / height_mm, pad=0.03)
        scale_bar(self.ax, self.font, size=5.5, mid_label=False)
        north_arrow(self.ax, self.font)
        x0, x1 = self.ax.get_xlim()
        self.ring = (x1 - x0) * 0.05
        # the park is rendered once; each parcel is drawn over a copy of it (blitting)
        self.fig.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    def png(self, parcel_id: str) -> bytes:
        """The locator map with ``parcel_id`` filled black and circled."""
        geom = self.geoms.get(str(parcel_id))
        self.canvas.restore_region(self.background)
        if geom is not None and not geom.is_empty:
            patch = _patch(geometry_path([geom]), fc="black", ec="black", lw=0.6, zorder=12)
            c = geom.centroid
            ring = Circle((c.x, c.y), self.ring, fc="none", ec="black", lw=1.2, zorder=13)
            for artist in (patch, ring):
                if artist is not None:
                    self.ax.add_patch(artist)
                    self.ax.draw_artist(artist)
                    artist.remove()
        return _rgb_png(self.canvas)


#: Neighbours labelled on a detail map (the largest visible ones; text is slow to draw).
MAX_NEIGHBOUR_LABELS = 14


def _label_points(geoms: gpd.GeoSeries, box: Any, limit: int) -> list[tuple[int, Any]]:
    """(position, label point) of the ``limit`` geometries with most area inside ``box``
    (at least 1.5 % of it)."""
    visible = shapely.intersection(np.asarray(geoms.to_numpy()), box)
    area = shapely.area(visible)
    order = np.argsort(-area)[:limit]
    minimum = box.area * 0.015
    return [
        (int(k), shapely.point_on_surface(visible[k]))
        for k in order
        if area[k] >= minimum and not visible[k].is_empty
    ]


def detail_map(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    parcel_id: str,
    *,
    width_mm: float = 108.0,
    height_mm: float = 72.0,
    dpi: int = 200,
    sindex: Any | None = None,
) -> bytes:
    """The parcel with its buildings and its neighbours (labelled with their ids), as PNG."""
    font = matplotlib_font()
    fig, ax = _figure(width_mm, height_mm)
    ids = parcels["parcel_id"].astype(str).to_numpy()
    pos = np.flatnonzero(ids == str(parcel_id))
    if not len(pos):
        return to_png(fig, dpi)
    geom = parcels.geometry.iloc[int(pos[0])]
    minx, miny, maxx, maxy = geom.bounds
    margin = max(maxx - minx, maxy - miny) * 0.45 + 25.0
    view = (minx - margin, miny - margin, maxx + margin, maxy + margin)
    _frame(ax, view, width_mm / height_mm, pad=0.0)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    box = shapely.box(x0, y0, x1, y1)
    index = sindex if sindex is not None else parcels.sindex
    near = np.asarray(index.query(box, predicate="intersects"), dtype=int)
    near = near[near != int(pos[0])]
    neighbours = parcels.geometry.iloc[near]
    _add(ax, neighbours, fc="#f4f4f4", ec="#6a6a6a", lw=0.5, zorder=2)
    _add(ax, [geom], fc="#dcdcdc", ec="black", lw=1.6, hatch="////", zorder=3)
    if buildings is not None and not buildings.empty:
        bidx = np.asarray(buildings.sindex.query(box, predicate="intersects"), dtype=int)
        _add(ax, buildings.geometry.iloc[bidx], fc="#8c8c8c", ec="black", lw=0.35, zorder=4)
    for i, pt in _label_points(parcels.geometry.iloc[near], box, MAX_NEIGHBOUR_LABELS):
        ax.text(
            pt.x,
            pt.y,
            ids[int(near[i])],
            ha="center",
            va="center",
            fontproperties=font,
            fontsize=5.5,
            color="#333333",
            zorder=6,
            parse_math=False,
            clip_on=True,
        )
    pt = geom.representative_point()
    ax.text(
        pt.x,
        pt.y,
        str(parcel_id),
        ha="center",
        va="center",
        fontproperties=font,
        fontsize=7.5,
        zorder=7,
        parse_math=False,
        bbox={"fc": "white", "ec": "black", "lw": 0.6, "pad": 1.2},
    )
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fc="none", ec="black", lw=1.0, zorder=30))
    scale_bar(ax, font, size=5.5)
    north_arrow(ax, font)
    return to_png(fig, dpi)
