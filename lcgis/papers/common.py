"""What the report and the dossiers share: masking by role, the 示意数据 mark, labels, numbers.

Masking.  The CLI is for authorised staff and prints every figure.  The app passes a *policy*:
a function that blanks the confidential figures of a table (tax, output, revenue, value added,
energy, electricity, employees, R&D) for the viewer's role.  Every table that reaches paper —
the result's parcels, enterprises and zones, and the per-year figures read from the dataset —
goes through the policy first (:func:`masked_result`, :func:`apply`), so a figure the viewer may
not see is printed as "—" everywhere, derived figures included.  :func:`role_policy` gives the
masking of :mod:`lcgis.access` for a role.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from lcgis.rules import Rules, load_rules
from lcgis.views.explain import fmt

if TYPE_CHECKING:
    from lcgis.engine.pipeline import Result

#: A masking policy: a table in, the same table with what the viewer may not see blanked.
Policy = Callable[[pd.DataFrame], pd.DataFrame]

#: Roles that see every figure (the review store's roles).
FULL_ROLES = ("reviewer", "admin", "full")
MASKED_NOTE = (
    "涉密指标(税收、产值、营业收入、增加值、能耗、用电、"
    "从业人员、研发)已按查看权限隐去，显示为“—”。"
)
ILLUSTRATIVE = "示意数据"
ILLUSTRATIVE_NOTE = (
    "示意数据：本文件中的宗地、建筑、企业和经济数据均为程序生成的虚构数据，"
    "不是真实数据，不得用于实际评价或决策。"
)


def role_policy(role: str | None, rules: Rules | None = None) -> Policy | None:
    """The masking of :mod:`lcgis.access` for ``role`` under ``rules`` (default rules); None
    for roles that see everything.

    >>> role_policy("admin") is None, role_policy("viewer") is None
    (True, False)
    """
    from lcgis.access import policy

    if role in FULL_ROLES:
        return None
    chosen = policy(role, rules if rules is not None else load_rules())
    return None if chosen.sees_all else chosen.mask_frame


def apply(policy: Policy | None, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` through ``policy`` (unchanged without one); a GeoDataFrame stays one."""
    if policy is None:
        return frame
    out = policy(frame)
    if isinstance(frame, gpd.GeoDataFrame) and not isinstance(out, gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry=frame.geometry.name, crs=frame.crs)
    return out


def masked_result(result: Result, policy: Policy | None) -> Result:
    """``result`` with its parcel, enterprise, zone and history tables through ``policy``."""
    if policy is None:
        return result
    return dataclasses.replace(
        result,
        parcels=apply(policy, result.parcels),
        enterprises=apply(policy, result.enterprises),
        zones=apply(policy, result.zones),
        history=apply(policy, result.history),
    )


def is_illustrative(result: Result) -> bool:
    """Whether the evaluated dataset says it is illustrative (示意数据), as the workbook tells
    it (:func:`lcgis.views.report.illustrative_statement`: the demo's layer descriptions)."""
    from lcgis.views.report import illustrative_statement

    return bool(illustrative_statement(result.files))


def num(value: Any, digits: int = 2, unit: str = "") -> str:
    """A figure for paper ('—' when empty); shares with unit '%'."""
    return fmt(value, digits, unit)


def count(value: Any) -> str:
    """A whole number with thousands separators."""
    return fmt(value, 0)


def signed(value: Any, digits: int = 2) -> str:
    """A change with its sign ('—' when unknown, '持平' for no change).

    >>> signed(1234.5, 1), signed(-0.004), signed(float("nan"))
    ('+1,234.5', '持平', '—')
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(v):
        return "—"
    if round(v, digits) == 0:
        return "持平"
    return f"{v:+,.{digits}f}"


def text(value: Any) -> str:
    """A text cell: empty for missing values."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    s = str(value)
    return "" if s in ("nan", "<NA>", "None", "NaT") else s
