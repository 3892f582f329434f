"""The plan's assessment: the figures its targets count, per year and scope, and each
target's distance (终期评估 of a finished period, the gap to a new one's targets).

Figures (:func:`plan_figures`) come from the enterprise years: one row per firm and year with
credit_code, year, above_scale, output_wan, revenue_wan, value_added_wan, high_tech,
specialised_sme, listed, provincial_leading, chain and industry_code (absent columns read as
missing or false).  A scope is 园区 (every firm of the data) or a zone id (the firms whose
main parcel, the one where they have the most land, lies in that zone; the same zone for
every year).  Money in 亿元 (= 万元 ÷ 10,000).

Thresholds: "超" is strictly more than, so a firm of exactly 1 亿元 output is not 产值超亿元
(output_wan > 10,000) and one of exactly 10 亿元 revenue is not 营收超10亿元
(revenue_wan > 100,000).  高新技术产业产值 is approximated by the output of the 规上 firms that
are 高新技术企业 (the statistics count high-tech industries, the data has the firm's title).
A chain's output counts all its firms (规上 and 规下).

>>> from lcgis.rules import load_rules
>>> e = pd.DataFrame({"credit_code": ["a", "b"], "year": [2025, 2025],
...                   "above_scale": [True, False], "output_wan": [10000.0, 30000.0],
...                   "industry_code": ["1711", "3911"]})
>>> f = plan_figures(e, load_rules().chains)
>>> f[["scope", "year", "above_scale_output_yi", "firms_output_over_1yi",
...    "chain_electronics_yi"]].values.tolist()
[['园区', 2025, 1.0, 1.0, 3.0]]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lcgis.data.frame import boolean, column, flag, numbers
from lcgis.engine.metrics import positions
from lcgis.engine.zonefit import main_parcels
from lcgis.plans import DISTRICT, PARK, Plan, Target, check_scopes
from lcgis.vocab import PLAN_FIGURES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from lcgis.rules import ChainRule

#: 万元 per 亿元.
WAN_PER_YI = 10_000.0
#: 产值超亿元: output strictly above this (万元).
OUTPUT_OVER_1YI_WAN = 10_000.0
#: 超10亿元: output or revenue strictly above this (万元).
OVER_10YI_WAN = 100_000.0
#: Figures that are money sums (亿元): missing when no firm of the scope has the quantity.
_AMOUNTS = {
    "above_scale_output_yi": "output_wan",
    "high_tech_output_yi": "output_wan",
    "industry_value_added_yi": "value_added_wan",
}
#: The honours counted (firms with the flag true).
_HONOURS = ("specialised_sme", "provincial_leading", "listed", "high_tech")
#: Figures and the columns they are counted from: a figure is missing (not 0) when the data
#: has no value in any of its columns (a field the files do not carry).
_NEEDS: dict[str, tuple[str, ...]] = {
    "above_scale_output_yi": ("output_wan",),
    "high_tech_output_yi": ("high_tech",),
    "high_tech_output_share": ("high_tech",),
    "industry_value_added_yi": ("value_added_wan",),
    "firms_output_over_1yi": ("output_wan",),
    "firms_output_over_10yi": ("output_wan",),
    "firms_revenue_over_10yi": ("revenue_wan",),
    **{h: (h,) for h in _HONOURS},
    "above_scale_firms": ("above_scale",),
    "below_scale_firms": ("above_scale",),
}


def chain_figure(key: str) -> str:
    """The figure of a chain's output.

    >>> chain_figure("textile")
    'chain_textile_yi'
    """
    return f"chain_{key}_yi"


def firm_chains(frame: pd.DataFrame, chains: Mapping[str, ChainRule]) -> pd.Series:
    """Each row's chain key: its ``chain`` column when given (a chain key or a chain's
    name; any other text kept as given, so it counts in no chain), else the chain whose codes
    hold the first two digits of ``industry_code``; missing when neither.

    >>> from lcgis.rules import load_rules
    >>> t = pd.DataFrame({"industry_code": ["1711", "3911", "2611", "1810"],
    ...                   "chain": [None, "纺织鞋服", None, "other"]})
    >>> firm_chains(t, load_rules().chains).tolist()
    ['textile', 'textile', None, 'other']
    """
    names = {c.name: k for k, c in chains.items()} | {k: k for k in chains}
    of_code = {code: k for k, c in chains.items() for code in c.codes}

    def chain_of_text(v: object) -> object:
        text = v.strip() if isinstance(v, str) else ""
        return names.get(text, text) if text else None

    given = _per_distinct(column(frame, "chain", None), chain_of_text)
    derived = _per_distinct(
        column(frame, "industry_code", None), lambda v: of_code.get(_two_digits(v))
    )
    chosen = [g if g is not None else d for g, d in zip(given, derived, strict=True)]
    return pd.Series(chosen, index=frame.index, dtype=object)


def _per_distinct(values: pd.Series, func: Callable[[object], object]) -> np.ndarray:
    """``func`` of each value, called once per distinct value (missing values as None)."""
    key, distinct = pd.factorize(pd.Series(values.to_numpy(dtype=object), dtype=object))
    return np.asarray([*(func(v) for v in distinct), func(None)], dtype=object)[key]


def _two_digits(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = str(value).strip()
    return text.removesuffix(".0")[:2] if isinstance(value, float) else text[:2]


def firm_zones(
    allocation: pd.DataFrame,
    parcels: pd.DataFrame,
    *,
    main: pd.Series | None = None,
    main_at: np.ndarray | None = None,
) -> pd.Series:
    """Zone id of each firm's main parcel (the most land; ties to the smaller parcel id),
    indexed by credit code; firms on parcels outside every zone are left out.

    >>> a = pd.DataFrame({"credit_code": ["x", "x", "y"], "parcel_id": ["P1", "P2", "P2"],
    ...                   "alloc_land_m2": [100.0, 300.0, 50.0]})
    >>> p = pd.DataFrame({"parcel_id": ["P1", "P2"], "zone_id": ["north", "south"]})
    >>> firm_zones(a, p).to_dict()
    {'x': 'south', 'y': 'south'}

    ``main``: :func:`lcgis.engine.zonefit.main_parcels` of ``allocation`` when the caller
    has it already, and ``main_at`` the row in ``parcels`` of each of those parcels.
    """
    if allocation.empty or "zone_id" not in parcels or "credit_code" not in allocation:
        return pd.Series(dtype=object)
    main = main_parcels(allocation) if main is None else main
    # The first parcel of each id, found by position (one Arrow hash of the ids) rather
    # than by a map over a text index; the zone's text and whether it names a zone are
    # answered once per distinct zone id, not once per firm.
    at = positions(main, parcels["parcel_id"].astype(str)) if main_at is None else main_at
    zone_ids = parcels["zone_id"]
    if not isinstance(zone_ids.dtype, pd.StringDtype):  # 7 and 7.0, 0.0 and -0.0: by text
        zone_ids = zone_ids.astype(str).where(zone_ids.notna())
    codes, distinct = pd.factorize(zone_ids)
    zone = pd.Series(np.asarray(distinct.astype(object)), dtype=object)
    text = zone.astype(str).astype(object)
    named = (zone.notna() & (text != "")).to_numpy()
    code = np.append(codes, -1)[at]  # -1: no such parcel, or a parcel without a zone id
    found = code >= 0
    found[found] = named[code[found]]
    return pd.Series(
        text.to_numpy()[code[found]], index=main.index[found], name=main.name, dtype=object
    )


def _contributions(frame: pd.DataFrame, chains: Mapping[str, ChainRule]) -> pd.DataFrame:
    """Per row, what it adds to each figure: amounts in 亿元 (NaN when unknown), counts 0/1."""
    above = flag(frame, "above_scale")
    size = boolean(frame, "above_scale")
    out = numbers(frame, "output_wan")
    revenue = numbers(frame, "revenue_wan")
    high_tech = flag(frame, "high_tech").to_numpy()
    chain = firm_chains(frame, chains)
    c = pd.DataFrame(index=frame.index)
    c["above_scale_output_yi"] = np.where(above, out, 0.0) / WAN_PER_YI
    c["high_tech_output_yi"] = np.where(above & high_tech, out, 0.0) / WAN_PER_YI
    c["industry_value_added_yi"] = numbers(frame, "value_added_wan") / WAN_PER_YI
    c["firms_output_over_1yi"] = (out > OUTPUT_OVER_1YI_WAN).astype(int)
    c["firms_output_over_10yi"] = (out > OVER_10YI_WAN).astype(int)
    c["firms_revenue_over_10yi"] = (revenue > OVER_10YI_WAN).astype(int)
    for honour in _HONOURS:
        c[honour] = flag(frame, honour).astype(int)
    c["firms"] = 1
    c["above_scale_firms"] = size.eq(True).fillna(False).astype(int)
    c["below_scale_firms"] = size.eq(False).fillna(False).astype(int)
    for key in chains:
        c[chain_figure(key)] = np.where(chain.eq(key).to_numpy(), out, 0.0) / WAN_PER_YI
    c["_has_output"] = (~np.isnan(np.where(above, out, np.nan))).astype(int)
    c["_has_any_output"] = (~np.isnan(out)).astype(int)
    c["_has_value_added"] = c["industry_value_added_yi"].notna().astype(int)
    return c


def _totals(c: pd.DataFrame, chains: Mapping[str, ChainRule]) -> pd.Series:
    """Sums of a group of contributions; an amount no row knows is missing."""
    t = c.sum(numeric_only=True)
    if not t["_has_output"]:
        t["above_scale_output_yi"] = t["high_tech_output_yi"] = np.nan
    if not t["_has_value_added"]:
        t["industry_value_added_yi"] = np.nan
    if not t["_has_any_output"]:
        for key in chains:
            t[chain_figure(key)] = np.nan
    share = t["high_tech_output_yi"] / t["above_scale_output_yi"]
    t["high_tech_output_share"] = share if t["above_scale_output_yi"] > 0 else np.nan
    return t


def figure_names(chains: Mapping[str, ChainRule]) -> list[str]:
    """The figures :func:`plan_figures` computes, in display order."""
    return [*PLAN_FIGURES, *(chain_figure(k) for k in chains)]


def plan_figures(
    enterprise_years: pd.DataFrame | None,
    chains: Mapping[str, ChainRule],
    zone_of: pd.Series | None = None,
) -> pd.DataFrame:
    """The figures per scope and year: columns scope (园区, then each zone id in the order
    first met in ``zone_of``), year, then :func:`figure_names`.  ``zone_of`` maps a credit
    code to its zone id (:func:`firm_zones`); firms not in it count in 园区 only.  A firm
    given twice in a year counts once (the last row)."""
    names = figure_names(chains)
    e = enterprise_years
    if e is None or e.empty or "year" not in e:
        return pd.DataFrame(columns=["scope", "year", *names])
    e = e[pd.to_numeric(e["year"], errors="coerce").notna()]
    e = e.drop_duplicates(["credit_code", "year"], keep="last").reset_index(drop=True)
    c = _contributions(e, chains)
    c["year"] = pd.to_numeric(e["year"]).astype(int).to_numpy()
    zone_of = zone_of.astype(object) if zone_of is not None else pd.Series(dtype=object)
    codes = column(e, "credit_code", None)
    # Each row's zone by one Arrow lookup of its credit code among zone_of's (a missing code
    # is in no zone), numbered as the zones are first met; not a lookup per zone.
    zone, zone_ids = pd.factorize(zone_of)
    at = np.where(codes.notna().to_numpy(), positions(codes, zone_of.index), -1)
    row_zone = np.append(zone, -1)[at]
    rows = []
    for number, scope in [(-1, PARK), *enumerate(zone_ids)]:
        part = c if scope == PARK else c[row_zone == number]
        for year, group in part.groupby("year", sort=True):
            t = _totals(group.drop(columns="year"), chains)
            rows.append({"scope": scope, "year": int(str(year)), **t[names].to_dict()})
    out = pd.DataFrame(rows, columns=["scope", "year", *names])
    needs = {**_NEEDS, **{chain_figure(k): ("industry_code", "chain") for k in chains}}
    for name, cols in needs.items():
        if not any(column(e, c).notna().any() for c in cols):
            out[name] = np.nan
    return out


def share_reached(value: float, target: float) -> float:
    """value ÷ target (NaN when either is unknown or the target is not positive).

    >>> share_reached(50.0, 200.0), share_reached(1.0, 0.0)
    (0.25, nan)
    """
    if not (target > 0) or math.isnan(value):
        return math.nan
    return value / target


def growth_needed(value: float, target: float, latest_year: int, end_year: int) -> float:
    """The yearly growth that takes ``value`` (of ``latest_year``) to ``target`` by
    ``end_year``: (target ÷ value)^(1 / years left) − 1; NaN when no year is left or the
    value is not positive.

    >>> round(growth_needed(100.0, 121.0, 2025, 2027), 10), growth_needed(100.0, 121.0, 2025, 2025)
    (0.1, nan)
    """
    years_left = end_year - latest_year
    if years_left <= 0 or not (value > 0) or math.isnan(target):
        return math.nan
    return float((target / value) ** (1.0 / years_left) - 1.0)


def status(target: Target, scope: str, value: float, computable: bool) -> str:
    """reached / not_reached for the target's own park or zone scope; context for a
    district target (whatever the park's figure); beside for a zone shown beside a park
    target; no_data when the figure is not computed or has no value.

    >>> t = Target("listed", 5.0, "家", "全区")
    >>> status(t, "园区", 9.0, True), status(Target("listed", 5.0, "家", "园区"), "园区", 9.0, True)
    ('context', 'reached')
    """
    if not computable or math.isnan(value):
        return "no_data"
    if target.scope == DISTRICT:
        return "context"
    if scope != target.scope:
        return "beside"
    return "reached" if value >= target.value else "not_reached"


def _row_scopes(target: Target, zone_ids: Sequence[str], computable: bool) -> list[str]:
    """The scopes a target is shown for: a district or park target for the park and each
    zone, a zone target for its zone; one row only for a figure not computed."""
    if target.scope not in (DISTRICT, PARK):
        return [target.scope]
    if not computable:
        return [PARK]
    return [PARK, *zone_ids]


def assess(
    plan: Plan, figures: pd.DataFrame, zone_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """The assessment table of ``plan`` on ``figures`` (:func:`plan_figures`): one row per
    target and scope shown (:func:`_row_scopes`) with plan, target, target_scope, scope,
    unit, wording, target_value, baseline_year and baseline_value (the plan's latest baseline
    of that figure and target scope), value_<year> for each year of the data from the plan's
    first year (:meth:`Plan.first_year`), latest_year and latest_value (the last year with a
    value), share_reached, growth_needed (to the plan's end year) and status (:func:`status`).

    ``zone_ids`` (default: the zones of ``figures``) orders the zones; a target whose zone is
    not among them is a :class:`RulesError` naming it.
    """
    zones = list(zone_ids if zone_ids is not None else dict.fromkeys(figures["scope"]).keys())
    zones = [z for z in zones if z != PARK]
    check_scopes([plan], zones)
    years = sorted(int(y) for y in set(figures["year"]) if int(y) >= plan.first_year())
    by = figures.set_index(["scope", "year"]) if len(figures) else None
    rows = [
        _row(plan, t, scope, by, years)
        for t in plan.targets
        for scope in _row_scopes(t, zones, by is not None and t.key in by.columns)
    ]
    cols = [*_HEAD, *(f"value_{y}" for y in years), *_TAIL]
    out = pd.DataFrame(rows, columns=cols)
    for col in ("baseline_year", "latest_year"):
        out[col] = out[col].astype("Int64")
    return out


_HEAD = ["plan", "target", "target_scope", "scope", "unit", "wording", "target_value"]
_HEAD += ["baseline_year", "baseline_value"]
_TAIL = ["latest_year", "latest_value", "share_reached", "growth_needed", "status"]


def _row(
    plan: Plan, t: Target, scope: str, by: pd.DataFrame | None, years: list[int]
) -> dict[str, object]:
    computable = by is not None and t.key in by.columns
    values = {y: _value(by, scope, y, t.key) if computable else math.nan for y in years}
    known = [y for y, v in values.items() if not math.isnan(v)]
    latest = known[-1] if known else None
    value = values[latest] if latest is not None else math.nan
    bases = plan.baselines_of(t.key, t.scope)
    row: dict[str, object] = {
        "plan": plan.key,
        "target": t.key,
        "target_scope": t.scope,
        "scope": scope,
        "unit": t.unit,
        "wording": t.wording,
        "target_value": t.value,
        "baseline_year": bases[-1].year if bases else None,
        "baseline_value": bases[-1].value if bases else math.nan,
    }
    row.update({f"value_{y}": v for y, v in values.items()})
    row["latest_year"] = latest
    row["latest_value"] = value
    row["share_reached"] = share_reached(value, t.value)
    row["status"] = status(t, scope, value, computable)
    own = row["status"] in ("reached", "not_reached")  # growth is needed of the target's scope
    row["growth_needed"] = (
        growth_needed(value, t.value, latest, plan.end) if own and latest is not None else math.nan
    )
    return row


def _value(by: pd.DataFrame | None, scope: str, year: int, key: str) -> float:
    if by is None or (scope, year) not in by.index:
        return math.nan
    v = pd.to_numeric(pd.Series([by.at[(scope, year), key]]), errors="coerce").iloc[0]
    return float(v) if pd.notna(v) else math.nan
