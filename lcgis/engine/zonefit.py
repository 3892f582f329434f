"""Which firms fit their zone's role, and how much of each zone's land and output does.

A firm's zone is the zone of its main parcel (the one where it has the most land; ties go to
the smaller parcel id), the zone the workbook's 企业 sheet names.  Whether it fits is
:func:`lcgis.data.industry.fits_zone` of its industry code and that zone's leading
industries: NA when the firm has no land, no zone, no industry code, or the zone names no
leading industry.

Per zone (:func:`zone_fit`) the shares count each firm in its zone with all its allocated
land (亩) and its output (万元).  The denominators are the firms of the zone whose fit is
known — those with an industry code, in a zone that names its leading industries — so a
share is empty for a zone without leading industries or without such firms.

>>> ent = pd.DataFrame({"credit_code": ["a", "b", "c"], "industry_code": ["3911", "1711", None],
...     "land_area_mu": [10.0, 30.0, 5.0], "output_wan": [500.0, 500.0, 100.0]})
>>> alloc = pd.DataFrame({"credit_code": ["a", "b", "c"], "parcel_id": ["P1", "P2", "P2"],
...     "alloc_land_m2": [1.0, 2.0, 1.0]})
>>> parcels = pd.DataFrame({"parcel_id": ["P1", "P2"], "zone_id": ["n", "n"],
...     "zone_role": ["示范区", "示范区"], "zone_leading_industries": ["39,40", "39,40"]})
>>> e = with_zone_fit(ent, alloc, parcels)
>>> e["zone_id"].tolist(), e["fits_zone"].tolist()
(['n', 'n', 'n'], [True, False, <NA>])
>>> z = zone_fit(e)
>>> z.loc["n"].tolist()
[40.0, 10.0, 0.25, 1000.0, 500.0, 0.5]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lcgis.data.frame import column, ratio
from lcgis.data.industry import fits_zone
from lcgis.engine.metrics import positions

#: Per-zone figures of :func:`zone_fit`, in order.
FIT_FIELDS = (
    "known_land_mu",
    "fit_land_mu",
    "fit_land_share",
    "known_output_wan",
    "fit_output_wan",
    "fit_output_share",
)


def main_parcels(alloc: pd.DataFrame, rows: np.ndarray | None = None) -> pd.Series:
    """credit_code -> the parcel where the firm has the most land (ties: the smaller id).

    ``rows``: :func:`main_rows` of ``alloc`` when the caller has them already.

    >>> a = pd.DataFrame({"credit_code": ["a", "a", "b"], "parcel_id": ["P2", "P1", "P3"],
    ...                   "alloc_land_m2": [5.0, 5.0, None]})
    >>> main_parcels(a).to_dict()
    {'a': 'P1', 'b': 'P3'}
    """
    if alloc.empty or "credit_code" not in alloc:
        return pd.Series(dtype=object)
    first = main_rows(alloc) if rows is None else rows
    index = pd.Index(alloc["credit_code"].iloc[first], name="credit_code")
    ids = alloc["parcel_id"].iloc[first].astype(str)
    return pd.Series(ids.to_numpy(dtype=object), index=index, name="_id", dtype=object)


def main_rows(alloc: pd.DataFrame) -> np.ndarray:
    """The position in ``alloc`` of each firm's row of its main parcel, in the order of
    :func:`main_parcels` (credit codes sorted, a missing code last).

    >>> a = pd.DataFrame({"credit_code": ["b", "a", "a"], "parcel_id": ["P3", "P2", "P1"],
    ...                   "alloc_land_m2": [1.0, 5.0, 5.0]})
    >>> main_rows(a).tolist()
    [2, 0]
    """
    if alloc.empty or "credit_code" not in alloc:
        return np.zeros(0, dtype=np.intp)
    land = pd.to_numeric(column(alloc, "alloc_land_m2"), errors="coerce").fillna(-1.0)
    # Sort by (credit code, most land, smaller id) on integer ranks — missing codes and ids
    # last, as sort_values puts them — and keep each firm's first row (the sort is stable).
    firm = ranks(alloc["credit_code"])
    order = np.lexsort((ranks(alloc["parcel_id"].astype(str)), -land.to_numpy(dtype=float), firm))
    return order[np.r_[True, firm[order][1:] != firm[order][:-1]]] if len(order) else order


def ranks(values: pd.Series) -> np.ndarray:
    """Rank of each value in sorted order from 0 (ties share one; missing values rank last).

    Ranked by Arrow ("dense" ranks, missing values at the end) without sorting Python
    strings.

    >>> ranks(pd.Series(["b", None, "a", "b"])).tolist()
    [1, 2, 0, 1]
    """
    return np.asarray(pc.rank(pa.array(values), tiebreaker="dense"), dtype=np.int64) - 1


def with_zone_fit(
    ent: pd.DataFrame,
    alloc: pd.DataFrame,
    parcels: pd.DataFrame,
    *,
    main: pd.Series | None = None,
    main_at: np.ndarray | None = None,
) -> pd.DataFrame:
    """``ent`` with zone_id and zone_role of each firm's main parcel and fits_zone.

    ``main``: :func:`main_parcels` of ``alloc`` when the caller has it already, and
    ``main_at`` the row in ``parcels`` of each of those parcels (their ids are unique and
    given, as reading checks).  Each firm's main parcel is then found by one lookup of the
    credit codes, instead of a map over them and a lookup of the parcel ids.
    """
    out = ent.copy(deep=False)  # copy-on-write: the columns set here are its own
    if "credit_code" not in out:
        return out
    main = main_parcels(alloc) if main is None else main
    if main_at is None:
        main_at = positions(main, parcels["parcel_id"].astype(str))
    firm = positions(out["credit_code"], main.index)  # -1: a firm without land
    at = np.append(main_at, -1)[firm]  # -1: no main parcel

    def of_main(name: str) -> pd.api.extensions.ExtensionArray:
        return column(parcels, name, pd.NA).astype("string").array.take(at, allow_fill=True)

    out["zone_id"] = of_main("zone_id")
    out["zone_role"] = of_main("zone_role")
    lead = pd.Series(of_main("zone_leading_industries"), index=out.index)
    out["fits_zone"] = fits_zone(column(out, "industry_code", pd.NA), lead)
    return out


def zone_fit(ent: pd.DataFrame) -> pd.DataFrame:
    """Per zone_id (:data:`FIT_FIELDS`): land (亩) and output (万元) of the zone's firms
    whose fit is known (``known_*``: the denominators, see the module's docstring), of the
    firms that fit (``fit_*``), and the shares; empty where nothing is known."""
    if "fits_zone" not in ent or "zone_id" not in ent:
        return pd.DataFrame(columns=list(FIT_FIELDS), dtype=float)
    fit = ent["fits_zone"].astype("boolean")
    known = fit.notna().to_numpy(bool)
    fits = fit.fillna(False).to_numpy(bool)
    land = pd.to_numeric(column(ent, "land_area_mu"), errors="coerce").to_numpy(float)
    output = pd.to_numeric(column(ent, "output_wan"), errors="coerce").to_numpy(float)
    frame = pd.DataFrame(
        {
            "zone_id": ent["zone_id"].astype(object).to_numpy(),
            "fit_land_mu": np.where(fits, land, np.nan),
            "known_land_mu": np.where(known, land, np.nan),
            "fit_output_wan": np.where(fits, output, np.nan),
            "known_output_wan": np.where(known, output, np.nan),
        }
    )
    frame = frame[frame["zone_id"].notna() & known]
    sums = frame.groupby("zone_id").sum(min_count=1)
    for fit_col, known_col in (
        ("fit_land_mu", "known_land_mu"),
        ("fit_output_wan", "known_output_wan"),
    ):
        sums[fit_col] = sums[fit_col].fillna(0.0).where(sums[known_col].notna())
    sums["fit_land_share"] = ratio(sums["fit_land_mu"], sums["known_land_mu"])
    sums["fit_output_share"] = ratio(sums["fit_output_wan"], sums["known_output_wan"])
    return sums[list(FIT_FIELDS)].astype(float)
