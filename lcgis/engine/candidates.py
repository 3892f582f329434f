"""Dispositions: 无偿收回, 收储改造, 腾笼换鸟 and 零地增资 (rules.md §5–6 and §8).

Every parcel gets at most one disposition, in the precedence of rules.md §8:
``reclaim`` (无偿收回, idle ≥ ``idle.reclaim_years``) > ``buyback`` (收储改造, 13号) >
``vacate`` (腾笼换鸟) > ``densify`` (零地增资).  Each list is a shortlist: ranked by a priority
and cut into tiers (近期 / 中期 / 储备).

The functions take the parcel table after the land stage, i.e. carrying the columns of
:mod:`lcgis.engine.land` (``undeveloped``, ``idle``, ``idle_action``, ``in_construction``,
``inefficient``, ``inefficient_reasons``) besides the metrics, and return a DataFrame aligned
on its index without mutating it.  A value that cannot be computed is NaN, never 0 or
infinity.  Estimated gains are upper bounds at today's intensity (潜力上限).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lcgis.data.frame import column, days, flag, is_one_of, numbers, ratio
from lcgis.engine.land import (
    granted,
    join_codes,
    undeveloped,
    years_between,
    zone_benchmark,
)
from lcgis.engine.zonefit import ranks
from lcgis.vocab import DISPOSITIONS, INEFFICIENT_REASONS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from lcgis.rules import Rules

#: Precision of extra floor areas (m²): float noise never decides the
#: ``densify.min_extra_floor_area_m2`` threshold.
_AREA_DECIMALS = 6


def _has_reasons(reasons: pd.Series, codes: Iterable[str]) -> dict[str, np.ndarray]:
    """Per code, True where the ``;``-joined ``reasons`` contain it.

    >>> r = pd.Series(["far_below_min;idle", None, "idle", ""])
    >>> {k: v.tolist() for k, v in _has_reasons(r, ["idle", "far_below_min"]).items()}
    {'idle': [True, False, True, False], 'far_below_min': [True, False, False, False]}
    """
    # Few distinct combinations, factorized once: each is tested once per code; a missing
    # text (-1) has no reason.
    key, distinct = pd.factorize(reasons.astype("string"))
    padded = ";" + pd.Series(distinct, dtype="string").fillna("") + ";"
    out = {}
    for code in codes:
        hit = np.asarray(padded.str.contains(f";{code};", regex=False).fillna(False), dtype=bool)
        out[code] = np.append(hit, False)[key]
    return out


def _true(parcels: pd.DataFrame, name: str) -> np.ndarray:
    """:func:`~lcgis.data.frame.flag` as a plain array."""
    return np.asarray(flag(parcels, name), dtype=bool)


def _tax_3y(parcels: pd.DataFrame) -> np.ndarray:
    """Three-year tax per 亩 (``tax_per_mu_3y``), else the year's ``tax_per_mu``."""
    return numbers(parcels, "tax_per_mu_3y" if "tax_per_mu_3y" in parcels else "tax_per_mu")


def _eligible_land(parcels: pd.DataFrame, rules: Rules) -> np.ndarray:
    """Parcels that can get a disposition: a listed land use (missing counts as industrial),
    not in construction."""
    land_use = column(parcels, "land_use")
    use_ok = is_one_of(land_use, *rules.disposition.land_uses) | np.asarray(land_use.isna())
    if "industrial" not in rules.disposition.land_uses:
        use_ok &= ~np.asarray(land_use.isna())
    return use_ok & ~_true(parcels, "in_construction")


def _undeveloped(parcels: pd.DataFrame) -> np.ndarray:
    if "undeveloped" in parcels.columns:
        return _true(parcels, "undeveloped")
    return np.asarray(undeveloped(parcels), dtype=bool)


def _inefficient(parcels: pd.DataFrame) -> np.ndarray:
    if "inefficient" in parcels.columns:
        return _true(parcels, "inefficient")
    reasons = column(parcels, "inefficient_reasons").astype("string").fillna("")
    return np.asarray(reasons.ne(""), dtype=bool)


# --------------------------------------------------------------------------- the four tests


def reclaim(parcels: pd.DataFrame, rules: Rules) -> np.ndarray:
    """无偿收回: idle with ``idle_action == "reclaim"`` (idle ≥ ``idle.reclaim_years``, 53号令
    第十四条).

    A 政府原因 review decision (``idle_action == "government"``) never reaches this list.
    """
    del rules  # the years are decided by the idle test
    return is_one_of(column(parcels, "idle_action"), "reclaim") & _true(parcels, "idle")


def buyback(parcels: pd.DataFrame, rules: Rules) -> dict[str, np.ndarray]:
    """收储改造 (泉政办规〔2025〕13号): the reason flags ``tax_per_mu_low`` and ``small_parcel``.

    * ``tax_per_mu_low``: ``tax_per_mu_3y < buyback.tax_per_mu_below`` (万元/亩);
    * ``small_parcel``: ``land_area_mu < buyback.small_parcel_mu_below`` (亩), an ordinary
      project on built land;

    only on completed land (status ``completed``, or no status on built land: 13号 is about
    存量工业用地 in use; land not yet built, idle or overdue is handled by the idle and
    completion tests), inside the 工业产业区块线 (``in_industrial_block``, missing counts as
    inside) when ``require_industrial_block``, and never in construction or for land uses
    outside ``disposition.land_uses``.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"tax_per_mu_3y": [4.0, 12.0, 12.0, 3.0],
    ...                   "land_area_mu": [20.0, 4.0, 20.0, 20.0],
    ...                   "floor_area_m2": [9000.0, 2000.0, 9000.0, 9000.0],
    ...                   "in_industrial_block": [True, None, True, False]})
    >>> {k: v.tolist() for k, v in buyback(p, load_rules()).items()}
    {'tax_per_mu_low': [True, False, False, False], 'small_parcel': [False, True, False, False]}
    """
    r = rules.buyback
    n = len(parcels)
    status = column(parcels, "construction_status")
    built = ~_undeveloped(parcels)
    completed = is_one_of(status, "completed") | (np.asarray(status.isna()) & built)
    ok = _eligible_land(parcels, rules) & completed & ~_true(parcels, "idle")
    if r.require_industrial_block:
        ok &= ~np.asarray(
            column(parcels, "in_industrial_block").eq(False).fillna(False), dtype=bool
        )
    off = np.zeros(n, dtype=bool)
    tax_low = _tax_3y(parcels) < r.tax_per_mu_below if r.tax_per_mu_below is not None else off
    small = (
        (numbers(parcels, "land_area_mu") < r.small_parcel_mu_below)
        if r.small_parcel_mu_below is not None
        else off
    )
    return {"tax_per_mu_low": tax_low & ok, "small_parcel": small & ok}


def clock_passed(parcels: pd.DataFrame, as_of: date, rules: Rules) -> np.ndarray:
    """The development clock has run out: ``as_of`` ≥ agreed start date (else grant date)
    + ``idle.not_started_years``."""
    clock = days(parcels, "agreed_start_date")
    clock = np.where(np.isnat(clock), days(parcels, "grant_date"), clock)
    years = years_between(clock, np.datetime64(as_of, "D"))
    return np.asarray(years >= rules.idle.not_started_years, dtype=bool)


def vacate(parcels: pd.DataFrame, rules: Rules, as_of: date) -> dict[str, np.ndarray]:
    """腾笼换鸟 triggers (rules.md §8): ``class_d``, ``idle``, ``undeveloped``, each requiring the
    parcel to be inefficient (and not in construction).

    * ``class_d``: ``parcel_class == "D"``;
    * ``idle``: the idle test is True (NA does not count);
    * ``undeveloped``: undeveloped on granted land past its clock (:func:`clock_passed`);
    * ``tax_per_mu_low``: only when ``vacate.tax_per_mu_below`` is set (off by default; that
      land is 收储改造 since revision 2).

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({
    ...     "inefficient": [True, True, False], "parcel_class": ["D", None, "D"],
    ...     "idle": pd.array([False, True, pd.NA], dtype="boolean"),
    ...     "floor_area_m2": [900.0, 0.0, 500.0], "footprint_area_m2": [600.0, 0.0, 500.0],
    ...     "grant_date": pd.to_datetime([None, "2019-05-01", None])})
    >>> {k: v.tolist() for k, v in vacate(p, load_rules(), date(2025, 12, 31)).items()}
    ... # doctest: +NORMALIZE_WHITESPACE
    {'class_d': [True, False, False], 'idle': [False, True, False],
     'undeveloped': [False, True, False], 'tax_per_mu_low': [False, False, False]}
    """
    r = rules.vacate
    n = len(parcels)
    off = np.zeros(n, dtype=bool)
    base = _inefficient(parcels) & _eligible_land(parcels, rules)
    class_d = is_one_of(column(parcels, "parcel_class"), "D") if r.class_d else off
    is_idle = _true(parcels, "idle") if r.idle else off
    empty = _undeveloped(parcels)
    if empty.any():  # else no grant or clock to read
        empty = empty & granted(parcels) & clock_passed(parcels, as_of, rules)
    tax_low = _tax_3y(parcels) < r.tax_per_mu_below if r.tax_per_mu_below is not None else off
    return {
        "class_d": class_d & base,
        "idle": is_idle & base,
        "undeveloped": (empty if r.undeveloped else off) & base,
        "tax_per_mu_low": tax_low & base,
    }


def target_far(parcels: pd.DataFrame, rules: Rules) -> pd.Series:
    """FAR a parcel may rise to (rules.md §6, 泉政办规〔2025〕13号).

    ``max_far`` when given (and positive); else by the three-year tax per 亩
    (``tax_per_mu_3y``, else ``tax_per_mu``): ``densify.target_far_high`` when tax ≥
    ``densify.tax_per_mu_high``, ``densify.target_far_mid`` when tax ≥
    ``densify.tax_per_mu_min``; else NaN.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"max_far": [np.nan, np.nan, 2.0, np.nan, np.nan],
    ...                   "tax_per_mu_3y": [10.0, 25.0, 25.0, 3.0, np.nan]})
    >>> target_far(p, load_rules()).tolist()
    [2.5, 3.0, 2.0, nan, nan]
    """
    r = rules.densify
    tax = _tax_3y(parcels)
    band = np.where(
        tax >= r.tax_per_mu_high,
        r.target_far_high,
        np.where(tax >= r.tax_per_mu_min, r.target_far_mid, np.nan),
    )
    max_far = numbers(parcels, "max_far")
    return pd.Series(
        np.where(max_far > 0, max_far, band), parcels.index, name="target_far", dtype="float64"
    )


def densify(parcels: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """零地增资 eligibility (rules.md §8) with the floor area a parcel could add.

    * ``target_far``: see :func:`target_far` (kept for every parcel where computable);
    * eligible when ``tax_per_mu_3y ≥ densify.tax_per_mu_min``,
      ``land_area_mu ≥ densify.min_land_mu``,
      ``parcel_class != "D"``, not idle, not undeveloped, not in construction,
      ``target_far > far`` and extra ≥ ``densify.min_extra_floor_area_m2``;
    * ``extra_floor_area_m2 = (target_far − far) × land_area_m2`` (rounded to 1e-6 m²);
    * ``est_extra_output_wan = extra_floor_area_m2 × output_wan ÷ floor_area_m2`` and
      ``est_extra_tax_wan`` likewise (潜力上限: at today's intensity per m²).

    ``densify_eligible`` says who passes; extra floor area and the estimates are given for
    eligible parcels only (NaN otherwise).

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"tax_per_mu_3y": [10.0, 25.0, 25.0, 10.0], "far": [1.0, 1.0, 1.0, 2.45],
    ...                   "max_far": [np.nan, np.nan, 2.0, np.nan],
    ...                   "parcel_class": ["B", "A", "D", "B"],
    ...                   "land_area_m2": [10000.0, 10000.0, 10000.0, 8000.0],
    ...                   "land_area_mu": [15.0, 15.0, 15.0, 12.0],
    ...                   "floor_area_m2": [10000.0, 10000.0, 10000.0, 19600.0],
    ...                   "output_wan": [3000.0, 5000.0, 5000.0, 2000.0],
    ...                   "tax_wan": [150.0, 375.0, 375.0, 120.0]})
    >>> out = densify(p, load_rules())
    >>> out[["densify_eligible", "target_far", "extra_floor_area_m2"]]
       densify_eligible  target_far  extra_floor_area_m2
    0              True         2.5              15000.0
    1              True         3.0              20000.0
    2             False         2.0                  NaN
    3             False         2.5                  NaN
    >>> out["est_extra_output_wan"].tolist(), out["est_extra_tax_wan"].tolist()
    ([4500.0, 10000.0, nan, nan], [225.0, 750.0, nan, nan])
    """
    r = rules.densify
    tax = _tax_3y(parcels)
    far = numbers(parcels, "far")
    target = np.asarray(target_far(parcels, rules), dtype="float64")
    extra_all = np.round((target - far) * numbers(parcels, "land_area_m2"), _AREA_DECIMALS)
    not_d = ~is_one_of(column(parcels, "parcel_class"), "D")
    eligible = (
        (tax >= r.tax_per_mu_min)
        & (numbers(parcels, "land_area_mu") >= r.min_land_mu)
        & not_d
        & ~_true(parcels, "idle")
        & ~_undeveloped(parcels)
        & _eligible_land(parcels, rules)
        & (target > far)
        & (extra_all >= r.min_extra_floor_area_m2)
    )
    extra = np.where(eligible, extra_all, np.nan)
    floor = numbers(parcels, "floor_area_m2")
    output_per_m2 = ratio(numbers(parcels, "output_wan"), floor)
    tax_per_m2 = ratio(numbers(parcels, "tax_wan"), floor)
    index = parcels.index
    return pd.DataFrame(
        {
            "densify_eligible": pd.Series(eligible, index, dtype="bool"),
            "target_far": pd.Series(target, index, dtype="float64"),
            "extra_floor_area_m2": pd.Series(extra, index, dtype="float64"),
            "est_extra_output_wan": pd.Series(extra * output_per_m2, index, dtype="float64"),
            "est_extra_tax_wan": pd.Series(extra * tax_per_m2, index, dtype="float64"),
        },
        index=index,
    )


# --------------------------------------------------------------------------- one disposition


def _validity_note(as_of: date, rules: Rules) -> bool:
    """The evaluation date lies outside 13号's validity window."""
    return not (rules.buyback.valid_from <= as_of <= rules.buyback.valid_to)


def dispositions(parcels: pd.DataFrame, rules: Rules, as_of: date) -> pd.DataFrame:
    """One disposition per parcel with the reasons that put it there (rules.md §8).

    Columns: ``disposition`` (``reclaim`` | ``buyback`` | ``vacate`` | ``densify`` | None),
    ``disposition_reasons`` (``;``-joined codes: first the ones that decided, then the
    inefficient reasons behind a 腾笼换鸟, plus ``outside_validity`` for a 收储改造 when
    ``as_of`` lies outside 13号's validity window), the four flags ``*_candidate`` (each
    equal to ``disposition == …``), ``vacate_reasons`` (the reasons of the vacate parcels),
    the densify columns of :func:`densify` (kept for densify parcels only) and
    ``potential_output_wan`` / ``potential_tax_wan`` = land × the zone's figure per 亩 (the
    park's for a parcel outside every zone, :func:`~lcgis.engine.land.zone_benchmark`) for
    the parcels a disposition frees (潜力上限).

    Hand-worked: a 3/3/6 万元/亩 tax history averages 4 → 收储改造; a 4 亩 parcel at 12 万元/亩 →
    收储改造 (不足5亩), not 零地增资; a D firm at 8 万元/亩 on inefficient land → 腾笼换鸟 for
    class_d only.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({
    ...     "parcel_id": ["a", "b", "c", "d"],
    ...     "tax_per_mu_3y": [4.0, 12.0, 8.0, 25.0], "land_area_mu": [20.0, 4.0, 30.0, 30.0],
    ...     "land_area_m2": [13333.3, 2666.7, 20000.0, 20000.0],
    ...     "far": [1.2, 1.2, 0.5, 1.0], "floor_area_m2": [16000.0, 3200.0, 10000.0, 20000.0],
    ...     "parcel_class": ["C", "B", "D", "A"],
    ...     "inefficient": [True, False, True, False],
    ...     "inefficient_reasons": ["tax_per_mu_low", "", "far_below_min", ""],
    ...     "idle": pd.array([False] * 4, dtype="boolean"),
    ...     "output_wan": [800.0, 960.0, 1500.0, 9000.0],
    ...     "tax_wan": [80.0, 48.0, 240.0, 750.0]})
    >>> out = dispositions(p, load_rules(), date(2026, 12, 31))
    >>> out["disposition"].tolist()
    ['buyback', 'buyback', 'vacate', 'densify']
    >>> out["disposition_reasons"].tolist()
    ['tax_per_mu_low', 'small_parcel', 'class_d;far_below_min', 'far_headroom']
    """
    index = parcels.index
    n = len(parcels)
    take_back = reclaim(parcels, rules)
    buy = buyback(parcels, rules)
    buy_any = buy["tax_per_mu_low"] | buy["small_parcel"]
    vac = vacate(parcels, rules, as_of)
    vac_any = vac["class_d"] | vac["idle"] | vac["undeveloped"] | vac["tax_per_mu_low"]
    dens = densify(parcels, rules)
    dens_ok = dens["densify_eligible"].to_numpy(dtype=bool)

    is_reclaim = take_back
    is_buyback = buy_any & ~is_reclaim
    is_vacate = vac_any & ~is_reclaim & ~is_buyback
    is_densify = dens_ok & ~is_reclaim & ~is_buyback & ~is_vacate
    choice = np.full(n, None, dtype=object)
    for name, mask in zip(
        DISPOSITIONS, (is_reclaim, is_buyback, is_vacate, is_densify), strict=True
    ):
        choice[mask] = name

    deciding: dict[str, np.ndarray] = {
        "idle_reclaim": is_reclaim,
        "tax_per_mu_low": (buy["tax_per_mu_low"] & is_buyback)
        | (vac["tax_per_mu_low"] & is_vacate),
        "small_parcel": buy["small_parcel"] & is_buyback,
        "class_d": vac["class_d"] & is_vacate,
        "idle": vac["idle"] & is_vacate,
        "undeveloped": vac["undeveloped"] & is_vacate,
        "far_headroom": is_densify,
    }
    has = _has_reasons(column(parcels, "inefficient_reasons"), INEFFICIENT_REASONS)
    supporting = {
        code: has[code] & is_vacate & ~deciding.get(code, np.zeros(n, bool))
        for code in INEFFICIENT_REASONS
    }
    supporting["outside_validity"] = is_buyback & _validity_note(as_of, rules)
    first, then = join_codes(deciding, index), join_codes(supporting, index)
    reasons = (first + ";" + then).str.strip(";")
    freed = is_reclaim | is_buyback | is_vacate
    land_mu = np.where(freed, numbers(parcels, "land_area_mu"), np.nan)
    out = pd.DataFrame(
        {
            "disposition": pd.Series(choice, index, dtype="object"),
            "disposition_reasons": reasons,
            "reclaim_candidate": pd.Series(is_reclaim, index, dtype="bool"),
            "buyback_candidate": pd.Series(is_buyback, index, dtype="bool"),
            "vacate_candidate": pd.Series(is_vacate, index, dtype="bool"),
            "vacate_reasons": reasons.where(is_vacate, ""),
            "densify_candidate": pd.Series(is_densify, index, dtype="bool"),
            "target_far": dens["target_far"],
            "potential_output_wan": pd.Series(
                land_mu * zone_benchmark(parcels, "output_wan"), index, dtype="float64"
            ),
            "potential_tax_wan": pd.Series(
                land_mu * zone_benchmark(parcels, "tax_wan"), index, dtype="float64"
            ),
        },
        index=index,
    )
    for col in ("extra_floor_area_m2", "est_extra_output_wan", "est_extra_tax_wan"):
        out[col] = dens[col].where(is_densify)
    return out


# --------------------------------------------------------------------------- shortlists


def priority(parcels: pd.DataFrame, rules: Rules) -> pd.Series:
    """Priority of a parcel on its disposition list (higher first; rules.md §8).

    On the disposal lists (无偿收回, 收储改造, 腾笼换鸟) the stake is
    ``land_area_mu × zone tax per 亩 − tax_wan`` (万元: what the land would yield at its zone's
    intensity beyond what it yields now; a missing tax counts as 0), times the zone's weight
    in ``priority.zone_weights``.  On the 零地增资 list it is the estimated extra tax
    ``est_extra_tax_wan`` (潜力上限) times ``priority.densify_zone_weights``.  Zones not named
    weigh 1.  NaN without a disposition.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"disposition": ["vacate", "vacate", None, "densify"],
    ...                   "zone_id": ["north", "central", "north", "central"],
    ...                   "land_area_mu": [10.0, 10.0, 10.0, 10.0],
    ...                   "zone_tax_per_mu": [20.0, 20.0, 20.0, 20.0],
    ...                   "tax_wan": [50.0, np.nan, 0.0, 300.0],
    ...                   "est_extra_tax_wan": [np.nan, np.nan, np.nan, 100.0]})
    >>> priority(p, load_rules()).tolist()
    [225.0, 200.0, nan, 150.0]
    """
    bench = zone_benchmark(parcels, "tax_wan")
    tax = np.nan_to_num(numbers(parcels, "tax_wan"), nan=0.0)
    shortfall = numbers(parcels, "land_area_mu") * bench - tax
    # Few zones: each zone's weight is looked up once; no zone (-1) weighs 1.
    zone, zones = pd.factorize(column(parcels, "zone_id"))

    def weight(table: Mapping[str, float]) -> np.ndarray:
        per_zone = pd.Series(zones, dtype=object).map(table).astype("float64").fillna(1.0)
        return np.append(per_zone.to_numpy(dtype="float64"), 1.0)[zone]

    kind = column(parcels, "disposition")
    is_densify = np.asarray(kind.eq("densify").fillna(False), dtype=bool)
    value = np.where(
        is_densify,
        numbers(parcels, "est_extra_tax_wan") * weight(rules.priority.densify_zone_weights),
        shortfall * weight(rules.priority.zone_weights),
    )
    listed = np.asarray(kind.notna(), dtype=bool)
    return pd.Series(
        np.where(listed, value, np.nan), parcels.index, name="priority", dtype="float64"
    )


def tiers(parcels: pd.DataFrame, rules: Rules) -> pd.Series:
    """Tier of each listed parcel within its disposition list: ``near`` / ``mid`` / ``reserve``.

    Parcels of one list are ordered by ``priority`` (higher first; ties by ``parcel_id``);
    rank r of n is ``near`` when r ≤ ⌈tier_shares[0] × n⌉ (so a list always has a 近期
    parcel), ``mid`` when r ≤ ⌈tier_shares[1] × n⌉, else ``reserve``.  The lists named in
    ``priority.untiered`` (无偿收回: a legal duty, 53号令 第十四条) are 近期 throughout.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"parcel_id": list("abcdef"), "disposition": ["vacate"] * 5 + [None],
    ...                   "priority": [5.0, 4.0, 3.0, 2.0, 1.0, np.nan]})
    >>> tiers(p, load_rules()).tolist()
    ['near', 'mid', 'mid', 'reserve', 'reserve', None]
    """
    near_share, mid_share = rules.priority.tier_shares
    untiered = set(rules.priority.untiered)
    disposition = column(parcels, "disposition").to_numpy(dtype=object)
    rows = np.flatnonzero(pd.notna(disposition))
    out = np.full(len(disposition), None, dtype=object)
    if not len(rows):  # nothing listed (Arrow ranks no column of nulls)
        return pd.Series(out, index=parcels.index, dtype=object, name="tier")
    lists = pd.Series(disposition[rows], dtype=object)
    priority = numbers(parcels, "priority")[rows]
    unknown = np.isnan(priority)
    which = ranks(lists)
    # Sorted as sort_values(["d", "p", "id"], ascending=[True, False, True]) sorts (missing
    # priorities last, equal keys in row order), on integer ranks instead of Python strings.
    order = np.lexsort(
        (
            ranks(column(parcels, "parcel_id").astype(str).iloc[rows]),
            np.where(unknown, 0.0, -priority),
            unknown,
            which,
        )
    )
    # Each list is a run of the sorted rows: rank within the run from 1, n its length.
    first = which[order] != np.r_[-1, which[order][:-1]]
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    rank = np.arange(len(order)) - starts[group] + 1
    n = np.diff(np.r_[starts, len(order)])[group]
    near = np.ceil(near_share * n - 1e-9)
    mid = np.ceil(mid_share * n - 1e-9)
    tier = np.where(rank <= near, "near", np.where(rank <= mid, "mid", "reserve"))
    tier = np.where(lists.iloc[order].isin(untiered), "near", tier)
    out[rows[order]] = tier
    return pd.Series(out, index=parcels.index, dtype=object, name="tier")
