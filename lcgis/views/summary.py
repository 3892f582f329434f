"""Headline figures of the park and its zones, for the overview screen and reports.

Everything here reads a finished :class:`~lcgis.engine.pipeline.Result` (or its tables) and adds no
rule of its own: park totals are sums over parcels, ratios are taken of the sums (never a
mean of ratios), and a figure that cannot be computed is NaN.

>>> class_counts(pd.Series(["A", "B", "B", "T", None]))
{'A': 1, 'B': 2, 'C': 0, 'D': 0, 'T': 1}
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lcgis.data.frame import flag
from lcgis.data.industry import division_labels
from lcgis.data.schema import M2_PER_MU
from lcgis.engine.zonefit import main_parcels

# re-exported: screens read summary.CLASS_LABELS
from lcgis.vocab import CLASS_LABELS as CLASS_LABELS
from lcgis.vocab import (
    CLASSES,
    DISPOSITIONS,
    GROUP_LABELS,
    HEADLINE_LABELS,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lcgis.engine.pipeline import Result

#: A firm without a class (no data, no land, or a group too small: rules.md §8).
UNRATED = "未评"
#: Name of the parcels outside every zone, and of firms without land, in zone tables.
OUTSIDE_ZONES = "片区外"
NO_LAND = "无用地"
#: Headline keys that are shares of the park's land (0–1).
SHARE_KEYS: tuple[str, ...] = tuple(k for k in HEADLINE_LABELS if k.endswith("_share"))


def _sum(parcels: pd.DataFrame, column: str) -> float:
    """Sum of a column; NaN when the column is absent or holds no value at all."""
    if column not in parcels:
        return math.nan
    s = pd.to_numeric(parcels[column], errors="coerce").astype(float)
    return float(s.sum()) if s.notna().any() else math.nan


def _ratio(num: float, den: float) -> float:
    return num / den if den and not math.isnan(den) and not math.isnan(num) else math.nan


def headline(parcels: pd.DataFrame, enterprises: pd.DataFrame) -> dict[str, float]:
    """The park's headline figures from the parcel and enterprise tables of a result.

    Areas in 亩 (floor area in m²), money in 万元, per-亩 figures = total ÷ all land (the
    convention of ``pipeline.zone_summary``), FAR = floor area ÷ land area.  Enterprises are
    the rows of the evaluated year.

    >>> p = pd.DataFrame({"land_area_mu": [10.0, 5.0], "land_area_m2": [10000 / 1.5, 5000 / 1.5],
    ...                   "floor_area_m2": [10000.0, 0.0], "output_wan": [300.0, None],
    ...                   "tax_wan": [30.0, None], "idle": [False, True],
    ...                   "undeveloped": [False, True], "inefficient": [False, True],
    ...                   "vacate_candidate": [False, True], "densify_candidate": [True, False],
    ...                   "extra_floor_area_m2": [2500.0, None]})
    >>> e = pd.DataFrame({"credit_code": ["a", "b"], "above_scale": [True, False]})
    >>> h = headline(p, e)
    >>> h["land_area_mu"], h["tax_per_mu"], h["output_per_mu"], round(h["far"], 4)
    (15.0, 2.0, 20.0, 1.0)
    >>> h["idle_mu"], h["n_enterprises"], h["n_above_scale"], h["extra_floor_area_m2"]
    (5.0, 2.0, 1.0, 2500.0)
    """
    mu = (
        pd.to_numeric(parcels["land_area_mu"], errors="coerce").astype(float)
        if "land_area_mu" in parcels
        else pd.Series(np.nan, index=parcels.index)
    )
    land_mu = _sum(parcels, "land_area_mu")
    land_m2 = _sum(parcels, "land_area_m2")
    if math.isnan(land_m2) and not math.isnan(land_mu):
        land_m2 = land_mu * M2_PER_MU
    output, tax = _sum(parcels, "output_wan"), _sum(parcels, "tax_wan")
    densify = flag(parcels, "densify_candidate")
    extra = (
        pd.to_numeric(parcels["extra_floor_area_m2"], errors="coerce").where(densify).sum()
        if "extra_floor_area_m2" in parcels
        else math.nan
    )
    above = (
        enterprises["above_scale"].astype("boolean").fillna(False).astype(bool)
        if "above_scale" in enterprises
        else pd.Series(False, index=enterprises.index)
    )
    out: dict[str, float] = {
        "land_area_mu": land_mu,
        "n_parcels": float(len(parcels)),
        "n_enterprises": float(len(enterprises)),
        "n_above_scale": float(above.sum()),
        "output_wan": output,
        "tax_wan": tax,
        "output_per_mu": _ratio(output, land_mu),
        "tax_per_mu": _ratio(tax, land_mu),
        "far": _ratio(_sum(parcels, "floor_area_m2"), land_m2),
    }
    for key, column in (
        ("idle_mu", "idle"),
        ("undeveloped_mu", "undeveloped"),
        ("inefficient_mu", "inefficient"),
        ("in_construction_mu", "in_construction"),
    ):
        out[key] = float(mu.where(flag(parcels, column), 0.0).sum())
    for kind in DISPOSITIONS:
        listed = _disposed(parcels, kind)
        out[f"{kind}_mu"] = float(mu.where(listed, 0.0).sum())
        out[f"n_{kind}"] = float(listed.sum())
    out["extra_floor_area_m2"] = float(extra)
    for key in ("inefficient", "in_construction", *DISPOSITIONS):
        out[f"{key}_share"] = _ratio(out[f"{key}_mu"], land_mu)
    out["est_extra_tax_wan"] = _sum(parcels[densify], "est_extra_tax_wan")
    freed = _disposed(parcels, "reclaim", "buyback", "vacate")
    out["potential_tax_wan"] = _sum(parcels[freed], "potential_tax_wan")
    return out


def _disposed(parcels: pd.DataFrame, *kinds: str) -> pd.Series:
    """Parcels whose disposition is one of ``kinds`` (the ``*_candidate`` flag without one)."""
    if "disposition" in parcels:
        return parcels["disposition"].isin(kinds).fillna(False).astype(bool)
    hit = pd.Series(False, index=parcels.index)
    for kind in kinds:
        hit |= flag(parcels, f"{kind}_candidate")
    return hit


def park_summary(result: Result) -> dict[str, float]:
    """:func:`headline` of a whole result."""
    return headline(result.parcels, result.enterprises)


def class_counts(classes: pd.Series) -> dict[str, int]:
    """How many of each class A/B/C/D/T (missing values are not counted)."""
    counts = pd.Series(classes, dtype="string").value_counts()
    return {c: int(counts.get(c, 0)) for c in CLASSES}


def class_table(classes: pd.Series, by: pd.Series, order: list[str] | None = None) -> pd.DataFrame:
    """Firms per class A/B/C/D/T and 未评 (no class) for each value of ``by`` (aligned).

    Rows in ``order`` (default: sorted values of ``by``), every one present even when empty.

    >>> t = class_table(pd.Series(["A", None, "A", "T"]), pd.Series(["北", "北", "南", "南"]))
    >>> t.index.tolist(), t.columns.tolist(), t.to_numpy().tolist()
    (['北', '南'], ['A', 'B', 'C', 'D', 'T', '未评'], [[1, 0, 0, 0, 0, 1], [1, 0, 0, 0, 1, 0]])
    """
    letters = pd.Series(classes, dtype="string").fillna(UNRATED).to_numpy()
    keys = pd.Series(by).astype(object).to_numpy()
    table = pd.crosstab(keys, letters).reindex(columns=[*CLASSES, UNRATED], fill_value=0)
    rows = order if order is not None else sorted(table.index.astype(str))
    table = table.reindex(rows, fill_value=0).astype(int)
    table.index.name, table.columns.name = None, None
    return table


def group_class_table(enterprises: pd.DataFrame) -> pd.DataFrame:
    """Firms per class in each evaluation group (规上, 规下, 小微), rows named in Chinese."""
    if "eval_group" not in enterprises:
        return class_table(pd.Series(dtype="string"), pd.Series(dtype=object), [])
    groups = enterprises["eval_group"].map(GROUP_LABELS).fillna("")
    order = [*GROUP_LABELS.values()] + (["未分组"] if groups.eq("").any() else [])
    return class_table(enterprises["class"], groups.replace("", "未分组"), order)


def main_names(parcels: pd.DataFrame, enterprises: pd.DataFrame) -> pd.Series:
    """Name of each parcel's main enterprise ('' when none), aligned on ``parcels``."""
    if "main_credit_code" not in parcels or "name" not in enterprises:
        return pd.Series("", index=parcels.index, dtype=object)
    names = enterprises.drop_duplicates("credit_code").set_index("credit_code")["name"]
    codes = parcels["main_credit_code"].astype(object)
    out = codes.map(names.astype(object))
    return out.where(out.notna(), "").astype(object)


def enterprise_main_zone(result: Result) -> pd.Series:
    """Zone name of each enterprise's main parcel (the one where it has the most land),
    aligned on ``result.enterprises``: 片区外 for a parcel outside every zone, 无用地 for a
    firm without land.  Each firm counts in exactly one zone, so zone counts add up.

    Ties of land go to the smaller parcel id.
    """
    e, alloc, p = result.enterprises, result.allocation, result.parcels
    if "credit_code" not in e or alloc.empty:
        return pd.Series(NO_LAND, index=e.index, dtype=object)
    main = main_parcels(alloc)
    zone = p["zone_name"].astype(object) if "zone_name" in p else pd.Series(None, index=p.index)
    zone_of = pd.Series(zone.to_numpy(), index=p["parcel_id"].astype(str).to_numpy())
    zone_of = zone_of.where(zone_of.notna() & (zone_of.astype(str) != ""), OUTSIDE_ZONES)
    names = e["credit_code"].map(main).map(zone_of)
    return names.where(names.notna(), NO_LAND).astype(object)


def previous_as_of(as_of: dt.date, year: int, previous: int) -> dt.date:
    """The evaluation date of an earlier year that compares like with like: the same distance
    from its own 31 December as ``as_of`` from ``year``'s (year end → year end).

    >>> previous_as_of(dt.date(2025, 12, 31), 2025, 2024)
    datetime.date(2024, 12, 31)
    >>> previous_as_of(dt.date(2026, 6, 30), 2025, 2023)
    datetime.date(2024, 6, 30)
    >>> previous_as_of(dt.date(2025, 2, 28), 2024, 2023)
    datetime.date(2024, 2, 28)
    """
    shift = year - previous
    try:
        return as_of.replace(year=as_of.year - shift)
    except ValueError:  # 29 February in a common year: the last day of the month
        return dt.date(as_of.year - shift, 2, 28)


def year_change(now: Mapping[str, float], before: Mapping[str, float]) -> dict[str, float]:
    """Change of each headline figure from the year before (NaN where either is missing).

    >>> year_change({"tax_wan": 120.0, "far": 1.0}, {"tax_wan": 100.0})
    {'tax_wan': 20.0, 'far': nan}
    """
    return {
        k: (float(v) - float(before[k]))
        if k in before and not math.isnan(float(v)) and not math.isnan(float(before[k]))
        else math.nan
        for k, v in now.items()
    }


def enterprise_zones(enterprises: pd.DataFrame, parcels: pd.DataFrame) -> pd.Series:
    """Zone name(s) of each enterprise from the parcels it uses ('、'-joined, sorted).

    >>> e = pd.DataFrame({"parcel_ids": ["P1;P2", "P2", None]})
    >>> p = pd.DataFrame({"parcel_id": ["P1", "P2"], "zone_name": ["北片区", "南片区"]})
    >>> enterprise_zones(e, p).tolist()
    ['北片区、南片区', '南片区', '']
    """
    if "parcel_ids" not in enterprises or "zone_name" not in parcels:
        return pd.Series("", index=enterprises.index, dtype=object)
    zone_of = pd.Series(
        parcels["zone_name"].astype(object).to_numpy(), index=parcels["parcel_id"].astype(str)
    )
    ids = enterprises["parcel_ids"].astype(object).where(enterprises["parcel_ids"].notna(), "")
    exploded = ids.astype(str).str.split(";").explode()
    zones = exploded.map(zone_of).dropna()
    zones = zones[zones.astype(str) != ""]
    joined = zones.groupby(level=0).agg(lambda s: "、".join(sorted(set(map(str, s)))))
    return joined.reindex(enterprises.index).fillna("").astype(object)


def industry_division(codes: pd.Series) -> pd.Series:
    """Two-digit division label ('39 计算机、通信和其他电子设备制造业'; '' when unknown).

    >>> industry_division(pd.Series(["3911", "18", None])).tolist()
    ['39 计算机、通信和其他电子设备制造业', '18 纺织服装、服饰业', '']
    """
    return pd.Series(division_labels(codes), index=codes.index, dtype=object)


def distribution(values: pd.Series, bins: int = 12) -> pd.DataFrame:
    """Histogram of a figure for a chart: bin edges (left, right) and counts.

    >>> distribution(pd.Series([0.0, 1.0, 2.0, 3.0, np.nan]), bins=3)["count"].tolist()
    [1, 1, 2]
    """
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if v.size == 0:
        return pd.DataFrame({"left": [], "right": [], "count": []})
    counts, edges = np.histogram(v, bins=bins)
    return pd.DataFrame({"left": edges[:-1], "right": edges[1:], "count": counts.astype(int)})
