"""A relocation plan for the screen: map features, chart data, a savable payload, comparisons.

Pure (no streamlit).  The map shows, on top of the parcel map:

* free parcels left unused (空闲地块), parcels vacated by in-park movers (腾出地块) and the
  sites given to movers (安排地块), as outlines;
* for each placed in-park mover, a line from the centroid of its current parcel to the
  centroid of its new site (搬迁路线).

Every text from the data reaches the map HTML-escaped (folium tooltips are HTML).

A saved plan is a JSON value (:func:`plan_payload`): the plan and before/after tables as
records (no geometry) and the parameters of the solve; :func:`compare_plans` puts two of them
side by side.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lcgis.plan.before_after import PARK_ID
from lcgis.plan.movers import MOVER_FIELDS, check_movers
from lcgis.views import maps
from lcgis.vocab import (
    BEFORE_AFTER_LABELS,
    CHART_FIGURE_LABELS,
    PLAN_MAP_KIND_LABELS,
    PLAN_TOTAL_LABELS,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from lcgis.data import validate as v
    from lcgis.plan.relocation import RelocationPlan

PAYLOAD_FORMAT = "lcgis-relocation-plan/1"
#: Kinds of map features: code -> (Chinese name, colour, line dash or None, fill opacity).
KINDS: dict[str, tuple[str, str, str | None, float]] = {
    code: (PLAN_MAP_KIND_LABELS[code], *style)
    for code, style in (
        ("free", ("#636363", "4 4", 0.0)),
        ("vacated", ("#ff7f00", None, 0.25)),
        ("site", ("#1f78b4", None, 0.45)),
        ("move", ("#e31a1c", "8 6", 0.0)),
    )
}
#: Figures of the before/after charts: code -> Chinese title with unit.
CHART_FIGURES: Mapping[str, str] = CHART_FIGURE_LABELS
#: Totals of a saved plan: code -> Chinese label with unit.
TOTALS: Mapping[str, str] = PLAN_TOTAL_LABELS


# --- movers ----------------------------------------------------------------------------------


def empty_movers() -> pd.DataFrame:
    """A movers table with the canonical columns and no rows.

    >>> list(empty_movers().columns)[:4]
    ['mover_id', 'name', 'credit_code', 'need_mu']
    """
    return check_movers(pd.DataFrame({f: [] for f in MOVER_FIELDS}))[0]


def frame_digest(df: pd.DataFrame) -> str:
    """A short digest of a table's columns and values (for cache keys).

    >>> a = pd.DataFrame({"x": [1.0, None], "y": ["a", "b"]})
    >>> frame_digest(a) == frame_digest(a.copy()), frame_digest(a) == frame_digest(a[::-1])
    (True, False)
    """
    h = hashlib.sha1("|".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df.astype(object), index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def issue_rows(report: v.QualityReport) -> pd.DataFrame:
    """Errors, then warnings, of a movers check: 级别, 行号, 字段 (Chinese), 问题, 处理建议.

    >>> _, rep = check_movers(pd.DataFrame({"mover_id": ["M1"], "name": ["甲"],
    ...     "need_mu": [-3], "industry_code": ["3911"]}), offset=1)
    >>> issue_rows(rep).iloc[0].tolist()
    ['错误', '1', '需求用地(亩)', '需求用地(亩)不大于0', '填写大于0的亩数，如 12.5']
    """
    frame = report.to_frame()
    labels = {name: f.label for name, f in MOVER_FIELDS.items()}
    frame["字段"] = frame["字段"].map(lambda f: labels.get(f, f))
    return frame[["级别", "行号", "字段", "问题", "处理建议"]].reset_index(drop=True)


# --- the map ---------------------------------------------------------------------------------


def _label(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def move_lines(plan: pd.DataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lines from the centroid of each placed in-park mover's current parcel to the centroid
    of its new site (CRS of ``parcels``): mover_id, name, from_parcel, to_parcels, length_m.

    ``plan``: :attr:`RelocationPlan.plan` (site geometry in the CRS of the parcels).

    >>> p = gpd.GeoDataFrame({"parcel_id": ["A", "B"]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(300, 0, 400, 100)], crs=4549)
    >>> plan = gpd.GeoDataFrame({"mover_id": ["T1", "M1"], "name": ["甲", "乙"],
    ...     "parcel_ids": ["B", "B"], "current_parcel_id": ["A", ""]},
    ...     geometry=[p.geometry[1], p.geometry[1]], crs=4549)
    >>> lines = move_lines(plan, p)
    >>> lines[["mover_id", "from_parcel", "to_parcels", "length_m"]].values.tolist()
    [['T1', 'A', 'B', 300.0]]
    >>> list(lines.geometry.iloc[0].coords)
    [(50.0, 50.0), (350.0, 50.0)]
    """
    cur = plan["current_parcel_id"].astype("string").fillna("")
    placed = plan["parcel_ids"].astype("string").fillna("").ne("")
    rows = plan[(cur != "") & placed & plan.geometry.notna()]
    where = pd.Series(parcels.geometry.values, index=parcels["parcel_id"].astype(str).to_numpy())
    start = shapely.centroid(where.reindex(rows["current_parcel_id"].astype(str)).to_numpy())
    end = shapely.centroid(rows.geometry.to_numpy())
    ok = ~shapely.is_missing(start) & ~shapely.is_missing(end)
    coords = np.stack([shapely.get_coordinates(start[ok]), shapely.get_coordinates(end[ok])], 1)
    lines = np.asarray(
        shapely.linestrings(coords) if ok.any() else np.array([], dtype=object), dtype=object
    )
    kept = rows[ok]
    return gpd.GeoDataFrame(
        {
            "mover_id": kept["mover_id"].astype(str).to_numpy(),
            "name": [_label(n) for n in kept["name"]],
            "from_parcel": kept["current_parcel_id"].astype(str).to_numpy(),
            "to_parcels": kept["parcel_ids"].astype(str).to_numpy(),
            "length_m": np.round(shapely.length(lines), 1) if len(lines) else np.array([]),
        },
        geometry=list(lines),
        crs=parcels.crs,
    )


def plan_features(
    plan: pd.DataFrame, free: pd.DataFrame, parcels: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The plan's map features (CRS of ``parcels``): kind (:data:`KINDS`), tip (escaped
    HTML, lines joined by ``<br>``), geometry; free land first, move lines last.

    >>> p = gpd.GeoDataFrame({"parcel_id": ["A", "B", "C"], "land_area_mu": [15.0, 15.0, 3.0]},
    ...     geometry=[shapely.box(0, 0, 100, 100), shapely.box(300, 0, 400, 100),
    ...               shapely.box(0, 300, 10, 310)], crs=4549)
    >>> plan = gpd.GeoDataFrame({"mover_id": ["T1"], "name": ["<b>甲</b>"],
    ...     "parcel_ids": ["B"], "current_parcel_id": ["A"], "land_mu": [15.0],
    ...     "expected_tax_wan": [300.0], "expected_output_wan": [9000.0]},
    ...     geometry=[p.geometry[1]], crs=4549)
    >>> free = pd.DataFrame({"parcel_id": ["B", "C"], "kinds_zh": ["闲置", "未开发"],
    ...     "land_mu": [15.0, 3.0], "taken_by": ["T1", ""]})
    >>> f = plan_features(plan, free, p)
    >>> f["kind"].tolist()
    ['free', 'vacated', 'site', 'move']
    >>> f["tip"].iloc[2]
    '安排地块：B<br>&lt;b&gt;甲&lt;/b&gt;(T1)<br>15.00 亩；预期税收 300.0 万元，产值 9,000.0 万元'
    """
    where = pd.Series(parcels.geometry.values, index=parcels["parcel_id"].astype(str).to_numpy())
    esc = html.escape
    kinds: list[str] = []
    tips: list[str] = []
    geoms: list[Any] = []
    unused = free[free["taken_by"].astype("string").fillna("") == ""]
    for pid, kind_zh, mu in zip(
        unused["parcel_id"].astype(str), unused["kinds_zh"], unused["land_mu"], strict=True
    ):
        kinds.append("free")
        tips.append(f"空闲地块：{esc(pid)}<br>{esc(_label(kind_zh))}；{float(mu):,.2f} 亩")
        geoms.append(where.get(pid))
    placed = plan[plan["parcel_ids"].astype("string").fillna("").ne("")]
    cur = placed["current_parcel_id"].astype("string").fillna("")
    taken = {p for ids in placed["parcel_ids"].astype(str) for p in ids.split(";")}
    for pid, mid, name in zip(cur, placed["mover_id"].astype(str), placed["name"], strict=True):
        if pid and pid not in taken:
            kinds.append("vacated")
            tips.append(f"腾出地块：{esc(pid)}<br>{esc(_label(name))}({esc(mid)})迁出")
            geoms.append(where.get(pid))
    site_cols = ["parcel_ids", "name", "mover_id", "land_mu", "expected_tax_wan"]
    for (ids, name, mid, mu, tax), out, geom in zip(
        placed[site_cols].itertuples(index=False, name=None),
        placed["expected_output_wan"],
        placed.geometry,
        strict=True,
    ):  # one row per placed mover (a few dozen)
        kinds.append("site")
        tips.append(
            f"安排地块：{esc(str(ids))}<br>{esc(_label(name))}({esc(str(mid))})<br>"
            f"{float(mu):,.2f} 亩；预期税收 {float(tax):,.1f} 万元，"
            f"产值 {float(out):,.1f} 万元"
        )
        geoms.append(geom)
    lines = move_lines(plan, parcels)
    for row in lines.itertuples(index=False):
        kinds.append("move")
        tips.append(
            f"搬迁路线：{esc(row.name)}({esc(row.mover_id)})<br>"
            f"{esc(row.from_parcel)} → {esc(row.to_parcels)}，直线 {row.length_m:,.0f} 米"
        )
        geoms.append(row.geometry)
    return gpd.GeoDataFrame(
        {"kind": kinds, "tip": tips}, geometry=list(geoms), crs=parcels.crs
    ).dropna(subset=["geometry"])


def plan_layer(features: gpd.GeoDataFrame, *, datum: str = "wgs84") -> folium.FeatureGroup:
    """The features of :func:`plan_features` as one folium layer (lon/lat, GCJ-02 for
    ``datum="gcj02"``), styled by kind, with their (already escaped) tooltips.

    >>> p = gpd.GeoDataFrame({"kind": ["site"], "tip": ["x"]},
    ...     geometry=[shapely.box(355000, 2753500, 355100, 2753600)], crs=4549)
    >>> type(plan_layer(p)).__name__
    'FeatureGroup'
    """
    fg = folium.FeatureGroup(name="relocation")
    if features.empty:
        return fg
    shown = maps.display_geometry(features.geometry, datum)
    shown = shapely.set_precision(np.asarray(shown.values, dtype=object), 1e-6)
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": kind, "tip": tip},
                "geometry": shapely.geometry.mapping(g),
            }
            for kind, tip, g in zip(features["kind"], features["tip"], shown, strict=True)
        ],
    }
    folium.GeoJson(
        data,
        style_function=_style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    ).add_to(fg)
    return fg


def _style(feature: Mapping[str, Any]) -> dict[str, Any]:
    _name, color, dash, fill = KINDS.get(feature["properties"]["kind"], KINDS["free"])
    return {
        "color": color,
        "weight": 4 if feature["properties"]["kind"] == "move" else 2.5,
        "dashArray": dash,
        "fill": fill > 0,
        "fillColor": color,
        "fillOpacity": fill,
    }


# --- tables and charts -----------------------------------------------------------------------


def before_after_table(before_after: pd.DataFrame) -> pd.DataFrame:
    """The before/after table with Chinese headers (片区, 指标 with its unit, 搬迁前, 搬迁后,
    变化; 规划目标 and 距目标 only when a target is set).

    >>> ba = pd.DataFrame({"zone_id": ["n", "park"], "zone_name": ["北片区", "全园"],
    ...     "figure": ["tax_wan", "tax_wan"], "label": ["税收(万元)", "税收(万元)"],
    ...     "before": [10.0, 30.0], "after": [12.0, 32.0], "change": [2.0, 2.0],
    ...     "target": [np.nan, np.nan], "to_target": [np.nan, np.nan]})
    >>> before_after_table(ba).columns.tolist()
    ['片区', '指标', '搬迁前', '搬迁后', '变化']
    """
    cols = ["zone_name", "label", "before", "after", "change"]
    if pd.to_numeric(before_after["target"], errors="coerce").notna().any():
        cols += ["target", "to_target"]
    return before_after[cols].rename(columns=BEFORE_AFTER_LABELS).reset_index(drop=True)


def chart_data(before_after: pd.DataFrame, figure: str) -> pd.DataFrame:
    """One figure before and after per zone (全园 left out: it dwarfs the zones), indexed by
    片区, columns 搬迁前 and 搬迁后 — for a grouped bar chart.

    >>> ba = pd.DataFrame({"zone_id": ["n", "s", "park"], "zone_name": ["北片区", "南片区", "全园"],
    ...     "figure": "tax_wan", "before": [10.0, 20.0, 30.0], "after": [12.0, 20.0, 32.0]})
    >>> chart_data(ba, "tax_wan").to_dict("index")
    {'北片区': {'搬迁前': 10.0, '搬迁后': 12.0}, '南片区': {'搬迁前': 20.0, '搬迁后': 20.0}}
    """
    rows = before_after[(before_after["figure"] == figure) & (before_after["zone_id"] != PARK_ID)]
    out = rows.set_index("zone_name")[["before", "after"]].astype(float)
    out.index.name = "片区"
    return out.rename(columns={"before": "搬迁前", "after": "搬迁后"})


# --- saved plans -----------------------------------------------------------------------------


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-able records (NaN and NA as null)."""
    result: list[dict[str, Any]] = json.loads(df.to_json(orient="records", force_ascii=False))
    return result


def plan_payload(rp: RelocationPlan, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A plan as a JSON value for the review store: parameters, solver status, the plan
    (no geometry) and the before/after table as records."""
    table = pd.DataFrame(rp.plan.drop(columns=rp.plan.geometry.name))
    return {
        "format": PAYLOAD_FORMAT,
        "parameters": json.loads(json.dumps(dict(parameters), default=str)),
        "objective": rp.objective,
        "objective_value_wan": float(rp.objective_value_wan),
        "optimal": bool(rp.optimal),
        "status": rp.status,
        "mip_gap": None if rp.mip_gap is None else float(rp.mip_gap),
        "plan": _records(table),
        "before_after": _records(rp.before_after),
    }


def plan_totals(payload: Mapping[str, Any]) -> dict[str, float]:
    """The :data:`TOTALS` of a saved plan.

    >>> plan_totals({"plan": [
    ...     {"parcel_ids": "A", "land_mu": 10.0, "expected_tax_wan": 300.0,
    ...      "expected_output_wan": 9000.0, "net_tax_wan": 250.0, "net_output_wan": 8000.0},
    ...     {"parcel_ids": "", "land_mu": None, "expected_tax_wan": None,
    ...      "expected_output_wan": None, "net_tax_wan": None, "net_output_wan": None}]})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'n_movers': 2.0, 'n_placed': 1.0, 'n_unplaced': 1.0, 'land_mu': 10.0,
     'expected_output_wan': 9000.0, 'expected_tax_wan': 300.0, 'net_output_wan': 8000.0,
     'net_tax_wan': 250.0}
    """
    t = pd.DataFrame(list(payload.get("plan") or []))
    placed = (
        t["parcel_ids"].fillna("").astype(str).ne("")
        if "parcel_ids" in t
        else pd.Series(dtype=bool)
    )
    out = {
        "n_movers": float(len(t)),
        "n_placed": float(placed.sum()),
        "n_unplaced": float(len(t) - placed.sum()),
    }
    for col in list(TOTALS)[3:]:
        values = pd.to_numeric(t[col], errors="coerce") if col in t else pd.Series(dtype=float)
        out[col] = float(values[placed].sum()) if len(values) else 0.0
    return out


def compare_plans(
    a: Mapping[str, Any], b: Mapping[str, Any], names: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two saved plans side by side: (totals, per-zone changes of tax and output).

    totals: 项目, one column per plan, 差值(后者−前者); zones: 片区, then per plan the change
    (after − before) of 税收 and 工业总产值 (万元).

    >>> ba = lambda d: [{"zone_id": "n", "zone_name": "北片区", "figure": "tax_wan",
    ...     "change": d}, {"zone_id": "n", "zone_name": "北片区", "figure": "output_wan",
    ...     "change": 10 * d}]
    >>> pa = {"plan": [{"parcel_ids": "A", "land_mu": 10.0, "net_tax_wan": 5.0}],
    ...     "before_after": ba(5.0)}
    >>> pb = {"plan": [{"parcel_ids": "", "land_mu": None, "net_tax_wan": None}],
    ...     "before_after": ba(0.0)}
    >>> totals, zones = compare_plans(pa, pb, ["甲", "乙"])
    >>> totals.set_index("项目").loc["已安排(家)"].tolist()
    [1.0, 0.0, -1.0]
    >>> zones.columns.tolist()
    ['片区', '税收变化(万元)·甲', '税收变化(万元)·乙', '产值变化(万元)·甲', '产值变化(万元)·乙']
    >>> zones.set_index("片区").loc["北片区"].tolist()
    [5.0, 0.0, 50.0, 0.0]
    """
    first, second = str(names[0]), str(names[1])
    ta, tb = plan_totals(a), plan_totals(b)
    totals = pd.DataFrame(
        {
            "项目": list(TOTALS.values()),
            first: [ta[k] for k in TOTALS],
            second: [tb[k] for k in TOTALS],
        }
    )
    totals["差值(后者−前者)"] = totals[second] - totals[first]
    parts = {}
    for label, payload in ((first, a), (second, b)):
        ba = pd.DataFrame(list(payload.get("before_after") or []))
        if ba.empty:
            ba = pd.DataFrame(columns=["zone_id", "zone_name", "figure", "change"])
        ba["change"] = pd.to_numeric(ba["change"], errors="coerce")
        wide = ba.pivot_table(
            index=["zone_id", "zone_name"], columns="figure", values="change", sort=False
        )
        parts[label] = wide.reindex(columns=["tax_wan", "output_wan"])
    index = parts[first].index.union(parts[second].index, sort=False)
    zones = pd.DataFrame(index=index)
    for fig, zh in (("tax_wan", "税收变化(万元)"), ("output_wan", "产值变化(万元)")):
        for label in (first, second):
            zones[f"{zh}·{label}"] = parts[label][fig].reindex(index).to_numpy(dtype=float)
    zones = zones.reset_index()
    order = zones["zone_id"].eq(PARK_ID).astype(int)  # 全园 last
    zones = zones.assign(_o=order).sort_values("_o", kind="stable").drop(columns=["_o"])
    zones = zones.drop(columns=["zone_id"]).rename(columns={"zone_name": "片区"})
    return totals, zones.reset_index(drop=True)
