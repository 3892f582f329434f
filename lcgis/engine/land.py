"""Land tests of one parcel table: minimum FAR, undeveloped, idle (闲置) and inefficient (低效).

Implements rules.md §2–4.  Every function takes the parcel table the metrics stage built
(one row per parcel, geometry not needed), returns a Series or DataFrame aligned on its
index, never mutates it, and is vectorised.  A column the table lacks counts as all missing.

Conventions where the rules are silent (the committee's GIS officer would expect these):

* A test whose inputs are missing is **not set** (False) for the inefficient reasons; only
  ``idle`` is tri-state (NA = unknown), as the data contract asks.
* Years are counted in **calendar years** (:func:`years_between`): the anniversary of
  29 February in a common year is 28 February (民法典 第二百零三条: no matching day → the
  last day of the month), so 2024-02-29 → 2025-02-28 is exactly 1.0 year.
* A rule whose threshold is ``false`` in the rules file is never set.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from lcgis.data.frame import column, days, flag, is_one_of, numbers
from lcgis.data.industry import digits as industry_digits
from lcgis.data.industry import fits_zone
from lcgis.vocab import INEFFICIENT_REASONS, REASON_LABELS

if TYPE_CHECKING:
    from lcgis.rules import Rules

#: Reasons not tested on a parcel in construction (rules.md §8): all but the three that
#: still apply (size, industry, overdue completion).
NOT_TESTED_IN_CONSTRUCTION: tuple[str, ...] = tuple(
    c for c in INEFFICIENT_REASONS
    if c not in ("small_parcel", "industry_mismatch", "completion_overdue")
)  # fmt: skip

#: Land uses whose built parcels count as ``not_producing`` when nobody occupies them.
PRODUCTIVE_LAND_USES: tuple[str, ...] = ("industrial", "warehouse")

_STARTED = ("under_construction", "suspended", "completed")
_NOT_COMPLETED = ("not_started", "under_construction", "suspended")


# --------------------------------------------------------------------------- helpers


def _given(parcels: pd.DataFrame, name: str) -> np.ndarray:
    """True where text column ``name`` holds a value that is not blank (all False when the
    table lacks it, without reading a column of NaN as text)."""
    if name not in parcels.columns:
        return np.zeros(len(parcels), dtype=bool)
    text = parcels[name].astype("string").str.strip()
    return np.asarray(text.ne("").fillna(False), dtype=bool)


def _text(parcels: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name``; all missing text when the table lacks it (compared faster than a
    column of NaN)."""
    if name in parcels.columns:
        return parcels[name]
    return pd.Series(pd.NA, index=parcels.index, dtype="string")


def _days(parcels: pd.DataFrame, name: str) -> np.ndarray:
    """:func:`lcgis.data.frame.days` of column ``name``: all NaT when the table lacks it,
    without parsing a column of NaN as dates."""
    if name not in parcels.columns:
        return np.full(len(parcels), np.datetime64("NaT"), dtype="datetime64[D]")
    return days(parcels, name)


def _day(as_of: date) -> np.datetime64:
    return np.datetime64(pd.Timestamp(as_of).date(), "D")


def _add_years(start: np.ndarray, years: np.ndarray) -> np.ndarray:
    """``start`` + ``years`` calendar years; 29 Feb → 28 Feb in a common year (no NaT)."""
    month = start.astype("datetime64[M]")
    day0 = (start - month.astype("datetime64[D]")).astype(np.int64)
    target = month + (years.astype(np.int64) * 12).astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    month_days = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - first).astype(
        np.int64
    )
    return first + np.minimum(day0, month_days - 1).astype("timedelta64[D]")


def years_between(start: np.ndarray, end: np.ndarray | np.datetime64) -> np.ndarray:
    """Calendar years from ``start`` to ``end`` (datetime64 arrays; NaN where either is NaT).

    Whole years are counted by date arithmetic (the anniversary of ``start``, 29 Feb falling
    on 28 Feb in a common year), plus the elapsed share of the running year in days:
    ``n + (end − anniversary_n) / (anniversary_{n+1} − anniversary_n)``.

    >>> d = np.array(["2021-03-01", "2021-03-01", "2024-02-29", "2020-07-01"], "datetime64[D]")
    >>> e = np.array(["2022-03-01", "2022-02-28", "2025-02-28", "2022-01-01"], "datetime64[D]")
    >>> [round(float(x), 6) for x in years_between(d, e)]
    [1.0, 0.99726, 1.0, 1.50411]
    """
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.broadcast_to(np.asarray(end, dtype="datetime64[D]"), start.shape)
    valid = ~np.isnat(start) & ~np.isnat(end)
    # Counted only where both dates are given (many parcels lack some dates).
    s, e = start[valid], end[valid]
    whole = s.astype("datetime64[Y]").astype(np.int64)
    whole = e.astype("datetime64[Y]").astype(np.int64) - whole
    whole = np.where(_add_years(s, whole) > e, whole - 1, whole)
    lower = _add_years(s, whole)
    upper = _add_years(s, whole + 1)
    share = (e - lower).astype(np.int64) / (upper - lower).astype(np.int64)
    out = np.full(start.shape, np.nan)
    out[valid] = whole + share
    return out


def _by_prefix(codes: pd.Series, table: dict[str, float]) -> pd.Series:
    """The table value of the longest key that is a prefix of each code (NaN when none)."""
    # Each distinct code is looked up once; a missing code (-1) finds nothing.
    key, distinct = pd.factorize(codes)
    digits = industry_digits(pd.Series(distinct, dtype=codes.dtype)).astype(object)
    out = np.full(len(digits), np.nan)
    for width in sorted({len(k) for k in table}, reverse=True):
        long_enough = np.asarray(digits.str.len().ge(width).fillna(False), dtype=bool)
        hit = np.asarray(digits.str.slice(0, width).map(table), dtype="float64")
        out = np.where(np.isnan(out) & long_enough, hit, out)
    return pd.Series(np.append(out, np.nan)[key], index=codes.index, dtype="float64")


def join_codes(flags: dict[str, np.ndarray], index: pd.Index) -> pd.Series:
    """';'-joined codes of the set flags, in the order of ``flags`` ('' when none)."""
    codes = list(flags)
    if len(codes) > 62:
        joined = np.full(len(index), "", dtype=object)
        for code, is_set in flags.items():
            joined = joined + np.where(is_set, code + ";", "")
        return pd.Series(joined, index=index, dtype="str").str.rstrip(";")
    # A bit per flag; each distinct combination is joined once.
    mask = np.zeros(len(index), dtype=np.int64)
    for bit, is_set in enumerate(flags.values()):
        mask |= np.where(is_set, np.int64(1) << bit, np.int64(0))
    combos, inverse = np.unique(mask, return_inverse=True)
    texts = [
        "".join(c + ";" for bit, c in enumerate(codes) if int(m) >> bit & 1).rstrip(";")
        for m in combos
    ]
    return pd.Series(pd.array(texts, dtype="str").take(inverse.reshape(-1)), index=index)


def _series(values: Any, index: pd.Index, name: str | None = None, dtype: Any = None) -> pd.Series:
    return pd.Series(values, index=index, name=name, dtype=dtype)


# --------------------------------------------------------------------------- §2 land


def effective_min_far(parcels: pd.DataFrame, rules: Rules) -> pd.Series:
    """Minimum FAR a parcel must reach (rules.md §2).

    ``min_far`` of the parcel when given; else ``rules.land.min_far_by_industry`` for the
    longest matching prefix (3 or 2 digits) of ``main_industry_code`` (GB/T 4754-2017, e.g.
    291 橡胶, 292 塑料); else ``rules.land.default_min_far`` (``false`` → NaN, no test).

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"min_far": [1.2, np.nan, np.nan, np.nan, np.nan, np.nan],
    ...                   "main_industry_code": ["3911", "3811", "C1711", None, "2922", "29"]})
    >>> effective_min_far(p, load_rules()).tolist()
    [1.2, 0.7, 0.8, nan, 1.0, 0.8]
    """
    table = {str(k): float(v) for k, v in rules.land.min_far_by_industry.items()}
    by_industry = _by_prefix(column(parcels, "main_industry_code"), table)
    out = np.asarray(by_industry, dtype="float64")
    given = numbers(parcels, "min_far")
    out = np.where(np.isnan(given), out, given)
    default = np.nan if rules.land.default_min_far is None else rules.land.default_min_far
    out = np.where(np.isnan(out), default, out)
    return _series(out, parcels.index, "min_far", "float64")


def undeveloped(parcels: pd.DataFrame) -> pd.Series:
    """True when the parcel holds no building: floor area and footprint both 0 or unknown.

    ``undeveloped = (floor_area_m2 ∈ {0, NaN}) and (footprint_area_m2 ∈ {0, NaN})``.
    A missing figure counts as *no building known* (data-contract §5: "no floor area and no
    footprint"), so a parcel the data says nothing about is flagged; the metrics stage
    gives 0 where it measured and found nothing.

    >>> p = pd.DataFrame({"floor_area_m2": [0.0, np.nan, 1200.0, 0.0],
    ...                   "footprint_area_m2": [np.nan, np.nan, 0.0, 300.0]})
    >>> undeveloped(p).tolist()
    [True, True, False, False]
    """
    floor = np.nan_to_num(numbers(parcels, "floor_area_m2"), nan=0.0)
    footprint = np.nan_to_num(numbers(parcels, "footprint_area_m2"), nan=0.0)
    return _series((floor <= 0) & (footprint <= 0), parcels.index, "undeveloped", "bool")


# --------------------------------------------------------------------------- zone benchmarks


def zone_benchmark_per_mu(parcels: pd.DataFrame, value: str) -> pd.Series:
    """The zone's figure per 亩 for ``value`` (``"output_wan"`` or ``"tax_wan"``), per parcel.

    Land-weighted mean over the parcels of the zone that have a value:
    ``Σ value ÷ Σ land_area_mu`` over parcels whose ``value`` and its per-mu figure
    (``output_per_mu`` / ``tax_per_mu``, when the table has it) are given and whose land is
    positive.  This is the zone's own 亩均 figure, not dominated by tiny parcels.  Parcels
    without a zone get the park-wide figure; a zone with no value gives NaN.

    >>> p = pd.DataFrame({"zone_id": ["n", "n", "n", "s", None],
    ...                   "land_area_mu": [10.0, 30.0, 5.0, 20.0, 20.0],
    ...                   "output_wan": [1000.0, 1000.0, np.nan, 400.0, 0.0]})
    >>> zone_benchmark_per_mu(p, "output_wan").tolist()
    [50.0, 50.0, 50.0, 20.0, 30.0]
    """
    amount = numbers(parcels, value)
    land = numbers(parcels, "land_area_mu")
    has = ~np.isnan(amount) & (land > 0)
    per_mu_col = value.removesuffix("_wan") + "_per_mu"
    if per_mu_col in parcels.columns:
        has &= ~np.isnan(numbers(parcels, per_mu_col))
    amount = np.where(has, amount, 0.0)
    land = np.where(has, land, 0.0)
    # The zone ids are hashed once: summed by their sorted codes (missing: NaN, left out) —
    # the group numbers a groupby by id uses, which the sums' last bit depends on — and
    # each parcel's benchmark taken by its code.
    codes, _ = pd.factorize(column(parcels, "zone_id"), sort=True)  # -1: no zone
    key = np.where(codes >= 0, codes, np.nan)
    sums = pd.DataFrame({"v": amount, "l": land}).groupby(key, dropna=True).sum()
    bench = sums["v"] / sums["l"].where(sums["l"] > 0)  # by code: every code has a row
    park = amount.sum() / land.sum() if land.sum() > 0 else np.nan
    out = np.append(bench.to_numpy(dtype="float64"), park)[codes]
    return _series(out, parcels.index, "zone_" + per_mu_col, "float64")


def zone_benchmark(parcels: pd.DataFrame, value: str) -> np.ndarray:
    """The benchmark column (``zone_output_per_mu`` / ``zone_tax_per_mu``) when the table
    carries it, else :func:`zone_benchmark_per_mu` computed from the table."""
    name = "zone_" + value.removesuffix("_wan") + "_per_mu"
    if name in parcels.columns:
        return numbers(parcels, name)
    return np.asarray(zone_benchmark_per_mu(parcels, value), dtype="float64")


# --------------------------------------------------------------------------- §3 idle


def _construction_state(parcels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(not_started, started, suspended) boolean arrays; a parcel in neither is unknown.

    ``construction_status`` decides when given.  When it is missing: an actual start date
    means started; no actual start date and no building means not started; a building but
    no start date means started only when a suspension date is given, otherwise unknown.
    Suspended: status ``suspended``, or status missing and ``suspended_since`` given.
    """
    status = _text(parcels, "construction_status")
    no_status = np.asarray(status.isna(), dtype=bool)
    has_start = ~np.isnat(_days(parcels, "actual_start_date"))
    has_suspension = ~np.isnat(_days(parcels, "suspended_since"))
    empty = np.asarray(undeveloped(parcels), dtype=bool)
    not_started = is_one_of(status, "not_started") | (no_status & ~has_start & empty)
    started = (
        is_one_of(status, *_STARTED)
        | (no_status & has_start)
        | (no_status & ~has_start & ~empty & has_suspension)
    )
    suspended = started & (is_one_of(status, "suspended") | (no_status & has_suspension))
    return not_started, started, suspended


def _at_least(values: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Kleene (value, known) of ``values >= threshold``; NaN is unknown."""
    return values >= threshold, ~np.isnan(values)


def _below(values: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Kleene (value, known) of ``values < threshold``; NaN is unknown."""
    return values < threshold, ~np.isnan(values)


def idle(parcels: pd.DataFrame, as_of: date, rules: Rules) -> pd.DataFrame:
    """闲置土地 at ``as_of`` (rules.md §3, 国土资源部令第53号).

    * Not started and ``years_between(agreed_start_date, as_of) ≥ idle.not_started_years``
      → idle, ``idle_years`` = those years.  Without an agreed start date the clock runs from
      the ``grant_date`` (第二条: 未约定动工开发日期的，自合同生效之日起).
    * Started, ``developed_share < idle.developed_share_below`` or ``invested_share <
      idle.invested_share_below``, and suspended with
      ``years_between(suspended_since, as_of) ≥ idle.suspended_years`` → idle,
      ``idle_years`` = years suspended.
    * ``idle_action`` = ``reclaim`` when ``idle_years ≥ idle.reclaim_years``, else ``fee``
      when ``≥ idle.fee_years``; ``idle_fee_wan = idle.fee_share × land_price_wan`` for
      ``fee`` parcels (NaN without a price, and for ``reclaim``: the land is taken back).
    * A parcel whose ``government_delay`` is true (a review decision with the reason
      政府原因, 第八条) stays idle but gets no fee and no 无偿收回: ``idle_action`` is
      ``government``.

    ``idle`` is nullable boolean: NA when the dates or shares needed are missing, or the
    construction state cannot be told (see :func:`_construction_state`).  ``idle_years``,
    ``idle_action`` and ``idle_fee_wan`` are only set on idle parcels.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({
    ...     "construction_status": ["not_started", "not_started", "not_started", "suspended",
    ...                             "completed"],
    ...     "agreed_start_date": pd.to_datetime(["2022-06-01", "2022-06-02", None, None, None]),
    ...     "suspended_since": pd.to_datetime([None, None, None, "2021-06-01", None]),
    ...     "developed_share": [np.nan, np.nan, np.nan, 0.2, np.nan],
    ...     "land_price_wan": [500.0, 500.0, 500.0, 500.0, np.nan]})
    >>> idle(p, date(2023, 6, 1), load_rules())
        idle  idle_years idle_action  idle_fee_wan
    0   True         1.0         fee         100.0
    1  False         NaN         NaN           NaN
    2   <NA>         NaN         NaN           NaN
    3   True         2.0     reclaim           NaN
    4  False         NaN         NaN           NaN
    """
    r = rules.idle
    today = _day(as_of)
    not_started, started, suspended = _construction_state(parcels)

    clock_a = _days(parcels, "agreed_start_date")
    clock_a = np.where(np.isnat(clock_a), _days(parcels, "grant_date"), clock_a)
    years_a = years_between(clock_a, today)
    idle_a, known_a = _at_least(years_a, r.not_started_years)

    years_b = years_between(_days(parcels, "suspended_since"), today)
    clock_b, clock_known = _at_least(years_b, r.suspended_years)
    dev_low, dev_known = _below(numbers(parcels, "developed_share"), r.developed_share_below)
    inv_low, inv_known = _below(numbers(parcels, "invested_share"), r.invested_share_below)
    # Kleene: low = dev_low OR inv_low; idle_b = suspended AND low AND clock.
    # A comparison that came out True had its input known (NaN compares False).
    low = dev_low | inv_low
    low_known = (dev_known & inv_known) | low
    idle_b = suspended & low & clock_b
    false_b = ~suspended | (low_known & ~low) | (clock_known & ~clock_b)
    known_b = idle_b | false_b

    value = np.where(not_started, idle_a, np.where(started, idle_b, False))
    known = np.where(not_started, known_a, np.where(started, known_b, False))
    value &= known
    years = np.where(value, np.where(not_started, years_a, years_b), np.nan)

    government = value & np.asarray(flag(parcels, "government_delay"))
    reclaim = value & ~government & (years >= r.reclaim_years)
    fee = value & ~government & ~reclaim & (years >= r.fee_years)
    action = np.full(len(parcels), None, dtype=object)
    action[fee] = "fee"
    action[reclaim] = "reclaim"
    action[government] = "government"
    fee_wan = np.where(fee, r.fee_share * numbers(parcels, "land_price_wan"), np.nan)

    index = parcels.index
    idle_flag = pd.arrays.BooleanArray(value.astype(bool), ~known.astype(bool))
    return pd.DataFrame(
        {
            "idle": _series(idle_flag, index, dtype="boolean"),
            "idle_years": _series(years, index, dtype="float64"),
            "idle_action": _series(action, index, dtype="str"),
            "idle_fee_wan": _series(fee_wan, index, dtype="float64"),
        },
        index=index,
    )


# --------------------------------------------------------------------------- §8 在建


def in_construction(parcels: pd.DataFrame, as_of: date, rules: Rules) -> pd.Series:
    """在建 (rules.md §8): inside the agreed construction period, not idle, not completed.

    The period ends on the ``agreed_completion_date``, else ``agreed_start_date`` +
    ``construction.construction_years`` calendar years; a parcel is in construction while
    ``as_of`` is before that end, its ``construction_status`` is not ``completed`` and it is
    not idle (``idle`` read from the table when present, else computed).  No dates → False.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({
    ...     "construction_status": ["under_construction", "completed", "not_started", None],
    ...     "agreed_start_date": pd.to_datetime(["2025-03-01", "2025-03-01", "2024-01-01", None]),
    ...     "agreed_completion_date": pd.to_datetime(["2026-09-30", None, None, "2027-01-01"]),
    ...     "idle": pd.array([False, False, True, pd.NA], dtype="boolean")})
    >>> in_construction(p, date(2025, 12, 31), load_rules()).tolist()
    [True, False, False, True]
    """
    start = _days(parcels, "agreed_start_date")
    known = ~np.isnat(start)
    years = np.full(int(known.sum()), rules.construction.construction_years)
    by_start = start.copy()
    by_start[known] = _add_years(start[known], years)
    end = _days(parcels, "agreed_completion_date")
    end = np.where(np.isnat(end), by_start, end)
    running = ~np.isnat(end) & (end > _day(as_of))
    completed = is_one_of(_text(parcels, "construction_status"), "completed")
    table = parcels if "idle" in parcels.columns else idle(parcels, as_of, rules)
    is_idle = np.asarray(flag(table, "idle"))
    return _series(running & ~completed & ~is_idle, parcels.index, "in_construction", "bool")


def granted(parcels: pd.DataFrame) -> np.ndarray:
    """Land that has been granted: a grant date, a land user or its credit code is given."""
    return (
        ~np.isnat(_days(parcels, "grant_date"))
        | _given(parcels, "land_user")
        | _given(parcels, "land_user_code")
    )


# --------------------------------------------------------------------------- §4 inefficient


def _industry_mismatch(parcels: pd.DataFrame) -> np.ndarray:
    """Main occupant's 2-digit industry not among the zone's leading industries
    (:func:`lcgis.data.industry.fits_zone` is False).

    False when the parcel has no main industry, no zone, or the zone names no leading
    industry.
    """
    fit = fits_zone(
        column(parcels, "main_industry_code"), column(parcels, "zone_leading_industries")
    )
    return np.asarray(fit.eq(False).fillna(False), dtype=bool)


def inefficient_flags(parcels: pd.DataFrame, as_of: date, rules: Rules) -> dict[str, np.ndarray]:
    """One boolean array per reason code of rules.md §4 (see :func:`inefficient`)."""
    r = rules.inefficient
    n = len(parcels)
    off = np.zeros(n, dtype=bool)
    far = numbers(parcels, "far")
    status = _text(parcels, "construction_status")
    empty = np.asarray(undeveloped(parcels), dtype=bool)
    flags: dict[str, np.ndarray] = dict.fromkeys(INEFFICIENT_REASONS, off)
    tax_3y = numbers(parcels, "tax_per_mu_3y" if "tax_per_mu_3y" in parcels else "tax_per_mu")

    if r.far_below_min:
        flags["far_below_min"] = far < np.asarray(effective_min_far(parcels, rules))
    if r.far_utilization_below is not None:
        flags["far_below_plan"] = numbers(parcels, "far_utilization") < r.far_utilization_below
    if r.coverage_below_min:
        flags["coverage_below_min"] = numbers(parcels, "coverage") < rules.land.coverage_min
    if r.tax_per_mu_below is not None:
        flags["tax_per_mu_low"] = tax_3y < r.tax_per_mu_below
    output = numbers(parcels, "output_per_mu")
    if r.output_per_mu_below is not None:
        flags["output_per_mu_low"] = output < r.output_per_mu_below
    if r.output_per_mu_below_zone_share is not None:
        bench = r.output_per_mu_below_zone_share * zone_benchmark(parcels, "output_wan")
        flags["output_per_mu_low"] = flags["output_per_mu_low"] | (output < bench)
    if r.not_producing:
        producing = column(parcels, "producing")
        stopped = np.asarray(producing.eq(False).fillna(False), dtype=bool)
        land_use = column(parcels, "land_use")
        productive = is_one_of(land_use, *PRODUCTIVE_LAND_USES) | np.asarray(land_use.isna())
        nobody = (numbers(parcels, "n_occupants") == 0) & productive & (~empty | granted(parcels))
        nobody &= _occupancy_known(parcels)
        flags["not_producing"] = stopped | nobody
    if r.small_parcel_mu_below is not None:
        flags["small_parcel"] = numbers(parcels, "land_area_mu") < r.small_parcel_mu_below
    if r.industry_mismatch:
        flags["industry_mismatch"] = _industry_mismatch(parcels)
    if r.leased_share_above is not None:
        leased = numbers(parcels, "leased_floor_area_m2")
        standard = np.asarray(flag(parcels, "standard_factory"))
        flags["mostly_leased"] = ~standard & (
            leased > r.leased_share_above * numbers(parcels, "occupied_floor_area_m2")
        )
    if r.completion_overdue_years is not None:
        years = years_between(_days(parcels, "agreed_completion_date"), _day(as_of))
        not_completed = is_one_of(status, *_NOT_COMPLETED) | (np.asarray(status.isna()) & empty)
        flags["completion_overdue"] = (years >= r.completion_overdue_years) & not_completed
    if "in_construction" in parcels.columns:
        building = np.asarray(flag(parcels, "in_construction"))
        for code in NOT_TESTED_IN_CONSTRUCTION:
            flags[code] = flags[code] & ~building
    land_use = column(parcels, "land_use")
    granted_vacant = is_one_of(land_use, "vacant") & granted(parcels)
    tested = is_one_of(land_use, *r.land_uses) | np.asarray(land_use.isna()) | granted_vacant
    return {code: is_set & tested for code, is_set in flags.items()}


def _occupancy_known(parcels: pd.DataFrame) -> bool:
    """Whether the table carries occupancy at all (some parcel has an occupant).

    Without any occupancy data every parcel would look unoccupied; then the "no occupant"
    branch of ``not_producing`` is not applied.  (A missing ``n_occupants`` is unknown too.)
    """
    return bool(np.nansum(numbers(parcels, "n_occupants")) > 0)


def inefficient(parcels: pd.DataFrame, as_of: date, rules: Rules) -> pd.DataFrame:
    """低效用地 reasons (rules.md §4): one bool column per code, ``inefficient``, reasons.

    ============================  ============================================================
    far_below_min                 ``far < effective_min_far``
    far_below_plan                ``far_utilization < inefficient.far_utilization_below``
    coverage_below_min            ``coverage < land.coverage_min``
    tax_per_mu_low                ``tax_per_mu_3y < inefficient.tax_per_mu_below`` (万元/亩)
    output_per_mu_low             ``output_per_mu < inefficient.output_per_mu_below``, or
                                  ``< output_per_mu_below_zone_share × zone_output_per_mu``
    not_producing                 ``producing`` is False (occupants, none with output or tax),
                                  or a built industrial/warehouse parcel with no occupant
    small_parcel                  ``land_area_mu < inefficient.small_parcel_mu_below`` (亩)
    industry_mismatch             main occupant's 2-digit code not in zone_leading_industries
    mostly_leased                 ``leased_floor_area_m2 > inefficient.leased_share_above ×
                                  occupied_floor_area_m2`` (not in a standard factory)
    completion_overdue            ``as_of ≥ agreed_completion_date +
                                  inefficient.completion_overdue_years``, not completed
    ============================  ============================================================

    A reason whose inputs are missing is False; a reason switched off in the rules is never
    set.  ``zone_output_per_mu`` is read by :func:`zone_benchmark` (the park's figure for a
    parcel outside every zone).  Land without any building is *undeveloped*, not
    ``not_producing``; "no occupant" is only applied when the table has occupancy at all.
    "Not completed": status not_started / under_construction / suspended, or status missing
    on a parcel without building.  Only land uses in ``inefficient.land_uses`` (a missing use
    counts as industrial) and granted vacant land are tested.  A reason listed in
    ``inefficient.secondary`` never makes a parcel inefficient on its own.
    ``inefficient_reasons`` joins the set codes of inefficient parcels with ``;`` in the
    fixed order above ('' when none).

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"far": [0.5, 1.5], "main_industry_code": ["3911", "3911"],
    ...                   "coverage": [0.2, 0.5], "land_area_mu": [4.0, 15.0]})
    >>> out = inefficient(p, date(2025, 1, 1), load_rules())
    >>> out["inefficient"].tolist(), out["inefficient_reasons"].tolist()
    ([True, False], ['far_below_min;coverage_below_min;small_parcel', ''])
    """
    flags = inefficient_flags(parcels, as_of, rules)
    index = parcels.index
    out = pd.DataFrame(
        {code: _series(is_set, index, dtype="bool") for code, is_set in flags.items()}
    )
    primary = [c for c in INEFFICIENT_REASONS if c not in rules.inefficient.secondary]
    out["inefficient"] = out[primary].any(axis=1)
    listed = out["inefficient"].to_numpy()
    out["inefficient_reasons"] = join_codes({c: f & listed for c, f in flags.items()}, index)
    return out


# --------------------------------------------------------------------------- composition


#: A parcel table (plain or geographic): what goes in comes back out.
Table = TypeVar("Table", bound=pd.DataFrame)


def assess_land(parcels: Table, as_of: date, rules: Rules) -> Table:
    """The parcel table with the land columns of rules.md §2–4 and §8 added (a copy).

    In order, each test reading the ones before it: ``min_far_given`` (the input's) and
    ``min_far`` (:func:`effective_min_far`), ``undeveloped``, the :func:`idle` columns,
    ``in_construction``, then one column per :func:`inefficient` reason, ``inefficient`` and
    ``inefficient_reasons``.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"far": [0.0], "coverage": [0.0], "land_area_mu": [12.0],
    ...                   "floor_area_m2": [0.0], "footprint_area_m2": [0.0]})
    >>> out = assess_land(p, date(2025, 1, 1), load_rules())
    >>> list(out.columns[5:12])  # doctest: +NORMALIZE_WHITESPACE
    ['min_far_given', 'min_far', 'undeveloped', 'idle', 'idle_years', 'idle_action',
     'idle_fee_wan']
    >>> bool(out.loc[0, "undeveloped"]), out.loc[0, "idle"], out.loc[0, "inefficient_reasons"]
    (True, <NA>, 'coverage_below_min')
    """
    p = parcels.copy(deep=False)  # copy-on-write: the columns set here are its own
    p["min_far_given"] = column(p, "min_far")
    p["min_far"] = effective_min_far(p, rules)
    p["undeveloped"] = undeveloped(p)
    for col, values in idle(p, as_of, rules).items():
        p[col] = values
    p["in_construction"] = in_construction(p, as_of, rules)
    for col, values in inefficient(p, as_of, rules).items():
        p[col] = values
    return p


def describe_reasons(reasons: pd.Series, sep: str = "、") -> pd.Series:
    """Chinese text of ``;``-joined reason codes (unknown codes kept as they are).

    >>> describe_reasons(pd.Series(["small_parcel;idle", "", None])).tolist()
    ['用地面积过小、闲置土地', '', '']
    """
    text = reasons.astype("str").fillna("")
    for code, label in REASON_LABELS.items():
        text = text.str.replace(rf"(?<![A-Za-z_]){code}(?![A-Za-z_])", label, regex=True)
    text = text.str.replace(";", sep, regex=False)
    text.name = reasons.name
    return text
