"""Search and filters of the screens: find parcels by id or enterprise name, filter the
enterprise table and the review queue.  Plain pandas on the result's frames (no Streamlit),
so a screen only reads its widgets and passes their values here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Iterable

#: The scale filter's choices: (label, above-scale wanted; None = all).
SCALES: dict[str, bool | None] = {"全部": None, "规上": True, "规下": False}
#: The assignee filter's choice for everyone.
ALL = "全部"
#: Hits shown at most by :func:`parcel_matches`.
MAX_HITS = 50


def parcel_matches(
    parcels: pd.DataFrame, enterprises: pd.DataFrame, text: str
) -> list[tuple[str, str]]:
    """(parcel id, label) for a parcel id or an enterprise name: an exact id alone, else the
    ids containing the text (any case), then the parcels of enterprises whose name contains
    it; each parcel once, at most :data:`MAX_HITS`.

    >>> p = pd.DataFrame({"parcel_id": ["A-1", "A-2", "B-1"]})
    >>> e = pd.DataFrame({"name": ["甲公司"], "parcel_ids": ["B-1;X-9"]})
    >>> parcel_matches(p, e, "a-1")
    [('A-1', 'A-1')]
    >>> parcel_matches(p, e, "A")
    [('A-1', 'A-1'), ('A-2', 'A-2')]
    >>> parcel_matches(p, e, "甲")
    [('B-1', 'B-1(甲公司)')]
    """
    ids = parcels["parcel_id"].astype(str)
    low = text.lower()
    exact = ids[ids.str.lower() == low]
    if len(exact):
        return [(exact.iloc[0], exact.iloc[0])]
    out: list[tuple[str, str]] = [
        (i, i) for i in ids[ids.str.lower().str.contains(low, regex=False)]
    ]
    e = enterprises
    if "name" in e and "parcel_ids" in e:
        hit = e[e["name"].astype(str).str.contains(text, regex=False, na=False)]
        for name, pids in zip(hit["name"], hit["parcel_ids"], strict=True):
            for pid in str(pids or "").split(";"):
                if pid and (ids == pid).any():
                    out.append((pid, f"{pid}({name})"))
    seen: dict[str, str] = {}
    for pid, lab in out:
        seen.setdefault(pid, lab)
    return list(seen.items())[:MAX_HITS]


def zone_options(zones: Iterable[object]) -> list[str]:
    """The zones to filter by: each zone of ``、``-joined zone lists once, sorted.

    >>> zone_options(["北片区、南片区", "北片区", ""])
    ['北片区', '南片区']
    """
    return sorted({z for zs in zones for z in str(zs).split("、") if z})


def filter_enterprises(
    ent: pd.DataFrame,
    *,
    zones: Iterable[str] = (),
    divisions: Iterable[str] = (),
    classes: Iterable[str] = (),
    scale: str = ALL,
    name: str = "",
) -> pd.DataFrame:
    """The enterprise table (:func:`lcgis.views.tables.ranked_enterprises`) filtered: in any
    of ``zones``, ``divisions`` and ``classes`` (empty: all), of the scale (全部/规上/规下) and
    with ``name`` in the name; renumbered from 0.

    >>> e = pd.DataFrame({"name": ["甲", "乙"], "zone": ["北、南", "南"], "division": ["C", "C"],
    ...                   "class": ["A", "B"], "above_scale": [True, False]})
    >>> filter_enterprises(e, zones=["北"])["name"].tolist()
    ['甲']
    >>> filter_enterprises(e, scale="规下", name="乙")["name"].tolist()
    ['乙']
    """
    zones, divisions, classes = list(zones), list(divisions), list(classes)
    shown = ent
    if zones:
        shown = shown[shown["zone"].map(lambda z: any(x in str(z).split("、") for x in zones))]
    if divisions:
        shown = shown[shown["division"].isin(divisions)]
    if classes:
        shown = shown[shown["class"].astype(str).isin(classes)]
    wanted = SCALES.get(scale)
    if wanted is not None and "above_scale" in shown:
        above = shown["above_scale"].astype("boolean").fillna(False).astype(bool)
        shown = shown[above if wanted else ~above]
    if name.strip():
        shown = shown[shown["name"].astype(str).str.contains(name.strip(), regex=False, na=False)]
    return shown.reset_index(drop=True)


def parcels_of(enterprises: pd.DataFrame) -> list[str]:
    """The parcels of some enterprises (their ``;``-joined ``parcel_ids``), sorted, once.

    >>> parcels_of(pd.DataFrame({"parcel_ids": ["P2;P1", None, "P1"]}))
    ['P1', 'P2']
    """
    ids = enterprises.get("parcel_ids", pd.Series(dtype=object)).dropna()
    return sorted({p for group in ids for p in str(group).split(";") if p})


def filter_queue(
    q: pd.DataFrame,
    *,
    statuses: Iterable[str] = (),
    zones: Iterable[str] = (),
    kinds: Iterable[str] = (),
    assignee: str = ALL,
    overdue: bool = False,
) -> pd.DataFrame:
    """The review queue filtered: any of ``statuses``, ``zones`` and dispositions ``kinds``
    (empty: all), the assignee (全部: anyone) and, with ``overdue``, only the overdue.

    >>> q = pd.DataFrame({"status": ["待核查", "核查中"], "zone_name": ["北", "南"],
    ...                   "disposition": ["", "收储改造"], "assignee": [None, "张三"],
    ...                   "overdue": [False, True]})
    >>> len(filter_queue(q, assignee="张三", overdue=True)), len(filter_queue(q, zones=["北"]))
    (1, 1)
    """
    statuses, zones, kinds = list(statuses), list(zones), list(kinds)
    shown = q
    if statuses:
        shown = shown[shown["status"].isin(statuses)]
    if zones:
        shown = shown[shown["zone_name"].isin(zones)]
    if kinds:
        shown = shown[shown["disposition"].isin(kinds)]
    if assignee != ALL:
        shown = shown[shown["assignee"].astype(str) == assignee]
    if overdue:
        shown = shown[shown["overdue"]]
    return shown
