"""腾笼换鸟 (vacate for better use) and 零地增资 (more output on the same land): rules.md §5–6.

Both functions take the parcel table after the land stage, i.e. carrying the columns of
:func:`lcgis.land.assess_land` (``undeveloped``, ``idle``, ``inefficient``,
``inefficient_reasons``) besides the metrics, and return a DataFrame aligned on its index
without mutating it.  A value that cannot be computed is NaN, never 0 or infinity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .land import (
    INEFFICIENT_REASONS,
    REASON_CODES,
    _benchmark,
    _col,
    _given,
    _is,
    _join_codes,
    _num,
    _series,
    undeveloped,
)
from .rules import Rules

#: Precision of extra floor areas (m²): float noise never decides the 500 m² threshold.
_AREA_DECIMALS = 6


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``; NaN where the denominator is 0, negative or missing."""
    ok = denominator > 0
    return np.where(ok, numerator / np.where(ok, denominator, 1.0), np.nan)


def _has_reason(reasons: pd.Series, code: str) -> np.ndarray:
    """True where the ``;``-joined ``reasons`` contain ``code``."""
    padded = ";" + reasons.astype("string").fillna("") + ";"
    return np.asarray(padded.str.contains(f";{code};", regex=False).fillna(False), dtype=bool)


def _flag(parcels: pd.DataFrame, name: str) -> np.ndarray:
    """A boolean column with missing (NA) read as False."""
    return np.asarray(_col(parcels, name).eq(True).fillna(False), dtype=bool)


def vacate(parcels: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """腾笼换鸟 candidates (rules.md §5) and the stake of each.

    ``vacate_candidate = inefficient and (class_d or tax_per_mu_low or idle or undeveloped)``
    where, each switchable in ``[vacate]``:

    * ``class_d``: ``parcel_class == "D"``;
    * ``tax_per_mu_low``: ``tax_per_mu < vacate.tax_per_mu_below`` (5 万元/亩);
    * ``idle``: the idle test is True (NA does not count);
    * ``undeveloped``: undeveloped on granted land (``grant_date``, ``land_user`` or
      ``land_user_code`` given).

    ``vacate_reasons`` lists every reason of a candidate in the fixed vocabulary order
    (data-contract §5): its inefficient reason codes, plus ``tax_per_mu_low`` when the
    vacate threshold is met, plus ``class_d`` / ``idle`` / ``undeveloped`` ('' for
    non-candidates).  ``potential_output_wan`` / ``potential_tax_wan`` = ``land_area_mu`` ×
    the zone benchmark output / tax per 亩 (``zone_output_per_mu`` / ``zone_tax_per_mu``
    when the table carries them, else :func:`lcgis.land.zone_benchmark_per_mu`), for
    candidates only (NaN otherwise).

    ``inefficient`` is read from the table, or derived from a non-empty
    ``inefficient_reasons``; ``undeveloped`` is computed when absent.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({
    ...     "inefficient": [True, True, False],
    ...     "inefficient_reasons": ["small_parcel", "coverage_below_min", ""],
    ...     "parcel_class": ["D", None, "D"], "tax_per_mu": [8.0, np.nan, 1.0],
    ...     "idle": pd.array([False, True, pd.NA], dtype="boolean"),
    ...     "floor_area_m2": [900.0, 0.0, 500.0], "footprint_area_m2": [600.0, 0.0, 500.0],
    ...     "grant_date": pd.to_datetime([None, "2019-05-01", None]),
    ...     "land_area_mu": [3.0, 20.0, 10.0],
    ...     "zone_output_per_mu": [100.0, 50.0, 100.0], "zone_tax_per_mu": [10.0, 4.0, 10.0]})
    >>> out = vacate(p, load_rules())
    >>> out["vacate_candidate"].tolist()
    [True, True, False]
    >>> out["vacate_reasons"].tolist()
    ['small_parcel;class_d', 'coverage_below_min;idle;undeveloped', '']
    >>> out["potential_output_wan"].tolist(), out["potential_tax_wan"].tolist()
    ([300.0, 1000.0, nan], [30.0, 80.0, nan])
    """
    r = rules.vacate
    n = len(parcels)
    off = np.zeros(n, dtype=bool)
    reasons_in = _col(parcels, "inefficient_reasons")
    if "inefficient" in parcels.columns:
        is_inefficient = _flag(parcels, "inefficient")
    else:
        is_inefficient = np.asarray(reasons_in.astype("string").fillna("").ne(""), dtype=bool)

    class_d = _is(_col(parcels, "parcel_class"), "D") if r.class_d else off
    tax_low = (
        _num(parcels, "tax_per_mu") < r.tax_per_mu_below if r.tax_per_mu_below is not None else off
    )
    is_idle = _flag(parcels, "idle") if r.idle else off
    if "undeveloped" in parcels.columns:
        empty = _flag(parcels, "undeveloped")
    else:
        empty = np.asarray(undeveloped(parcels), dtype=bool)
    granted = (
        ~np.isnat(np.asarray(pd.to_datetime(_col(parcels, "grant_date"), errors="coerce")))
        | _given(_col(parcels, "land_user"))
        | _given(_col(parcels, "land_user_code"))
    )
    empty_granted = empty & granted if r.undeveloped else off

    candidate = is_inefficient & (class_d | tax_low | is_idle | empty_granted)

    flags = {code: _has_reason(reasons_in, code) for code in INEFFICIENT_REASONS}
    flags["tax_per_mu_low"] = flags["tax_per_mu_low"] | tax_low
    flags["class_d"] = class_d
    flags["idle"] = is_idle
    flags["undeveloped"] = empty_granted
    ordered = {code: flags[code] & candidate for code in REASON_CODES}

    land_mu = np.where(candidate, _num(parcels, "land_area_mu"), np.nan)
    index = parcels.index
    return pd.DataFrame(
        {
            "vacate_candidate": _series(candidate, index, dtype="bool"),
            "vacate_reasons": _join_codes(ordered, index),
            "potential_output_wan": _series(
                land_mu * _benchmark(parcels, "output_wan"), index, dtype="float64"
            ),
            "potential_tax_wan": _series(
                land_mu * _benchmark(parcels, "tax_wan"), index, dtype="float64"
            ),
        },
        index=index,
    )


def target_far(parcels: pd.DataFrame, rules: Rules) -> pd.Series:
    """FAR a parcel may rise to (rules.md §6, 泉政办规〔2025〕13号).

    ``max_far`` when given (and positive); else by parcel ``tax_per_mu``:
    ``target_far_high`` (3.0) when tax ≥ ``tax_per_mu_high`` (20), ``target_far_mid`` (2.5)
    when tax ≥ ``tax_per_mu_min`` (5); else NaN.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"max_far": [np.nan, np.nan, 2.0, np.nan, np.nan],
    ...                   "tax_per_mu": [10.0, 25.0, 25.0, 3.0, np.nan]})
    >>> target_far(p, load_rules()).tolist()
    [2.5, 3.0, 2.0, nan, nan]
    """
    r = rules.densify
    tax = _num(parcels, "tax_per_mu")
    band = np.where(
        tax >= r.tax_per_mu_high,
        r.target_far_high,
        np.where(tax >= r.tax_per_mu_min, r.target_far_mid, np.nan),
    )
    max_far = _num(parcels, "max_far")
    return _series(np.where(max_far > 0, max_far, band), parcels.index, "target_far", "float64")


def densify(parcels: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """零地增资 candidates (rules.md §6) with the floor area they could add.

    * ``target_far``: see :func:`target_far` (kept for every parcel where computable);
    * ``densify_candidate = tax_per_mu ≥ tax_per_mu_min (5) and parcel_class != "D" and
      target_far > far and extra ≥ min_extra_floor_area_m2 (500)``; a missing class is not D;
    * ``extra_floor_area_m2 = (target_far − far) × land_area_m2`` (rounded to 1e-6 m²);
    * ``est_extra_output_wan = extra_floor_area_m2 × output_wan ÷ floor_area_m2`` and
      ``est_extra_tax_wan`` likewise with ``tax_wan`` (NaN without floor area or figures).

    ``extra_floor_area_m2`` and the estimates are given for candidates only (NaN
    otherwise), so that zone totals add up the listed parcels.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"tax_per_mu": [10.0, 25.0, 25.0, 10.0], "far": [1.0, 1.0, 1.0, 2.45],
    ...                   "max_far": [np.nan, np.nan, 2.0, np.nan],
    ...                   "parcel_class": ["B", "A", "D", "B"],
    ...                   "land_area_m2": [10000.0, 10000.0, 10000.0, 8000.0],
    ...                   "floor_area_m2": [10000.0, 10000.0, 10000.0, 19600.0],
    ...                   "output_wan": [3000.0, 5000.0, 5000.0, 2000.0],
    ...                   "tax_wan": [150.0, 375.0, 375.0, 120.0]})
    >>> out = densify(p, load_rules())
    >>> out[["densify_candidate", "target_far", "extra_floor_area_m2"]]
       densify_candidate  target_far  extra_floor_area_m2
    0               True         2.5              15000.0
    1               True         3.0              20000.0
    2              False         2.0                  NaN
    3              False         2.5                  NaN
    >>> out["est_extra_output_wan"].tolist(), out["est_extra_tax_wan"].tolist()
    ([4500.0, 10000.0, nan, nan], [225.0, 750.0, nan, nan])
    """
    r = rules.densify
    tax = _num(parcels, "tax_per_mu")
    far = _num(parcels, "far")
    target = np.asarray(target_far(parcels, rules), dtype="float64")
    extra_all = np.round((target - far) * _num(parcels, "land_area_m2"), _AREA_DECIMALS)
    not_d = ~_is(_col(parcels, "parcel_class"), "D")
    candidate = (
        (tax >= r.tax_per_mu_min)
        & not_d
        & (target > far)
        & (extra_all >= r.min_extra_floor_area_m2)
    )
    extra = np.where(candidate, extra_all, np.nan)
    floor = _num(parcels, "floor_area_m2")
    output_per_m2 = _safe_ratio(_num(parcels, "output_wan"), floor)
    tax_per_m2 = _safe_ratio(_num(parcels, "tax_wan"), floor)
    index = parcels.index
    return pd.DataFrame(
        {
            "densify_candidate": _series(candidate, index, dtype="bool"),
            "target_far": _series(target, index, dtype="float64"),
            "extra_floor_area_m2": _series(extra, index, dtype="float64"),
            "est_extra_output_wan": _series(extra * output_per_m2, index, dtype="float64"),
            "est_extra_tax_wan": _series(extra * tax_per_m2, index, dtype="float64"),
        },
        index=index,
    )


def assess_candidates(parcels: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """:func:`vacate` and :func:`densify` side by side (the candidate columns of the output).

    >>> from lcgis.rules import load_rules
    >>> list(assess_candidates(pd.DataFrame({"far": [1.0]}), load_rules()).columns)
    ... # doctest: +NORMALIZE_WHITESPACE
    ['vacate_candidate', 'vacate_reasons', 'potential_output_wan', 'potential_tax_wan',
     'densify_candidate', 'target_far', 'extra_floor_area_m2', 'est_extra_output_wan',
     'est_extra_tax_wan']
    """
    return pd.concat([vacate(parcels, rules), densify(parcels, rules)], axis=1)
