"""The tables the screens show, built from a result's frames: the ranked enterprise table and
its Chinese view, the sensitivity table, the candidate lists with their per-zone totals, the
map's legend and overlay counts, and the files of a dataset.  Plain pandas (no Streamlit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from lcgis.views import report, summary
from lcgis.vocab import (
    DISPOSITION_GAIN_NOTES,
    ENTERPRISE_LIST_LABELS,
    GROUP_LABELS,
    LAYER_LABELS,
    PICKED_ENTERPRISE_LABELS,
    SENSITIVITY_LABELS,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from pathlib import Path

# --- enterprises -------------------------------------------------------------------------------


def ranked_enterprises(enterprises: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    """Enterprises ranked by score (best first within 规上, 规下, 小微; the unrated last), with
    their zones (``zone``), industry division (``division``) and group label (``group_label``).

    >>> e = pd.DataFrame({"name": ["乙", "甲"], "class": [None, "A"]})
    >>> ranked_enterprises(e, pd.DataFrame({"parcel_id": []}))["name"].tolist()
    ['甲', '乙']
    """
    e = enterprises.copy()
    e["zone"] = summary.enterprise_zones(e, parcels)
    e["division"] = summary.industry_division(
        e["industry_code"] if "industry_code" in e else pd.Series(pd.NA, index=e.index)
    )
    rated = e["class"].astype(str).isin(["A", "B", "C", "D"]) if "class" in e else False
    e["_unrated"] = ~pd.Series(rated, index=e.index)
    groups = {g: i for i, g in enumerate(GROUP_LABELS)}
    e["_group"] = e["eval_group"].map(groups) if "eval_group" in e else 0
    if "rank_in_group" in e:
        order = ["_unrated", "_group", "rank_in_group", "name"]
    else:
        order = ["_unrated", "name"]
    e = e.sort_values(order, na_position="last").drop(columns=["_unrated", "_group"])
    e["group_label"] = (
        e["eval_group"].map({g: f"{n}组" for g, n in GROUP_LABELS.items()}).fillna("")
        if "eval_group" in e
        else ""
    )
    return e.reset_index(drop=True)


#: Columns of the enterprise table and their headers, in display order.
COLUMNS = ENTERPRISE_LIST_LABELS
#: Headers of the picked enterprises' table.
PICKED_COLUMNS = PICKED_ENTERPRISE_LABELS
#: Headers of the sensitivity table.
SENSITIVITY_COLUMNS = SENSITIVITY_LABELS


def enterprise_view(shown: pd.DataFrame) -> pd.DataFrame:
    """The enterprise table as shown: Chinese headers, 规上 as 是/否 (blank when unknown).

    >>> enterprise_view(pd.DataFrame({"name": ["甲"], "above_scale": [True]})).to_dict("list")
    {'企业名称': ['甲'], '规上': ['是']}
    """
    view = shown[[c for c in COLUMNS if c in shown]].rename(columns=COLUMNS)
    if "规上" in view:
        view["规上"] = view["规上"].map(lambda b: "" if pd.isna(b) else ("是" if b else "否"))
    return view


def picked_view(picked: pd.DataFrame) -> pd.DataFrame:
    """Name, parcels and class of the picked enterprises, with Chinese headers."""
    return picked[list(PICKED_COLUMNS)].rename(columns=PICKED_COLUMNS)


def sensitivity_view(sens: pd.DataFrame) -> pd.DataFrame:
    """The sensitivity table (:func:`lcgis.engine.evaluate.sensitivity`) with Chinese headers."""
    return sens.rename(columns=SENSITIVITY_COLUMNS)


# --- candidates --------------------------------------------------------------------------------

_GAIN = ["land_area_mu", "potential_output_wan", "potential_tax_wan"]
#: Columns summed per zone on each list (all headers of estimated gains say 潜力上限).
SUMS: dict[str, list[str]] = {
    "reclaim": _GAIN,
    "buyback": _GAIN,
    "vacate": _GAIN,
    "densify": ["land_area_mu", "extra_floor_area_m2", "est_extra_output_wan", "est_extra_tax_wan"],
}
#: How each list's estimated gains are found.
GAINS = DISPOSITION_GAIN_NOTES


def zone_totals(df: pd.DataFrame, sums: list[str], zone_order: Iterable[object]) -> pd.DataFrame:
    """Per zone of a candidate list (Chinese headers): parcel count and the sum of each of
    ``sums``, zones in ``zone_order`` (the zones file's), others sorted, 片区外 last; a 合计 row.

    >>> df = pd.DataFrame({"片区": ["南", None, "北", "南"], "用地面积(亩)": [1.0, 2.0, 3.0, 4.0]})
    >>> zone_totals(df, ["用地面积(亩)"], ["北", "南"]).values.tolist()
    [['北', 1, 3.0], ['南', 2, 5.0], ['片区外', 1, 2.0], ['合计', 4, 10.0]]
    """
    zone = report.LABELS["zone_name"]
    outside = summary.OUTSIDE_ZONES
    d = df.copy()
    d[zone] = d[zone].fillna(outside).replace("", outside)
    cols = [c for c in sums if c in d]
    g = d.groupby(zone, sort=False)
    out = g[cols].sum(min_count=1)
    out.insert(0, "宗地数(宗)", g.size())
    known = [z for z in zone_order if z in out.index]
    rest = sorted(z for z in out.index if z not in known and z != outside)
    tail = [outside] if outside in out.index else []
    out = out.reindex([*known, *rest, *tail]).reset_index()
    total = {zone: "合计", "宗地数(宗)": len(d), **{c: d[c].sum(min_count=1) for c in cols}}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def committee_order(df: pd.DataFrame) -> pd.DataFrame:
    """The columns a committee reads first: 宗地编号, 梯队, 处置理由, the 潜力上限 gains.

    >>> committee_order(pd.DataFrame(columns=["甲", "梯队", "收益(潜力上限)"])).columns.tolist()
    ['梯队', '收益(潜力上限)', '甲']
    """
    L = report.LABELS
    first = [L["parcel_id"], L["tier"], L["disposition_reasons"]]
    first += [c for c in df.columns if str(c).endswith("(潜力上限)")]
    first = [c for c in first if c in df]
    return df[first + [c for c in df.columns if c not in first]]


def candidate_lists(
    sheets: Mapping[str, pd.DataFrame], labels: Mapping[str, str], tiers: Iterable[str]
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """({disposition: its sheet in committee order}, {disposition: its rows of ``tiers``}),
    the sheets named by ``labels`` (disposition → sheet name)."""
    tiers = list(tiers)
    tier = report.LABELS["tier"]
    lists = {kind: committee_order(sheets[name]) for kind, name in labels.items()}
    shown = {k: df[df[tier].isin(tiers)].reset_index(drop=True) for k, df in lists.items()}
    return lists, shown


# --- map ---------------------------------------------------------------------------------------


def legend_table(rows: Iterable[tuple[object, object, object]]) -> pd.DataFrame:
    """The legend's rows: colour, class and parcel count."""
    return pd.DataFrame(list(rows), columns=["颜色", "分级", "宗地数(宗)"])


def overlay_table(counts: Mapping[str, tuple[int, float]]) -> pd.DataFrame:
    """Parcels and area under each overlay layer (:func:`lcgis.views.maps.overlay_counts`).

    >>> overlay_table({"地块": (2, 3.5)}).values.tolist()
    [['地块', 2, 3.5]]
    """
    return pd.DataFrame(
        [(name, n, a) for name, (n, a) in counts.items()],
        columns=["叠加图层", "宗地数(宗)", "面积(亩)"],
    )


# --- data --------------------------------------------------------------------------------------


def files_table(files: Mapping[str, Path], label: Callable[[str], str] = str) -> pd.DataFrame:
    """The files of a dataset that exist: layer (Chinese), file name (through ``label``, e.g.
    a function that makes it safe to show) and size in KB."""
    return pd.DataFrame(
        [
            (LAYER_LABELS.get(layer, layer), label(p.name), p.stat().st_size / 1024)
            for layer, p in files.items()
            if p.exists()
        ],
        columns=["图层", "文件", "大小(KB)"],
    )
