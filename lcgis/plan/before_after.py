"""The park before and after a relocation plan, per zone and for the whole park (全园).

Per parcel, before: ``in_use`` = occupied (n_occupants > 0) and neither idle nor
undeveloped; ``idle_undeveloped`` = idle or undeveloped; figures and class as evaluated.
After:

* a parcel of a chosen site carries the mover's expected figure × its share of the site's
  land, is in use, no longer idle or undeveloped, and has class 新入驻 — kept out of the
  A/B/C/D counts (a new firm has no evaluation yet) and counted as 新入驻宗地;
* the current parcel of a mover that moved, and is not retaken, loses what the mover gave
  up; if the mover was its main occupant (or was not found among them) its class becomes
  腾出 (out of the counts), and with no occupant left it is 腾出待用 (freed), not in use;
* every other parcel is unchanged (the occupants of a parcel given to a mover leave with
  its old figures).

Per zone: sums of land (亩) and money (万元); 亩均 = Σ F ÷ Σ land_area_mu of all the zone's
land, so a change of a per-亩 figure is the change of its total over the same land.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcgis.data.frame import flag, numbers, ratio
from lcgis.plan.sites import zone_key, zone_names
from lcgis.vocab import FIGURE_LABELS

NEW_CLASS = "新入驻"
VACATED_CLASS = "腾出"
PARK_ID, PARK_NAME = "park", "全园"
#: Figures of the table: code -> (Chinese label with unit, higher is better).
FIGURES: dict[str, tuple[str, bool]] = {
    code: (FIGURE_LABELS[code], higher_better)
    for code, higher_better in (
        ("land_area_mu", True),
        ("in_use_mu", True),
        ("idle_undeveloped_mu", False),
        ("freed_mu", False),
        ("output_wan", True),
        ("tax_wan", True),
        ("output_per_mu", True),
        ("tax_per_mu", True),
        ("n_class_a", True),
        ("n_class_b", True),
        ("n_class_c", False),
        ("n_class_d", False),
        ("n_new", True),
    )
}


def parcel_states(
    parcels: pd.DataFrame, plan: pd.DataFrame, given_up: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-parcel state (zone_id, land_mu, in_use, idle_undeveloped, freed, output_wan,
    tax_wan, class) before and after ``plan`` (rows aligned on ``parcels``).

    ``plan`` has per mover: parcel_ids (';'-joined, '' when unplaced), current_parcel_id,
    credit_code, expected_output_wan, expected_tax_wan; ``given_up`` (same rows):
    given_up_output_wan, given_up_tax_wan, whole_parcel.
    """
    land = pd.Series(numbers(parcels, "land_area_mu")).fillna(0.0).to_numpy()
    idle = flag(parcels, "idle").to_numpy() | flag(parcels, "undeveloped").to_numpy()
    occupants = np.nan_to_num(numbers(parcels, "n_occupants"))
    cls = parcels["parcel_class"] if "parcel_class" in parcels else pd.Series(pd.NA, parcels.index)
    before = pd.DataFrame(
        {
            "zone_id": zone_key(parcels),
            "land_mu": land,
            "in_use": (occupants > 0) & ~idle,
            "idle_undeveloped": idle,
            "freed": False,
            "output_wan": numbers(parcels, "output_wan"),
            "tax_wan": numbers(parcels, "tax_wan"),
            "class": cls.astype(object).where(cls.notna(), "").astype(str).to_numpy(),
        }
    )
    money = {m: before[m].to_numpy(dtype=float).copy() for m in ("output_wan", "tax_wan")}
    klass = before["class"].to_numpy(dtype=object).copy()
    in_use, idle_after = before["in_use"].to_numpy().copy(), idle.copy()
    freed = np.zeros(len(parcels), dtype=bool)
    pos = pd.Series(np.arange(len(parcels)), index=parcels["parcel_id"].astype(str).to_numpy())
    placed = plan["parcel_ids"].astype(str).ne("").to_numpy()
    cur = plan["current_parcel_id"].astype("string").fillna("").to_numpy(dtype=object)
    code = plan["credit_code"].astype("string").fillna("").to_numpy(dtype=object)
    main = (
        parcels["main_credit_code"].astype(object).to_numpy()
        if "main_credit_code" in parcels
        else np.full(len(parcels), None)
    )
    whole = given_up["whole_parcel"].to_numpy(dtype=bool)
    for m in np.flatnonzero(placed & (cur != "")):  # the few in-park movers
        k = int(pos[cur[m]])
        for name, values in money.items():
            left = np.nan_to_num(values[k]) - float(given_up[f"given_up_{name}"].iloc[m])
            values[k] = max(left, 0.0)
        occupants[k] = 0.0 if whole[m] else occupants[k] - 1
        if whole[m] or main[k] == code[m]:
            klass[k] = VACATED_CLASS
        if occupants[k] <= 0 and in_use[k]:
            in_use[k], freed[k] = False, True
    for m in np.flatnonzero(placed):  # the few chosen sites
        ks = pos.reindex(str(plan["parcel_ids"].iloc[m]).split(";")).to_numpy(dtype=int)
        share = land[ks] / max(float(land[ks].sum()), 1e-12)
        for name, values in money.items():
            values[ks] = float(np.nan_to_num(plan[f"expected_{name}"].iloc[m])) * share
        in_use[ks], idle_after[ks], freed[ks], klass[ks] = True, False, False, NEW_CLASS
    after = before.assign(
        in_use=in_use, idle_undeveloped=idle_after, freed=freed, **money, **{"class": klass}
    )
    return before, after


def figures(state: pd.DataFrame) -> pd.DataFrame:
    """The FIGURES of one state, per zone (rows by zone key) and for the park (row 'park').

    >>> s = pd.DataFrame({"zone_id": ["n", "n", "s"], "land_mu": [10.0, 5.0, 5.0],
    ...     "in_use": [True, False, True], "idle_undeveloped": [False, True, False],
    ...     "freed": False, "output_wan": [1000.0, np.nan, 500.0],
    ...     "tax_wan": [100.0, np.nan, 20.0], "class": ["A", "", "新入驻"]})
    >>> f = figures(s)
    >>> f.loc["park", ["in_use_mu", "tax_wan", "tax_per_mu", "n_class_a", "n_new"]].tolist()
    [15.0, 120.0, 6.0, 1.0, 1.0]
    >>> f.loc["n", "tax_per_mu"]
    np.float64(6.666666666666667)
    """
    s = state.assign(
        in_use_mu=state["land_mu"].where(state["in_use"].astype(bool), 0.0),
        idle_undeveloped_mu=state["land_mu"].where(state["idle_undeveloped"].astype(bool), 0.0),
        freed_mu=state["land_mu"].where(state["freed"].astype(bool), 0.0),
        n_new=state["class"].eq(NEW_CLASS).astype(int),
        **{f"n_class_{c.lower()}": state["class"].eq(c).astype(int) for c in "ABCD"},
    ).rename(columns={"land_mu": "land_area_mu"})
    cols = [c for c in FIGURES if c not in ("output_per_mu", "tax_per_mu")]
    by_zone = s.groupby("zone_id", sort=False)[cols].sum(min_count=1)
    park = s[cols].sum(min_count=1).to_frame(PARK_ID).T
    out = pd.concat([by_zone, park]).astype(float)
    out["output_per_mu"] = ratio(out["output_wan"], out["land_area_mu"])
    out["tax_per_mu"] = ratio(out["tax_wan"], out["land_area_mu"])
    return out[list(FIGURES)]


def before_after(
    parcels: pd.DataFrame,
    plan: pd.DataFrame,
    given_up: pd.DataFrame,
    targets: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Long table, one row per zone (then 全园) and figure: before, after, change, target.

    ``targets``: ``{figure: value}`` for the park, ``{zone_id: {figure: value}}`` for a zone
    (``[relocation.targets]``).  to_target = target − after, or after − target where lower
    is better: above 0 means still short of the target.
    """
    before, after = parcel_states(parcels, plan, given_up)
    b, a = figures(before), figures(after)
    names = zone_names(parcels) | {PARK_ID: PARK_NAME}
    long = (
        pd.DataFrame({"before": b.stack(), "after": a.reindex(b.index).stack()})
        .rename_axis(["zone_id", "figure"])
        .reset_index()
    )
    long["zone_name"] = [names.get(z, z) or "片区外" for z in long["zone_id"]]
    long["label"] = [FIGURES[f][0] for f in long["figure"]]
    # a side without any figure counts 0 here (the plan's own effect is known); no float dust
    long["change"] = long["after"].sub(long["before"], fill_value=0.0).round(9)
    tg = dict(targets or {})
    zone_tg = {z: t for z, t in tg.items() if isinstance(t, Mapping)}
    want = [
        tg.get(f) if z == PARK_ID else zone_tg.get(z, {}).get(f)
        for z, f in zip(long["zone_id"], long["figure"], strict=True)
    ]
    long["target"] = pd.to_numeric(pd.Series(want, dtype=object), errors="coerce").astype(float)
    sign = np.array([1.0 if FIGURES[f][1] else -1.0 for f in long["figure"]])
    long["to_target"] = (long["target"] - long["after"]) * sign
    cols = ["zone_id", "zone_name", "figure", "label", "before", "after", "change", "target"]
    return long[[*cols, "to_target"]]
